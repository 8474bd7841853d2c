/**
 * Kubernetes shapes the rules share: type tokens, pod templates of every workload kind, GPU
 * counts, label selection, and the resources related to a workload (its ScaledObject, HPA,
 * PodDisruptionBudget, namespace, quota, node pool).
 */
import { BUILT_IN_NODE_CLASS, NODE_CLASS_TYPE } from "../../node-class";
import { describe, namespaceOf, objectName, type ResourceView, type StackView } from "./stack";
import { asArray, asCount, asRecord, asString, at, entryOf, isRecord, known, stringMap, Unknown, UnknownRead, type Plain, type PlainRecord } from "./values";

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
  nodeClass: NODE_CLASS_TYPE,
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
  /** The pod spec; reading it throws `UnknownRead` when the template or its spec is unknown. */
  readonly podSpec: PlainRecord;
  /** The pod template's labels; reading them throws `UnknownRead` when unknown. */
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
      // Getters: an unknown template is read (and reported) by the check that needs it, never as an empty pod.
      get podSpec() {
        return asRecord(at(resource.props, ...template, "spec"));
      },
      get podLabels() {
        return asRecord(at(resource.props, ...template, "metadata", "labels"));
      },
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
      const name = record.name;
      out.push({ container: record, path: `${workload.templatePath}.spec.${field}[${i}]`, label: typeof name === "string" ? `"${name}"` : `#${i}` });
    });
  }
  return out;
}

/** A container's GPUs: its `nvidia.com/gpu` limit, its request when no limit. */
export function containerGpus(container: PlainRecord): number {
  const limit = at(container, "resources", "limits", GPU_RESOURCE);
  const value = limit !== undefined ? limit : at(container, "resources", "requests", GPU_RESOURCE);
  return asCount(value) ?? 0;
}

/** GPUs one pod asks for: the sum of its containers' `nvidia.com/gpu` limits (requests when no limit). Throws `UnknownRead`. */
export function gpusPerPod(workload: Workload): number {
  return containersOf(workload).reduce((total, { container }) => total + containerGpus(container), 0);
}

/**
 * Whether the workload is a GPU workload: it asks for GPUs, or tolerates GPU nodes. `Unknown` when
 * that depends on an unknown value (an unknown pod template is not a CPU workload).
 */
export function gpuDemand(workload: Workload): boolean | Unknown {
  let unknown: Unknown | undefined;
  try {
    if (gpusPerPod(workload) > 0) return true;
  } catch (error) {
    if (!(error instanceof UnknownRead)) throw error;
    unknown = error.unknown;
  }
  try {
    if (asArray(workload.podSpec.tolerations).some((t) => asString(at(t, "key")) === GPU_RESOURCE)) return true;
  } catch (error) {
    if (!(error instanceof UnknownRead)) throw error;
    unknown ??= error.unknown;
  }
  return unknown ?? false;
}

/** A workload that is, or may be, a GPU workload. */
export interface GpuWorkload extends Workload {
  /** `true`, or the unknown that decides whether it is one. */
  readonly gpu: true | Unknown;
}

/** Workloads that are GPU workloads, and those that may be (their GPU demand is unknown at preview). */
export function gpuWorkloadsOf(view: StackView): GpuWorkload[] {
  return workloadsOf(view).flatMap((workload) => {
    const gpu = gpuDemand(workload);
    return gpu === false ? [] : [Object.defineProperty(Object.create(workload) as GpuWorkload, "gpu", { value: gpu, enumerable: true })];
  });
}

/** Throws `UnknownRead` when it is not known whether the workload is a GPU workload: a GPU check on it cannot decide. */
export function requireGpu(workload: GpuWorkload): void {
  known(workload.gpu);
}

/** Node labels a NodePool's nodes carry: its template labels plus `karpenter.sh/nodepool: <name>`. */
export function nodePoolLabels(pool: ResourceView): ReadonlyMap<string, string | Unknown> {
  const labels = new Map(stringMap(at(pool.props, "spec", "template", "metadata", "labels")));
  const name = objectName(pool);
  if (name !== undefined) labels.set(NODEPOOL_LABEL, name);
  return labels;
}

export type PoolSelection =
  /** No nodeSelector or required node affinity names a pool. */
  | { readonly kind: "none" }
  /** The NodePools of this stack whose nodes satisfy the workload's `nodeSelector` (maybe none). */
  | { readonly kind: "selected"; readonly pools: readonly ResourceView[]; readonly byNodePoolLabel: boolean };

/**
 * The GPU node pool(s) a workload can land on: NodePools of the stack whose node labels (template
 * labels and `karpenter.sh/nodepool`) satisfy every pool-identifying entry of its `nodeSelector`.
 * Throws `UnknownRead` when the selector, or a pool label it is matched against, is unknown.
 */
