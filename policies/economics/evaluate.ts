/**
 * The answer to "does owning this workload's inference beat the API, and by how much?".
 *
 * evaluateWorkload: capacity (roofline or measured) → Erlang C headroom for interactive tiers
 * → a month of the queue-depth autoscaler against the traffic shape → owned vs API cost,
 * break-even utilization, the gate, a verdict with reasons. Structured results only: the CLI
 * and the policies write the words people read.
 */
import { breakEvenUtilization, apiCostUsd, passesBreakEvenGate, splitTokens } from "./break-even";
import { catalogApiPrice, catalogInstancePrice, EKS_FEES, gpuById, instanceById, resolveArchitecture } from "./catalog";
import { estimateModelReloadSeconds, replicaCapacity, weightGiB } from "./capacity";
import { maxOfferedLoadForWaitProbability } from "./queueing";
import { sloSchema, type PricePerMillion, type Slo, type WorkloadProfile } from "./schema";
import { simulateMonth } from "./simulation";
import { HOURS_PER_MONTH, type ReplicaCapacity, type SimulationInput, type SimulationResult, type StackContext, type WorkloadFacts } from "./types";

export type Verdict = "own" | "api" | "hybrid";

/** Why the verdict came out as it did; `factor` is one of the seeds' decision factors. */
export interface Reason {
  readonly factor: "volume" | "burstiness" | "latency" | "fixed-costs" | "fit" | "capacity";
  /** Whether this factor argues for owning (`own`) or for the API (`api`). */
  readonly favours: "own" | "api";
  readonly detail: string;
}

export interface WorkloadEvaluation {
  readonly name: string;
  readonly tier: WorkloadProfile["tier"];
  readonly verdict: Verdict;
  readonly reasons: readonly Reason[];
  /** Owned share the rollout aims for, 0–1: the economics are evaluated there. */
  readonly targetOwnedShare: number;
  readonly modeledUtilization: number;
  /** null when fixed costs alone reach the API bill. */
  readonly breakEvenUtilization: number | null;
  /** Utilization the gate demands: break-even × (1 + margin). null when there is no break-even. */
  readonly requiredUtilization: number | null;
  readonly passesGate: boolean;
  /** Owning the target share: fixed share + GPU-hours + overflow sent to the API, USD/month. */
  readonly ownedMonthlyUsd: number;
  /** The same traffic bought from the API, USD/month. */
  readonly apiMonthlyUsd: number;
  readonly savingsMonthlyUsd: number;
  /** Months until migration cost is repaid; null when owning saves nothing. */
  readonly paybackMonths: number | null;
  readonly gpuHoursPerMonth: number;
  readonly replicaTokensPerSecond: number;
  readonly costPerMillionTokensUsd: { readonly owned: number | null; readonly api: number };
  /** Parts of the owned cost, USD/month. */
  readonly ownedCostBreakdown: { readonly fixedUsd: number; readonly gpuUsd: number; readonly overflowApiUsd: number };
  readonly replicaUsdPerHour: number;
  readonly instanceType: string;
  readonly capacity: ReplicaCapacity;
  readonly simulation: SimulationResult;
  readonly apiPricePerMillion: PricePerMillion;
}

/** Overflow share above which a passing workload is called hybrid: owned base load, API peaks. */
export const HYBRID_OVERFLOW_SHARE = 0.05;

/** The workload's share of fixed monthly cost: control plane, staff, other fixed costs, split equally. */
export function fixedMonthlyUsdPerWorkload(context: StackContext): number {
  const { economics } = context;
  const staff = (economics.operations.fte * economics.operations.loadedAnnualCostUsd) / 12;
  const controlPlane = EKS_FEES.controlPlaneUsdPerHour * HOURS_PER_MONTH;
  return (staff + controlPlane + economics.fixedMonthlyUsd) / Math.max(1, context.ownedWorkloadCount);
}

