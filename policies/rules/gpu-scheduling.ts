/**
 * gpu-scheduling: a GPU workload lands on the GPU pool it is costed on, gets whole GPUs, can
 * run tensor parallelism, is not killed while it loads its model, is not evicted all at
 * once by a node drain, and its pool has room for it at full scale, rollout included.
 */
import { z } from "zod";
import { COLD_START_ANNOTATION } from "../contract";
import { EPHEMERAL_STORAGE_LIMITS, nodeDiskGiBFor, parseStorageGiB, podEphemeralStorageCapacityGiB } from "../node-class";
import { declaredColdStart } from "./internal/cold-start";
import { Findings } from "./internal/findings";
import { atMaxTerms, fullScaleGpus, surgeTerm } from "./internal/full-scale";
import {
  containerGpus,
  containersOf,
  GPU_RESOURCE,
  gpuWorkloadsOf,
  inNamespace,
  nodeClassOf,
  NODEPOOL_LABEL,
  requireGpu,
  sameNamespace,
  scaledObjectsOf,
  selectedNodePools,
  selectorMatches,
  TYPES,
  workloadLabel,
  workloadsOf,
  type GpuWorkload,
  type Workload,
} from "./internal/kubernetes";
import type { RuleDefinition } from "./internal/rule";
import { describe, namespaceOf, type ResourceView, type StackView } from "./internal/stack";
import { KEDA_DEFAULTS } from "./internal/workload-facts";
import { asArray, asCount, asNumber, asRecord, asString, at, isPresent, known, type PlainRecord } from "./internal/values";

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
  "tensor-parallel": "vLLM's `--tensor-parallel-size` is not above the container's GPU limit",
  "gpu-less-sidecar": "a container without GPUs in a GPU pod sets NVIDIA_VISIBLE_DEVICES=void (otherwise it sees every GPU of the node)",
  "eviction-allowed": "no PodDisruptionBudget blocks every voluntary eviction (maxUnavailable 0, minAvailable 100 % or at least the workload's most replicas)",
  "node-disk": "a pod's ephemeral-storage request fits the node disk of its pool's NodeClass, after the image, logs and the kubelet's reserves",
  "pool-headroom": "a GPU NodePool's `limits[\"nvidia.com/gpu\"]` holds every GPU workload placed on it at max replicas plus the largest rolling-update surge (else a rollout at full scale stalls)",
} as const;

export const gpuScheduling: RuleDefinition<typeof config> = {
  name: "gpu-scheduling",
  description: "GPU workloads set GPU limits, tolerate GPU nodes, select their node pool, mount shared memory for tensor parallelism, allow model load in a startup probe and have a PodDisruptionBudget; GPU node pools' limits leave room for a rollout at full scale.",
  remediation:
    "On the pod template: resources.limits[\"nvidia.com/gpu\"], a toleration for nvidia.com/gpu, nodeSelector karpenter.sh/nodepool=<pool>, an emptyDir {medium: Memory} at /dev/shm when using more than one GPU, a startupProbe with failureThreshold × periodSeconds ≥ the cold start; and a PodDisruptionBudget selecting the pods; a NodePool limits[\"nvidia.com/gpu\"] of at least its workloads' max replicas × GPUs per pod plus the largest rolling-update surge.",
  enforcementLevel: "mandatory",
  checks,
  config,
  evaluate(view, cfg) {
    const found = new Findings("gpu-scheduling", checks);
    const workloads = gpuWorkloadsOf(view);
    for (const workload of workloads) checkWorkload(view, workload, cfg.defaultStartupSeconds, found);
    const budgets = view.ofType(TYPES.podDisruptionBudget);
    for (const pdb of budgets) found.check("eviction-allowed", pdb.urn, `${describe(pdb)}'s eviction check`, () => checkEvictionAllowed(view, pdb, found));
    for (const pool of view.ofType(TYPES.nodePool)) found.check("pool-headroom", pool.urn, `${describe(pool)}'s GPU limit headroom check`, () => checkPoolHeadroom(view, pool, workloads, found));
    return found.result(workloads.length === 0 && budgets.length === 0 ? "no GPU workloads or PodDisruptionBudgets in the stack" : undefined);
  },
};

