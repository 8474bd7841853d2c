/**
 * The answer to "does owning this workload's inference beat the API, and by how much?".
 *
 * evaluateWorkloads: every workload's month on owned GPUs (`usage.ts`: capacity, the autoscaler's
 * month, whole-node bill) → the stack's fixed costs shared out by billed GPU-hours → owned vs API
 * cost, break-even utilization, the gate, a verdict with reasons → the stack-level check (owned
 * total vs API total) and the TCO over 12/24/36 months. Structured results only: the CLI and the
 * policies write the words people read.
 *
 * Fixed costs (control plane, staff, other fixed monthly costs) are shared in proportion to the
 * GPU-hours each workload bills: a workload that bills nothing carries none, so declaring a
 * placeholder workload cannot dilute anyone's share. When no workload bills a GPU-hour, each
 * carries the whole fixed cost.
 */
import { breakEvenUtilization, passesBreakEvenGate } from "./break-even";
import { EKS_FEES } from "./catalog";
import { resolveArchitecture } from "./catalog";
import { weightGiB } from "./capacity";
import type { PricePerMillion, WorkloadProfile } from "./schema";
import { tcoOf, type TcoPoint } from "./tco";
import { HOURS_PER_MONTH, type ReplicaCapacity, type SimulationResult, type StackContext, type WorkloadFacts } from "./types";
import { workloadUsage, type Backlog, type QueueTargetCheck, type UsageOptions, type WorkloadUsage } from "./usage";

export { pickInstanceType, resolveApiPrice, sizedReplicaCapacity } from "./usage";

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
  /** Served tokens ÷ what the billed GPUs could serve (billed GPU-hours ÷ GPUs per replica × K). */
  readonly modeledUtilization: number;
  /** null when fixed costs alone reach the API bill. */
  readonly breakEvenUtilization: number | null;
  /** Utilization the gate demands: break-even × (1 + margin). null when there is no break-even. */
  readonly requiredUtilization: number | null;
  readonly passesGate: boolean;
  /** Why the gate refuses besides utilization (an unreachable queue target, an unserved backlog); null when it does not. */
  readonly refusal: string | null;
  /** Owning the target share: fixed share + nodes + Auto Mode fees + NAT egress of weight downloads + what goes to the API anyway, USD/month. */
  readonly ownedMonthlyUsd: number;
  /** The same traffic bought from the API, USD/month. */
  readonly apiMonthlyUsd: number;
  readonly savingsMonthlyUsd: number;
  /** Months until this workload's share of the migration cost is repaid; null when owning saves nothing. */
  readonly paybackMonths: number | null;
  /** GPU-hours billed in whole nodes. */
  readonly gpuHoursPerMonth: number;
  /** GPU-hours the replicas themselves occupy (≤ billed). */
  readonly replicaGpuHoursPerMonth: number;
  readonly nodeHoursPerMonth: number;
  /** Replicas the simulated month starts (interactive scale-ups, batch Jobs): each downloads the weights once. */
  readonly replicaStartsPerMonth: number;
  readonly replicaTokensPerSecond: number;
  readonly costPerMillionTokensUsd: { readonly owned: number | null; readonly api: number };
  /** Parts of the owned cost, USD/month; `gpuUsd` = `ec2Usd` + `autoModeFeeUsd`. */
  readonly ownedCostBreakdown: {
    readonly fixedUsd: number;
    readonly gpuUsd: number;
    readonly ec2Usd: number;
    readonly autoModeFeeUsd: number;
    /** Weights downloaded from the hub through the NAT gateway, one checkpoint per replica start (0 when they come from S3). */
    readonly natEgressUsd: number;
    readonly overflowApiUsd: number;
    readonly backlogApiUsd: number;
  };
  /** This workload's share of the stack's fixed costs and migration cost (by billed GPU-hours). */
  readonly fixedCostShare: number;
  /** USD per replica-hour of billed capacity ((node bill + NAT egress) ÷ billed GPU-hours × GPUs per replica): p in the break-even. */
  readonly replicaUsdPerHour: number;
  /** The instance type the nodes are mostly of at peak. */
  readonly instanceType: string;
  /** Instance types of the nodes at the group's most replicas, one entry per node. */
  readonly nodesAtPeak: readonly string[];
  readonly capacity: ReplicaCapacity;
  /**
   * The verdict flips inside the capacity range: the gate refuses at the conservative (low) end
   * of a roofline's K but would pass at its high end. Measure throughput before deciding.
   */
  readonly capacityMarginal: boolean;
  readonly simulation: SimulationResult;
  readonly backlog: Backlog;
  readonly queueTarget: QueueTargetCheck | null;
  readonly apiPricePerMillion: PricePerMillion;
  /** Total cost of ownership at 12, 24 and 36 months. */
  readonly tco: readonly TcoPoint[];
}

