/**
 * Tokens per second one replica sustains: a roofline of vLLM serving, calibrated on published
 * measurements (../shared/data/catalog/throughput-calibration.csv).
 *
 * A replica is g GPUs (tensor parallel) of M GiB, bandwidth BW, dense TFLOPS F; u is vLLM's
 * `--gpu-memory-utilization`; P / A are total / active parameters; in / out the mean prompt and
 * completion lengths; h the prefix-cache hit rate.
 *
 *   weights        W = P × bytes(weight precision)            (bf16/fp16 2, fp8/int8 1, int4 0.5)
 *   KV per token   k = 2 × layers × kvHeads × headDim (default hiddenSize / attentionHeads) × bytes(KV precision)
 *   KV budget        = u × g × M − W − g × RUNTIME_RESERVE_GIB_PER_GPU;  kvCacheTokens = budget / k
 *   fits           ⇔ the budget holds one whole sequence (in + out tokens)
 *
 *   decode step    step(b) = max( (Wread(b) + b × k × (in + out/2)) / (g × BW × BANDWIDTH_EFFICIENCY × tp),
 *                                 2 × A × b / (g × F × MFU × tp) )
 *                  Wread(b) = W for dense models; for mixture-of-experts W × (1 − (1 − A/P)^b):
 *                  each sequence touches an independent A/P share of the weights.
 *                  tp = 1 for one GPU, TP_EFFICIENCY for more (communication between GPUs).
 *   batch          b = min( kvCacheTokens / (in + out), MAX_NUM_SEQS,
 *                           interactive: the largest b with step(b) ≤ SLO time per output token )
 *   prefill        t_pre = 2 × A × in × (1 − h) / (g × F × MFU × tp)
 *                  F is the FP8 rate only for fp8 weights on GPUs with FP8 tensor cores, else BF16.
 *   throughput     b sequences complete every b × t_pre + out × step(b) seconds:
 *                  requests/s = b / (b × t_pre + out × step(b));  tokens/s = (in + out) × requests/s
 *
 * A measured tokens/s in the config wins (basis "measured"); memory facts are still reported.
 *
 * Limits: attention FLOPs, sampling and scheduler overheads are folded into MFU; the TPOT bound
 * ignores the stall prefill chunks add to decode steps; the head size is headDim where the catalog gives it, else hiddenSize/attentionHeads
 * (models with an explicit head_dim are off by the ratio, see catalog/models.ts); the KV bound
 * assumes every sequence reaches in + out tokens and no prefix sharing; TP efficiency is one
 * constant, not a function of width or interconnect.
 */
import type { ModelArchitecture, Precision } from "./schema";
import type { CapacityInput, GpuSpec, ReplicaCapacity } from "./types";

const GIB = 2 ** 30;

/**
 * Achieved share of the memory-bandwidth roofline in decode. Calibration rows
 * `lambda-vllm-llama3-8b-bf16-h100-10prompts` (median TPOT 7.56 ms, 64 % of roofline) and
 * `lambda-vllm-llama3-8b-bf16-a100-10prompts` (12.01 ms, 66 %).
 */
export const BANDWIDTH_EFFICIENCY = 0.65;

/**
 * Achieved share of dense tensor FLOPS, for prefill and compute-bound decode, with attention,
 * sampling and scheduler overheads folded in. Fitted with TP_EFFICIENCY on the saturation rows
 * `llmpricecompass-1xl4-llama31-8b`, `vllm-issue12315-4xa100-llama33-70b` and
 * `llmpricecompass-2xa10g-llama3-8b` (prefill-heavy). Low, because those runs used vLLM 0.5–0.6,
 * whose CPU overheads newer releases cut, and because finite-prompt benchmarks end in a tail.
 */
export const MFU = 0.3;

/** Share of aggregate bandwidth and FLOPS that tensor parallelism keeps (TP > 1); same rows as MFU. */
export const TP_EFFICIENCY = 0.7;

