/**
 * Tenant: one team's isolated slice of the GPU cluster.
 *
 * A namespace with Pod Security Admission `restricted` enforced (and audited, warned); a default-deny
 * NetworkPolicy for ingress and egress plus the allows serving needs (from the router, Prometheus
 * scraping, DNS on port 53, the EKS Pod Identity agent, HTTPS out for weights and AWS APIs); a ResourceQuota on
 * `requests.nvidia.com/gpu` (Kubernetes only accepts the `requests.` prefix for extended resources,
 * and GPUs cannot be overcommitted, so it caps limits too) and no LoadBalancer/NodePort services; a
 * LimitRange so containers without requests still get sane ones; a service account bound through
 * EKS Pod Identity to an IAM role that reaches only this tenant's prefix of the weights bucket and
 * its own SQS queues (`<cluster>-<tenant>-*`).
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  GPU_RESOURCE,
  SCRAPE_NAMESPACE_LABEL_KEY,
  TENANT_LABEL_KEY,
  type TenantClusterRef,
  tenantQueueNamePrefix,
  tenantWeightsPrefix,
} from "./internal/cluster-contract";
import { bucketKeyThroughS3, podIdentityTrustPolicy, policyDocument } from "./internal/iam";
import { Problems } from "./internal/validation";

/** Where the inference router runs: the only source of serving traffic. */
export interface RouterSelector {
  /** Namespace of the router pods (matched on `kubernetes.io/metadata.name`). */
  namespace: string;
  /** Labels of the router pods. */
  podLabels: Record<string, string>;
}

export interface TenantArgs {
  /** Tenant name; also the namespace name (maps to `Namespace.metadata.name`). */
  name: string;
  /** Team that owns the tenant; maps to the `team` tag on its IAM role and the namespace label `team`. @default - the tenant name */
  team?: string;
  /** Most GPUs the tenant's pods may request; maps to `ResourceQuota.spec.hard["requests.nvidia.com/gpu"]`. Unit: GPUs. */
  gpuQuota: number;
  /** The cluster the tenant lives in (`GpuCluster.tenantRef`). */
  cluster: TenantClusterRef;
  /** Where the router runs; maps to the `from` peer of the `allow-from-router` NetworkPolicy. @default - namespace "inference-router", pods labelled `app.kubernetes.io/name: inference-router` */
  router?: RouterSelector;
  /** Port the serving pods listen on (API and metrics); maps to the allowed ingress port. @default 8000 */
  servingPort?: number;
  /** Service account the serving workloads run as (maps to `ServiceAccount.metadata.name`). @default "inference" */
  serviceAccountName?: string;
  /** Pod Security Admission level version; maps to the `pod-security.kubernetes.io/*-version` labels. @default "latest" */
  podSecurityVersion?: string;
  /** CPU request given to containers that set none; maps to `LimitRange` `defaultRequest.cpu`. @default "250m" */
  defaultCpuRequest?: string;
  /** Memory request given to containers that set none; maps to `LimitRange` `defaultRequest.memory`. @default "512Mi" */
  defaultMemoryRequest?: string;
  /** Memory limit given to containers that set none; maps to `LimitRange` `default.memory`. @default "2Gi" */
  defaultMemoryLimit?: string;
  /** Most GPUs one container may ask for; maps to `LimitRange` `max["nvidia.com/gpu"]`. Unit: GPUs. @default 8 */
  maxGpusPerContainer?: number;
}

/** Defaults of {@link TenantArgs}, resolved once at the top of the constructor. */
export const TENANT_DEFAULTS = {
  router: { namespace: "inference-router", podLabels: { "app.kubernetes.io/name": "inference-router" } } as RouterSelector,
  servingPort: 8000,
  serviceAccountName: "inference",
  podSecurityVersion: "latest",
  defaultCpuRequest: "250m",
  defaultMemoryRequest: "512Mi",
  defaultMemoryLimit: "2Gi",
  maxGpusPerContainer: 8,
} as const;

/** EKS Pod Identity agent address on every node (credentials for pods). */
const POD_IDENTITY_AGENT_CIDR = "169.254.170.23/32";

export class Tenant extends pulumi.ComponentResource {
  /** Tenant name (plain). */
  readonly tenantName: string;
  /** Namespace name (plain; equals the tenant name). */
  readonly namespaceName: string;
  /** The namespace. */
  readonly namespace: k8s.core.v1.Namespace;
  /** Service account serving workloads run as (plain). */
  readonly serviceAccountName: string;
  /** IAM role the service account assumes through EKS Pod Identity. */
  readonly roleArn: pulumi.Output<string>;
  /** GPU quota (plain). */
  readonly gpuQuota: number;
  /** Prefix of the tenant's objects in the weights bucket (plain). */
  readonly weightsPrefix: string;
  /** Prefix every SQS queue of this tenant must carry (plain). */
  readonly queueNamePrefix: string;
  /** Port the NetworkPolicies open for serving and scraping (plain). */
  readonly servingPort: number;

