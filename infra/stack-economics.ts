/**
 * The stack config, seen by the cost model: each workload's facts through `servingPlan`
 * (the numbers the components deploy), evaluated together with the shared economics — fixed
 * costs shared by billed GPU-hours, the stack-level check, TCO — and the cheapest shape of each.
 */
import { catalogAsOf } from "../policies/economics/catalog";
import { cheapestFeasibleShape, type GpuShape } from "../policies/economics/cheapest-shape";
import { evaluateWorkloads, stackCheck, workloadWeightGiB, type StackCheck, type StackTotals, type WorkloadEvaluation } from "../policies/economics/evaluate";
import type { StackContext, WorkloadFacts } from "../policies/economics/types";
import { waiverCovers, type Waiver } from "../policies/waivers";
import { CONFIG_NAMESPACE, StackConfigError, type StackConfig, type WorkloadConfig } from "./config";
import type { EconomicsSource } from "./economics-source";
import { servingPlan } from "./serving-plan";

export interface StackEvaluation {
  readonly stack: string;
  readonly catalogAsOf: { readonly oldest: string; readonly newest: string };
  readonly marginOfSafety: number;
  /** Where the economics assumptions came from: the policy config, or null (stack file / defaults, with a warning). */
  readonly economicsFile: string | null;
  readonly warnings: readonly string[];
  readonly workloads: readonly (WorkloadEvaluation & { readonly cheapestShape: GpuShape | null })[];
  readonly totals: StackTotals;
  /** The gate's stack-level check: all fixed costs against the API bill of the workloads no waiver covers. */
  readonly stackCheck: StackCheck;
}

export function stackContext(config: StackConfig): StackContext {
  return {
    economics: config.economics,
    autoMode: config.cluster.nodeProvisioning === "auto-mode",
    region: config.cluster.region,
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
    weights: { source: plan.weightsSource, downloadGiB: plan.downloadGiB },
  };
}

export interface EvaluateStackOptions {
  /** Search the catalog for each workload's cheapest shape. @default true */
  readonly cheapestShape?: boolean;
  /** Where `config.economics` came from (`withResolvedEconomics`). @default - unknown: reported as the stack file's */
  readonly economicsSource?: EconomicsSource;
  /** The stack file: when given, a queue target the autoscaler can never reach refuses the run, naming this file and the key. @default - not checked here (the gate still refuses it) */
  readonly stackFile?: string;
}

export function evaluateStack(config: StackConfig, stack: string, options: EvaluateStackOptions = {}): StackEvaluation {
  const context = stackContext(config);
  const facts = config.workloads.map((workload) => workloadFacts(config, workload));
  const economics = evaluateWorkloads(facts, context);
  if (options.stackFile !== undefined) refuseUnreachableQueueTargets(economics.workloads, options.stackFile);
  const workloads = economics.workloads.map((evaluation, i) => ({
    ...evaluation,
    cheapestShape: options.cheapestShape === false ? null : cheapestFeasibleShape(facts[i]!, context, evaluation.ownedCostBreakdown.fixedUsd),
  }));
  return {
    stack,
    catalogAsOf: catalogAsOf(),
    marginOfSafety: config.economics.marginOfSafety,
    economicsFile: options.economicsSource?.file ?? null,
    warnings: options.economicsSource?.warnings ?? [],
    workloads,
    totals: economics.totals,
    stackCheck: stackCheck(economics.workloads, economics.totals.fixedMonthlyUsd, waivedAtTheirShare(economics.workloads, options.economicsSource?.waivers ?? [])),
  };
}

/** Workloads a waiver covers at the share they are evaluated at (a 10 % pilot's waiver does not cover 60 %), as the gate decides. */
function waivedAtTheirShare(workloads: readonly WorkloadEvaluation[], waivers: readonly Waiver[]): Set<string> {
  const byWorkload = new Map(waivers.map((w) => [w.workload, w]));
  return new Set(workloads.filter((e) => { const w = byWorkload.get(e.name); return w !== undefined && waiverCovers(w, e.targetOwnedShare); }).map((e) => e.name));
}

/** An interactive queue target the autoscaler can never reach is a config error: name the key and the number that would work. */
function refuseUnreachableQueueTargets(workloads: readonly WorkloadEvaluation[], stackFile: string): void {
  const file = stackFile.split(/[\\/]/).pop() ?? stackFile;
  const problems = workloads.flatMap((w, i) => {
    const q = w.queueTarget;
    if (q === null || q.reachable) return [];
    return [
      `${file}: ${CONFIG_NAMESPACE}:workloads[${i}].serving.targetQueueDepthPerReplica: ${q.targetQueuePerReplica} can never be reached (a replica of ${Math.round(w.replicaTokensPerSecond)} tok/s sends work to the API ` +
        `after the SLO's queue wait, before that many requests wait, so the autoscaler never scales up); set it below ${q.maxReachableQueuePerReplica.toFixed(2)}`,
    ];
  });
  if (problems.length > 0) throw new StackConfigError(file, problems);
}