/**
 * GPU memory vLLM holds outside weights and KV cache, per GPU: activations for a prefill chunk,
 * CUDA graphs, NCCL and cuBLAS workspaces. An assumption (vLLM profiles it at start-up); 1.5 GiB
 * keeps the L4 saturation row within 6 %.
 */
export const RUNTIME_RESERVE_GIB_PER_GPU = 1.5;

/** vLLM's default `--max-num-seqs`. */
export const MAX_NUM_SEQS = 256;

/** Bytes per element of a precision. */
export function bytesPerElement(precision: Precision): number {
  switch (precision) {
    case "bf16":
    case "fp16":
      return 2;
    case "fp8":
    case "int8":
      return 1;
    case "int4":
      return 0.5;
  }
}

/** Size of the model's weights, GiB. */
export function weightGiB(architecture: ModelArchitecture, precision: Precision): number {
  return (architecture.parametersBillions * 1e9 * bytesPerElement(precision)) / GIB;
}

/** KV-cache bytes one token occupies: keys and values for every layer and KV head. */
export function kvBytesPerToken(architecture: ModelArchitecture, kvPrecision: Precision): number {
  const headSize = architecture.headDim ?? architecture.hiddenSize / architecture.attentionHeads;
  return 2 * architecture.layers * architecture.kvHeads * headSize * bytesPerElement(kvPrecision);
}

function activeParameters(architecture: ModelArchitecture): number {
  return (architecture.activeParametersBillions ?? architecture.parametersBillions) * 1e9;
}

/** Dense TFLOPS the replica's math runs at: FP8 only for fp8 weights on GPUs with FP8 tensor cores. */
function computeTflops(gpu: GpuSpec, weightPrecision: Precision): number {
  return weightPrecision === "fp8" && gpu.fp8DenseTflops !== null ? gpu.fp8DenseTflops : gpu.bf16DenseTflops;
}

function tpFactor(gpusPerReplica: number): number {
  return gpusPerReplica > 1 ? TP_EFFICIENCY : 1;
}

/** Achieved FLOP/s of the whole replica. */
function replicaFlops(input: CapacityInput): number {
  return input.gpusPerReplica * computeTflops(input.gpu, input.weightPrecision) * 1e12 * MFU * tpFactor(input.gpusPerReplica);
}

/** Seconds of one decode step (one token for each of `batch` sequences) on the replica. */
export function decodeStepSeconds(input: CapacityInput, batch: number): number {
  const { architecture: a } = input;
  const weights = a.parametersBillions * 1e9 * bytesPerElement(input.weightPrecision);
  const activeShare = activeParameters(a) / (a.parametersBillions * 1e9);
  const weightsRead = activeShare >= 1 ? weights : weights * (1 - (1 - activeShare) ** batch);
  const meanContext = input.meanInputTokens + input.meanOutputTokens / 2;
  const bytes = weightsRead + batch * kvBytesPerToken(a, input.kvCachePrecision) * meanContext;
  const bandwidth = input.gpusPerReplica * input.gpu.memoryBandwidthGBps * 1e9 * BANDWIDTH_EFFICIENCY * tpFactor(input.gpusPerReplica);
  const memorySeconds = bytes / bandwidth;
  const computeSeconds = (2 * activeParameters(a) * batch) / replicaFlops(input);
  return Math.max(memorySeconds, computeSeconds);
}

/** Seconds of prefill compute for one request's uncached prompt. */
export function prefillSeconds(input: CapacityInput): number {
  const uncached = input.meanInputTokens * (1 - input.prefixCacheHitRate);
  return (2 * activeParameters(input.architecture) * uncached) / replicaFlops(input);
}

interface MemoryFacts {
  readonly weightGiB: number;
  readonly budgetGiB: number;
  readonly kvCacheTokens: number;
}

