/**
 * Tokens per second one replica sustains: a roofline of vLLM serving, calibrated on published
 * measurements (catalog/data/throughput-measurements.json; fit and leave-out error in
 * docs/capacity-calibration.md, `npm run calibrate-capacity`).
 *
 * A replica is g GPUs (tensor parallel) of M GiB, bandwidth BW, BF16 TFLOPS F, link bandwidth L;
 * u is vLLM's `--gpu-memory-utilization`; P / A are total / active parameters; in / out the mean
 * prompt and completion lengths; h the prefix-cache hit rate; p the calibrated parameters.
 *
 *   weights        W = (P − E) × bytes(weight precision) + E × bytes(bf16 if quantized)
 *                  E = vocabulary × hidden × (1 if tied else 2): FP8/INT checkpoints keep the
 *                  embedding and LM head in BF16 (vLLM quantizes the linear layers only).
 *   KV per token   k = 2 × layers × kvHeads × headDim × bytes(KV precision)
 *   reserve/GPU    r = RUNTIME_RESERVE.baseGiB (+ tensorParallelGiB when g > 1)
 *                    + activations of one prefill chunk, maxBatchedTokens × 14 × hidden bytes / g
 *   KV budget        = u × g × M − W − g × r;  kvCacheTokens = budget / k
 *   fits           ⇔ the budget holds one whole sequence (in + out tokens)
 *
 *   decode step    step(b) = max( (Wread(b) + b × k × (in + out/2)) / (g × BW × p.bandwidthEfficiency),
 *                                 2 × A × b / (g × F' × p.computeEfficiency) )
 *                            + p.stepOverheadSeconds + b × p.perSequenceStepSeconds + allReduce(b)
 *                  Wread(b): dense W; mixture-of-experts reads (W − E) × (1 − (1 − A/P)^b) + LM head.
 *                  F' = F × p.fp8ComputeSpeedup for fp8 weights on GPUs with FP8 tensor cores
 *                  (the engine does not reach the 2× datasheet ratio), else F.
 *   tensor parallel every layer ends in two all-reduces of b × hidden activations (BF16):
 *                  allReduce(b) = 2 × layers × ( p.allReduceHopSeconds × (g − 1)
 *                                               + 2 (g − 1)/g × b × hidden × 2 bytes / L )   (0 when g = 1)
 *                  so the per-step cost grows with width and is far larger over PCIe than NVLink.
 *   batch          b = min( kvCacheTokens / (in + out), MAX_NUM_SEQS,
 *                           interactive: the largest b with step(b) ≤ SLO time per output token )
 *   prefill        t_pre = 2 × A × in × (1 − h) / (g × F' × p.computeEfficiency) + allReduce(in × (1 − h))
 *   throughput     b sequences complete every b × t_pre + out × step(b) seconds:
 *                  requests/s = b / (b × t_pre + out × step(b));  tokens/s = (in + out) × requests/s
 *
 * K as a range: the leave-out error of the calibration (the 10th and 90th percentiles of
 * measured ÷ predicted) turns the central figure into low / central / high. `tokensPerSecond` is
 * the low end for a roofline (the gate plans on the conservative figure) and the measured figure
 * when the config gives one (basis "measured": the range collapses onto it).
 *
 * Limits: attention FLOPs and sampling are folded into the efficiencies; the TPOT bound ignores
 * the stall prefill chunks add to decode steps; the KV bound assumes every sequence reaches
 * in + out tokens and no prefix sharing; the reserve is an assumption vLLM replaces with its own
 * start-up profile; the calibration rows are mostly Llama/Mistral on A100/H100 (few L4/A10G/L40S,
 * no H200), so errors elsewhere are larger than the report's.
 */
import type { WeightsSource } from "./weights";
import type { ModelArchitecture, Precision } from "./schema";
import type { CapacityInput, GpuSpec, ReplicaCapacity } from "./types";

const GIB = 2 ** 30;

/** The efficiency and overhead terms of the roofline, fitted on published measurements. */
export interface CapacityParameters {
  /** Achieved share of memory bandwidth in decode. */
  readonly bandwidthEfficiency: number;
  /** Achieved share of dense tensor FLOPS, prefill and compute-bound decode. */
  readonly computeEfficiency: number;
  /** Achieved FP8 ÷ BF16 compute on GPUs with FP8 tensor cores (datasheet: 2). */
  readonly fp8ComputeSpeedup: number;
  /** Engine time per decode step besides the GPU work (scheduling, launch), seconds. */
  readonly stepOverheadSeconds: number;
  /** Further time per decode step for each sequence in the batch (sampling, attention kernels, bookkeeping), seconds. */
  readonly perSequenceStepSeconds: number;
  /** Latency of one all-reduce hop between tensor-parallel GPUs, seconds. */
  readonly allReduceHopSeconds: number;
  /** Compute efficiency of mixture-of-experts models as a share of a dense model's (grouped expert GEMMs run further from peak). */
  readonly expertComputeShare: number;
}