function checkWorkload(view: StackView, workload: GpuWorkload, defaultStartupSeconds: number, found: Findings): void {
  const urn = workload.resource.urn;
  const who = workloadLabel(workload);
  const specPath = `${workload.templatePath}.spec`;
  const check = (id: keyof typeof checks, what: string, body: () => void) =>
    found.check(id, urn, `${who}'s ${what}`, () => {
      requireGpu(workload);
      body();
    });

  check("gpu-limits", "GPU limit check", () => {
    let gpuContainers = 0;
    for (const { container, path, label } of containersOf(workload)) {
      const limit = asCount(at(container, "resources", "limits", GPU_RESOURCE));
      const request = at(container, "resources", "requests", GPU_RESOURCE);
      if (limit === undefined && request !== undefined) {
        found.violation("gpu-limits", urn, `${who} container ${label} requests GPUs without a limit at \`${path}.resources.limits["${GPU_RESOURCE}"]\`. Set the limit (GPUs are reserved by limits).`);
      }
      if ((limit ?? 0) > 0 || request !== undefined) gpuContainers += 1;
    }
    if (gpuContainers === 0) {
      found.violation("gpu-limits", urn, `${who} tolerates GPU nodes but no container sets \`resources.limits["${GPU_RESOURCE}"]\`: it would hold a GPU node without using a GPU. Set the limit on the serving container.`);
    }
  });

  check("gpu-toleration", "GPU toleration check", () => {
    if (!asArray(workload.podSpec.tolerations).some((t) => asString(at(t, "key")) === GPU_RESOURCE)) {
      found.violation("gpu-toleration", urn, `${who} does not tolerate the \`${GPU_RESOURCE}\` taint at \`${specPath}.tolerations\`: it cannot schedule on GPU nodes. Add {key: ${GPU_RESOURCE}, operator: Exists, effect: NoSchedule}.`);
    }
  });

  check("pool-selector", "node pool check", () => {
    const selection = selectedNodePools(view, workload);
    if (selection.kind === "none") {
      found.violation("pool-selector", urn, `${who} does not select a GPU node pool: set \`${specPath}.nodeSelector\` to its pool's label (or \`${NODEPOOL_LABEL}\`), so it runs on the pool it is costed on.`);
    } else if (selection.pools.length === 0 && (view.ofType(TYPES.nodePool).length > 0 || !selection.byNodePoolLabel)) {
      found.violation("pool-selector", urn, `${who}'s \`${specPath}.nodeSelector\` matches no NodePool in this stack: its pods stay Pending. Select one of the stack's GPU pools.`);
    }
  });

  check("shared-memory", "/dev/shm check", () => checkSharedMemory(workload, found));

  check("tensor-parallel", "tensor-parallel check", () => checkTensorParallel(workload, found));

  check("gpu-less-sidecar", "sidecar GPU visibility check", () => checkSidecars(workload, found));

  check("node-disk", "node disk check", () => checkNodeDisk(view, workload, found));

  if (workload.kind === "Deployment" || workload.kind === "StatefulSet") {
    check("startup-probe", "startup probe check", () => checkStartupProbe(workload, defaultStartupSeconds, found));
    check("disruption-budget", "PodDisruptionBudget check", () => checkDisruptionBudget(view, workload, found));
  }
}

/** Containers that hold GPUs, with their count. */
function gpuContainersOf(workload: Workload): { ref: ReturnType<typeof containersOf>[number]; gpus: number }[] {
  return containersOf(workload)
    .map((ref) => ({ ref, gpus: containerGpus(ref.container) }))
    .filter(({ gpus }) => gpus > 0);
}

function checkSharedMemory(workload: Workload, found: Findings): void {
  const urn = workload.resource.urn;
  const who = workloadLabel(workload);
  const multi = gpuContainersOf(workload).filter(({ gpus }) => gpus > 1);
  if (multi.length === 0) return;
  const memoryVolumes = asArray(at(workload.podSpec, "volumes"))
    .filter((v) => asString(at(v, "emptyDir", "medium")) === "Memory")
    .map((v) => asString(at(v, "name")));
  for (const { ref } of multi) {
    const ok = asArray(at(ref.container, "volumeMounts")).some((m) => asString(at(m, "mountPath")) === "/dev/shm" && memoryVolumes.includes(asString(at(m, "name"))));
    if (!ok) {
      found.violation("shared-memory", urn, `${who} container ${ref.label} uses several GPUs but mounts no memory-backed emptyDir at /dev/shm: NCCL fails with the container's 64 MiB default. Mount an emptyDir {medium: Memory} there.`);
    }
  }
}

