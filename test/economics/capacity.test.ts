import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CAPACITY_ERROR_BAND,
  CAPACITY_PARAMETERS,
  COLD_START,
  MAX_NUM_SEQS,
  allReduceSeconds,
  atCapacityEnd,
  bytesPerElement,
  decodeStepSeconds,
  embeddingParameters,
  estimateColdStartSeconds,
  estimateModelReloadSeconds,
  kvBytesPerToken,
  prefillSeconds,
  replicaCapacity,
  runtimeReserveGiB,
  scaleCapacity,
  weightGiB,
} from "../../policies/economics/capacity";
import { GPUS, MODELS, gpuById, modelById, resolveArchitecture } from "../../policies/economics/catalog";
import type { Precision } from "../../policies/economics/schema";
import type { CapacityInput } from "../../policies/economics/types";

const llama8b = modelById("meta-llama/Llama-3.1-8B-Instruct").architecture;
const llama70b = modelById("meta-llama/Llama-3.3-70B-Instruct").architecture;

function input(overrides: Partial<CapacityInput> = {}): CapacityInput {
  return {
    tier: "batch",
    architecture: llama8b,
    weightPrecision: "bf16",
    kvCachePrecision: "bf16",
    gpu: gpuById("L40S"),
    gpusPerReplica: 1,
    meanInputTokens: 1000,
    meanOutputTokens: 200,
    prefixCacheHitRate: 0,
    gpuMemoryUtilization: 0.9,
    ...overrides,
  };
}

describe("memory arithmetic", () => {
  it("KV bytes per token of Llama-3.1-8B at bf16: 2 × 32 layers × 8 KV heads × 128 × 2 bytes", () => {
    expect(kvBytesPerToken(llama8b, "bf16")).toBe(2 * 32 * 8 * 128 * 2);
    expect(kvBytesPerToken(llama8b, "bf16")).toBe(131072);
    expect(kvBytesPerToken(llama8b, "fp8")).toBe(65536);
  });

  it("bytes per element and weight size", () => {
    const table: [Precision, number][] = [["bf16", 2], ["fp16", 2], ["fp8", 1], ["int8", 1], ["int4", 0.5]];
    for (const [precision, bytes] of table) expect(bytesPerElement(precision)).toBe(bytes);
    expect(weightGiB(llama8b, "bf16")).toBeCloseTo((8.03e9 * 2) / 2 ** 30, 10);
    // Quantized checkpoints keep the embedding and the (untied) LM head in BF16: 2 × 128256 × 8192 parameters.
    const embedding = 2 * 128256 * 8192;
    expect(embeddingParameters(llama70b)).toBe(embedding);
    expect(weightGiB(llama70b, "int4")).toBeCloseTo(((70.55e9 - embedding) * 0.5 + embedding * 2) / 2 ** 30, 10);
    expect(weightGiB(llama70b, "fp8")).toBeCloseTo(((70.55e9 - embedding) * 1 + embedding * 2) / 2 ** 30, 10);
    // 2.1 GB more than an all-FP8 count: what makes 70B FP8 tight on one 80 GB GPU.
    expect(weightGiB(llama70b, "fp8") - (70.55e9 * 1) / 2 ** 30).toBeCloseTo(embedding / 2 ** 30, 10);
    // Tied embeddings count once; an unknown vocabulary counts nothing extra.
    expect(embeddingParameters(modelById("meta-llama/Llama-3.2-1B-Instruct").architecture)).toBe(128256 * 2048);
    expect(embeddingParameters({ ...llama8b, vocabularySize: undefined })).toBe(0);
  });

  it("KV capacity = utilization × memory − weights − runtime reserve, in tokens", () => {
    const c = replicaCapacity(input());
    // Reserve: 1 GiB + one 8192-token prefill chunk's activations (14 × hidden bytes per token) on one GPU.
    const reserveGiB = 1 + (8192 * 14 * 4096) / 2 ** 30;
    expect(runtimeReserveGiB(llama8b, 1)).toBeCloseTo(reserveGiB, 12);
    const budget = 0.9 * (45776 / 1024) * 2 ** 30 - 8.03e9 * 2 - reserveGiB * 2 ** 30;
    expect(c.kvCacheTokens).toBe(Math.floor(budget / 131072));
    // Tensor parallelism adds NCCL buffers and splits the activations.
    expect(runtimeReserveGiB(llama70b, 4)).toBeCloseTo(1 + 0.5 + (8192 * 14 * 8192) / 4 / 2 ** 30, 12);
  });

  it("a 70B model at bf16 does not fit on one L4, and says why", () => {
    const c = replicaCapacity(input({ architecture: llama70b, gpu: gpuById("L4") }));
    expect(c.fits).toBe(false);
    expect(c.reason).toMatch(/weights need 131\.4 GiB at bf16 but 1 × L4 at 90% memory utilization leave/);
    expect(c.tokensPerSecond).toBe(0);
    expect(c.concurrentSequences).toBe(0);
  });

  it("needs room for one whole sequence of KV cache", () => {
    const c = replicaCapacity(input({ gpu: gpuById("L4"), meanInputTokens: 60_000, meanOutputTokens: 1000 }));
    expect(c.fits).toBe(false);
    expect(c.reason).toMatch(/fewer than one 61000-token sequence/);
  });

  it("fits 70B at bf16 on 4 × A100-80GB with tensor parallelism", () => {
    const c = replicaCapacity(input({ architecture: llama70b, gpu: gpuById("A100-80GB"), gpusPerReplica: 4 }));
    expect(c.fits).toBe(true);
    expect(c.concurrentSequences).toBe(MAX_NUM_SEQS);
  });
});

