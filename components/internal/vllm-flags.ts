/**
 * Typed vLLM engine options rendered to the command line of the pinned release.
 *
 * Every flag written here is checked against vLLM v0.26.0's own flag list
 * (`test/fixtures/vllm/flags-v0.26.0.txt`) by `test/components/vllm-flags.test.ts`.
 * Pure functions, no Pulumi.
 */
import type { Precision } from "../../policies/economics/schema";

/** The official OpenAI-compatible image, pinned to the release whose flag list the tests read. Its entrypoint is `vllm serve`. */
export const VLLM_IMAGE = "vllm/vllm-openai:v0.26.0";

/** Port vLLM listens on inside the pod (maps to `--port`). */
export const VLLM_PORT = 8000;

/** vLLM's `--quantization` methods this stack renders (a subset of the release's choices). */
export type VllmQuantization = "fp8" | "awq" | "awq_marlin" | "gptq" | "gptq_marlin" | "compressed-tensors" | "bitsandbytes";

/** vLLM's `--kv-cache-dtype` values this stack renders. */
export type VllmKvCacheDtype = "auto" | "fp8" | "fp8_e4m3" | "fp8_e5m2";

/** Where the weights come from. */
export type WeightSource =
  /** Hugging Face hub id, downloaded into `HF_HOME`. */
  | { readonly kind: "huggingface"; readonly modelId: string }
  /** An `s3://bucket/prefix` holding the safetensors checkpoint, streamed with vLLM's Run:ai model streamer. */
  | { readonly kind: "s3"; readonly uri: string };

export interface VllmEngineOptions {
  readonly weights: WeightSource;
  /** Name clients send as `model` and the `model_name` label on every vLLM metric (maps to `--served-model-name`). */
  readonly servedModelName: string;
  /** GPUs one engine spans (maps to `--tensor-parallel-size`); equals the container's `nvidia.com/gpu` limit. */
  readonly tensorParallelSize: number;
  /** Share of each GPU's memory vLLM may use (maps to `--gpu-memory-utilization`). */
  readonly gpuMemoryUtilization: number;
  /** Longest context, tokens (maps to `--max-model-len`); unset keeps the model's own. */
  readonly maxModelLen?: number;
  /** Most sequences decoded together (maps to `--max-num-seqs`); unset keeps vLLM's default. */
  readonly maxNumSeqs?: number;
  /** Automatic prefix caching, the owned side of prompt caching (maps to `--enable-prefix-caching` / `--no-enable-prefix-caching`). */
  readonly enablePrefixCaching: boolean;
  /** Weight quantization method (maps to `--quantization`); unset lets vLLM read the checkpoint's config. */
  readonly quantization?: VllmQuantization;
  /** Weight/activation dtype (maps to `--dtype`); unset keeps `auto` (the checkpoint's dtype). */
  readonly dtype?: "bfloat16" | "float16";
  /** KV-cache dtype (maps to `--kv-cache-dtype`); unset keeps `auto` (the model dtype). */
  readonly kvCacheDtype?: VllmKvCacheDtype;
}

/** The engine options a workload's declared precisions imply; throws for a KV precision vLLM cannot store. */
export function precisionOptions(weightPrecision: Precision, kvCachePrecision: Precision): Pick<VllmEngineOptions, "quantization" | "dtype" | "kvCacheDtype"> {
  const out: { quantization?: VllmQuantization; dtype?: "bfloat16" | "float16"; kvCacheDtype?: VllmKvCacheDtype } = {};
  // bf16 is what `--dtype auto` picks for a bf16 checkpoint; int8/int4 checkpoints (AWQ, GPTQ, compressed-tensors)
  // carry their quantization config, which vLLM reads itself: passing a method that disagrees is an error.
  if (weightPrecision === "fp16") out.dtype = "float16";
  if (weightPrecision === "fp8") out.quantization = "fp8";
  if (kvCachePrecision === "fp8") out.kvCacheDtype = "fp8";
  if (kvCachePrecision === "int8" || kvCachePrecision === "int4") {
    throw new Error(
      `model.kvCachePrecision: "${kvCachePrecision}" is not a KV-cache dtype vLLM v0.26.0 supports; expected bf16, fp16 or fp8 (--kv-cache-dtype auto|fp8)`,
    );
  }
  return out;
}

/** The model argument vLLM loads: a hub id or an S3 URI. */
function modelArgument(weights: WeightSource): string {
  return weights.kind === "huggingface" ? weights.modelId : weights.uri;
}

