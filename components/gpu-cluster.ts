/**
 * GpuCluster: a hardened EKS Auto Mode cluster for GPU inference.
 *
 * Built from @pulumi/aws primitives rather than @pulumi/eks on purpose. @pulumi/eks v4's Cluster
 * (like awsx's VPC) is a remote multi-language component: the engine, and so the policy pack and the
 * offline `npm run plan`, see one opaque `eks:index:Cluster` resource with no children. Declaring
 * `aws:eks/cluster:Cluster`, the KMS key, the log group, the IAM roles, access entries and the VPC
 * directly puts every security- and cost-relevant fact (secrets encryption, control-plane logs,
 * endpoint access, upgrade policy, tags) on a resource the engine registers, where policies and
 * tests can check it, at preview and under mocks.
 *
 * Contents: VPC (private subnets for nodes, public only for load balancers, NAT, S3 gateway
 * endpoint); EKS with Auto Mode (AWS runs Karpenter, the NVIDIA drivers and device plugin on
 * Bottlerocket, IMDSv2 with hop limit 1), access-entry authentication without a permanent creator
 * admin, KMS envelope encryption of secrets, all control-plane logs, private or CIDR-limited
 * endpoint, explicit STANDARD upgrade policy; one `karpenter.sh/v1` NodePool per GPU pool;
 * network policy enforcement on; KEDA, kube-prometheus-stack and DCGM exporter pinned; the
 * model-weights bucket. Production protects the cluster, its secrets key and the bucket.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createAddons } from "./internal/addons";
import { type ContainerImages, createDockerHubCache, DOCKER_HUB_IMAGES, type DockerHubCredentials } from "./internal/image-cache";
import { pinnedZoneProblems } from "./internal/availability-zones";
import { GPU_POOL_LABEL_KEY, type CrdSources, type GpuPoolTarget, type TenantClusterRef } from "./internal/cluster-contract";
import { managedPolicyArn, policyDocument, serviceTrustPolicy } from "./internal/iam";
import { createNetwork } from "./internal/network";
import { nodeClassManifest } from "./internal/node-class";
import { AUTO_MODE_MAX_NODE_LIFETIME_HOURS, type GpuPoolSpec, type MaintenanceWindow, nodePoolManifest, poolTarget } from "./internal/node-pools";
import { Problems } from "./internal/validation";
import { createWeightsBucket } from "./internal/weights-bucket";
import { eksVersionProblem, eksVersionWarning, newestStandardSupportVersion, type EksSupportType } from "../policies/eks-versions";
import { EPHEMERAL_STORAGE_LIMITS, isRestrictedNodeClassTagKey, NODE_CLASS_API_VERSION, NODE_CLASS_KIND, nodeDiskGiBFor, nodeDiskProblem } from "../policies/node-class";

export {
  CAPACITY_PRICING_ANNOTATION,
  GPU_POOL_LABEL_KEY,
  GPU_RESOURCE,
  GPU_TAINT,
  GPU_TOLERATION,
  SCRAPE_NAMESPACE_LABEL_KEY,
  TENANT_LABEL_KEY,
  tenantQueueNamePrefix,
  tenantWeightsPrefix,
  type CrdSources,
  type GpuPoolTarget,
  type PlainToleration,
  type TenantClusterRef,
} from "./internal/cluster-contract";
export { ADDON_CHARTS } from "./internal/addons";
export { karpenterCapacityTypes } from "./internal/node-pools";

/** One GPU node pool (a Karpenter NodePool). */
export interface GpuPoolArgs {
  /** Pool name; maps to the NodePool's `metadata.name` and the node label `gpu-inference/pool`. */
  name: string;
  /** EC2 instance types (for example `g6e.xlarge`); maps to the requirement on `node.kubernetes.io/instance-type`. */
  instanceTypes: string[];
  /**
   * Capacity type; maps to the requirement on `karpenter.sh/capacity-type` (`reserved` = commitment
   * pricing on on-demand capacity, see `karpenterCapacityTypes`). @default "on-demand"
   */
  capacityType?: "on-demand" | "spot" | "reserved";
  /** Most GPUs the pool may run at once, its spending ceiling; maps to `NodePool.spec.limits["nvidia.com/gpu"]`. Unit: GPUs. */
  gpuLimit: number;
  /**
   * Largest ephemeral-storage request of any pod placed on the pool (model cache and scratch volumes); sizes the
   * node disk, maps to the pool NodeClass's `spec.ephemeralStorage.size` (policies/node-class.ts `nodeDiskGiBFor`:
   * the request, the image, logs and the kubelet's reserves, never below Auto Mode's 80 GiB). Refused past what the
   * largest Auto Mode disk (59000 GiB) holds. Unit: GiB. @default 0 (an 80 GiB disk)
   */
  podEphemeralStorageGiB?: number;
}

