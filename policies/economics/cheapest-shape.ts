/**
 * The cheapest GPU shape in the catalog that can serve a workload: every instance type in the
 * catalog at every replica width (1, 2, 4, 8 GPUs) it holds, each billed in whole nodes of that
 * type, with replica bounds rescaled so each shape covers the same peak.
 *
 * Exhaustive over the catalog and at the gate's own simulation step, so the shape it names is the
 * one the gate would price cheapest. It stays fast because the month of arrivals is generated once
 * for the workload's traffic shape and shared by every candidate (`sharedRequestsPerStep`), and a
 * replica's capacity is sized once per GPU model and width.
 */
import { instanceById, INSTANCE_TYPES } from "./catalog";
import type { ReplicaCapacity, StackContext, WorkloadFacts } from "./types";
import { nodeOption, sizedReplicaCapacity, workloadUsage } from "./usage";

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
  const capacities = new Map<string, ReplicaCapacity>();
  // A shape that leaves batch work undone pays the API for it: never cheap by doing less.
  const searchContext: StackContext = { ...context, economics: { ...context.economics, unservedBatchWork: "send-to-api" } };
  let cheapest: GpuShape | null = null;
  for (const candidate of catalogCandidates(facts)) {
    const key = `${instanceById(candidate.instanceType).gpu}/${candidate.gpusPerReplica}`;
    let capacity = capacities.get(key);
    if (capacity === undefined) {
      capacity = sizedReplicaCapacity(candidate.facts, candidate.instanceType);
      capacities.set(key, capacity);
    }
    if (!capacity.fits || capacity.tokensPerSecond <= 0) continue;
    let option;
    try {
      option = nodeOption(candidate.instanceType, candidate.facts, context);
    } catch {
      continue; // no price for this capacity type
    }
    const maxReplicas = rescaledMaxReplicas(facts, capacity.tokensPerSecond);
    const shaped: WorkloadFacts = { ...candidate.facts, autoscaler: { ...facts.autoscaler, maxReplicas } };
    const usage = workloadUsage(shaped, searchContext, { capacity, nodeOptions: [option] });
    const owned = fixedMonthlyUsd + usage.ec2Usd + usage.autoModeFeeUsd + usage.overflowApiUsd + usage.backlogApiUsd;
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
