import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import {
  ADDON_CHARTS,
  CONTROL_PLANE_LOG_TYPES,
  GPU_CLUSTER_DEFAULTS,
  GpuCluster,
  type GpuClusterArgs,
  karpenterCapacityTypes,
} from "../../components/gpu-cluster";
import { newestStandardSupportVersion } from "../../policies/eks-versions";
import { recordedPolicies, wildcardProblems } from "../fixtures/iam-policies";
import { validateKubernetesObject, validateRecordedKubernetesObjects } from "../helpers/kubernetes-schemas";
import { find, installPulumiMocks, ofType, type RecordedResource, valueOf } from "../helpers/pulumi-mocks";

const baseArgs: GpuClusterArgs = {
  clusterName: "inference-dev",
  environment: "dev",
  region: "us-east-1",
  availabilityZoneIds: ["use1-az1", "use1-az2"],
  gpuPools: [
    { name: "l40s", instanceTypes: ["g6e.xlarge", "g6e.2xlarge"], capacityType: "on-demand", gpuLimit: 8 },
    { name: "l4-spot", instanceTypes: ["g6.xlarge"], capacityType: "spot", gpuLimit: 4 },
    { name: "a10g-reserved", instanceTypes: ["g5.xlarge"], capacityType: "reserved", gpuLimit: 2 },
  ],
};

interface Built {
  recorded: RecordedResource[];
  cluster: GpuCluster;
  providerUrn: string;
}

/** Fresh mocks, one cluster under an explicit AWS provider, every registration finished. */
async function build(args: Partial<GpuClusterArgs> = {}): Promise<Built> {
  const recorded = installPulumiMocks();
  const provider = new aws.Provider("aws", { region: "us-east-1" });
  const cluster = new GpuCluster("gpu", { ...baseArgs, ...args }, { providers: { aws: provider } });
  const providerUrn = await valueOf(provider.urn);
  await pulumi.runtime.disconnect();
  return { recorded, cluster, providerUrn };
}

const count = (recorded: RecordedResource[], type: string) => ofType(recorded, type).length;

describe("GpuCluster children", () => {
  it("registers exactly the expected resources for a two-zone dev cluster with three pools and one admin", async () => {
    const { recorded } = await build({ adminRoleArns: ["arn:aws:iam::123456789012:role/platform-admin"] });
    const counts = Object.fromEntries([...new Set(recorded.map((r) => r.type))].sort().map((t) => [t, count(recorded, t)]));
    expect(counts).toEqual({
      "aws:cloudwatch/logGroup:LogGroup": 1,
      "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": 1,
      "aws:ec2/eip:Eip": 1,
      "aws:ec2/internetGateway:InternetGateway": 1,
      "aws:ec2/natGateway:NatGateway": 1,
      "aws:ec2/routeTable:RouteTable": 3,
      "aws:ec2/routeTableAssociation:RouteTableAssociation": 4,
      "aws:ec2/subnet:Subnet": 4,
      "aws:ec2/vpc:Vpc": 1,
      "aws:ec2/vpcEndpoint:VpcEndpoint": 1,
      "aws:eks/accessEntry:AccessEntry": 1,
      "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": 1,
      "aws:eks/cluster:Cluster": 1,
      "aws:eks/podIdentityAssociation:PodIdentityAssociation": 1,
      "aws:iam/role:Role": 3,
      "aws:iam/rolePolicy:RolePolicy": 2,
      "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 7,
      "aws:kms/alias:Alias": 2,
      "aws:kms/key:Key": 2,
      "aws:s3/bucket:Bucket": 1,
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 1,
      "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 1,
      "aws:s3/bucketPolicy:BucketPolicy": 1,
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 1,
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 1,
      "aws:s3/bucketVersioning:BucketVersioning": 1,
      "gpu-inference:cluster:GpuCluster": 1,
      "kubernetes:core/v1:ConfigMapPatch": 1,
      "kubernetes:core/v1:Namespace": 2,
      "kubernetes:eks.amazonaws.com/v1:NodeClass": 3,
      "kubernetes:helm.sh/v3:Release": 3,
      "kubernetes:karpenter.sh/v1:NodePool": 3,
      "kubernetes:storage.k8s.io/v1:StorageClass": 1,
      "pulumi:providers:aws": 1,
      "pulumi:providers:kubernetes": 1,
    });
  });

  it("puts every AWS resource on the given (tagged) AWS provider and every Kubernetes object on the cluster's provider", async () => {
    const { recorded, providerUrn } = await build();
    const awsResources = recorded.filter((r) => r.type.startsWith("aws:"));
    expect(awsResources.length).toBeGreaterThan(30);
    for (const r of awsResources) expect(r.provider, `${r.type} ${r.name}`).toMatch(new RegExp(`^${providerUrn.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}::`));
    const kube = recorded.filter((r) => r.type.startsWith("kubernetes:"));
    expect(kube).toHaveLength(13);
    for (const r of kube) expect(r.provider, `${r.type} ${r.name}`).toMatch(/\$pulumi:providers:kubernetes::gpu-k8s::gpu-k8s-id$/);
  });

  it("validates every Kubernetes object it emits against the real schemas, NodePools included", async () => {
    const { recorded } = await build();
    // 3 NodePools, 3 NodeClasses, 2 Namespaces, StorageClass (Helm releases are not objects; the helper skips Patches).
    await expect(validateRecordedKubernetesObjects(recorded)).resolves.toBe(9);
    const { apiVersion: _v, kind: _k, ...patch } = find(recorded, "kubernetes:core/v1:ConfigMapPatch", "gpu-network-policy").inputs;
    await expect(validateKubernetesObject("v1", "ConfigMap", patch)).resolves.toBeUndefined();
  });
});

