/**
 * InferenceRouter: one OpenAI-compatible endpoint per workload (its alias), owned vLLM and the API
 * side by side, on Envoy AI Gateway v1.1.0 over Envoy Gateway v1.8.1 (its supported pairing).
 *
 * - Controllers: the Envoy Gateway chart (with the AI Gateway extension hooks and Backend API
 *   on, proxies deployed in the Gateway's namespace), the AI Gateway CRD and controller charts.
 * - Data plane: a GatewayClass whose EnvoyProxy runs the proxies in the `inference-router`
 *   namespace with the pod labels tenants admit, a restricted security context, an HPA and a PDB;
 *   one Gateway (ClusterIP, HTTP) apps call.
 * - Per workload (internal/router-routes.ts): the alias route with the rollout weight, the API as
 *   priority-1 fallback on 429/5xx (the guard's spill), the API key from a Pulumi secret in a Secret.
 * - NetworkPolicies: default deny; in from apps and Prometheus; out to DNS, the Envoy Gateway
 *   control plane, exactly the owned engines' guard port, and 443 outside the cluster's ranges.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ROLLOUT_PREVIOUS_OWNED_PERCENT_ANNOTATION } from "../policies/contract";
import { aiGatewayProblems } from "./internal/router-crds";
import { GUARD_PORT } from "./internal/router-guard-sidecar";
import { workloadRouteManifests, type ApiEndpoint, type OwnedEndpoint } from "./internal/router-routes";

/** Charts, pinned: Envoy AI Gateway v1.1.x is supported on Envoy Gateway v1.8.1+ (site/docs compatibility matrix). */
export const ROUTER_CHARTS = {
  envoyGateway: { chart: "oci://docker.io/envoyproxy/gateway-helm", version: "v1.8.1", namespace: "envoy-gateway-system" },
  aiGatewayCrds: { chart: "oci://docker.io/envoyproxy/ai-gateway-crds-helm", version: "v1.1.0", namespace: "envoy-ai-gateway-system" },
  aiGateway: { chart: "oci://docker.io/envoyproxy/ai-gateway-helm", version: "v1.1.0", namespace: "envoy-ai-gateway-system" },
} as const;

/** Defaults of InferenceRouterArgs; the docs below and the defaults test point here. */
export const INFERENCE_ROUTER_DEFAULTS = {
  namespace: "inference-router",
  podLabels: { "app.kubernetes.io/name": "inference-router" } as Readonly<Record<string, string>>,
  minReplicas: 2,
  maxReplicas: 6,
  targetCpuPercent: 70,
  requestTimeoutSeconds: 300,
  /** Prefill and first decode step on top of the queue wait before an owned attempt counts as failed. */
  firstTokenAllowanceSeconds: 10,
  /** Address ranges never reached as "API hosts": the cluster's and every private range. */
  privateRanges: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"] as readonly string[],
} as const;

/** Listener port of the Gateway apps call (`http://inference-router.<ns>/v1`). */
export const ROUTER_LISTENER_PORT = 80;
/** Envoy's container port for listener 80 (Envoy Gateway maps ports below 1024 to port + 10000 so the proxy runs unprivileged). */
const ENVOY_CONTAINER_PORT = 10080;
/** Envoy's Prometheus stats port and the AI Gateway extproc's admin port (its /metrics). */
const ENVOY_METRICS_PORT = 19001;
const EXTPROC_METRICS_PORT = 1064;
/** Envoy Gateway's xDS port the proxies connect to. */
const XDS_PORT = 18000;

/** One workload's alias. */
export interface InferenceRoute {
  /** The workload name: what apps send as `model`, the alias. */
  readonly alias: string;
  /** Share of requests sent to owned, percent: `rollout.currentOwnedPercent` (maps to the owned backendRef's `weight`). */
  readonly ownedPercent: number;
  /** The owned weight the deployed route carried before this update, decimal string (maps to the route's `gpu-inference.dev/rollout-previous-owned-percent` annotation). @default - not recorded: rollout-safety treats the route as new */
  readonly previousOwnedPercent?: pulumi.Input<string>;
  /** Owned engines: the workload's Service and served model name. @default - none: API only (ownedPercent must be 0) */
  readonly owned?: OwnedEndpoint & { readonly namespace: string; readonly podSelector: Readonly<Record<string, string>> };
  /** The API alternative (host, path prefix, model name); `apiEndpointFor(...)` derives it from the catalog. */
  readonly api: ApiEndpoint;
  /** The API key, a Pulumi secret; stored only in a Kubernetes Secret (key `apiKey`) the AI Gateway reads. @default - none: no Secret is created and the API answers 401 until one is set */
  readonly apiKey?: pulumi.Input<string>;
  /** `slo.maxQueueWaitSeconds`: sizes the owned attempt's first-byte timeout. */
  readonly maxQueueWaitSeconds: number;
}