export interface GpuClusterArgs {
  /** EKS cluster name; maps to `aws.eks.Cluster` `name` and prefixes AWS names. */
  clusterName: string;
  /** Environment; `prod` protects the cluster, its secrets key and the weights bucket and turns on EKS deletion protection. */
  environment: "dev" | "staging" | "prod";
  /** AWS region the cluster runs in (must match the AWS provider's region). */
  region: string;
  /**
   * Kubernetes minor version; maps to `aws.eks.Cluster` `version`. Refused when past its end of standard
   * support under `upgradePolicy` STANDARD, warned within 60 days of it (dates: policies/eks-versions.ts).
   * @default - the newest version in EKS standard support today
   */
  kubernetesVersion?: string;
  /**
   * EKS support policy; maps to `upgradePolicy.supportType`. STANDARD upgrades the control plane at the end of
   * standard support instead of billing extended support. @default "STANDARD"
   */
  upgradePolicy?: EksSupportType;
  /** Who provisions nodes; only EKS Auto Mode is implemented. @default "auto-mode" */
  nodeProvisioning?: "auto-mode" | "karpenter";
  /**
   * CIDRs allowed to reach the public API endpoint; maps to `vpcConfig.publicAccessCidrs`. Empty keeps
   * the endpoint private (`endpointPublicAccess: false`). @default []
   */
  endpointPublicAccessCidrs?: string[];
  /**
   * An existing VPC to run in instead of creating one: its private subnets (in pinned zones) carry the nodes
   * and the control-plane interfaces; it must already route egress (NAT) and have an S3 gateway endpoint.
   * A private endpoint needs it: only a network that reaches the VPC (VPN, peering, a runner inside) can
   * reach the API. Maps to `vpcConfig.subnetIds`. @default - the cluster creates its VPC
   */
  existingVpc?: { vpcId: string; privateSubnetIds: string[] };
  /**
   * Who may reach the private API endpoint on 443: CIDRs (VPN, CI network) and security groups (a runner's),
   * admitted by a security group added to the control plane (`vpcConfig.securityGroupIds`). @default - none
   */
  endpointPrivateAccess?: { cidrs?: string[]; securityGroupIds?: string[] };
  /** IAM role ARNs given cluster admin through EKS access entries (`AmazonEKSClusterAdminPolicy`, cluster scope). @default [] */
  adminRoleArns?: string[];
  /** GPU node pools, one NodePool each. */
  gpuPools: GpuPoolArgs[];
  /** VPC CIDR, a /16; maps to `aws.ec2.Vpc` `cidrBlock`. @default "10.0.0.0/16" */
  vpcCidr?: string;
  /**
   * Zone IDs (`use1-az1`, not names: names differ between accounts) the created VPC's subnets span, 2 to 4, in
   * `region`; maps to each `aws.ec2.Subnet` `availabilityZoneId`. Pinned so no run looks zones up (a changed
   * lookup would replace subnets); zones EKS refuses for the control plane are refused (./internal/availability-zones).
   * Required when the cluster creates its VPC; refused with `existingVpc`, whose subnets pin the zones.
   * @default - none: required without `existingVpc`
   */
  availabilityZoneIds?: string[];
  /** One NAT gateway per zone (zone-outage tolerant) instead of one for the VPC. @default - true for prod, false otherwise */
  natGatewayPerZone?: boolean;
  /** Days control-plane logs are kept; maps to the log group's `retentionInDays`. Unit: days. @default 90 */
  clusterLogRetentionDays?: number;
  /** Seconds a GPU node stays empty before it is removed; maps to `NodePool.spec.disruption.consolidateAfter`. Unit: seconds. @default 600 */
  consolidateAfterSeconds?: number;
  /** Share of a pool's nodes disrupted at once; maps to `NodePool.spec.disruption.budgets[0].nodes`. @default "10%" */
  disruptionBudgetNodes?: string;
  /**
   * Hours after which a GPU node is replaced (fresh AMI), at most Auto Mode's 21-day node lifetime (504); maps to
   * `NodePool.spec.template.spec.expireAfter`. Expiry ignores disruption budgets: a workload at one replica loses
   * it (a cold start) once per this period. Unit: hours. @default 336
   */
  nodeExpireAfterHours?: number;
  /**
   * Weekly UTC window in which GPU nodes that hold pods may be replaced for drift (new AMI) or consolidation; outside
   * it a `nodes: "0"` budget for `Drifted` and `Underutilized` holds them (empty nodes still go). Maps to
   * `NodePool.spec.disruption.budgets[1]` (`schedule`, `duration`, `reasons`). @default { dayOfWeek: 0, startHourUtc: 2, durationHours: 4 } (Sundays 02:00–06:00 UTC)
   */
  maintenanceWindow?: MaintenanceWindow;
  /** Prometheus retention; maps to chart value `prometheus.prometheusSpec.retention`. @default "15d" */
  prometheusRetention?: string;
  /** Prometheus volume size; maps to the chart's `storageSpec.volumeClaimTemplate` storage request. Unit: GiB. @default 50 */
  prometheusStorageGiB?: number;
  /** Days a replaced version of a weights object is kept; maps to the bucket lifecycle `noncurrentDays`. Unit: days. @default 30 */
  weightsNoncurrentVersionDays?: number;
  /** Protect what cannot be recreated cheaply (cluster, secrets key, weights bucket). @default - true for prod, false otherwise */
  protect?: boolean;
  /**
   * Pull the Docker Hub images (vLLM, the guard's Node.js) through an ECR pull-through cache: a Secrets Manager
   * secret `ecr-pullthroughcache/<clusterName>-docker-hub` with `credentials` (a Pulumi secret), an
   * `aws.ecr.PullThroughCacheRule` for `registry-1.docker.io` under `ecrRepositoryPrefix` (2–30 characters,
   * @default "docker-hub"), and the node role's grant to fill it; `containerImages` then point at
   * `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/...`. @default - none: nodes pull from Docker Hub anonymously
   */
  dockerHubCache?: { credentials: pulumi.Input<DockerHubCredentials>; ecrRepositoryPrefix?: string };
  /**
   * EC2 tags on every GPU node's instance, root volume and network interfaces; maps to each pool NodeClass's `spec.tags`.
   * Auto Mode launches nodes itself, so the AWS provider's `defaultTags` never reach them: pass the same cost-allocation
   * tags here. When set, the cluster role gets the tag-on-create permissions AWS documents for custom Auto Mode tags.
   * Keys Auto Mode reserves (`kubernetes.io/cluster/*`, `karpenter.sh/*`, `eks.amazonaws.com/nodeclass`) are refused. @default {}
   */
  nodeTags?: Readonly<Record<string, string>>;
  /** Provisioned gp3 IOPS of each GPU node's disk; maps to the NodeClass's `spec.ephemeralStorage.iops` (3000–16000). @default 4000 */
  nodeDiskIops?: number;
  /**
   * Provisioned gp3 throughput of each GPU node's disk, MiB/s; maps to the NodeClass's `spec.ephemeralStorage.throughput`
   * (125–1000, at most 0.25 × IOPS). The cold-start model downloads weights at 1 GB/s onto this disk; gp3's 125 MiB/s
   * default would stretch a 131 GiB download from ~2.5 to ~18 minutes. Unit: MiB/s. @default 1000
   */
  nodeDiskThroughputMiBps?: number;
}

