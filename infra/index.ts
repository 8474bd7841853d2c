/**
 * The Pulumi program: reads the stack config once, then assembles the components.
 * Per-workload serving plugs in below the tenants: look up `tenantsByName.get(w.tenant)` and
 * `cluster.poolTargets[w.serving.gpuPool]`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { GpuCluster, InferenceRouter, LiveEconomics, ModelDeployment, TENANT_DEFAULTS, Tenant } from "../components";
import { workloadWeightGiB } from "../policies/economics/evaluate";
import { CONFIG_NAMESPACE, namespaceValuesFromEngine, parseStackConfig } from "./config";
import { gatedWorkloads, placeholderValues } from "./deploy-readiness";
import { withResolvedEconomics } from "./economics-source";
import { liveTargets } from "./live-targets";
import { admissionLimits, previousRouterWeights, routerRoutes } from "./router-routes";
import { evaluateStack } from "./stack-economics";

const stackFile = `Pulumi.${pulumi.getStack()}.yaml`;
const config = parseStackConfig(namespaceValuesFromEngine(pulumi.runtime.allConfig()), stackFile);

if (config.cluster.adminRoleArns.length === 0) {
  void pulumi.log.warn(
    `${stackFile}: ${CONFIG_NAMESPACE}:cluster.adminRoleArns is empty: the cluster grants no one admin, so \`pulumi up\` cannot apply its Kubernetes objects; add the role you deploy with`,
  );
}

// A real update (not a preview, not the offline mock engine) refuses what only works on paper:
// placeholder accounts, CIDRs and ids of the example stacks, and gated models without a token.
if (!pulumi.runtime.isDryRun() && !(pulumi.runtime.getMonitor() instanceof MockMonitor)) {
  const refusals = [
    ...placeholderValues(config).map((p) => `${stackFile}: ${CONFIG_NAMESPACE}:${p.path}: ${p.what} (${p.value}) is a placeholder; replace it with your own`),
    ...(new pulumi.Config(CONFIG_NAMESPACE).getSecret("huggingFaceToken") === undefined
      ? gatedWorkloads(config).map((name) => `${stackFile}: ${CONFIG_NAMESPACE}:huggingFaceToken: workload ${name} serves a gated model; set the token with pulumi config set --secret ${CONFIG_NAMESPACE}:huggingFaceToken <token>`)
      : []),
  ];
  if (refusals.length > 0) throw new Error(`refusing pulumi up:\n  ${refusals.join("\n  ")}`);
}

/** Every AWS resource gets the cost-allocation tags through the provider's default tags. */
const awsProvider = new aws.Provider("aws", {
  region: config.cluster.region as aws.Region,
  defaultTags: {
    tags: {
      environment: config.environment,
      workload: "gpu-inference",
      team: config.cluster.team,
      cluster: config.cluster.name,
      "managed-by": "pulumi",
    },
  },
});

const cluster = new GpuCluster(config.cluster.name, {
  clusterName: config.cluster.name,
  environment: config.environment,
  region: config.cluster.region,
  kubernetesVersion: config.cluster.kubernetesVersion,
  upgradePolicy: config.cluster.upgradePolicy,
  nodeProvisioning: config.cluster.nodeProvisioning,
  endpointPublicAccessCidrs: config.cluster.endpointPublicAccessCidrs,
  ...(config.cluster.existingVpc !== undefined ? { existingVpc: config.cluster.existingVpc } : {}),
  ...(config.cluster.endpointPrivateAccess !== undefined ? { endpointPrivateAccess: config.cluster.endpointPrivateAccess } : {}),
  adminRoleArns: config.cluster.adminRoleArns,
  gpuPools: config.cluster.gpuPools,
}, { providers: { aws: awsProvider } });

/** Tenants by name: serving components deploy into `tenantsByName.get(workload.tenant)`. */
const tenantsByName: ReadonlyMap<string, Tenant> = new Map(
  config.tenants.map((t) => [
    t.name,
    new Tenant(t.name, { name: t.name, team: t.team, gpuQuota: t.gpuQuota, cluster: cluster.tenantRef }, { providers: { aws: awsProvider } }),
  ]),
);

/**
 * One ModelDeployment per owned workload, in its tenant's namespace, on its GPU pool. The replica
 * bounds, GPUs and cold start come from `servingPlan` with the catalog's weight size — the same
 * numbers `npm run cost` simulates and the policies recompute.
 */