export interface InferenceRouterArgs {
  readonly routes: readonly InferenceRoute[];
  /** Namespace of the proxies, Gateway and routes. @default "inference-router" */
  readonly namespace?: string;
  /** Labels on the proxy pods; tenants admit these (maps to `EnvoyProxy.spec.provider.kubernetes.envoyDeployment.pod.labels`). @default `{ "app.kubernetes.io/name": "inference-router" }` */
  readonly podLabels?: Readonly<Record<string, string>>;
  /** Proxy replica floor (maps to `EnvoyProxy.spec.provider.kubernetes.envoyHpa.minReplicas`; the PDB keeps max(1, minReplicas − 1) available). @default 2 */
  readonly minReplicas?: number;
  /** Proxy replica ceiling (maps to `EnvoyProxy.spec.provider.kubernetes.envoyHpa.maxReplicas`). @default 6 */
  readonly maxReplicas?: number;
  /** CPU utilization the proxies' HPA aims for, percent. @default 70 */
  readonly targetCpuPercent?: number;
  /** Whole request, stream included, seconds (maps to each rule's `timeouts.request`). @default 300 */
  readonly requestTimeoutSeconds?: number;
  /** Seconds added to `maxQueueWaitSeconds` for the first byte before an owned attempt fails over (maps to `streamIdleTimeout`). @default 10 */
  readonly firstTokenAllowanceSeconds?: number;
  /** Prometheus' namespace and pod labels, admitted to the metrics ports. */
  readonly prometheus: { readonly namespace: pulumi.Input<string>; readonly podLabels: Readonly<Record<string, string>> };
  /** Pods allowed to call the router (maps to the ingress NetworkPolicy's `from`). @default - every pod of every namespace */
  readonly clients?: readonly k8s.types.input.networking.v1.NetworkPolicyPeer[];
}

/** A route as `npm run plan` shows it. */
export interface RouteSummary {
  readonly alias: string;
  readonly ownedPercent: number;
  readonly apiModel: string;
  readonly apiHost: string;
  readonly ownedService?: string;
}

export class InferenceRouter extends pulumi.ComponentResource {
  public readonly namespace: k8s.core.v1.Namespace;
  public readonly releases: k8s.helm.v3.Release[];
  /** The Gateway apps call (its `status.addresses`, port 80, OpenAI paths `/v1/...`, `model` = the alias). */
  public readonly gateway: k8s.apiextensions.CustomResource;
  /** What each alias routes to, for `npm run plan`. */
  public readonly routes: readonly RouteSummary[];
  /** Owned weight per alias, for the next update's `previousOwnedPercent`. */
  public readonly routeWeights: Readonly<Record<string, number>>;

