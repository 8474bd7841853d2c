/**
 * Every vLLM flag and VLLM_* variable the program renders exists in the pinned release
 * (lists extracted from vLLM v0.26.0's source, vendored in test/fixtures/vllm/ with their source).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BATCH_WORKER_PY } from "../../components/internal/batch-worker";
import { optionNames, precisionOptions, renderRunBatchArgs, renderServeArgs, type VllmEngineOptions } from "../../components/internal/vllm-flags";
import { VLLM_ENV } from "../../components/internal/vllm-pod";
import { ModelDeployment } from "../../components/model-deployment";
import { batchCluster, placement, servingStack, WEIGHT_GIB, workload } from "../fixtures/serving";
import { find, installPulumiMocks } from "../helpers/pulumi-mocks";

const repoRoot = path.resolve(__dirname, "..", "..");
const dataDir = path.join(repoRoot, "test", "fixtures", "vllm");
const lines = (file: string) =>
  fs
    .readFileSync(path.join(dataDir, file), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
const FLAGS = new Set(lines("flags-v0.26.0.txt"));
const ENVS = new Set(lines("envs-v0.26.0.txt"));
/** What the offline batch runner adds to the engine flags (its files and its Prometheus server). */
const RUN_BATCH_FLAGS = new Set(lines("run-batch-flags-v0.26.0.txt"));
/** Flags the data README lists as gone by v0.26.0 (vLLM exits with "unrecognized arguments"). */
const REMOVED = ["--swap-space", "--disable-log-requests", "--task", "--num-scheduler-steps", "--guided-decoding-backend", "--enable-reasoning", "--use-v2-block-manager", "--tokenizer-pool-size", "--device"];

const unknownFlags = (argv: readonly string[]) => optionNames(argv).filter((name) => !FLAGS.has(name));

const engineOptions: fc.Arbitrary<VllmEngineOptions> = fc.record(
  {
    weights: fc.oneof(
      fc.constant({ kind: "huggingface" as const, modelId: "meta-llama/Llama-3.1-8B-Instruct" }),
      fc.constant({ kind: "s3" as const, uri: "s3://weights/search/llama/" }),
    ),
    servedModelName: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
    tensorParallelSize: fc.constantFrom(1, 2, 4, 8),
    gpuMemoryUtilization: fc.double({ min: 0.05, max: 1, noNaN: true }),
    maxModelLen: fc.integer({ min: 512, max: 131072 }),
    maxNumSeqs: fc.integer({ min: 1, max: 1024 }),
    enablePrefixCaching: fc.boolean(),
    quantization: fc.constantFrom("fp8", "awq", "awq_marlin", "gptq", "gptq_marlin", "compressed-tensors", "bitsandbytes"),
    dtype: fc.constantFrom("bfloat16", "float16"),
    kvCacheDtype: fc.constantFrom("auto", "fp8", "fp8_e4m3", "fp8_e5m2"),
  },
  { requiredKeys: ["weights", "servedModelName", "tensorParallelSize", "gpuMemoryUtilization", "enablePrefixCaching"] },
);

describe("the reference lists", () => {
  it("are the v0.26.0 lists, vendored in test/fixtures/vllm", () => {
    expect(FLAGS.size).toBe(372);
    expect(FLAGS.has("--served-model-name")).toBe(true);
    expect(FLAGS.has("--swap-space")).toBe(false);
    expect(ENVS.has("VLLM_CACHE_ROOT")).toBe(true);
    expect([...RUN_BATCH_FLAGS]).toEqual(["--enable-metrics", "--host", "--input-file", "--output-file", "--output-tmp-dir", "--port", "--url", "-i", "-o"]);
    // `vllm serve` serves /metrics on its API port unasked; the offline runner only with its own flag, which serve's list lacks.
    expect(FLAGS.has("--enable-metrics")).toBe(false);
  });
});

describe("rendered flags", () => {
  it("vllm serve: the model comes first as a positional, then only flags of the pinned release, none of the removed ones", () => {
    fc.assert(
      fc.property(engineOptions, (o) => {
        const argv = renderServeArgs(o);
        expect(argv[0]?.startsWith("-")).toBe(false);
        expect(unknownFlags(argv)).toEqual([]);
        expect(optionNames(argv).filter((f) => REMOVED.includes(f))).toEqual([]);
        expect(optionNames(argv)).not.toContain("--model");
      }),
      { numRuns: 200 },
    );
  });

  it("the offline batch runner gets the model as --model, the same engine flags, and its own metrics flags", () => {
    fc.assert(
      fc.property(engineOptions, (o) => {
        const argv = renderRunBatchArgs(o);
        expect(argv.slice(0, 2)).toEqual(["--model", o.weights.kind === "huggingface" ? o.weights.modelId : o.weights.uri]);
        expect(optionNames(argv).filter((name) => !FLAGS.has(name) && !RUN_BATCH_FLAGS.has(name))).toEqual([]);
        expect(optionNames(argv).filter((name) => RUN_BATCH_FLAGS.has(name))).toEqual(["--enable-metrics", "--host", "--port"]);
      }),
      { numRuns: 200 },
    );
  });

  it("tensor parallel size is the GPU count, rendered once", () => {
    const argv = renderServeArgs({ weights: { kind: "huggingface", modelId: "m" }, servedModelName: "x", tensorParallelSize: 4, gpuMemoryUtilization: 0.9, enablePrefixCaching: true });
    expect(argv.filter((a) => a === "--tensor-parallel-size")).toHaveLength(1);
    expect(argv[argv.indexOf("--tensor-parallel-size") + 1]).toBe("4");
  });

  it("the flag-name normaliser follows vLLM's parser (underscores, =value, dotted JSON keys)", () => {
    expect(optionNames(["m", "--gpu_memory_utilization=0.9", "--compilation-config.mode", "3", "-tp", "2", "-1"])).toEqual(["--gpu-memory-utilization", "--compilation-config", "-tp"]);
    expect(unknownFlags(["--swap-space", "4"])).toEqual(["--swap-space"]);
  });

  it("maps declared precisions to flags vLLM accepts and refuses int KV caches", () => {
    expect(precisionOptions("bf16", "bf16")).toEqual({});
    expect(precisionOptions("fp16", "fp16")).toEqual({ dtype: "float16" });
    expect(precisionOptions("fp8", "fp8")).toEqual({ quantization: "fp8", kvCacheDtype: "fp8" });
    expect(precisionOptions("int4", "bf16")).toEqual({});
    expect(() => precisionOptions("bf16", "int4")).toThrow(/kvCachePrecision/);
  });
});

