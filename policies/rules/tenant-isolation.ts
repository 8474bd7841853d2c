/**
 * tenant-isolation: every namespace that serves a GPU workload is a sealed tenant: Pod Security
 * `restricted`, default-deny network policy, and a GPU quota, so one team's mistake (or
 * compromise) neither reaches another team's model nor spends another team's GPUs.
 */
import { z } from "zod";
import { Findings } from "./internal/findings";
import { GPU_RESOURCE, gpuWorkloadsOf, inNamespace, namespaceResource, TYPES, type Workload } from "./internal/kubernetes";
import type { RuleDefinition } from "./internal/rule";
import { describe, objectName, type ResourceView, type StackView } from "./internal/stack";
import { asArray, asCount, asRecord, asString, at, isRecord, isUnknown, type Plain } from "./internal/values";

const config = z.strictObject({
  /** Namespaces that are not tenants (platform add-ons). @default ["kube-system"] */
  exemptNamespaces: z.array(z.string()).default(["kube-system"]),
  /** Label marking a Namespace as a tenant, checked even before it serves a GPU workload. @default "gpu-inference/tenant" */
  tenantLabel: z.string().min(1).default("gpu-inference/tenant"),
});

const checks = {
  "namespace-declared": "the serving namespace is declared in this stack (so its labels can be checked)",
  "pod-security-restricted": "the namespace enforces Pod Security `restricted`",
  "default-deny": "a NetworkPolicy selects every pod and denies all ingress and egress not allowed by another policy",
  "gpu-quota": "a ResourceQuota caps `requests.nvidia.com/gpu`",
} as const;

const PSS_ENFORCE = "pod-security.kubernetes.io/enforce";
/** Kubernetes quotas extended resources only under `requests.` (kubernetes.io, "Resource Quotas": extended resources). */
const GPU_QUOTA_KEY = `requests.${GPU_RESOURCE}`;

export const tenantIsolation: RuleDefinition<typeof config> = {
  name: "tenant-isolation",
  description: "Each tenant namespace (labelled as a tenant, or serving GPU workloads) enforces Pod Security restricted, has a default-deny NetworkPolicy and a GPU ResourceQuota.",
  remediation:
    "Declare the tenant namespace with label pod-security.kubernetes.io/enforce=restricted, a NetworkPolicy with podSelector {} and policyTypes [Ingress, Egress] (allow traffic with narrower policies), and a ResourceQuota with hard requests.nvidia.com/gpu.",
  enforcementLevel: "mandatory",
  checks,
  config,
  evaluate(view, cfg) {
    const found = new Findings("tenant-isolation", checks);
    const byNamespace = new Map<string, Workload[]>();
    for (const workload of gpuWorkloadsOf(view)) {
      const ns = workload.namespace;
      if (isUnknown(ns)) {
        found.unverified("namespace-declared", workload.resource.urn, `${describe(workload.resource)}'s tenant checks`, "metadata.namespace");
        continue;
      }
      if (cfg.exemptNamespaces.includes(ns)) continue;
      byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), workload]);
    }
    for (const namespace of view.ofType(TYPES.namespace)) {
      const name = objectName(namespace);
      if (typeof name !== "string" || cfg.exemptNamespaces.includes(name) || byNamespace.has(name)) continue;
      if (at(namespace.props, "metadata", "labels", cfg.tenantLabel) !== undefined) byNamespace.set(name, []);
    }
    for (const [ns, workloads] of byNamespace) checkNamespace(view, ns, workloads, found);
    return found.result(byNamespace.size === 0 ? "no tenant namespaces and no GPU workloads in the stack" : undefined);
  },
};

function checkNamespace(view: StackView, ns: string, workloads: readonly Workload[], found: Findings): void {
  const namespace = namespaceResource(view, ns);
  // A namespace is in the map because a GPU workload runs there or because it is declared: one of the two exists.
  const first = workloads[0] as Workload;
  const tenant = namespace !== undefined ? describe(namespace) : `the namespace of ${describe(first.resource)}`;
  const urn = namespace?.urn ?? first.resource.urn;
  if (namespace === undefined) {
    found.violation("namespace-declared", urn, `${describe(first.resource)} runs in a namespace this stack does not declare, so its isolation cannot be checked. Declare the namespace (a Tenant) in this stack.`);
  } else {
    const enforce = at(namespace.props, "metadata", "labels", PSS_ENFORCE);
    if (isUnknown(enforce)) found.unverified("pod-security-restricted", urn, `${tenant}'s Pod Security check`, `metadata.labels["${PSS_ENFORCE}"]`);
    else if (enforce !== "restricted") found.violation("pod-security-restricted", urn, `${tenant} does not enforce Pod Security \`restricted\`: set label \`${PSS_ENFORCE}: restricted\`.`);
  }

  const policies = inNamespace(view, TYPES.networkPolicy, ns);
  const verdicts = policies.map(denyAllVerdict);
  if (!verdicts.includes(true)) {
    const unknown = verdicts.find((v): v is string => typeof v === "string");
    if (unknown !== undefined) found.unverified("default-deny", urn, `${tenant}'s default-deny check`, unknown);
    else found.violation("default-deny", urn, `${tenant} has no default-deny NetworkPolicy (podSelector {} with policyTypes Ingress and Egress and no rules): its pods accept traffic from every namespace. Add one; allow the router with a narrower policy.`);
  }

  const quotas = inNamespace(view, TYPES.resourceQuota, ns);
  const quotaVerdicts = quotas.map((quota) => asCount(at(quota.props, "spec", "hard", GPU_QUOTA_KEY)));
  if (!quotaVerdicts.some((c) => typeof c === "number")) {
    const limitsOnly = quotas.some((quota) => at(quota.props, "spec", "hard", `limits.${GPU_RESOURCE}`) !== undefined);
    if (quotaVerdicts.some(isUnknown)) found.unverified("gpu-quota", urn, `${tenant}'s GPU quota check`, `spec.hard["${GPU_QUOTA_KEY}"]`);
    else if (limitsOnly) found.violation("gpu-quota", urn, `${tenant}'s ResourceQuota caps \`limits.${GPU_RESOURCE}\`, which Kubernetes does not enforce for extended resources (only the \`requests.\` prefix is allowed): the tenant has no GPU cap. Write it as \`${GPU_QUOTA_KEY}\`.`);
    else found.violation("gpu-quota", urn, `${tenant} has no ResourceQuota on \`${GPU_QUOTA_KEY}\`: a runaway autoscaler can take every GPU in the cluster. Add one sized to the tenant's GPU budget.`);
  }
}

/** `true` for a default-deny policy, `false` for another, or the path of an unknown that decides it. */
function denyAllVerdict(policy: ResourceView): boolean | string {
  const spec = at(policy.props, "spec");
  const selector = at(spec, "podSelector");
  if (isUnknown(selector)) return "spec.podSelector";
  if (!selectsEverything(selector)) return false;
  const types = at(spec, "policyTypes");
  if (isUnknown(types)) return "spec.policyTypes";
  const listed = asArray(types).map(asString);
  if (!listed.includes("Ingress") || !listed.includes("Egress")) return false;
  for (const field of ["ingress", "egress"] as const) {
    const rules = at(spec, field);
    if (isUnknown(rules)) return `spec.${field}`;
    if (asArray(rules).length > 0) return false;
  }
  return true;
}

function selectsEverything(selector: Plain | undefined): boolean {
  if (selector === undefined) return true;
  if (!isRecord(selector)) return false;
  return Object.keys(asRecord(selector.matchLabels)).length === 0 && asArray(selector.matchExpressions).length === 0;
}
