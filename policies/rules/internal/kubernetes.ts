/**
 * Kubernetes shapes the rules share: type tokens, pod templates of every workload kind, GPU
 * counts, label selection, and the resources related to a workload (its ScaledObject, HPA,
 * PodDisruptionBudget, namespace, quota, node pool).
 */
import { describe, namespaceOf, objectName, type ResourceView, type StackView } from "./stack";
import { asArray, asCount, asRecord, asString, at, isRecord, isUnknown, stringMap, Unknown, type Plain, type PlainRecord } from "./values";

export const TYPES = {
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  daemonSet: "kubernetes:apps/v1:DaemonSet",
  job: "kubernetes:batch/v1:Job",
  namespace: "kubernetes:core/v1:Namespace",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  resourceQuota: "kubernetes:core/v1:ResourceQuota",
  podDisruptionBudget: "kubernetes:policy/v1:PodDisruptionBudget",
  hpa: ["kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "kubernetes:autoscaling/v1:HorizontalPodAutoscaler"],
  scaledObject: "kubernetes:keda.sh/v1alpha1:ScaledObject",
  scaledJob: "kubernetes:keda.sh/v1alpha1:ScaledJob",
  nodePool: "kubernetes:karpenter.sh/v1:NodePool",
  eksCluster: "aws:eks/cluster:Cluster",
} as const;

export const GPU_RESOURCE = "nvidia.com/gpu";
/** Node label Karpenter (and EKS Auto Mode) puts on every node of a NodePool. */
export const NODEPOOL_LABEL = "karpenter.sh/nodepool";

/** A pod-creating object: where its pod template lives and what it says. */
export interface Workload {
  readonly resource: ResourceView;
  readonly kind: "Deployment" | "StatefulSet" | "DaemonSet" | "Job" | "ScaledJob";
  /** Property path of the pod template, for messages. */
  readonly templatePath: string;
  readonly podSpec: PlainRecord;
  readonly podLabels: PlainRecord;
  readonly namespace: string | Unknown;
}

const WORKLOAD_KINDS: readonly { type: string; kind: Workload["kind"]; template: readonly string[] }[] = [
  { type: TYPES.deployment, kind: "Deployment", template: ["spec", "template"] },
  { type: TYPES.statefulSet, kind: "StatefulSet", template: ["spec", "template"] },
  { type: TYPES.daemonSet, kind: "DaemonSet", template: ["spec", "template"] },
  { type: TYPES.job, kind: "Job", template: ["spec", "template"] },
  { type: TYPES.scaledJob, kind: "ScaledJob", template: ["spec", "jobTargetRef", "template"] },
];

export function workloadsOf(view: StackView): Workload[] {
  return WORKLOAD_KINDS.flatMap(({ type, kind, template }) =>
    view.ofType(type).map((resource) => ({
      resource,
      kind,
      templatePath: template.join("."),
      podSpec: asRecord(at(resource.props, ...template, "spec")),
      podLabels: asRecord(at(resource.props, ...template, "metadata", "labels")),
      namespace: namespaceOf(resource),
    })),
  );
}

export interface ContainerRef {
  readonly container: PlainRecord;
  /** `spec.template.spec.containers[0]`, for messages. */
  readonly path: string;
  /** Container name, or its index when unnamed; a Kubernetes name, not a secret. */
  readonly label: string;
}

export function containersOf(workload: Workload): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const field of ["initContainers", "containers"] as const) {
    asArray(workload.podSpec[field]).forEach((container, i) => {
      const record = asRecord(container);
      const name = asString(record.name);
      out.push({ container: record, path: `${workload.templatePath}.spec.${field}[${i}]`, label: name !== undefined ? `"${name}"` : `#${i}` });
    });
  }
  return out;
}

/** GPUs one pod asks for: the sum of its containers' `nvidia.com/gpu` limits (requests when no limit). */
export function gpusPerPod(workload: Workload): number | Unknown {
  let total = 0;
  for (const { container, path } of containersOf(workload)) {
    const limit = at(container, "resources", "limits", GPU_RESOURCE);
    const request = at(container, "resources", "requests", GPU_RESOURCE);
    const value = limit !== undefined ? limit : request;
    const count = asCount(value);
    if (count instanceof Unknown) return new Unknown(`${path}.resources.limits["${GPU_RESOURCE}"]`);
    total += count ?? 0;
  }
  return total;
}

/** Whether the workload is a GPU workload: it asks for GPUs, or tolerates/selects GPU nodes. */
export function isGpuWorkload(workload: Workload): boolean {
  const gpus = gpusPerPod(workload);
  if (isUnknown(gpus) || gpus > 0) return true;
  const tolerations = asArray(workload.podSpec.tolerations);
  return tolerations.some((t) => asString(at(t, "key")) === GPU_RESOURCE);
}

export function gpuWorkloadsOf(view: StackView): Workload[] {
  return workloadsOf(view).filter(isGpuWorkload);
}

/** Node labels a NodePool's nodes carry: its template labels plus `karpenter.sh/nodepool: <name>`. */
export function nodePoolLabels(pool: ResourceView): ReadonlyMap<string, string | Unknown> {
  const labels = new Map(stringMap(at(pool.props, "spec", "template", "metadata", "labels")));
  const name = objectName(pool);
  if (name !== undefined) labels.set(NODEPOOL_LABEL, name);
  return labels;
}

export type PoolSelection =
  | { readonly kind: "unknown"; readonly unknown: Unknown }
  /** No nodeSelector or required node affinity names a pool. */
  | { readonly kind: "none" }
  /** The NodePools of this stack whose nodes satisfy the workload's `nodeSelector` (maybe none). */
  | { readonly kind: "selected"; readonly pools: readonly ResourceView[]; readonly byNodePoolLabel: boolean };

