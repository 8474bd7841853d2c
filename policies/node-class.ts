/**
 * EKS Auto Mode NodeClass facts and node-disk arithmetic: a public module of the pack, so the
 * GpuCluster component (which sizes each GPU pool's NodeClass), the stack config (which refuses a
 * workload no node disk can hold) and the pack's rules (which check both on the resources) agree.
 *
 * Field names and limits: Amazon EKS User Guide, "Create a Node Class for Amazon EKS", section "Node
 * Class Specification" (docs.aws.amazon.com/eks/latest/userguide/create-node-class.html; source
 * github:awsdocs/amazon-eks-user-guide latest/ug/automode/create-node-class.adoc @0026c9df, read 2026-12-02).
 */

/** API version and kind of an Auto Mode NodeClass; a NodePool's `nodeClassRef` names it with group `eks.amazonaws.com`. */
export const NODE_CLASS_API_VERSION = "eks.amazonaws.com/v1";
export const NODE_CLASS_GROUP = "eks.amazonaws.com";
export const NODE_CLASS_KIND = "NodeClass";
/** Pulumi type token of a NodeClass custom resource, as the engine and the pack see it. */
export const NODE_CLASS_TYPE = "kubernetes:eks.amazonaws.com/v1:NodeClass";

/**
 * Auto Mode's built-in NodeClass: an 80 GiB node disk and no custom tags, and EKS reverts edits to it
 * (the docs: "Do not name your custom node class `default`").
 */
export const BUILT_IN_NODE_CLASS = "default";

/** `spec.ephemeralStorage` limits and the built-in defaults, from the NodeClass specification's comments. */
export const EPHEMERAL_STORAGE_LIMITS = {
  /** `size` range 1–59000Gi (= 64000G = 58Ti); the built-in NodeClass has 80Gi. */
  minSizeGiB: 1,
  maxSizeGiB: 59_000,
  defaultSizeGiB: 80,
  /** gp3 `iops` range; default 3000. */
  minIops: 3000,
  maxIops: 16_000,
  defaultIops: 3000,
  /** gp3 `throughput` range, MiB/s; default 125. */
  minThroughputMiBps: 125,
  maxThroughputMiBps: 1000,
  defaultThroughputMiBps: 125,
} as const;

/**
 * Tag keys a NodeClass may not set (the NodeClass specification's note on `tags`): Auto Mode writes
 * these itself. A key matches when it equals the entry or, for entries ending in `/`, starts with it.
 */
export const RESTRICTED_NODE_CLASS_TAG_KEYS = [
  "kubernetes.io/cluster/",
  "karpenter.sh/provisioner-name",
  "karpenter.sh/nodepool",
  "karpenter.sh/nodeclaim",
  "karpenter.sh/managed-by",
  "eks.amazonaws.com/nodeclass",
] as const;

/** Whether a tag key is one a NodeClass may not set. */
export function isRestrictedNodeClassTagKey(key: string): boolean {
  return RESTRICTED_NODE_CLASS_TAG_KEYS.some((restricted) => (restricted.endsWith("/") ? key.startsWith(restricted) : key === restricted));
}

/**
 * What a GPU node's disk holds besides the pods' ephemeral-storage requests, and what the kubelet keeps
 * free. On Auto Mode's Bottlerocket nodes one data volume (the NodeClass `ephemeralStorage`) holds the
 * images, container logs and emptyDir volumes. The scheduler compares requests with allocatable
 * (capacity − kube-reserved − the eviction threshold), and the kubelet evicts when free space falls below
 * the threshold — counting the image, which no request covers. So the disk must hold the largest
 * request, the image and logs, kube-reserved, and stay above the threshold.
 */
