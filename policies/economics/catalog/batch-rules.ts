/**
 * How each API provider bills its batch API, so one set of list prices gives one batch bill.
 *
 * The rule is a discount on list prices and whether it also applies to cached input (prompt-cache
 * reads). Anthropic: "50 % of the standard price on all usage: input, output, cache writes and cache
 * reads" (Anthropic's batch processing page). OpenAI: the Batch API halves input and output, and its
 * pricing page's Batch tier lists cached input at half the standard cached rate: the discounts stack.
 * Google: Batch API "50 % cost reduction"; cached input in batch assumed to stack the same way.
 *
 * Data: `data/batch-rules.json`, validated when the catalog loads.
 */
import { z } from "zod";
import type { Sourced } from "../types";
import data from "./data/batch-rules.json";
import { asOfSchema, deepFreeze, parseDataFile, sourceSchema } from "./data-file";

export interface BatchRule extends Sourced {
  readonly provider: string;
  /** Share taken off list prices in the batch API (0.5 = half price). */
  readonly discount: number;
  /** Whether cached input is billed at the cached rate less the batch discount (true) or at the batch input rate (false). */
  readonly discountsCachedInput: boolean;
}

const ruleRow = z.strictObject({ provider: z.string().min(1), discount: z.number().min(0).max(1), discountsCachedInput: z.boolean(), source: sourceSchema, asOf: asOfSchema });

export const batchRuleDataSchema = z.strictObject({ description: z.string(), rows: z.array(ruleRow).min(1) });

/** Batch rule per provider, frozen; providers without one have no batch discount unless the workload sets `api.batchDiscount`. */
export const BATCH_RULES: readonly BatchRule[] = deepFreeze(parseDataFile("policies/economics/catalog/data/batch-rules.json", data, batchRuleDataSchema).rows);
