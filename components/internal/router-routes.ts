/**
 * The Kubernetes objects that give one workload its alias on Envoy AI Gateway v1.1.0: plain
 * manifests (no Pulumi), so the component, the policy fixtures and the schema tests share them.
 *
 *   AIGatewayRoute <alias>          rule: x-ai-eg-model == alias →
 *                                     owned  (weight = owned %,       priority 0, model = served name)
 *                                     api    (weight = 100 − owned %, priority 0, model = API's name)
 *                                     api    (weight 1,               priority 1: the fallback)
 *   AIServiceBackend/Backend <alias>-owned → the workload's Service, admission-guard port
 *   AIServiceBackend/Backend <alias>-api   → the API host :443, BackendTLSPolicy, BackendSecurityPolicy (API key Secret)
 *   BackendTrafficPolicy <alias>    on the generated HTTPRoute: one attempt per priority, retried on
 *                                     429 (the guard's spill), 5xx, reset and connect failure
 *
 * Envoy Gateway skips weight-0 refs, so route-back to 0 % and 100 % owned are weight changes only.
 */
import { ROLLOUT_PREVIOUS_OWNED_PERCENT_ANNOTATION, ROUTER_MODEL_HEADER } from "../../policies/contract";
import { AI_GATEWAY_API_VERSION } from "./router-crds";

export const ENVOY_GATEWAY_API_VERSION = "gateway.envoyproxy.io/v1alpha1";
export const GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1";

/** Where a workload's API alternative is called: an OpenAI-compatible endpoint. */
export interface ApiEndpoint {
  /** Host name, called on 443 with TLS. */
  readonly host: string;
  /** Path prefix before `/chat/completions` (maps to `AIServiceBackend.spec.schema.prefix`). */
  readonly prefix: string;
  /** The API's model name (maps to the backendRef's `modelNameOverride`). */
  readonly model: string;
}

export interface OwnedEndpoint {
  /** In-cluster DNS name of the workload's Service, `<service>.<namespace>.svc.cluster.local`. */
  readonly serviceHost: string;
  /** Service port of the admission guard. */
  readonly port: number;
  /** vLLM's `--served-model-name` (maps to the owned backendRef's `modelNameOverride`). */
  readonly servedModelName: string;
}

export interface WorkloadRouteSpec {
  /** The name apps send as `model`: the workload name. */
  readonly alias: string;
  /** Namespace of the router (every object here lives in it). */
  readonly namespace: string;
  /** The Gateway the route attaches to. */
  readonly gatewayName: string;
  /** Share of requests sent to owned, percent (`rollout.currentOwnedPercent`). */
  readonly ownedPercent: number;
  /** Owned engines; absent when the workload is not deployed (API only, owned weight must be 0). */
  readonly owned?: OwnedEndpoint;
  readonly api: ApiEndpoint;
  /** Whole request, stream included, seconds (maps to `rules[].timeouts.request`). */
  readonly requestTimeoutSeconds: number;
  /** No byte from a backend for this long fails the attempt, which falls back (maps to `rules[].streamIdleTimeout`); sized from the SLO. */
  readonly firstByteTimeoutSeconds: number;
  /** Labels on every object. */
  readonly labels: Readonly<Record<string, string>>;
}

/** Status codes the fallback retries on: the guard's 429 spill and every 5xx an engine or proxy answers. */
export const FALLBACK_STATUS_CODES = [429, 500, 502, 503, 504] as const;

export interface RouteManifests {
  readonly route: Record<string, unknown>;
  readonly trafficPolicy: Record<string, unknown>;
  readonly owned?: { readonly backend: Record<string, unknown>; readonly serviceBackend: Record<string, unknown> };
  readonly api: {
    readonly backend: Record<string, unknown>;
    readonly tlsPolicy: Record<string, unknown>;
    readonly serviceBackend: Record<string, unknown>;
    readonly securityPolicy: Record<string, unknown>;
    /** Name of the Secret (key `apiKey`) the security policy reads; the component creates it from a Pulumi secret. */
    readonly secretName: string;
  };
}

const seconds = (s: number) => `${Math.ceil(s)}s`;

