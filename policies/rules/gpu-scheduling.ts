/**
 * gpu-scheduling: a GPU workload lands on the GPU pool it is costed on, gets whole GPUs, can
 * run tensor parallelism, is not killed while it loads its model, and is not evicted all at
 * once by a node drain.
 */
import { z } from "zod";
import { COLD_START_ANNOTATION } from "../contract";
import { declaredColdStart } from "./internal/cold-start";
import { Findings } from "./internal/findings";
import {
  containersOf,
  GPU_RESOURCE,
  gpuWorkloadsOf,
  inNamespace,
  NODEPOOL_LABEL,
  selectedNodePools,
  selectorMatches,
  TYPES,
  workloadLabel,
  type Workload,
} from "./internal/kubernetes";
import type { RuleDefinition } from "./internal/rule";
import type { StackView } from "./internal/stack";
import { asArray, asCount, asRecord, asString, at, isUnknown, Unknown } from "./internal/values";

const config = z.strictObject({
  /** Startup allowance, seconds, required when the workload declares no cold start annotation. @default 600 */
  defaultStartupSeconds: z.number().int().positive().default(600),
});

const checks = {
  "gpu-limits": "every GPU container sets a whole `nvidia.com/gpu` limit (requests alone do not reserve GPUs)",
  "gpu-toleration": "pods tolerate the `nvidia.com/gpu` taint of GPU nodes",
  "pool-selector": "pods select their GPU node pool (`karpenter.sh/nodepool`), and that pool exists in the stack",
  "shared-memory": "multi-GPU pods mount a memory-backed emptyDir at /dev/shm (NCCL for tensor parallelism)",
  "startup-probe": "serving containers have a startup probe allowing at least the cold start",
  "disruption-budget": "a PodDisruptionBudget covers the serving pods",
} as const;

export const gpuScheduling: RuleDefinition<typeof config> = {
  name: "gpu-scheduling",
  description: "GPU workloads set GPU limits, tolerate GPU nodes, select their node pool, mount shared memory for tensor parallelism, allow model load in a startup probe and have a PodDisruptionBudget.",
  remediation:
    "On the pod template: resources.limits[\"nvidia.com/gpu\"], a toleration for nvidia.com/gpu, nodeSelector karpenter.sh/nodepool=<pool>, an emptyDir {medium: Memory} at /dev/shm when using more than one GPU, a startupProbe with failureThreshold × periodSeconds ≥ the cold start; and a PodDisruptionBudget selecting the pods.",
  enforcementLevel: "mandatory",
  checks,
  config,
  evaluate(view, cfg) {
    const found = new Findings("gpu-scheduling", checks);
    const workloads = gpuWorkloadsOf(view);
    for (const workload of workloads) checkWorkload(view, workload, cfg.defaultStartupSeconds, found);
    return found.result(workloads.length === 0 ? "no GPU workloads in the stack" : undefined);
  },
};

function checkWorkload(view: StackView, workload: Workload, defaultStartupSeconds: number, found: Findings): void {
  const urn = workload.resource.urn;
  const who = workloadLabel(workload);
  const specPath = `${workload.templatePath}.spec`;
  let maxGpusPerContainer = 0;
  const gpuContainers: string[] = [];
  for (const { container, path, label } of containersOf(workload)) {
    const limit = asCount(at(container, "resources", "limits", GPU_RESOURCE));
    const request = at(container, "resources", "requests", GPU_RESOURCE);
    if (isUnknown(limit)) {
      found.unverified("gpu-limits", urn, `${who} container ${label}'s GPU limit check`, `${path}.resources.limits["${GPU_RESOURCE}"]`);
      gpuContainers.push(path);
      continue;
    }
    if (limit === undefined && request !== undefined) {
      found.violation("gpu-limits", urn, `${who} container ${label} requests GPUs without a limit at \`${path}.resources.limits["${GPU_RESOURCE}"]\`. Set the limit (GPUs are reserved by limits).`);
    }
    if (limit !== undefined && limit > 0) {
      gpuContainers.push(path);
      maxGpusPerContainer = Math.max(maxGpusPerContainer, limit);
    }
  }
  if (gpuContainers.length === 0 && !containersOf(workload).some((c) => at(c.container, "resources", "requests", GPU_RESOURCE) !== undefined)) {
    found.violation("gpu-limits", urn, `${who} tolerates GPU nodes but no container sets \`resources.limits["${GPU_RESOURCE}"]\`: it would hold a GPU node without using a GPU. Set the limit on the serving container.`);
  }

  const tolerations = at(workload.podSpec, "tolerations");
  if (isUnknown(tolerations)) found.unverified("gpu-toleration", urn, `${who}'s GPU toleration check`, `${specPath}.tolerations`);
  else if (!asArray(tolerations).some((t) => asString(at(t, "key")) === GPU_RESOURCE)) {
    found.violation("gpu-toleration", urn, `${who} does not tolerate the \`${GPU_RESOURCE}\` taint at \`${specPath}.tolerations\`: it cannot schedule on GPU nodes. Add {key: ${GPU_RESOURCE}, operator: Exists, effect: NoSchedule}.`);
  }

  const selection = selectedNodePools(view, workload);
  if (selection.kind === "unknown") found.unverified("pool-selector", urn, `${who}'s node pool check`, `${specPath}.nodeSelector`);
  else if (selection.kind === "none") {
    found.violation("pool-selector", urn, `${who} does not select a GPU node pool: set \`${specPath}.nodeSelector\` to its pool's label (or \`${NODEPOOL_LABEL}\`), so it runs on the pool it is costed on.`);
  } else if (selection.pools.length === 0 && (view.ofType(TYPES.nodePool).length > 0 || !selection.byNodePoolLabel)) {
    found.violation("pool-selector", urn, `${who}'s \`${specPath}.nodeSelector\` matches no NodePool in this stack: its pods stay Pending. Select one of the stack's GPU pools.`);
  }

  if (maxGpusPerContainer > 1) checkSharedMemory(workload, gpuContainers, found);

  if (workload.kind === "Deployment" || workload.kind === "StatefulSet") {
    checkStartupProbe(workload, gpuContainers, defaultStartupSeconds, found);
    checkDisruptionBudget(view, workload, found);
  }
}