describe("roofline behaviour", () => {
  it("bounds the interactive batch by the SLO's time per output token", () => {
    const c = replicaCapacity(input({ tier: "interactive", slo: { timePerOutputTokenMs: 30, maxQueueWaitSeconds: 2, maxWaitProbability: 0.2 } }));
    expect(c.fits).toBe(true);
    expect(c.decodeStepSeconds).toBeLessThanOrEqual(0.03);
    expect(decodeStepSeconds(input(), c.concurrentSequences + 1)).toBeGreaterThan(0.03);
    expect(c.concurrentSequences).toBeLessThan(replicaCapacity(input()).concurrentSequences);
  });

  it("refuses an SLO that one sequence alone cannot meet (8B bf16 on an L4 at 50 ms), not fp8", () => {
    const slo = { timePerOutputTokenMs: 50, maxQueueWaitSeconds: 2, maxWaitProbability: 0.2 };
    const bf16 = replicaCapacity(input({ tier: "interactive", slo, gpu: gpuById("L4") }));
    expect(bf16.fits).toBe(false);
    expect(bf16.reason).toMatch(/decodes at 6\d\.\d ms per token .* above the 50 ms time-per-output-token SLO/);
    expect(replicaCapacity(input({ tier: "interactive", slo, gpu: gpuById("L4"), weightPrecision: "fp8" })).fits).toBe(true);
  });

  it("uses FP8 compute only for fp8 weights on GPUs with FP8 tensor cores", () => {
    const pre = (gpu: string, weightPrecision: Precision) => prefillSeconds(input({ gpu: gpuById(gpu), weightPrecision }));
    expect(pre("A100-80GB", "fp8")).toBe(pre("A100-80GB", "bf16"));
    // The engine's achieved FP8 speed-up, never above the datasheet's FP8 rate.
    const fp8Tflops = Math.min(1978.9, 989.4 * CAPACITY_PARAMETERS.fp8ComputeSpeedup);
    expect(pre("H100-80GB", "fp8")).toBeCloseTo((pre("H100-80GB", "bf16") * 989.4) / fp8Tflops, 10);
    expect(pre("H100-80GB", "int8")).toBe(pre("H100-80GB", "bf16"));
  });

  it("skips prefill compute for prefix-cache hits", () => {
    expect(prefillSeconds(input({ prefixCacheHitRate: 0.75 }))).toBeCloseTo(prefillSeconds(input()) / 4, 10);
  });

  it("reads only the active experts of a mixture-of-experts model at batch 1", () => {
    const mixtral = modelById("mistralai/Mixtral-8x7B-Instruct-v0.1").architecture;
    const asDense = { ...mixtral, activeParametersBillions: undefined };
    const gpu = gpuById("H100-80GB");
    const moe = decodeStepSeconds(input({ architecture: mixtral, gpu, gpusPerReplica: 2 }), 1);
    const dense = decodeStepSeconds(input({ architecture: asDense, gpu, gpusPerReplica: 2 }), 1);
    expect(moe / dense).toBeCloseTo(12.88 / 46.7, 1);
    // At a large batch nearly every expert is read.
    expect(decodeStepSeconds(input({ architecture: mixtral, gpu, gpusPerReplica: 2 }), 64)).toBeGreaterThan(0.9 * decodeStepSeconds(input({ architecture: asDense, gpu, gpusPerReplica: 2 }), 1));
  });

  it("lets a measured figure win and still reports the memory facts", () => {
    const roofline = replicaCapacity(input());
    const measured = replicaCapacity(input({ measuredTokensPerSecond: 1234 }));
    expect(measured.basis).toBe("measured");
    expect(roofline.basis).toBe("roofline");
    expect(measured.tokensPerSecond).toBe(1234);
    expect(measured.requestsPerSecond).toBeCloseTo(1234 / 1200, 10);
    expect(measured.kvCacheTokens).toBe(roofline.kvCacheTokens);
    expect(measured.fits).toBe(true);
    const tooBig = replicaCapacity(input({ architecture: llama70b, gpu: gpuById("L4"), measuredTokensPerSecond: 50 }));
    expect(tooBig).toMatchObject({ basis: "measured", tokensPerSecond: 50, fits: false });
    expect(tooBig.reason).toMatch(/weights need/);
  });

  it("rejects impossible inputs", () => {
    expect(() => replicaCapacity(input({ gpusPerReplica: 0 }))).toThrow(/gpusPerReplica/);
    expect(() => replicaCapacity(input({ gpusPerReplica: 1.5 }))).toThrow(/gpusPerReplica/);
    expect(() => replicaCapacity(input({ gpuMemoryUtilization: 1.2 }))).toThrow(/gpuMemoryUtilization/);
  });
});

