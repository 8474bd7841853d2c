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

/**
 * Longest a node may live on EKS Auto Mode: "nodes launched by EKS Auto Mode have a maximum lifetime of 21 days
 * (which you can reduce)" — Amazon EKS User Guide, "Automate cluster infrastructure with EKS Auto Mode"
 * (docs.aws.amazon.com/eks/latest/userguide/automode.html), as of 2026-12-02. Unit: hours.
 */
export const AUTO_MODE_MAX_NODE_LIFETIME_HOURS = 21 * 24;

/** A weekly window in which Karpenter may replace GPU nodes that still run pods (drift, consolidation). UTC. */
export interface MaintenanceWindow {
  /** Day the window starts, 0 = Sunday … 6 = Saturday (cron's day of week). */
  readonly dayOfWeek: number;
  /** Hour the window starts, 0–23, UTC (Karpenter evaluates budget schedules in UTC). */
  readonly startHourUtc: number;
  /** Hours it lasts, 1–167. */
  readonly durationHours: number;
}

/** Hours in the week a weekly cron schedule repeats over. */
const WEEK_HOURS = 7 * 24;

/**
 * The budget that keeps Karpenter from replacing GPU nodes that hold pods outside the window: `nodes: "0"` for
 * `Drifted` and `Underutilized`, active from the window's end for the rest of the week. Karpenter applies the most
 * restrictive active budget per reason; `Empty` is left out (removing an empty node disrupts nothing). Budgets do
 * not hold back expiry (karpenter.sh/docs/concepts/disruption, "NodePool Disruption Budgets": "do not prevent
 * Karpenter from terminating expired nodes"; fields `nodes`, `schedule` (cron, UTC), `duration`, `reasons`).
 */
export function maintenanceBudgets(window: MaintenanceWindow): Record<string, unknown>[] {
  const endHour = window.startHourUtc + window.durationHours;
  const endDay = (window.dayOfWeek + Math.floor(endHour / 24)) % 7;
  return [{ nodes: "0", schedule: `0 ${endHour % 24} * * ${endDay}`, duration: `${WEEK_HOURS - window.durationHours}h`, reasons: ["Drifted", "Underutilized"] }];
}

export interface NodePoolSettings {
  /** Seconds a node must stay empty before it is removed (`spec.disruption.consolidateAfter`). */
  readonly consolidateAfterSeconds: number;
  /** Share of a pool's nodes that may be disrupted at once, such as `10%` (`spec.disruption.budgets[0].nodes`). */
  readonly disruptionBudgetNodes: string;
  /** Hours after which a node is replaced with a fresh AMI (`spec.template.spec.expireAfter`). */
  readonly expireAfterHours: number;
  /** When nodes that hold pods may be replaced for drift or consolidation (`spec.disruption.budgets[1]`). */
  readonly maintenanceWindow: MaintenanceWindow;
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
        budgets: [{ nodes: settings.disruptionBudgetNodes }, ...maintenanceBudgets(settings.maintenanceWindow)],
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
