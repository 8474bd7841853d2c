/**
 * tenant-isolation: every namespace that serves a GPU workload is a sealed tenant: Pod Security
 * `restricted`, default-deny network policy, and a GPU quota, so one team's mistake (or
 * compromise) neither reaches another team's model nor spends another team's GPUs.
 */
import { z } from "zod";
import { Findings } from "./internal/findings";
import { atMaxTerms, fullScaleGpus, surgeTerm } from "./internal/full-scale";
import {
  GPU_RESOURCE,
  gpuWorkloadsOf,
  inNamespace,
  namespaceResource,
  requireGpu,
  sameNamespace,
  selectorMatches,
  TYPES,
  type GpuWorkload,
} from "./internal/kubernetes";
import type { RuleDefinition } from "./internal/rule";
import { describe, namespaceOf, objectName, type ResourceView, type StackView } from "./internal/stack";
import { asArray, asCount, asFlag, asRecord, asString, at, attempt, isPresent, isUnknown, known, type Plain, type Unknown } from "./internal/values";

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
  "quota-headroom": "the GPU quota holds every GPU workload of the namespace at max replicas plus the largest rolling-update surge (else a rollout at full scale stalls)",
  "allow-all-ingress": "no NetworkPolicy admits ingress from everywhere (a rule without `from`, an empty peer, or 0.0.0.0/0)",
  "network-policy-enforcement": "NetworkPolicies are enforced: the VPC CNI's network policy controller is not switched off, and is switched on for EKS Auto Mode",
  "engine-exposed": "no LoadBalancer or NodePort Service selects GPU serving pods (clients go through the router)",
} as const;

const PSS_ENFORCE = "pod-security.kubernetes.io/enforce";
/** Kubernetes quotas extended resources only under `requests.` (kubernetes.io, "Resource Quotas": extended resources). */
const GPU_QUOTA_KEY = `requests.${GPU_RESOURCE}`;
/** The VPC CNI's ConfigMap and key that switch on NetworkPolicy enforcement (EKS user guide, "Restrict Pod network traffic with Kubernetes network policies", Auto Mode). */
const VPC_CNI_CONFIG = { namespace: "kube-system", name: "amazon-vpc-cni", key: "enable-network-policy-controller" } as const;
const CONFIG_MAP_TYPES = ["kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:ConfigMapPatch"] as const;
const SERVICE_TYPES = ["kubernetes:core/v1:Service", "kubernetes:core/v1:ServicePatch"] as const;
const ADDON_TYPE = "aws:eks/addon:Addon";
const ANYWHERE = new Set(["0.0.0.0/0", "::/0"]);

export const tenantIsolation: RuleDefinition<typeof config> = {
  name: "tenant-isolation",
  description:
    "Each tenant namespace (labelled as a tenant, or serving GPU workloads) enforces Pod Security restricted, has a default-deny NetworkPolicy and a GPU ResourceQuota; NetworkPolicies are enforced and admit no ingress from everywhere; no Service exposes GPU serving pods outside the cluster.",
  remediation:
    "Declare the tenant namespace with label pod-security.kubernetes.io/enforce=restricted, a NetworkPolicy with podSelector {} and policyTypes [Ingress, Egress] (allow traffic with narrower policies naming their peers), and a ResourceQuota with hard requests.nvidia.com/gpu; keep the VPC CNI's network policy controller on (kube-system/amazon-vpc-cni enable-network-policy-controller: \"true\" on Auto Mode, enableNetworkPolicy on the vpc-cni add-on); serve engines through a ClusterIP Service behind the router.",
  enforcementLevel: "mandatory",
  checks,
  config,
  evaluate(view, cfg) {
    const found = new Findings("tenant-isolation", checks);
    const byNamespace = new Map<string, GpuWorkload[]>();
    const tenantChecks = ["namespace-declared", "pod-security-restricted", "default-deny", "gpu-quota", "quota-headroom"] as const;
    const gpuWorkloads = gpuWorkloadsOf(view);
    for (const workload of gpuWorkloads) {
      const ns = workload.namespace;
      if (isUnknown(ns)) {
        for (const check of tenantChecks) found.check(check, workload.resource.urn, `${describe(workload.resource)}'s tenant checks`, () => known(ns));
        continue;
      }
      if (cfg.exemptNamespaces.includes(ns)) continue;
      byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), workload]);
    }
    const tenants = new Set<string>();
    for (const namespace of view.ofType(TYPES.namespace)) {
      const name = objectName(namespace);
      const labelled = attempt(() => isPresent(at(namespace.props, "metadata", "labels", cfg.tenantLabel)));
      if (labelled === false) continue;
      // Whether it is a tenant, or which one, is unknown: its tenant checks cannot decide.
      const unknown = isUnknown(labelled) ? labelled : isUnknown(name) ? name : undefined;
      if (unknown !== undefined) {
        if (!(typeof name === "string" && byNamespace.has(name))) {
          for (const check of tenantChecks) found.check(check, namespace.urn, `${describe(namespace)}'s tenant checks`, () => known(unknown));
        }
        continue;
      }
      if (typeof name !== "string" || cfg.exemptNamespaces.includes(name)) continue;
      tenants.add(name);
      if (!byNamespace.has(name)) byNamespace.set(name, []);
    }
    for (const [ns, workloads] of byNamespace) checkNamespace(view, ns, workloads, tenants.has(ns), found);
    const networkPolicies = checkNetworkPolicies(view, cfg.exemptNamespaces, found);
    checkEnforcement(view, networkPolicies, found);
    checkExposure(view, gpuWorkloads, found);
    const checked = byNamespace.size + networkPolicies + view.ofType(...SERVICE_TYPES).length;
    return found.result(checked === 0 ? "no tenant namespaces, GPU workloads, NetworkPolicies or Services in the stack" : undefined);
  },
};