describe("tensor parallelism", () => {
  it("pays two all-reduces per layer per step, growing with width and far dearer over PCIe than NVLink", () => {
    const at = (gpu: string, g: number, tokens: number) => allReduceSeconds(input({ gpu: gpuById(gpu), gpusPerReplica: g, architecture: llama70b }), tokens);
    expect(at("H100-80GB", 1, 64)).toBe(0);
    // Hand arithmetic: 160 all-reduces × (hop latency × (g − 1) + 2(g − 1)/g × 64 × 8192 × 2 bytes / 450 GB/s).
    const hop = CAPACITY_PARAMETERS.allReduceHopSeconds;
    expect(at("H100-80GB", 4, 64)).toBeCloseTo(160 * (hop * 3 + (1.5 * 64 * 8192 * 2) / 450e9), 12);
    expect(at("H100-80GB", 2, 64)).toBeLessThan(at("H100-80GB", 4, 64));
    expect(at("H100-80GB", 4, 64)).toBeLessThan(at("H100-80GB", 8, 64));
    expect(at("L40S", 4, 4096)).toBeGreaterThan(5 * at("H100-80GB", 4, 4096));
  });

  it("gives a small model far less than twice the decode speed from TP8 over TP4 at a full batch (Lambda measured 1.2× at batch 10)", () => {
    const step = (g: number) => decodeStepSeconds(input({ gpu: gpuById("H100-80GB"), gpusPerReplica: g }), 256);
    // At a full batch the per-step communication eats the bandwidth gained: TP8 buys far less than 2× over TP4.
    expect(step(4) / step(8)).toBeLessThan(1.5);
  });
});

describe("capacity as a range", () => {
  it("plans a roofline on the low end of the calibration's error band and reports the band", () => {
    const c = replicaCapacity(input());
    const r = c.tokensPerSecondRange;
    expect(r.low).toBeCloseTo(r.central * CAPACITY_ERROR_BAND.lowRatio, 9);
    expect(r.high).toBeCloseTo(r.central * CAPACITY_ERROR_BAND.highRatio, 9);
    expect(c.tokensPerSecond).toBe(r.low);
    expect(c.requestsPerSecond).toBeCloseTo(r.low / 1200, 9);
    expect(atCapacityEnd(c, "high").tokensPerSecond).toBe(r.high);
    expect(atCapacityEnd(c, "high").requestsPerSecond).toBeCloseTo(r.high / 1200, 9);
  });

  it("collapses the range onto a measured figure", () => {
    const c = replicaCapacity(input({ measuredTokensPerSecond: 900 }));
    expect(c.tokensPerSecondRange).toEqual({ low: 900, central: 900, high: 900 });
    expect(atCapacityEnd(c, "high")).toBe(c);
  });

  it("scales the whole range with a share (reloads, queueing headroom)", () => {
    const c = scaleCapacity(replicaCapacity(input()), 0.5);
    const raw = replicaCapacity(input());
    expect(c.tokensPerSecond).toBeCloseTo(raw.tokensPerSecond / 2, 9);
    expect(c.tokensPerSecondRange.high).toBeCloseTo(raw.tokensPerSecondRange.high / 2, 9);
  });
});

