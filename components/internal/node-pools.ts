/**
 * GPU NodePools (`karpenter.sh/v1`) for EKS Auto Mode, as plain objects, and the pool targets
 * workloads schedule with.
 */
import {
  CAPACITY_PRICING_ANNOTATION,
  GPU_POOL_LABEL_KEY,
  GPU_RESOURCE,
  GPU_TAINT,
  GPU_TOLERATION,
  type GpuPoolTarget,
} from "./cluster-contract";
import { NODE_CLASS_GROUP, NODE_CLASS_KIND, podEphemeralStorageCapacityGiB } from "../../policies/node-class";

export interface GpuPoolSpec {
  readonly name: string;
  readonly instanceTypes: readonly string[];
  readonly capacityType: "on-demand" | "spot" | "reserved";
  readonly gpuLimit: number;
  /** The pool's own Auto Mode NodeClass (`nodeClassRef.name`). */
  readonly nodeClassName: string;
  /** Node disk of the pool's NodeClass, GiB (`ephemeralStorage.size`). */
  readonly nodeDiskGiB: number;
}

export interface NodePoolSettings {
  /** Seconds a node must stay empty before it is removed (`spec.disruption.consolidateAfter`). */
  readonly consolidateAfterSeconds: number;
  /** Share of a pool's nodes that may be disrupted at once, such as `10%` (`spec.disruption.budgets[0].nodes`). */
  readonly disruptionBudgetNodes: string;
  /** Hours after which a node is replaced with a fresh AMI (`spec.template.spec.expireAfter`). */
  readonly expireAfterHours: number;
}

/**
 * Karpenter's `karpenter.sh/capacity-type` values for a configured capacity type.
 * `reserved` in the stack config means a 1-year commitment price (Savings Plan / Reserved
 * Instance): a billing discount applied to on-demand instances. Karpenter's own `reserved`
 * capacity type means On-Demand Capacity Reservations and launches nothing unless the NodeClass
 * selects reservations (`capacityReservationSelectorTerms`, which Auto Mode's default NodeClass
 * does not set), so it maps to `on-demand`; the pricing stays visible in an annotation.
 */
export function karpenterCapacityTypes(capacityType: GpuPoolSpec["capacityType"]): string[] {
  return capacityType === "spot" ? ["spot"] : ["on-demand"];
}

/** The NodePool manifest's `metadata` and `spec` for one pool, on the pool's own NodeClass. */
export function nodePoolManifest(pool: GpuPoolSpec, settings: NodePoolSettings): { metadata: Record<string, unknown>; spec: Record<string, unknown> } {
  return {
    metadata: {
      name: pool.name,
      labels: { [GPU_POOL_LABEL_KEY]: pool.name },
      annotations: { [CAPACITY_PRICING_ANNOTATION]: pool.capacityType },
    },
    spec: {
      template: {
        metadata: { labels: { [GPU_POOL_LABEL_KEY]: pool.name } },
        spec: {
          nodeClassRef: { group: NODE_CLASS_GROUP, kind: NODE_CLASS_KIND, name: pool.nodeClassName },
          requirements: [
            { key: "node.kubernetes.io/instance-type", operator: "In", values: [...pool.instanceTypes] },
            { key: "karpenter.sh/capacity-type", operator: "In", values: karpenterCapacityTypes(pool.capacityType) },
            { key: "eks.amazonaws.com/instance-gpu-manufacturer", operator: "In", values: ["nvidia"] },
          ],
          taints: [{ ...GPU_TAINT }],
          expireAfter: `${settings.expireAfterHours}h`,
        },
      },
      limits: { [GPU_RESOURCE]: String(pool.gpuLimit) },
      disruption: {
        consolidationPolicy: "WhenEmpty",
        consolidateAfter: `${settings.consolidateAfterSeconds}s`,
        budgets: [{ nodes: settings.disruptionBudgetNodes }],
      },
    },
  };
}

/** What a workload needs to run in the pool. */
export function poolTarget(pool: GpuPoolSpec): GpuPoolTarget {
  return Object.freeze({
    name: pool.name,
    nodeSelector: Object.freeze({ [GPU_POOL_LABEL_KEY]: pool.name }),
    tolerations: Object.freeze([GPU_TOLERATION]),
    gpuLimit: pool.gpuLimit,
    capacityType: pool.capacityType,
    instanceTypes: Object.freeze([...pool.instanceTypes]),
    nodeClassName: pool.nodeClassName,
    podEphemeralStorageCapacityGiB: podEphemeralStorageCapacityGiB(pool.nodeDiskGiB),
  });
}
