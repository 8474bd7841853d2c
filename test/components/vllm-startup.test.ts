/**
 * vLLM's own start-up KV-cache check, encoded and run on the flags this stack renders for every
 * shipped workload: the engine must start, and it must assume the batch the cost model assumes.
 *
 * vLLM (vllm/v1/core/kv_cache_utils.py `check_enough_kv_cache_memory`, v0.26-era source: the check
 * subtracts the one block BlockPool holds back, then `_check_enough_kv_cache_memory` raises
 * "To serve at least one request with the models's max seq len (...)" when
 * `max_memory_usage_bytes` exceeds it). For full attention a layer needs
 * cdiv(max_model_len, block_size) pages of 2 × block_size × kv_heads_per_worker × head_size × dtype bytes;
 * tensor parallelism splits KV heads across workers (each keeps at least one). Each worker's available
 * memory is gpu_memory_utilization × its GPU's memory less its share of the weights and the
 * non-KV memory vLLM profiles (the capacity model's runtime reserve stands in for that profile).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { servingPlan, workloadEngineLimits } from "../../components/internal/serving-plan";
import { renderRunBatchEngineArgs, renderServeArgs } from "../../components/internal/vllm-flags";
import { resolveVllmWorkload } from "../../components/vllm-server";
import { loadStackConfigFile, parseStackConfig, namespaceValues, StackConfigError, type StackConfig, type WorkloadConfig } from "../../infra/config";
import { workloadFacts } from "../../infra/stack-economics";
import { bytesPerElement, runtimeReserveGiB, weightGiB } from "../../policies/economics/capacity";
import { gpuById, instanceById, resolveArchitecture } from "../../policies/economics/catalog";
import { sizedReplicaCapacity, workloadWeightGiB } from "../../policies/economics/evaluate";
import { poolNodeOptions } from "../../policies/economics/usage";
import { VLLM_BLOCK_TOKENS } from "../../policies/economics/engine-limits";
import { stackContext } from "../../infra/stack-economics";

const GIB = 2 ** 30;
const ROOT = path.resolve(__dirname, "../..");
const stacks = ["dev", "prod"].map((stack) => ({ stack, config: loadStackConfigFile(path.join(ROOT, `Pulumi.${stack}.yaml`)) }));

function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** The engine argv the stack deploys for a workload (the Deployment's args, or the batch Job's runner args). */
function renderedArgs(config: StackConfig, workload: WorkloadConfig): string[] {
  const { tenant: _t, serving: _s, ...profile } = workload;
  const plan = servingPlan(config, workload, workloadWeightGiB(profile));
  const placement = { nodeSelector: {}, tolerations: [] };
  const { engine } = resolveVllmWorkload(`test ${workload.name}`, { plan, profile, placement, weightGiB: workloadWeightGiB(profile) });
  return workload.tier === "interactive" ? renderServeArgs(engine) : renderRunBatchEngineArgs(engine);
}

/** vLLM's start-up check for one worker of a full-attention model; the error vLLM raises, or undefined. */
function vllmKvCacheCheck(workload: WorkloadConfig, argv: readonly string[], gpuMemoryGiB: number): string | undefined {
  const a = resolveArchitecture(workload.model);
  const tp = Number(flag(argv, "--tensor-parallel-size"));
  const utilization = Number(flag(argv, "--gpu-memory-utilization"));
  const maxModelLen = Number(flag(argv, "--max-model-len") ?? a.maxContextTokens);
  const kvDtypeBytes = flag(argv, "--kv-cache-dtype") === "fp8" ? 1 : bytesPerElement(workload.model.kvCachePrecision);
  const headSize = a.headDim ?? a.hiddenSize / a.attentionHeads;
  const kvHeadsPerWorker = Math.max(1, Math.floor(a.kvHeads / tp));
  const pageBytesPerLayer = 2 * VLLM_BLOCK_TOKENS * kvHeadsPerWorker * headSize * kvDtypeBytes;
  const bytesPerBlock = pageBytesPerLayer * a.layers;
  const needed = Math.ceil(maxModelLen / VLLM_BLOCK_TOKENS) * bytesPerBlock;
  const available = (utilization * gpuMemoryGiB - weightGiB(a, workload.model.weightPrecision) / tp - runtimeReserveGiB(a, tp)) * GIB - bytesPerBlock;
  if (available <= 0) return "No available memory for the cache blocks.";
  if (needed > available) {
    return `To serve at least one request with the models's max seq len (${maxModelLen}), (${(needed / GIB).toFixed(2)} GiB KV cache is needed, which is larger than the available KV cache memory (${(available / GIB).toFixed(2)} GiB).`;
  }
  return undefined;
}

