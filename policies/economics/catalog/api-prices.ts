/**
 * LLM API list prices, USD per 1M tokens, transcribed from ../shared/data/catalog/api_prices.csv.
 * Ids are the CSV's model ids, as users put them in `api.catalogId` (`gpt-4o-mini`,
 * `gemini/gemini-2.5-flash`, `together_ai/meta-llama/...`). Batch prices are the provider's
 * batch API (often 50 % of list, derived from the provider's policy where noted); null where the
 * provider has no batch API or it was not found. Cache-write surcharges are not modelled.
 */
import type { ApiPriceSpec } from "../types";

const LITELLM =
  "github:AgentOps-AI/tokencost tokencost/model_prices.json @e7f7c192 (auto-synced copy of BerriAI/litellm model_prices_and_context_window.json)";
const LITELLM_AS_OF = "2025-09-05";
const BATCH_HALF = "batch = 50% of list (provider Batch API policy; derived)";
const OPENAI = `${LITELLM}; input/output cross-checked with deploybase.ai/articles/openai-pricing (2026-03) and tokenmath.io (2026-06-21)`;
const ANTHROPIC = `${LITELLM}; cross-checked with LangChain bedrock_anthropic_callback per-1K prices`;
const GOOGLE = `${LITELLM}; batch 'Batch API (50% cost reduction)' per api-evangelist/deepmind plans/deepmind-plans-pricing.yml (from ai.google.dev/gemini-api/docs/pricing, 2026-10-07)`;

type Row = [
  provider: string,
  id: string,
  input: number,
  cachedInput: number | null,
  output: number,
  batchInput: number | null,
  batchOutput: number | null,
  source: string,
  asOf: string,
];

