/**
 * What a cold start downloads, and from where: the checkpoint's size (larger than the weights in GPU
 * memory when vLLM quantizes at load) and whether it comes from the Hugging Face hub through the NAT
 * or from the stack's weights bucket through the S3 gateway endpoint. The program sizes volumes and
 * cold starts from it; the cost model charges the NAT for it; the gate reads the source from the pod.
 */
import { weightGiB } from "./capacity";
import { resolveArchitecture } from "./catalog";
import type { WorkloadProfile } from "./schema";

/**
 * Where a replica's weights come from.
 * - `hub`: the Hugging Face hub, over the internet through the VPC's NAT gateway (billed per GB processed).
 * - `s3`: the stack's weights bucket, through the VPC's S3 gateway endpoint (no per-GB charge), staged once per revision.
 */
export type WeightsSource = "hub" | "s3";

/** Bytes in a GiB. */
const GIB = 2 ** 30;

/** GiB to GB (10^9 bytes), the unit AWS bills transfer in. */
export function gibToGb(gib: number): number {
  return (gib * GIB) / 1e9;
}

/**
 * Precision the checkpoint is stored in. vLLM's `--quantization fp8` quantizes a BF16 checkpoint as it
 * loads (docs.vllm.ai "FP8 W8A8", online dynamic quantization), so an fp8 workload on a hub id
 * downloads BF16; bf16/fp16 are stored as served; int8/int4 are pre-quantized checkpoints (AWQ, GPTQ,
 * compressed-tensors) stored at their own size.
 */
export function checkpointPrecision(weightPrecision: WorkloadProfile["model"]["weightPrecision"]): WorkloadProfile["model"]["weightPrecision"] {
  return weightPrecision === "fp8" ? "bf16" : weightPrecision;
}

/**
 * Size of the checkpoint a replica downloads, GiB: the served weights' size, except for a model quantized at
 * load, whose BF16 checkpoint is sized from its architecture.
 */
export function checkpointGiB(model: Pick<WorkloadProfile["model"], "id" | "architecture" | "weightPrecision">, servedWeightGiB: number): number {
  const stored = checkpointPrecision(model.weightPrecision);
  return stored === model.weightPrecision ? servedWeightGiB : weightGiB(resolveArchitecture(model), stored);
}

/** The checkpoint a workload's replicas download, GiB, from its profile alone (what the gate can know). */
export function profileCheckpointGiB(profile: Pick<WorkloadProfile, "model">): number {
  return checkpointGiB(profile.model, weightGiB(resolveArchitecture(profile.model), profile.model.weightPrecision));
}