/** USD per replica-hour: instance price × GPUs per replica ÷ GPUs per instance, Auto Mode fee included. */
export function replicaUsdPerHour(instanceType: string, facts: WorkloadFacts, context: StackContext): number {
  if (facts.hourlyPriceUsd !== undefined) return facts.hourlyPriceUsd;
  const instance = instanceById(instanceType);
  const price = catalogInstancePrice(instanceType, facts.capacityType, context.economics.priceOverrides.instances);
  const autoMode = context.autoMode ? 1 + EKS_FEES.autoModeSurchargeShare : 1;
  return (price * autoMode * facts.gpusPerReplica) / instance.gpuCount;
}

/** API prices for this workload: explicit prices, else the catalog (overrides applied); batch tiers at batch prices. */
export function resolveApiPrice(profile: WorkloadProfile, context: StackContext): PricePerMillion {
  const { api } = profile;
  const row = api.pricePerMillion === undefined ? catalogApiPrice(api.catalogId!, context.economics.priceOverrides.api) : undefined;
  const list: PricePerMillion = api.pricePerMillion ?? { input: row!.input, output: row!.output, ...(row!.cachedInput !== null ? { cachedInput: row!.cachedInput } : {}) };
  if (profile.tier !== "batch") return list;
  if (api.batchDiscount !== undefined) {
    const keep = 1 - api.batchDiscount;
    return { input: list.input * keep, output: list.output * keep, cachedInput: (list.cachedInput ?? list.input) * keep };
  }
  if (row !== undefined && row.batchInput !== null && row.batchOutput !== null) {
    // Batch APIs bill input at the batch rate whether or not it would have hit a cache.
    return { input: row.batchInput, output: row.batchOutput, cachedInput: row.batchInput };
  }
  return list;
}

function sloOf(profile: WorkloadProfile): Slo | undefined {
  if (profile.tier !== "interactive") return undefined;
  return profile.slo ?? sloSchema.parse({});
}