/**
 * Fitted by `npm run calibrate-capacity` on every row of catalog/data/throughput-measurements.json
 * (least squares on log(predicted ÷ measured)); test/economics/capacity-calibration.test.ts
 * refits and fails when these drift from the data. stepOverheadSeconds is the modern engine's
 * (vLLM ≥ 0.6): rows from vLLM 0.5 carry their own, larger overhead in the fit only.
 */
export const CAPACITY_PARAMETERS: CapacityParameters = Object.freeze({
  bandwidthEfficiency: 0.794,
  computeEfficiency: 0.216,
  fp8ComputeSpeedup: 2,
  stepOverheadSeconds: 0.00001,
  perSequenceStepSeconds: 0.000186,
  allReduceHopSeconds: 0.0000031,
  expertComputeShare: 0.271,
});

/**
 * Leave-out error of the calibration: percentiles of measured ÷ predicted on rows left out of
 * the fit (docs/capacity-calibration.md). Turns the central K into a range.
 */
export const CAPACITY_ERROR_BAND = Object.freeze({ lowRatio: 0.775, highRatio: 1.38 });

/**
 * GPU memory vLLM holds outside weights and KV cache, per GPU: CUDA graphs and workspaces
 * (base), NCCL buffers under tensor parallelism, and the activations of one prefill chunk
 * (maxBatchedTokens tokens × ~14 × hidden bytes: residual, normed input, MLP gate/up at ~3.5 ×
 * hidden, BF16). Assumptions vLLM replaces with its own start-up profile; they keep an 8B model on
 * one GPU at ≈ 1.45 GiB, near the 1.5 GiB that fitted the L4 saturation row.
 */
export const RUNTIME_RESERVE = Object.freeze({ baseGiB: 1.0, tensorParallelGiB: 0.5, maxBatchedTokens: 8192, activationBytesPerHidden: 14 });

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

/** Parameters in the embedding and LM head (0 when the vocabulary is not known). */
export function embeddingParameters(architecture: ModelArchitecture): number {
  if (architecture.vocabularySize === undefined) return 0;
  return architecture.vocabularySize * architecture.hiddenSize * (architecture.tiedEmbeddings === true ? 1 : 2);
}

/** Bytes per element the embedding and LM head are stored in: quantized checkpoints keep them in BF16. */
function embeddingBytes(precision: Precision): number {
  return Math.max(bytesPerElement(precision), 2);
}

/** Size of the model's weights, bytes: quantized linear layers, BF16 embedding and LM head. */
function weightBytes(architecture: ModelArchitecture, precision: Precision): number {
  const embedding = embeddingParameters(architecture);
  return (architecture.parametersBillions * 1e9 - embedding) * bytesPerElement(precision) + embedding * embeddingBytes(precision);
}

/** Size of the model's weights, GiB (embedding and LM head in BF16 for quantized precisions). */
export function weightGiB(architecture: ModelArchitecture, precision: Precision): number {
  return weightBytes(architecture, precision) / GIB;
}

/** KV-cache bytes one token occupies: keys and values for every layer and KV head. */
export function kvBytesPerToken(architecture: ModelArchitecture, kvPrecision: Precision): number {
  const headSize = architecture.headDim ?? architecture.hiddenSize / architecture.attentionHeads;
  return 2 * architecture.layers * architecture.kvHeads * headSize * bytesPerElement(kvPrecision);
}

function activeParameters(architecture: ModelArchitecture): number {
  return (architecture.activeParametersBillions ?? architecture.parametersBillions) * 1e9;
}

/** Dense TFLOPS the replica's math runs at: fp8 weights on GPUs with FP8 tensor cores get the achieved FP8 speed-up. */
function computeTflops(gpu: GpuSpec, weightPrecision: Precision, p: CapacityParameters): number {
  if (weightPrecision !== "fp8" || gpu.fp8DenseTflops === null) return gpu.bf16DenseTflops;
  return Math.min(gpu.fp8DenseTflops, gpu.bf16DenseTflops * p.fp8ComputeSpeedup);
}

