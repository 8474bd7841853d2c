/**
 * LLM API list prices, USD per 1M tokens, from `data/api-prices.json`. Ids are the ones users put
 * in `api.catalogId` (`gpt-4o-mini`, `gemini/gemini-2.5-flash`, `together_ai/meta-llama/...`).
 * Batch prices are the provider's batch API (Anthropic and OpenAI bill batch usage at 50 %);
 * null where the provider has no batch API or it was not found. A row whose date is before 2026
 * carries a `note` saying why. Cache-write surcharges are not modelled.
 */
import { z } from "zod";
import type { ApiPriceSpec } from "../types";
import data from "./data/api-prices.json";
import { asOfSchema, deepFreeze, duplicateIds, parseDataFile, sourceSchema } from "./data-file";

const price = z.number().positive();

const apiRow = z
  .strictObject({
    id: z.string().min(1),
    provider: z.string().min(1),
    input: price,
    output: price,
    cachedInput: price.nullable(),
    batchInput: price.nullable(),
    batchOutput: price.nullable(),
    source: sourceSchema,
    asOf: asOfSchema,
    /** Why the price is older than 2026 (required then). */
    note: z.string().min(10).optional(),
  })
  .refine((row) => (row.batchInput === null) === (row.batchOutput === null), { error: "give batchInput and batchOutput both or neither", path: ["batchInput"] })
  .refine((row) => row.cachedInput === null || row.cachedInput < row.input, { error: "expected less than input", path: ["cachedInput"] })
  .refine((row) => row.asOf >= "2026" || row.note !== undefined, { error: "a price dated before 2026 must say why it is older", path: ["note"] });

export const apiPriceDataSchema = z
  .strictObject({ description: z.string(), rows: z.array(apiRow).min(1) })
  .refine((d) => duplicateIds(d.rows).length === 0, { error: (issue) => `duplicate ids: ${duplicateIds((issue.input as { rows: { id: string }[] }).rows).join(", ")}`, path: ["rows"] });

/** An API price row with the catalog's note on its age, where it has one. */
export type ApiPriceRow = ApiPriceSpec & { readonly note?: string };

/** Every API price the catalog knows, frozen. */
export const API_PRICES: readonly ApiPriceRow[] = deepFreeze(parseDataFile("policies/economics/catalog/data/api-prices.json", data, apiPriceDataSchema).rows);