/** Defaults of {@link GpuClusterArgs}, resolved once at the top of the constructor. */
export const GPU_CLUSTER_DEFAULTS = {
  kubernetesVersion: (today: Date) => newestStandardSupportVersion(today),
  upgradePolicy: "STANDARD",
  nodeProvisioning: "auto-mode",
  endpointPublicAccessCidrs: [] as string[],
  adminRoleArns: [] as string[],
  capacityType: "on-demand",
  vpcCidr: "10.0.0.0/16",
  natGatewayPerZone: (environment: GpuClusterArgs["environment"]) => environment === "prod",
  clusterLogRetentionDays: 90,
  consolidateAfterSeconds: 600,
  disruptionBudgetNodes: "10%",
  nodeExpireAfterHours: 336,
  maintenanceWindow: { dayOfWeek: 0, startHourUtc: 2, durationHours: 4 } as MaintenanceWindow,
  prometheusRetention: "15d",
  prometheusStorageGiB: 50,
  weightsNoncurrentVersionDays: 30,
  protect: (environment: GpuClusterArgs["environment"]) => environment === "prod",
  dockerHubCacheRepositoryPrefix: "docker-hub",
  podEphemeralStorageGiB: 0,
  nodeTags: {} as Readonly<Record<string, string>>,
  nodeDiskIops: 4000,
  nodeDiskThroughputMiBps: 1000,
} as const;

/** gp3 allows at most this much throughput per provisioned IOPS, MiB/s (Amazon EBS User Guide, "General Purpose SSD volumes": gp3). */
const GP3_MIBPS_PER_IOPS = 0.25;

/** Every control-plane log type EKS offers; maps to `enabledClusterLogTypes`. */
export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;

const CLUSTER_ROLE_POLICIES = [
  "AmazonEKSClusterPolicy",
  "AmazonEKSComputePolicy",
  "AmazonEKSBlockStoragePolicy",
  "AmazonEKSLoadBalancingPolicy",
  "AmazonEKSNetworkingPolicy",
] as const;
const NODE_ROLE_POLICIES = ["AmazonEKSWorkerNodeMinimalPolicy", "AmazonEC2ContainerRegistryPullOnly"] as const;

export class GpuCluster extends pulumi.ComponentResource {
  /** Cluster name (plain). */
  readonly clusterName: string;
  /** The EKS cluster. */
  readonly cluster: aws.eks.Cluster;
  /** Kubeconfig using `aws eks get-token` (secret). */
  readonly kubeconfig: pulumi.Output<string>;
  /** Provider that reaches this cluster's API, for the components that deploy into it. */
  readonly kubernetesProvider: k8s.Provider;
  /** One target per GPU pool, by pool name (plain). */
  readonly poolTargets: Readonly<Record<string, GpuPoolTarget>>;
  /** The NodePools, by pool name. */
  readonly nodePools: Readonly<Record<string, k8s.apiextensions.CustomResource>>;
  /** Each pool's Auto Mode NodeClass (its node disk, network and tags), by pool name. */
  readonly nodeClasses: Readonly<Record<string, k8s.apiextensions.CustomResource>>;
  /** VPC ID. */
  readonly vpcId: pulumi.Output<string>;
  /** Private subnet IDs (nodes, control-plane interfaces). */
  readonly privateSubnetIds: pulumi.Output<string>[];
  /** Public subnet IDs (load balancers only). */
  readonly publicSubnetIds: pulumi.Output<string>[];
  /** Images the GPU pods run: cached in ECR with `dockerHubCache`, else the Docker Hub references. */
  readonly containerImages: ContainerImages;
  /** The pull-through cache rule, with `dockerHubCache`. */
  readonly pullThroughCacheRule?: aws.ecr.PullThroughCacheRule;
  /** The model-weights bucket. */
  readonly weightsBucket: aws.s3.Bucket;
  /** Model-weights bucket name. */
  readonly weightsBucketName: pulumi.Output<string>;
  /** Model-weights bucket ARN. */
  readonly weightsBucketArn: pulumi.Output<string>;
  /** In-cluster Prometheus URL for KEDA's Prometheus trigger `serverAddress` (plain). */
  readonly prometheusUrl: string;
  /** Namespace KEDA runs in (plain). */
  readonly kedaNamespace: string;
  /** The add-ons' Helm releases (KEDA, kube-prometheus-stack, DCGM exporter). */
  readonly releases: { readonly keda: k8s.helm.v3.Release; readonly prometheus: k8s.helm.v3.Release; readonly dcgmExporter: k8s.helm.v3.Release };
  /** What installs the CRDs of the serving components' custom resources: make those wait for it. */
  readonly crdSources: CrdSources;
  /** IAM role of the KEDA operator (EKS Pod Identity); grant it what KEDA triggers read. */
  readonly kedaOperatorRoleArn: pulumi.Output<string>;
  /** What a Tenant needs from this cluster. */
  readonly tenantRef: TenantClusterRef;