/**
 * The GPU node pool(s) a workload can land on: NodePools of the stack whose node labels (template
 * labels and `karpenter.sh/nodepool`) satisfy every pool-identifying entry of its `nodeSelector`.
 */
export function selectedNodePools(view: StackView, workload: Workload): PoolSelection {
  const selectorValue = at(workload.podSpec, "nodeSelector");
  if (isUnknown(selectorValue)) return { kind: "unknown", unknown: selectorValue };
  const selector = new Map(stringMap(selectorValue));
  const affinityPool = poolFromAffinity(workload);
  if (isUnknown(affinityPool)) return { kind: "unknown", unknown: affinityPool };
  if (affinityPool !== undefined && !selector.has(NODEPOOL_LABEL)) selector.set(NODEPOOL_LABEL, affinityPool);
  for (const value of selector.values()) if (isUnknown(value)) return { kind: "unknown", unknown: value };
  const pools = view.ofType(TYPES.nodePool);
  const poolKeys = new Set<string>([NODEPOOL_LABEL]);
  for (const pool of pools) for (const key of nodePoolLabels(pool).keys()) poolKeys.add(key);
  const identifying = [...selector].filter(([key]) => poolKeys.has(key));
  // No NodePool in the stack to say which keys identify a pool: any selector entry might.
  if (pools.length === 0 && selector.size > 0) return { kind: "selected", pools: [], byNodePoolLabel: selector.has(NODEPOOL_LABEL) };
  if (identifying.length === 0) return { kind: "none" };
  const matching = pools.filter((pool) => {
    const labels = nodePoolLabels(pool);
    return identifying.every(([key, value]) => labels.get(key) === value);
  });
  return { kind: "selected", pools: matching, byNodePoolLabel: selector.has(NODEPOOL_LABEL) };
}

function poolFromAffinity(workload: Workload): string | Unknown | undefined {
  const terms = at(workload.podSpec, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms");
  if (isUnknown(terms)) return terms;
  for (const term of asArray(terms)) {
    for (const expression of asArray(at(term, "matchExpressions"))) {
      if (asString(at(expression, "key")) !== NODEPOOL_LABEL || asString(at(expression, "operator")) !== "In") continue;
      const values = asArray(at(expression, "values"));
      if (values.length === 1) return isUnknown(values[0]) ? (values[0] as Unknown) : asString(values[0]);
    }
  }
  return undefined;
}

/** Same namespace (unknown namespaces never match). */
export function sameNamespace(a: string | Unknown, b: string | Unknown): boolean {
  return typeof a === "string" && typeof b === "string" && a === b;
}

/**
 * Whether a label selector (`matchLabels` / `matchExpressions`) selects pods with these labels.
 * `Unknown` when the answer depends on an unknown; an empty selector selects everything.
 */
export function selectorMatches(selector: Plain | undefined, labels: PlainRecord): boolean | Unknown {
  if (isUnknown(selector)) return selector;
  const podLabels = stringMap(labels);
  for (const [key, wanted] of stringMap(at(selector, "matchLabels"))) {
    const actual = podLabels.get(key);
    if (isUnknown(wanted)) return wanted;
    if (isUnknown(actual)) return actual;
    if (actual !== wanted) return false;
  }
  for (const expression of asArray(at(selector, "matchExpressions"))) {
    const key = asString(at(expression, "key")) ?? "";
    const operator = asString(at(expression, "operator"));
    const values = asArray(at(expression, "values")).map(asString);
    const actual = podLabels.get(key);
    if (isUnknown(actual)) return actual;
    const ok =
      operator === "In"
        ? actual !== undefined && values.includes(actual)
        : operator === "NotIn"
          ? actual === undefined || !values.includes(actual)
          : operator === "Exists"
            ? actual !== undefined
            : operator === "DoesNotExist"
              ? actual === undefined
              : false;
    if (!ok) return false;
  }
  return true;
}

/** Resources of `type` in the workload's namespace whose `scaleTargetRef`-style reference names the workload. */
export function targetingWorkload(view: StackView, workload: Workload, types: readonly string[], refPath: readonly string[]): ResourceView[] {
  const name = objectName(workload.resource);
  if (typeof name !== "string") return [];
  return view.ofType(...types).filter((candidate) => {
    if (!sameNamespace(namespaceOf(candidate), workload.namespace)) return false;
    const ref = at(candidate.props, ...refPath);
    const kind = asString(at(ref, "kind")) ?? "Deployment";
    return asString(at(ref, "name")) === name && kind === workload.kind;
  });
}

export function scaledObjectsOf(view: StackView, workload: Workload): ResourceView[] {
  return targetingWorkload(view, workload, [TYPES.scaledObject], ["spec", "scaleTargetRef"]);
}

export function hpasOf(view: StackView, workload: Workload): ResourceView[] {
  return targetingWorkload(view, workload, TYPES.hpa, ["spec", "scaleTargetRef"]);
}

/** The Namespace resource declaring `name`, if this stack declares it. */
export function namespaceResource(view: StackView, name: string): ResourceView | undefined {
  return view.ofType(TYPES.namespace).find((ns) => objectName(ns) === name);
}

/** Objects of a type in a namespace (unknown namespaces excluded). */
export function inNamespace(view: StackView, type: string, namespace: string): ResourceView[] {
  return view.ofType(type).filter((r) => sameNamespace(namespaceOf(r), namespace));
}

export function workloadLabel(workload: Workload): string {
  return describe(workload.resource);
}

export function isRecordValue(value: Plain | undefined): value is PlainRecord {
  return isRecord(value);
}