const huggingFaceToken = new pulumi.Config(CONFIG_NAMESPACE).getSecret("huggingFaceToken");
const engineClients = {
  router: [
    {
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": TENANT_DEFAULTS.router.namespace } },
      podSelector: { matchLabels: { ...TENANT_DEFAULTS.router.podLabels } },
    },
  ],
  prometheus: [
    {
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": cluster.tenantRef.prometheusNamespace } },
      podSelector: { matchLabels: { ...cluster.tenantRef.prometheusPodLabels } },
    },
  ],
};
/** The stack's economics, evaluated once: the guard limits and the live targets read the same numbers the gate judges. */
const { config: gateConfig } = withResolvedEconomics(config, stackFile); // the economics the gate enforces: the policy config's
const stackEvaluation = evaluateStack(gateConfig, pulumi.getStack(), { cheapestShape: false });
/** Each interactive replica's admission guard limit, from the capacity the cost model evaluates. */
const guardLimits = admissionLimits(config, stackEvaluation.workloads);
const deployments = config.workloads.map((workload) => {
  const tenant = tenantsByName.get(workload.tenant);
  const pool = cluster.poolTargets[workload.serving.gpuPool];
  if (tenant === undefined || pool === undefined) throw new Error(`${stackFile}: workload ${workload.name}: unknown tenant or pool (the config schema should have refused it)`);
  const { tenant: _tenant, serving: _serving, ...profile } = workload;
  return new ModelDeployment(
    workload.name,
    {
      config,
      workload,
      weightGiB: workloadWeightGiB(profile),
      tenant: { namespace: tenant.namespaceName, serviceAccountName: tenant.serviceAccountName, queueNamePrefix: tenant.queueNamePrefix, weightsPrefix: tenant.weightsPrefix },
      placement: pool,
      cluster: cluster.tenantRef,
      crdSources: cluster.crdSources,
      prometheusServerAddress: cluster.prometheusUrl,
      clients: engineClients,
      ...(guardLimits.has(workload.name) ? { admissionGuard: guardLimits.get(workload.name) } : {}),
      ...(huggingFaceToken !== undefined ? { huggingFaceToken } : {}),
    },
    { providers: { aws: awsProvider, kubernetes: cluster.kubernetesProvider }, dependsOn: [tenant] },
  );
});

/**
 * The router: one alias per interactive workload at its rollout weight, the API behind it. API
 * keys come from the secret config object `routerApiKeys` (by catalog provider; `npm run plan`
 * lists the aliases whose key is not set); the previous
 * weights from this stack's own last `routerWeights` output, so rollout-safety can check the step.
 */
const routerConfig = new pulumi.Config(CONFIG_NAMESPACE);
const apiKeyProviders = new Set(Object.keys(JSON.parse(pulumi.runtime.allConfig()[`${CONFIG_NAMESPACE}:routerApiKeys`] ?? "{}") as object));
const router = new InferenceRouter(
  "inference-router",
  {
    routes: routerRoutes(config, {
      namespaces: new Map(config.workloads.map((w) => [w.name, tenantsByName.get(w.tenant)!.namespaceName])),
      guarded: new Set(guardLimits.keys()),
      ...(apiKeyProviders.size > 0 ? { apiKeys: routerConfig.requireSecretObject<Record<string, string>>("routerApiKeys") } : {}),
      apiKeyProviders,
      previousWeights: previousRouterWeights(),
    }),
    namespace: TENANT_DEFAULTS.router.namespace,
    podLabels: TENANT_DEFAULTS.router.podLabels,
    prometheus: { namespace: cluster.tenantRef.prometheusNamespace, podLabels: cluster.tenantRef.prometheusPodLabels },
  },
  { providers: { kubernetes: cluster.kubernetesProvider }, dependsOn: deployments },
);

/**
 * Live economics: recording rules, alerts and a dashboard that hold the running workloads to the
 * numbers the gate judged them on (the same evaluation `npm run cost` prints).
 */
const live = liveTargets(
  gateConfig,
  stackEvaluation,
  Object.fromEntries(deployments.map((d) => [d.plan.workload, d.servedModelName])),
);
new LiveEconomics(config.cluster.name, { stack: pulumi.getStack(), ...live, crdSources: cluster.crdSources }, { providers: { kubernetes: cluster.kubernetesProvider } });

// --- stack outputs ---
export const clusterName = cluster.clusterName;
export const kubeconfig = cluster.kubeconfig;
export const vpcId = cluster.vpcId;
export const weightsBucketName = cluster.weightsBucketName;
export const prometheusUrl = cluster.prometheusUrl;
export const kedaOperatorRoleArn = cluster.kedaOperatorRoleArn;
export const gpuPools = cluster.poolTargets;
export const tenants = Object.fromEntries(
  [...tenantsByName].map(([name, tenant]) => [
    name,
    { namespace: tenant.namespaceName, serviceAccount: tenant.serviceAccountName, roleArn: tenant.roleArn, gpuQuota: tenant.gpuQuota, queueNamePrefix: tenant.queueNamePrefix },
  ]),
);
/** Interactive workloads: their OpenAI-compatible base URL inside the cluster (the router's upstreams). */
export const endpoints = Object.fromEntries(deployments.filter((d) => d.endpoint !== undefined).map((d) => [d.plan.workload, d.endpoint]));
/** Batch workloads: the SQS queue URL batch jobs are submitted to. */
export const batchQueues = Object.fromEntries(deployments.filter((d) => d.queueUrl !== undefined).map((d) => [d.plan.workload, d.queueUrl]));
/** Owned weight per workload alias; the next update reads it back as the step it moves from. */
export const routerWeights = router.routeWeights;
/** What each alias routes to. */
export const routes = router.routes;