describe("vLLM start-up on the shipped stacks", () => {
  const cases = stacks.flatMap(({ stack, config }) => config.workloads.map((workload) => ({ stack, config, workload })));

  it.each(cases.map((c) => [`${c.stack}/${c.workload.name}`, c] as const))("%s passes vLLM's KV-cache check on every instance type of its pool", (_label, { config, workload }) => {
    const argv = renderedArgs(config, workload);
    expect(flag(argv, "--max-model-len")).toBeDefined();
    const pool = config.cluster.gpuPools.find((p) => p.name === workload.serving.gpuPool)!;
    for (const instanceType of pool.instanceTypes) {
      const instance = instanceById(instanceType);
      if (instance.gpuCount < workload.serving.gpusPerReplica) continue;
      expect(vllmKvCacheCheck(workload, argv, gpuById(instance.gpu).memoryGiB), instanceType).toBeUndefined();
    }
  });

  it.each(cases.map((c) => [`${c.stack}/${c.workload.name}`, c] as const))("%s starts with the batch the cost model assumes", (_label, { config, workload }) => {
    const argv = renderedArgs(config, workload);
    const facts = workloadFacts(config, workload);
    const capacity = sizedReplicaCapacity(facts, poolNodeOptions(facts, stackContext(config))[0]!.instanceType);
    expect(Number(flag(argv, "--max-num-seqs"))).toBe(Math.max(1, capacity.concurrentSequences));
  });

  it("would refuse the L4 workload at the model's own 131,072-token context (the failure this fixes)", () => {
    const { config } = stacks[0]!;
    const workload = config.workloads.find((w) => w.serving.gpuPool === "l4-spot")!;
    const argv = renderedArgs(config, workload).flatMap((arg, i, all) => (arg === "--max-model-len" || all[i - 1] === "--max-model-len" ? [] : [arg]));
    expect(vllmKvCacheCheck(workload, argv, gpuById("L4").memoryGiB)).toMatch(/max seq len \(131072\)/);
  });
});

describe("a configured context that cannot fit", () => {
  it("is refused by the stack config with the file and key path", () => {
    const file = path.join(ROOT, "Pulumi.dev.yaml");
    const values = namespaceValues(fs.readFileSync(file, "utf8"), "Pulumi.dev.yaml");
    const workloads = (values.workloads as Record<string, unknown>[]).map((w) =>
      (w.serving as { gpuPool: string }).gpuPool === "l4-spot" ? { ...w, serving: { ...(w.serving as object), maxContextTokens: 131072 } } : w,
    );
    const index = workloads.findIndex((w) => (w.serving as { gpuPool: string }).gpuPool === "l4-spot");
    const parse = () => parseStackConfig({ ...values, workloads }, "Pulumi.dev.yaml");
    expect(parse).toThrow(StackConfigError);
    expect(parse).toThrow(new RegExp(`Pulumi\\.dev\\.yaml: gpu-inference:workloads\\[${index}\\]\\.serving\\.maxContextTokens: one 131072-token sequence does not fit`));
  });

  it("is accepted when it fits, and then it is the engine's --max-model-len", () => {
    const { config } = stacks[0]!;
    const workload = config.workloads.find((w) => w.serving.gpuPool === "l4-spot")!;
    const asked = { ...workload, serving: { ...workload.serving, maxContextTokens: 8192 } };
    const limits = workloadEngineLimits(asked, ["g6.xlarge"]);
    expect(limits.fits && limits.limits.maxModelLen).toBe(8192);
  });
});
