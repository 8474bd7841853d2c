/**
 * One source of truth for how a workload is served: the replica bounds, GPUs, queue target,
 * cooldown and cold start that the Deployment and its autoscaler deploy are the ones the cost
 * model simulates. Components and `npm run cost` both call `servingPlan`.
 */
import type { CapacityType } from "../policies/economics/types";
import { resolvedMinReplicas, type StackConfig, type WorkloadConfig } from "./config";

/** Fixed start-up allowance, seconds, when the config gives no `coldStartSeconds`: a GPU node and a model load. */
export const DEFAULT_COLD_START = {
  /** Node launch, join and GPU driver/device plugin ready. Assumption, typical of Karpenter/Auto Mode GPU nodes. */
  nodeProvisioningSeconds: 240,
  /** vLLM engine start (CUDA graphs, KV cache allocation) besides reading the weights. Assumption. */
  engineStartSeconds: 90,
  /** Sustained weight read, GiB/s, from S3 or the Hugging Face hub into GPU memory. Assumption. */
  weightLoadGiBPerSecond: 0.5,
} as const;

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
  readonly targetQueueDepthPerReplica: number;
  /** Scale-down cooldown, seconds; never shorter than the cold start, so scaling does not thrash. */
  readonly scaleDownCooldownSeconds: number;
  /** Seconds from a scale-up request to a serving replica. */
  readonly coldStartSeconds: number;
  readonly gpuMemoryUtilization: number;
  readonly measuredTokensPerSecond?: number;
  readonly hourlyPriceUsd?: number;
}

/** Cold start from the weights' size when the config gives none. */
export function estimateColdStartSeconds(weightGiB: number): number {
  const d = DEFAULT_COLD_START;
  return Math.ceil(d.nodeProvisioningSeconds + d.engineStartSeconds + weightGiB / d.weightLoadGiBPerSecond);
}

/**
 * The serving plan of one workload of a validated stack config.
 * `weightGiB` sizes the default cold start (the economics catalog knows the model's size).
 */
export function servingPlan(config: StackConfig, workload: WorkloadConfig, weightGiB: number): ServingPlan {
  const pool = config.cluster.gpuPools.find((p) => p.name === workload.serving.gpuPool);
  if (pool === undefined) throw new Error(`workload ${workload.name}: no GPU pool named ${workload.serving.gpuPool}`);
  const coldStartSeconds = workload.serving.coldStartSeconds ?? estimateColdStartSeconds(weightGiB);
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
    targetQueueDepthPerReplica: workload.serving.targetQueueDepthPerReplica,
    scaleDownCooldownSeconds: Math.max(workload.serving.scaleDownCooldownSeconds, coldStartSeconds),
    coldStartSeconds,
    gpuMemoryUtilization: workload.serving.gpuMemoryUtilization,
    ...(workload.serving.measuredTokensPerSecond !== undefined ? { measuredTokensPerSecond: workload.serving.measuredTokensPerSecond } : {}),
    ...(workload.serving.hourlyPriceUsd !== undefined ? { hourlyPriceUsd: workload.serving.hourlyPriceUsd } : {}),
  };
}