  constructor(name: string, args: GpuClusterArgs, opts: pulumi.ComponentResourceOptions = {}) {
    // --- defaults, resolved once ---
    const d = GPU_CLUSTER_DEFAULTS;
    const kubernetesVersion = args.kubernetesVersion ?? d.kubernetesVersion(new Date());
    const upgradePolicy = args.upgradePolicy ?? d.upgradePolicy;
    const nodeProvisioning = args.nodeProvisioning ?? d.nodeProvisioning;
    const endpointPublicAccessCidrs = args.endpointPublicAccessCidrs ?? d.endpointPublicAccessCidrs;
    const adminRoleArns = args.adminRoleArns ?? d.adminRoleArns;
    const vpcCidr = args.vpcCidr ?? d.vpcCidr;
    const natGatewayPerZone = args.natGatewayPerZone ?? d.natGatewayPerZone(args.environment);
    const clusterLogRetentionDays = args.clusterLogRetentionDays ?? d.clusterLogRetentionDays;
    const consolidateAfterSeconds = args.consolidateAfterSeconds ?? d.consolidateAfterSeconds;
    const disruptionBudgetNodes = args.disruptionBudgetNodes ?? d.disruptionBudgetNodes;
    const nodeExpireAfterHours = args.nodeExpireAfterHours ?? d.nodeExpireAfterHours;
    const maintenanceWindow = args.maintenanceWindow ?? d.maintenanceWindow;
    const prometheusRetention = args.prometheusRetention ?? d.prometheusRetention;
    const prometheusStorageGiB = args.prometheusStorageGiB ?? d.prometheusStorageGiB;
    const weightsNoncurrentVersionDays = args.weightsNoncurrentVersionDays ?? d.weightsNoncurrentVersionDays;
    const protect = args.protect ?? d.protect(args.environment);
    const nodeTags = args.nodeTags ?? d.nodeTags;
    const nodeDiskIops = args.nodeDiskIops ?? d.nodeDiskIops;
    const nodeDiskThroughputMiBps = args.nodeDiskThroughputMiBps ?? d.nodeDiskThroughputMiBps;
    // One NodeClass per pool, not one shared: each pool's disk is sized for the pods placed on it, so a pool of
    // small models does not pay for the 70B pool's disk on every node, and a pool's disk can grow without
    // replacing the other pools' nodes (a NodeClass change drifts, and so replaces, every node that uses it).
    const pools: GpuPoolSpec[] = args.gpuPools.map((p) => ({
      name: p.name,
      instanceTypes: p.instanceTypes,
      gpuLimit: p.gpuLimit,
      capacityType: p.capacityType ?? d.capacityType,
      nodeClassName: `gpu-${p.name}`,
      nodeDiskGiB: nodeDiskGiBFor(p.podEphemeralStorageGiB ?? d.podEphemeralStorageGiB),
    }));

    validate(name, args, { kubernetesVersion, upgradePolicy, nodeProvisioning, vpcCidr, endpointPublicAccessCidrs, pools, consolidateAfterSeconds, nodeExpireAfterHours, maintenanceWindow, disruptionBudgetNodes, clusterLogRetentionDays, prometheusStorageGiB, weightsNoncurrentVersionDays, nodeTags, nodeDiskIops, nodeDiskThroughputMiBps });
    // Validated before registering, so a refused config leaves no half-registered component behind.
    super("gpu-inference:cluster:GpuCluster", name, {}, opts);

    const parent = { parent: this };
    const clusterName = args.clusterName;
    this.clusterName = clusterName;
    const partition = aws.getPartitionOutput({}, parent).partition;
    const accountId = aws.getCallerIdentityOutput({}, parent).accountId;

    // --- network ---
    const network = args.existingVpc === undefined ? createNetwork({ name, clusterName, region: args.region, vpcCidr, availabilityZoneIds: args.availabilityZoneIds ?? [], natGatewayPerZone }, this) : undefined;
    const vpcId: pulumi.Input<string> = network?.vpc.id ?? args.existingVpc!.vpcId;
    const privateSubnetIds: pulumi.Input<string>[] = network?.privateSubnets.map((s) => s.id) ?? [...args.existingVpc!.privateSubnetIds];
    // The way in to a private endpoint: 443 from the deployer's networks, on the control plane's interfaces.
    const endpointCidrs = args.endpointPrivateAccess?.cidrs ?? [];
    const endpointGroups = args.endpointPrivateAccess?.securityGroupIds ?? [];
    const endpointAccess =
      endpointCidrs.length + endpointGroups.length > 0
        ? new aws.ec2.SecurityGroup(`${name}-endpoint-access`, {
            vpcId,
            description: `${clusterName}: who may reach the private Kubernetes API on 443`,
            ingress: [
              ...(endpointCidrs.length > 0 ? [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [...endpointCidrs], description: "deployer networks" }] : []),
              ...endpointGroups.map((id) => ({ protocol: "tcp", fromPort: 443, toPort: 443, securityGroups: [id], description: "deployer security group" })),
            ],
            egress: [],
            tags: { Name: `${clusterName}-endpoint-access` },
          }, { parent: this })
        : undefined;