  constructor(name: string, args: TenantArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("gpu-inference:tenant:Tenant", name, {}, opts);

    // --- defaults, resolved once ---
    const d = TENANT_DEFAULTS;
    const team = args.team ?? args.name;
    const router = args.router ?? d.router;
    const servingPort = args.servingPort ?? d.servingPort;
    const serviceAccountName = args.serviceAccountName ?? d.serviceAccountName;
    const psaVersion = args.podSecurityVersion ?? d.podSecurityVersion;
    const defaultCpuRequest = args.defaultCpuRequest ?? d.defaultCpuRequest;
    const defaultMemoryRequest = args.defaultMemoryRequest ?? d.defaultMemoryRequest;
    const defaultMemoryLimit = args.defaultMemoryLimit ?? d.defaultMemoryLimit;
    const maxGpusPerContainer = args.maxGpusPerContainer ?? d.maxGpusPerContainer;

    const problems = new Problems(`Tenant ${name}`);
    if (!/^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/.test(args.name)) problems.add("name", `got "${args.name}"; expected a DNS-1123 label of at most 40 characters`);
    if (["default", "kube-system", "kube-public", "kube-node-lease", router.namespace, args.cluster.prometheusNamespace].includes(args.name)) {
      problems.add("name", `"${args.name}" is a system, router or monitoring namespace; pick a tenant name of its own`);
    }
    problems.wholeNumber("gpuQuota", args.gpuQuota, 0);
    problems.wholeNumber("servingPort", servingPort, 1, 65535);
    problems.wholeNumber("maxGpusPerContainer", maxGpusPerContainer, 1);
    if (Object.keys(router.podLabels).length === 0) problems.add("router.podLabels", "expected at least one label: an empty selector would admit every pod of the router namespace");
    problems.throwIfAny();

    const cluster = args.cluster;
    const k8sOpts = { parent: this, provider: cluster.kubernetesProvider };
    this.tenantName = args.name;
    this.namespaceName = args.name;
    this.serviceAccountName = serviceAccountName;
    this.gpuQuota = args.gpuQuota;
    this.servingPort = servingPort;
    this.weightsPrefix = tenantWeightsPrefix(args.name);
    this.queueNamePrefix = tenantQueueNamePrefix(cluster.clusterName, args.name);

    this.namespace = new k8s.core.v1.Namespace(`${name}-ns`, {
      metadata: {
        name: args.name,
        labels: {
          "pod-security.kubernetes.io/enforce": "restricted",
          "pod-security.kubernetes.io/enforce-version": psaVersion,
          "pod-security.kubernetes.io/audit": "restricted",
          "pod-security.kubernetes.io/audit-version": psaVersion,
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/warn-version": psaVersion,
          [TENANT_LABEL_KEY]: args.name,
          [SCRAPE_NAMESPACE_LABEL_KEY]: "true",
          team,
        },
      },
    }, k8sOpts);
    // Plain, so policies read it at preview; `dependsOn` orders creation after the namespace.
    const namespace = args.name;
    const inNamespace = { ...k8sOpts, dependsOn: [this.namespace] };

    // --- network isolation ---
    new k8s.networking.v1.NetworkPolicy(`${name}-default-deny`, {
      metadata: { name: "default-deny", namespace },
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    }, inNamespace);
    new k8s.networking.v1.NetworkPolicy(`${name}-allow-from-router`, {
      metadata: { name: "allow-from-router", namespace },
      spec: {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": router.namespace } }, podSelector: { matchLabels: { ...router.podLabels } } }],
            ports: [{ protocol: "TCP", port: servingPort }],
          },
        ],
      },
    }, inNamespace);
    new k8s.networking.v1.NetworkPolicy(`${name}-allow-prometheus`, {
      metadata: { name: "allow-prometheus-scrape", namespace },
      spec: {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": cluster.prometheusNamespace } },
                podSelector: { matchLabels: { ...cluster.prometheusPodLabels } },
              },
            ],
            ports: [{ protocol: "TCP", port: servingPort }],
          },
        ],
      },
    }, inNamespace);
    new k8s.networking.v1.NetworkPolicy(`${name}-allow-dns`, {
      metadata: { name: "allow-dns", namespace },
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        // EKS Auto Mode answers DNS on the node, not from kube-dns pods in kube-system, so a
        // kube-system peer would block resolution there: DNS is allowed to any address, port 53 only.
        egress: [
          {
            ports: [
              { protocol: "UDP", port: 53 },
              { protocol: "TCP", port: 53 },
            ],
          },
        ],
      },
    }, inNamespace);
    new k8s.networking.v1.NetworkPolicy(`${name}-allow-egress`, {
      metadata: { name: "allow-https-and-pod-identity", namespace },
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          // Weights (Hugging Face, S3), STS, SQS: HTTPS only.
          { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 443 }] },
          // EKS Pod Identity agent on the node hands out the role's credentials.
          { to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT_CIDR } }], ports: [{ protocol: "TCP", port: 80 }] },
        ],
      },
    }, inNamespace);

    // --- quotas ---
    new k8s.core.v1.ResourceQuota(`${name}-gpu-quota`, {
      metadata: { name: "gpu-quota", namespace },
      spec: {
        hard: {
          [`requests.${GPU_RESOURCE}`]: String(args.gpuQuota),
          "services.loadbalancers": "0",
          "services.nodeports": "0",
        },
      },
    }, inNamespace);
    new k8s.core.v1.LimitRange(`${name}-limits`, {
      metadata: { name: "container-defaults", namespace },
      spec: {
        limits: [
          {
            type: "Container",
            defaultRequest: { cpu: defaultCpuRequest, memory: defaultMemoryRequest },
            default: { memory: defaultMemoryLimit },
            max: { [GPU_RESOURCE]: String(maxGpusPerContainer) },
          },
        ],
      },
    }, inNamespace);

    // --- identity ---
    new k8s.core.v1.ServiceAccount(`${name}-sa`, {
      metadata: { name: serviceAccountName, namespace },
      // vLLM and the batch runner never call the Kubernetes API; Pod Identity needs no API token.
      automountServiceAccountToken: false,
    }, inNamespace);
    const role = new aws.iam.Role(`${name}-role`, {
      name: `${cluster.clusterName}-${args.name}`,
      description: `Tenant ${args.name}: its weights prefix and its own queues`,
      assumeRolePolicy: podIdentityTrustPolicy({ accountId: cluster.accountId, clusterName: cluster.clusterName, namespace: args.name, serviceAccount: serviceAccountName }),
      tags: { team },
    }, { parent: this });
    const queueArns = pulumi.interpolate`arn:${cluster.partition}:sqs:${cluster.region}:${cluster.accountId}:${this.queueNamePrefix}*`;
    new aws.iam.RolePolicy(`${name}-role`, {
      role: role.name,
      policy: policyDocument([
        {
          Sid: "ListOwnPrefix",
          Effect: "Allow",
          Action: ["s3:ListBucket"],
          Resource: cluster.weightsBucketArn,
          Condition: { StringLike: { "s3:prefix": [`${this.weightsPrefix}*`] } },
        },
        { Sid: "ReadOwnWeights", Effect: "Allow", Action: ["s3:GetObject"], Resource: pulumi.interpolate`${cluster.weightsBucketArn}/${this.weightsPrefix}*` },
        { Sid: "WriteOwnBatchOutputs", Effect: "Allow", Action: ["s3:PutObject"], Resource: pulumi.interpolate`${cluster.weightsBucketArn}/${this.weightsPrefix}batch/*` },
        bucketKeyThroughS3(cluster.weightsKeyArn, cluster.region, "UseWeightsKeyThroughS3"),
        {
          Sid: "UseOwnQueues",
          Effect: "Allow",
          Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"],
          Resource: queueArns,
        },
      ]),
    }, { parent: this });
    new aws.eks.PodIdentityAssociation(`${name}-pod-identity`, {
      // The name is known up front; deriving it from the ARN makes the association wait for the cluster.
      clusterName: pulumi.output(cluster.clusterArn).apply(() => cluster.clusterName),
      namespace: args.name,
      serviceAccount: serviceAccountName,
      roleArn: role.arn,
      tags: { team },
    }, { parent: this, dependsOn: [this.namespace] });
    this.roleArn = role.arn;

    this.registerOutputs({
      tenantName: this.tenantName,
      namespaceName: this.namespaceName,
      namespace: this.namespace,
      serviceAccountName: this.serviceAccountName,
      roleArn: this.roleArn,
      gpuQuota: this.gpuQuota,
      weightsPrefix: this.weightsPrefix,
      queueNamePrefix: this.queueNamePrefix,
      servingPort: this.servingPort,
    });
  }
}