/** vLLM's `--tensor-parallel-size` (or `-tp`) from a container's args or command; `undefined` when absent. */
function tensorParallelSize(container: PlainRecord): number | undefined {
  const args = [...asArray(at(container, "command")), ...asArray(at(container, "args"))].map(asString);
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (arg === undefined) continue;
    const inline = /^(?:--tensor[-_]parallel[-_]size|-tp)=(\d+)$/.exec(arg);
    const value = inline?.[1] ?? (/^(?:--tensor[-_]parallel[-_]size|-tp)$/.test(arg) ? args[i + 1] : undefined);
    if (value !== undefined && /^\d+$/.test(value)) return Number(value);
  }
  return undefined;
}

function checkTensorParallel(workload: Workload, found: Findings): void {
  const urn = workload.resource.urn;
  const who = workloadLabel(workload);
  for (const { container, path, label } of containersOf(workload)) {
    const size = tensorParallelSize(container);
    if (size === undefined) continue;
    const gpus = containerGpus(container);
    if (size > gpus) {
      found.violation("tensor-parallel", urn, `${who} container ${label} shards the model over ${size} GPUs (\`--tensor-parallel-size\` in \`${path}.args\`) but its \`resources.limits["${GPU_RESOURCE}"]\` gives it ${gpus}: vLLM fails at start-up. Make the GPU limit at least the tensor-parallel size.`);
    }
  }
}

/** A pod's ephemeral-storage request, GiB: its containers' requests summed, or the largest init container's when larger (Kubernetes' effective request). */
function ephemeralStorageRequestGiB(workload: Workload): number {
  let containers = 0;
  let init = 0;
  for (const { container, path } of containersOf(workload)) {
    const raw = at(container, "resources", "requests", "ephemeral-storage");
    if (!isPresent(raw)) continue;
    const value = known(raw);
    const gib = typeof value === "string" || typeof value === "number" ? (parseStorageGiB(value) ?? 0) : 0;
    if (path.includes(".initContainers[")) init = Math.max(init, gib);
    else containers += gib;
  }
  return Math.max(containers, init);
}

/** node-disk: a pod requesting more ephemeral storage than its pool's node disk leaves a pod stays Pending, and `pulumi up` waits it out. */
function checkNodeDisk(view: StackView, workload: Workload, found: Findings): void {
  const requestGiB = ephemeralStorageRequestGiB(workload);
  if (requestGiB === 0) return;
  const selection = selectedNodePools(view, workload);
  if (selection.kind === "none") return;
  for (const pool of selection.pools) {
    const nodeClass = nodeClassOf(view, pool);
    if (!nodeClass.builtIn && nodeClass.resource === undefined) continue; // a NodeClass outside the stack: its disk is not known here
    const size = nodeClass.resource === undefined ? undefined : at(nodeClass.resource.props, "spec", "ephemeralStorage", "size");
    const declared = size === undefined ? undefined : known(size);
    const diskGiB = declared === undefined || declared === null ? EPHEMERAL_STORAGE_LIMITS.defaultSizeGiB : parseStorageGiB(declared as string | number);
    if (diskGiB === undefined) continue; // a malformed size is the NodeClass schema's problem, refused by the API server
    const capacity = podEphemeralStorageCapacityGiB(diskGiB);
    if (requestGiB > capacity) {
      const where = nodeClass.resource === undefined ? `Auto Mode's built-in \`default\` NodeClass (${diskGiB} GiB)` : `NodeClass ${describe(nodeClass.resource)} (${diskGiB} GiB)`;
      found.violation(
        "node-disk",
        workload.resource.urn,
        `${workloadLabel(workload)} requests ${Math.ceil(requestGiB)} GiB of ephemeral storage, but pool ${describe(pool)} launches nodes with ${where}, which leaves a pod ${capacity} GiB after the image, logs and the kubelet's reserves: ` +
          `its pods stay Pending. Give the pool a NodeClass with \`spec.ephemeralStorage.size\` of at least ${nodeDiskGiBFor(requestGiB)}Gi, or shrink the model cache.`,
      );
    }
  }
}