    // --- encryption, logs, IAM ---
    const secretsKey = new aws.kms.Key(`${name}-secrets`, {
      description: `${clusterName}: EKS secrets envelope encryption`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    }, { parent: this, protect });
    new aws.kms.Alias(`${name}-secrets`, { name: `alias/${clusterName}-secrets`, targetKeyId: secretsKey.keyId }, parent);

    // EKS writes control-plane logs here; created first so retention is ours, not "never expire".
    const logGroup = new aws.cloudwatch.LogGroup(`${name}-control-plane`, {
      name: `/aws/eks/${clusterName}/cluster`,
      retentionInDays: clusterLogRetentionDays,
    }, parent);

    const clusterRole = new aws.iam.Role(`${name}-cluster`, {
      name: `${clusterName}-cluster`,
      description: "EKS control plane with Auto Mode capabilities",
      assumeRolePolicy: serviceTrustPolicy("eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]),
    }, parent);
    const clusterRoleAttachments = CLUSTER_ROLE_POLICIES.map(
      (policy) => new aws.iam.RolePolicyAttachment(`${name}-cluster-${policy}`, { role: clusterRole.name, policyArn: managedPolicyArn(partition, policy) }, parent),
    );
    // EKS encrypts and decrypts secrets with the key as the cluster role (key policy delegates to IAM).
    // EKS checks at creation that the cluster role may use the key: the cluster waits for this policy.
    const secretsKeyPolicy = new aws.iam.RolePolicy(`${name}-cluster-secrets-key`, {
      role: clusterRole.name,
      policy: policyDocument([
        { Sid: "UseSecretsKey", Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], Resource: secretsKey.arn },
      ]),
    }, parent);
    const nodeRole = new aws.iam.Role(`${name}-node`, {
      name: `${clusterName}-node`,
      description: "EKS Auto Mode nodes",
      assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com", ["sts:AssumeRole"]),
    }, parent);
    const nodeRoleAttachments = NODE_ROLE_POLICIES.map(
      (policy) => new aws.iam.RolePolicyAttachment(`${name}-node-${policy}`, { role: nodeRole.name, policyArn: managedPolicyArn(partition, policy) }, parent),
    );
    // Auto Mode's managed policies do not let it put user-defined tags on what it launches; without this a NodeClass
    // with tags fails every node launch. Only the node-launch statements of AWS's documented policy: this stack
    // sets custom tags on NodeClasses only (not on StorageClasses or load balancers).
    const nodeTagsPolicy =
      Object.keys(nodeTags).length > 0
        ? new aws.iam.RolePolicy(`${name}-cluster-node-tags`, { role: clusterRole.name, policy: nodeTagsPolicyDocument(partition, args.region, accountId) }, parent)
        : undefined;

    // --- the cluster ---
    const publicEndpoint = endpointPublicAccessCidrs.length > 0;
    this.cluster = new aws.eks.Cluster(`${name}-eks`, {
      name: clusterName,
      version: kubernetesVersion,
      roleArn: clusterRole.arn,
      accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
      bootstrapSelfManagedAddons: false,
      computeConfig: { enabled: true, nodePools: ["general-purpose", "system"], nodeRoleArn: nodeRole.arn },
      kubernetesNetworkConfig: { elasticLoadBalancing: { enabled: true } },
      storageConfig: { blockStorage: { enabled: true } },
      encryptionConfig: { provider: { keyArn: secretsKey.arn }, resources: ["secrets"] },
      enabledClusterLogTypes: [...CONTROL_PLANE_LOG_TYPES],
      vpcConfig: {
        subnetIds: privateSubnetIds,
        ...(endpointAccess !== undefined ? { securityGroupIds: [endpointAccess.id] } : {}),
        endpointPrivateAccess: true,
        endpointPublicAccess: publicEndpoint,
        ...(publicEndpoint ? { publicAccessCidrs: [...endpointPublicAccessCidrs] } : {}),
      },
      upgradePolicy: { supportType: upgradePolicy },
      deletionProtection: protect,
    }, { parent: this, protect, dependsOn: [logGroup, secretsKeyPolicy, ...clusterRoleAttachments, ...nodeRoleAttachments] });

    const adminAssociations = adminRoleArns.map((principalArn, i) => {
      const entry = new aws.eks.AccessEntry(`${name}-admin-${i}`, { clusterName: this.cluster.name, principalArn, type: "STANDARD" }, parent);
      return new aws.eks.AccessPolicyAssociation(`${name}-admin-${i}`, {
        clusterName: this.cluster.name,
        principalArn,
        policyArn: pulumi.interpolate`arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`,
        accessScope: { type: "cluster" },
      }, { parent: this, dependsOn: [entry] });
    });