/** Roofline (or measured) capacity, with Erlang C headroom for interactive tiers and the per-file model reload for batch tiers. */
export function sizedReplicaCapacity(facts: WorkloadFacts, instanceType: string): ReplicaCapacity {
  const { profile } = facts;
  const slo = sloOf(profile);
  const raw = replicaCapacity({
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
  if (!raw.fits) return raw;
  if (profile.tier === "batch" && facts.requestsPerBatchFile !== undefined) {
    // The offline runner starts once per batch file: each file pays a model reload before its work.
    const workSeconds = (facts.requestsPerBatchFile * (profile.traffic.meanInputTokens + profile.traffic.meanOutputTokens)) / raw.tokensPerSecond;
    const reloadSeconds = estimateModelReloadSeconds(weightGiB(resolveArchitecture(profile.model), profile.model.weightPrecision));
    const busy = workSeconds / (workSeconds + reloadSeconds);
    return { ...raw, tokensPerSecond: raw.tokensPerSecond * busy, requestsPerSecond: raw.requestsPerSecond * busy };
  }
  if (slo === undefined) return raw;
  // A replica decoding s sequences at once is s servers; keep P(wait) within the SLO.
  const servers = Math.max(1, Math.floor(raw.concurrentSequences));
  const headroom = maxOfferedLoadForWaitProbability(servers, slo.maxWaitProbability) / servers;
  return { ...raw, tokensPerSecond: raw.tokensPerSecond * headroom, requestsPerSecond: raw.requestsPerSecond * headroom };
}

/** The cheapest of the pool's instance types that can hold a replica. */
export function pickInstanceType(facts: WorkloadFacts, context: StackContext): string {
  const candidates = facts.instanceTypes.filter((id) => instanceById(id).gpuCount >= facts.gpusPerReplica);
  if (candidates.length === 0) {
    throw new Error(`${facts.profile.name}: no instance type in [${facts.instanceTypes.join(", ")}] has ${facts.gpusPerReplica} GPUs for one replica`);
  }
  // A pinned replica price (serving.hourlyPriceUsd) stands in for catalog prices the pool's
  // capacity type may lack (reserved rates): unpriced candidates rank last instead of throwing.
  const pinned = facts.hourlyPriceUsd !== undefined;
  const priced = candidates.map((id) => {
    try {
      return { id, usd: replicaUsdPerHour(id, { ...facts, hourlyPriceUsd: undefined }, context) };
    } catch (error) {
      if (!pinned) throw error;
      return { id, usd: Number.POSITIVE_INFINITY };
    }
  });
  return priced.sort((a, b) => a.usd - b.usd)[0]!.id;
}

/** Evaluate one workload at its target owned share. */
export function evaluateWorkload(facts: WorkloadFacts, context: StackContext, options: { stepSeconds?: number } = {}): WorkloadEvaluation {
  const { profile } = facts;
  const { traffic } = profile;
  const share = profile.rollout.targetOwnedPercent / 100;
  const instanceType = pickInstanceType(facts, context);
  const capacity = sizedReplicaCapacity(facts, instanceType);
  const pricePerReplicaHour = replicaUsdPerHour(instanceType, facts, context);
  const apiPrice = resolveApiPrice(profile, context);
  const tokensPerRequest = traffic.meanInputTokens + traffic.meanOutputTokens;
  const demandTokens = traffic.requestsPerMonth * share * tokensPerRequest;
  const apiUsd = (tokens: number) => apiCostUsd(splitTokens(tokens, traffic.meanInputTokens, traffic.meanOutputTokens, traffic.prefixCacheHitRate), apiPrice);

  const simulation = capacity.fits ? simulateMonth(simulationInput(facts, capacity, options.stepSeconds)) : nothingServed(demandTokens);

  const fixedUsd = fixedMonthlyUsdPerWorkload(context);
  const gpuUsd = (simulation.replicaSeconds / 3600) * pricePerReplicaHour;
  // Tokens still queued at month end are owed by the owned path; they count as served work next month.
  const work = simulation.servedTokens;
  const overflowApiUsd = apiUsd(simulation.overflowTokens);
  const ownedMonthlyUsd = fixedUsd + gpuUsd + overflowApiUsd;
  const apiMonthlyUsd = apiUsd(demandTokens);
  const breakEven = capacity.fits && work > 0
    ? breakEvenUtilization({
        workTokensPerMonth: work,
        replicaTokensPerSecond: capacity.tokensPerSecond,
        replicaUsdPerHour: pricePerReplicaHour,
        fixedMonthlyUsd: fixedUsd,
        apiMonthlyUsd: apiUsd(work),
      })
    : null;
  const margin = context.economics.marginOfSafety;
  const passesGate = capacity.fits && passesBreakEvenGate(simulation.modeledUtilization, breakEven, margin);
  const savingsMonthlyUsd = apiMonthlyUsd - ownedMonthlyUsd;
  const migrationUsd = context.economics.migrationCostUsd / Math.max(1, context.ownedWorkloadCount);

  const evaluation = {
    name: profile.name,
    tier: profile.tier,
    targetOwnedShare: share,
    modeledUtilization: simulation.modeledUtilization,
    breakEvenUtilization: breakEven,
    requiredUtilization: breakEven === null ? null : breakEven * (1 + margin),
    passesGate,
    ownedMonthlyUsd,
    apiMonthlyUsd,
    savingsMonthlyUsd,
    paybackMonths: savingsMonthlyUsd > 0 ? migrationUsd / savingsMonthlyUsd : null,
    gpuHoursPerMonth: simulation.gpuHours,
    replicaTokensPerSecond: capacity.tokensPerSecond,
    costPerMillionTokensUsd: { owned: work > 0 ? ((fixedUsd + gpuUsd) / work) * 1e6 : null, api: (apiPrice.input + apiPrice.output) > 0 && demandTokens > 0 ? (apiMonthlyUsd / demandTokens) * 1e6 : 0 },
    ownedCostBreakdown: { fixedUsd, gpuUsd, overflowApiUsd },
    replicaUsdPerHour: pricePerReplicaHour,
    instanceType,
    capacity,
    simulation,
    apiPricePerMillion: apiPrice,
  };
  const { verdict, reasons } = decide(evaluation, facts, fixedUsd);
  return { ...evaluation, verdict, reasons };
}

/** The month to simulate: the owned share of the traffic against the deployed autoscaler. */
function simulationInput(facts: WorkloadFacts, capacity: ReplicaCapacity, stepSeconds: number | undefined): SimulationInput {
  const { profile } = facts;
  const { traffic } = profile;
  return {
    tier: profile.tier,
    requestsPerMonth: (traffic.requestsPerMonth * profile.rollout.targetOwnedPercent) / 100,
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

/** A model that does not fit serves nothing: all its traffic stays on the API. */
function nothingServed(demandTokens: number): SimulationResult {
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
  };
}

type Undecided = Omit<WorkloadEvaluation, "verdict" | "reasons">;

/** Verdict and reasons from the seeds' decision factors: volume, burstiness, latency class, fixed costs. */
function decide(e: Undecided, facts: WorkloadFacts, fixedUsd: number): { verdict: Verdict; reasons: Reason[] } {
  const reasons: Reason[] = [];
  const { traffic, tier } = facts.profile;
  if (!e.capacity.fits) {
    reasons.push({ factor: "fit", favours: "api", detail: e.capacity.reason ?? "the model does not fit on one replica" });
    return { verdict: "api", reasons };
  }
  const apiOfWork = e.apiMonthlyUsd * (1 - e.simulation.overflowShare);
  if (e.breakEvenUtilization === null) {
    reasons.push({ factor: "fixed-costs", favours: "api", detail: `fixed costs of $${round(fixedUsd)}/month alone exceed the API bill of $${round(apiOfWork)}/month` });
  } else if (e.breakEvenUtilization > 1) {
    reasons.push({ factor: "volume", favours: "api", detail: `break-even needs ${pct(e.breakEvenUtilization)} utilization, more than the GPUs can give: volume is too low for the API's price` });
  } else {
    reasons.push({
      factor: "volume",
      favours: e.passesGate ? "own" : "api",
      detail: `modeled utilization ${pct(e.modeledUtilization)} against ${pct(e.requiredUtilization!)} required (break-even ${pct(e.breakEvenUtilization)} plus margin)`,
    });
  }
  if (e.breakEvenUtilization !== null && fixedUsd > 0.5 * apiOfWork) {
    reasons.push({ factor: "fixed-costs", favours: "api", detail: `fixed costs ($${round(fixedUsd)}/month: staff, control plane) are ${pct(fixedUsd / Math.max(apiOfWork, 1e-9))} of the API bill` });
  }
  if (traffic.peakToMeanRatio >= 3 || e.simulation.overflowShare > HYBRID_OVERFLOW_SHARE) {
    reasons.push({
      factor: "burstiness",
      favours: "api",
      detail: `peak-to-mean ${traffic.peakToMeanRatio.toFixed(1)}: replicas sized for peaks idle off-peak; ${pct(e.simulation.overflowShare)} of owned traffic overflowed to the API`,
    });
  }
  if (tier === "interactive") {
    reasons.push({
      factor: "latency",
      favours: "api",
      detail: `interactive: at least ${facts.autoscaler.minReplicas} replica(s) stay up and each runs below saturation to keep P(wait) within the SLO`,
    });
  }
  if (!e.passesGate) return { verdict: "api", reasons };
  const hybrid = e.simulation.overflowShare > HYBRID_OVERFLOW_SHARE;
  return { verdict: hybrid ? "hybrid" : "own", reasons };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
}
function round(x: number): string {
  return Math.round(x).toLocaleString("en-US");
}

/** Weight size of a workload's model, GiB: sizes the default cold start. */
export function workloadWeightGiB(profile: WorkloadProfile): number {
  return weightGiB(resolveArchitecture(profile.model), profile.model.weightPrecision);
}
