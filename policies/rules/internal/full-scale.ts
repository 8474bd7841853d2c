/**
 * What GPU workloads hold at full scale, including a rolling update's surge: the arithmetic a
 * GPU cap (a tenant's ResourceQuota, a NodePool's `limits`) must leave room for, or a rollout at
 * full scale stalls with its surge pod Pending. Shared by tenant-isolation/quota-headroom and
 * gpu-scheduling/pool-headroom so both caps are sized the same way.
 */
import { gpusPerPod, scaledObjectsOf, type GpuWorkload } from "./kubernetes";
import { objectName, type StackView } from "./stack";
import { asCount, asString, at, known } from "./values";
import { KEDA_DEFAULTS } from "./workload-facts";

/** The most pods a workload runs at once: a ScaledObject's or ScaledJob's maxReplicaCount, else `replicas` / `parallelism` (default 1). Throws `UnknownRead`. */
export function mostReplicas(view: StackView, workload: GpuWorkload): number {
  if (workload.kind === "ScaledJob") return asCount(at(workload.resource.props, "spec", "maxReplicaCount")) ?? KEDA_DEFAULTS.maxReplicaCount;
  if (workload.kind === "Deployment" || workload.kind === "StatefulSet") {
    const scaler = scaledObjectsOf(view, workload)[0];
    if (scaler !== undefined) return asCount(at(scaler.props, "spec", "maxReplicaCount")) ?? KEDA_DEFAULTS.maxReplicaCount;
    return asCount(at(workload.resource.props, "spec", "replicas")) ?? 1;
  }
  if (workload.kind === "Job") return asCount(at(workload.resource.props, "spec", "parallelism")) ?? 1;
  return 0; // a DaemonSet runs one pod per node: bounded by nodes, not by a replica count
}

/**
 * Extra pods a Deployment's rolling update starts above its replicas: `maxSurge` (an integer, or a percentage of
 * the replicas rounded up), default 25 %; none for `Recreate` (kubernetes.io, Deployments: "Max Surge"). Throws `UnknownRead`.
 */
export function surgePods(view: StackView, workload: GpuWorkload): number {
  if (workload.kind !== "Deployment") return 0;
  const strategy = at(workload.resource.props, "spec", "strategy");
  if (asString(at(strategy, "type")) === "Recreate") return 0;
  const raw = known(at(strategy, "rollingUpdate", "maxSurge"));
  const replicas = mostReplicas(view, workload);
  if (raw === undefined || raw === null) return Math.ceil(0.25 * replicas);
  const count = asCount(raw);
  if (count !== undefined) return count;
  const percent = typeof raw === "string" ? /^(\d+)%$/.exec(raw.trim()) : null;
  return percent !== null ? Math.ceil((Number(percent[1]) / 100) * replicas) : 0;
}

/** One workload's share of a GPU cap. */
export interface HeldGpus {
  /** `Deployment chat`, for messages. */
  readonly name: string;
  readonly gpusPerPod: number;
  readonly mostReplicas: number;
  readonly surgePods: number;
}

/** GPUs a set of workloads holds at full scale, and during the largest single rollout on top of it. */
export interface FullScale {
  readonly held: readonly HeldGpus[];
  /** Σ most replicas × GPUs per pod. */
  readonly atMaxGpus: number;
  /** The workload whose rolling update surges the most GPUs; undefined when none surges. */
  readonly largestSurge: HeldGpus | undefined;
  /** Its surge pods × GPUs per pod (0 when none). Rollouts are counted one at a time, not all at once. */
  readonly surgeGpus: number;
  /** atMaxGpus + surgeGpus: the smallest cap under which no rollout at full scale stalls. */
  readonly neededGpus: number;
}

/** What `workloads` hold at full scale plus the largest rolling-update surge. Throws `UnknownRead` when a count it needs is unknown. */
export function fullScaleGpus(view: StackView, workloads: readonly GpuWorkload[]): FullScale {
  const held = workloads.map((w): HeldGpus => ({ name: `${w.kind} ${objectName(w.resource) ?? w.resource.name}`, gpusPerPod: gpusPerPod(w), mostReplicas: mostReplicas(view, w), surgePods: surgePods(view, w) }));
  const atMaxGpus = held.reduce((sum, w) => sum + w.mostReplicas * w.gpusPerPod, 0);
  const largestSurge = held.reduce<HeldGpus | undefined>((best, w) => (w.surgePods * w.gpusPerPod > (best === undefined ? 0 : best.surgePods * best.gpusPerPod) ? w : best), undefined);
  const surgeGpus = largestSurge === undefined ? 0 : largestSurge.surgePods * largestSurge.gpusPerPod;
  return { held, atMaxGpus, largestSurge, surgeGpus, neededGpus: atMaxGpus + surgeGpus };
}

/** `Deployment chat 4 × 1, ScaledJob summarize 2 × 1`: the at-max-replicas terms of a message. */
export function atMaxTerms(scale: FullScale): string {
  return scale.held.filter((w) => w.gpusPerPod > 0).map((w) => `${w.name} ${w.mostReplicas} × ${w.gpusPerPod}`).join(", ");
}

/** ` plus 4 for the largest rolling-update surge (Deployment chat: 1 pod × 4 GPUs)`, or "" when nothing surges. */
export function surgeTerm(scale: FullScale): string {
  const w = scale.largestSurge;
  if (w === undefined) return "";
  return ` plus ${scale.surgeGpus} for the largest rolling-update surge (${w.name}: ${w.surgePods} pod${w.surgePods === 1 ? "" : "s"} × ${w.gpusPerPod} GPU${w.gpusPerPod === 1 ? "" : "s"})`;
}
