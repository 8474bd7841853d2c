/**
 * What one workload uses in a month, before fixed costs are shared out: the replica's capacity,
 * the autoscaler's month against the traffic, the whole nodes that month bills, and the API's
 * prices for the same tokens. `evaluate.ts` turns usages into costs, break-even and a verdict.
 *
 * Billing, as AWS bills it:
 * - **Whole nodes.** At every simulated step the billed replicas (serving and loading) pack onto
 *   the cheapest set of the pool's instance types that holds them (`node-packing.ts`).
 * - **On-demand / spot**: node-hours × the node's rate. **Reserved** (a savings plan or reserved
 *   instances): the commitment is sized for the group's most replicas and paid for every hour of
 *   the month, used or not.
 * - **EKS Auto Mode**: a per-instance-type fee for every hour a node runs, whatever its purchase
 *   option and whatever price override applies (`catalog/auto-mode-fees.ts`).
 * - **`hourlyPriceUsd`** (a negotiated rate per replica-hour) prices a node at that rate × the
 *   replicas it holds, in place of the EC2 rate; the Auto Mode fee still applies.
 */
import { apiCostUsd, splitTokens } from "./break-even";
import { autoModeFeeUsdPerHour, batchRuleOf, CATALOG_REGION, catalogApiPrice, catalogInstancePrice, gpuById, instanceById, natGatewayUsdPerGb, resolveArchitecture } from "./catalog";
import { atCapacityEnd, estimateModelReloadSeconds, replicaCapacity, scaleCapacity, weightGiB, type CapacityEnd } from "./capacity";
import { packReplicas, type NodeOption, type PackingTable } from "./node-packing";
import { maxOfferedLoadForWaitProbability } from "./queueing";
import { sloSchema, type PricePerMillion, type Slo, type WorkloadProfile } from "./schema";
import { HPA_TOLERANCE, simulateMonth, type MonthSimulation } from "./simulation";
import { SECONDS_PER_MONTH, type ReplicaCapacity, type SimulationInput, type StackContext, type WorkloadFacts } from "./types";
import { gibToGb } from "./weights";

/** Share of a batch month's demand that may still be queued at its end (carried into the next month, as the previous month's was into this one). */
export const BATCH_CARRY_OVER_SHARE = 0.01;

/** A batch backlog: what the replicas left undone and what happens to it. */
export interface Backlog {
  /** Tokens still queued at the month's end beyond the carry-over a steady month has. */
  readonly tokens: number;
  /** tokens ÷ the month's owned demand. */
  readonly share: number;
  /** `none`: within the carry-over; `send-to-api`: costed at the API's batch price; `refuse`: the workload is under-provisioned. */
  readonly disposition: "none" | "send-to-api" | "refuse";
  /** Fewest replicas that could serve the month's owned demand running flat out (so at least this many are needed). */
  readonly minReplicasForDemand: number;
}

/** Whether the interactive autoscaler's queue target can ever trigger a scale-up. */
export interface QueueTargetCheck {
  readonly targetQueuePerReplica: number;
  /** Largest target that can trigger: a replica holds K × maxQueueWait ÷ tokens per request waiting requests before the SLO sends the rest to the API, and HPA acts only beyond its tolerance. */
  readonly maxReachableQueuePerReplica: number;
  readonly reachable: boolean;
}

