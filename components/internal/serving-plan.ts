/**
 * One source of truth for how a workload is served: the replica bounds, GPUs, queue target,
 * cooldown and cold start that the Deployment and its autoscaler deploy are the ones the cost
 * model simulates. The components and the program (`npm run cost` through infra/stack-economics)
 * both call `servingPlan`.
 *
 * It lives below the program (infra/) so the layering stays one way: economics ← pack contract ←
 * components ← infra. Its inputs are structural: the validated stack config satisfies them.
 */
import { estimateColdStartSeconds } from "../../policies/economics/capacity";
import { gpuById, instanceById, resolveArchitecture } from "../../policies/economics/catalog";
import { engineLimits, type EngineLimitsResult } from "../../policies/economics/engine-limits";
import { sloSchema, type WorkloadProfile } from "../../policies/economics/schema";
import type { CapacityType } from "../../policies/economics/types";
import { checkpointGiB, type WeightsSource } from "../../policies/economics/weights";

/**
 * Replicas an interactive Deployment starts above its count while it rolls out (`strategy.rollingUpdate.maxSurge`,
 * with `maxUnavailable: 0`, so a rollout never loses a replica). Batch ScaledJobs do not roll. The surge needs room
 * in the tenant's GPU quota, the pool's GPU limit and the EC2 vCPU quota at full scale.
 */
export const ROLLING_UPDATE_SURGE_REPLICAS = 1;

/** A GPU pool as the plan reads it (a `cluster.gpuPools[]` entry of the stack config). */
export interface PlannedPool {
  readonly name: string;
  readonly instanceTypes: readonly string[];
  readonly capacityType: CapacityType;
}

/** How a workload is served on owned GPUs (the stack config's `workloads[].serving`). */
export interface WorkloadServing {
  readonly gpuPool: string;
  readonly gpusPerReplica: number;
  readonly minReplicas?: number | undefined;
  readonly maxReplicas: number;
  readonly targetQueueDepthPerReplica: number;
  readonly scaleDownCooldownSeconds: number;
  readonly coldStartSeconds?: number | undefined;
  readonly requestsPerBatchFile: number;
  readonly gpuMemoryUtilization: number;
  readonly measuredTokensPerSecond?: number | undefined;
  readonly hourlyPriceUsd?: number | undefined;
  /** Longest context a request may have, tokens (vLLM `--max-model-len`). */
  readonly maxContextTokens?: number | undefined;
  /** Where replicas read the weights: the hub through the NAT, or the weights bucket through the S3 gateway endpoint. @default "hub" */
  readonly weightsSource?: WeightsSource | undefined;
  /** `weightsSource: s3`: the hub revision staged. @default "main" */
  readonly modelRevision?: string | undefined;
}

/** One owned workload: its profile (what the cost model reads), its tenant and how it is served. */
export type ServedWorkload = WorkloadProfile & { readonly tenant: string; readonly serving: WorkloadServing };

/** The part of the stack config a plan reads: the cluster's GPU pools. */
export interface ServingStack {
  readonly cluster: { readonly gpuPools: readonly PlannedPool[] };
}

export interface ServingPlan {
  readonly workload: string;
  readonly tenant: string;
  readonly tier: WorkloadProfile["tier"];
  readonly gpuPool: string;
  /** Instance types the pool may launch; the cost model prices the first (cheapest listed first is the user's choice). */
  readonly instanceTypes: readonly string[];
  readonly capacityType: CapacityType;
  readonly gpusPerReplica: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Waiting requests per replica that trigger scale-up; batch: a whole number of batch files' worth. */
  readonly targetQueueDepthPerReplica: number;
  /** Batch tiers: requests in one batch file, and files waiting per job (the ScaledJob's `queueLength`). */
  readonly batch?: { readonly requestsPerFile: number; readonly filesPerJob: number };
  /** Scale-down cooldown, seconds; never shorter than the cold start, so scaling does not thrash. */
  readonly scaleDownCooldownSeconds: number;
  /** Seconds from a scale-up request to a serving replica, with the download of `downloadGiB`. */
  readonly coldStartSeconds: number;
  /**
   * What a replica really downloads and reads from disk, GiB: the checkpoint, which is larger than the
   * weights in GPU memory when vLLM quantizes at load (`--quantization fp8` on a BF16 checkpoint).
   * Sizes the model-cache volume and the cold start.
   */
  readonly downloadGiB: number;
  /** Where each cold start downloads `downloadGiB` from: the hub through the NAT, or the weights bucket through the S3 gateway endpoint. */
  readonly weightsSource: WeightsSource;
  /** The hub revision the weights are (or are staged) at. */
  readonly modelRevision: string;
  readonly gpuMemoryUtilization: number;
  readonly measuredTokensPerSecond?: number;
  readonly hourlyPriceUsd?: number;
  /**
   * What vLLM is started with, from the capacity model's memory facts on the pool's smallest GPU:
   * the context one sequence may have and the batch the cost model assumes.
   */
  readonly engine: { readonly maxModelLen: number; readonly maxNumSeqs: number };
}

