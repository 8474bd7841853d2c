import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { INFERENCE_ROUTER_DEFAULTS, InferenceRouter, ROUTER_CHARTS, type InferenceRoute, type InferenceRouterArgs } from "../../components/inference-router";
import { admissionLimit } from "../../components/internal/router-admission";
import { aiGatewayProblems } from "../../components/internal/router-crds";
import { GUARD_IMAGE, GUARD_PORT } from "../../components/internal/router-guard-sidecar";
import { apiEndpointFor } from "../../components/internal/router-providers";
import { workloadRouteManifests } from "../../components/internal/router-routes";
import { ROLLOUT_PREVIOUS_OWNED_PERCENT_ANNOTATION } from "../../policies/contract";
import { routeRows, routeSection } from "../../infra/cli/route-report";
import { SECRET_SIG, SIG_KEY } from "../../infra/policy/analyzer";
import { validateRecordedKubernetesObjects } from "../helpers/kubernetes-schemas";
import { find, installPulumiMocks, ofType, type RecordedResource } from "../helpers/pulumi-mocks";

const API_KEY = "sk-test-9f8e7d6c5b4a39281706f5e4d3c2b1a0";

const chat: InferenceRoute = {
  alias: "chat",
  ownedPercent: 30,
  previousOwnedPercent: "10",
  owned: { serviceHost: "chat.team-a.svc.cluster.local", port: GUARD_PORT, servedModelName: "chat", namespace: "team-a", podSelector: { "app.kubernetes.io/instance": "chat", "app.kubernetes.io/component": "engine" } },
  api: apiEndpointFor("chat", "gpt-4o-mini"),
  apiKey: pulumi.secret(API_KEY),
  maxQueueWaitSeconds: 2,
};
const apiOnly: InferenceRoute = { alias: "summarize", ownedPercent: 0, api: apiEndpointFor("summarize", "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo"), apiKey: pulumi.secret(API_KEY), maxQueueWaitSeconds: 2 };
const prometheus = { namespace: "monitoring", podLabels: { "app.kubernetes.io/name": "prometheus" } };

async function build(overrides: Partial<InferenceRouterArgs> = {}): Promise<RecordedResource[]> {
  const recorded = installPulumiMocks();
  const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
  new InferenceRouter("inference-router", { routes: [chat, apiOnly], prometheus, ...overrides }, { providers: { kubernetes: provider } });
  await pulumi.runtime.disconnect();
  return recorded;
}

const spec = <T>(r: RecordedResource) => r.inputs.spec as T;
interface Ref {
  name: string;
  weight: number;
  priority: number;
  modelNameOverride: string;
}
const refsOf = (r: RecordedResource) => spec<{ rules: { backendRefs: Ref[]; matches: unknown; timeouts: unknown; streamIdleTimeout: string }[] }>(r).rules[0]!;