const precisions: readonly Precision[] = ["bf16", "fp8", "int4"];
const arbitraryInput = fc.record({
  model: fc.constantFrom(...MODELS),
  gpu: fc.constantFrom(...GPUS),
  weightPrecision: fc.constantFrom(...precisions),
  kvCachePrecision: fc.constantFrom<Precision>("bf16", "fp8"),
  meanInputTokens: fc.integer({ min: 16, max: 8000 }),
  meanOutputTokens: fc.integer({ min: 8, max: 2000 }),
  prefixCacheHitRate: fc.double({ min: 0, max: 0.9, noNaN: true }),
  gpuMemoryUtilization: fc.double({ min: 0.5, max: 0.95, noNaN: true }),
  timePerOutputTokenMs: fc.option(fc.integer({ min: 5, max: 200 }), { nil: undefined }),
});
type Arbitrary = typeof arbitraryInput extends fc.Arbitrary<infer T> ? T : never;

function toInput(a: Arbitrary, gpusPerReplica: number): CapacityInput {
  return {
    tier: a.timePerOutputTokenMs === undefined ? "batch" : "interactive",
    architecture: a.model.architecture,
    weightPrecision: a.weightPrecision,
    kvCachePrecision: a.kvCachePrecision,
    gpu: a.gpu,
    gpusPerReplica,
    meanInputTokens: a.meanInputTokens,
    meanOutputTokens: a.meanOutputTokens,
    prefixCacheHitRate: a.prefixCacheHitRate,
    gpuMemoryUtilization: a.gpuMemoryUtilization,
    ...(a.timePerOutputTokenMs !== undefined ? { slo: { timePerOutputTokenMs: a.timePerOutputTokenMs, maxQueueWaitSeconds: 2, maxWaitProbability: 0.2 } } : {}),
  };
}