describe("the EKS cluster", () => {
  it("is Auto Mode with access entries only, no creator admin, encrypted secrets, every log, STANDARD support", async () => {
    const { recorded } = await build();
    const eks = find(recorded, "aws:eks/cluster:Cluster", "gpu-eks").inputs;
    const key = find(recorded, "aws:kms/key:Key", "gpu-secrets");
    const privateSubnetIds = ["gpu-private-0-id", "gpu-private-1-id"];
    expect(eks).toMatchObject({
      name: "inference-dev",
      version: newestStandardSupportVersion(new Date()),
      accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
      bootstrapSelfManagedAddons: false,
      computeConfig: { enabled: true, nodePools: ["general-purpose", "system"], nodeRoleArn: "arn:aws:mock:us-east-1:123456789012:gpu-node" },
      kubernetesNetworkConfig: { elasticLoadBalancing: { enabled: true } },
      storageConfig: { blockStorage: { enabled: true } },
      encryptionConfig: { provider: { keyArn: "arn:aws:mock:us-east-1:123456789012:gpu-secrets" }, resources: ["secrets"] },
      enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
      upgradePolicy: { supportType: "STANDARD" },
      deletionProtection: false,
    });
    expect(eks.vpcConfig).toEqual({ subnetIds: privateSubnetIds, endpointPrivateAccess: true, endpointPublicAccess: false });
    expect(key.inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 30 });
    expect(find(recorded, "aws:cloudwatch/logGroup:LogGroup", "gpu-control-plane").inputs).toEqual({ name: "/aws/eks/inference-dev/cluster", retentionInDays: 90 });
  });

  it("opens the public endpoint only to the configured CIDRs", async () => {
    const { recorded } = await build({ endpointPublicAccessCidrs: ["203.0.113.0/24", "198.51.100.7/32"] });
    expect(find(recorded, "aws:eks/cluster:Cluster", "gpu-eks").inputs.vpcConfig).toEqual({
      subnetIds: ["gpu-private-0-id", "gpu-private-1-id"],
      endpointPrivateAccess: true,
      endpointPublicAccess: true,
      publicAccessCidrs: ["203.0.113.0/24", "198.51.100.7/32"],
    });
  });

  it("grants cluster admin only to listed roles, through access entries", async () => {
    const admin = "arn:aws:iam::123456789012:role/platform-admin";
    const { recorded } = await build({ adminRoleArns: [admin] });
    expect(find(recorded, "aws:eks/accessEntry:AccessEntry", "gpu-admin-0").inputs).toEqual({ clusterName: "inference-dev", principalArn: admin, type: "STANDARD" });
    expect(find(recorded, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "gpu-admin-0").inputs).toEqual({
      clusterName: "inference-dev",
      principalArn: admin,
      policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
      accessScope: { type: "cluster" },
    });
  });

  it("gives the control plane and the nodes exactly the AWS-managed policies Auto Mode documents", async () => {
    const { recorded } = await build();
    const attached = ofType(recorded, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((r) => `${String(r.inputs.role)} ${String(r.inputs.policyArn)}`);
    expect(attached.sort()).toEqual(
      [
        "inference-dev-cluster arn:aws:iam::aws:policy/AmazonEKSBlockStoragePolicy",
        "inference-dev-cluster arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
        "inference-dev-cluster arn:aws:iam::aws:policy/AmazonEKSComputePolicy",
        "inference-dev-cluster arn:aws:iam::aws:policy/AmazonEKSLoadBalancingPolicy",
        "inference-dev-cluster arn:aws:iam::aws:policy/AmazonEKSNetworkingPolicy",
        "inference-dev-node arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
        "inference-dev-node arn:aws:iam::aws:policy/AmazonEKSWorkerNodeMinimalPolicy",
      ].sort(),
    );
  });

  it("exposes a secret kubeconfig that authenticates with aws eks get-token", async () => {
    const { cluster } = await build();
    expect(await pulumi.isSecret(cluster.kubeconfig)).toBe(true);
    const kubeconfig = JSON.parse(await valueOf(cluster.kubeconfig)) as { users: { user: { exec: { command: string; args: string[] } } }[] };
    expect(kubeconfig.users[0]?.user.exec).toMatchObject({
      command: "aws",
      args: ["eks", "get-token", "--cluster-name", "inference-dev", "--region", "us-east-1", "--output", "json"],
    });
  });
});