describe("InferenceRouter children", () => {
  it("registers the controllers, the data plane and per alias its route, backends, retry, TLS and credentials", async () => {
    const recorded = await build();
    const mine = recorded.filter((r) => !r.type.startsWith("pulumi:providers:")).map((r) => `${r.type} ${r.name}`);
    const ai = "kubernetes:aigateway.envoyproxy.io/v1beta1";
    const eg = "kubernetes:gateway.envoyproxy.io/v1alpha1";
    expect(mine.sort()).toEqual(
      [
        "gpu-inference:routing:InferenceRouter inference-router",
        "kubernetes:core/v1:Namespace inference-router-ns",
        "kubernetes:helm.sh/v3:Release inference-router-envoy-gateway",
        "kubernetes:helm.sh/v3:Release inference-router-ai-gateway-crds",
        "kubernetes:helm.sh/v3:Release inference-router-ai-gateway",
        `${eg}:EnvoyProxy inference-router-proxy`,
        "kubernetes:gateway.networking.k8s.io/v1:GatewayClass inference-router-class",
        "kubernetes:gateway.networking.k8s.io/v1:Gateway inference-router-gateway",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy inference-router-default-deny",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy inference-router-ingress",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy inference-router-egress",
        ...["chat", "summarize"].flatMap((a) => [
          `kubernetes:core/v1:Secret ${a}-api-key`,
          `${ai}:AIGatewayRoute ${a}-route`,
          `${eg}:BackendTrafficPolicy ${a}-retry`,
          `${eg}:Backend ${a}-api-backend`,
          `kubernetes:gateway.networking.k8s.io/v1:BackendTLSPolicy ${a}-api-tls`,
          `${ai}:AIServiceBackend ${a}-api`,
          `${ai}:BackendSecurityPolicy ${a}-api-auth`,
        ]),
        `${eg}:Backend chat-owned-backend`,
        `${ai}:AIServiceBackend chat-owned`,
      ].sort(),
    );
  });

  it("every Kubernetes object validates against its real schema (AI Gateway: the zod schemas from its v1.1.0 CRDs)", async () => {
    const recorded = await build();
    // Secrets are recorded with their value wrapped as a Pulumi secret; their shape is asserted below.
    const checked = await validateRecordedKubernetesObjects(recorded.filter((r) => !r.type.startsWith("kubernetes:helm.sh/") && r.type !== "kubernetes:core/v1:Secret"));
    expect(checked).toBe(21);
  });

  it("splits the alias by the rollout weight, owned first, with the API as priority-1 fallback under its real model name", async () => {
    const recorded = await build();
    const rule = refsOf(find(recorded, "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute", "chat-route"));
    expect(rule.matches).toEqual([{ headers: [{ type: "Exact", name: "x-ai-eg-model", value: "chat" }] }]);
    expect(rule.backendRefs).toEqual([
      { name: "chat-owned", weight: 30, priority: 0, modelNameOverride: "chat" },
      { name: "chat-api", weight: 70, priority: 0, modelNameOverride: "gpt-4o-mini" },
      { name: "chat-api", weight: 1, priority: 1, modelNameOverride: "gpt-4o-mini" },
    ]);
    // Timeouts from the SLO: 2 s queue wait + 10 s for the first token.
    expect(rule.streamIdleTimeout).toBe("12s");
    expect(rule.timeouts).toEqual({ request: "300s" });
    const route = find(recorded, "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute", "chat-route");
    expect((route.inputs.metadata as { annotations: Record<string, string> }).annotations[ROLLOUT_PREVIOUS_OWNED_PERCENT_ANNOTATION]).toBe("10");
    const owned = find(recorded, "kubernetes:gateway.envoyproxy.io/v1alpha1:Backend", "chat-owned-backend");
    expect(spec(owned)).toEqual({ endpoints: [{ fqdn: { hostname: "chat.team-a.svc.cluster.local", port: GUARD_PORT } }] });
  });

  it("gives a workload on the API its alias too, with the provider's model name and host", async () => {
    const recorded = await build();
    const rule = refsOf(find(recorded, "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute", "summarize-route"));
    expect(rule.backendRefs.map((r) => [r.name, r.weight, r.priority, r.modelNameOverride])).toEqual([
      ["summarize-api", 100, 0, "meta-llama/Llama-3.3-70B-Instruct-Turbo"],
      ["summarize-api", 1, 1, "meta-llama/Llama-3.3-70B-Instruct-Turbo"],
    ]);
    expect(spec(find(recorded, "kubernetes:gateway.envoyproxy.io/v1alpha1:Backend", "summarize-api-backend"))).toEqual({ endpoints: [{ fqdn: { hostname: "api.together.xyz", port: 443 } }] });
  });

  it("retries a refused or failed owned attempt once on the API (429 spill, 5xx, reset, connect failure)", async () => {
    const recorded = await build();
    const retry = spec<{ targetRefs: unknown; retry: unknown }>(find(recorded, "kubernetes:gateway.envoyproxy.io/v1alpha1:BackendTrafficPolicy", "chat-retry"));
    expect(retry.targetRefs).toEqual([{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "chat" }]);
    expect(retry.retry).toEqual({ numRetries: 1, numAttemptsPerPriority: 1, retryOn: { httpStatusCodes: [429, 500, 502, 503, 504], triggers: ["connect-failure", "retriable-status-codes", "reset"] } });
  });

  it("keeps the API key in a Secret only, as a Pulumi secret, never in a ConfigMap or another object", async () => {
    const recorded = await build();
    const secret = find(recorded, "kubernetes:core/v1:Secret", "chat-api-key");
    expect(JSON.stringify(secret.inputs)).toContain(API_KEY);
    expect(secret.inputs.type).toBe("Opaque");
    // Recorded as a Pulumi secret (the engine's secret signature), under the key the AI Gateway reads.
    expect(secret.inputs.stringData).toMatchObject({ [SIG_KEY]: SECRET_SIG });
    expect(JSON.stringify(secret.inputs.stringData)).toContain('"apiKey"');
    for (const r of recorded.filter((x) => x.type !== "kubernetes:core/v1:Secret")) expect(JSON.stringify(r.inputs), r.name).not.toContain(API_KEY);
    expect(ofType(recorded, "kubernetes:core/v1:ConfigMap")).toEqual([]);
    const auth = spec(find(recorded, "kubernetes:aigateway.envoyproxy.io/v1beta1:BackendSecurityPolicy", "chat-api-auth"));
    expect(auth).toEqual({ targetRefs: [{ group: "aigateway.envoyproxy.io", kind: "AIServiceBackend", name: "chat-api" }], type: "APIKey", apiKey: { secretRef: { name: "chat-api-key" } } });
  });

  it("runs the proxies as a real workload: own namespace, restricted, labelled for the tenants, autoscaled, with a PDB", async () => {
    const recorded = await build();
    const ns = find(recorded, "kubernetes:core/v1:Namespace", "inference-router-ns").inputs.metadata as { name: string; labels: Record<string, string> };
    expect(ns.name).toBe("inference-router");
    expect(ns.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    const k = (spec<{ provider: { kubernetes: Record<string, unknown> } }>(find(recorded, "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy", "inference-router-proxy"))).provider.kubernetes as {
      envoyDeployment: { pod: { labels: Record<string, string>; securityContext: Record<string, unknown> }; container: { securityContext: Record<string, unknown> } };
      envoyHpa: { minReplicas: number; maxReplicas: number };
      envoyPDB: { minAvailable: number };
    };
    expect(k.envoyDeployment.pod.labels["app.kubernetes.io/name"]).toBe("inference-router");
    expect(k.envoyDeployment.pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(k.envoyDeployment.container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect([k.envoyHpa.minReplicas, k.envoyHpa.maxReplicas, k.envoyPDB.minAvailable]).toEqual([2, 6, 1]);
    const charts = ofType(recorded, "kubernetes:helm.sh/v3:Release").map((r) => `${r.inputs.chart as string}@${r.inputs.version as string}`);
    expect(charts.sort()).toEqual(Object.values(ROUTER_CHARTS).map((c) => `${c.chart}@${c.version}`).sort());
  });

  it("reaches exactly the owned engines' guard port, DNS, the control plane, and HTTPS outside private ranges", async () => {
    const recorded = await build();
    const egress = spec<{ egress: { to: Record<string, unknown>[]; ports: { port: number }[] }[] }>(find(recorded, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "inference-router-egress")).egress;
    const engines = egress.filter((e) => e.ports.some((p) => p.port === GUARD_PORT));
    expect(engines).toEqual([
      {
        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "team-a" } }, podSelector: { matchLabels: { "app.kubernetes.io/instance": "chat", "app.kubernetes.io/component": "engine" } } }],
        ports: [{ protocol: "TCP", port: GUARD_PORT }],
      },
    ]);
    const https = egress.find((e) => e.ports.some((p) => p.port === 443))!;
    expect(https.to).toEqual([{ ipBlock: { cidr: "0.0.0.0/0", except: [...INFERENCE_ROUTER_DEFAULTS.privateRanges] } }]);
    expect(egress.flatMap((e) => e.ports.map((p) => p.port)).sort((a, b) => a - b)).toEqual([53, 53, 443, GUARD_PORT, 18000]);
  });

  it("moves one rollout step, and back to 0, by changing only the owned weight", () => {
    const at = (ownedPercent: number) => workloadRouteManifests({ alias: "chat", namespace: "inference-router", gatewayName: "g", ownedPercent, owned: { serviceHost: "chat.team-a.svc.cluster.local", port: GUARD_PORT, servedModelName: "chat" }, api: chat.api, requestTimeoutSeconds: 300, firstByteTimeoutSeconds: 12, labels: {} });
    const weights = (m: ReturnType<typeof at>) => (m.route.spec as { rules: { backendRefs: Ref[] }[] }).rules[0]!.backendRefs.map((r) => r.weight);
    expect([10, 30, 60, 90, 100, 0].map((p) => weights(at(p)))).toEqual([
      [10, 90, 1],
      [30, 70, 1],
      [60, 40, 1],
      [90, 10, 1],
      [100, 0, 1],
      [0, 100, 1],
    ]);
    const { route: _a, ...rest30 } = at(30);
    const { route: _b, ...rest60 } = at(60);
    expect(rest60).toEqual(rest30);
  });
});