/** Achieved FLOP/s of the whole replica. */
function replicaFlops(input: CapacityInput, p: CapacityParameters): number {
  const a = input.architecture;
  const expert = (a.activeParametersBillions ?? a.parametersBillions) < a.parametersBillions ? p.expertComputeShare : 1;
  return input.gpusPerReplica * computeTflops(input.gpu, input.weightPrecision, p) * 1e12 * p.computeEfficiency * expert;
}

/** Seconds the tensor-parallel all-reduces of one forward pass over `tokens` tokens take (0 on one GPU). */
export function allReduceSeconds(input: CapacityInput, tokens: number, p: CapacityParameters = CAPACITY_PARAMETERS): number {
  const g = input.gpusPerReplica;
  if (g === 1) return 0;
  const allReduces = 2 * input.architecture.layers;
  const bytes = tokens * input.architecture.hiddenSize * 2;
  const transfer = ((2 * (g - 1)) / g) * bytes / (input.gpu.interconnectGBps * 1e9);
  return allReduces * (p.allReduceHopSeconds * (g - 1) + transfer);
}

/** Bytes of weights one decode step over `batch` sequences reads. */
function weightsReadBytes(input: CapacityInput, batch: number): number {
  const { architecture: a } = input;
  const weights = weightBytes(a, input.weightPrecision);
  const activeShare = activeParameters(a) / (a.parametersBillions * 1e9);
  if (activeShare >= 1) return weights;
  // Each sequence touches an independent A/P share of the expert weights; the LM head is read whole.
  const lmHead = (embeddingParameters(a) / (a.tiedEmbeddings === true ? 1 : 2)) * embeddingBytes(input.weightPrecision);
  const embedding = embeddingParameters(a) * embeddingBytes(input.weightPrecision);
  return (weights - embedding) * (1 - (1 - activeShare) ** batch) + lmHead;
}

/** Seconds of one decode step (one token for each of `batch` sequences) on the replica. */
export function decodeStepSeconds(input: CapacityInput, batch: number, p: CapacityParameters = CAPACITY_PARAMETERS): number {
  const meanContext = input.meanInputTokens + input.meanOutputTokens / 2;
  const bytes = weightsReadBytes(input, batch) + batch * kvBytesPerToken(input.architecture, input.kvCachePrecision) * meanContext;
  const memorySeconds = bytes / (input.gpusPerReplica * input.gpu.memoryBandwidthGBps * 1e9 * p.bandwidthEfficiency);
  const computeSeconds = (2 * activeParameters(input.architecture) * batch) / replicaFlops(input, p);
  return Math.max(memorySeconds, computeSeconds) + p.stepOverheadSeconds + p.perSequenceStepSeconds * batch + allReduceSeconds(input, batch, p);
}

/** Seconds of prefill for one request's uncached prompt. */
export function prefillSeconds(input: CapacityInput, p: CapacityParameters = CAPACITY_PARAMETERS): number {
  const uncached = input.meanInputTokens * (1 - input.prefixCacheHitRate);
  return (2 * activeParameters(input.architecture) * uncached) / replicaFlops(input, p) + allReduceSeconds(input, uncached, p);
}

/** GPU memory per GPU held outside weights and KV cache, GiB (see RUNTIME_RESERVE). */
export function runtimeReserveGiB(architecture: ModelArchitecture, gpusPerReplica: number): number {
  const r = RUNTIME_RESERVE;
  const activations = (r.maxBatchedTokens * r.activationBytesPerHidden * architecture.hiddenSize) / gpusPerReplica / GIB;
  return r.baseGiB + (gpusPerReplica > 1 ? r.tensorParallelGiB : 0) + activations;
}

interface MemoryFacts {
  readonly weightGiB: number;
  readonly reserveGiB: number;
  readonly budgetGiB: number;
  readonly kvCacheTokens: number;
}