describe("production", () => {
  it("protects the cluster and the weights bucket, turns on deletion protection and a NAT gateway per zone", async () => {
    const { recorded, cluster } = await build({ environment: "prod" });
    const protectedFlag = (r: pulumi.Resource) => (r as unknown as { __protect?: boolean }).__protect;
    expect(protectedFlag(cluster.cluster)).toBe(true);
    expect(protectedFlag(cluster.weightsBucket)).toBe(true);
    expect(find(recorded, "aws:eks/cluster:Cluster", "gpu-eks").inputs.deletionProtection).toBe(true);
    expect(count(recorded, "aws:ec2/natGateway:NatGateway")).toBe(2);
    expect(find(recorded, "aws:ec2/routeTable:RouteTable", "gpu-private-rt-1").inputs.routes).toEqual([{ cidrBlock: "0.0.0.0/0", natGatewayId: "gpu-nat-1-id" }]);
  });

  it("leaves dev unprotected with one shared NAT gateway", async () => {
    const { recorded, cluster } = await build();
    expect((cluster.cluster as unknown as { __protect?: boolean }).__protect).toBe(false);
    expect(find(recorded, "aws:ec2/routeTable:RouteTable", "gpu-private-rt-1").inputs.routes).toEqual([{ cidrBlock: "0.0.0.0/0", natGatewayId: "gpu-nat-0-id" }]);
  });
});

