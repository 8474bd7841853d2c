/**
 * What mocks cannot see on their own: the order a real `pulumi up` creates things in. The program
 * runs under mocks with the shipped dev stack (both tiers), every registration's dependencies are
 * recorded (dependsOn, the resources its inputs came from, its provider), and the graph must hold:
 *
 * - every custom resource (a kind a CRD defines) waits for what installs that CRD. pulumi-kubernetes
 *   does not wait for a missing CRD: its create retries a "no matches for kind" error 5 times, 1 s
 *   doubling (1+2+4+8+16+32 = 63 s; github:pulumi/pulumi-kubernetes provider/pkg/await/await.go
 *   `Creation` @0012b9d2, provider/pkg/retry/retry.go `SleepingRetry` @04fb15c0), while a chart
 *   on a fresh Auto Mode cluster waits minutes for its first node;
 * - the KEDA release waits for its Pod Identity association (pods get credentials at admission);
 * - the EKS cluster waits for the policy that lets its role use the secrets key.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { namespaceValues } from "../../infra/config";
import { installPulumiMocks, type RecordedResource } from "../helpers/pulumi-mocks";

const STACK_FILE = path.resolve(__dirname, "../../Pulumi.dev.yaml");
const values = namespaceValues(fs.readFileSync(STACK_FILE, "utf8"), "Pulumi.dev.yaml");
const engineConfig = Object.fromEntries([["aws:region", "us-east-1"], ...Object.entries(values).map(([k, v]) => [`gpu-inference:${k}`, v])]);

/** Kubernetes API groups served by the API server itself (no CRD needed). */
const BUILT_IN_GROUP = /(^|\.)k8s\.io$|^(core|apps|batch|policy|autoscaling)$/;

