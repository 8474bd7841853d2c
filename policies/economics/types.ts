/**
 * Shapes shared by the parts of the cost model: catalog rows, capacity, simulation.
 * Plain data only; every catalog row says where its numbers come from and as of when.
 */
import type { ModelArchitecture, Precision, Slo, Tier } from "./schema";

/** A month, by AWS's billing convention. */
export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

/** Provenance carried by every catalog row. */
export interface Sourced {
  /** Where the figures come from (URL or repository path and commit). */
  readonly source: string;
  /** When the source was current, ISO date (`2025-09-05`) or month (`2024-09`). */
  readonly asOf: string;
}

export type GpuId = "A10G" | "L4" | "L40S" | "A100-40GB" | "A100-80GB" | "H100-80GB" | "H200-141GB";

export interface GpuSpec extends Sourced {
  readonly id: GpuId;
  /** Memory usable per GPU, GiB (AWS catalog's MiB / 1024). */
  readonly memoryGiB: number;
  /** Memory bandwidth, GB/s (10^9 bytes). */
  readonly memoryBandwidthGBps: number;
  /** Dense BF16 tensor throughput, TFLOPS (vendor sparse headline / 2). */
  readonly bf16DenseTflops: number;
  /** Dense FP8 tensor throughput, TFLOPS; null where the GPU has no FP8 tensor cores. */
  readonly fp8DenseTflops: number | null;
  /** GPU-to-GPU link bandwidth per direction, GB/s (NVLink, else PCIe): what tensor-parallel all-reduces cross. */
  readonly interconnectGBps: number;
}

export type CapacityType = "on-demand" | "spot" | "reserved";

export interface InstanceTypeSpec extends Sourced {
  /** EC2 instance type, such as `g6e.xlarge`. */
  readonly id: string;
  readonly gpu: GpuId;
  readonly gpuCount: number;
  readonly vcpu: number;
  readonly memoryGiB: number;
  readonly region: string;
  /** USD per instance-hour; null where no price was found for that capacity type. */
  readonly usdPerHour: { readonly onDemand: number | null; readonly spot: number | null; readonly reserved: number | null };
}

export interface ApiPriceSpec extends Sourced {
  /** Id users put in `api.catalogId`, such as `gpt-4o-mini`. */
  readonly id: string;
  readonly provider: string;
  /** USD per 1M tokens. */
  readonly input: number;
  readonly output: number;
  readonly cachedInput: number | null;
  readonly batchInput: number | null;
  readonly batchOutput: number | null;
}

export interface ModelCatalogEntry extends Sourced {
  /** Hugging Face id. */
  readonly id: string;
  readonly architecture: ModelArchitecture;
}

/** EKS fees, USD per cluster-hour. `autoModeSurchargeShare` is no longer used: the Auto Mode fee is per instance type (`catalog/auto-mode-fees.ts`). */
export interface EksFees {
  readonly controlPlaneUsdPerHour: number;
  readonly extendedSupportUsdPerHour: number;
  readonly autoModeSurchargeShare: number;
  readonly sources: readonly Sourced[];
}

/** What the capacity model needs to size one replica. */
export interface CapacityInput {
  readonly tier: Tier;
  readonly architecture: ModelArchitecture;
  readonly weightPrecision: Precision;
  readonly kvCachePrecision: Precision;
  readonly gpu: GpuSpec;
  readonly gpusPerReplica: number;
  readonly meanInputTokens: number;
  readonly meanOutputTokens: number;
  /** Share of input tokens served from the prefix cache (no prefill compute). */
  readonly prefixCacheHitRate: number;
  /** Interactive tiers: bounds the decode batch by time per output token. */
  readonly slo?: Slo;
  /** Share of GPU memory vLLM may use (`--gpu-memory-utilization`). */
  readonly gpuMemoryUtilization: number;
  /** Tokens/s per replica measured for this workload; wins over the roofline when given. */
  readonly measuredTokensPerSecond?: number;
}

export interface ReplicaCapacity {
  /** Whether the weights and one mean-length sequence's KV cache fit in memory and, for interactive tiers, one sequence alone meets the SLO's time per output token. */
  readonly fits: boolean;
  /** Why it does not fit, for people. */
  readonly reason?: string;
  /**
   * Tokens (input + output) per second one replica sustains for this mix within the SLO: the
   * measured figure when one is configured, else the low end of `tokensPerSecondRange`.
   */
  readonly tokensPerSecond: number;
  /** The roofline's figure and the band its calibration error allows (all equal for a measured figure). */
  readonly tokensPerSecondRange: { readonly low: number; readonly central: number; readonly high: number };
  /** Requests per second at that throughput. */
  readonly requestsPerSecond: number;
  /** Sequences decoded together (vLLM `--max-num-seqs` this implies). */
  readonly concurrentSequences: number;
  /** Seconds per decode step at that batch (time per output token). */
  readonly decodeStepSeconds: number;
  /** Tokens of KV cache that fit after weights. */
  readonly kvCacheTokens: number;
  /** `measured` when the config's figure was used, else `roofline`. */
  readonly basis: "measured" | "roofline";
}