describe("capacity properties", () => {
  it("more GPUs per replica never lower the KV cache (tokens/s may fall: communication costs)", () => {
    fc.assert(
      fc.property(arbitraryInput, fc.constantFrom(1, 2, 4), fc.constantFrom(1, 2, 4), (a, g, extra) => {
        const fewer = replicaCapacity(toInput(a, g)).kvCacheTokens;
        const more = replicaCapacity(toInput(a, g * 2 * extra)).kvCacheTokens;
        expect(more).toBeGreaterThanOrEqual(fewer);
      }),
      { numRuns: 300 },
    );
  });

  it("a stricter (smaller) time-per-output-token SLO never raises tokens/s", () => {
    fc.assert(
      fc.property(arbitraryInput, fc.constantFrom(1, 2, 4, 8), fc.integer({ min: 5, max: 200 }), fc.integer({ min: 5, max: 200 }), (a, g, x, y) => {
        const strict = replicaCapacity(toInput({ ...a, timePerOutputTokenMs: Math.min(x, y) }, g)).tokensPerSecond;
        const loose = replicaCapacity(toInput({ ...a, timePerOutputTokenMs: Math.max(x, y) }, g)).tokensPerSecond;
        expect(strict).toBeLessThanOrEqual(loose * (1 + 1e-12));
      }),
      { numRuns: 300 },
    );
  });

  it("more bytes per KV element never raises concurrency", () => {
    fc.assert(
      fc.property(arbitraryInput, fc.constantFrom(1, 2, 4, 8), (a, g) => {
        const byBytes = (["int4", "fp8", "bf16"] as const).map((kv) => replicaCapacity(toInput({ ...a, kvCachePrecision: kv }, g)).concurrentSequences);
        expect(byBytes[1]!).toBeLessThanOrEqual(byBytes[0]!);
        expect(byBytes[2]!).toBeLessThanOrEqual(byBytes[1]!);
      }),
      { numRuns: 300 },
    );
  });

  it("never exceeds vLLM's max-num-seqs and reports a fitting replica consistently", () => {
    fc.assert(
      fc.property(arbitraryInput, fc.constantFrom(1, 2, 4, 8), (a, g) => {
        const c = replicaCapacity(toInput(a, g));
        expect(c.concurrentSequences).toBeLessThanOrEqual(MAX_NUM_SEQS);
        if (c.fits) {
          expect(c.reason).toBeUndefined();
          expect(c.concurrentSequences).toBeGreaterThanOrEqual(1);
          expect(c.tokensPerSecond).toBeCloseTo(c.requestsPerSecond * (a.meanInputTokens + a.meanOutputTokens), 6);
          const r = c.tokensPerSecondRange;
          expect(r.low).toBeLessThanOrEqual(r.central);
          expect(r.central).toBeLessThanOrEqual(r.high);
          expect(Number.isFinite(r.high)).toBe(true);
          expect(c.kvCacheTokens).toBeGreaterThanOrEqual(c.concurrentSequences * (a.meanInputTokens + a.meanOutputTokens));
        } else {
          expect(c.reason).toBeTruthy();
          expect(c.tokensPerSecond).toBe(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("cold start", () => {
  it("from the hub: adds node provisioning, image pull, the download at the hub's rate, the load from local disk, and engine start", () => {
    const gb = (8.03e9 * 2) / 1e9;
    const expected = COLD_START.nodeProvisioningSeconds + COLD_START.imagePullSeconds + gb / COLD_START.hubDownloadGBps + gb / COLD_START.weightLoadGBps + COLD_START.engineStartSeconds;
    expect(estimateColdStartSeconds(weightGiB(llama8b, "bf16"), "hub")).toBe(Math.ceil(expected));
    expect(estimateColdStartSeconds(weightGiB(llama8b, "bf16"))).toBe(Math.ceil(expected));
    expect(estimateColdStartSeconds(weightGiB(llama8b, "bf16"))).toBeGreaterThan(5 * 60);
    expect(estimateColdStartSeconds(weightGiB(llama70b, "bf16"))).toBeGreaterThan(estimateColdStartSeconds(weightGiB(llama8b, "bf16")));
  });

  it("from S3: the Run:ai streamer reads the checkpoint straight into GPU memory at S3's rate, with no local-disk step (hand arithmetic)", () => {
    // Llama 3.1 8B BF16: 16.06 GB at 1 GB/s = 16.06 s, against 16.06 / 0.3 + 16.06 / 2.3 = 60.5 s from the hub.
    const gb = (8.03e9 * 2) / 1e9;
    expect(COLD_START.s3DownloadGBps).toBe(1);
    expect(COLD_START.hubDownloadGBps).toBe(0.3);
    const fixed = COLD_START.nodeProvisioningSeconds + COLD_START.imagePullSeconds + COLD_START.engineStartSeconds;
    expect(estimateColdStartSeconds(weightGiB(llama8b, "bf16"), "s3")).toBe(Math.ceil(fixed + gb / 1));
    expect(estimateColdStartSeconds(weightGiB(llama8b, "bf16"), "hub") - estimateColdStartSeconds(weightGiB(llama8b, "bf16"), "s3")).toBeGreaterThanOrEqual(Math.floor(gb / 0.3 + gb / 2.3 - gb));
  });

  it("reloads a batch file's model from local disk (hub) or from S3 again (the streamer keeps nothing on disk)", () => {
    const gb = (8.03e9 * 2) / 1e9;
    expect(estimateModelReloadSeconds(weightGiB(llama8b, "bf16"), "hub")).toBe(Math.ceil(gb / COLD_START.weightLoadGBps + COLD_START.engineStartSeconds));
    expect(estimateModelReloadSeconds(weightGiB(llama8b, "bf16"), "s3")).toBe(Math.ceil(gb / COLD_START.s3DownloadGBps + COLD_START.engineStartSeconds));
  });
});

describe("head size", () => {
  it("uses config.json's head_dim where it differs from hiddenSize / attentionHeads (Gemma 2 9B: 256, not 224)", () => {
    const gemma = resolveArchitecture({ id: "google/gemma-2-9b-it" });
    // 2 (K and V) × 42 layers × 8 KV heads × 256 × 2 bytes
    expect(kvBytesPerToken(gemma, "bf16")).toBe(2 * 42 * 8 * 256 * 2);
    expect(kvBytesPerToken({ ...gemma, headDim: undefined }, "bf16")).toBe(2 * 42 * 8 * (3584 / 16) * 2);
  });
});