function memoryFacts(input: CapacityInput): MemoryFacts {
  const usableGiB = input.gpuMemoryUtilization * input.gpu.memoryGiB * input.gpusPerReplica;
  const weights = weightGiB(input.architecture, input.weightPrecision);
  const budgetGiB = usableGiB - weights - RUNTIME_RESERVE_GIB_PER_GPU * input.gpusPerReplica;
  const kvCacheTokens = Math.max(0, Math.floor((budgetGiB * GIB) / kvBytesPerToken(input.architecture, input.kvCachePrecision)));
  return { weightGiB: weights, budgetGiB, kvCacheTokens };
}

function shape(input: CapacityInput): string {
  return `${input.gpusPerReplica} × ${input.gpu.id} at ${Math.round(input.gpuMemoryUtilization * 100)}% memory utilization`;
}

/** Why the replica cannot hold the model and one whole sequence, or undefined when it can. */
function memoryProblem(input: CapacityInput, memory: MemoryFacts): string | undefined {
  const sequence = input.meanInputTokens + input.meanOutputTokens;
  const gib = (x: number) => x.toFixed(1);
  if (memory.budgetGiB <= 0) {
    const room = memory.weightGiB + memory.budgetGiB;
    return (
      `the weights need ${gib(memory.weightGiB)} GiB at ${input.weightPrecision} but ${shape(input)} leave ${gib(room)} GiB ` +
      `after a ${RUNTIME_RESERVE_GIB_PER_GPU} GiB/GPU runtime reserve: use more or larger GPUs, or a smaller weight precision`
    );
  }
  if (memory.kvCacheTokens < sequence) {
    return (
      `after the weights, ${shape(input)} hold ${memory.kvCacheTokens} tokens of KV cache, ` +
      `fewer than one ${Math.ceil(sequence)}-token sequence: use more or larger GPUs, or a smaller KV-cache precision`
    );
  }
  return undefined;
}

/** Largest batch in [1, limit] whose decode step meets the time-per-output-token target; 0 if none. */
function largestBatchWithin(input: CapacityInput, limit: number, stepSeconds: number): number {
  let low = 0;
  let high = limit;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (decodeStepSeconds(input, mid) <= stepSeconds) low = mid;
    else high = mid - 1;
  }
  return low;
}

function checkInput(input: CapacityInput): void {
  if (!Number.isInteger(input.gpusPerReplica) || input.gpusPerReplica < 1) {
    throw new RangeError(`gpusPerReplica: expected a whole number of GPUs of at least 1, got ${input.gpusPerReplica}`);
  }
  if (!(input.gpuMemoryUtilization > 0 && input.gpuMemoryUtilization <= 1)) {
    throw new RangeError(`gpuMemoryUtilization: expected a share in (0, 1], got ${input.gpuMemoryUtilization}`);
  }
  if (!(input.meanInputTokens > 0 && input.meanOutputTokens > 0)) {
    throw new RangeError("meanInputTokens and meanOutputTokens: expected positive numbers of tokens");
  }
}