function checkSharedMemory(workload: Workload, gpuContainers: readonly string[], found: Findings): void {
  const urn = workload.resource.urn;
  const who = workloadLabel(workload);
  const memoryVolumes = asArray(at(workload.podSpec, "volumes"))
    .filter((v) => asString(at(v, "emptyDir", "medium")) === "Memory")
    .map((v) => asString(at(v, "name")));
  for (const { container, path, label } of containersOf(workload)) {
    if (!gpuContainers.includes(path)) continue;
    const mounts = at(container, "volumeMounts");
    if (isUnknown(mounts)) {
      found.unverified("shared-memory", urn, `${who} container ${label}'s /dev/shm check`, `${path}.volumeMounts`);
      continue;
    }
    const ok = asArray(mounts).some((m) => asString(at(m, "mountPath")) === "/dev/shm" && memoryVolumes.includes(asString(at(m, "name"))));
    if (!ok) {
      found.violation("shared-memory", urn, `${who} container ${label} uses several GPUs but mounts no memory-backed emptyDir at /dev/shm: NCCL fails with the container's 64 MiB default. Mount an emptyDir {medium: Memory} there.`);
    }
  }
}

function checkStartupProbe(workload: Workload, gpuContainers: readonly string[], defaultStartupSeconds: number, found: Findings): void {
  const urn = workload.resource.urn;
  const who = workloadLabel(workload);
  const coldStart = declaredColdStart(workload);
  if (coldStart !== undefined && "unknown" in coldStart) {
    found.unverified("startup-probe", urn, `${who}'s startup probe check`, `metadata.annotations["${COLD_START_ANNOTATION}"]`);
    return;
  }
  if (coldStart !== undefined && "malformed" in coldStart) {
    found.violation("startup-probe", urn, `${who}'s annotation \`${COLD_START_ANNOTATION}\` is not a positive whole number of seconds. Fix the annotation.`);
    return;
  }
  const required = coldStart?.seconds ?? defaultStartupSeconds;
  const source = coldStart !== undefined ? "its declared cold start" : `the configured default: no \`${COLD_START_ANNOTATION}\` annotation`;
  for (const { container, path, label } of containersOf(workload)) {
    if (!gpuContainers.includes(path)) continue;
    const probe = at(container, "startupProbe");
    if (isUnknown(probe)) {
      found.unverified("startup-probe", urn, `${who} container ${label}'s startup probe check`, `${path}.startupProbe`);
      continue;
    }
    if (probe === undefined) {
      found.violation("startup-probe", urn, `${who} container ${label} has no startup probe: liveness probes kill it while the model loads. Add \`${path}.startupProbe\` allowing at least ${required} s (${source}).`);
      continue;
    }
    const parts = ["initialDelaySeconds", "periodSeconds", "failureThreshold"].map((k) => at(asRecord(probe), k));
    const unknownPart = parts.find((p): p is Unknown => p instanceof Unknown);
    if (unknownPart !== undefined) {
      found.unverified("startup-probe", urn, `${who} container ${label}'s startup probe check`, `${path}.startupProbe`);
      continue;
    }
    const [initialDelay, period, threshold] = parts.map((p) => (typeof p === "number" ? p : undefined));
    const allowance = (initialDelay ?? 0) + (period ?? 10) * (threshold ?? 3);
    if (allowance < required) {
      found.violation("startup-probe", urn, `${who} container ${label}'s startup probe allows ${allowance} s (initialDelaySeconds + periodSeconds × failureThreshold), less than ${required} s (${source}): the kubelet restarts it mid-load, forever. Raise failureThreshold.`);
    }
  }
}

function checkDisruptionBudget(view: StackView, workload: Workload, found: Findings): void {
  if (typeof workload.namespace !== "string") return;
  const verdicts = inNamespace(view, TYPES.podDisruptionBudget, workload.namespace).map((pdb) => selectorMatches(at(pdb.props, "spec", "selector"), workload.podLabels));
  if (verdicts.includes(true)) return;
  if (verdicts.some(isUnknown)) {
    found.unverified("disruption-budget", workload.resource.urn, `${workloadLabel(workload)}'s PodDisruptionBudget check`, "spec.selector");
    return;
  }
  found.violation("disruption-budget", workload.resource.urn, `${workloadLabel(workload)} has no PodDisruptionBudget selecting its pods: a node drain or consolidation can evict every replica at once, and each takes minutes to come back. Add one with maxUnavailable: 1.`);
}