describe("network", () => {
  it("puts its subnets in the configured zone IDs and looks no zone up, so no run can move (replace) them", async () => {
    const recorded = installPulumiMocks();
    const invoked: string[] = [];
    const monitor = pulumi.runtime.getMonitor() as unknown as { invoke(req: { getTok(): string }, callback: unknown): Promise<void> };
    const invoke = monitor.invoke.bind(monitor);
    monitor.invoke = (req, callback) => {
      invoked.push(req.getTok());
      return invoke(req, callback);
    };
    new GpuCluster("gpu", { ...baseArgs, availabilityZoneIds: ["use1-az4", "use1-az6", "use1-az1"] }, { providers: { aws: new aws.Provider("aws", { region: "us-east-1" }) } });
    await pulumi.runtime.disconnect();
    expect(invoked.length).toBeGreaterThan(0); // the recorder sees the calls the cluster does make (partition, caller identity)
    expect(invoked.filter((token) => /getAvailabilityZones?\b/i.test(token))).toEqual([]);
    const subnets = ofType(recorded, "aws:ec2/subnet:Subnet");
    expect(subnets.map((s) => [s.name, s.inputs.availabilityZoneId, s.inputs.availabilityZone])).toEqual([
      ["gpu-public-0", "use1-az4", undefined],
      ["gpu-private-0", "use1-az4", undefined],
      ["gpu-public-1", "use1-az6", undefined],
      ["gpu-private-1", "use1-az6", undefined],
      ["gpu-public-2", "use1-az1", undefined],
      ["gpu-private-2", "use1-az1", undefined],
    ]);
  });

  it("needs pinned zones for a VPC it creates, and refuses them beside an existing VPC (whose subnets pin the zones)", () => {
    installPulumiMocks();
    const { availabilityZoneIds: _zones, ...noZones } = baseArgs;
    expect(() => new GpuCluster("nozones", noZones)).toThrowError(
      "GpuCluster nozones: 1 invalid argument\n  availabilityZoneIds: required when the cluster creates its VPC: list 2 to 4 zone IDs of us-east-1 (aws ec2 describe-availability-zones --region us-east-1) that offer the pools' instance types",
    );
    expect(
      () => new GpuCluster("both", { ...baseArgs, existingVpc: { vpcId: "vpc-0a1b2c3d4e5f60718", privateSubnetIds: ["subnet-0a1b2c3d4e5f60718", "subnet-0a1b2c3d4e5f60719"] } }),
    ).toThrowError("availabilityZoneIds: the subnets of existingVpc already pin the zones; remove availabilityZoneIds");
  });

  it("keeps nodes private: no public IPs on any subnet, load-balancer tags on the right tier, S3 through a gateway endpoint", async () => {
    const { recorded } = await build();
    const subnets = ofType(recorded, "aws:ec2/subnet:Subnet");
    expect(subnets.map((s) => [s.name, s.inputs.cidrBlock, s.inputs.mapPublicIpOnLaunch, s.inputs.availabilityZoneId])).toEqual(
      expect.arrayContaining([
        ["gpu-public-0", "10.0.192.0/24", false, "use1-az1"],
        ["gpu-private-0", "10.0.0.0/19", false, "use1-az1"],
        ["gpu-public-1", "10.0.193.0/24", false, "use1-az2"],
        ["gpu-private-1", "10.0.32.0/19", false, "use1-az2"],
      ]),
    );
    expect(find(recorded, "aws:ec2/subnet:Subnet", "gpu-public-0").inputs.tags).toEqual({ Name: "inference-dev-public-0", "kubernetes.io/role/elb": "1" });
    expect(find(recorded, "aws:ec2/subnet:Subnet", "gpu-private-0").inputs.tags).toEqual({ Name: "inference-dev-private-0", "kubernetes.io/role/internal-elb": "1" });
    expect(find(recorded, "aws:ec2/vpcEndpoint:VpcEndpoint", "gpu-s3").inputs).toMatchObject({
      serviceName: "com.amazonaws.us-east-1.s3",
      vpcEndpointType: "Gateway",
      routeTableIds: ["gpu-private-rt-0-id", "gpu-private-rt-1-id"],
    });
    expect(find(recorded, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "gpu-default-sg").inputs).toMatchObject({ ingress: [], egress: [] });
  });
});