/** Capacity of one replica for the workload's mix; see the file header for the model. */
export function replicaCapacity(input: CapacityInput): ReplicaCapacity {
  checkInput(input);
  const memory = memoryFacts(input);
  const tokensPerRequest = input.meanInputTokens + input.meanOutputTokens;
  const memoryReason = memoryProblem(input, memory);
  const kvBound = Math.min(MAX_NUM_SEQS, Math.floor(memory.kvCacheTokens / tokensPerRequest));

  const sloSeconds = input.tier === "interactive" && input.slo !== undefined ? input.slo.timePerOutputTokenMs / 1000 : undefined;
  let batch = kvBound;
  let reason = memoryReason;
  if (memoryReason === undefined && sloSeconds !== undefined) {
    batch = largestBatchWithin(input, kvBound, sloSeconds);
    if (batch === 0) {
      reason =
        `one sequence alone decodes at ${(decodeStepSeconds(input, 1) * 1000).toFixed(1)} ms per token on ${shape(input)}, ` +
        `above the ${input.slo!.timePerOutputTokenMs} ms time-per-output-token SLO: use faster or more GPUs, or a smaller weight precision`;
    }
  }

  const measured = input.measuredTokensPerSecond;
  if (measured !== undefined) {
    // The measurement was taken at the operator's own latency target: only memory can veto it.
    const concurrent = memoryReason === undefined ? Math.max(batch, 1) : 0;
    return {
      fits: memoryReason === undefined,
      ...(memoryReason !== undefined ? { reason: memoryReason } : {}),
      tokensPerSecond: measured,
      requestsPerSecond: measured / tokensPerRequest,
      concurrentSequences: concurrent,
      decodeStepSeconds: decodeStepSeconds(input, Math.max(concurrent, 1)),
      kvCacheTokens: memory.kvCacheTokens,
      basis: "measured",
    };
  }

  if (reason !== undefined) {
    return {
      fits: false,
      reason,
      tokensPerSecond: 0,
      requestsPerSecond: 0,
      concurrentSequences: 0,
      decodeStepSeconds: decodeStepSeconds(input, 1),
      kvCacheTokens: memory.kvCacheTokens,
      basis: "roofline",
    };
  }

  const step = decodeStepSeconds(input, batch);
  const cycleSeconds = batch * prefillSeconds(input) + input.meanOutputTokens * step;
  const requestsPerSecond = batch / cycleSeconds;
  return {
    fits: true,
    tokensPerSecond: requestsPerSecond * tokensPerRequest,
    requestsPerSecond,
    concurrentSequences: batch,
    decodeStepSeconds: step,
    kvCacheTokens: memory.kvCacheTokens,
    basis: "roofline",
  };
}

/**
 * Seconds from asking for a replica to it serving, for a model of `weightGiB`:
 * GPU node + image pull + weight download + weight load into GPU memory + engine start.
 */
export const COLD_START = {
  /** EC2 GPU instance launch, node join, NVIDIA driver and device plugin ready. Assumption. */
  nodeProvisioningSeconds: 240,
  /**
   * Fresh pull of the vLLM image (10–20 GB; dev.to "The GPU Cold Starts Nobody Warns You About", 2026-06):
   * 30–60 s per kunwar.page chapter 52 "The model cold-start problem"; the upper end.
   */
  imagePullSeconds: 60,
  /** Weight download from S3 in-region, GB/s: "1 GB/s (typical for cloud-managed S3 in the same region)", kunwar.page chapter 52. */
  weightDownloadGBps: 1,
  /** Local NVMe to GPU memory, GB/s: a 140 GB 70B model in 30–60 s (kunwar.page chapter 52), the slow end. */
  weightLoadGBps: 2.3,
  /** vLLM engine start besides weights: torch.compile, CUDA graph capture, KV allocation (tensorfuse.io/docs/blogs/reducing_gpu_cold_start lists the steps). Assumption. */
  engineStartSeconds: 90,
} as const;

/** Cold start of one replica, seconds (see COLD_START for where each figure comes from). */
export function estimateColdStartSeconds(weightGiB: number): number {
  const gb = (weightGiB * GIB) / 1e9;
  const c = COLD_START;
  return Math.ceil(c.nodeProvisioningSeconds + c.imagePullSeconds + gb / c.weightDownloadGBps + gb / c.weightLoadGBps + c.engineStartSeconds);
}

/**
 * Seconds to load the model again inside a running replica (weights already on local disk, engine
 * restart): what each batch file costs when vLLM's offline runner starts once per file.
 */
export function estimateModelReloadSeconds(weightGiB: number): number {
  const gb = (weightGiB * GIB) / 1e9;
  return Math.ceil(gb / COLD_START.weightLoadGBps + COLD_START.engineStartSeconds);
}