describe("InferenceRouter refuses what cannot route, every problem at once", () => {
  it("owned weight without owned engines, a duplicate alias, bad replica bounds", () => {
    installPulumiMocks();
    const build = () =>
      new InferenceRouter("r", { routes: [{ ...apiOnly, ownedPercent: 30 }, chat, chat], prometheus, minReplicas: 0 });
    expect(build).toThrow(/minReplicas: expected a whole number of at least 1, got 0/);
    expect(build).toThrow(/route summarize: ownedPercent is 30 but the workload has no owned engines; set rollout.currentOwnedPercent to 0/);
    expect(build).toThrow(/alias "chat" appears twice/);
  });

  it("an API the router cannot call, naming the key", () => {
    expect(() => apiEndpointFor("chat", "claude-3-5-sonnet-20241022")).toThrow(/api.catalogId "claude-3-5-sonnet-20241022" is a Anthropic model/);
    expect(() => apiEndpointFor("chat", "together-ai-4.1b-8b")).toThrow(/price tier/);
  });

  it("the AI Gateway schemas refuse what the CRDs refuse", () => {
    const route = { apiVersion: "aigateway.envoyproxy.io/v1beta1", kind: "AIGatewayRoute", metadata: { name: "x", namespace: "n" }, spec: { rules: [{ backendRefs: [{ name: "b", weight: -1 }] }] } };
    expect(aiGatewayProblems(route)).toEqual([expect.stringMatching(/^AIGatewayRoute x: spec.rules.0.backendRefs.0.weight: /)]);
    const backend = { apiVersion: "aigateway.envoyproxy.io/v1beta1", kind: "AIServiceBackend", metadata: { name: "x", namespace: "n" }, spec: { schema: { name: "OpenAI" }, backendRef: { name: "svc", kind: "Service" } } };
    expect(aiGatewayProblems(backend).join()).toMatch(/backendRef/);
  });
});