describe("GPU node pools", () => {
  it("declares one karpenter.sh/v1 NodePool per pool on the pool's own NodeClass, with taint, label, limit and consolidation", async () => {
    const { recorded } = await build();
    const pool = find(recorded, "kubernetes:karpenter.sh/v1:NodePool", "gpu-pool-l40s").inputs;
    expect(pool).toEqual({
      apiVersion: "karpenter.sh/v1",
      kind: "NodePool",
      metadata: { name: "l40s", labels: { "gpu-inference/pool": "l40s" }, annotations: { "gpu-inference/capacity-pricing": "on-demand" } },
      spec: {
        template: {
          metadata: { labels: { "gpu-inference/pool": "l40s" } },
          spec: {
            nodeClassRef: { group: "eks.amazonaws.com", kind: "NodeClass", name: "gpu-l40s" },
            requirements: [
              { key: "node.kubernetes.io/instance-type", operator: "In", values: ["g6e.xlarge", "g6e.2xlarge"] },
              { key: "karpenter.sh/capacity-type", operator: "In", values: ["on-demand"] },
              { key: "eks.amazonaws.com/instance-gpu-manufacturer", operator: "In", values: ["nvidia"] },
            ],
            taints: [{ key: "nvidia.com/gpu", effect: "NoSchedule" }],
            expireAfter: "336h",
          },
        },
        limits: { "nvidia.com/gpu": "8" },
        disruption: { consolidationPolicy: "WhenEmpty", consolidateAfter: "600s", budgets: [{ nodes: "10%" }, { nodes: "0", schedule: "0 6 * * 0", duration: "164h", reasons: ["Drifted", "Underutilized"] }] },
      },
    });
  });

  it("maps capacity types to Karpenter's: spot stays spot, reserved (commitment pricing) runs on-demand and says so", async () => {
    const { recorded } = await build();
    const capacity = (name: string) => {
      const spec = find(recorded, "kubernetes:karpenter.sh/v1:NodePool", `gpu-pool-${name}`).inputs as {
        metadata: { annotations: Record<string, string> };
        spec: { template: { spec: { requirements: { key: string; values: string[] }[] } } };
      };
      return [spec.spec.template.spec.requirements.find((r) => r.key === "karpenter.sh/capacity-type")?.values, spec.metadata.annotations["gpu-inference/capacity-pricing"]];
    };
    expect(capacity("l4-spot")).toEqual([["spot"], "spot"]);
    expect(capacity("a10g-reserved")).toEqual([["on-demand"], "reserved"]);
    expect(karpenterCapacityTypes("on-demand")).toEqual(["on-demand"]);
  });

  it("exports a plain target per pool that selects the pool and tolerates its taint", async () => {
    const { cluster } = await build();
    expect(cluster.poolTargets).toEqual({
      l40s: {
        name: "l40s",
        nodeSelector: { "gpu-inference/pool": "l40s" },
        tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
        gpuLimit: 8,
        capacityType: "on-demand",
        instanceTypes: ["g6e.xlarge", "g6e.2xlarge"],
        nodeClassName: "gpu-l40s",
        podEphemeralStorageCapacityGiB: 22,
      },
      "l4-spot": {
        name: "l4-spot",
        nodeSelector: { "gpu-inference/pool": "l4-spot" },
        tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
        gpuLimit: 4,
        capacityType: "spot",
        instanceTypes: ["g6.xlarge"],
        nodeClassName: "gpu-l4-spot",
        podEphemeralStorageCapacityGiB: 22,
      },
      "a10g-reserved": {
        name: "a10g-reserved",
        nodeSelector: { "gpu-inference/pool": "a10g-reserved" },
        tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
        gpuLimit: 2,
        capacityType: "reserved",
        instanceTypes: ["g5.xlarge"],
        nodeClassName: "gpu-a10g-reserved",
        podEphemeralStorageCapacityGiB: 22,
      },
    });
  });
});