export function selectedNodePools(view: StackView, workload: Workload): PoolSelection {
  const selectorMap = stringMap(at(workload.podSpec, "nodeSelector"));
  const selector = new Map<string, string>();
  for (const key of selectorMap.keys()) selector.set(key, entryOf(selectorMap, key) as string);
  const affinityPool = poolFromAffinity(workload);
  if (affinityPool !== undefined && !selector.has(NODEPOOL_LABEL)) selector.set(NODEPOOL_LABEL, affinityPool);
  const pools = view.ofType(TYPES.nodePool);
  const poolKeys = new Set<string>([NODEPOOL_LABEL]);
  for (const pool of pools) for (const key of nodePoolLabels(pool).keys()) poolKeys.add(key);
  const identifying = [...selector].filter(([key]) => poolKeys.has(key));
  // No NodePool in the stack to say which keys identify a pool: any selector entry might.
  if (pools.length === 0 && selector.size > 0) return { kind: "selected", pools: [], byNodePoolLabel: selector.has(NODEPOOL_LABEL) };
  if (identifying.length === 0) return { kind: "none" };
  const matching = pools.filter((pool) => {
    const labels = nodePoolLabels(pool);
    return identifying.every(([key, value]) => entryOf(labels, key) === value);
  });
  return { kind: "selected", pools: matching, byNodePoolLabel: selector.has(NODEPOOL_LABEL) };
}

function poolFromAffinity(workload: Workload): string | undefined {
  const terms = at(workload.podSpec, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms");
  for (const term of asArray(terms)) {
    for (const expression of asArray(at(term, "matchExpressions"))) {
      if (asString(at(expression, "key")) !== NODEPOOL_LABEL || asString(at(expression, "operator")) !== "In") continue;
      const values = asArray(at(expression, "values"));
      if (values.length === 1) return asString(values[0]);
    }
  }
  return undefined;
}

/** The NodeClass a NodePool launches its nodes with. */
export interface PoolNodeClass {
  /** `spec.template.spec.nodeClassRef.name`. */
  readonly name: string;
  /** Auto Mode's built-in `default` NodeClass (80 GiB disk, no custom tags). */
  readonly builtIn: boolean;
  /** The stack's NodeClass of that name; undefined when the stack declares none. */
  readonly resource: ResourceView | undefined;
}

/** The NodeClass a NodePool names; throws `UnknownRead` when the reference, or a candidate NodeClass's name it depends on, is unknown. */
export function nodeClassOf(view: StackView, pool: ResourceView): PoolNodeClass {
  const name = asString(at(pool.props, "spec", "template", "spec", "nodeClassRef", "name")) ?? "";
  const declared = view.ofType(TYPES.nodeClass);
  const resource = declared.find((candidate) => objectName(candidate) === name);
  if (resource === undefined) for (const candidate of declared) known(objectName(candidate) ?? "");
  return { name, builtIn: name === BUILT_IN_NODE_CLASS && resource === undefined, resource };
}

/** Same namespace; throws `UnknownRead` when either is unknown. */
export function sameNamespace(a: string | Unknown, b: string | Unknown): boolean {
  return known(a) === known(b);
}

/**
 * Whether a label selector (`matchLabels` / `matchExpressions`) selects pods with these labels;
 * throws `UnknownRead` when the answer depends on an unknown. An empty selector selects everything.
 */
export function selectorMatches(selector: Plain | undefined, labels: PlainRecord): boolean {
  known(selector);
  const podLabels = stringMap(labels);
  for (const [key, wanted] of stringMap(at(selector, "matchLabels"))) {
    if (entryOf(podLabels, key) !== known(wanted)) return false;
  }
  for (const expression of asArray(at(selector, "matchExpressions"))) {
    const key = asString(at(expression, "key")) ?? "";
    const operator = asString(at(expression, "operator"));
    const values = asArray(at(expression, "values")).map(asString);
    const actual = entryOf(podLabels, key);
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

/**
 * Resources of `type` in the workload's namespace whose `scaleTargetRef`-style reference names the
 * workload. Throws `UnknownRead` when the workload's name or namespace, or a candidate's, is unknown.
 */
export function targetingWorkload(view: StackView, workload: Workload, types: readonly string[], refPath: readonly string[]): ResourceView[] {
  const name = known(objectName(workload.resource));
  return view.ofType(...types).filter((candidate) => {
    const ref = at(candidate.props, ...refPath);
    const kind = asString(at(ref, "kind")) ?? "Deployment";
    if (asString(at(ref, "name")) !== name || kind !== workload.kind) return false;
    return sameNamespace(namespaceOf(candidate), workload.namespace);
  });
}

export function scaledObjectsOf(view: StackView, workload: Workload): ResourceView[] {
  return targetingWorkload(view, workload, [TYPES.scaledObject], ["spec", "scaleTargetRef"]);
}

export function hpasOf(view: StackView, workload: Workload): ResourceView[] {
  return targetingWorkload(view, workload, TYPES.hpa, ["spec", "scaleTargetRef"]);
}

/** The Namespace resource declaring `name`, if this stack declares it; throws `UnknownRead` when a Namespace's name is unknown and none matched. */
export function namespaceResource(view: StackView, name: string): ResourceView | undefined {
  const namespaces = view.ofType(TYPES.namespace);
  const found = namespaces.find((ns) => objectName(ns) === name);
  if (found !== undefined) return found;
  for (const ns of namespaces) known(objectName(ns));
  return undefined;
}

/** Objects of a type in a namespace; throws `UnknownRead` when one's namespace is unknown. */
export function inNamespace(view: StackView, type: string, namespace: string): ResourceView[] {
  return view.ofType(type).filter((r) => sameNamespace(namespaceOf(r), namespace));
}

export function workloadLabel(workload: Workload): string {
  return describe(workload.resource);
}

export function isRecordValue(value: Plain | undefined): value is PlainRecord {
  return isRecord(value);
}

