/**
 * The EKS Auto Mode NodeClass of a GPU pool (`eks.amazonaws.com/v1`, kind NodeClass), as a plain
 * manifest, and its schema.
 *
 * kubernetes-models publishes no `eks.amazonaws.com` package (Auto Mode's CRDs are not public), so the
 * schema below is written from the NodeClass specification in the Amazon EKS User Guide, "Create a Node
 * Class for Amazon EKS" (https://docs.aws.amazon.com/eks/latest/userguide/create-node-class.html; source
 * github:awsdocs/amazon-eks-user-guide latest/ug/automode/create-node-class.adoc @0026c9df, read
 * 2026-12-02): the fields this project writes, with the documented enums and ranges. Strict objects: a
 * field the specification does not have is an error.
 */
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import {
  BUILT_IN_NODE_CLASS,
  EPHEMERAL_STORAGE_LIMITS,
  isRestrictedNodeClassTagKey,
  NODE_CLASS_API_VERSION,
  NODE_CLASS_KIND,
  parseStorageGiB,
} from "../../policies/node-class";

const L = EPHEMERAL_STORAGE_LIMITS;

/** A selector term: an id, or tags (and, for security groups, a name). */
const subnetTerm = z.union([z.strictObject({ id: z.string().min(1) }), z.strictObject({ tags: z.record(z.string(), z.string()).refine((t) => Object.keys(t).length > 0, { error: "expected at least one tag" }) })]);
const securityGroupTerm = z.union([subnetTerm, z.strictObject({ name: z.string().min(1) })]);

/** A size quantity within 1–59000Gi (or 1–64000G, 1–58Ti, 1–64T). */
const ephemeralSize = z.string().refine(
  (size) => {
    const gib = parseStorageGiB(size);
    return gib !== undefined && /^\d+(Gi|G|Ti|T)$/.test(size) && gib >= L.minSizeGiB && gib <= L.maxSizeGiB;
  },
  { error: `expected a size from ${L.minSizeGiB}Gi to ${L.maxSizeGiB}Gi (or G, Ti, T)` },
);

export const nodeClassSchema = z.strictObject({
  apiVersion: z.literal(NODE_CLASS_API_VERSION),
  kind: z.literal(NODE_CLASS_KIND),
  metadata: z.looseObject({
    /** The docs: "Do not name your custom node class `default`". */
    name: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/)
      .max(253)
      .refine((n) => n !== BUILT_IN_NODE_CLASS, { error: `"${BUILT_IN_NODE_CLASS}" is Auto Mode's built-in NodeClass` }),
    labels: z.record(z.string(), z.string()).optional(),
  }),
  spec: z.strictObject({
    /** Name of the node IAM role (required). */
    role: z.string().min(1),
    /** Required: where nodes launch. */
    subnetSelectorTerms: z.array(subnetTerm).min(1),
    /** Required: the nodes' security groups. */
    securityGroupSelectorTerms: z.array(securityGroupTerm).min(1),
    snatPolicy: z.enum(["Random", "Disabled"]).optional(),
    networkPolicy: z.enum(["DefaultAllow", "DefaultDeny"]).optional(),
    networkPolicyEventLogs: z.enum(["Disabled", "Enabled"]).optional(),
    ephemeralStorage: z
      .strictObject({
        size: ephemeralSize,
        iops: z.number().int().min(L.minIops).max(L.maxIops).optional(),
        throughput: z.number().int().min(L.minThroughputMiBps).max(L.maxThroughputMiBps).optional(),
        kmsKeyID: z.string().min(1).optional(),
      })
      .optional(),
    /** Extra EC2 tags; the keys Auto Mode writes itself are refused. */
    tags: z
      .record(z.string().min(1).max(128), z.string().max(256))
      .refine((tags) => !Object.keys(tags).some(isRestrictedNodeClassTagKey), { error: "a tag key Auto Mode reserves (kubernetes.io/cluster/*, karpenter.sh/*, eks.amazonaws.com/nodeclass)" })
      .optional(),
  }),
});

/** Every problem with a NodeClass manifest, as `NodeClass <name>: <path>: <message>`; empty when it validates. */
export function nodeClassProblems(object: Record<string, unknown>): string[] {
  const parsed = nodeClassSchema.safeParse(object);
  if (parsed.success) return [];
  const name = (object.metadata as { name?: string } | undefined)?.name ?? "?";
  return parsed.error.issues.map((i) => `NodeClass ${name}: ${i.path.join(".") || "(object)"}: ${i.message}`);
}

/** What a GPU pool's NodeClass is built from. Links to other resources are inputs; sizes and tags are plain (the pack reads them at preview). */
export interface NodeClassSettings {
  /** NodeClass name (`metadata.name`), never `default`. */
  readonly name: string;
  /** Node IAM role name (`spec.role`): the role the cluster's `computeConfig.nodeRoleArn` names, whose access entry EKS creates. */
  readonly roleName: pulumi.Input<string>;
  /** Private subnet ids the nodes launch in (`spec.subnetSelectorTerms[].id`). */
  readonly subnetIds: readonly pulumi.Input<string>[];
  /** Security group ids of the nodes (`spec.securityGroupSelectorTerms[].id`): the cluster security group EKS creates. */
  readonly securityGroupIds: readonly pulumi.Input<string>[];
  /** Node disk, GiB (`spec.ephemeralStorage.size`). */
  readonly diskGiB: number;
  /** gp3 IOPS of the node disk (`spec.ephemeralStorage.iops`). */
  readonly diskIops: number;
  /** gp3 throughput of the node disk, MiB/s (`spec.ephemeralStorage.throughput`). */
  readonly diskThroughputMiBps: number;
  /** EC2 tags on every instance, root volume and network interface of the pool (`spec.tags`). */
  readonly tags: Readonly<Record<string, string>>;
  /** Labels on the NodeClass object. */
  readonly labels: Readonly<Record<string, string>>;
}

/** The NodeClass manifest (`metadata` and `spec`) of one pool. */
export function nodeClassManifest(s: NodeClassSettings): { metadata: Record<string, unknown>; spec: Record<string, unknown> } {
  return {
    metadata: { name: s.name, labels: { ...s.labels } },
    spec: {
      role: s.roleName,
      subnetSelectorTerms: s.subnetIds.map((id) => ({ id })),
      securityGroupSelectorTerms: s.securityGroupIds.map((id) => ({ id })),
      ephemeralStorage: { size: `${s.diskGiB}Gi`, iops: s.diskIops, throughput: s.diskThroughputMiBps },
      ...(Object.keys(s.tags).length > 0 ? { tags: { ...s.tags } } : {}),
    },
  };
}
