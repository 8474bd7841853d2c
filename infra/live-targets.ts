/**
 * What the live rules hold each workload to, taken from the same evaluation the gate and
 * `npm run cost` run (infra/stack-economics.ts), so an alert and the gate never disagree on a number.
 */
import { HYBRID_OVERFLOW_SHARE, workloadWeightGiB } from "../policies/economics/evaluate";
import { sloSchema } from "../policies/economics/schema";
import { HOURS_PER_MONTH } from "../policies/economics/types";
import type { LivePoolTarget, LiveWorkloadTargets } from "../components/internal/live-rules";
import type { StackConfig } from "./config";
import { servingPlan } from "./serving-plan";
import type { StackEvaluation } from "./stack-economics";

/**
 * The rules' targets for every workload of an evaluated stack.
 * `servedModelNames` maps a workload to its vLLM `--served-model-name` when it is not the workload name.
 */
export function liveTargets(
  config: StackConfig,
  evaluation: StackEvaluation,
  servedModelNames: Readonly<Record<string, string>> = {},
): { workloads: LiveWorkloadTargets[]; pools: LivePoolTarget[] } {
  const workloads = config.workloads.flatMap((workload): LiveWorkloadTargets[] => {
    const e = evaluation.workloads.find((candidate) => candidate.name === workload.name);
    if (e === undefined) throw new Error(`live targets: workload ${workload.name} has no evaluation`);
    // A model that does not fit its replica serves nothing owned: no capacity to measure against.
    if (!e.capacity.fits) return [];
    const { tenant: _tenant, serving: _serving, ...profile } = workload;
    const plan = servingPlan(config, workload, workloadWeightGiB(profile));
    const slo = workload.tier === "interactive" ? (workload.slo ?? sloSchema.parse({})) : undefined;
    return [{
      workload: workload.name,
      tier: workload.tier,
      namespace: workload.tenant,
      servedModelName: servedModelNames[workload.name] ?? workload.name,
      workloadObjectName: workload.name,
      replicaTokensPerSecond: e.replicaTokensPerSecond,
      replicaUsdPerHour: e.replicaUsdPerHour,
      fixedUsdPerHour: e.ownedCostBreakdown.fixedUsd / HOURS_PER_MONTH,
      apiPricePerMillion: e.apiPricePerMillion,
      modeledUtilization: e.modeledUtilization,
      breakEvenUtilization: e.breakEvenUtilization,
      requiredUtilization: e.requiredUtilization,
      targetOwnedShare: e.targetOwnedShare,
      // Spill the model did not cost, past the share where the verdict would turn hybrid.
      spillShareThreshold: Math.max(e.simulation.overflowShare, HYBRID_OVERFLOW_SHARE),
      maxReplicas: plan.maxReplicas,
      targetQueuePerReplica: plan.targetQueueDepthPerReplica,
      ...(plan.batch !== undefined ? { requestsPerBatchFile: plan.batch.requestsPerFile } : {}),
      // TTFT: a request may wait the SLO's queue time before the router spills it; TPOT is the SLO's own.
      ...(slo !== undefined ? { slo: { timeToFirstTokenSeconds: slo.maxQueueWaitSeconds, timePerOutputTokenSeconds: slo.timePerOutputTokenMs / 1000 } } : {}),
    }];
  });
  const pools = config.cluster.gpuPools.map((pool) => ({ name: pool.name, gpuLimit: pool.gpuLimit }));
  return { workloads, pools };
}