    // --- Kubernetes access ---
    this.kubeconfig = pulumi.secret(
      pulumi
        .all([this.cluster.name, this.cluster.endpoint, this.cluster.certificateAuthority])
        .apply(([eksName, endpoint, ca]) => kubeconfigFor(eksName, endpoint, ca?.data ?? "", args.region)),
    );
    this.kubernetesProvider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, { parent: this, dependsOn: adminAssociations });
    const k8sOpts = { parent: this, provider: this.kubernetesProvider };

    // --- GPU node pools, each on its own NodeClass ---
    // The NodeClass uses the node role the cluster's computeConfig names: EKS created that role's EC2 access entry
    // (AmazonEKSAutoNodePolicy) with the cluster, so no extra access entry is needed ("Create a Node Class for
    // Amazon EKS", Considerations). Nodes go in the cluster's private subnets (created or existing) with the cluster
    // security group EKS creates, as on the built-in NodeClass.
    const clusterSecurityGroupId = this.cluster.vpcConfig.apply((v) => v.clusterSecurityGroupId);
    const nodePools: Record<string, k8s.apiextensions.CustomResource> = {};
    const nodeClasses: Record<string, k8s.apiextensions.CustomResource> = {};
    const targets: Record<string, GpuPoolTarget> = {};
    for (const pool of pools) {
      const classManifest = nodeClassManifest({
        name: pool.nodeClassName,
        roleName: nodeRole.name,
        subnetIds: privateSubnetIds,
        securityGroupIds: [clusterSecurityGroupId],
        diskGiB: pool.nodeDiskGiB,
        diskIops: nodeDiskIops,
        diskThroughputMiBps: nodeDiskThroughputMiBps,
        tags: nodeTags,
        labels: { [GPU_POOL_LABEL_KEY]: pool.name },
      });
      nodeClasses[pool.name] = new k8s.apiextensions.CustomResource(`${name}-nodeclass-${pool.name}`, {
        apiVersion: NODE_CLASS_API_VERSION,
        kind: NODE_CLASS_KIND,
        metadata: classManifest.metadata,
        spec: classManifest.spec,
      }, { ...k8sOpts, dependsOn: nodeTagsPolicy !== undefined ? [nodeTagsPolicy] : [] });
      const manifest = nodePoolManifest(pool, { consolidateAfterSeconds, disruptionBudgetNodes, expireAfterHours: nodeExpireAfterHours, maintenanceWindow });
      nodePools[pool.name] = new k8s.apiextensions.CustomResource(`${name}-pool-${pool.name}`, {
        apiVersion: "karpenter.sh/v1",
        kind: "NodePool",
        metadata: manifest.metadata,
        spec: manifest.spec,
      }, { ...k8sOpts, dependsOn: [nodeClasses[pool.name]!] });
      targets[pool.name] = poolTarget(pool);
    }
    this.nodePools = Object.freeze(nodePools);
    this.nodeClasses = Object.freeze(nodeClasses);
    this.poolTargets = Object.freeze(targets);

    // --- add-ons and weights ---
    const addons = createAddons({
      name,
      clusterName,
      accountId,
      partition,
      region: args.region,
      clusterNameOutput: this.cluster.name,
      kubernetesVersion,
      prometheusRetention,
      prometheusStorageGiB,
    }, this.kubernetesProvider, this);
    const imageCache =
      args.dockerHubCache !== undefined
        ? createDockerHubCache({
            name,
            clusterName,
            region: args.region,
            accountId,
            partition,
            nodeRoleName: nodeRole.name,
            ecrRepositoryPrefix: args.dockerHubCache.ecrRepositoryPrefix ?? d.dockerHubCacheRepositoryPrefix,
            credentials: args.dockerHubCache.credentials,
          }, this)
        : undefined;
    this.containerImages = imageCache?.images ?? DOCKER_HUB_IMAGES;
    if (imageCache !== undefined) this.pullThroughCacheRule = imageCache.rule;
    const weights = createWeightsBucket({ name, clusterName, protect, noncurrentVersionExpirationDays: weightsNoncurrentVersionDays }, this);

    this.vpcId = pulumi.output(vpcId);
    this.privateSubnetIds = privateSubnetIds.map((id) => pulumi.output(id));
    this.publicSubnetIds = network?.publicSubnets.map((s) => s.id) ?? [];
    this.weightsBucket = weights.bucket;
    this.weightsBucketName = weights.bucket.bucket;
    this.weightsBucketArn = weights.bucket.arn;
    this.prometheusUrl = addons.prometheusUrl;
    this.kedaNamespace = addons.kedaNamespace;
    this.kedaOperatorRoleArn = addons.kedaOperatorRole.arn;
    this.releases = addons.releases;
    this.crdSources = Object.freeze({ keda: addons.releases.keda, prometheusOperator: addons.releases.prometheus });
    this.tenantRef = Object.freeze({
      clusterName,
      region: args.region,
      clusterArn: this.cluster.arn,
      accountId,
      partition,
      kubernetesProvider: this.kubernetesProvider,
      weightsBucketArn: weights.bucket.arn,
      weightsKeyArn: weights.key.arn,
      prometheusNamespace: addons.prometheusNamespace,
      prometheusPodLabels: addons.prometheusPodLabels,
    });

    this.registerOutputs({
      clusterName: this.clusterName,
      cluster: this.cluster,
      kubeconfig: this.kubeconfig,
      kubernetesProvider: this.kubernetesProvider,
      poolTargets: this.poolTargets,
      nodePools: this.nodePools,
      nodeClasses: this.nodeClasses,
      vpcId: this.vpcId,
      privateSubnetIds: this.privateSubnetIds,
      publicSubnetIds: this.publicSubnetIds,
      containerImages: this.containerImages,
      pullThroughCacheRule: this.pullThroughCacheRule,
      weightsBucket: this.weightsBucket,
      weightsBucketName: this.weightsBucketName,
      weightsBucketArn: this.weightsBucketArn,
      prometheusUrl: this.prometheusUrl,
      kedaNamespace: this.kedaNamespace,
      kedaOperatorRoleArn: this.kedaOperatorRoleArn,
      releases: this.releases,
      tenantRef: this.tenantRef,
    });
  }
}

