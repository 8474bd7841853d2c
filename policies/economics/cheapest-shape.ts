/**
 * The cheapest GPU shape in the catalog that can serve a workload: every instance type in the
 * catalog at every replica width (1, 2, 4, 8 GPUs) it holds, each billed in whole nodes of that
 * type, with replica bounds rescaled so each shape covers the same peak.
 *
 * Exhaustive over the catalog and at the gate's own simulation step, so the shape it names is the
 * one the gate would price cheapest. It stays fast because the month of arrivals is generated once
 * for the workload's traffic shape and shared by every candidate (`sharedRequestsPerStep`), a
 * replica's capacity is sized once per GPU model and width, and shapes are simulated cheapest
 * lower bound first, stopping once no remaining shape's lower bound beats the best month found.
 */
import { instanceById, INSTANCE_TYPES } from "./catalog";
import { apiCostUsd, splitTokens } from "./break-even";
import type { NodeOption } from "./node-packing";
import { DEFAULT_MAX_QUEUE_WAIT_SECONDS } from "./simulation";
import { HOURS_PER_MONTH, type ReplicaCapacity, type StackContext, type WorkloadFacts } from "./types";
import { BATCH_CARRY_OVER_SHARE, nodeOption, resolveApiPrice, sizedReplicaCapacity, workloadUsage } from "./usage";

export interface GpuShape {
  readonly instanceType: string;
  readonly gpusPerReplica: number;
  readonly maxReplicas: number;
  readonly replicaTokensPerSecond: number;
  /** Fixed share given + whole nodes + Auto Mode fees + what still goes to the API, USD/month. */
  readonly ownedMonthlyUsd: number;
  /** Whether owning on this shape costs less than the API (at the fixed share given). */
  readonly cheaperThanApi: boolean;
}

export const REPLICA_WIDTHS = [1, 2, 4, 8] as const;
/** Peak headroom when rescaling maxReplicas for a shape: 20 % above the busiest hour. */
const PEAK_HEADROOM = 1.2;

/** A candidate shape: the workload served by whole nodes of one instance type at one replica width. */
export interface ShapeCandidate {
  readonly facts: WorkloadFacts;
  readonly instanceType: string;
  readonly gpusPerReplica: number;
}

/** Every (instance type, width) of the catalog that can carry a replica, with its facts (maxReplicas still the workload's). */
export function catalogCandidates(facts: WorkloadFacts): ShapeCandidate[] {
  const out: ShapeCandidate[] = [];
  for (const instance of INSTANCE_TYPES) {
    for (const width of REPLICA_WIDTHS) {
      if (width > instance.gpuCount) continue;
      out.push({
        instanceType: instance.id,
        gpusPerReplica: width,
        facts: {
          ...facts,
          instanceTypes: [instance.id],
          gpusPerReplica: width,
          measuredTokensPerSecond: undefined, // a measurement belongs to the configured shape only
          hourlyPriceUsd: undefined, // so does a negotiated rate
        },
      });
    }
  }
  return out;
}

/** maxReplicas that covers the owned peak with 20 % headroom at this replica capacity. */
export function rescaledMaxReplicas(facts: WorkloadFacts, replicaTokensPerSecond: number): number {
  const { traffic } = facts.profile;
  const share = facts.profile.rollout.targetOwnedPercent / 100;
  const peakTokensPerSecond = ((traffic.requestsPerMonth * share * (traffic.meanInputTokens + traffic.meanOutputTokens)) / (730 * 3600)) * traffic.peakToMeanRatio;
  return Math.max(facts.autoscaler.minReplicas, 1, Math.ceil((peakTokensPerSecond * PEAK_HEADROOM) / replicaTokensPerSecond));
}

/**
 * The cheapest shape, or null when no shape in the catalog can hold the model.
 *
 * @param fixedMonthlyUsd the workload's share of fixed costs, added to every candidate (it does not change which is cheapest). @default 0
 */