/** The stack as a whole: what it costs to own everything it declares, against the API for all of it. */
export interface StackTotals {
  /** Control plane, staff and other fixed costs, once for the stack, USD/month. */
  readonly fixedMonthlyUsd: number;
  readonly ownedMonthlyUsd: number;
  readonly apiMonthlyUsd: number;
  readonly savingsMonthlyUsd: number;
  /** The stack-level check: owning everything costs no more than the API for all of it. */
  readonly ownedWithinApi: boolean;
  readonly paybackMonths: number | null;
  readonly tco: readonly TcoPoint[];
}

export interface StackEconomics {
  readonly workloads: readonly WorkloadEvaluation[];
  readonly totals: StackTotals;
}

/** Overflow share above which a passing workload is called hybrid: owned base load, API peaks. */
export const HYBRID_OVERFLOW_SHARE = 0.05;

/** The stack's fixed monthly cost: EKS control plane, operations staff, other fixed costs. */
export function stackFixedMonthlyUsd(context: StackContext): number {
  const { economics } = context;
  const staff = (economics.operations.fte * economics.operations.loadedAnnualCostUsd) / 12;
  const controlPlane = EKS_FEES.controlPlaneUsdPerHour * HOURS_PER_MONTH;
  return staff + controlPlane + economics.fixedMonthlyUsd;
}

/** Shares of the fixed costs by billed GPU-hours; each carries all of it when nothing bills a GPU-hour. */
export function fixedCostShares(usages: readonly Pick<WorkloadUsage, "billedGpuHours">[]): number[] {
  const total = usages.reduce((sum, u) => sum + u.billedGpuHours, 0);
  return usages.map((u) => (total > 0 ? u.billedGpuHours / total : 1));
}

/** Evaluate every workload of a stack together: fixed costs are shared by billed GPU-hours. Throws on a workload it cannot price. */
export function evaluateWorkloads(facts: readonly WorkloadFacts[], context: StackContext, options: Pick<UsageOptions, "stepSeconds"> = {}): StackEconomics {
  return priceStack(
    facts.map((f) => workloadUsage(f, context, options)),
    context,
    options,
  );
}

/**
 * Like `evaluateWorkloads`, but a workload that cannot be priced (a replica wider than any instance,
 * a price the catalog lacks) comes back as its error and takes no share of the fixed costs: the gate
 * refuses it on its own and still evaluates the rest.
 */
