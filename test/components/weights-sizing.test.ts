/**
 * FP8 workloads size their disk and cold start from what is really downloaded. `--quantization fp8`
 * on a hub id quantizes a BF16 checkpoint while loading, so the pod downloads BF16 bytes (2 per
 * parameter), not the FP8 bytes (1 per parameter) the GPU holds. The shipped dev stack serves
 * Qwen2.5-32B and Llama-3.3-70B that way.
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checkpointGiB, servingPlan } from "../../components/internal/serving-plan";
import { ephemeralStorageGiB } from "../../components/internal/vllm-pod";
import { resolveVllmWorkload } from "../../components/vllm-server";
import { loadStackConfigFile } from "../../infra/config";
import { COLD_START, estimateColdStartSeconds, weightGiB as weightsGiB } from "../../policies/economics/capacity";
import { resolveArchitecture } from "../../policies/economics/catalog";
import { workloadWeightGiB } from "../../policies/economics/evaluate";

const GIB = 2 ** 30;
const config = loadStackConfigFile(path.resolve(__dirname, "../../Pulumi.dev.yaml"));
const fp8 = config.workloads.filter((w) => w.model.weightPrecision === "fp8");

function sized(name: string) {
  const workload = config.workloads.find((w) => w.name === name)!;
  const { tenant: _t, serving: _s, ...profile } = workload;
  const weightGiB = workloadWeightGiB(profile);
  const plan = servingPlan(config, workload, weightGiB);
  const { pod } = resolveVllmWorkload(name, { plan, profile, placement: { nodeSelector: {}, tolerations: [] }, weightGiB });
  return { plan, pod, weightGiB, bf16GiB: weightsGiB(resolveArchitecture(workload.model), "bf16") };
}

describe("an FP8 workload quantized at load", () => {
  it("is in the shipped dev stack (Qwen2.5-32B and Llama-3.3-70B at least)", () => {
    expect(fp8.map((w) => w.model.id)).toEqual(expect.arrayContaining(["Qwen/Qwen2.5-32B-Instruct", "meta-llama/Llama-3.3-70B-Instruct"]));
  });

  it.each(fp8.map((w) => [w.name] as const))("%s: downloads the BF16 checkpoint, more than the FP8 weights it serves", (name) => {
    const { plan, weightGiB, bf16GiB } = sized(name);
    expect(plan.downloadGiB).toBeCloseTo(bf16GiB, 6);
    expect(plan.downloadGiB).toBeGreaterThan(weightGiB);
    expect(checkpointGiB({ id: "x/y", weightPrecision: "bf16" }, 10)).toBe(10);
    expect(checkpointGiB({ id: "x/y", weightPrecision: "int4" }, 10)).toBe(10);
  });

  it.each(fp8.map((w) => [w.name] as const))("%s: the model cache holds the download, and the pod asks the node for that disk", (name) => {
    const { plan, pod } = sized(name);
    expect(pod.modelCacheGiB).toBeGreaterThanOrEqual(plan.downloadGiB);
    expect(ephemeralStorageGiB(pod)).toBeGreaterThan(pod.modelCacheGiB);
  });

  it.each(fp8.map((w) => [w.name] as const))("%s: the cold start downloads and reads the checkpoint's bytes", (name) => {
    const { plan, bf16GiB, weightGiB } = sized(name);
    expect(plan.coldStartSeconds).toBe(estimateColdStartSeconds(bf16GiB, plan.weightsSource));
    // Against the FP8 size, moving the weights alone takes this many seconds longer: from the hub a download and a disk read, from S3 the stream.
    const extra = plan.coldStartSeconds - estimateColdStartSeconds(weightGiB, plan.weightsSource);
    const extraGB = ((bf16GiB - weightGiB) * GIB) / 1e9;
    const perGB = plan.weightsSource === "s3" ? 1 / COLD_START.s3DownloadGBps : 1 / COLD_START.hubDownloadGBps + 1 / COLD_START.weightLoadGBps;
    expect(extra).toBeGreaterThanOrEqual(Math.floor(extraGB * perGB) - 1);
  });

  it("sizes the issue's figures: Qwen2.5-32B ≈ 61 GiB and Llama-3.3-70B ≈ 131 GiB downloaded", () => {
    expect(Math.round(sized("document-processing").plan.downloadGiB)).toBe(61);
    expect(Math.round(sized("support-chat").plan.downloadGiB)).toBe(131);
  });
});