describe("add-ons", () => {
  it("turns on network policy enforcement (a ConfigMap patch) and ships an encrypted default StorageClass", async () => {
    const { recorded } = await build();
    expect(find(recorded, "kubernetes:core/v1:ConfigMapPatch", "gpu-network-policy").inputs).toMatchObject({
      metadata: { name: "amazon-vpc-cni", namespace: "kube-system" },
      data: { "enable-network-policy-controller": "true" },
    });
    expect(find(recorded, "kubernetes:storage.k8s.io/v1:StorageClass", "gpu-gp3").inputs).toMatchObject({
      provisioner: "ebs.csi.eks.amazonaws.com",
      parameters: { type: "gp3", encrypted: "true" },
      metadata: { annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
    });
  });

  it("pins every Helm chart and configures scraping, GPU toleration and KEDA's identity", async () => {
    const { recorded, cluster } = await build();
    const releases = ofType(recorded, "kubernetes:helm.sh/v3:Release").map((r) => [r.name, r.inputs.chart, r.inputs.version, (r.inputs.repositoryOpts as { repo: string }).repo, r.inputs.namespace]);
    expect(releases.sort()).toEqual(
      [
        ["gpu-keda", "keda", ADDON_CHARTS.keda.version, "https://kedacore.github.io/charts", "keda"],
        ["gpu-prometheus", "kube-prometheus-stack", ADDON_CHARTS.prometheus.version, "https://prometheus-community.github.io/helm-charts", "monitoring"],
        ["gpu-dcgm-exporter", "dcgm-exporter", ADDON_CHARTS.dcgmExporter.version, "https://nvidia.github.io/dcgm-exporter/helm-charts", "monitoring"],
      ].sort(),
    );
    for (const chart of Object.values(ADDON_CHARTS)) expect(chart.version).toMatch(/^\d+\.\d+\.\d+$/);

    const prometheusSpec = (find(recorded, "kubernetes:helm.sh/v3:Release", "gpu-prometheus").inputs.values as { prometheus: { prometheusSpec: Record<string, unknown> } }).prometheus.prometheusSpec;
    expect(prometheusSpec).toMatchObject({
      podMonitorSelectorNilUsesHelmValues: false,
      serviceMonitorSelectorNilUsesHelmValues: false,
      podMonitorNamespaceSelector: { matchLabels: { "gpu-inference/scrape": "true" } },
      serviceMonitorNamespaceSelector: { matchLabels: { "gpu-inference/scrape": "true" } },
      retention: "15d",
    });
    expect(cluster.prometheusUrl).toBe("http://kps-prometheus.monitoring.svc:9090");

    expect(find(recorded, "kubernetes:helm.sh/v3:Release", "gpu-dcgm-exporter").inputs.values).toMatchObject({
      nodeSelector: { "eks.amazonaws.com/instance-gpu-manufacturer": "nvidia" },
      tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
      serviceMonitor: { enabled: true },
      securityContext: { privileged: true, allowPrivilegeEscalation: true },
    });
    expect(find(recorded, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "gpu-keda-operator").inputs).toEqual({
      clusterName: "inference-dev",
      namespace: "keda",
      serviceAccount: "keda-operator",
      roleArn: "arn:aws:mock:us-east-1:123456789012:gpu-keda-operator",
    });
    const namespaces = ofType(recorded, "kubernetes:core/v1:Namespace").map((n) => (n.inputs.metadata as { name: string; labels: Record<string, string> }));
    expect(namespaces.find((n) => n.name === "keda")?.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });
});

describe("weights bucket", () => {
  it("is versioned, SSE-KMS with its own rotated key, owner-enforced, fully public-blocked and TLS-only", async () => {
    const { recorded } = await build();
    expect(find(recorded, "aws:s3/bucket:Bucket", "gpu-weights").inputs).toEqual({ bucketPrefix: "inference-dev-weights-", forceDestroy: false });
    expect(find(recorded, "aws:s3/bucketVersioning:BucketVersioning", "gpu-weights").inputs).toEqual({ bucket: "gpu-weights-id", versioningConfiguration: { status: "Enabled" } });
    expect(find(recorded, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "gpu-weights").inputs.rules).toEqual([
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:mock:us-east-1:123456789012:gpu-weights" }, bucketKeyEnabled: true },
    ]);
    expect(find(recorded, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "gpu-weights").inputs).toEqual({
      bucket: "gpu-weights-id",
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(find(recorded, "aws:kms/key:Key", "gpu-weights").inputs).toMatchObject({ enableKeyRotation: true });
    const policy = JSON.parse(find(recorded, "aws:s3/bucketPolicy:BucketPolicy", "gpu-weights").inputs.policy as string) as { Statement: unknown[] };
    expect(policy.Statement).toEqual([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: ["s3:*"],
        Resource: ["arn:aws:mock:us-east-1:123456789012:gpu-weights", "arn:aws:mock:us-east-1:123456789012:gpu-weights/*"],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
  });
});

describe("IAM", () => {
  it("renders every policy document as valid JSON with no wildcard action or bare wildcard resource in an Allow", async () => {
    const { recorded } = await build();
    const policies = recordedPolicies(recorded);
    // cluster, node and KEDA trust policies, the cluster's secrets-key use, KEDA's permissions, the bucket policy.
    expect(policies).toHaveLength(6);
    expect(policies.flatMap(wildcardProblems)).toEqual([]);
    expect(policies.find((p) => p.owner === "aws:iam/rolePolicy:RolePolicy gpu-cluster-secrets-key")?.document.Statement).toEqual([
      { Sid: "UseSecretsKey", Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], Resource: "arn:aws:mock:us-east-1:123456789012:gpu-secrets" },
    ]);
    const keda = policies.find((p) => p.owner === "aws:iam/rolePolicy:RolePolicy gpu-keda-operator");
    expect(keda?.document.Statement).toEqual([
      { Sid: "ReadClusterQueueDepth", Effect: "Allow", Action: ["sqs:GetQueueAttributes", "sqs:GetQueueUrl"], Resource: "arn:aws:sqs:us-east-1:123456789012:inference-dev-*" },
    ]);
  });

  it("would flag a wildcard action or resource (the check can fail)", () => {
    const problems = wildcardProblems({
      owner: "example",
      document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:*"], Resource: "*" }] },
    });
    expect(problems).toEqual(["example : wildcard action s3:*", "example : wildcard resource *"]);
  });
});

describe("defaults", () => {
  it("applies every documented default of GpuClusterArgs", async () => {
    const { recorded, cluster } = await build({ gpuPools: [{ name: "p", instanceTypes: ["g6e.xlarge"], gpuLimit: 4 }] });
    expect(GPU_CLUSTER_DEFAULTS).toMatchObject({
      upgradePolicy: "STANDARD",
      nodeProvisioning: "auto-mode",
      endpointPublicAccessCidrs: [],
      adminRoleArns: [],
      capacityType: "on-demand",
      vpcCidr: "10.0.0.0/16",
      clusterLogRetentionDays: 90,
      consolidateAfterSeconds: 600,
      disruptionBudgetNodes: "10%",
      nodeExpireAfterHours: 336,
      maintenanceWindow: { dayOfWeek: 0, startHourUtc: 2, durationHours: 4 },
      prometheusRetention: "15d",
      prometheusStorageGiB: 50,
      weightsNoncurrentVersionDays: 30,
      podEphemeralStorageGiB: 0,
      nodeTags: {},
      nodeDiskIops: 4000,
      nodeDiskThroughputMiBps: 1000,
    });
    const eks = find(recorded, "aws:eks/cluster:Cluster", "gpu-eks").inputs;
    expect(GPU_CLUSTER_DEFAULTS.kubernetesVersion(new Date("2026-12-02T00:00:00Z"))).toBe("1.35");
    expect(eks.version).toBe(newestStandardSupportVersion(new Date())); // kubernetesVersion
    expect((eks.upgradePolicy as { supportType: string }).supportType).toBe("STANDARD"); // upgradePolicy
    expect((eks.vpcConfig as { endpointPublicAccess: boolean }).endpointPublicAccess).toBe(false); // endpointPublicAccessCidrs []
    expect(count(recorded, "aws:eks/accessEntry:AccessEntry")).toBe(0); // adminRoleArns []
    expect(find(recorded, "aws:ec2/vpc:Vpc", "gpu-vpc").inputs.cidrBlock).toBe("10.0.0.0/16"); // vpcCidr
    expect(count(recorded, "aws:ec2/subnet:Subnet")).toBe(4); // one public and one private subnet per pinned zone
    expect(count(recorded, "aws:ec2/natGateway:NatGateway")).toBe(1); // natGatewayPerZone: false outside prod
    expect(find(recorded, "aws:cloudwatch/logGroup:LogGroup", "gpu-control-plane").inputs.retentionInDays).toBe(90);
    const pool = find(recorded, "kubernetes:karpenter.sh/v1:NodePool", "gpu-pool-p").inputs as {
      metadata: { annotations: Record<string, string> };
      spec: { disruption: unknown; template: { spec: { expireAfter: string } } };
    };
    expect(pool.metadata.annotations["gpu-inference/capacity-pricing"]).toBe("on-demand"); // capacityType
    // disruptionBudgetNodes "10%"; maintenanceWindow Sundays 02:00-06:00 UTC (test/components/node-disruption.test.ts)
    expect(pool.spec.disruption).toEqual({ consolidationPolicy: "WhenEmpty", consolidateAfter: "600s", budgets: [{ nodes: "10%" }, { nodes: "0", schedule: "0 6 * * 0", duration: "164h", reasons: ["Drifted", "Underutilized"] }] });
    expect(pool.spec.template.spec.expireAfter).toBe("336h");
    const nodeClass = find(recorded, "kubernetes:eks.amazonaws.com/v1:NodeClass", "gpu-nodeclass-p").inputs.spec as Record<string, unknown>;
    expect(nodeClass.ephemeralStorage).toEqual({ size: "80Gi", iops: 4000, throughput: 1000 }); // podEphemeralStorageGiB 0, nodeDiskIops, nodeDiskThroughputMiBps
    expect(nodeClass.tags).toBeUndefined(); // nodeTags {}
    expect(count(recorded, "aws:iam/rolePolicy:RolePolicy")).toBe(2); // no tag permissions without nodeTags
    const prometheusSpec = (find(recorded, "kubernetes:helm.sh/v3:Release", "gpu-prometheus").inputs.values as {
      prometheus: { prometheusSpec: { retention: string; storageSpec: { volumeClaimTemplate: { spec: { resources: { requests: { storage: string } } } } } } };
    }).prometheus.prometheusSpec;
    expect(prometheusSpec.retention).toBe("15d");
    expect(prometheusSpec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage).toBe("50Gi");
    const lifecycle = find(recorded, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "gpu-weights").inputs.rules as { noncurrentVersionExpiration: unknown }[];
    expect(lifecycle[0]?.noncurrentVersionExpiration).toEqual({ noncurrentDays: 30 });
    expect((cluster.weightsBucket as unknown as { __protect?: boolean }).__protect).toBe(false); // protect: false outside prod
  });
});

describe("validation", () => {
  it("refuses bad arguments before creating anything, listing every problem with its path", () => {
    installPulumiMocks();
    const bad = () =>
      new GpuCluster("bad", {
        ...baseArgs,
        nodeProvisioning: "karpenter",
        vpcCidr: "10.0.0.0/20",
        availabilityZoneIds: ["use1-az3", "usw2-az1", "us-east-1a", "usw2-az1"],
        endpointPublicAccessCidrs: ["0.0.0.0/0"],
        clusterLogRetentionDays: 10,
        gpuPools: [
          { name: "a", instanceTypes: [], gpuLimit: 0 },
          { name: "a", instanceTypes: ["g6e.xlarge"], gpuLimit: 1.5 },
        ],
      });
    expect(bad).toThrowError(
      [
        "GpuCluster bad: 13 invalid arguments",
        '  nodeProvisioning: got "karpenter"; only "auto-mode" is implemented (self-managed Karpenter is not): use auto-mode',
        '  vpcCidr: got "10.0.0.0/20"; expected a /16 such as 10.0.0.0/16',
        '  availabilityZoneIds[0]: "use1-az3": EKS does not create clusters with subnets in this zone (us-east-1; docs.aws.amazon.com/eks/latest/userguide/network-reqs.html); pick another zone',
        '  availabilityZoneIds[1]: "usw2-az1" is not a zone of us-east-1 (its zone IDs start with use1-)',
        '  availabilityZoneIds[2]: got "us-east-1a"; expected a zone ID such as use1-az1 (zone IDs, not names such as us-east-1a: names differ between accounts); list them with aws ec2 describe-availability-zones --region us-east-1',
        '  availabilityZoneIds[3]: "usw2-az1" is not a zone of us-east-1 (its zone IDs start with use1-)',
        '  availabilityZoneIds[3]: duplicate zone "usw2-az1"; each subnet pair needs its own zone',
        '  endpointPublicAccessCidrs[0]: "0.0.0.0/0" opens the API endpoint to the internet; list specific CIDRs or none',
        "  gpuPools[0].instanceTypes: expected at least one instance type",
        "  gpuPools[0].gpuLimit: got 0; expected a whole number from 1 up",
        '  gpuPools[1].name: duplicate pool name "a"',
        "  gpuPools[1].gpuLimit: got 1.5; expected a whole number from 1 up",
        "  clusterLogRetentionDays: got 10; expected one of CloudWatch's periods: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
      ].join("\n"),
    );
  });

  it("refuses a Kubernetes version past its end of standard support under STANDARD, naming the date and the fix", () => {
    installPulumiMocks();
    expect(() => new GpuCluster("old", { ...baseArgs, kubernetesVersion: "1.33" })).toThrowError(
      /kubernetesVersion: "1\.33" left EKS standard support on 2026-07-29 .*under upgradePolicy STANDARD use 1\.\d+/,
    );
    expect(() => new GpuCluster("typo", { ...baseArgs, kubernetesVersion: "1.3" })).toThrowError(/kubernetesVersion: "1\.3" is not an EKS version this stack knows/);
  });

  it("lists the control-plane log types it turns on", () => {
    expect([...CONTROL_PLANE_LOG_TYPES]).toEqual(["api", "audit", "authenticator", "controllerManager", "scheduler"]);
  });
});