interface Resolved {
  kubernetesVersion: string;
  upgradePolicy: EksSupportType;
  nodeProvisioning: string;
  vpcCidr: string;
  endpointPublicAccessCidrs: string[];
  pools: GpuPoolSpec[];
  consolidateAfterSeconds: number;
  nodeExpireAfterHours: number;
  maintenanceWindow: MaintenanceWindow;
  disruptionBudgetNodes: string;
  clusterLogRetentionDays: number;
  prometheusStorageGiB: number;
  weightsNoncurrentVersionDays: number;
  nodeTags: Readonly<Record<string, string>>;
  nodeDiskIops: number;
  nodeDiskThroughputMiBps: number;
}

/** CloudWatch Logs accepts only these retention periods. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

function validate(name: string, args: GpuClusterArgs, r: Resolved): void {
  const problems = new Problems(`GpuCluster ${name}`);
  if (!/^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/.test(args.clusterName)) {
    problems.add("clusterName", `got "${args.clusterName}"; expected a DNS-1123 label of at most 40 characters`);
  }
  const versionProblem = eksVersionProblem(r.kubernetesVersion, r.upgradePolicy, new Date());
  if (versionProblem !== undefined) problems.add("kubernetesVersion", versionProblem);
  const versionWarning = eksVersionWarning(r.kubernetesVersion, new Date());
  if (versionWarning !== undefined) void pulumi.log.warn(`GpuCluster ${name}: kubernetesVersion: ${versionWarning}`);
  if (r.nodeProvisioning !== "auto-mode") {
    problems.add("nodeProvisioning", `got "${r.nodeProvisioning}"; only "auto-mode" is implemented (self-managed Karpenter is not): use auto-mode`);
  }
  if (!/^\d{1,3}\.\d{1,3}\.0\.0\/16$/.test(r.vpcCidr)) problems.add("vpcCidr", `got "${r.vpcCidr}"; expected a /16 such as 10.0.0.0/16`);
  for (const zone of pinnedZoneProblems(args.availabilityZoneIds, args.existingVpc !== undefined, args.region)) {
    problems.add(zone.index === undefined ? "availabilityZoneIds" : `availabilityZoneIds[${zone.index}]`, zone.message);
  }
  r.endpointPublicAccessCidrs.forEach((cidr, i) => {
    if (cidr.endsWith("/0")) problems.add(`endpointPublicAccessCidrs[${i}]`, `"${cidr}" opens the API endpoint to the internet; list specific CIDRs or none`);
  });
  if (r.pools.length === 0) problems.add("gpuPools", "expected at least one GPU pool");
  const seen = new Set<string>();
  r.pools.forEach((pool, i) => {
    if (seen.has(pool.name)) problems.add(`gpuPools[${i}].name`, `duplicate pool name "${pool.name}"`);
    seen.add(pool.name);
    if (pool.instanceTypes.length === 0) problems.add(`gpuPools[${i}].instanceTypes`, "expected at least one instance type");
    problems.wholeNumber(`gpuPools[${i}].gpuLimit`, pool.gpuLimit, 1);
    const podDisk = args.gpuPools[i]?.podEphemeralStorageGiB;
    if (podDisk !== undefined && !(Number.isFinite(podDisk) && podDisk >= 0)) {
      problems.add(`gpuPools[${i}].podEphemeralStorageGiB`, `got ${podDisk}; expected a size in GiB, at least 0`);
    } else if (podDisk !== undefined) {
      const tooBig = nodeDiskProblem(podDisk);
      if (tooBig !== undefined) problems.add(`gpuPools[${i}].podEphemeralStorageGiB`, tooBig);
    }
  });
  for (const key of Object.keys(r.nodeTags)) {
    if (isRestrictedNodeClassTagKey(key)) problems.add(`nodeTags.${key}`, "is a tag key Auto Mode sets itself (kubernetes.io/cluster/*, karpenter.sh/*, eks.amazonaws.com/nodeclass); use another key");
  }
  const L = EPHEMERAL_STORAGE_LIMITS;
  problems.wholeNumber("nodeDiskIops", r.nodeDiskIops, L.minIops, L.maxIops);
  problems.wholeNumber("nodeDiskThroughputMiBps", r.nodeDiskThroughputMiBps, L.minThroughputMiBps, L.maxThroughputMiBps);
  if (r.nodeDiskThroughputMiBps > r.nodeDiskIops * GP3_MIBPS_PER_IOPS) {
    problems.add("nodeDiskThroughputMiBps", `got ${r.nodeDiskThroughputMiBps}; gp3 allows at most ${GP3_MIBPS_PER_IOPS} MiB/s per IOPS, ${r.nodeDiskIops * GP3_MIBPS_PER_IOPS} at nodeDiskIops ${r.nodeDiskIops}: raise nodeDiskIops`);
  }
  problems.wholeNumber("consolidateAfterSeconds", r.consolidateAfterSeconds, 0);
  problems.wholeNumber("nodeExpireAfterHours", r.nodeExpireAfterHours, 1, AUTO_MODE_MAX_NODE_LIFETIME_HOURS);
  problems.wholeNumber("maintenanceWindow.dayOfWeek", r.maintenanceWindow.dayOfWeek, 0, 6);
  problems.wholeNumber("maintenanceWindow.startHourUtc", r.maintenanceWindow.startHourUtc, 0, 23);
  problems.wholeNumber("maintenanceWindow.durationHours", r.maintenanceWindow.durationHours, 1, 167);
  problems.wholeNumber("prometheusStorageGiB", r.prometheusStorageGiB, 1);
  problems.wholeNumber("weightsNoncurrentVersionDays", r.weightsNoncurrentVersionDays, 1);
  if (!/^(100|[1-9]?\d)%$|^\d+$/.test(r.disruptionBudgetNodes)) {
    problems.add("disruptionBudgetNodes", `got "${r.disruptionBudgetNodes}"; expected a node count or a percentage such as 10%`);
  }
  const prefix = args.dockerHubCache?.ecrRepositoryPrefix;
  // ECR's own constraint on `ecrRepositoryPrefix` (CreatePullThroughCacheRule: 2–30 characters of this pattern).
  if (prefix !== undefined && (prefix.length < 2 || prefix.length > 30 || !/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(prefix))) {
    problems.add("dockerHubCache.ecrRepositoryPrefix", `got "${prefix.slice(0, 40)}"; expected 2 to 30 lowercase letters, digits, ".", "_", "-" or "/" (ECR's repository prefix) such as docker-hub`);
  }
  if (!LOG_RETENTION_DAYS.includes(r.clusterLogRetentionDays)) {
    problems.add("clusterLogRetentionDays", `got ${r.clusterLogRetentionDays}; expected one of CloudWatch's periods: ${LOG_RETENTION_DAYS.join(", ")}`);
  }
  problems.throwIfAny();
}

/**
 * What the cluster role needs to launch GPU nodes carrying NodeClass tags: the "Compute" and "Networking"
 * statements of the custom tag policy in the Amazon EKS User Guide, "Learn about identity and access in EKS Auto
 * Mode" / "Amazon EKS Auto Mode cluster IAM role", section "Custom AWS tags for EKS Auto resources" (awsdocs/
 * amazon-eks-user-guide latest/ug/automode/auto-learn-iam.adoc @1fe584bb; the same statements ship as the AWS
 * managed policy AWSElasticBeanstalkEKSTagging). AWS's example allows `Resource: "*"`; here the resources are the
 * types these calls create, in this region and account (the split Karpenter's own controller policy uses for
 * tag-on-create: fleet, instance, volume, network-interface, launch-template, spot-instances-request), while
 * subnets, images and security groups stay with AmazonEKSComputePolicy. AWS's conditions are kept: the request
 * must tag the resource with this cluster's name (the session tag EKS sets on the role) and, for nodes, with
 * their NodeClass and NodePool. The current page adds that changing or removing tags on resources already
 * created needs tag permissions on existing resources tagged with the cluster's name, or the update fails with
 * an authorization error: `RetagGpuNodes`, limited to this cluster's EC2 resources of those types.
 */