/** What installs each CRD group's definitions: a predicate over recorded resources. */
const CRD_SOURCES: Readonly<Record<string, { readonly what: string; readonly is: (r: RecordedResource) => boolean }>> = {
  "keda.sh": { what: "the KEDA Helm release", is: (r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "keda" },
  "monitoring.coreos.com": {
    what: "the kube-prometheus-stack Helm release (crds.enabled)",
    is: (r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "kube-prometheus-stack",
  },
  // The router: Envoy Gateway's chart installs its own and the Gateway API CRDs; the AI Gateway's CRD chart its own.
  "gateway.envoyproxy.io": { what: "the Envoy Gateway Helm release", is: (r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "oci://docker.io/envoyproxy/gateway-helm" },
  "gateway.networking.k8s.io": { what: "the Envoy Gateway Helm release", is: (r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "oci://docker.io/envoyproxy/gateway-helm" },
  "aigateway.envoyproxy.io": { what: "the AI Gateway CRD Helm release", is: (r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "oci://docker.io/envoyproxy/ai-gateway-crds-helm" },
  // EKS Auto Mode installs karpenter.sh NodePool and eks.amazonaws.com NodeClass once compute is enabled.
  "karpenter.sh": { what: "the EKS cluster with Auto Mode compute", is: isAutoModeCluster },
  "eks.amazonaws.com": { what: "the EKS cluster with Auto Mode compute", is: isAutoModeCluster },
};

function isAutoModeCluster(r: RecordedResource): boolean {
  return r.type === "aws:eks/cluster:Cluster" && (r.inputs.computeConfig as { enabled?: boolean } | undefined)?.enabled === true;
}

/** `kubernetes:keda.sh/v1alpha1:ScaledObject` → `keda.sh`; undefined for non-Kubernetes and built-in kinds. */
function crdGroupOf(type: string): string | undefined {
  const match = /^kubernetes:([^/:]+)\/[^:]+:[A-Za-z]+$/.exec(type);
  const group = match?.[1];
  if (group === undefined || group === "helm.sh" || group === "yaml" || BUILT_IN_GROUP.test(group)) return undefined;
  return group;
}

let recorded: RecordedResource[];
let byUrn: Map<string, RecordedResource>;

/** URNs a resource waits for: its recorded dependencies and its provider. */
function waitsFor(r: RecordedResource): string[] {
  const provider = r.provider !== undefined && r.provider !== "" ? [r.provider.slice(0, r.provider.lastIndexOf("::"))] : [];
  return [...(r.dependencies ?? []), ...provider];
}

/** Whether `from` transitively waits for a resource matching `target`. */
function reaches(from: RecordedResource, target: (r: RecordedResource) => boolean): boolean {
  const seen = new Set<string>();
  const stack = waitsFor(from);
  while (stack.length > 0) {
    const urn = stack.pop()!;
    if (seen.has(urn)) continue;
    seen.add(urn);
    const next = byUrn.get(urn);
    if (next === undefined) continue;
    if (target(next)) return true;
    stack.push(...waitsFor(next));
  }
  return false;
}

const describeResource = (r: RecordedResource) => `${r.type} ${r.name}`;

beforeAll(async () => {
  vi.resetModules();
  recorded = installPulumiMocks({ config: engineConfig, stack: "dev" });
  await import("../../infra/index.js");
  await pulumi.runtime.disconnect();
  byUrn = new Map(recorded.filter((r) => r.urn !== undefined).map((r) => [r.urn!, r]));
});

describe("the dev program's dependency graph", () => {
  it("records dependencies (the graph is really read)", () => {
    expect(recorded.every((r) => r.urn !== undefined)).toBe(true);
    expect(recorded.filter((r) => (r.dependencies ?? []).length > 0).length).toBeGreaterThan(50);
  });

  it("makes every custom resource wait for what installs its CRD", () => {
    const custom = recorded.filter((r) => crdGroupOf(r.type) !== undefined);
    // NodePools, ScaledObject, ScaledJob, TriggerAuthentication, PodMonitor at least.
    expect(new Set(custom.map((r) => r.type.split(":")[2]))).toEqual(expect.objectContaining(new Set(["NodePool", "ScaledObject", "ScaledJob", "TriggerAuthentication", "PodMonitor"])));
    const problems = custom.flatMap((r) => {
      const source = CRD_SOURCES[crdGroupOf(r.type)!];
      if (source === undefined) return [`${describeResource(r)}: no known installer of API group ${crdGroupOf(r.type)}; add it to CRD_SOURCES`];
      return reaches(r, source.is) ? [] : [`${describeResource(r)} does not wait for ${source.what}`];
    });
    expect(problems).toEqual([]);
  });

  it("starts KEDA only after its Pod Identity association exists", () => {
    const keda = recorded.find(CRD_SOURCES["keda.sh"]!.is)!;
    const association = (r: RecordedResource) => r.type === "aws:eks/podIdentityAssociation:PodIdentityAssociation" && r.inputs.namespace === "keda";
    expect(recorded.some(association)).toBe(true);
    expect(reaches(keda, association)).toBe(true);
  });

  it("creates each NodePool after the NodeClass it names, and each tagged NodeClass after the cluster role may tag what Auto Mode launches", () => {
    const nodePools = recorded.filter((r) => r.type === "kubernetes:karpenter.sh/v1:NodePool");
    expect(nodePools.length).toBeGreaterThan(0);
    const tagPolicy = (r: RecordedResource) => r.type === "aws:iam/rolePolicy:RolePolicy" && String(r.inputs.policy).includes("eks:kubernetes-node-class-name");
    const problems = nodePools.flatMap((pool) => {
      const ref = (pool.inputs.spec as { template: { spec: { nodeClassRef: { name: string } } } }).template.spec.nodeClassRef.name;
      const named = (r: RecordedResource) => r.type === "kubernetes:eks.amazonaws.com/v1:NodeClass" && (r.inputs.metadata as { name: string }).name === ref;
      const nodeClass = recorded.find(named);
      if (nodeClass === undefined) return [`${describeResource(pool)} names NodeClass ${ref}, which the stack does not create`];
      return [
        ...(reaches(pool, named) ? [] : [`${describeResource(pool)} does not wait for NodeClass ${ref}`]),
        ...(reaches(nodeClass, tagPolicy) ? [] : [`${describeResource(nodeClass)} does not wait for the cluster role's tag permissions`]),
      ];
    });
    expect(problems).toEqual([]);
  });

  it("creates the cluster only after its role may use the secrets key", () => {
    const cluster = recorded.find(isAutoModeCluster)!;
    const keyPolicy = (r: RecordedResource) => r.type === "aws:iam/rolePolicy:RolePolicy" && String(r.inputs.policy).includes("kms:Encrypt");
    expect(recorded.some(keyPolicy)).toBe(true);
    expect(reaches(cluster, keyPolicy)).toBe(true);
  });
});