describe("what the program deploys", () => {
  it("the Deployment's args and the batch Job's runner args use only flags of the pinned release; every VLLM_* variable exists", async () => {
    const config = servingStack();
    const recorded = installPulumiMocks();
    for (const name of ["chat", "summaries"]) {
      const w = workload(config, name);
      new ModelDeployment(name, {
        config,
        workload: w,
        weightGiB: WEIGHT_GIB,
        tenant: { namespace: w.tenant, serviceAccountName: "inference", queueNamePrefix: `inference-dev-${w.tenant}-` },
        placement,
        cluster: batchCluster,
      });
    }
    await pulumi.runtime.disconnect();

    const server = find(recorded, "kubernetes:apps/v1:Deployment", "chat").inputs as { spec: { template: { spec: { containers: { args: string[]; env: { name: string }[] }[] } } } };
    const serverContainer = server.spec.template.spec.containers[0]!;
    expect(unknownFlags(serverContainer.args)).toEqual([]);

    const job = find(recorded, "kubernetes:keda.sh/v1alpha1:ScaledJob", "summaries-scaler").inputs as {
      spec: { jobTargetRef: { template: { spec: { containers: { command: string[]; env: { name: string }[] }[] } } } };
    };
    const jobContainer = job.spec.jobTargetRef.template.spec.containers[0]!;
    const runnerArgs = jobContainer.command.slice(jobContainer.command.indexOf("--") + 1);
    expect(runnerArgs.slice(0, 2)).toEqual(["--model", "Qwen/Qwen2.5-7B-Instruct"]);
    expect(optionNames(runnerArgs).filter((name) => !FLAGS.has(name) && !RUN_BATCH_FLAGS.has(name))).toEqual([]);
    expect(runnerArgs).toEqual(expect.arrayContaining(["--quantization", "fp8", "--kv-cache-dtype", "fp8"]));

    const vllmVars = [...serverContainer.env, ...jobContainer.env].map((e) => e.name).filter((n) => n.startsWith("VLLM_"));
    expect(vllmVars.length).toBeGreaterThanOrEqual(2 * Object.keys(VLLM_ENV).length);
    expect(vllmVars.filter((n) => !ENVS.has(n))).toEqual([]);
    expect(vllmVars).not.toContain("VLLM_PORT");
  });

  it("every batch job's runner serves Prometheus metrics on the pod's metrics port, on every interface", async () => {
    const config = servingStack();
    const recorded = installPulumiMocks();
    const w = workload(config, "summaries");
    new ModelDeployment("summaries", { config, workload: w, weightGiB: WEIGHT_GIB, tenant: { namespace: w.tenant, queueNamePrefix: `inference-dev-${w.tenant}-` }, placement, cluster: batchCluster });
    await pulumi.runtime.disconnect();
    const job = find(recorded, "kubernetes:keda.sh/v1alpha1:ScaledJob", "summaries-scaler").inputs as {
      spec: { jobTargetRef: { template: { spec: { containers: { command: string[]; ports?: { name: string; containerPort: number }[] }[] } } } };
    };
    const container = job.spec.jobTargetRef.template.spec.containers[0]!;
    const runnerArgs = container.command.slice(container.command.indexOf("--") + 1);
    // run_batch.py at v0.26.0: metrics only with --enable-metrics; --host defaults to None, which prometheus_client
    // may resolve to loopback (unreachable from Prometheus), so the wildcard is explicit.
    expect(runnerArgs).toContain("--enable-metrics");
    expect(runnerArgs[runnerArgs.indexOf("--host") + 1]).toBe("0.0.0.0");
    for (const flag of ["--enable-metrics", "--host", "--port"]) expect(RUN_BATCH_FLAGS.has(flag), flag).toBe(true);
    const metricsPort = container.ports?.find((p) => p.name === "metrics");
    expect(metricsPort?.containerPort).toBeDefined();
    expect(runnerArgs[runnerArgs.indexOf("--port") + 1]).toBe(String(metricsPort!.containerPort));
    // Serve-only front-end flags would make run_batch exit with "unrecognized arguments".
    expect(runnerArgs).not.toContain("--disable-uvicorn-access-log");
  });

  it("the batch worker calls vLLM's own runner module with its -i/-o files", () => {
    // `vllm/entrypoints/openai/run_batch.py` at v0.26.0: `-i/--input-file`, `-o/--output-file`, then AsyncEngineArgs.
    expect(BATCH_WORKER_PY).toContain('RUNNER = [sys.executable, "-m", "vllm.entrypoints.openai.run_batch"]');
    expect(BATCH_WORKER_PY).toContain('[*RUNNER, "-i", local_in, "-o", local_out, *engine_args]');
  });
});