  constructor(name: string, args: InferenceRouterArgs, opts?: pulumi.ComponentResourceOptions) {
    const d = INFERENCE_ROUTER_DEFAULTS;
    const namespace = args.namespace ?? d.namespace;
    const podLabels = args.podLabels ?? d.podLabels;
    const minReplicas = args.minReplicas ?? d.minReplicas;
    const maxReplicas = args.maxReplicas ?? d.maxReplicas;
    const requestTimeoutSeconds = args.requestTimeoutSeconds ?? d.requestTimeoutSeconds;
    const firstTokenAllowanceSeconds = args.firstTokenAllowanceSeconds ?? d.firstTokenAllowanceSeconds;

    // Validate everything known before registering: every problem at once.
    const problems: string[] = [];
    if (!Number.isInteger(minReplicas) || minReplicas < 1) problems.push(`minReplicas: expected a whole number of at least 1, got ${minReplicas}`);
    if (!Number.isInteger(maxReplicas) || maxReplicas < minReplicas) problems.push(`maxReplicas: expected a whole number of at least minReplicas (${minReplicas}), got ${maxReplicas}`);
    const aliases = new Set<string>();
    const built = args.routes.map((route) => {
      if (aliases.has(route.alias)) problems.push(`routes: alias "${route.alias}" appears twice`);
      aliases.add(route.alias);
      if (!(route.maxQueueWaitSeconds > 0)) problems.push(`routes.${route.alias}.maxQueueWaitSeconds: expected a positive number of seconds`);
      try {
        const manifests = workloadRouteManifests({
          alias: route.alias,
          namespace,
          gatewayName: name,
          ownedPercent: route.ownedPercent,
          ...(route.owned !== undefined ? { owned: { serviceHost: route.owned.serviceHost, port: route.owned.port, servedModelName: route.owned.servedModelName } } : {}),
          api: route.api,
          requestTimeoutSeconds,
          firstByteTimeoutSeconds: route.maxQueueWaitSeconds + firstTokenAllowanceSeconds,
          labels: { "app.kubernetes.io/part-of": "gpu-inference", "gpu-inference.dev/workload": route.alias },
        });
        for (const object of [manifests.route, manifests.owned?.serviceBackend, manifests.api.serviceBackend, manifests.api.securityPolicy]) {
          if (object !== undefined) problems.push(...aiGatewayProblems(object as Parameters<typeof aiGatewayProblems>[0]));
        }
        return { route, manifests };
      } catch (error) {
        problems.push((error as Error).message);
        return undefined;
      }
    });
    if (problems.length > 0) throw new Error(`InferenceRouter ${name}: ${problems.join("; ")}`);

    super("gpu-inference:routing:InferenceRouter", name, {}, opts);
    const child = { parent: this };
    const labels = { "app.kubernetes.io/part-of": "gpu-inference", "app.kubernetes.io/component": "router" };

    this.namespace = new k8s.core.v1.Namespace(
      `${name}-ns`,
      { metadata: { name: namespace, labels: { ...labels, "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/audit": "restricted" } } },
      child,
    );

    const c = ROUTER_CHARTS;
    const envoyGateway = new k8s.helm.v3.Release(
      `${name}-envoy-gateway`,
      {
        chart: c.envoyGateway.chart,
        version: c.envoyGateway.version,
        namespace: c.envoyGateway.namespace,
        createNamespace: true,
        values: { config: { envoyGateway: envoyGatewayConfig(c.aiGateway.namespace) } },
      },
      child,
    );
    const crds = new k8s.helm.v3.Release(`${name}-ai-gateway-crds`, { chart: c.aiGatewayCrds.chart, version: c.aiGatewayCrds.version, namespace: c.aiGatewayCrds.namespace, createNamespace: true }, child);
    const controller = new k8s.helm.v3.Release(
      `${name}-ai-gateway`,
      { chart: c.aiGateway.chart, version: c.aiGateway.version, namespace: c.aiGateway.namespace, createNamespace: true },
      { ...child, dependsOn: [crds, envoyGateway] },
    );
    this.releases = [envoyGateway, crds, controller];
    const crdOpts = { ...child, dependsOn: [this.namespace, envoyGateway, crds, controller] };
    const custom = (resourceName: string, manifest: Record<string, unknown>) => new k8s.apiextensions.CustomResource(resourceName, manifest as k8s.apiextensions.CustomResourceArgs, crdOpts);

    const envoyProxy = custom(`${name}-proxy`, {
      apiVersion: "gateway.envoyproxy.io/v1alpha1",
      kind: "EnvoyProxy",
      metadata: { name, namespace, labels },
      spec: {
        provider: {
          type: "Kubernetes",
          kubernetes: {
            envoyDeployment: {
              pod: {
                labels: { ...podLabels, ...labels },
                securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
              },
              container: {
                resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "1Gi" } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } },
              },
            },
            envoyHpa: {
              minReplicas,
              maxReplicas,
              metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: args.targetCpuPercent ?? d.targetCpuPercent } } }],
            },
            envoyPDB: { minAvailable: Math.max(1, minReplicas - 1) },
            envoyService: { type: "ClusterIP" },
          },
        },
      },
    });
    const gatewayClass = new k8s.apiextensions.CustomResource(
      `${name}-class`,
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "GatewayClass",
        metadata: { name, labels },
        spec: {
          controllerName: "gateway.envoyproxy.io/gatewayclass-controller",
          parametersRef: { group: "gateway.envoyproxy.io", kind: "EnvoyProxy", name, namespace },
        },
      },
      { ...crdOpts, dependsOn: [envoyGateway, envoyProxy] },
    );
    this.gateway = new k8s.apiextensions.CustomResource(
      `${name}-gateway`,
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: { name, namespace, labels },
        spec: { gatewayClassName: name, listeners: [{ name: "http", protocol: "HTTP", port: ROUTER_LISTENER_PORT, allowedRoutes: { namespaces: { from: "Same" } } }] },
      },
      { ...crdOpts, dependsOn: [gatewayClass] },
    );

    const summaries: RouteSummary[] = [];
    const weights: Record<string, number> = {};
    for (const entry of built) {
      if (entry === undefined) continue;
      const { route, manifests } = entry;
      const routeOpts = { ...crdOpts, dependsOn: [...crdOpts.dependsOn, this.gateway] };
      if (route.apiKey !== undefined) {
        new k8s.core.v1.Secret(
          `${route.alias}-api-key`,
          { metadata: { name: manifests.api.secretName, namespace, labels }, type: "Opaque", stringData: { apiKey: pulumi.secret(route.apiKey) } },
          { ...child, dependsOn: [this.namespace] },
        );
      }
      const previous = route.previousOwnedPercent;
      const routeManifest =
        previous === undefined
          ? manifests.route
          : { ...manifests.route, metadata: { ...(manifests.route.metadata as object), annotations: { [ROLLOUT_PREVIOUS_OWNED_PERCENT_ANNOTATION]: previous } } };
      new k8s.apiextensions.CustomResource(`${route.alias}-route`, routeManifest as k8s.apiextensions.CustomResourceArgs, routeOpts);
      new k8s.apiextensions.CustomResource(`${route.alias}-retry`, manifests.trafficPolicy as k8s.apiextensions.CustomResourceArgs, routeOpts);
      if (manifests.owned !== undefined) {
        custom(`${route.alias}-owned-backend`, manifests.owned.backend);
        custom(`${route.alias}-owned`, manifests.owned.serviceBackend);
      }
      custom(`${route.alias}-api-backend`, manifests.api.backend);
      custom(`${route.alias}-api-tls`, manifests.api.tlsPolicy);
      custom(`${route.alias}-api`, manifests.api.serviceBackend);
      custom(`${route.alias}-api-auth`, manifests.api.securityPolicy);
      summaries.push({ alias: route.alias, ownedPercent: route.ownedPercent, apiModel: route.api.model, apiHost: route.api.host, ...(route.owned !== undefined ? { ownedService: `${route.owned.serviceHost}:${route.owned.port}` } : {}) });
      weights[route.alias] = route.ownedPercent;
    }
    this.routes = summaries;
    this.routeWeights = weights;

    this.networkPolicies(name, namespace, podLabels, args, child);
    this.registerOutputs({ namespace: this.namespace, gateway: this.gateway, routes: this.routes, routeWeights: this.routeWeights });
  }

  /** Default deny, then exactly what the proxies need. */
  private networkPolicies(name: string, namespace: string, podLabels: Readonly<Record<string, string>>, args: InferenceRouterArgs, child: pulumi.CustomResourceOptions): void {
    const selector = { matchLabels: { ...podLabels } };
    const tcp = (port: number) => ({ protocol: "TCP", port });
    const policy = (suffix: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec) =>
      new k8s.networking.v1.NetworkPolicy(`${name}-${suffix}`, { metadata: { name: `${name}-${suffix}`, namespace, labels: { "app.kubernetes.io/part-of": "gpu-inference" } }, spec }, { ...child, dependsOn: [this.namespace] });
    policy("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    policy("ingress", {
      podSelector: selector,
      policyTypes: ["Ingress"],
      ingress: [
        { from: args.clients !== undefined ? [...args.clients] : [{ namespaceSelector: {} }], ports: [tcp(ENVOY_CONTAINER_PORT)] },
        {
          from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.prometheus.namespace } }, podSelector: { matchLabels: { ...args.prometheus.podLabels } } }],
          ports: [tcp(ENVOY_METRICS_PORT), tcp(EXTPROC_METRICS_PORT)],
        },
      ],
    });
    const engines = args.routes.flatMap((route) =>
      route.owned !== undefined && route.ownedPercent > 0
        ? [{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": route.owned.namespace } }, podSelector: { matchLabels: { ...route.owned.podSelector } } }], ports: [tcp(GUARD_PORT)] }]
        : [],
    );
    policy("egress", {
      podSelector: selector,
      policyTypes: ["Egress"],
      egress: [
        { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }], ports: [{ protocol: "UDP", port: 53 }, tcp(53)] },
        { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ROUTER_CHARTS.envoyGateway.namespace } } }], ports: [tcp(XDS_PORT)] },
        ...engines,
        // API hosts: NetworkPolicy has no host names, so HTTPS to public addresses only (never the cluster or a private range).
        { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...INFERENCE_ROUTER_DEFAULTS.privateRanges] } }], ports: [tcp(443)] },
      ],
    });
  }
}

/** Envoy Gateway's config for the AI Gateway (its extension hooks, the Backend API) with proxies in the Gateway's namespace. */
function envoyGatewayConfig(aiGatewayNamespace: string): Record<string, unknown> {
  const all = { includeAll: true };
  return {
    gateway: { controllerName: "gateway.envoyproxy.io/gatewayclass-controller" },
    provider: { type: "Kubernetes", kubernetes: { deploy: { type: "GatewayNamespace" } } },
    extensionApis: { enableEnvoyPatchPolicy: true, enableBackend: true },
    extensionManager: {
      hooks: { xdsTranslator: { translation: { listener: all, route: all, cluster: all, secret: all }, post: ["Translation", "Cluster", "Route"] } },
      service: { fqdn: { hostname: `ai-gateway-controller.${aiGatewayNamespace}.svc.cluster.local`, port: 1063 } },
    },
  };
}