/** Flags shared by `vllm serve` and the offline batch runner (both parse `AsyncEngineArgs`). */
function engineFlags(o: VllmEngineOptions): string[] {
  if (!Number.isInteger(o.tensorParallelSize) || o.tensorParallelSize < 1) {
    throw new Error(`tensorParallelSize: expected a whole number of GPUs, at least 1; got ${o.tensorParallelSize}`);
  }
  if (!(o.gpuMemoryUtilization > 0 && o.gpuMemoryUtilization <= 1)) {
    throw new Error(`gpuMemoryUtilization: expected a share above 0 and at most 1; got ${o.gpuMemoryUtilization}`);
  }
  const flags = [
    "--served-model-name",
    o.servedModelName,
    "--tensor-parallel-size",
    String(o.tensorParallelSize),
    "--gpu-memory-utilization",
    String(o.gpuMemoryUtilization),
    o.enablePrefixCaching ? "--enable-prefix-caching" : "--no-enable-prefix-caching",
  ];
  if (o.weights.kind === "s3") flags.push("--load-format", "runai_streamer");
  if (o.maxModelLen !== undefined) flags.push("--max-model-len", String(o.maxModelLen));
  if (o.maxNumSeqs !== undefined) flags.push("--max-num-seqs", String(o.maxNumSeqs));
  if (o.quantization !== undefined) flags.push("--quantization", o.quantization);
  if (o.dtype !== undefined) flags.push("--dtype", o.dtype);
  if (o.kvCacheDtype !== undefined) flags.push("--kv-cache-dtype", o.kvCacheDtype);
  return flags;
}

/**
 * Container args for the image's `vllm serve` entrypoint: the model first (positional), then flags.
 * No prompt logging (`--enable-log-requests` stays off) and no per-request access log.
 */
export function renderServeArgs(o: VllmEngineOptions): string[] {
  return [modelArgument(o.weights), ...engineFlags(o), "--port", String(VLLM_PORT), "--disable-uvicorn-access-log"];
}

/**
 * Args for `python -m vllm.entrypoints.openai.run_batch` after its `-i`/`-o` files: that runner takes the
 * model as `--model` (it has no positional), plus the same engine flags as the server.
 */
export function renderRunBatchEngineArgs(o: VllmEngineOptions): string[] {
  return ["--model", modelArgument(o.weights), ...engineFlags(o)];
}

/**
 * Port the offline batch runner's Prometheus server listens on (maps to run_batch's `--port`; its
 * default at v0.26.0 is also 8000). The same port as the server's, so the tenant's
 * `allow-prometheus-scrape` NetworkPolicy (`TenantArgs.servingPort`, default 8000) admits the scrape.
 */
export const RUN_BATCH_METRICS_PORT = VLLM_PORT;

/**
 * Args for the offline batch runner: the engine's, then its Prometheus server. run_batch.py (v0.26.0)
 * starts `prometheus_client.start_http_server(port=args.port, addr=args.host)` only with
 * `--enable-metrics`, before the engine loads, and the engine's stat logger registers the same
 * `vllm:*` families `vllm serve` exports. `--host` defaults to None, and prometheus_client binds what
 * its address lookup of None yields: loopback in releases that look it up without `AI_PASSIVE`
 * (getaddrinfo(3)), unreachable from Prometheus; an IPv6 wildcard on some hosts. The IPv4 wildcard is explicit. Each file runs in a new process, so every counter restarts at 0 per file; the live rules
 * read them only through rate(), which treats the drop as a counter reset.
 */
export function renderRunBatchArgs(o: VllmEngineOptions, metricsPort: number = RUN_BATCH_METRICS_PORT): string[] {
  return [...renderRunBatchEngineArgs(o), "--enable-metrics", "--host", "0.0.0.0", "--port", String(metricsPort)];
}

/**
 * Names of the options in an argv, normalised the way vLLM's FlexibleArgumentParser does
 * (`_` → `-` in the name, `--flag=value` split, dotted JSON keys cut at the first `.`).
 */
export function optionNames(argv: readonly string[]): string[] {
  return argv
    .filter((arg) => arg.startsWith("-") && !/^-\d/.test(arg))
    .map((arg) => {
      const name = arg.split("=", 1)[0] as string;
      const dashes = name.startsWith("--") ? "--" : "-";
      return dashes + name.slice(dashes.length).split(".", 1)[0]!.replace(/_/g, "-");
    });
}
