/**
 * Each GPU pool's EKS Auto Mode NodeClass: the node disk sized for the pool's largest pod, the
 * cluster's subnets and security group, the node role EKS already admits, cost-allocation tags with
 * the IAM that lets Auto Mode apply them, and the NodePool that waits for it. Facts from the Amazon
 * EKS User Guide ("Create a Node Class for Amazon EKS"; "Custom AWS tags for EKS Auto resources").
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GpuCluster, type GpuClusterArgs, nodeTagsPolicyDocument } from "../../components/gpu-cluster";
import { nodeClassProblems } from "../../components/internal/node-class";
import { SCRATCH_VOLUMES_GIB } from "../../components/internal/vllm-pod";
import { ModelDeployment } from "../../components/model-deployment";
import { VLLM_SERVER_DEFAULTS } from "../../components/vllm-server";
import { MODEL_LIMITS } from "../../policies/economics/schema";
import {
  EPHEMERAL_STORAGE_LIMITS,
  MAX_POD_EPHEMERAL_STORAGE_GIB,
  nodeDiskGiBFor,
  parseStorageGiB,
  podEphemeralStorageCapacityGiB,
} from "../../policies/node-class";
import { recordedPolicies, wildcardProblems } from "../fixtures/iam-policies";
import { placement, servingStack, WEIGHT_GIB, workload } from "../fixtures/serving";
import { find, installPulumiMocks, ofType, type RecordedResource, valueOf } from "../helpers/pulumi-mocks";

const TAGS = { environment: "dev", workload: "gpu-inference", team: "platform", cluster: "inference-dev", "managed-by": "pulumi" };
const baseArgs: GpuClusterArgs = {
  clusterName: "inference-dev",
  environment: "dev",
  region: "us-east-1",
  availabilityZoneIds: ["use1-az1", "use1-az2"],
  gpuPools: [
    { name: "l40s", instanceTypes: ["g6e.12xlarge"], gpuLimit: 8, podEphemeralStorageGiB: 228 },
    { name: "l4", instanceTypes: ["g6.xlarge"], capacityType: "spot", gpuLimit: 4, podEphemeralStorageGiB: 53 },
  ],
  nodeTags: TAGS,
};

async function build(args: Partial<GpuClusterArgs> = {}): Promise<{ recorded: RecordedResource[]; cluster: GpuCluster }> {
  const recorded = installPulumiMocks();
  const provider = new aws.Provider("aws", { region: "us-east-1" });
  const cluster = new GpuCluster("gpu", { ...baseArgs, ...args }, { providers: { aws: provider } });
  await valueOf(provider.urn);
  await pulumi.runtime.disconnect();
  return { recorded, cluster };
}

type NodeClassInputs = { metadata: { name: string }; spec: { role: string; subnetSelectorTerms: unknown[]; securityGroupSelectorTerms: unknown[]; ephemeralStorage: unknown; tags?: Record<string, string> } };
const nodeClass = (recorded: RecordedResource[], pool: string) => find(recorded, "kubernetes:eks.amazonaws.com/v1:NodeClass", `gpu-nodeclass-${pool}`);

describe("GPU pool NodeClasses", () => {
  it("gives each pool its own NodeClass on the cluster's node role, private subnets and cluster security group, with its disk and the cost tags", async () => {
    const { recorded, cluster } = await build();
    const l40s = nodeClass(recorded, "l40s").inputs as unknown as NodeClassInputs;
    expect(l40s).toMatchObject({ apiVersion: "eks.amazonaws.com/v1", kind: "NodeClass", metadata: { name: "gpu-l40s" } });
    expect(l40s.spec).toEqual({
      role: "inference-dev-node",
      subnetSelectorTerms: [{ id: "gpu-private-0-id" }, { id: "gpu-private-1-id" }],
      securityGroupSelectorTerms: [{ id: "sg-gpu-eks-cluster" }],
      ephemeralStorage: { size: "330Gi", iops: 4000, throughput: 1000 },
      tags: TAGS,
    });
    expect((nodeClass(recorded, "l4").inputs as unknown as NodeClassInputs).spec.ephemeralStorage).toEqual({ size: "120Gi", iops: 4000, throughput: 1000 });
    // The role the cluster's computeConfig names: EKS created its EC2 access entry, so the stack adds none.
    const eks = find(recorded, "aws:eks/cluster:Cluster", "gpu-eks").inputs as { computeConfig: { nodeRoleArn: string } };
    expect(eks.computeConfig.nodeRoleArn).toBe("arn:aws:mock:us-east-1:123456789012:gpu-node");
    expect(find(recorded, "aws:iam/role:Role", "gpu-node").inputs.name).toBe(l40s.spec.role);
    expect(ofType(recorded, "aws:eks/accessEntry:AccessEntry")).toEqual([]);
    expect(cluster.poolTargets.l40s).toMatchObject({ nodeClassName: "gpu-l40s", podEphemeralStorageCapacityGiB: podEphemeralStorageCapacityGiB(330) });
    for (const r of ofType(recorded, "kubernetes:eks.amazonaws.com/v1:NodeClass")) {
      const { apiVersion: _v, kind: _k, ...object } = r.inputs;
      expect(nodeClassProblems({ ...object, apiVersion: "eks.amazonaws.com/v1", kind: "NodeClass" })).toEqual([]);
    }
  });

  it("selects the existing VPC's private subnets when the cluster runs in one", async () => {
    const { recorded } = await build({ existingVpc: { vpcId: "vpc-0a1b2c3d4e5f60718", privateSubnetIds: ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"] }, availabilityZoneIds: undefined });
    expect((nodeClass(recorded, "l40s").inputs as unknown as NodeClassInputs).spec.subnetSelectorTerms).toEqual([{ id: "subnet-0a1b2c3d4e5f60718" }, { id: "subnet-0f1e2d3c4b5a69788" }]);
  });

  it("points each NodePool at its pool's NodeClass and makes it wait for it; tagged NodeClasses wait for the tag permissions", async () => {
    const { recorded } = await build();
    const tagPolicy = find(recorded, "aws:iam/rolePolicy:RolePolicy", "gpu-cluster-node-tags");
    for (const pool of ["l40s", "l4"]) {
      const nodePool = find(recorded, "kubernetes:karpenter.sh/v1:NodePool", `gpu-pool-${pool}`);
      const ref = (nodePool.inputs.spec as { template: { spec: { nodeClassRef: unknown } } }).template.spec.nodeClassRef;
      expect(ref).toEqual({ group: "eks.amazonaws.com", kind: "NodeClass", name: `gpu-${pool}` });
      const klass = nodeClass(recorded, pool);
      expect(nodePool.dependencies).toContain(klass.urn);
      expect(klass.dependencies).toContain(tagPolicy.urn);
    }
  });

  it("grants the cluster role AWS's tag-on-create statements for nodes, scoped to this region and account, with AWS's conditions", async () => {
    const { recorded } = await build();
    const policy = recordedPolicies(recorded).find((p) => p.owner === "aws:iam/rolePolicy:RolePolicy gpu-cluster-node-tags");
    expect(find(recorded, "aws:iam/rolePolicy:RolePolicy", "gpu-cluster-node-tags").inputs.role).toBe("inference-dev-cluster");
    const arn = (type: string) => `arn:aws:ec2:us-east-1:123456789012:${type}/*`;
    const clusterName = { "aws:RequestTag/eks:eks-cluster-name": "${aws:PrincipalTag/eks:eks-cluster-name}" };
    expect(policy?.document.Statement).toEqual([
      {
        Sid: "TagGpuNodesOnLaunch",
        Effect: "Allow",
        Action: ["ec2:CreateFleet", "ec2:RunInstances", "ec2:CreateLaunchTemplate"],
        Resource: ["fleet", "instance", "volume", "network-interface", "launch-template", "spot-instances-request"].map(arn),
        Condition: { StringEquals: clusterName, StringLike: { "aws:RequestTag/eks:kubernetes-node-class-name": "*", "aws:RequestTag/eks:kubernetes-node-pool-name": "*" } },
      },
      {
        Sid: "TagPodNetworkInterfaces",
        Effect: "Allow",
        Action: ["ec2:CreateNetworkInterface"],
        Resource: [arn("network-interface")],
        Condition: { StringEquals: clusterName, StringLike: { "aws:RequestTag/eks:kubernetes-cni-node-name": "*" } },
      },
      {
        Sid: "RetagGpuNodes",
        Effect: "Allow",
        Action: ["ec2:CreateTags", "ec2:DeleteTags"],
        Resource: ["instance", "volume", "network-interface", "launch-template"].map(arn),
        Condition: { StringEquals: { "aws:ResourceTag/eks:eks-cluster-name": "${aws:PrincipalTag/eks:eks-cluster-name}" } },
      },
    ]);
    expect(recordedPolicies(recorded).flatMap(wildcardProblems)).toEqual([]);
    expect(await valueOf(nodeTagsPolicyDocument("aws-cn", "cn-north-1", "111122223333"))).toContain("arn:aws-cn:ec2:cn-north-1:111122223333:instance/*");
  });

  it("refuses tag keys Auto Mode reserves, a disk no NodeClass can have, and gp3 throughput above 0.25 MiB/s per IOPS", () => {
    installPulumiMocks();
    const tooBig = MAX_POD_EPHEMERAL_STORAGE_GIB + 1;
    expect(
      () =>
        new GpuCluster("bad", {
          ...baseArgs,
          gpuPools: [{ name: "huge", instanceTypes: ["g6e.48xlarge"], gpuLimit: 8, podEphemeralStorageGiB: tooBig }],
          nodeTags: { ...TAGS, "karpenter.sh/nodepool": "x", "kubernetes.io/cluster/inference-dev": "owned" },
          nodeDiskIops: 3000,
          nodeDiskThroughputMiBps: 1000,
        }),
    ).toThrowError(
      [
        "GpuCluster bad: 4 invalid arguments",
        `  gpuPools[0].podEphemeralStorageGiB: its pods request ${tooBig} GiB of ephemeral storage, more than the ${MAX_POD_EPHEMERAL_STORAGE_GIB} GiB the largest Auto Mode node disk (59000 GiB) leaves a pod after the image, logs and the kubelet's eviction reserve: stage the weights on a volume instead`,
        "  nodeTags.karpenter.sh/nodepool: is a tag key Auto Mode sets itself (kubernetes.io/cluster/*, karpenter.sh/*, eks.amazonaws.com/nodeclass); use another key",
        "  nodeTags.kubernetes.io/cluster/inference-dev: is a tag key Auto Mode sets itself (kubernetes.io/cluster/*, karpenter.sh/*, eks.amazonaws.com/nodeclass); use another key",
        "  nodeDiskThroughputMiBps: got 1000; gp3 allows at most 0.25 MiB/s per IOPS, 750 at nodeDiskIops 3000: raise nodeDiskIops",
      ].join("\n"),
    );
  });

  it("grows the disk up to the largest Auto Mode allows", async () => {
    const { recorded } = await build({ gpuPools: [{ name: "huge", instanceTypes: ["g6e.48xlarge"], gpuLimit: 8, podEphemeralStorageGiB: MAX_POD_EPHEMERAL_STORAGE_GIB }] });
    expect((nodeClass(recorded, "huge").inputs as unknown as NodeClassInputs).spec.ephemeralStorage).toMatchObject({ size: `${EPHEMERAL_STORAGE_LIMITS.maxSizeGiB}Gi` });
  });
});

describe("node disk arithmetic (policies/node-class.ts)", () => {
  it("sizes the 70B pool's disk from its 228 GiB pod: request + 40 GiB image + 5 GiB logs + 1 GiB kube-reserved, over 85 %, in 10 GiB steps", () => {
    expect(nodeDiskGiBFor(228)).toBe(330); // (228 + 46) / 0.85 = 322.4 → 330
    expect(podEphemeralStorageCapacityGiB(330)).toBe(234); // floor(330 × 0.85 − 46)
    expect(nodeDiskGiBFor(0)).toBe(80); // never below Auto Mode's default
    expect(podEphemeralStorageCapacityGiB(80)).toBe(22); // the built-in NodeClass holds 22 GiB of pod requests, not a 70B checkpoint
  });

  it("always leaves the request room, never shrinks below 80 GiB and stays in 10 GiB steps (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_POD_EPHEMERAL_STORAGE_GIB }), (request) => {
        const disk = nodeDiskGiBFor(request);
        expect(podEphemeralStorageCapacityGiB(disk)).toBeGreaterThanOrEqual(request);
        expect(disk).toBeGreaterThanOrEqual(80);
        expect(disk).toBeLessThanOrEqual(EPHEMERAL_STORAGE_LIMITS.maxSizeGiB);
        expect(disk % 10).toBe(0);
        expect(podEphemeralStorageCapacityGiB(disk - 10) < request || disk === 80).toBe(true); // the smallest step that fits
      }),
    );
  });

  it("has room for any model the stack config accepts, so the config needs no refusal of its own (the components refuse direct use)", () => {
    // The largest checkpoint the schema allows: MODEL_LIMITS.parametersBillions at 2 bytes a weight (bf16, the widest precision).
    const checkpointGiB = (MODEL_LIMITS.parametersBillions * 1e9 * 2) / 2 ** 30;
    const request = Math.ceil(VLLM_SERVER_DEFAULTS.modelCacheOverWeights * checkpointGiB) + SCRATCH_VOLUMES_GIB.cache + SCRATCH_VOLUMES_GIB.tmp;
    expect(request).toBeLessThanOrEqual(MAX_POD_EPHEMERAL_STORAGE_GIB); // 27,970 GiB ≤ 50,104 GiB
  });

  it("returns for any number, however large or malformed (the component refuses what no disk holds)", () => {
    for (const request of [1e20, Number.MAX_VALUE, Infinity, NaN, -5]) expect(typeof nodeDiskGiBFor(request)).toBe("number");
  });

  it("reads Kubernetes storage quantities in GiB", () => {
    expect([parseStorageGiB("160Gi"), parseStorageGiB("58Ti"), parseStorageGiB("512Mi"), parseStorageGiB("64000G"), parseStorageGiB("lots")]).toEqual([160, 59392, 0.5, 64000e9 / 2 ** 30, undefined]);
  });
});

describe("the NodeClass schema", () => {
  const valid = {
    apiVersion: "eks.amazonaws.com/v1",
    kind: "NodeClass",
    metadata: { name: "gpu-l40s" },
    spec: { role: "node", subnetSelectorTerms: [{ id: "subnet-1" }], securityGroupSelectorTerms: [{ id: "sg-1" }], ephemeralStorage: { size: "330Gi", iops: 4000, throughput: 1000 }, tags: TAGS },
  };
  it("accepts what the component writes and refuses what AWS's specification does not allow", () => {
    expect(nodeClassProblems(valid)).toEqual([]);
    const broken = {
      ...valid,
      metadata: { name: "default" },
      spec: { subnetSelectorTerms: [], securityGroupSelectorTerms: [{ id: "sg-1" }], ephemeralStorage: { size: "60000Gi", iops: 2000, throughput: 2000 }, tags: { "karpenter.sh/nodepool": "x" }, amiFamily: "AL2" },
    };
    expect(nodeClassProblems(broken).map((p) => p.split(": ").slice(0, 2).join(": ")).sort()).toEqual([
      "NodeClass default: metadata.name", // Auto Mode's built-in name
      "NodeClass default: spec", // amiFamily: not an Auto Mode field
      "NodeClass default: spec.ephemeralStorage.iops",
      "NodeClass default: spec.ephemeralStorage.size",
      "NodeClass default: spec.ephemeralStorage.throughput",
      "NodeClass default: spec.role",
      "NodeClass default: spec.subnetSelectorTerms",
      "NodeClass default: spec.tags",
    ]);
  });
});

describe("a workload on a pool whose disk cannot hold it", () => {
  it("is refused by ModelDeployment, naming the request, the pool's room and the fix", () => {
    installPulumiMocks();
    const config = servingStack();
    expect(() => new ModelDeployment("chat", { config, workload: workload(config, "chat"), weightGiB: WEIGHT_GIB, tenant: { namespace: "search" }, placement: { ...placement, podEphemeralStorageCapacityGiB: 22 } })).toThrowError(
      /chat.*modelCacheGiB: the pod requests \d+ GiB of ephemeral storage \(model cache \d+ \+ scratch 30\), more than the 22 GiB its pool's node disk leaves a pod: it would stay Pending/,
    );
  });
});