function checkNamespace(view: StackView, ns: string, workloads: readonly GpuWorkload[], labelledTenant: boolean, found: Findings): void {
  // A namespace is in the map because a GPU workload runs there or because it is declared: one of the two exists.
  const first = workloads[0] as GpuWorkload;
  const declared = attempt(() => namespaceResource(view, ns));
  const namespace = isUnknown(declared) ? undefined : declared;
  const tenant = namespace !== undefined ? describe(namespace) : `the namespace of ${describe(first.resource)}`;
  const urn = namespace?.urn ?? first.resource.urn;
  // A namespace that is a tenant only through workloads that may not use GPUs cannot be judged at preview.
  const requireTenant = () => {
    if (labelledTenant) return;
    if (!workloads.some((w) => w.gpu === true)) known(workloads.find((w) => isUnknown(w.gpu))?.gpu as Unknown);
  };
  found.check("namespace-declared", urn, `${tenant}'s declaration check`, () => {
    requireTenant();
    if (known(declared) === undefined) {
      found.violation("namespace-declared", urn, `${describe(first.resource)} runs in a namespace this stack does not declare, so its isolation cannot be checked. Declare the namespace (a Tenant) in this stack.`);
    }
  });
  if (namespace !== undefined) {
    found.check("pod-security-restricted", urn, `${tenant}'s Pod Security check`, () => {
      requireTenant();
      if (asString(at(namespace.props, "metadata", "labels", PSS_ENFORCE)) !== "restricted") {
        found.violation("pod-security-restricted", urn, `${tenant} does not enforce Pod Security \`restricted\`: set label \`${PSS_ENFORCE}: restricted\`.`);
      }
    });
  }

  found.check("default-deny", urn, `${tenant}'s default-deny check`, () => {
    requireTenant();
    const verdicts = inNamespace(view, TYPES.networkPolicy, ns).map((policy) => attempt(() => isDenyAll(policy)));
    if (verdicts.includes(true)) return;
    const unknown = verdicts.find(isUnknown);
    if (unknown !== undefined) known(unknown);
    found.violation("default-deny", urn, `${tenant} has no default-deny NetworkPolicy (podSelector {} with policyTypes Ingress and Egress and no rules): its pods accept traffic from every namespace. Add one; allow the router with a narrower policy.`);
  });

  found.check("gpu-quota", urn, `${tenant}'s GPU quota check`, () => {
    requireTenant();
    const quotas = inNamespace(view, TYPES.resourceQuota, ns);
    const counts = quotas.map((quota) => attempt(() => asCount(at(quota.props, "spec", "hard", GPU_QUOTA_KEY))));
    if (counts.some((c) => typeof c === "number")) return;
    const unknown = counts.find(isUnknown);
    if (unknown !== undefined) known(unknown);
    if (quotas.some((quota) => isPresent(at(quota.props, "spec", "hard", `limits.${GPU_RESOURCE}`)))) {
      found.violation("gpu-quota", urn, `${tenant}'s ResourceQuota caps \`limits.${GPU_RESOURCE}\`, which Kubernetes does not enforce for extended resources (only the \`requests.\` prefix is allowed): the tenant has no GPU cap. Write it as \`${GPU_QUOTA_KEY}\`.`);
    } else {
      found.violation("gpu-quota", urn, `${tenant} has no ResourceQuota on \`${GPU_QUOTA_KEY}\`: a runaway autoscaler can take every GPU in the cluster. Add one sized to the tenant's GPU budget.`);
    }
  });

  found.check("quota-headroom", urn, `${tenant}'s GPU quota headroom check`, () => {
    requireTenant();
    const hards = inNamespace(view, TYPES.resourceQuota, ns).map((quota) => asCount(at(quota.props, "spec", "hard", GPU_QUOTA_KEY)));
    const numeric = hards.filter((h): h is number => h !== undefined);
    if (numeric.length === 0) return; // no quota: the gpu-quota check reports it
    const hard = Math.min(...numeric);
    const scale = fullScaleGpus(view, workloads);
    if (hard >= scale.neededGpus) return;
    found.violation(
      "quota-headroom",
      urn,
      `${tenant}'s GPU quota (\`${GPU_QUOTA_KEY}: ${hard}\`) is below what its workloads can hold: ${scale.atMaxGpus} GPUs at max replicas (${atMaxTerms(scale)})${surgeTerm(scale)} = ${scale.neededGpus}. ` +
        (scale.largestSurge === undefined
          ? `Raise the quota to ${scale.neededGpus}.`
          : `At full scale a rollout's surge pod is rejected by the quota and the rollout stalls. Raise the quota to ${scale.neededGpus}, or roll that Deployment with maxSurge: 0 (it then drops a replica during the rollout).`),
    );
  });
}