/** The replica floor a workload gets when `serving.minReplicas` is unset: 1 for interactive tiers, 0 for batch. */
export function resolvedMinReplicas(workload: { readonly tier: "interactive" | "batch"; readonly serving: { readonly minReplicas?: number | undefined } }): number {
  return workload.serving.minReplicas ?? (workload.tier === "interactive" ? 1 : 0);
}

/**
 * The serving plan of one workload of a validated stack config.
 * `weightGiB` sizes the default cold start (the economics catalog knows the model's size).
 */
export function servingPlan(config: ServingStack, workload: ServedWorkload, weightGiB: number): ServingPlan {
  const pool = config.cluster.gpuPools.find((p) => p.name === workload.serving.gpuPool);
  if (pool === undefined) throw new Error(`workload ${workload.name}: no GPU pool named ${workload.serving.gpuPool}`);
  const limits = workloadEngineLimits(workload, pool.instanceTypes);
  if (!limits.fits) throw new Error(`workload ${workload.name}: serving: ${limits.reason}`);
  const downloadGiB = checkpointGiB(workload.model, weightGiB);
  const weightsSource = workload.serving.weightsSource ?? "hub";
  const coldStartSeconds = workload.serving.coldStartSeconds ?? estimateColdStartSeconds(downloadGiB, weightsSource);
  // The SQS scaler counts files, the cost model requests: the queue target is a whole number of files.
  const requestsPerFile = workload.serving.requestsPerBatchFile;
  const batch = workload.tier === "batch" ? { requestsPerFile, filesPerJob: Math.max(1, Math.round(workload.serving.targetQueueDepthPerReplica / requestsPerFile)) } : undefined;
  return {
    workload: workload.name,
    tenant: workload.tenant,
    tier: workload.tier,
    gpuPool: pool.name,
    instanceTypes: pool.instanceTypes,
    capacityType: pool.capacityType,
    gpusPerReplica: workload.serving.gpusPerReplica,
    minReplicas: resolvedMinReplicas(workload),
    maxReplicas: workload.serving.maxReplicas,
    targetQueueDepthPerReplica: batch !== undefined ? batch.filesPerJob * batch.requestsPerFile : workload.serving.targetQueueDepthPerReplica,
    ...(batch !== undefined ? { batch } : {}),
    scaleDownCooldownSeconds: Math.max(workload.serving.scaleDownCooldownSeconds, coldStartSeconds),
    coldStartSeconds,
    downloadGiB,
    weightsSource,
    modelRevision: workload.serving.modelRevision ?? "main",
    gpuMemoryUtilization: workload.serving.gpuMemoryUtilization,
    ...(workload.serving.measuredTokensPerSecond !== undefined ? { measuredTokensPerSecond: workload.serving.measuredTokensPerSecond } : {}),
    ...(workload.serving.hourlyPriceUsd !== undefined ? { hourlyPriceUsd: workload.serving.hourlyPriceUsd } : {}),
    engine: { maxModelLen: limits.limits.maxModelLen, maxNumSeqs: limits.limits.maxNumSeqs },
  };
}

// Checkpoint sizing lives in the economics (the gate reads it too); re-exported for the components.
export { checkpointGiB, checkpointPrecision } from "../../policies/economics/weights";

/**
 * The engine limits of a workload on a pool: computed for the pool's instance type (with enough GPUs
 * for one replica) whose GPUs have the least memory, since the engine must start on any node the pool launches.
 */
export function workloadEngineLimits(workload: ServedWorkload, instanceTypes: readonly string[]): EngineLimitsResult {
  const candidates = instanceTypes.map((id) => instanceById(id)).filter((i) => i.gpuCount >= workload.serving.gpusPerReplica);
  if (candidates.length === 0) return { fits: false, reason: `no instance type in [${instanceTypes.join(", ")}] has ${workload.serving.gpusPerReplica} GPUs for one replica` };
  const gpu = candidates.map((i) => gpuById(i.gpu)).sort((a, b) => a.memoryGiB - b.memoryGiB)[0]!;
  const architecture = resolveArchitecture(workload.model);
  const slo = workload.tier === "interactive" ? (workload.slo ?? sloSchema.parse({})) : undefined;
  return engineLimits(
    {
      tier: workload.tier,
      architecture,
      weightPrecision: workload.model.weightPrecision,
      kvCachePrecision: workload.model.kvCachePrecision,
      gpu,
      gpusPerReplica: workload.serving.gpusPerReplica,
      meanInputTokens: workload.traffic.meanInputTokens,
      meanOutputTokens: workload.traffic.meanOutputTokens,
      prefixCacheHitRate: workload.traffic.prefixCacheHitRate,
      gpuMemoryUtilization: workload.serving.gpuMemoryUtilization,
      ...(slo !== undefined ? { slo } : {}),
      ...(workload.serving.measuredTokensPerSecond !== undefined ? { measuredTokensPerSecond: workload.serving.measuredTokensPerSecond } : {}),
    },
    { modelContextTokens: architecture.maxContextTokens, ...(workload.serving.maxContextTokens !== undefined ? { requestedContextTokens: workload.serving.maxContextTokens } : {}) },
  );
}