/** A workload's month on owned GPUs, before fixed costs. */
export interface WorkloadUsage {
  readonly facts: WorkloadFacts;
  /** Instance types the replicas may pack onto (the pool's, for the GPU model priced). */
  readonly nodeOptions: readonly NodeOption[];
  /** Instance types of the nodes at the group's most replicas, one entry per node. */
  readonly nodesAtPeak: readonly string[];
  readonly capacity: ReplicaCapacity;
  readonly simulation: MonthSimulation;
  readonly demandTokens: number;
  readonly apiPrice: PricePerMillion;
  /** EC2 for the nodes (or the commitment), USD/month. */
  readonly ec2Usd: number;
  /** EKS Auto Mode fees for the nodes, USD/month. */
  readonly autoModeFeeUsd: number;
  /** GPU-hours billed: whole nodes (reserved: the committed nodes every hour). */
  readonly billedGpuHours: number;
  readonly nodeHours: number;
  /** Interactive overflow sent to the API, USD/month. */
  readonly overflowApiUsd: number;
  /** Weights downloaded through the NAT gateway: every replica start × the checkpoint's GB × the region's $/GB, USD/month (0 from S3). */
  readonly natEgressUsd: number;
  readonly backlog: Backlog;
  /** Backlog sent to the API, USD/month (0 unless its disposition is `send-to-api`). */
  readonly backlogApiUsd: number;
  /** Interactive tiers only. */
  readonly queueTarget: QueueTargetCheck | null;
  /** USD for `tokens` of this workload's mix at its API prices. */
  apiUsd(tokens: number): number;
}

function sloOf(profile: WorkloadProfile): Slo | undefined {
  if (profile.tier !== "interactive") return undefined;
  return profile.slo ?? sloSchema.parse({});
}

/**
 * API prices for this workload: explicit prices, else the catalog (overrides applied). Batch tiers
 * take one discount — the workload's `api.batchDiscount`, else the provider's batch rule — off input,
 * output and cached input alike (every provider in the catalog stacks its batch discount on cached
 * input), so the same list prices always give the same batch bill.
 */
export function resolveApiPrice(profile: WorkloadProfile, context: StackContext): PricePerMillion {
  const { api } = profile;
  const row = api.pricePerMillion === undefined ? catalogApiPrice(api.catalogId!, context.economics.priceOverrides.api) : undefined;
  const list: PricePerMillion = api.pricePerMillion ?? { input: row!.input, output: row!.output, ...(row!.cachedInput !== null ? { cachedInput: row!.cachedInput } : {}) };
  if (profile.tier !== "batch") return list;
  const rule = row !== undefined ? batchRuleOf(row.provider) : undefined;
  const discount = api.batchDiscount ?? rule?.discount ?? 0;
  const keep = 1 - discount;
  const cachedDiscounted = rule?.discountsCachedInput ?? true;
  const cached = cachedDiscounted ? (list.cachedInput ?? list.input) * keep : list.input * keep;
  return { input: list.input * keep, output: list.output * keep, cachedInput: cached };
}

/**
 * K for this workload on this instance type. Roofline figures get the Erlang C headroom of the
 * interactive SLO; a measured figure is, by definition, what one replica sustains while meeting the
 * SLO (time per output token and queue wait), so it is K as it stands — headroom is applied once.
 * Batch tiers pay the per-file model reload either way (a property of the batch file size).
 */
export function sizedReplicaCapacity(facts: WorkloadFacts, instanceType: string, end: CapacityEnd = "low"): ReplicaCapacity {
  const { profile } = facts;
  const slo = sloOf(profile);
  const capacity = replicaCapacity({
    tier: profile.tier,
    architecture: resolveArchitecture(profile.model),
    weightPrecision: profile.model.weightPrecision,
    kvCachePrecision: profile.model.kvCachePrecision,
    gpu: gpuById(instanceById(instanceType).gpu),
    gpusPerReplica: facts.gpusPerReplica,
    meanInputTokens: profile.traffic.meanInputTokens,
    meanOutputTokens: profile.traffic.meanOutputTokens,
    prefixCacheHitRate: profile.traffic.prefixCacheHitRate,
    gpuMemoryUtilization: facts.gpuMemoryUtilization,
    ...(slo !== undefined ? { slo } : {}),
    ...(facts.measuredTokensPerSecond !== undefined ? { measuredTokensPerSecond: facts.measuredTokensPerSecond } : {}),
  });
  // A roofline is a range (its calibration's error): plan on the requested end, the low one by default.
  const raw = atCapacityEnd(capacity, end);
  if (!raw.fits) return raw;
  if (profile.tier === "batch" && facts.requestsPerBatchFile !== undefined) {
    // The offline runner starts once per batch file: each file pays a model reload before its work.
    const workSeconds = (facts.requestsPerBatchFile * (profile.traffic.meanInputTokens + profile.traffic.meanOutputTokens)) / raw.tokensPerSecond;
    // The runner reads the checkpoint again (a BF16 one for a model quantized at load), from wherever the pod keeps it.
    const reloadSeconds = facts.weights !== undefined
      ? estimateModelReloadSeconds(facts.weights.downloadGiB, facts.weights.source)
      : estimateModelReloadSeconds(weightGiB(resolveArchitecture(profile.model), profile.model.weightPrecision));
    const busy = workSeconds / (workSeconds + reloadSeconds);
    return scaleCapacity(raw, busy);
  }
  if (slo === undefined || raw.basis === "measured") return raw;
  // A replica decoding s sequences at once is s servers; keep P(wait) within the SLO.
  const servers = Math.max(1, Math.floor(raw.concurrentSequences));
  const headroom = maxOfferedLoadForWaitProbability(servers, slo.maxWaitProbability) / servers;
  return scaleCapacity(raw, headroom);
}

