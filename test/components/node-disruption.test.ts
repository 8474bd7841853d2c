/**
 * GPU node replacement, set deliberately. Karpenter (which EKS Auto Mode runs) replaces nodes for drift
 * and consolidation within the NodePool's disruption budgets, and for expiry regardless of them; a
 * single-replica interactive workload loses its only replica to each replacement. So: drift and
 * underutilization replace GPU nodes only inside a weekly maintenance window (a `nodes: "0"` budget
 * covers the rest of the week), empty nodes go at any time, and expiry stays within Auto Mode's
 * 21-day node lifetime. The NodePool is checked against Karpenter's own schema.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { GPU_CLUSTER_DEFAULTS, GpuCluster, type GpuClusterArgs } from "../../components/gpu-cluster";
import { AUTO_MODE_MAX_NODE_LIFETIME_HOURS, maintenanceBudgets } from "../../components/internal/node-pools";
import { namespaceValues, parseStackConfig } from "../../infra/config";
import { validateKubernetesObject } from "../helpers/kubernetes-schemas";
import { find, installPulumiMocks } from "../helpers/pulumi-mocks";

const baseArgs: GpuClusterArgs = {
  clusterName: "inference-dev",
  environment: "dev",
  region: "us-east-1",
  availabilityZoneIds: ["use1-az1", "use1-az2"],
  gpuPools: [{ name: "l40s", instanceTypes: ["g6e.12xlarge"], gpuLimit: 8 }],
};

async function nodePool(args: Partial<GpuClusterArgs> = {}): Promise<Record<string, unknown>> {
  const recorded = installPulumiMocks();
  new GpuCluster("gpu", { ...baseArgs, ...args }, { providers: { aws: new aws.Provider("aws", { region: "us-east-1" }) } });
  await pulumi.runtime.disconnect();
  return find(recorded, "kubernetes:karpenter.sh/v1:NodePool", "gpu-pool-l40s").inputs;
}

describe("GPU node disruption", () => {
  it("blocks drift and consolidation outside the default window (Sundays 02:00-06:00 UTC), keeps the pool-wide budget, lets empty nodes go", async () => {
    expect(GPU_CLUSTER_DEFAULTS.maintenanceWindow).toEqual({ dayOfWeek: 0, startHourUtc: 2, durationHours: 4 });
    const pool = await nodePool();
    expect((pool.spec as { disruption: unknown }).disruption).toEqual({
      consolidationPolicy: "WhenEmpty",
      consolidateAfter: "600s",
      budgets: [
        { nodes: "10%" },
        // From the window's end (Sunday 06:00) for the rest of the week: 168 h − 4 h.
        { nodes: "0", schedule: "0 6 * * 0", duration: "164h", reasons: ["Drifted", "Underutilized"] },
      ],
    });
    const { apiVersion, kind, ...rest } = pool as { apiVersion: string; kind: string };
    await expect(validateKubernetesObject(apiVersion, kind, { apiVersion, kind, ...rest })).resolves.toBeUndefined();
  });

  it("moves the blocking budget with a configured window, across midnight and the week's end", () => {
    expect(maintenanceBudgets({ dayOfWeek: 6, startHourUtc: 22, durationHours: 6 })).toEqual([
      { nodes: "0", schedule: "0 4 * * 0", duration: "162h", reasons: ["Drifted", "Underutilized"] },
    ]);
    expect(maintenanceBudgets({ dayOfWeek: 3, startHourUtc: 0, durationHours: 24 })).toEqual([
      { nodes: "0", schedule: "0 0 * * 4", duration: "144h", reasons: ["Drifted", "Underutilized"] },
    ]);
  });

  it("refuses a node lifetime past Auto Mode's 21 days and a window that is not a week's hours, every problem at once", () => {
    expect(AUTO_MODE_MAX_NODE_LIFETIME_HOURS).toBe(504);
    installPulumiMocks();
    expect(() => new GpuCluster("bad", { ...baseArgs, nodeExpireAfterHours: 720, maintenanceWindow: { dayOfWeek: 7, startHourUtc: 24, durationHours: 168 } })).toThrowError(
      [
        "GpuCluster bad: 4 invalid arguments",
        "  nodeExpireAfterHours: got 720; expected a whole number from 1 to 504",
        "  maintenanceWindow.dayOfWeek: got 7; expected a whole number from 0 to 6",
        "  maintenanceWindow.startHourUtc: got 24; expected a whole number from 0 to 23",
        "  maintenanceWindow.durationHours: got 168; expected a whole number from 1 to 167",
      ].join("\n"),
    );
  });
});

describe("the maintenance window in the stack config", () => {
  it("is read from cluster.maintenanceWindow and refused out of range, naming the key", () => {
    const values = namespaceValues(fs.readFileSync(path.resolve(__dirname, "../../Pulumi.dev.yaml"), "utf8"), "Pulumi.dev.yaml");
    const withWindow = (window: unknown) => ({ ...values, cluster: { ...(values.cluster as object), maintenanceWindow: window } });
    expect(parseStackConfig(withWindow({ dayOfWeek: 2, startHourUtc: 23, durationHours: 3 }), "Pulumi.dev.yaml").cluster.maintenanceWindow).toEqual({ dayOfWeek: 2, startHourUtc: 23, durationHours: 3 });
    expect(() => parseStackConfig(withWindow({ dayOfWeek: 2, startHourUtc: 25, durationHours: 3 }), "Pulumi.dev.yaml")).toThrow(
      "Pulumi.dev.yaml: gpu-inference:cluster.maintenanceWindow.startHourUtc: expected an hour from 0 to 23 (UTC), at most 23",
    );
  });
});
