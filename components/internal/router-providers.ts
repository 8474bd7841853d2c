/**
 * Where each API provider of the price catalog answers OpenAI-compatible chat completions, so a
 * workload's `api.catalogId` becomes the router's API backend: host, path prefix and the model
 * name the provider expects (the catalog id without LiteLLM's `<provider>/` prefix).
 * Providers not listed here (AWS Bedrock, Anthropic, Databricks, SambaNova) need a different
 * schema or credentials the router does not set up yet; such a workload is refused with a clear error.
 */
import { apiPriceById } from "../../policies/economics/catalog";
import type { ApiEndpoint } from "./router-routes";

interface ProviderRow {
  readonly host: string;
  readonly prefix: string;
  /** LiteLLM's model-id prefix in the catalog, stripped to get the provider's model name. */
  readonly idPrefix: string;
  readonly source: string;
  readonly asOf: string;
}

const BAML = "docs.boundaryml.com/ref/llm-client-providers (openai-generic base URLs)";

/** Catalog provider name → endpoint. */
export const API_PROVIDERS: Readonly<Record<string, ProviderRow>> = Object.freeze({
  OpenAI: { host: "api.openai.com", prefix: "/v1", idPrefix: "", source: "platform.openai.com/docs/api-reference (base URL https://api.openai.com/v1)", asOf: "2026-12-02" },
  "Together AI": { host: "api.together.xyz", prefix: "/v1", idPrefix: "together_ai/", source: `${BAML}; docs.together.ai/docs/openai-api-compatibility`, asOf: "2026-12-02" },
  Groq: { host: "api.groq.com", prefix: "/openai/v1", idPrefix: "groq/", source: `${BAML}; console.groq.com/docs/openai`, asOf: "2026-12-02" },
  Cerebras: { host: "api.cerebras.ai", prefix: "/v1", idPrefix: "cerebras/", source: BAML, asOf: "2026-12-02" },
  Google: { host: "generativelanguage.googleapis.com", prefix: "/v1beta/openai", idPrefix: "gemini/", source: "Envoy AI Gateway v1.1.0 api/v1beta1/shared_types.go (VersionedAPISchema.Prefix: Gemini's OpenAI-compatible API uses /v1beta/openai)", asOf: "2026-12-02" },
});

/** The API backend of a workload whose API alternative is `catalogId`; throws naming the key to fix. */
export function apiEndpointFor(workload: string, catalogId: string | undefined): ApiEndpoint {
  if (catalogId === undefined) {
    throw new Error(`workload ${workload}: api.catalogId is not set; the router needs it to know which API to call (or give InferenceRouter an explicit \`api\` endpoint for this route)`);
  }
  const price = apiPriceById(catalogId);
  const provider = API_PROVIDERS[price.provider];
  if (provider === undefined) {
    throw new Error(
      `workload ${workload}: api.catalogId "${catalogId}" is a ${price.provider} model; the router calls OpenAI-compatible APIs of ${Object.keys(API_PROVIDERS).join(", ")}; pick one of those or give InferenceRouter an explicit \`api\` endpoint for this route`,
    );
  }
  if (!catalogId.startsWith(provider.idPrefix) || catalogId.length === provider.idPrefix.length) {
    throw new Error(`workload ${workload}: api.catalogId "${catalogId}" is a price tier, not a ${price.provider} model name; give InferenceRouter an explicit \`api\` endpoint (host, prefix, model) for this route`);
  }
  return { host: provider.host, prefix: provider.prefix, model: catalogId.slice(provider.idPrefix.length) };
}