/** One pool instance type as a node option for this workload (`hourlyPriceUsd` replaces the EC2 rate per replica). */
export function nodeOption(instanceType: string, facts: WorkloadFacts, context: StackContext): NodeOption {
  const instance = instanceById(instanceType);
  const replicasPerNode = Math.floor(instance.gpuCount / facts.gpusPerReplica);
  const overrides = context.economics.priceOverrides.instances;
  const ec2UsdPerHour = facts.hourlyPriceUsd !== undefined ? facts.hourlyPriceUsd * replicasPerNode : catalogInstancePrice(instanceType, facts.capacityType, overrides);
  return {
    instanceType,
    gpusPerNode: instance.gpuCount,
    replicasPerNode,
    ec2UsdPerHour,
    feeUsdPerHour: context.autoMode ? autoModeFeeUsdPerHour(instanceType, overrides) : 0,
  };
}

/**
 * The pool's instance types that hold a replica, all of one GPU model (K depends on it): the model
 * of the type cheapest per replica, which is where Karpenter's price-ordered choice lands.
 */
export function poolNodeOptions(facts: WorkloadFacts, context: StackContext): NodeOption[] {
  const holding = facts.instanceTypes.filter((id) => instanceById(id).gpuCount >= facts.gpusPerReplica);
  if (holding.length === 0) {
    throw new Error(`${facts.profile.name}: no instance type in [${facts.instanceTypes.join(", ")}] has ${facts.gpusPerReplica} GPUs for one replica`);
  }
  const options = holding.map((id) => nodeOption(id, facts, context));
  const perReplica = (o: NodeOption) => (o.ec2UsdPerHour + o.feeUsdPerHour) / o.replicasPerNode;
  const cheapest = [...options].sort((a, b) => perReplica(a) - perReplica(b))[0]!;
  const gpu = instanceById(cheapest.instanceType).gpu;
  return options.filter((o) => instanceById(o.instanceType).gpu === gpu);
}

/** The instance type a replica's capacity is sized on: the pool's cheapest per replica (all options share its GPU model). */
export function pickInstanceType(facts: WorkloadFacts, context: StackContext): string {
  return poolNodeOptions(facts, context)[0]!.instanceType;
}

/** Options for the simulation and the usage, beyond the facts. */
export interface UsageOptions {
  /** Simulation step, seconds. @default 60 (the gate's step) */
  readonly stepSeconds?: number;
  /** Multiplies the month's requests (traffic growth for the TCO). @default 1 */
  readonly trafficScale?: number;
  /** Capacity already sized for this shape (the cheapest-shape search shares it). @default - sized here */
  readonly capacity?: ReplicaCapacity;
  /** Node options already priced. @default - the pool's, from `poolNodeOptions` */
  readonly nodeOptions?: readonly NodeOption[];
  /** Which end of a roofline's capacity range to plan on. @default "low" (the conservative end the gate uses) */
  readonly capacityEnd?: CapacityEnd;
}

