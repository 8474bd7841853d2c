/**
 * The small typed interfaces through which the cluster's consumers (tenants, serving components,
 * policies) find what the cluster declared: label keys, the GPU taint, pool targets. Plain values
 * only, so that policies can read them at preview.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/** Node label every GPU NodePool puts on its nodes; workloads select their pool with it. */
export const GPU_POOL_LABEL_KEY = "gpu-inference/pool";

/** Annotation on each NodePool with the pool's pricing (`on-demand`, `spot`, `reserved`); the policy pack defines the key. */
export { CAPACITY_PRICING_ANNOTATION } from "../../policies/contract";

/** Namespace label Prometheus selects PodMonitors/ServiceMonitors by (tenant namespaces and the monitoring namespace). */
export const SCRAPE_NAMESPACE_LABEL_KEY = "gpu-inference/scrape";

/** Namespace label marking a tenant namespace; its value is the tenant name. */
export const TENANT_LABEL_KEY = "gpu-inference/tenant";

/** Extended resource the NVIDIA device plugin advertises; also the key of the GPU NodePool taint. */
export const GPU_RESOURCE = "nvidia.com/gpu";

/** A Kubernetes toleration as plain data (maps to `PodSpec.tolerations[]`). */
export interface PlainToleration {
  readonly key: string;
  readonly operator: "Exists" | "Equal";
  readonly value?: string;
  readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/** The taint every GPU NodePool carries, so only pods that ask for GPUs land on GPU nodes. */
export const GPU_TAINT = { key: GPU_RESOURCE, effect: "NoSchedule" } as const;

/** The toleration matching {@link GPU_TAINT}. */
export const GPU_TOLERATION: PlainToleration = { key: GPU_RESOURCE, operator: "Exists", effect: "NoSchedule" };

/**
 * Where a GPU workload runs: what the serving components put in their pod spec to land on one pool.
 * Every field is a plain value known at preview.
 */
export interface GpuPoolTarget {
  /** Pool name (the NodePool's `metadata.name`). */
  readonly name: string;
  /** Node selector for the pool (maps to `PodSpec.nodeSelector`). */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** Tolerations for the pool's GPU taint (maps to `PodSpec.tolerations`). */
  readonly tolerations: readonly PlainToleration[];
  /** Most GPUs the pool may run at once (the NodePool's `spec.limits["nvidia.com/gpu"]`). */
  readonly gpuLimit: number;
  /** Configured capacity type; `reserved` runs as on-demand capacity priced at the commitment rate. */
  readonly capacityType: "on-demand" | "spot" | "reserved";
  /** EC2 instance types the pool may launch. */
  readonly instanceTypes: readonly string[];
  /** The pool's Auto Mode NodeClass (the NodePool's `nodeClassRef.name`). */
  readonly nodeClassName: string;
  /** Ephemeral storage one pod may request on the pool's nodes, GiB: the NodeClass disk less image, logs and the kubelet's reserves. */
  readonly podEphemeralStorageCapacityGiB: number;
}

/** How tenant-facing components reach the cluster: what a Tenant needs from the GpuCluster. */
/**
 * What installs the CRDs the serving components create objects of. pulumi-kubernetes retries a
 * custom resource whose kind the API server does not know yet for about a minute, then fails; the
 * objects must wait for these instead (`dependsOn`).
 */
export interface CrdSources {
  /** Installs `keda.sh` ScaledObject, ScaledJob and TriggerAuthentication (the KEDA Helm release). */
  readonly keda: pulumi.Resource;
  /** Installs `monitoring.coreos.com` PodMonitor and ServiceMonitor (the kube-prometheus-stack release). */
  readonly prometheusOperator: pulumi.Resource;
}

export interface TenantClusterRef {
  /** EKS cluster name (plain: IAM resource prefixes are derived from it). */
  readonly clusterName: string;
  /** AWS region (plain). */
  readonly region: string;
  /** EKS cluster ARN. */
  readonly clusterArn: pulumi.Input<string>;
  /** AWS account ID. */
  readonly accountId: pulumi.Input<string>;
  /** AWS partition (`aws`, `aws-cn`, ...). */
  readonly partition: pulumi.Input<string>;
  /** Provider that reaches the cluster's API. */
  readonly kubernetesProvider: k8s.Provider;
  /** ARN of the model-weights bucket. */
  readonly weightsBucketArn: pulumi.Input<string>;
  /** ARN of the KMS key the weights bucket encrypts with. */
  readonly weightsKeyArn: pulumi.Input<string>;
  /** Namespace Prometheus runs in (plain). */
  readonly prometheusNamespace: string;
  /** Labels of the Prometheus server pods (plain), for NetworkPolicy allows. */
  readonly prometheusPodLabels: Readonly<Record<string, string>>;
}

/** Prefix of every SQS queue name a tenant may use: `<cluster>-<tenant>-`. */
export function tenantQueueNamePrefix(clusterName: string, tenant: string): string {
  return `${clusterName}-${tenant}-`;
}

/** Prefix of a tenant's objects in the weights bucket: `<tenant>/`. */
export function tenantWeightsPrefix(tenant: string): string {
  return `${tenant}/`;
}