const table: readonly Row[] = [
  ["OpenAI", "gpt-4o", 2.5, 1.25, 10.0, 1.25, 5.0, OPENAI, LITELLM_AS_OF],
  ["OpenAI", "gpt-4o-mini", 0.15, 0.075, 0.6, 0.075, 0.3, OPENAI, LITELLM_AS_OF],
  ["OpenAI", "gpt-4.1", 2.0, 0.5, 8.0, 1.0, 4.0, OPENAI, LITELLM_AS_OF],
  ["OpenAI", "gpt-4.1-mini", 0.4, 0.1, 1.6, 0.2, 0.8, OPENAI, LITELLM_AS_OF],
  ["OpenAI", "gpt-4.1-nano", 0.1, 0.025, 0.4, 0.05, 0.2, `${OPENAI}; typingmind lists cached $0.03 (minor conflict)`, LITELLM_AS_OF],
  ["OpenAI", "gpt-5", 1.25, 0.125, 10.0, 0.625, 5.0, `${LITELLM}; ${BATCH_HALF}`, LITELLM_AS_OF],
  ["OpenAI", "gpt-5-mini", 0.25, 0.025, 2.0, 0.125, 1.0, `${LITELLM}; ${BATCH_HALF}`, LITELLM_AS_OF],
  ["OpenAI", "gpt-5-nano", 0.05, 0.005, 0.4, 0.025, 0.2, `${LITELLM}; ${BATCH_HALF}`, LITELLM_AS_OF],
  ["Anthropic", "claude-3-5-sonnet-20241022", 3.0, 0.3, 15.0, 1.5, 7.5, `${ANTHROPIC}; ${BATCH_HALF}`, LITELLM_AS_OF],
  ["Anthropic", "claude-3-7-sonnet-20250219", 3.0, 0.3, 15.0, 1.5, 7.5, `${ANTHROPIC}; ${BATCH_HALF}`, LITELLM_AS_OF],
  ["Anthropic", "claude-sonnet-4-20250514", 3.0, 0.3, 15.0, 1.5, 7.5, `${ANTHROPIC}; ${BATCH_HALF}`, LITELLM_AS_OF],
  ["Anthropic", "claude-3-5-haiku-20241022", 0.8, 0.08, 4.0, 0.4, 2.0, `${ANTHROPIC}; ${BATCH_HALF}`, LITELLM_AS_OF],
  ["Anthropic", "claude-3-haiku-20240307", 0.25, 0.03, 1.25, 0.125, 0.625, `${LITELLM}; ${BATCH_HALF}`, LITELLM_AS_OF],
  ["Anthropic", "claude-opus-4-1-20250805", 15.0, 1.5, 75.0, 7.5, 37.5, `${LITELLM}; ${BATCH_HALF}`, LITELLM_AS_OF],
  [
    "Anthropic",
    "claude-sonnet-4-5",
    3.0,
    0.3,
    15.0,
    null,
    null,
    "docs.rs/cogito-claude ('As of 25 November 2025 ... claude-sonnet-4-5 $3 | $15'); LangChain bedrock_anthropic_callback (0.003/0.015 per 1K); cached = standard 0.1x read multiplier (derived)",
    "2025-11-25",
  ],
  [
    "Anthropic",
    "claude-opus-4-5",
    5.0,
    0.5,
    25.0,
    null,
    null,
    "platform.claude.com/docs/en/about-claude/pricing (undated snapshot listing models to late 2026; asOf approximate); medium confidence, re-check the lineup",
    "2026-10",
  ],
  [
    "Anthropic",
    "claude-haiku-4-5",
    1.0,
    null,
    5.0,
    null,
    null,
    "docs.rs/synaps/0.10.2 pricing module ('Haiku (other) $1.00/$5.00'); LOW confidence: skills.sh clade-cost-tuning lists $0.80/$4.00; source gives the year only (asOf set to its first month)",
    "2026-01",
  ],
  ["Google", "gemini/gemini-2.0-flash", 0.1, 0.025, 0.4, 0.05, 0.2, `${GOOGLE}; ${BATCH_HALF}`, LITELLM_AS_OF],
  ["Google", "gemini/gemini-2.5-flash", 0.3, 0.075, 2.5, 0.15, 1.25, `${GOOGLE}; output includes thinking tokens; ${BATCH_HALF}`, LITELLM_AS_OF],
  ["Google", "gemini/gemini-2.5-flash-lite", 0.1, 0.025, 0.4, 0.05, 0.2, `${GOOGLE}; ${BATCH_HALF}`, LITELLM_AS_OF],
  ["Google", "gemini/gemini-1.5-flash", 0.075, null, 0.3, null, null, `${LITELLM}; legacy, <=128k prompt tier`, LITELLM_AS_OF],
  ["Google", "gemini/gemini-2.5-pro", 1.25, 0.3125, 10.0, 0.625, 5.0, `${GOOGLE}; prompts <=200k tokens (longer prompts bill a higher tier); ${BATCH_HALF}`, LITELLM_AS_OF],
  ["Together AI", "together_ai/meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo", 0.18, null, 0.18, null, null, `${LITELLM}; Turbo = Together's FP8 endpoint`, LITELLM_AS_OF],
  ["Together AI", "together_ai/meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo", 0.88, null, 0.88, null, null, `${LITELLM}; Turbo = Together's FP8 endpoint`, LITELLM_AS_OF],
  ["Together AI", "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", 0.88, null, 0.88, null, null, LITELLM, LITELLM_AS_OF],
  ["Together AI", "together_ai/meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo", 3.5, null, 3.5, null, null, LITELLM, LITELLM_AS_OF],
  ["Together AI", "together-ai-4.1b-8b", 0.2, null, 0.2, null, null, `${LITELLM}; generic size-tier price`, LITELLM_AS_OF],
  ["Together AI", "together-ai-41.1b-80b", 0.9, null, 0.9, null, null, `${LITELLM}; generic size-tier price`, LITELLM_AS_OF],
  ["Fireworks AI", "fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct", 0.1, null, 0.1, null, null, `${LITELLM}; generic tier 'up-to-16b' says $0.20 (conflict)`, LITELLM_AS_OF],
  ["Fireworks AI", "fireworks-ai-16.1b-to-80b", 0.9, null, 0.9, null, null, `${LITELLM}; size tier that applies to Llama 3.1/3.3 70B`, LITELLM_AS_OF],
  ["Fireworks AI", "fireworks_ai/accounts/fireworks/models/llama-v3p1-405b-instruct", 3.0, null, 3.0, null, null, LITELLM, LITELLM_AS_OF],
  ["AWS Bedrock", "meta.llama3-1-8b-instruct-v1:0", 0.22, null, 0.22, null, null, `${LITELLM}; us-east-1 on-demand; Bedrock batch discount unverified`, LITELLM_AS_OF],
  ["AWS Bedrock", "meta.llama3-1-70b-instruct-v1:0", 0.99, null, 0.99, null, null, `${LITELLM}; deploybase.ai (2026-01) claims $0.55/$2.20 (conflict, unverified)`, LITELLM_AS_OF],
  ["AWS Bedrock", "meta.llama3-3-70b-instruct-v1:0", 0.72, null, 0.72, null, null, LITELLM, LITELLM_AS_OF],
  ["AWS Bedrock", "meta.llama3-1-405b-instruct-v1:0", 5.32, null, 16.0, null, null, LITELLM, LITELLM_AS_OF],
  ["Groq", "groq/llama-3.1-8b-instant", 0.05, null, 0.08, null, null, LITELLM, LITELLM_AS_OF],
  ["Groq", "groq/llama-3.3-70b-versatile", 0.59, null, 0.79, null, null, LITELLM, LITELLM_AS_OF],
  ["DeepInfra", "deepinfra/meta-llama/Meta-Llama-3.1-8B-Instruct", 0.03, null, 0.05, null, null, LITELLM, LITELLM_AS_OF],
  ["DeepInfra", "deepinfra/meta-llama/Meta-Llama-3.1-70B-Instruct", 0.23, null, 0.4, null, null, LITELLM, LITELLM_AS_OF],
  ["DeepInfra", "deepinfra/meta-llama/Llama-3.3-70B-Instruct-Turbo", 0.038, null, 0.12, null, null, `${LITELLM}; LOW confidence: very low price, verify`, LITELLM_AS_OF],
  ["Cerebras", "cerebras/llama3.1-8b", 0.1, null, 0.1, null, null, LITELLM, LITELLM_AS_OF],
  ["Cerebras", "cerebras/llama3.1-70b", 0.6, null, 0.6, null, null, LITELLM, LITELLM_AS_OF],
  ["SambaNova", "sambanova/Meta-Llama-3.1-8B-Instruct", 0.1, null, 0.2, null, null, LITELLM, LITELLM_AS_OF],
  ["SambaNova", "sambanova/Meta-Llama-3.1-70B-Instruct", 0.6, null, 1.2, null, null, LITELLM, LITELLM_AS_OF],
  ["Databricks", "databricks/databricks-meta-llama-3-1-70b-instruct", 1.00002, null, 2.99999, null, null, LITELLM, LITELLM_AS_OF],
];

/** Every API price the catalog knows, frozen. */
export const API_PRICES: readonly ApiPriceSpec[] = Object.freeze(
  table.map(([provider, id, input, cachedInput, output, batchInput, batchOutput, source, asOf]) =>
    Object.freeze({ id, provider, input, output, cachedInput, batchInput, batchOutput, source, asOf }),
  ),
);
