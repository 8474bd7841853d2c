/**
 * The Pulumi program: reads the stack config once, then assembles the components.
 * Per-workload serving plugs in below the tenants: look up `tenantsByName.get(w.tenant)` and
 * `cluster.poolTargets[w.serving.gpuPool]`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { GpuCluster, LiveEconomics, ModelDeployment, TENANT_DEFAULTS, Tenant } from "../components";
import { workloadWeightGiB } from "../policies/economics/evaluate";
import { CONFIG_NAMESPACE, namespaceValuesFromEngine, parseStackConfig } from "./config";
import { liveTargets } from "./live-targets";
import { evaluateStack } from "./stack-economics";

const stackFile = `Pulumi.${pulumi.getStack()}.yaml`;
const config = parseStackConfig(namespaceValuesFromEngine(pulumi.runtime.allConfig()), stackFile);

if (config.cluster.adminRoleArns.length === 0) {
  void pulumi.log.warn(
    `${stackFile}: ${CONFIG_NAMESPACE}:cluster.adminRoleArns is empty: the cluster grants no one admin, so \`pulumi up\` cannot apply its Kubernetes objects; add the role you deploy with`,
  );
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
      tenant: { namespace: tenant.namespaceName, serviceAccountName: tenant.serviceAccountName, queueNamePrefix: tenant.queueNamePrefix },
      placement: pool,
      cluster: cluster.tenantRef,
      crdSources: cluster.crdSources,
      prometheusServerAddress: cluster.prometheusUrl,
      clients: engineClients,
      ...(huggingFaceToken !== undefined ? { huggingFaceToken } : {}),
    },
    { providers: { aws: awsProvider, kubernetes: cluster.kubernetesProvider }, dependsOn: [tenant] },
  );
});

/**
 * Live economics: recording rules, alerts and a dashboard that hold the running workloads to the
 * numbers the gate judged them on (the same evaluation `npm run cost` prints).
 */
const live = liveTargets(
  config,
  evaluateStack(config, pulumi.getStack(), { cheapestShape: false }),
  Object.fromEntries(deployments.filter((d) => d.server !== undefined).map((d) => [d.plan.workload, d.server!.scaleTarget.servedModelName])),
);
new LiveEconomics(config.cluster.name, { stack: pulumi.getStack(), ...live }, { providers: { kubernetes: cluster.kubernetesProvider }, dependsOn: [cluster, ...deployments] });

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
