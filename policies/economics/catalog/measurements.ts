/**
 * Published vLLM serving measurements, from `data/throughput-measurements.json`: what the capacity
 * model is calibrated on and checked against (see capacity-calibration.ts). Each row names the
 * model, precisions, GPU, tensor-parallel width, vLLM version, the load, the mean lengths and the
 * measured figure, with its source and date.
 */
import { z } from "zod";
import { precisionSchema } from "../schema";
import data from "./data/throughput-measurements.json";
import { asOfSchema, deepFreeze, duplicateIds, parseDataFile, sourceSchema } from "./data-file";

const measurementRow = z.strictObject({
  id: z.string().min(1),
  /** A model id of the built-in model catalog. */
  model: z.string().min(1),
  weightPrecision: precisionSchema,
  kvCachePrecision: precisionSchema,
  gpu: z.enum(["A10G", "L4", "L40S", "A100-40GB", "A100-80GB", "H100-80GB", "H200-141GB"]),
  tensorParallel: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)]),
  /** vLLM release the measurement ran on, as the source states it. */
  engineVersion: z.string().min(1),
  load: z.discriminatedUnion("kind", [
    /** N prompts sent at once (request rate inf): the replica runs at its batch limit. */
    z.strictObject({ kind: z.literal("closed-batch"), prompts: z.number().int().positive() }),
    /** vLLM's offline runner over N prompts. */
    z.strictObject({ kind: z.literal("offline"), prompts: z.number().int().positive() }),
    /** A fixed number of requests in flight. */
    z.strictObject({ kind: z.literal("concurrency"), concurrency: z.number().int().positive() }),
  ]),
  meanInputTokens: z.number().positive(),
  meanOutputTokens: z.number().positive(),
  /** decode-step-ms: time per output token; the others: tokens per second of the whole replica. */
  metric: z.enum(["decode-step-ms", "output-tokens-per-second", "total-tokens-per-second"]),
  value: z.number().positive(),
  source: sourceSchema,
  asOf: asOfSchema,
});
export type ThroughputMeasurement = z.infer<typeof measurementRow>;

export const measurementDataSchema = z
  .strictObject({ description: z.string(), rows: z.array(measurementRow).min(1) })
  .refine((d) => duplicateIds(d.rows).length === 0, { error: (issue) => `duplicate ids: ${duplicateIds((issue.input as { rows: { id: string }[] }).rows).join(", ")}`, path: ["rows"] });

/** Every measurement, frozen. */
export const THROUGHPUT_MEASUREMENTS: readonly ThroughputMeasurement[] = deepFreeze(
  parseDataFile("policies/economics/catalog/data/throughput-measurements.json", data, measurementDataSchema).rows,
);