export function nodeTagsPolicyDocument(partition: pulumi.Input<string>, region: string, accountId: pulumi.Input<string>): pulumi.Output<string> {
  const arn = (type: string) => pulumi.interpolate`arn:${partition}:ec2:${region}:${accountId}:${type}/*`;
  const clusterNameTag = { "aws:RequestTag/eks:eks-cluster-name": "${aws:PrincipalTag/eks:eks-cluster-name}" };
  return policyDocument([
    {
      Sid: "TagGpuNodesOnLaunch",
      Effect: "Allow",
      Action: ["ec2:CreateFleet", "ec2:RunInstances", "ec2:CreateLaunchTemplate"],
      Resource: ["fleet", "instance", "volume", "network-interface", "launch-template", "spot-instances-request"].map(arn),
      Condition: {
        StringEquals: clusterNameTag,
        StringLike: { "aws:RequestTag/eks:kubernetes-node-class-name": "*", "aws:RequestTag/eks:kubernetes-node-pool-name": "*" },
      },
    },
    {
      Sid: "TagPodNetworkInterfaces",
      Effect: "Allow",
      Action: ["ec2:CreateNetworkInterface"],
      Resource: [arn("network-interface")],
      Condition: { StringEquals: clusterNameTag, StringLike: { "aws:RequestTag/eks:kubernetes-cni-node-name": "*" } },
    },
    {
      Sid: "RetagGpuNodes",
      Effect: "Allow",
      Action: ["ec2:CreateTags", "ec2:DeleteTags"],
      Resource: ["instance", "volume", "network-interface", "launch-template"].map(arn),
      Condition: { StringEquals: { "aws:ResourceTag/eks:eks-cluster-name": "${aws:PrincipalTag/eks:eks-cluster-name}" } },
    },
  ]);
}

/** A kubeconfig that authenticates with `aws eks get-token` (the caller's AWS credentials). */
function kubeconfigFor(clusterName: string, endpoint: string, caData: string, region: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: clusterName, cluster: { server: endpoint, "certificate-authority-data": caData } }],
    contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
    "current-context": clusterName,
    users: [
      {
        name: clusterName,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: ["eks", "get-token", "--cluster-name", clusterName, "--region", region, "--output", "json"],
          },
        },
      },
    ],
  });
}
