/**
 * cost-allocation-tags: every dollar of owned inference can be traced to a team. The break-even
 * argument is only as good as the bill behind it: untagged GPU spend cannot be charged back,
 * and a workload below break-even cannot be found in Cost Explorer.
 */
import { z } from "zod";
import { Findings } from "./internal/findings";
import { nodeClassOf, TYPES, workloadLabel, workloadsOf } from "./internal/kubernetes";
import type { RuleDefinition } from "./internal/rule";
import { describe, type ResourceView, type StackView } from "./internal/stack";
import { asRecord, at, attempt, entryOf, isPresent, known, snapshot, stringMap, type Plain, type PlainRecord } from "./internal/values";

/** Tags every taggable AWS resource carries (directly or through the provider's `defaultTags`). */
export const DEFAULT_REQUIRED_AWS_TAGS = ["environment", "team", "workload"] as const;
/** Labels every Kubernetes workload and its pod template carry (Kubecost/OpenCost allocate by pod labels). */
export const DEFAULT_REQUIRED_KUBERNETES_LABELS = ["app.kubernetes.io/name", "app.kubernetes.io/part-of"] as const;
/** AWS types checked even when they set no `tags` at all (other AWS resources are checked when they have tags). */
export const DEFAULT_TAGGED_AWS_TYPES = [
  "aws:eks/cluster:Cluster",
  "aws:eks/nodeGroup:NodeGroup",
  "aws:kms/key:Key",
  "aws:s3/bucketV2:BucketV2",
  "aws:s3/bucket:Bucket",
  "aws:sqs/queue:Queue",
  "aws:ec2/vpc:Vpc",
  "aws:ec2/subnet:Subnet",
  "aws:ec2/natGateway:NatGateway",
  "aws:ec2/launchTemplate:LaunchTemplate",
  "aws:iam/role:Role",
  "aws:cloudwatch/logGroup:LogGroup",
  "aws:ecr/repository:Repository",
] as const;

const config = z.strictObject({
  /** Required AWS tag keys. @default ["environment", "team", "workload"] */
  requiredAwsTags: z.array(z.string().min(1)).default([...DEFAULT_REQUIRED_AWS_TAGS]),
  /** Required Kubernetes label keys on workloads and their pod templates. @default ["app.kubernetes.io/name", "app.kubernetes.io/part-of"] (tenants are attributed by namespace) */
  requiredKubernetesLabels: z.array(z.string().min(1)).default([...DEFAULT_REQUIRED_KUBERNETES_LABELS]),
  /** AWS types that must carry tags. @default DEFAULT_TAGGED_AWS_TYPES */
  taggedAwsTypes: z.array(z.string()).default([...DEFAULT_TAGGED_AWS_TYPES]),
  /** Namespaces whose workloads are exempt. @default ["kube-system"] */
  exemptNamespaces: z.array(z.string()).default(["kube-system"]),
});

const checks = {
  "aws-tags": "taggable AWS resources carry the required tags (own tags or provider defaultTags)",
  "kubernetes-labels": "workloads and their pod templates carry the required labels",
  "node-class-tags": "every NodePool launches its nodes with a NodeClass of this stack that carries the required tags (Auto Mode nodes get no provider defaultTags)",
} as const;

