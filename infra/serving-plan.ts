/**
 * One source of truth for how a workload is served: the replica bounds, GPUs, queue target,
 * cooldown and cold start that the Deployment and its autoscaler deploy are the ones the cost
 * model simulates. Components and `npm run cost` both call `servingPlan`.
 */
import { estimateColdStartSeconds } from "../policies/economics/capacity";
import type { CapacityType } from "../policies/economics/types";
import { resolvedMinReplicas, type StackConfig, type WorkloadConfig } from "./config";

export interface ServingPlan {
  readonly workload: string;
  readonly tenant: string;
  readonly tier: WorkloadConfig["tier"];
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
  /** Seconds from a scale-up request to a serving replica. */
  readonly coldStartSeconds: number;
  readonly gpuMemoryUtilization: number;
  readonly measuredTokensPerSecond?: number;
  readonly hourlyPriceUsd?: number;
}

/**
 * The serving plan of one workload of a validated stack config.
 * `weightGiB` sizes the default cold start (the economics catalog knows the model's size).
 */
export function servingPlan(config: StackConfig, workload: WorkloadConfig, weightGiB: number): ServingPlan {
  const pool = config.cluster.gpuPools.find((p) => p.name === workload.serving.gpuPool);
  if (pool === undefined) throw new Error(`workload ${workload.name}: no GPU pool named ${workload.serving.gpuPool}`);
  const coldStartSeconds = workload.serving.coldStartSeconds ?? estimateColdStartSeconds(weightGiB);
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
    gpuMemoryUtilization: workload.serving.gpuMemoryUtilization,
    ...(workload.serving.measuredTokensPerSecond !== undefined ? { measuredTokensPerSecond: workload.serving.measuredTokensPerSecond } : {}),
    ...(workload.serving.hourlyPriceUsd !== undefined ? { hourlyPriceUsd: workload.serving.hourlyPriceUsd } : {}),
  };
}