/** Whether a policy is default-deny: selects every pod, both policy types, no rules. Throws `UnknownRead`. */
function isDenyAll(policy: ResourceView): boolean {
  const spec = at(policy.props, "spec");
  if (!selectsEverything(at(spec, "podSelector"))) return false;
  const listed = asArray(at(spec, "policyTypes")).map(asString);
  if (!listed.includes("Ingress") || !listed.includes("Egress")) return false;
  return asArray(at(spec, "ingress")).length === 0 && asArray(at(spec, "egress")).length === 0;
}

function selectsEverything(selector: Plain | undefined): boolean {
  if (known(selector) === undefined) return true;
  return Object.keys(asRecord(at(selector, "matchLabels"))).length === 0 && asArray(at(selector, "matchExpressions")).length === 0;
}

/** Whether one NetworkPolicy ingress peer admits every source. */
function peerIsAnywhere(peer: Plain): boolean {
  const record = asRecord(peer);
  if (Object.keys(record).length === 0) return true;
  const cidr = asString(at(record, "ipBlock", "cidr"));
  return cidr !== undefined && ANYWHERE.has(cidr) && asArray(at(record, "ipBlock", "except")).length === 0;
}

/** allow-all-ingress over every NetworkPolicy of the stack outside the exempt namespaces; returns how many it looked at. */
function checkNetworkPolicies(view: StackView, exempt: readonly string[], found: Findings): number {
  const policies = view.ofType(TYPES.networkPolicy);
  for (const policy of policies) {
    found.check("allow-all-ingress", policy.urn, `${describe(policy)}'s ingress check`, () => {
      if (exempt.includes(known(namespaceOf(policy)))) return;
      const types = at(policy.props, "spec", "policyTypes");
      // Kubernetes implies Ingress when policyTypes is left out.
      if (isPresent(types) && !asArray(types).map(asString).includes("Ingress")) return;
      asArray(at(policy.props, "spec", "ingress")).forEach((rule, i) => {
        const from = at(rule, "from");
        if (asArray(from).length === 0 || asArray(from).some(peerIsAnywhere)) {
          found.violation("allow-all-ingress", policy.urn, `${describe(policy)} admits ingress from everywhere at \`spec.ingress[${i}]\` (no \`from\`, an empty peer, or 0.0.0.0/0): it undoes the tenant's default-deny. Name the peers (the router's namespace and pods).`);
        }
      });
    });
  }
  return policies.length;
}