describe("admission guard wiring", () => {
  it("the guard image is pinned to an exact official Node release", () => {
    expect(GUARD_IMAGE).toMatch(/^node:\d+\.\d+\.\d+-alpine\d+\.\d+$/);
  });

  it("the per-replica limit follows the SLO: more wait allowed, more queued", () => {
    expect(admissionLimit({ runningSlots: 64, requestsPerSecond: 3.2, maxQueueWaitSeconds: 2 })).toEqual({ runningSlots: 64, queueAllowance: 6, perReplica: 70 });
    expect(admissionLimit({ runningSlots: 64, requestsPerSecond: 3.2, maxQueueWaitSeconds: 5 }).queueAllowance).toBe(16);
  });
});

describe("npm run plan's route section", () => {
  it("shows each alias's split at its rollout weight and its fallback", async () => {
    const recorded = await build();
    expect(routeRows(recorded)).toEqual([
      {
        alias: "chat",
        split: [
          { backend: "chat-owned", model: "chat", percent: 30 },
          { backend: "chat-api", model: "gpt-4o-mini", percent: 70 },
        ],
        fallback: ["chat-api (priority 1)"],
        apiKeySet: true,
      },
      { alias: "summarize", split: [{ backend: "summarize-api", model: "meta-llama/Llama-3.3-70B-Instruct-Turbo", percent: 100 }], fallback: ["summarize-api (priority 1)"], apiKeySet: true },
    ]);
    // Without the key's Secret, the row says so.
    expect(routeRows(recorded.filter((r) => !(r.type === "kubernetes:core/v1:Secret" && r.name === "summarize-api-key")))[1]!.apiKeySet).toBe(false);
    expect(routeSection(recorded)[1]).toBe("  chat: 30% → chat-owned (chat), 70% → chat-api (gpt-4o-mini); fallback chat-api (priority 1)");
    expect(routeSection([])).toEqual([]);
  });
});
