/**
 * The cheapest GPU shape in the catalog that can serve a workload: every GPU model at every
 * replica width (1, 2, 4, 8 GPUs) it fits on, priced at the cheapest instance that carries it,
 * with replica bounds rescaled so each shape covers the same peak.
 */
import { INSTANCE_TYPES } from "./catalog";
import { evaluateWorkload, replicaUsdPerHour, sizedReplicaCapacity } from "./evaluate";
import type { StackContext, WorkloadFacts } from "./types";

export interface GpuShape {
  readonly instanceType: string;
  readonly gpusPerReplica: number;
  readonly maxReplicas: number;
  readonly replicaTokensPerSecond: number;
  readonly ownedMonthlyUsd: number;
  readonly passesGate: boolean;
}

/** Coarser steps than the gate's simulation: the search runs one month per shape. */
const SEARCH_STEP_SECONDS = 300;
const REPLICA_WIDTHS = [1, 2, 4, 8] as const;

/** Cheapest-per-replica instance for each (GPU model, replica width). */
function candidateShapes(facts: WorkloadFacts, context: StackContext): { instanceType: string; gpusPerReplica: number }[] {
  const best = new Map<string, { instanceType: string; gpusPerReplica: number; usd: number }>();
  for (const instance of INSTANCE_TYPES) {
    for (const width of REPLICA_WIDTHS) {
      if (width > instance.gpuCount) continue;
      let usd: number;
      try {
        usd = replicaUsdPerHour(instance.id, { ...facts, gpusPerReplica: width, hourlyPriceUsd: undefined }, context);
      } catch {
        continue; // no price for this capacity type
      }
      const key = `${instance.gpu}/${width}`;
      const current = best.get(key);
      if (current === undefined || usd < current.usd) best.set(key, { instanceType: instance.id, gpusPerReplica: width, usd });
    }
  }
  return [...best.values()].map(({ instanceType, gpusPerReplica }) => ({ instanceType, gpusPerReplica }));
}

/** null when no shape in the catalog can hold the model. */
export function cheapestFeasibleShape(facts: WorkloadFacts, context: StackContext): GpuShape | null {
  const { traffic } = facts.profile;
  const share = facts.profile.rollout.targetOwnedPercent / 100;
  const peakTokensPerSecond = ((traffic.requestsPerMonth * share * (traffic.meanInputTokens + traffic.meanOutputTokens)) / (730 * 3600)) * traffic.peakToMeanRatio;
  let cheapest: GpuShape | null = null;
  for (const shape of candidateShapes(facts, context)) {
    const candidate: WorkloadFacts = {
      ...facts,
      instanceTypes: [shape.instanceType],
      gpusPerReplica: shape.gpusPerReplica,
      measuredTokensPerSecond: undefined, // a measurement belongs to the configured shape only
      hourlyPriceUsd: undefined,
    };
    const capacity = sizedReplicaCapacity(candidate, shape.instanceType);
    if (!capacity.fits || capacity.tokensPerSecond <= 0) continue;
    const maxReplicas = Math.max(facts.autoscaler.minReplicas, 1, Math.ceil((peakTokensPerSecond * 1.2) / capacity.tokensPerSecond));
    const evaluation = evaluateWorkload({ ...candidate, autoscaler: { ...facts.autoscaler, maxReplicas } }, context, { stepSeconds: SEARCH_STEP_SECONDS, capacityEnd: "low" });
    if (cheapest === null || evaluation.ownedMonthlyUsd < cheapest.ownedMonthlyUsd) {
      cheapest = {
        instanceType: shape.instanceType,
        gpusPerReplica: shape.gpusPerReplica,
        maxReplicas,
        replicaTokensPerSecond: capacity.tokensPerSecond,
        ownedMonthlyUsd: evaluation.ownedMonthlyUsd,
        passesGate: evaluation.passesGate,
      };
    }
  }
  return cheapest;
}
