/**
 * Every shipped stack's GPU workloads fit the node disk of their pool: the program (infra/index.ts)
 * run under mocks with Pulumi.dev.yaml and Pulumi.prod.yaml, each Deployment and ScaledJob followed to
 * its NodePool and that pool's Auto Mode NodeClass, and its ephemeral-storage request compared with
 * what the NodeClass's disk leaves a pod (policies/node-class.ts). Auto Mode's built-in `default`
 * NodeClass has 80 GiB: a 70B checkpoint never schedules there, and `pulumi up` waits and fails.
 * And the GPU nodes carry the cost-allocation tags: Auto Mode never applies the provider's defaultTags.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { namespaceValues } from "../../infra/config";
import { BUILT_IN_NODE_CLASS, nodeDiskGiBFor, parseStorageGiB, podEphemeralStorageCapacityGiB } from "../../policies/node-class";
import { installPulumiMocks, ofType, type RecordedResource } from "../helpers/pulumi-mocks";

async function runStack(stack: "dev" | "prod"): Promise<RecordedResource[]> {
  const file = `Pulumi.${stack}.yaml`;
  const values = namespaceValues(fs.readFileSync(path.resolve(__dirname, "../..", file), "utf8"), file);
  const config = Object.fromEntries([["aws:region", "us-east-1"], ...Object.entries(values).map(([k, v]) => [`gpu-inference:${k}`, v])]);
  vi.resetModules();
  const recorded = installPulumiMocks({ config, stack });
  await import("../../infra/index.js");
  await pulumi.runtime.disconnect();
  return recorded;
}

interface PodPlacement {
  readonly workload: string;
  readonly requestGiB: number;
  readonly nodeSelector: Record<string, string>;
}

/** The ephemeral-storage request and node selector of every GPU pod template the program registers. */
function gpuPods(recorded: readonly RecordedResource[]): PodPlacement[] {
  const templates = [
    ...ofType(recorded, "kubernetes:apps/v1:Deployment").map((r) => ({ r, spec: (r.inputs.spec as { template: { spec: Record<string, unknown> } }).template.spec })),
    ...ofType(recorded, "kubernetes:keda.sh/v1alpha1:ScaledJob").map((r) => ({ r, spec: (r.inputs.spec as { jobTargetRef: { template: { spec: Record<string, unknown> } } }).jobTargetRef.template.spec })),
  ];
  return templates.flatMap(({ r, spec }) => {
    const containers = spec.containers as { resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }[];
    if (!containers.some((c) => c.resources?.limits?.["nvidia.com/gpu"] !== undefined)) return [];
    const requestGiB = containers.reduce((sum, c) => sum + (c.resources?.requests?.["ephemeral-storage"] !== undefined ? parseStorageGiB(c.resources.requests["ephemeral-storage"])! : 0), 0);
    return [{ workload: r.name, requestGiB, nodeSelector: spec.nodeSelector as Record<string, string> }];
  });
}

describe.each(["dev", "prod"] as const)("the shipped %s stack", (stack) => {
  let recorded: RecordedResource[];
  beforeAll(async () => {
    recorded = await runStack(stack);
  });

  it("gives every GPU workload a pool whose NodeClass disk holds its ephemeral-storage request", () => {
    const pods = gpuPods(recorded);
    expect(pods.length).toBeGreaterThan(0);
    const nodePools = ofType(recorded, "kubernetes:karpenter.sh/v1:NodePool").map((r) => r.inputs as { metadata: { labels: Record<string, string> }; spec: { template: { spec: { nodeClassRef: { group: string; kind: string; name: string } } } } });
    const nodeClasses = ofType(recorded, "kubernetes:eks.amazonaws.com/v1:NodeClass").map((r) => r.inputs as { metadata: { name: string }; spec: { ephemeralStorage?: { size: string } } });
    const fits = pods.map((pod) => {
      const pool = nodePools.find((p) => Object.entries(pod.nodeSelector).every(([k, v]) => p.metadata.labels[k] === v));
      const ref = pool?.spec.template.spec.nodeClassRef;
      const nodeClass = nodeClasses.find((c) => c.metadata.name === ref?.name);
      const diskGiB = nodeClass?.spec.ephemeralStorage !== undefined ? parseStorageGiB(nodeClass.spec.ephemeralStorage.size) : undefined;
      return {
        workload: pod.workload,
        nodeClass: ref?.name,
        custom: ref?.name !== BUILT_IN_NODE_CLASS && nodeClass !== undefined,
        fits: diskGiB !== undefined && pod.requestGiB > 0 && pod.requestGiB <= podEphemeralStorageCapacityGiB(diskGiB),
      };
    });
    expect(fits.filter((f) => !f.custom || !f.fits)).toEqual([]);
  });

  it("sizes each pool's disk for its largest pod and no larger (staged weights stream from S3: a small cache)", () => {
    const pods = gpuPods(recorded);
    for (const pool of ofType(recorded, "kubernetes:karpenter.sh/v1:NodePool")) {
      const inputs = pool.inputs as { metadata: { labels: Record<string, string> }; spec: { template: { spec: { nodeClassRef: { name: string } } } } };
      const largest = Math.max(0, ...pods.filter((p) => Object.entries(p.nodeSelector).every(([k, v]) => inputs.metadata.labels[k] === v)).map((p) => p.requestGiB));
      const nodeClass = ofType(recorded, "kubernetes:eks.amazonaws.com/v1:NodeClass").find((c) => (c.inputs.metadata as { name: string }).name === inputs.spec.template.spec.nodeClassRef.name)!;
      expect((nodeClass.inputs.spec as { ephemeralStorage: { size: string } }).ephemeralStorage.size, pool.name).toBe(`${nodeDiskGiBFor(largest)}Gi`);
    }
  });

  it("tags every GPU node through its NodeClass with exactly the AWS provider's default tags", () => {
    const provider = ofType(recorded, "pulumi:providers:aws")[0]!;
    const defaultTags = (JSON.parse(String(provider.inputs.defaultTags)) as { tags: Record<string, string> }).tags;
    expect(Object.keys(defaultTags)).toEqual(expect.arrayContaining(["environment", "team", "workload"]));
    const nodeClasses = ofType(recorded, "kubernetes:eks.amazonaws.com/v1:NodeClass");
    expect(nodeClasses.length).toBe(ofType(recorded, "kubernetes:karpenter.sh/v1:NodePool").length);
    for (const nodeClass of nodeClasses) expect((nodeClass.inputs.spec as { tags: unknown }).tags, nodeClass.name).toEqual(defaultTags);
  });
});