/** How the queue-depth autoscaler behaves; mirrors the ScaledObject/ScaledJob that is deployed. */
export interface AutoscalerPolicy {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Waiting requests per replica the autoscaler aims for (KEDA threshold). */
  readonly targetQueuePerReplica: number;
  /** From asking for a replica to it serving: node provisioning plus model load, seconds. */
  readonly scaleUpDelaySeconds: number;
  /** How long load must stay low before a replica is removed, seconds. */
  readonly scaleDownCooldownSeconds: number;
}

export interface SimulationInput {
  readonly tier: Tier;
  /** Requests per month sent to the owned path (after the rollout share). */
  readonly requestsPerMonth: number;
  readonly meanInputTokens: number;
  readonly meanOutputTokens: number;
  readonly peakToMeanRatio: number;
  readonly noiseCoefficientOfVariation: number;
  readonly replica: Pick<ReplicaCapacity, "tokensPerSecond" | "concurrentSequences">;
  readonly gpusPerReplica: number;
  readonly autoscaler: AutoscalerPolicy;
  /** Interactive tiers: a request that would wait longer goes to the API instead. */
  readonly maxQueueWaitSeconds?: number;
  /** Simulation step, seconds. @default 60 */
  readonly stepSeconds?: number;
  /** Seed of the arrival noise, so results repeat. @default 1 */
  readonly seed?: number;
}

export interface SimulationResult {
  readonly steps: number;
  /** Tokens the owned path was asked for over the month. */
  readonly demandTokens: number;
  /** Tokens served on owned GPUs. */
  readonly servedTokens: number;
  /** Tokens sent to the API because the queue would have broken the SLO. */
  readonly overflowTokens: number;
  /** Tokens still queued when the month ends. */
  readonly queuedTokensAtEnd: number;
  /** Replica-seconds provisioned (billed), including replicas still loading. */
  readonly replicaSeconds: number;
  readonly gpuHours: number;
  readonly meanReplicas: number;
  readonly peakReplicas: number;
  /** servedTokens / (replicaSeconds × tokensPerSecond). */
  readonly modeledUtilization: number;
  /** overflowTokens / demandTokens. */
  readonly overflowShare: number;
}

/**
 * Everything the cost model needs about one deployed workload. The CLI builds it from the
 * stack config (through `servingPlan`); the policy gate builds it from the resources about
 * to be deployed. Same facts, same numbers.
 */
export interface WorkloadFacts {
  readonly profile: import("./schema").WorkloadProfile;
  /** Instance types the workload's node pool may launch; Karpenter picks the cheapest that fits. */
  readonly instanceTypes: readonly string[];
  readonly capacityType: CapacityType;
  readonly gpusPerReplica: number;
  readonly autoscaler: AutoscalerPolicy;
  /** vLLM `--gpu-memory-utilization`. */
  readonly gpuMemoryUtilization: number;
  /**
   * Tokens/s one replica sustains while meeting the workload's SLO (time per output token and queue
   * wait), measured; wins over the roofline and is used as K as it stands (no further headroom).
   */
  readonly measuredTokensPerSecond?: number;
  /** EC2 USD per replica-hour (a node costs this × the replicas it holds); wins over the catalog. The Auto Mode fee is added per node. */
  readonly hourlyPriceUsd?: number;
  /** Batch tiers: requests in one batch file; vLLM's offline runner loads the model once per file. */
  readonly requestsPerBatchFile?: number;
  /**
   * What each cold start downloads and from where: from the hub, the NAT gateway bills every GB
   * (`WorkloadUsage.natEgressUsd`); from S3 through the gateway endpoint, nothing.
   * @default - not charged (hand-built facts); the CLI and the gate always set it
   */
  readonly weights?: { readonly source: import("./weights").WeightsSource; readonly downloadGiB: number };
}

/** Stack-wide facts that set fixed costs and price adjustments. */
export interface StackContext {
  readonly economics: import("./schema").EconomicsConfig;
  /** EKS Auto Mode adds its per-instance-type management fee to every node-hour. */
  readonly autoMode: boolean;
  /** AWS region the stack runs in: prices the NAT gateway's data processing. @default - the catalog's region, us-east-1 (where its instance prices are from) */
  readonly region?: string;
}