/** network-policy-enforcement: the controller that enforces NetworkPolicies is on wherever the stack relies on them. */
function checkEnforcement(view: StackView, networkPolicies: number, found: Findings): void {
  const vpcCniConfigs = view.ofType(...CONFIG_MAP_TYPES).filter((cm) => attempt(() => objectName(cm) === VPC_CNI_CONFIG.name && known(namespaceOf(cm)) === VPC_CNI_CONFIG.namespace) !== false);
  let switchedOn = false;
  for (const cm of vpcCniConfigs) {
    found.check("network-policy-enforcement", cm.urn, `${describe(cm)}'s network policy controller check`, () => {
      if (known(objectName(cm)) !== VPC_CNI_CONFIG.name || known(namespaceOf(cm)) !== VPC_CNI_CONFIG.namespace) return;
      const value = at(cm.props, "data", VPC_CNI_CONFIG.key);
      if (!isPresent(value)) return;
      if (asFlag(value) === true) switchedOn = true;
      else found.violation("network-policy-enforcement", cm.urn, `${describe(cm)} sets \`data["${VPC_CNI_CONFIG.key}"]\` to other than "true": no NetworkPolicy is enforced, so every tenant's default-deny is a dead letter. Set it to "true".`);
    });
  }
  for (const addon of view.ofType(ADDON_TYPE)) {
    found.check("network-policy-enforcement", addon.urn, `${describe(addon)}'s network policy check`, () => {
      if (asString(at(addon.props, "addonName")) !== "vpc-cni") return;
      const raw = at(addon.props, "configurationValues");
      const text = asString(raw);
      let enabled: boolean | undefined;
      if (text !== undefined) {
        try {
          const parsed = JSON.parse(text) as { enableNetworkPolicy?: unknown };
          enabled = parsed.enableNetworkPolicy === true || parsed.enableNetworkPolicy === "true";
        } catch {
          enabled = undefined;
        }
      }
      if (enabled === true) switchedOn = true;
      else if (networkPolicies > 0) {
        found.violation("network-policy-enforcement", addon.urn, `${describe(addon)} (vpc-cni) does not set \`enableNetworkPolicy: "true"\` in its configurationValues, but the stack declares NetworkPolicies: they are not enforced. Turn it on.`);
      }
    });
  }
  if (networkPolicies === 0) return;
  for (const cluster of view.ofType(TYPES.eksCluster)) {
    found.check("network-policy-enforcement", cluster.urn, `${describe(cluster)}'s network policy check`, () => {
      if (asFlag(at(cluster.props, "computeConfig", "enabled")) !== true || switchedOn) return;
      // A ConfigMap whose name or namespace is unknown may be the one that switches it on.
      for (const cm of view.ofType(...CONFIG_MAP_TYPES)) {
        known(objectName(cm));
        known(namespaceOf(cm));
      }
      found.violation("network-policy-enforcement", cluster.urn, `${describe(cluster)} runs EKS Auto Mode, which enforces NetworkPolicies only once \`${VPC_CNI_CONFIG.namespace}/${VPC_CNI_CONFIG.name}\` sets \`${VPC_CNI_CONFIG.key}: "true"\`; this stack declares NetworkPolicies but never switches it on. Add that ConfigMap (or a ConfigMapPatch).`);
    });
  }
}

/** engine-exposed: no Service of type LoadBalancer or NodePort selects the pods of a GPU workload. */
function checkExposure(view: StackView, gpuWorkloads: readonly GpuWorkload[], found: Findings): void {
  for (const service of view.ofType(...SERVICE_TYPES)) {
    found.check("engine-exposed", service.urn, `${describe(service)}'s exposure check`, () => {
      const type = asString(at(service.props, "spec", "type"));
      if (type !== "LoadBalancer" && type !== "NodePort") return;
      const selector = asRecord(at(service.props, "spec", "selector"));
      if (Object.keys(selector).length === 0) return;
      for (const workload of gpuWorkloads) {
        if (!sameNamespace(namespaceOf(service), workload.namespace)) continue;
        if (!selectorMatches({ matchLabels: selector }, workload.podLabels)) continue;
        requireGpu(workload);
        found.violation("engine-exposed", service.urn, `${describe(service)} is a ${type} Service selecting the pods of GPU workload ${describe(workload.resource)}: the engine is reachable from outside the cluster, past the router's auth, fallback and rate limits. Make it ClusterIP and route clients through the router.`);
      }
    });
  }
}