/** NVIDIA container toolkit values that expose no GPU to a container (NVIDIA container toolkit docs: NVIDIA_VISIBLE_DEVICES). */
const NO_GPU_VISIBLE = new Set(["void", "none", ""]);

function checkSidecars(workload: Workload, found: Findings): void {
  const urn = workload.resource.urn;
  const who = workloadLabel(workload);
  if (gpuContainersOf(workload).length === 0) return;
  for (const { container, path, label } of containersOf(workload)) {
    if (containerGpus(container) > 0) continue;
    const entry = asArray(at(container, "env")).find((e) => asString(at(e, "name")) === "NVIDIA_VISIBLE_DEVICES");
    const value = entry === undefined ? undefined : at(entry, "value");
    const hidden = value !== undefined && NO_GPU_VISIBLE.has((asString(value) ?? "x").toLowerCase());
    if (!hidden) {
      found.violation("gpu-less-sidecar", urn, `${who} container ${label} runs in a GPU pod without a GPU limit and without \`NVIDIA_VISIBLE_DEVICES=void\` in \`${path}.env\`: on a GPU node a CUDA image sees every GPU of the node, outside the device plugin's accounting. Set NVIDIA_VISIBLE_DEVICES=void, or give it the GPUs it uses.`);
    }
  }
}

function checkStartupProbe(workload: Workload, defaultStartupSeconds: number, found: Findings): void {
  const urn = workload.resource.urn;
  const who = workloadLabel(workload);
  const coldStart = declaredColdStart(workload);
  if (coldStart !== undefined && "malformed" in coldStart) {
    found.violation("startup-probe", urn, `${who}'s annotation \`${COLD_START_ANNOTATION}\` is not a positive whole number of seconds. Fix the annotation.`);
    return;
  }
  const required = coldStart?.seconds ?? defaultStartupSeconds;
  const source = coldStart !== undefined ? "its declared cold start" : `the configured default: no \`${COLD_START_ANNOTATION}\` annotation`;
  for (const { ref } of gpuContainersOf(workload)) {
    const { container, path, label } = ref;
    const probe = at(container, "startupProbe");
    if (!isPresent(probe)) {
      found.violation("startup-probe", urn, `${who} container ${label} has no startup probe: liveness probes kill it while the model loads. Add \`${path}.startupProbe\` allowing at least ${required} s (${source}).`);
      continue;
    }
    const [initialDelay, period, threshold] = ["initialDelaySeconds", "periodSeconds", "failureThreshold"].map((k) => asNumber(at(asRecord(probe), k)));
    const allowance = (initialDelay ?? 0) + (period ?? 10) * (threshold ?? 3);
    if (allowance < required) {
      found.violation("startup-probe", urn, `${who} container ${label}'s startup probe allows ${allowance} s (initialDelaySeconds + periodSeconds × failureThreshold), less than ${required} s (${source}): the kubelet restarts it mid-load, forever. Raise failureThreshold.`);
    }
  }
}

function checkDisruptionBudget(view: StackView, workload: Workload, found: Findings): void {
  const namespace = known(workload.namespace);
  const matching = inNamespace(view, TYPES.podDisruptionBudget, namespace).filter((pdb) => selectorMatches(at(pdb.props, "spec", "selector"), workload.podLabels));
  if (matching.length > 0) return;
  found.violation("disruption-budget", workload.resource.urn, `${workloadLabel(workload)} has no PodDisruptionBudget selecting its pods: a node drain or consolidation can evict every replica at once, and each takes minutes to come back. Add one with maxUnavailable: 1.`);
}

/** The most replicas a workload can have: its ScaledObject's maxReplicaCount (KEDA default 100), else spec.replicas (default 1). */
function maxReplicasOf(view: StackView, workload: Workload): number {
  const scaler = scaledObjectsOf(view, workload)[0];
  if (scaler !== undefined) return asCount(at(scaler.props, "spec", "maxReplicaCount")) ?? KEDA_DEFAULTS.maxReplicaCount;
  return asCount(at(workload.resource.props, "spec", "replicas")) ?? 1;
}