function memoryFacts(input: CapacityInput): MemoryFacts {
  const usableGiB = input.gpuMemoryUtilization * input.gpu.memoryGiB * input.gpusPerReplica;
  const weights = weightGiB(input.architecture, input.weightPrecision);
  const reserveGiB = runtimeReserveGiB(input.architecture, input.gpusPerReplica);
  const budgetGiB = usableGiB - weights - reserveGiB * input.gpusPerReplica;
  const kvCacheTokens = Math.max(0, Math.floor((budgetGiB * GIB) / kvBytesPerToken(input.architecture, input.kvCachePrecision)));
  return { weightGiB: weights, reserveGiB, budgetGiB, kvCacheTokens };
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
      `after a ${gib(memory.reserveGiB)} GiB/GPU runtime reserve: use more or larger GPUs, or a smaller weight precision`
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
function largestBatchWithin(input: CapacityInput, limit: number, stepSeconds: number, p: CapacityParameters): number {
  let low = 0;
  let high = limit;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (decodeStepSeconds(input, mid, p) <= stepSeconds) low = mid;
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

/** What the roofline predicts at a batch bound; the calibration calls it with the measured load. */
export function rooflineAtBatch(input: CapacityInput, batch: number, p: CapacityParameters = CAPACITY_PARAMETERS): { tokensPerSecond: number; requestsPerSecond: number; decodeStepSeconds: number } {
  const step = decodeStepSeconds(input, batch, p);
  const cycleSeconds = batch * prefillSeconds(input, p) + input.meanOutputTokens * step;
  const requestsPerSecond = batch / cycleSeconds;
  return { tokensPerSecond: requestsPerSecond * (input.meanInputTokens + input.meanOutputTokens), requestsPerSecond, decodeStepSeconds: step };
}

/** Largest batch memory and vLLM's sequence limit allow (0 when one sequence does not fit). */
export function memoryBoundBatch(input: CapacityInput): number {
  const memory = memoryFacts(input);
  if (memoryProblem(input, memory) !== undefined) return 0;
  return Math.min(MAX_NUM_SEQS, Math.floor(memory.kvCacheTokens / (input.meanInputTokens + input.meanOutputTokens)));
}

const pointRange = (x: number) => ({ low: x, central: x, high: x });

/** Capacity of one replica for the workload's mix; see the file header for the model. */
export function replicaCapacity(input: CapacityInput, p: CapacityParameters = CAPACITY_PARAMETERS): ReplicaCapacity {
  checkInput(input);
  const memory = memoryFacts(input);
  const tokensPerRequest = input.meanInputTokens + input.meanOutputTokens;
  const memoryReason = memoryProblem(input, memory);
  const kvBound = Math.min(MAX_NUM_SEQS, Math.floor(memory.kvCacheTokens / tokensPerRequest));

  const sloSeconds = input.tier === "interactive" && input.slo !== undefined ? input.slo.timePerOutputTokenMs / 1000 : undefined;
  let batch = kvBound;
  let reason = memoryReason;
  if (memoryReason === undefined && sloSeconds !== undefined) {
    batch = largestBatchWithin(input, kvBound, sloSeconds, p);
    if (batch === 0) {
      reason =
        `one sequence alone decodes at ${(decodeStepSeconds(input, 1, p) * 1000).toFixed(1)} ms per token on ${shape(input)}, ` +
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
      tokensPerSecondRange: pointRange(measured),
      requestsPerSecond: measured / tokensPerRequest,
      concurrentSequences: concurrent,
      decodeStepSeconds: decodeStepSeconds(input, Math.max(concurrent, 1), p),
      kvCacheTokens: memory.kvCacheTokens,
      basis: "measured",
    };
  }

  if (reason !== undefined) {
    return {
      fits: false,
      reason,
      tokensPerSecond: 0,
      tokensPerSecondRange: pointRange(0),
      requestsPerSecond: 0,
      concurrentSequences: 0,
      decodeStepSeconds: decodeStepSeconds(input, 1, p),
      kvCacheTokens: memory.kvCacheTokens,
      basis: "roofline",
    };
  }

  const central = rooflineAtBatch(input, batch, p);
  const low = central.tokensPerSecond * CAPACITY_ERROR_BAND.lowRatio;
  return {
    fits: true,
    // The gate plans on the conservative end of what the calibration's error allows.
    tokensPerSecond: low,
    tokensPerSecondRange: { low, central: central.tokensPerSecond, high: central.tokensPerSecond * CAPACITY_ERROR_BAND.highRatio },
    requestsPerSecond: low / tokensPerRequest,
    concurrentSequences: batch,
    decodeStepSeconds: central.decodeStepSeconds,
    kvCacheTokens: memory.kvCacheTokens,
    basis: "roofline",
  };
}

/**
 * Seconds from asking for a replica to it serving, for a checkpoint of `downloadGiB`:
 * GPU node + image pull + weights (downloaded and loaded) + engine start.
 */
export const COLD_START = {
  /** EC2 GPU instance launch, node join, NVIDIA driver and device plugin ready. Assumption. */
  nodeProvisioningSeconds: 240,
  /**
   * Fresh pull of the vLLM image (10–20 GB; dev.to "The GPU Cold Starts Nobody Warns You About", 2026-06):
   * 30–60 s per kunwar.page chapter 52 "The model cold-start problem"; the upper end.
   */
  imagePullSeconds: 60,
  /**
   * Download from the Hugging Face hub, GB/s: vLLM fetches a sharded checkpoint with `huggingface_hub`'s
   * parallel per-file download (no hf_transfer in our pods); "several files in parallel reach 300 MB/s and more
   * in total, a single file about 40 MB/s" (blog.gitcode.com, "提升huggingface_hub大文件下载速度", 2025-06-30).
   * The low end of the parallel figure; medium confidence, measure it on your NAT.
   */
  hubDownloadGBps: 0.3,
  /**
   * From S3 in-region through the gateway endpoint, GB/s: "1 GB/s (typical for cloud-managed S3 in the same region)",
   * kunwar.page chapter 52. The Run:ai model streamer (`--load-format runai_streamer`) reads tensors concurrently
   * straight into GPU memory (docs.vllm.ai, "Loading models with Run:ai Model Streamer"), so no local-disk step follows.
   */
  s3DownloadGBps: 1,
  /** Local NVMe to GPU memory, GB/s: a 140 GB 70B model in 30–60 s (kunwar.page chapter 52), the slow end. */
  weightLoadGBps: 2.3,
  /** vLLM engine start besides weights: torch.compile, CUDA graph capture, KV allocation (tensorfuse.io/docs/blogs/reducing_gpu_cold_start lists the steps). Assumption. */
  engineStartSeconds: 90,
} as const;

/** Seconds to bring a checkpoint of `gb` GB into GPU memory: hub → download, then read from local disk; S3 → streamed. */
function weightSeconds(gb: number, source: WeightsSource): number {
  return source === "s3" ? gb / COLD_START.s3DownloadGBps : gb / COLD_START.hubDownloadGBps + gb / COLD_START.weightLoadGBps;
}

/**
 * Cold start of one replica, seconds (see COLD_START for where each figure comes from): the one place
 * it is computed, for the deployed timeouts, the simulation's scale-up delay and the gate alike.
 */
export function estimateColdStartSeconds(downloadGiB: number, source: WeightsSource = "hub"): number {
  const gb = (downloadGiB * GIB) / 1e9;
  const c = COLD_START;
  return Math.ceil(c.nodeProvisioningSeconds + c.imagePullSeconds + weightSeconds(gb, source) + c.engineStartSeconds);
}

/**
 * Seconds to load the model again inside a running replica (an engine restart): what each batch file costs
 * when vLLM's offline runner starts once per file. Hub weights are on local disk by then; S3 weights are
 * streamed again (the streamer keeps no copy on disk).
 */
export function estimateModelReloadSeconds(downloadGiB: number, source: WeightsSource = "hub"): number {
  const gb = (downloadGiB * GIB) / 1e9;
  const read = source === "s3" ? gb / COLD_START.s3DownloadGBps : gb / COLD_START.weightLoadGBps;
  return Math.ceil(read + COLD_START.engineStartSeconds);
}

/** Which end of the capacity range to plan on: the gate's default is `low`. */
export type CapacityEnd = "low" | "central" | "high";

/** The same capacity planned at another end of its range (a measured figure has one value). */
export function atCapacityEnd(capacity: ReplicaCapacity, end: CapacityEnd): ReplicaCapacity {
  const tokensPerSecond = capacity.tokensPerSecondRange[end];
  if (tokensPerSecond === capacity.tokensPerSecond || capacity.tokensPerSecond <= 0) return capacity;
  return { ...capacity, tokensPerSecond, requestsPerSecond: (capacity.requestsPerSecond * tokensPerSecond) / capacity.tokensPerSecond };
}

/** Capacity scaled by a share (model reloads, queueing headroom): the figure and its whole range. */
export function scaleCapacity(capacity: ReplicaCapacity, share: number): ReplicaCapacity {
  const r = capacity.tokensPerSecondRange;
  return {
    ...capacity,
    tokensPerSecond: capacity.tokensPerSecond * share,
    requestsPerSecond: capacity.requestsPerSecond * share,
    tokensPerSecondRange: { low: r.low * share, central: r.central * share, high: r.high * share },
  };
}
