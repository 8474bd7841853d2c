/**
 * The program (infra/index.ts) run under mocks with the shipped dev stack file: the cluster and
 * tenant parts of what it registers, every Kubernetes object validated against the real schemas,
 * every IAM policy document checked; and bad cluster/tenant config refused with file and key path.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { parseDocument } from "yaml";
import { namespaceValues, type StackConfig } from "../../infra/config";
import { recordedPolicies, wildcardProblems } from "../fixtures/iam-policies";
import { validateKubernetesObject, validateRecordedKubernetesObjects } from "../helpers/kubernetes-schemas";
import { find, installPulumiMocks, ofType, type RecordedResource, valueOf } from "../helpers/pulumi-mocks";

const STACK_FILE = path.resolve(__dirname, "../../Pulumi.dev.yaml");
const stackText = fs.readFileSync(STACK_FILE, "utf8");

/** The dev stack's `gpu-inference:` values, keyed the way the engine hands them to the program. */
function engineConfig(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries([["aws:region", "us-east-1"], ...Object.entries(values).map(([k, v]) => [`gpu-inference:${k}`, v])]);
}
const devValues = namespaceValues(stackText, "Pulumi.dev.yaml");
const dev = devValues as unknown as Pick<StackConfig, "environment" | "tenants"> & { cluster: { name: string; gpuPools: { name: string; gpuLimit: number }[] } };

type Program = Record<string, unknown>;

async function runProgram(config: Record<string, unknown>): Promise<{ recorded: RecordedResource[]; program: Program }> {
  vi.resetModules();
  const recorded = installPulumiMocks({ config, stack: "dev" });
  const program = (await import("../../infra/index.js")) as Program;
  await pulumi.runtime.disconnect();
  return { recorded, program };
}

describe("the dev stack", () => {
  let recorded: RecordedResource[];
  let program: Program;
  beforeAll(async () => {
    ({ recorded, program } = await runProgram(engineConfig(devValues)));
  });

  it("reads the shipped Pulumi.dev.yaml", () => {
    expect(parseDocument(stackText).errors).toEqual([]);
    expect(dev.cluster.gpuPools.length).toBeGreaterThan(0);
  });

  it("puts the VPC's subnets in the stack file's pinned zone IDs (no zone names, no lookup)", () => {
    const zones = (devValues.cluster as { availabilityZoneIds: string[] }).availabilityZoneIds;
    const subnets = ofType(recorded, "aws:ec2/subnet:Subnet");
    expect(subnets.map((s) => s.inputs.availabilityZoneId)).toEqual(zones.flatMap((zone) => [zone, zone]));
    expect(subnets.every((s) => s.inputs.availabilityZone === undefined)).toBe(true);
  });

  it("builds one cluster and one tenant per configured tenant", () => {
    expect(ofType(recorded, "gpu-inference:cluster:GpuCluster").map((r) => r.name)).toEqual([dev.cluster.name]);
    expect(ofType(recorded, "gpu-inference:tenant:Tenant").map((r) => r.name).sort()).toEqual(dev.tenants.map((t) => t.name).sort());
    expect(ofType(recorded, "kubernetes:karpenter.sh/v1:NodePool").map((r) => (r.inputs.metadata as { name: string }).name).sort()).toEqual(
      dev.cluster.gpuPools.map((p) => p.name).sort(),
    );
    for (const pool of dev.cluster.gpuPools) {
      const nodePool = find(recorded, "kubernetes:karpenter.sh/v1:NodePool", `${dev.cluster.name}-pool-${pool.name}`);
      expect((nodePool.inputs.spec as { limits: Record<string, string> }).limits).toEqual({ "nvidia.com/gpu": String(pool.gpuLimit) });
    }
    for (const tenant of dev.tenants) {
      const quota = find(recorded, "kubernetes:core/v1:ResourceQuota", `${tenant.name}-gpu-quota`);
      expect((quota.inputs.spec as { hard: Record<string, string> }).hard["requests.nvidia.com/gpu"]).toBe(String(tenant.gpuQuota));
      const ns = find(recorded, "kubernetes:core/v1:Namespace", `${tenant.name}-ns`).inputs.metadata as { labels: Record<string, string> };
      expect([ns.labels["pod-security.kubernetes.io/enforce"], ns.labels.team]).toEqual(["restricted", tenant.team ?? tenant.name]);
    }
  });

  it("tags every AWS resource for cost allocation through one provider's default tags", () => {
    const providers = ofType(recorded, "pulumi:providers:aws");
    expect(providers).toHaveLength(1);
    expect(providers[0]?.inputs).toMatchObject({
      region: "us-east-1",
      defaultTags: JSON.stringify({ tags: { environment: "dev", workload: "gpu-inference", team: "platform", cluster: dev.cluster.name, "managed-by": "pulumi" } }),
    });
    const awsResources = recorded.filter((r) => r.type.startsWith("aws:"));
    expect(awsResources.length).toBeGreaterThan(40);
    for (const r of awsResources) expect(r.provider, `${r.type} ${r.name}`).toMatch(/::pulumi:providers:aws::aws::aws-id$/);
  });

  it("validates every Kubernetes object the program emits against the real API schemas", async () => {
    const kubernetesObjects = recorded.filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/") && !r.type.endsWith("Patch"));
    // Cluster: 2 namespaces, the StorageClass, a NodePool per pool; 9 per tenant.
    expect(kubernetesObjects.length).toBeGreaterThanOrEqual(3 + dev.cluster.gpuPools.length + 9 * dev.tenants.length);
    await expect(validateRecordedKubernetesObjects(recorded)).resolves.toBe(kubernetesObjects.length);
    // The helper skips Patches; the cluster's one Patch (the network-policy switch) is a whole ConfigMap.
    const { apiVersion: _v, kind: _k, ...cniConfig } = find(recorded, "kubernetes:core/v1:ConfigMapPatch", `${dev.cluster.name}-network-policy`).inputs;
    await expect(validateKubernetesObject("v1", "ConfigMap", cniConfig)).resolves.toBeUndefined();
  });

  it("renders every IAM policy document as valid JSON with no wildcard action or bare wildcard resource", () => {
    const policies = recordedPolicies(recorded);
    // Cluster: 3 trust policies, secrets-key use, KEDA's permissions, the bucket policy; per tenant: trust + permissions.
    expect(policies.length).toBeGreaterThanOrEqual(6 + 2 * dev.tenants.length);
    expect(policies.flatMap(wildcardProblems)).toEqual([]);
  });

  it("exports the kubeconfig as a secret, the pool targets, the tenants and the weights bucket", async () => {
    expect(await pulumi.isSecret(program.kubeconfig as pulumi.Output<string>)).toBe(true);
    expect(program.clusterName).toBe(dev.cluster.name);
    expect(Object.keys(program.gpuPools as Record<string, unknown>).sort()).toEqual(dev.cluster.gpuPools.map((p) => p.name).sort());
    const tenants = program.tenants as Record<string, { namespace: string; serviceAccount: string; roleArn: pulumi.Output<string>; gpuQuota: number; queueNamePrefix: string }>;
    expect(Object.keys(tenants).sort()).toEqual(dev.tenants.map((t) => t.name).sort());
    for (const t of dev.tenants) {
      const out = tenants[t.name];
      expect([out?.namespace, out?.serviceAccount, out?.gpuQuota, out?.queueNamePrefix]).toEqual([t.name, "inference", t.gpuQuota, `${dev.cluster.name}-${t.name}-`]);
      expect(await valueOf(out?.roleArn as pulumi.Output<string>)).toBe(`arn:aws:mock:us-east-1:123456789012:${t.name}-role`);
    }
    // The bucket's name is chosen by AWS from its prefix; under mocks only the prefix is known.
    expect(pulumi.Output.isInstance(program.weightsBucketName)).toBe(true);
    expect(find(recorded, "aws:s3/bucket:Bucket", `${dev.cluster.name}-weights`).inputs.bucketPrefix).toBe(`${dev.cluster.name}-weights-`);
    expect(program.prometheusUrl).toBe("http://kps-prometheus.monitoring.svc:9090");
  });
});