/** The month of one workload at its target owned share, billed in whole nodes. */
export function workloadUsage(facts: WorkloadFacts, context: StackContext, options: UsageOptions = {}): WorkloadUsage {
  const { profile } = facts;
  const { traffic } = profile;
  const share = profile.rollout.targetOwnedPercent / 100;
  const nodeOptions = options.nodeOptions ?? poolNodeOptions(facts, context);
  const capacity = options.capacity ?? sizedReplicaCapacity(facts, nodeOptions[0]!.instanceType, options.capacityEnd);
  const apiPrice = resolveApiPrice(profile, context);
  const tokensPerRequest = traffic.meanInputTokens + traffic.meanOutputTokens;
  const requestsPerMonth = traffic.requestsPerMonth * share * (options.trafficScale ?? 1);
  const demandTokens = requestsPerMonth * tokensPerRequest;
  const apiUsd = (tokens: number) => apiCostUsd(splitTokens(tokens, traffic.meanInputTokens, traffic.meanOutputTokens, traffic.prefixCacheHitRate), apiPrice);
  const maxReplicas = facts.autoscaler.maxReplicas;
  const packing = packReplicas(nodeOptions, maxReplicas);
  const simulation = capacity.fits ? simulateMonth(simulationInput(facts, capacity, requestsPerMonth, options.stepSeconds)) : nothingServed(demandTokens, maxReplicas);
  const bill = billOf(simulation, packing, facts, capacity.fits);
  const backlog = backlogOf(facts, context, simulation, capacity, demandTokens);
  return {
    facts,
    nodeOptions,
    nodesAtPeak: packing.packing(maxReplicas),
    capacity,
    simulation,
    demandTokens,
    apiPrice,
    ...bill,
    overflowApiUsd: apiUsd(simulation.overflowTokens),
    natEgressUsd: natEgressUsd(facts, simulation, context),
    backlog,
    backlogApiUsd: backlog.disposition === "send-to-api" ? apiUsd(backlog.tokens) : 0,
    queueTarget: queueTargetCheck(facts, capacity),
    apiUsd,
  };
}

/**
 * NAT gateway data processing for the month's weight downloads: each replica the simulation starts (an
 * interactive scale-up, a batch Job) downloads the checkpoint once; from the hub every GB passes the NAT,
 * from S3 none does (the gateway endpoint has no per-GB charge). Replicas the month starts with were
 * started before it and are not counted.
 */
export function natEgressUsd(facts: WorkloadFacts, simulation: Pick<MonthSimulation, "replicaStarts">, context: StackContext): number {
  if (facts.weights === undefined || facts.weights.source !== "hub") return 0;
  const usdPerGb = natGatewayUsdPerGb(context.region ?? CATALOG_REGION, context.economics.priceOverrides);
  return simulation.replicaStarts * gibToGb(facts.weights.downloadGiB) * usdPerGb;
}

function billOf(simulation: MonthSimulation, packing: PackingTable, facts: WorkloadFacts, fits: boolean): Pick<WorkloadUsage, "ec2Usd" | "autoModeFeeUsd" | "billedGpuHours" | "nodeHours"> {
  let ec2Usd = 0;
  let autoModeFeeUsd = 0;
  let gpuSeconds = 0;
  let nodeSeconds = 0;
  const seconds = simulation.secondsAtReplicaCount;
  for (let n = 1; n < seconds.length; n++) {
    const t = seconds[n]!;
    if (t === 0) continue;
    ec2Usd += (t / 3600) * packing.ec2UsdPerHour[n]!;
    autoModeFeeUsd += (t / 3600) * packing.feeUsdPerHour[n]!;
    gpuSeconds += t * packing.gpus[n]!;
    nodeSeconds += t * packing.nodes[n]!;
  }
  if (facts.capacityType === "reserved" && fits) {
    // A commitment sized for the most replicas is paid for every hour of the term, used or not.
    const peak = facts.autoscaler.maxReplicas;
    ec2Usd = (SECONDS_PER_MONTH / 3600) * packing.ec2UsdPerHour[peak]!;
    gpuSeconds = SECONDS_PER_MONTH * packing.gpus[peak]!;
  }
  return { ec2Usd, autoModeFeeUsd, billedGpuHours: gpuSeconds / 3600, nodeHours: nodeSeconds / 3600 };
}