export const NODE_DISK_HEADROOM = {
  /**
   * Share of the disk the kubelet keeps free: its default hard eviction thresholds are
   * `nodefs.available<10%` and `imagefs.available<15%` (kubernetes.io/docs/concepts/scheduling-eviction/
   * node-pressure-eviction, "Hard eviction thresholds"); both file systems are the one data volume here,
   * so the stricter 15 % binds.
   */
  evictionReserveShare: 0.15,
  /** kube-reserved ephemeral storage: Karpenter's default `kubeReserved` (1Gi), which Auto Mode runs. */
  kubeReservedGiB: 1,
  /**
   * The vLLM image on disk: `vllm/vllm-openai` is ~12 GB compressed (vllm-project/vllm#27154, 2025-10) and
   * 28.6 GB unpacked (vllm-project/vllm#22377, 2025-12); containerd keeps both the pulled layers and the
   * unpacked snapshot, ≈ 40.6 GB ≈ 38 GiB. Rounded up to 40 GiB for the version drift of later tags.
   */
  engineImageGiB: 40,
  /** Container logs (kubelet rotation: 5 × 10 MiB per container), Auto Mode's own daemons and the DCGM exporter image. */
  systemGiB: 5,
  /** Node disks are sized in whole steps of this, so a small change of a request does not replace every node. */
  sizeStepGiB: 10,
  source:
    "kubelet eviction defaults: kubernetes.io node-pressure eviction docs; kubeReserved: karpenter.sh docs (NodePool kubelet defaults); " +
    "vLLM image size: github vllm-project/vllm#27154 and #22377",
  asOf: "2026-12-02",
} as const;

/**
 * Ephemeral storage one pod may request on a node with this disk, GiB: what the image, logs,
 * kube-reserved and the eviction reserve leave. Can be negative for a tiny disk.
 */
export function podEphemeralStorageCapacityGiB(nodeDiskGiB: number): number {
  const h = NODE_DISK_HEADROOM;
  return Math.floor(nodeDiskGiB * (1 - h.evictionReserveShare) - h.kubeReservedGiB - h.engineImageGiB - h.systemGiB);
}

/**
 * The node disk, GiB, for a pool whose largest pod requests `largestPodRequestGiB`: never below the
 * built-in 80 GiB, rounded up to a whole `sizeStepGiB`. May exceed the AWS maximum: callers refuse that
 * with {@link nodeDiskProblem}.
 */
export function nodeDiskGiBFor(largestPodRequestGiB: number): number {
  const h = NODE_DISK_HEADROOM;
  const needed = (largestPodRequestGiB + h.kubeReservedGiB + h.engineImageGiB + h.systemGiB) / (1 - h.evictionReserveShare);
  let size = Math.max(EPHEMERAL_STORAGE_LIMITS.defaultSizeGiB, Math.ceil(needed / h.sizeStepGiB) * h.sizeStepGiB);
  // Floating-point rounding must never leave the request a GiB short (checked only where sizes are real: past the
  // maximum, adding a step to a huge float may not change it).
  while (size <= EPHEMERAL_STORAGE_LIMITS.maxSizeGiB && podEphemeralStorageCapacityGiB(size) < largestPodRequestGiB) size += h.sizeStepGiB;
  return size;
}

/** The largest ephemeral-storage request any NodeClass can hold, GiB. */
export const MAX_POD_EPHEMERAL_STORAGE_GIB = podEphemeralStorageCapacityGiB(EPHEMERAL_STORAGE_LIMITS.maxSizeGiB);

/** Why a pod requesting `requestGiB` fits no Auto Mode node disk, or undefined when one holds it. */
export function nodeDiskProblem(requestGiB: number): string | undefined {
  if (requestGiB <= MAX_POD_EPHEMERAL_STORAGE_GIB) return undefined;
  return (
    `its pods request ${requestGiB} GiB of ephemeral storage, more than the ${MAX_POD_EPHEMERAL_STORAGE_GIB} GiB the largest Auto Mode node disk ` +
    `(${EPHEMERAL_STORAGE_LIMITS.maxSizeGiB} GiB) leaves a pod after the image, logs and the kubelet's eviction reserve: stage the weights on a volume instead`
  );
}

const BINARY: Readonly<Record<string, number>> = { Ki: 2 ** -20, Mi: 2 ** -10, Gi: 1, Ti: 2 ** 10, Pi: 2 ** 20 };
const DECIMAL: Readonly<Record<string, number>> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };

/**
 * A Kubernetes storage quantity (`160Gi`, `64000G`, `58Ti`, `500Mi`, a plain byte count) in GiB;
 * undefined when it is not one.
 */
export function parseStorageGiB(quantity: string | number): number | undefined {
  if (typeof quantity === "number") return Number.isFinite(quantity) && quantity >= 0 ? quantity / 2 ** 30 : undefined;
  const match = /^(\d+(?:\.\d+)?)([KMGTP]i|[kMGTP])?$/.exec(quantity.trim());
  if (match === null) return undefined;
  const value = Number(match[1]);
  const unit = match[2];
  if (unit === undefined) return value / 2 ** 30;
  const binary = BINARY[unit];
  if (binary !== undefined) return value * binary;
  return (value * DECIMAL[unit]!) / 2 ** 30;
}