describe("bad cluster or tenant config", () => {
  it("is refused with the stack file and every key path in the message", async () => {
    const cluster = devValues.cluster as Record<string, unknown>;
    const pools = cluster.gpuPools as Record<string, unknown>[];
    const tenants = devValues.tenants as Record<string, unknown>[];
    const bad = engineConfig({
      ...devValues,
      cluster: {
        ...cluster,
        endpointPublicAccessCidrs: ["0.0.0.0/0"],
        adminRoleArns: ["arn:aws:iam::123456789012:user/alice"],
        gpuPools: [{ ...pools[0], gpuLimit: 0 }, ...pools.slice(1)],
        nodePools: [],
      },
      tenants: [{ ...tenants[0], gpuQuota: -2 }, ...tenants.slice(1)],
    });
    const attempt = runProgram(bad);
    await expect(attempt).rejects.toThrow(/^Pulumi\.dev\.yaml: 5 problems$/m);
    const message = await attempt.then(
      () => "",
      (error: Error) => error.message,
    );
    expect(message.split("\n").slice(1).map((l) => l.trim()).sort()).toEqual(
      [
        'Pulumi.dev.yaml: gpu-inference:cluster: unknown key "nodePools"; check the spelling against docs/configuration.md',
        "Pulumi.dev.yaml: gpu-inference:cluster.endpointPublicAccessCidrs[0]: a /0 opens the API endpoint to the whole internet; list your office or CI CIDRs, or leave the list empty for a private endpoint",
        "Pulumi.dev.yaml: gpu-inference:cluster.adminRoleArns[0]: expected an IAM role ARN such as arn:aws:iam::123456789012:role/platform-admin",
        "Pulumi.dev.yaml: gpu-inference:cluster.gpuPools[0].gpuLimit: expected a whole number of GPUs, at least 1",
        "Pulumi.dev.yaml: gpu-inference:tenants[0].gpuQuota: expected a whole number of GPUs, at least 0",
      ].sort(),
    );
  });

  it("refuses a missing tenants list with its key path", async () => {
    const { tenants: _tenants, ...withoutTenants } = devValues;
    await expect(runProgram(engineConfig(withoutTenants))).rejects.toThrow(/^ {2}Pulumi\.dev\.yaml: gpu-inference:tenants: required: expected array, received undefined$/m);
  });
});