export function cheapestFeasibleShape(facts: WorkloadFacts, context: StackContext, fixedMonthlyUsd = 0): GpuShape | null {
  // A shape that leaves batch work undone pays the API for it: never cheap by doing less.
  const searchContext: StackContext = { ...context, economics: { ...context.economics, unservedBatchWork: "send-to-api" } };
  const capacities = new Map<string, ReplicaCapacity>();
  const priced: { candidate: ShapeCandidate; capacity: ReplicaCapacity; option: NodeOption; maxReplicas: number; lowerBound: number }[] = [];
  const apiUsd = demandApiUsd(facts, searchContext);
  for (const candidate of catalogCandidates(facts)) {
    const key = `${instanceById(candidate.instanceType).gpu}/${candidate.gpusPerReplica}`;
    let capacity = capacities.get(key);
    if (capacity === undefined) {
      capacity = sizedReplicaCapacity(candidate.facts, candidate.instanceType);
      capacities.set(key, capacity);
    }
    if (!capacity.fits || capacity.tokensPerSecond <= 0) continue;
    let option: NodeOption;
    try {
      option = nodeOption(candidate.instanceType, candidate.facts, searchContext);
    } catch {
      continue; // no price for this capacity type
    }
    const maxReplicas = rescaledMaxReplicas(facts, capacity.tokensPerSecond);
    priced.push({ candidate, capacity, option, maxReplicas, lowerBound: lowerBoundUsd(facts, candidate.facts, capacity, option, maxReplicas, apiUsd) });
  }
  // Simulate in order of the lower bound and stop once no remaining shape can beat the best: exact, and most shapes are never simulated.
  priced.sort((a, b) => a.lowerBound - b.lowerBound);
  let cheapest: GpuShape | null = null;
  for (const { candidate, capacity, option, maxReplicas, lowerBound } of priced) {
    if (cheapest !== null && fixedMonthlyUsd + lowerBound > cheapest.ownedMonthlyUsd) break;
    const shaped: WorkloadFacts = { ...candidate.facts, autoscaler: { ...facts.autoscaler, maxReplicas } };
    const usage = workloadUsage(shaped, searchContext, { capacity, nodeOptions: [option] });
    const owned = fixedMonthlyUsd + usage.ec2Usd + usage.autoModeFeeUsd + usage.natEgressUsd + usage.overflowApiUsd + usage.backlogApiUsd;
    if (cheapest === null || owned < cheapest.ownedMonthlyUsd) {
      cheapest = {
        instanceType: candidate.instanceType,
        gpusPerReplica: candidate.gpusPerReplica,
        maxReplicas,
        replicaTokensPerSecond: capacity.tokensPerSecond,
        ownedMonthlyUsd: owned,
        cheaperThanApi: owned < usage.apiUsd(usage.demandTokens),
      };
    }
  }
  return cheapest;
}

/** The API bill of the workload's whole owned demand, USD/month. */
function demandApiUsd(facts: WorkloadFacts, context: StackContext): number {
  const { traffic } = facts.profile;
  const tokens = traffic.requestsPerMonth * (facts.profile.rollout.targetOwnedPercent / 100) * (traffic.meanInputTokens + traffic.meanOutputTokens);
  return apiCostUsd(splitTokens(tokens, traffic.meanInputTokens, traffic.meanOutputTokens, traffic.prefixCacheHitRate), resolveApiPrice(facts.profile, context));
}

/**
 * A bill no month on this shape can undercut. Every owned-demand token is served (at least one
 * replica-slot's node price per K tokens), sent to the API (at its price), or left uncosted (at most
 * the batch carry-over, or what interactive replicas hold queued at the month's end); and a floor of
 * minReplicas bills its nodes every hour (a commitment bills its nodes for maxReplicas).
 */
function lowerBoundUsd(facts: WorkloadFacts, shaped: WorkloadFacts, capacity: ReplicaCapacity, option: NodeOption, maxReplicas: number, apiUsd: number): number {
  const { traffic } = facts.profile;
  const demand = traffic.requestsPerMonth * (facts.profile.rollout.targetOwnedPercent / 100) * (traffic.meanInputTokens + traffic.meanOutputTokens);
  if (demand <= 0) return 0;
  const slotUsdPerHour = (option.ec2UsdPerHour + option.feeUsdPerHour) / option.replicasPerNode;
  const servedUsdPerToken = slotUsdPerHour / (capacity.tokensPerSecond * 3600);
  const apiUsdPerToken = apiUsd / demand;
  const maxWait = facts.profile.tier === "interactive" ? (facts.profile.slo?.maxQueueWaitSeconds ?? DEFAULT_MAX_QUEUE_WAIT_SECONDS) : 0;
  const uncosted = BATCH_CARRY_OVER_SHARE * demand + maxReplicas * capacity.tokensPerSecond * maxWait;
  const work = Math.max(0, demand - uncosted) * Math.min(servedUsdPerToken, apiUsdPerToken);
  const floorReplicas = shaped.capacityType === "reserved" ? maxReplicas : facts.autoscaler.minReplicas;
  const floorNodes = Math.ceil(floorReplicas / option.replicasPerNode);
  const floor = floorNodes * HOURS_PER_MONTH * (shaped.capacityType === "reserved" ? option.ec2UsdPerHour : option.ec2UsdPerHour + option.feeUsdPerHour);
  // Lower bounds, less a hair for floating-point rounding so pruning never drops the true optimum.
  return Math.max(work, floor) * (1 - 1e-9);
}