/**
 * pool-headroom: Karpenter launches no node once a NodePool's nodes reach its `spec.limits` (karpenter.sh/docs,
 * Concepts › NodePools, "spec.limits": the limit is checked against the capacity of the nodes the pool already runs).
 * A pool sized for its workloads at max replicas has no room for a rolling update's surge pod, which then stays
 * Pending, and the rollout (and `pulumi up`) stalls: the same arithmetic as tenant-isolation/quota-headroom, one
 * level up. Pods are summed by their GPU requests; nodes count whole instances, so this is the least the limit must be.
 */
function checkPoolHeadroom(view: StackView, pool: ResourceView, workloads: readonly GpuWorkload[], found: Findings): void {
  const limit = asCount(at(pool.props, "spec", "limits", GPU_RESOURCE));
  if (limit === undefined) return; // no GPU limit: Karpenter puts no ceiling on the pool
  const placed = workloads.filter((workload) => {
    const selection = selectedNodePools(view, workload);
    return selection.kind === "selected" && selection.pools.some((p) => p.urn === pool.urn);
  });
  const scale = fullScaleGpus(view, placed);
  if (limit >= scale.neededGpus) return;
  found.violation(
    "pool-headroom",
    pool.urn,
    `${describe(pool)}'s GPU limit (\`spec.limits["${GPU_RESOURCE}"]: ${limit}\`) is below what the workloads placed on it can hold: ${scale.atMaxGpus} GPUs at max replicas (${atMaxTerms(scale)})${surgeTerm(scale)} = ${scale.neededGpus}. ` +
      (scale.largestSurge === undefined
        ? `Raise the pool's limit (\`cluster.gpuPools[].gpuLimit\`) to at least ${scale.neededGpus}.`
        : `At full scale Karpenter launches no node for a rollout's surge pod, which stays Pending, and the rollout stalls. Raise the pool's limit (\`cluster.gpuPools[].gpuLimit\`) to at least ${scale.neededGpus}, or roll that Deployment with maxSurge: 0 (it then drops a replica during the rollout).`),
  );
}

/** eviction-allowed: a budget that no eviction can satisfy stalls node drains, upgrades and Karpenter consolidation forever. */
function checkEvictionAllowed(view: StackView, pdb: ResourceView, found: Findings): void {
  const who = describe(pdb);
  const spec = at(pdb.props, "spec");
  const maxUnavailable = at(spec, "maxUnavailable");
  if (isPresent(maxUnavailable)) {
    const value = known(maxUnavailable);
    if (value === 0 || value === "0" || value === "0%") {
      found.violation("eviction-allowed", pdb.urn, `${who} sets \`spec.maxUnavailable: ${String(value)}\`: no pod may ever be evicted, so node drains, cluster upgrades and Karpenter consolidation hang. Allow at least 1.`);
    }
    return;
  }
  const minAvailable = known(at(spec, "minAvailable"));
  if (minAvailable === undefined || minAvailable === null) return;
  if (minAvailable === "100%") {
    found.violation("eviction-allowed", pdb.urn, `${who} sets \`spec.minAvailable: 100%\`: no pod may ever be evicted, so node drains, cluster upgrades and Karpenter consolidation hang. Use maxUnavailable: 1.`);
    return;
  }
  const floor = asCount(minAvailable);
  if (floor === undefined || floor === 0) return;
  for (const workload of workloadsOf(view)) {
    if (!sameNamespace(namespaceOf(pdb), workload.namespace)) continue;
    if (!selectorMatches(at(spec, "selector"), workload.podLabels)) continue;
    const most = maxReplicasOf(view, workload);
    if (floor >= most) {
      found.violation("eviction-allowed", pdb.urn, `${who} keeps \`spec.minAvailable: ${floor}\` of ${describe(workload.resource)}, which runs at most ${most} replica${most === 1 ? "" : "s"}: no pod may ever be evicted, so node drains, upgrades and consolidation hang. Use maxUnavailable: 1.`);
    }
  }
}
