/**
 * The stack config, seen by the cost model: each workload's facts through `servingPlan`
 * (the numbers the components deploy), evaluated with the shared economics.
 */
import { catalogAsOf } from "../policies/economics/catalog";
import { cheapestFeasibleShape, type GpuShape } from "../policies/economics/cheapest-shape";
import { evaluateWorkload, workloadWeightGiB, type WorkloadEvaluation } from "../policies/economics/evaluate";
import type { StackContext, WorkloadFacts } from "../policies/economics/types";
import type { StackConfig, WorkloadConfig } from "./config";
import { servingPlan } from "./serving-plan";

export interface StackEvaluation {
  readonly stack: string;
  readonly catalogAsOf: { readonly oldest: string; readonly newest: string };
  readonly marginOfSafety: number;
  readonly workloads: readonly (WorkloadEvaluation & { readonly cheapestShape: GpuShape | null })[];
  readonly totals: { readonly ownedMonthlyUsd: number; readonly apiMonthlyUsd: number; readonly savingsMonthlyUsd: number };
}

export function stackContext(config: StackConfig): StackContext {
  return {
    economics: config.economics,
    autoMode: config.cluster.nodeProvisioning === "auto-mode",
    ownedWorkloadCount: config.workloads.length,
  };
}

/** What the cost model needs about one configured workload. */
export function workloadFacts(config: StackConfig, workload: WorkloadConfig): WorkloadFacts {
  const { tenant: _tenant, serving: _serving, ...profile } = workload;
  const plan = servingPlan(config, workload, workloadWeightGiB(profile));
  return {
    profile,
    instanceTypes: plan.instanceTypes,
    capacityType: plan.capacityType,
    gpusPerReplica: plan.gpusPerReplica,
    autoscaler: {
      minReplicas: plan.minReplicas,
      maxReplicas: plan.maxReplicas,
      targetQueuePerReplica: plan.targetQueueDepthPerReplica,
      scaleUpDelaySeconds: plan.coldStartSeconds,
      scaleDownCooldownSeconds: plan.scaleDownCooldownSeconds,
    },
    gpuMemoryUtilization: plan.gpuMemoryUtilization,
    ...(plan.measuredTokensPerSecond !== undefined ? { measuredTokensPerSecond: plan.measuredTokensPerSecond } : {}),
    ...(plan.hourlyPriceUsd !== undefined ? { hourlyPriceUsd: plan.hourlyPriceUsd } : {}),
    ...(plan.batch !== undefined ? { requestsPerBatchFile: plan.batch.requestsPerFile } : {}),
  };
}

export function evaluateStack(config: StackConfig, stack: string, options: { cheapestShape?: boolean } = {}): StackEvaluation {
  const context = stackContext(config);
  const workloads = config.workloads.map((workload) => {
    const facts = workloadFacts(config, workload);
    return { ...evaluateWorkload(facts, context), cheapestShape: options.cheapestShape === false ? null : cheapestFeasibleShape(facts, context) };
  });
  const owned = workloads.reduce((sum, w) => sum + w.ownedMonthlyUsd, 0);
  const api = workloads.reduce((sum, w) => sum + w.apiMonthlyUsd, 0);
  return {
    stack,
    catalogAsOf: catalogAsOf(),
    marginOfSafety: config.economics.marginOfSafety,
    workloads,
    totals: { ownedMonthlyUsd: owned, apiMonthlyUsd: api, savingsMonthlyUsd: api - owned },
  };
}