export function evaluateWorkloadsSettled(
  facts: readonly WorkloadFacts[],
  context: StackContext,
  options: Pick<UsageOptions, "stepSeconds"> = {},
): { readonly results: readonly (WorkloadEvaluation | Error)[]; readonly totals: StackTotals } {
  const settled = facts.map((f) => {
    try {
      return workloadUsage(f, context, options);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  });
  const usages = settled.filter((u): u is WorkloadUsage => !(u instanceof Error));
  const stack = priceStack(usages, context, options);
  let next = 0;
  return { results: settled.map((u) => (u instanceof Error ? u : stack.workloads[next++]!)), totals: stack.totals };
}

function priceStack(usages: readonly WorkloadUsage[], context: StackContext, options: Pick<UsageOptions, "stepSeconds">): StackEconomics {
  const shares = fixedCostShares(usages);
  const fixedTotal = stackFixedMonthlyUsd(context);
  const workloads = usages.map((usage, i) => withCapacityRange(usage, priceUsage(usage, shares[i]!, fixedTotal, context, options), shares[i]!, fixedTotal, context, options));
  const variable = workloads.reduce((sum, w) => sum + w.ownedMonthlyUsd - w.ownedCostBreakdown.fixedUsd, 0);
  const owned = fixedTotal + variable;
  const api = workloads.reduce((sum, w) => sum + w.apiMonthlyUsd, 0);
  const savings = api - owned;
  const tco = workloads.length === 0 ? [] : workloads[0]!.tco.map((point, h) => sumTco(workloads.map((w) => w.tco[h]!), point.months));
  return {
    workloads,
    totals: {
      fixedMonthlyUsd: fixedTotal,
      ownedMonthlyUsd: owned,
      apiMonthlyUsd: api,
      savingsMonthlyUsd: savings,
      ownedWithinApi: owned <= api,
      paybackMonths: savings > 0 ? context.economics.migrationCostUsd / savings : null,
      tco,
    },
  };
}

function sumTco(points: readonly TcoPoint[], months: number): TcoPoint {
  const owned = points.reduce((s, p) => s + p.ownedUsd, 0);
  const api = points.reduce((s, p) => s + p.apiUsd, 0);
  return { months, ownedUsd: owned, apiUsd: api, savingsUsd: api - owned };
}

/** The stack-level check over the workloads not under a waiver: all the stack's fixed costs against their API bill. */
export interface StackCheck {
  readonly ownedMonthlyUsd: number;
  readonly apiMonthlyUsd: number;
  readonly passes: boolean;
  /** Workloads left out because a valid waiver covers them. */
  readonly waived: readonly string[];
}

/**
 * Owning the unwaived workloads, with every dollar of the stack's fixed costs (a waived workload's
 * share moves onto the rest), against the API for the same traffic. The gate and the CLI both use it.
 */
export function stackCheck(workloads: readonly WorkloadEvaluation[], fixedMonthlyUsd: number, waived: ReadonlySet<string>): StackCheck {
  const counted = workloads.filter((w) => !waived.has(w.name));
  const owned = fixedMonthlyUsd + counted.reduce((sum, w) => sum + w.ownedMonthlyUsd - w.ownedCostBreakdown.fixedUsd, 0);
  const api = counted.reduce((sum, w) => sum + w.apiMonthlyUsd, 0);
  return { ownedMonthlyUsd: owned, apiMonthlyUsd: api, passes: counted.length === 0 || owned <= api, waived: workloads.filter((w) => waived.has(w.name)).map((w) => w.name) };
}

/** Evaluate one workload as if it were the stack's only one (it carries all the fixed costs). */
export function evaluateWorkload(facts: WorkloadFacts, context: StackContext, options: Pick<UsageOptions, "stepSeconds"> = {}): WorkloadEvaluation {
  return evaluateWorkloads([facts], context, options).workloads[0]!;
}

/** Costs, break-even, gate and verdict of one usage, given its share of the fixed costs. */
function priceUsage(
  usage: WorkloadUsage,
  fixedShare: number,
  fixedTotal: number,
  context: StackContext,
  options: Pick<UsageOptions, "stepSeconds">,
  parts: { readonly tco: boolean } = { tco: true },
): WorkloadEvaluation {
  const { facts, capacity, simulation } = usage;
  const { profile } = facts;
  const share = profile.rollout.targetOwnedPercent / 100;
  const fixedUsd = fixedTotal * fixedShare;
  const gpuUsd = usage.ec2Usd + usage.autoModeFeeUsd;
  // Weight downloads come with replica starts, so they scale with the replica-hours the break-even prices.
  const variableUsd = gpuUsd + usage.natEgressUsd;
  const work = simulation.servedTokens;
  const replicaSlotHours = usage.billedGpuHours / facts.gpusPerReplica;
  const cheapestSlot = Math.min(...usage.nodeOptions.map((o) => (o.ec2UsdPerHour + o.feeUsdPerHour) / o.replicasPerNode));
  const pricePerReplicaHour = replicaSlotHours > 0 ? variableUsd / replicaSlotHours : cheapestSlot;
  const provisionedTokens = replicaSlotHours * 3600 * capacity.tokensPerSecond;
  const modeledUtilization = provisionedTokens > 0 ? work / provisionedTokens : 0;
  const ownedMonthlyUsd = fixedUsd + variableUsd + usage.overflowApiUsd + usage.backlogApiUsd;
  const apiMonthlyUsd = usage.apiUsd(usage.demandTokens);
  const breakEven =
    capacity.fits && work > 0
      ? breakEvenUtilization({
          workTokensPerMonth: work,
          replicaTokensPerSecond: capacity.tokensPerSecond,
          replicaUsdPerHour: pricePerReplicaHour,
          fixedMonthlyUsd: fixedUsd,
          apiMonthlyUsd: usage.apiUsd(work),
        })
      : null;
  const margin = context.economics.marginOfSafety;
  const refusal = refusalOf(usage);
  const passesGate = capacity.fits && refusal === null && passesBreakEvenGate(modeledUtilization, breakEven, margin);
  const savingsMonthlyUsd = apiMonthlyUsd - ownedMonthlyUsd;
  const migrationUsd = context.economics.migrationCostUsd * fixedShare;
  const nodesAtPeak = usage.nodesAtPeak;
  const evaluation = {
    name: profile.name,
    tier: profile.tier,
    targetOwnedShare: share,
    modeledUtilization,
    breakEvenUtilization: breakEven,
    requiredUtilization: breakEven === null ? null : breakEven * (1 + margin),
    passesGate,
    refusal,
    ownedMonthlyUsd,
    apiMonthlyUsd,
    savingsMonthlyUsd,
    paybackMonths: savingsMonthlyUsd > 0 ? migrationUsd / savingsMonthlyUsd : null,
    gpuHoursPerMonth: usage.billedGpuHours,
    replicaGpuHoursPerMonth: simulation.gpuHours,
    nodeHoursPerMonth: usage.nodeHours,
    replicaStartsPerMonth: simulation.replicaStarts,
    replicaTokensPerSecond: capacity.tokensPerSecond,
    costPerMillionTokensUsd: {
      owned: work > 0 ? ((fixedUsd + variableUsd) / work) * 1e6 : null,
      api: usage.demandTokens > 0 ? (apiMonthlyUsd / usage.demandTokens) * 1e6 : 0,
    },
    ownedCostBreakdown: { fixedUsd, gpuUsd, ec2Usd: usage.ec2Usd, autoModeFeeUsd: usage.autoModeFeeUsd, natEgressUsd: usage.natEgressUsd, overflowApiUsd: usage.overflowApiUsd, backlogApiUsd: usage.backlogApiUsd },
    fixedCostShare: fixedShare,
    replicaUsdPerHour: pricePerReplicaHour,
    instanceType: mostCommon(nodesAtPeak) ?? usage.nodeOptions[0]!.instanceType,
    nodesAtPeak,
    capacity,
    capacityMarginal: false,
    simulation,
    backlog: usage.backlog,
    queueTarget: usage.queueTarget,
    apiPricePerMillion: usage.apiPrice,
    tco: parts.tco ? tcoOf(usage, { fixedUsd, gpuUsd, ownedMonthlyUsd, apiMonthlyUsd, migrationUsd }, context, options) : [],
  };
  const { verdict, reasons } = decide(evaluation, facts);
  return { ...evaluation, verdict, reasons };
}

/**
 * A roofline's K is a range (its calibration's leave-out error) and the gate plans on the low
 * end. When that refuses, price the same month at the high end: if it would pass, the verdict
 * flips inside the range and the evaluation says so ("marginal: measure first").
 */
function withCapacityRange(
  usage: WorkloadUsage,
  low: WorkloadEvaluation,
  fixedShare: number,
  fixedTotal: number,
  context: StackContext,
  options: Pick<UsageOptions, "stepSeconds">,
): WorkloadEvaluation {
  if (low.passesGate || !low.capacity.fits || low.capacity.basis !== "roofline" || low.refusal !== null) return low;
  const highUsage = workloadUsage(usage.facts, context, { ...options, capacityEnd: "high", nodeOptions: usage.nodeOptions });
  if (!priceUsage(highUsage, fixedShare, fixedTotal, context, options, { tco: false }).passesGate) return low;
  const r = low.capacity.tokensPerSecondRange;
  const detail =
    `marginal: measure first — the verdict flips inside the capacity range (${Math.round(r.low)}–${Math.round(r.high)} tok/s per replica, ` +
    `the calibration's leave-out error): the gate plans on the low end and refuses, the high end would pass; set serving.measuredTokensPerSecond from a load test to decide`;
  return { ...low, capacityMarginal: true, reasons: [...low.reasons, { factor: "capacity", favours: "own", detail }] };
}

function mostCommon(list: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const item of list) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}