export const costAllocationTags: RuleDefinition<typeof config> = {
  name: "cost-allocation-tags",
  description: "AWS resources carry the required cost-allocation tags, GPU nodes carry them through their NodeClass, and Kubernetes workloads the required labels, so every GPU dollar is charged to a team.",
  remediation:
    "Set the tags on the AWS provider's defaultTags (or on each resource); give every NodePool a NodeClass of its own (not Auto Mode's built-in `default`) with the tags in spec.tags; and set the labels on each workload's metadata.labels and spec.template.metadata.labels.",
  enforcementLevel: "mandatory",
  checks,
  config,
  evaluate(view, cfg) {
    const found = new Findings("cost-allocation-tags", checks);
    let checked = 0;
    for (const resource of view.resources) {
      if (!resource.type.startsWith("aws:")) continue;
      if (!isPresent(at(resource.props, "tags")) && !cfg.taggedAwsTypes.includes(resource.type)) continue;
      checked += 1;
      found.check("aws-tags", resource.urn, `${describe(resource)}'s tag check`, () => {
        const missing = missingTags(view, resource, cfg.requiredAwsTags);
        if (missing.length > 0) {
          found.violation("aws-tags", resource.urn, `${describe(resource)} lacks cost-allocation tag${missing.length > 1 ? "s" : ""} ${missing.join(", ")}. Set them on the AWS provider's defaultTags or on the resource's \`tags\`.`);
        }
      });
    }
    for (const workload of workloadsOf(view)) {
      const exempt = attempt(() => cfg.exemptNamespaces.includes(known(workload.namespace)));
      if (exempt === true) continue;
      checked += 1;
      const places: readonly [string, () => PlainRecord][] = [
        ["metadata.labels", () => asRecord(at(workload.resource.props, "metadata", "labels"))],
        [`${workload.templatePath}.metadata.labels`, () => workload.podLabels],
      ];
      for (const [path, read] of places) {
        found.check("kubernetes-labels", workload.resource.urn, `${workloadLabel(workload)}'s label check`, () => {
          known(exempt);
          const labels = stringMap(read());
          const missing = cfg.requiredKubernetesLabels.filter((key) => !nonEmpty(entryOf(labels, key)));
          if (missing.length > 0) {
            found.violation("kubernetes-labels", workload.resource.urn, `${workloadLabel(workload)} lacks label${missing.length > 1 ? "s" : ""} ${missing.join(", ")} at \`${path}\`. Add them: cost tools allocate GPU spend by these labels.`);
          }
        });
      }
    }
    for (const pool of view.ofType(TYPES.nodePool)) {
      checked += 1;
      found.check("node-class-tags", pool.urn, `${describe(pool)}'s NodeClass tag check`, () => checkNodeClassTags(view, pool, cfg.requiredAwsTags, found));
    }
    return found.result(checked === 0 ? "no taggable AWS resources, NodePools or Kubernetes workloads in the stack" : undefined);
  },
};

/**
 * EKS Auto Mode launches a pool's instances, volumes and network interfaces itself, tagged with its
 * NodeClass's `spec.tags` only: the provider's `defaultTags` never reach them, and the built-in
 * `default` NodeClass carries no custom tags.
 */
function checkNodeClassTags(view: StackView, pool: ResourceView, required: readonly string[], found: Findings): void {
  const nodeClass = nodeClassOf(view, pool);
  if (nodeClass.builtIn) {
    found.violation("node-class-tags", pool.urn, `${describe(pool)} launches its GPU nodes with Auto Mode's built-in \`default\` NodeClass, which carries no custom tags: its GPU spend is untagged. Point \`spec.template.spec.nodeClassRef.name\` at a NodeClass of this stack whose \`spec.tags\` carry ${required.join(", ")}.`);
    return;
  }
  if (nodeClass.resource === undefined) {
    found.violation("node-class-tags", pool.urn, `${describe(pool)} names a NodeClass this stack does not declare (\`spec.template.spec.nodeClassRef.name\`), so its tags cannot be checked. Declare the NodeClass in the stack with \`spec.tags\` carrying ${required.join(", ")}.`);
    return;
  }
  const tags = stringMap(at(nodeClass.resource.props, "spec", "tags"));
  const missing = required.filter((key) => !nonEmpty(entryOf(tags, key)));
  if (missing.length > 0) {
    found.violation("node-class-tags", pool.urn, `${describe(pool)}'s NodeClass ${describe(nodeClass.resource)} lacks cost-allocation tag${missing.length > 1 ? "s" : ""} ${missing.join(", ")} in \`spec.tags\`: Auto Mode tags the pool's instances with those only. Add them.`);
  }
}

/** A provider's `defaultTags`: providers receive object inputs JSON-encoded, so parse a string. */
function providerDefaultTags(provider: PlainRecord | undefined): Plain | undefined {
  const value = provider === undefined ? undefined : at(provider, "defaultTags");
  if (typeof value !== "string") return value;
  try {
    return snapshot(JSON.parse(value) as unknown, "defaultTags");
  } catch {
    return undefined;
  }
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== "";
}

/**
 * Required tag keys set neither on the resource's own `tags` nor in its provider's
 * `defaultTags.tags`. The provider's tags are read only for keys the resource does not set, so an
 * unknown `defaultTags` matters only when the answer depends on it.
 */
function missingTags(view: StackView, resource: ResourceView, required: readonly string[]): string[] {
  const own = stringMap(at(resource.props, "tags"));
  const notOwn = required.filter((key) => !nonEmpty(entryOf(own, key)));
  if (notOwn.length === 0) return [];
  const provider = view.byUrn(resource.providerUrn)?.props ?? resource.providerProps;
  const defaults = stringMap(at(providerDefaultTags(provider), "tags"));
  return notOwn.filter((key) => !nonEmpty(entryOf(defaults, key)));
}
