/**
 * GPU specs, from `data/gpus.json` (copied from the reference gpus.csv with its source lines).
 *
 * memoryGiB is the AWS catalog's per-GPU MiB / 1024 (what the driver reports, not the marketing
 * GB); TFLOPS are dense, i.e. the vendor's sparse headline / 2. Ampere (A10G, A100) has no FP8
 * tensor cores: FP8 weights there save memory and bandwidth, not compute. interconnectGBps is the
 * GPU-to-GPU link per direction: NVLink on A100/H100/H200, PCIe Gen4 x16 on A10G/L4/L40S.
 */
import { z } from "zod";
import type { GpuSpec } from "../types";
import data from "./data/gpus.json";
import { asOfSchema, deepFreeze, parseDataFile, sourceSchema } from "./data-file";

const positive = z.number().positive();

const gpuRow = z.strictObject({
  id: z.enum(["A10G", "L4", "L40S", "A100-40GB", "A100-80GB", "H100-80GB", "H200-141GB"]),
  memoryGiB: positive,
  memoryBandwidthGBps: positive,
  bf16DenseTflops: positive,
  fp8DenseTflops: positive.nullable(),
  interconnectGBps: positive,
  source: sourceSchema,
  asOf: asOfSchema,
});

export const gpuDataSchema = z.strictObject({ description: z.string(), rows: z.array(gpuRow).min(1) });

/** Every GPU model the catalog knows, frozen. */
export const GPUS: readonly GpuSpec[] = deepFreeze(parseDataFile("policies/economics/catalog/data/gpus.json", data, gpuDataSchema).rows);