/** The manifests of one workload's route; throws naming the field when the spec is inconsistent. */
export function workloadRouteManifests(spec: WorkloadRouteSpec, previousOwnedPercent?: string): RouteManifests {
  if (!Number.isInteger(spec.ownedPercent) || spec.ownedPercent < 0 || spec.ownedPercent > 100) {
    throw new RangeError(`route ${spec.alias}: ownedPercent must be a whole percent 0–100, got ${spec.ownedPercent}`);
  }
  if (spec.ownedPercent > 0 && spec.owned === undefined) {
    throw new Error(`route ${spec.alias}: ownedPercent is ${spec.ownedPercent} but the workload has no owned engines; set rollout.currentOwnedPercent to 0 or deploy it`);
  }
  const meta = (name: string, annotations?: Record<string, string>) => ({
    name,
    namespace: spec.namespace,
    labels: { ...spec.labels },
    ...(annotations !== undefined ? { annotations } : {}),
  });
  const ownedName = `${spec.alias}-owned`;
  const apiName = `${spec.alias}-api`;
  const secretName = `${spec.alias}-api-key`;
  const backendRef = (name: string) => ({ name, kind: "Backend", group: "gateway.envoyproxy.io" });

  const refs = [
    ...(spec.owned !== undefined ? [{ name: ownedName, weight: spec.ownedPercent, priority: 0, modelNameOverride: spec.owned.servedModelName }] : []),
    { name: apiName, weight: 100 - spec.ownedPercent, priority: 0, modelNameOverride: spec.api.model },
    { name: apiName, weight: 1, priority: 1, modelNameOverride: spec.api.model },
  ];
  const route = {
    apiVersion: AI_GATEWAY_API_VERSION,
    kind: "AIGatewayRoute",
    metadata: meta(spec.alias, previousOwnedPercent !== undefined ? { [ROLLOUT_PREVIOUS_OWNED_PERCENT_ANNOTATION]: previousOwnedPercent } : undefined),
    spec: {
      parentRefs: [{ name: spec.gatewayName, kind: "Gateway", group: "gateway.networking.k8s.io" }],
      rules: [
        {
          name: "alias",
          matches: [{ headers: [{ type: "Exact", name: ROUTER_MODEL_HEADER, value: spec.alias }] }],
          backendRefs: refs,
          timeouts: { request: seconds(spec.requestTimeoutSeconds) },
          streamIdleTimeout: seconds(spec.firstByteTimeoutSeconds),
        },
      ],
    },
  };
  const trafficPolicy = {
    apiVersion: ENVOY_GATEWAY_API_VERSION,
    kind: "BackendTrafficPolicy",
    metadata: meta(spec.alias),
    spec: {
      // The HTTPRoute Envoy AI Gateway generates has the AIGatewayRoute's name.
      targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: spec.alias }],
      retry: {
        numRetries: 1,
        // One attempt per priority: a refused owned attempt goes to the API, never back to owned.
        numAttemptsPerPriority: 1,
        retryOn: { httpStatusCodes: [...FALLBACK_STATUS_CODES], triggers: ["connect-failure", "retriable-status-codes", "reset"] },
      },
    },
  };
  const owned =
    spec.owned !== undefined
      ? {
          backend: {
            apiVersion: ENVOY_GATEWAY_API_VERSION,
            kind: "Backend",
            metadata: meta(ownedName),
            spec: { endpoints: [{ fqdn: { hostname: spec.owned.serviceHost, port: spec.owned.port } }] },
          },
          serviceBackend: {
            apiVersion: AI_GATEWAY_API_VERSION,
            kind: "AIServiceBackend",
            metadata: meta(ownedName),
            spec: { schema: { name: "OpenAI", prefix: "/v1" }, backendRef: backendRef(ownedName) },
          },
        }
      : undefined;
  const api = {
    backend: { apiVersion: ENVOY_GATEWAY_API_VERSION, kind: "Backend", metadata: meta(apiName), spec: { endpoints: [{ fqdn: { hostname: spec.api.host, port: 443 } }] } },
    tlsPolicy: {
      apiVersion: GATEWAY_API_VERSION,
      kind: "BackendTLSPolicy",
      metadata: meta(apiName),
      spec: {
        targetRefs: [{ group: "gateway.envoyproxy.io", kind: "Backend", name: apiName }],
        validation: { wellKnownCACertificates: "System", hostname: spec.api.host },
      },
    },
    serviceBackend: {
      apiVersion: AI_GATEWAY_API_VERSION,
      kind: "AIServiceBackend",
      metadata: meta(apiName),
      spec: { schema: { name: "OpenAI", prefix: spec.api.prefix }, backendRef: backendRef(apiName) },
    },
    securityPolicy: {
      apiVersion: AI_GATEWAY_API_VERSION,
      kind: "BackendSecurityPolicy",
      metadata: meta(apiName),
      spec: { targetRefs: [{ group: "aigateway.envoyproxy.io", kind: "AIServiceBackend", name: apiName }], type: "APIKey", apiKey: { secretRef: { name: secretName } } },
    },
    secretName,
  };
  return { route, trafficPolicy, ...(owned !== undefined ? { owned } : {}), api };
}
