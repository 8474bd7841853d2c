/**
 * Envoy AI Gateway's own CRDs, the fields this project writes, as zod schemas.
 *
 * Written from the CRDs of Envoy AI Gateway v1.1.0 (github.com/envoyproxy/ai-gateway, tag v1.1.0:
 * manifests/charts/ai-gateway-crds-helm/templates/aigateway.envoyproxy.io_{aigatewayroutes,
 * aiservicebackends,backendsecuritypolicies}.yaml, storage version v1beta1; Go types in
 * api/v1beta1/{ai_gateway_route,ai_service_backend,backendsecurity_policy,shared_types}.go),
 * read 2026-12-02. These CRDs are not published as an npm schema package and the fetched files
 * may not be vendored, so the enums, bounds and CEL rules we depend on are encoded here; Envoy
 * Gateway and Gateway API objects validate against @kubernetes-models/envoy-gateway and
 * @kubernetes-models/gateway-api instead. Strict objects: a field the CRD does not have is an error.
 */
import { z } from "zod";

export const AI_GATEWAY_API_VERSION = "aigateway.envoyproxy.io/v1beta1";

const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(253);
const metadata = z.looseObject({ name: dnsLabel, namespace: dnsLabel, labels: z.record(z.string(), z.string()).optional(), annotations: z.record(z.string(), z.string()).optional() });
/** Gateway API Duration (GEP-2257): e.g. `1h`, `30s`, `500ms`. */
const duration = z.string().regex(/^([0-9]{1,5}(h|m|s|ms)){1,4}$/);

/** VersionedAPISchema: `name` enum from shared_types.go; `prefix` for OpenAI-compatible paths. */
const apiSchema = z.strictObject({
  name: z.enum(["OpenAI", "Cohere", "AWSBedrock", "AzureOpenAI", "GCPVertexAI", "GCPAnthropic", "Anthropic", "AWSAnthropic"]),
  version: z.string().optional(),
  prefix: z.string().optional(),
});

/** AIGatewayRouteRuleBackendRef: weight ≥ 0 (default 1), priority ≥ 0 (default 0); AIServiceBackend when group/kind are absent. */
const backendRef = z.strictObject({
  name: z.string().min(1),
  namespace: z.string().optional(),
  modelNameOverride: z.string().optional(),
  weight: z.number().int().min(0).optional(),
  priority: z.number().int().min(0).optional(),
});

const headerMatch = z.strictObject({ type: z.enum(["Exact", "RegularExpression"]).optional(), name: z.string().min(1), value: z.string().min(1) });

const rule = z.strictObject({
  /** `route-not-found` is reserved (CEL rule on AIGatewayRouteRule). */
  name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(253).refine((n) => n !== "route-not-found", { error: "rule name route-not-found is reserved" }).optional(),
  matches: z.array(z.strictObject({ headers: z.array(headerMatch).max(16).optional() })).max(128).optional(),
  backendRefs: z.array(backendRef).max(128).optional(),
  timeouts: z.strictObject({ request: duration.optional(), backendRequest: duration.optional() }).optional(),
  streamIdleTimeout: duration.optional(),
});

export const aiGatewayRouteSchema = z.strictObject({
  apiVersion: z.literal(AI_GATEWAY_API_VERSION),
  kind: z.literal("AIGatewayRoute"),
  metadata,
  spec: z.strictObject({
    /** Only Gateway parents (CEL: `self.all(match, match.kind == 'Gateway')`); at most 16. */
    parentRefs: z.array(z.strictObject({ name: z.string().min(1), kind: z.literal("Gateway"), group: z.literal("gateway.networking.k8s.io").optional(), namespace: z.string().optional() })).max(16).optional(),
    /** 15 rules at most (one slot is the controller's catch-all); rule names unique. */
    rules: z
      .array(rule)
      .min(1)
      .max(15)
      .refine((rules) => new Set(rules.flatMap((r) => (r.name !== undefined ? [r.name] : []))).size === rules.filter((r) => r.name !== undefined).length, {
        error: "rule name must be unique within the route",
      }),
  }),
});

export const aiServiceBackendSchema = z.strictObject({
  apiVersion: z.literal(AI_GATEWAY_API_VERSION),
  kind: z.literal("AIServiceBackend"),
  metadata,
  spec: z.strictObject({
    schema: apiSchema,
    /** CEL: must be an Envoy Gateway Backend (`kind: Backend`, `group: gateway.envoyproxy.io`); Services are not supported yet (ai-gateway#902). */
    backendRef: z.strictObject({ name: z.string().min(1), kind: z.literal("Backend"), group: z.literal("gateway.envoyproxy.io"), namespace: z.string().optional(), port: z.number().int().min(1).max(65535).optional() }),
  }),
});

export const backendSecurityPolicySchema = z.strictObject({
  apiVersion: z.literal(AI_GATEWAY_API_VERSION),
  kind: z.literal("BackendSecurityPolicy"),
  metadata,
  spec: z.strictObject({
    targetRefs: z.array(z.strictObject({ group: z.literal("aigateway.envoyproxy.io"), kind: z.literal("AIServiceBackend"), name: z.string().min(1) })).min(1),
    type: z.enum(["APIKey", "AWSCredentials", "AzureAPIKey", "AzureCredentials", "GCPCredentials", "AnthropicAPIKey"]),
    /** The Secret's key must be `apiKey` (BackendSecurityPolicyAPIKey doc). */
    apiKey: z.strictObject({ secretRef: z.strictObject({ name: z.string().min(1), namespace: z.string().optional() }) }).optional(),
  }),
});

export const AI_GATEWAY_SCHEMAS = {
  AIGatewayRoute: aiGatewayRouteSchema,
  AIServiceBackend: aiServiceBackendSchema,
  BackendSecurityPolicy: backendSecurityPolicySchema,
} as const;

/** Every problem with an AI Gateway object, as `<kind> <name>: <path>: <message>`; empty when it validates. */
export function aiGatewayProblems(object: { kind: string; metadata?: { name?: string } } & Record<string, unknown>): string[] {
  const schema = AI_GATEWAY_SCHEMAS[object.kind as keyof typeof AI_GATEWAY_SCHEMAS];
  if (schema === undefined) return [`${object.kind}: not an Envoy AI Gateway kind this project writes`];
  const parsed = schema.safeParse(object);
  if (parsed.success) return [];
  return parsed.error.issues.map((i) => `${object.kind} ${object.metadata?.name ?? "?"}: ${i.path.join(".") || "(object)"}: ${i.message}`);
}
