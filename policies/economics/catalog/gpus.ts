/**
 * GPU specs, transcribed from ../shared/data/catalog/gpus.csv.
 *
 * memoryGiB is the AWS catalog's per-GPU MiB / 1024 (what the driver reports, not the marketing
 * GB); TFLOPS are dense, i.e. the vendor's sparse headline / 2. Ampere (A10G, A100) has no FP8
 * tensor cores: FP8 weights there save memory and bandwidth, not compute.
 */
import type { GpuSpec } from "../types";

const AWS_MIB = "github:skypilot-org/skypilot-catalog catalogs/v7/aws/vms.csv @001367d2 (GpuInfo MemoryInfo.SizeInMiB)";

const rows: readonly GpuSpec[] = [
  {
    id: "A10G",
    memoryGiB: 22888 / 1024,
    memoryBandwidthGBps: 600,
    bf16DenseTflops: 70,
    fp8DenseTflops: null,
    source:
      "github:cli99/llm-analysis llm_analysis/gpu_configs/a10g-pcie-24gb.json @54b51aab (600 GB/s, fp16 70 TFLOPS; whether 70 is dense is not stated: low-medium confidence for compute); " +
      `baseten.co/blog/nvidia-a10-vs-a10g-for-ml-model-inference (24 GB GDDR6, 600 GB/s); ${AWS_MIB}; asOf approximate: the llm-analysis config dates from 2023–24`,
    asOf: "2024-01",
  },
  {
    id: "L4",
    memoryGiB: 22888 / 1024,
    memoryBandwidthGBps: 300,
    bf16DenseTflops: 121,
    fp8DenseTflops: 242.5,
    source:
      "NVIDIA L4 datasheet via secondary copies: grokipedia.com/page/NVIDIA_L4_vs_L40S, yobitel.com/knowledge-base/nvidia-l4 (300 GB/s; 242 BF16 / 485 FP8 TFLOPS with sparsity, dense = half); " +
      `${AWS_MIB}; asOf approximate: pages crawled 2025–26`,
    asOf: "2025-01",
  },
  {
    id: "L40S",
    memoryGiB: 45776 / 1024,
    memoryBandwidthGBps: 864,
    bf16DenseTflops: 362.05,
    fp8DenseTflops: 733,
    source:
      "NVIDIA L40S datasheet table via mullet.se/product.html?product_id=355414 (BF16 362.05 dense / 733 sparse, FP8 733 / 1,466, 864 GB/s); omegaco.ae/shop/gpu-cards-edge-ai/nvidia-l40s; " +
      `${AWS_MIB}; asOf approximate: pages crawled 2025–26`,
    asOf: "2025-01",
  },
  {
    id: "A100-40GB",
    memoryGiB: 40960 / 1024,
    memoryBandwidthGBps: 1555,
    bf16DenseTflops: 312,
    fp8DenseTflops: null,
    source:
      "glennklockwood.com/garden/processors/A100 (NVIDIA A100 datasheet: 1,555 GB/s SXM4 40GB, BF16 312 dense / 624 sparse); thundercompute.com/blog/nvidia-a100-specs-full-guide; " +
      AWS_MIB,
    asOf: "2026-05-21",
  },
  {
    id: "A100-80GB",
    memoryGiB: 81920 / 1024,
    memoryBandwidthGBps: 2039,
    bf16DenseTflops: 312,
    fp8DenseTflops: null,
    source:
      "github:cli99/llm-analysis llm_analysis/gpu_configs/a100-sxm-80gb.json @addee1b6 (2,039 GB/s, 312 TFLOPS); thundercompute.com/blog/nvidia-a100-specs-full-guide (SXM 80GB 2,039 GB/s); " +
      AWS_MIB,
    asOf: "2026-05-21",
  },
  {
    id: "H100-80GB",
    memoryGiB: 81920 / 1024,
    memoryBandwidthGBps: 3350,
    bf16DenseTflops: 989.4,
    fp8DenseTflops: 1978.9,
    source:
      "glennklockwood.com/garden/processors/h100 (Hopper whitepaper: BF16 989.4 dense, 3.35 TB/s); FP8 dense = 3,958 sparse / 2; github:mlcommons/inference_results_v4.0 closed/NVIDIA/systems/DGX-H100_H100-SXM-80GBx8_TRT.json; " +
      AWS_MIB,
    asOf: "2024-03",
  },
  {
    id: "H200-141GB",
    memoryGiB: 144384 / 1024,
    memoryBandwidthGBps: 4800,
    bf16DenseTflops: 989.4,
    fp8DenseTflops: 1978.9,
    source:
      "lzwjava.github.io/nvidia-h200-gpu-specs-en and aiminingco.com/gpu/h200/specs (141 GB HBM3e, 4.8 TB/s, same GH100 compute as H100); github:mlcommons/inference_results_v4.0 closed/NVIDIA/systems/H200-SXM-141GBx8_TRT.json; " +
      AWS_MIB,
    asOf: "2024-03",
  },
];

/** Every GPU model the catalog knows, frozen. */
export const GPUS: readonly GpuSpec[] = Object.freeze(rows.map((row) => Object.freeze({ ...row })));