/** Refusals that no utilization can cure. */
function refusalOf(usage: WorkloadUsage): string | null {
  const q = usage.queueTarget;
  if (q !== null && !q.reachable) {
    return (
      `the queue target of ${fmt(q.targetQueuePerReplica)} waiting requests per replica can never be reached: the SLO sends work to the API once a replica has ` +
      `about ${fmt(q.maxReachableQueuePerReplica * 1.1)} waiting, and the autoscaler acts only 10 % above its target, so it never scales up; set serving.targetQueueDepthPerReplica below ${fmt(q.maxReachableQueuePerReplica)}`
    );
  }
  const b = usage.backlog;
  if (b.disposition === "refuse") {
    return (
      `under-provisioned: ${pct(b.share)} of the month's owned batch work is still queued at its end (the backlog keeps growing); ` +
      `raise serving.maxReplicas to at least ${b.minReplicasForDemand} (the fewest replicas that serve the demand running flat out), or set economics.unservedBatchWork to send-to-api in the policy config`
    );
  }
  return null;
}

type Undecided = Omit<WorkloadEvaluation, "verdict" | "reasons">;

/** Verdict and reasons from the seeds' decision factors: volume, burstiness, latency class, fixed costs. Reasons quote whole bills. */
function decide(e: Undecided, facts: WorkloadFacts): { verdict: Verdict; reasons: Reason[] } {
  const reasons: Reason[] = [];
  const { traffic, tier } = facts.profile;
  const fixedUsd = e.ownedCostBreakdown.fixedUsd;
  if (!e.capacity.fits) {
    reasons.push({ factor: "fit", favours: "api", detail: e.capacity.reason ?? "the model does not fit on one replica" });
    return { verdict: "api", reasons };
  }
  if (e.refusal !== null) reasons.push({ factor: "capacity", favours: "api", detail: e.refusal });
  const bills = `owning costs ${usd(e.ownedMonthlyUsd)}/month against ${usd(e.apiMonthlyUsd)}/month on the API`;
  if (e.breakEvenUtilization === null) {
    reasons.push({ factor: "fixed-costs", favours: "api", detail: `fixed costs of ${usd(fixedUsd)}/month alone reach the API bill of ${usd(e.apiMonthlyUsd)}/month; ${bills}` });
  } else if (e.breakEvenUtilization > 1) {
    reasons.push({ factor: "volume", favours: "api", detail: `break-even needs ${pct(e.breakEvenUtilization)} utilization, more than the GPUs can give: volume is too low for the API's price; ${bills}` });
  } else {
    reasons.push({
      factor: "volume",
      favours: e.passesGate ? "own" : "api",
      detail: `modeled utilization ${pct(e.modeledUtilization)} against ${pct(e.requiredUtilization!)} required (break-even ${pct(e.breakEvenUtilization)} plus margin); ${bills}`,
    });
  }
  if (e.breakEvenUtilization !== null && fixedUsd > 0.5 * e.apiMonthlyUsd) {
    reasons.push({ factor: "fixed-costs", favours: "api", detail: `fixed costs (${usd(fixedUsd)}/month: this workload's GPU-hour share of staff and control plane) are ${pct(fixedUsd / Math.max(e.apiMonthlyUsd, 1e-9))} of its whole API bill` });
  }
  const queueBlocked = e.queueTarget !== null && !e.queueTarget.reachable;
  if (!queueBlocked && (traffic.peakToMeanRatio >= 3 || e.simulation.overflowShare > HYBRID_OVERFLOW_SHARE)) {
    reasons.push({
      factor: "burstiness",
      favours: "api",
      detail: `peak-to-mean ${traffic.peakToMeanRatio.toFixed(1)}: replicas sized for peaks idle off-peak; ${pct(e.simulation.overflowShare)} of owned traffic overflowed to the API`,
    });
  }
  if (e.backlog.disposition === "send-to-api") {
    reasons.push({ factor: "capacity", favours: "api", detail: `${pct(e.backlog.share)} of the month's owned batch work is left undone and sent to the API (${usd(e.ownedCostBreakdown.backlogApiUsd)}/month, counted in the owned bill)` });
  }
  if (tier === "interactive") {
    reasons.push({
      factor: "latency",
      favours: "api",
      detail: `interactive: at least ${facts.autoscaler.minReplicas} replica(s) stay up and each runs below saturation to keep P(wait) within the SLO`,
    });
  }
  if (!e.passesGate) return { verdict: "api", reasons };
  const hybrid = e.simulation.overflowShare > HYBRID_OVERFLOW_SHARE || e.backlog.disposition === "send-to-api";
  return { verdict: hybrid ? "hybrid" : "own", reasons };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
}
function usd(x: number): string {
  const rounded = Math.round(x);
  return `${rounded < 0 ? "-" : ""}$${Math.abs(rounded).toLocaleString("en-US")}`;
}
function fmt(x: number): string {
  return x >= 10 ? Math.round(x).toLocaleString("en-US") : x.toFixed(2).replace(/\.?0+$/, "");
}

/** Weight size of a workload's model, GiB: sizes the default cold start. */
export function workloadWeightGiB(profile: WorkloadProfile): number {
  return weightGiB(resolveArchitecture(profile.model), profile.model.weightPrecision);
}
