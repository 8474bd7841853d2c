/**
 * How each API provider bills its batch API, so one set of list prices gives one batch bill.
 *
 * The rule is a discount on list prices and whether it also applies to cached input (prompt-cache
 * reads). Anthropic: "50 % of the standard price on all usage: input, output, cache writes and cache
 * reads" (Anthropic's batch processing page). OpenAI: the Batch API halves input and output, and its
 * pricing page's Batch tier lists cached input at half the standard cached rate: the discounts stack.
 * Google: Batch API "50 % cost reduction"; cached input in batch assumed to stack the same way.
 *
 * Added by the cost-model work (issue #10, item 4); the catalog's owner is moving these tables into
 * dated data files.
 */
import type { Sourced } from "../types";

export interface BatchRule extends Sourced {
  readonly provider: string;
  /** Share taken off list prices in the batch API (0.5 = half price). */
  readonly discount: number;
  /** Whether cached input is billed at the cached rate less the batch discount (true) or at the batch input rate (false). */
  readonly discountsCachedInput: boolean;
}

const rules: readonly BatchRule[] = [
  {
    provider: "Anthropic",
    discount: 0.5,
    discountsCachedInput: true,
    source:
      "Anthropic Message Batches: 50 % of standard price on all usage, input, output, cache writes and cache reads (Anthropic batch processing page, as quoted by dev.to/neverpaytwice 'Claude Batch API: half price, if you can wait')",
    asOf: "2026-11",
  },
  {
    provider: "OpenAI",
    discount: 0.5,
    discountsCachedInput: true,
    source:
      "OpenAI Batch API: 50 % off input and output; developers.openai.com/api/docs/pricing Batch tier (as read 2026-11-05 by api-evangelist/posts 2026-11-06) lists cached input too; 'the two discounts stack' (aipromptshub.co/calc/openai-api-cost); gpt-4.1 batch 1.00/4.00 on 2.00/8.00 list",
    asOf: "2026-11-05",
  },
  {
    provider: "Google",
    discount: 0.5,
    discountsCachedInput: true,
    source:
      "Gemini Batch API '50 % cost reduction' (api-evangelist/deepmind plans/deepmind-plans-pricing.yml from ai.google.dev/gemini-api/docs/pricing, 2026-10-07); stacking with cached input assumed, medium confidence",
    asOf: "2026-10-07",
  },
];

/** Batch rule per provider, frozen; providers without one have no batch discount unless the workload sets `api.batchDiscount`. */
export const BATCH_RULES: readonly BatchRule[] = Object.freeze(rules.map((r) => Object.freeze({ ...r })));