function backlogOf(facts: WorkloadFacts, context: StackContext, simulation: MonthSimulation, capacity: ReplicaCapacity, demandTokens: number): Backlog {
  const minReplicasForDemand = capacity.tokensPerSecond > 0 ? Math.ceil(demandTokens / (capacity.tokensPerSecond * SECONDS_PER_MONTH)) : 0;
  const queued = facts.profile.tier === "batch" && capacity.fits ? simulation.queuedTokensAtEnd : 0;
  const share = demandTokens > 0 ? queued / demandTokens : 0;
  if (share <= BATCH_CARRY_OVER_SHARE) return { tokens: 0, share: 0, disposition: "none", minReplicasForDemand };
  return { tokens: queued, share, disposition: context.economics.unservedBatchWork, minReplicasForDemand };
}

/** Interactive tiers: whether the queue-depth target can ever be reached before the SLO sends the work to the API. */
export function queueTargetCheck(facts: WorkloadFacts, capacity: ReplicaCapacity): QueueTargetCheck | null {
  const slo = sloOf(facts.profile);
  if (slo === undefined || !capacity.fits || facts.autoscaler.maxReplicas <= facts.autoscaler.minReplicas) return null;
  const tokensPerRequest = facts.profile.traffic.meanInputTokens + facts.profile.traffic.meanOutputTokens;
  const maxReachable = (capacity.tokensPerSecond * slo.maxQueueWaitSeconds) / tokensPerRequest / (1 + HPA_TOLERANCE);
  const target = facts.autoscaler.targetQueuePerReplica;
  return { targetQueuePerReplica: target, maxReachableQueuePerReplica: maxReachable, reachable: target < maxReachable };
}

/** The month to simulate: the owned share of the traffic against the deployed autoscaler. */
function simulationInput(facts: WorkloadFacts, capacity: ReplicaCapacity, requestsPerMonth: number, stepSeconds: number | undefined): SimulationInput {
  const { profile } = facts;
  const { traffic } = profile;
  return {
    tier: profile.tier,
    requestsPerMonth,
    meanInputTokens: traffic.meanInputTokens,
    meanOutputTokens: traffic.meanOutputTokens,
    peakToMeanRatio: traffic.peakToMeanRatio,
    noiseCoefficientOfVariation: traffic.noiseCoefficientOfVariation,
    replica: capacity,
    gpusPerReplica: facts.gpusPerReplica,
    autoscaler: facts.autoscaler,
    ...(profile.tier === "interactive" ? { maxQueueWaitSeconds: sloOf(profile)!.maxQueueWaitSeconds } : {}),
    ...(stepSeconds !== undefined ? { stepSeconds } : {}),
  };
}

/** A model that does not fit serves nothing: all its traffic stays on the API, no node runs. */
function nothingServed(demandTokens: number, maxReplicas: number): MonthSimulation {
  return {
    steps: 0,
    demandTokens,
    servedTokens: 0,
    overflowTokens: demandTokens,
    queuedTokensAtEnd: 0,
    replicaSeconds: 0,
    gpuHours: 0,
    meanReplicas: 0,
    peakReplicas: 0,
    modeledUtilization: 0,
    overflowShare: demandTokens > 0 ? 1 : 0,
    scaleUps: 0,
    scaleDowns: 0,
    replicaStarts: 0,
    secondsAtReplicaCount: new Float64Array(maxReplicas + 1),
  };
}
