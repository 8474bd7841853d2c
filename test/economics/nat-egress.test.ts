/**
 * Weights downloaded from the Hugging Face hub pass the VPC's NAT gateway, which bills every GB it
 * processes; weights read from the stack's bucket through the S3 gateway endpoint pay nothing per GB.
 * The cost model charges one checkpoint per replica the simulated month starts, at the region's price.
 */
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { natGatewayUsdPerGb, NAT_GATEWAY_PRICES } from "../../policies/economics/catalog";
import { evaluateWorkload } from "../../policies/economics/evaluate";
import { simulateArrivals } from "../../policies/economics/simulation";
import type { WorkloadFacts } from "../../policies/economics/types";
import { profileCheckpointGiB } from "../../policies/economics/weights";
import { context, facts, profile } from "../fixtures/workloads";

const noStaff = { operations: { fte: 0, loadedAnnualCostUsd: 0 }, fixedMonthlyUsd: 0 };

/** A bursty batch workload on Llama 3.1 8B served FP8: it downloads the BF16 checkpoint, 8.03 B parameters × 2 bytes. */
function burstyBatch(source: "hub" | "s3"): WorkloadFacts {
  const p = profile({
    name: "classifier",
    tier: "batch",
    model: { id: "meta-llama/Llama-3.1-8B-Instruct", weightPrecision: "fp8" },
    traffic: { requestsPerMonth: 2e7, meanInputTokens: 500, meanOutputTokens: 20, peakToMeanRatio: 3 },
    api: { pricePerMillion: { input: 0.4, output: 1.6 }, batchDiscount: 0 },
    rollout: { currentOwnedPercent: 100, targetOwnedPercent: 100 },
  });
  return facts(p, {
    instanceTypes: ["g6.xlarge"],
    measuredTokensPerSecond: 3000,
    autoscaler: { minReplicas: 0, maxReplicas: 6, targetQueuePerReplica: 2000, scaleUpDelaySeconds: 600, scaleDownCooldownSeconds: 600 },
    weights: { source, downloadGiB: profileCheckpointGiB(p) },
  });
}

describe("NAT egress of weight downloads in the owned cost", () => {
  it("charges each replica start the checkpoint's GB at the region's NAT price (hand arithmetic)", () => {
    const hub = evaluateWorkload(burstyBatch("hub"), context(noStaff));
    // 8.03e9 parameters × 2 bytes (BF16) = 16.06 GB per download; us-east-1 NAT processing $0.045/GB.
    expect(profileCheckpointGiB(burstyBatch("hub").profile) * 2 ** 30 / 1e9).toBeCloseTo(16.06, 9);
    expect(natGatewayUsdPerGb("us-east-1")).toBe(0.045);
    expect(hub.replicaStartsPerMonth).toBeGreaterThan(10);
    expect(hub.ownedCostBreakdown.natEgressUsd).toBeCloseTo(hub.replicaStartsPerMonth * 16.06 * 0.045, 9);
  });

  it("charges nothing when the weights come from S3 through the gateway endpoint, and the difference is the NAT line", () => {
    const hub = evaluateWorkload(burstyBatch("hub"), context(noStaff));
    const s3 = evaluateWorkload(burstyBatch("s3"), context(noStaff));
    expect(s3.ownedCostBreakdown.natEgressUsd).toBe(0);
    expect(s3.replicaStartsPerMonth).toBe(hub.replicaStartsPerMonth);
    expect(hub.ownedMonthlyUsd - s3.ownedMonthlyUsd).toBeCloseTo(hub.ownedCostBreakdown.natEgressUsd, 6);
    // The break-even's price per replica-hour carries it: owned(u) = F + W/(uK) × p still holds.
    const slotHours = hub.gpuHoursPerMonth / 1;
    expect(hub.replicaUsdPerHour - s3.replicaUsdPerHour).toBeCloseTo(hub.ownedCostBreakdown.natEgressUsd / slotHours, 9);
    expect(hub.breakEvenUtilization!).toBeGreaterThan(s3.breakEvenUtilization!);
  });

  it("prices the stack's region, and an override wins", () => {
    const at = (region: string, natGatewayUsdPerGb?: number) =>
      evaluateWorkload(burstyBatch("hub"), { ...context({ ...noStaff, ...(natGatewayUsdPerGb !== undefined ? { priceOverrides: { natGatewayUsdPerGb } } : {}) }), region }).ownedCostBreakdown.natEgressUsd;
    const base = at("us-east-1");
    expect(at("ap-southeast-1") / base).toBeCloseTo(0.059 / 0.045, 9);
    expect(at("eu-north-1", 0.09) / base).toBeCloseTo(2, 9);
    expect(() => at("eu-north-1")).toThrow(/no NAT gateway data-processing price for region "eu-north-1".*economics\.priceOverrides\.natGatewayUsdPerGb/);
  });

  it("has a sourced, dated row for us-east-1, the region every catalog price is from", () => {
    const row = NAT_GATEWAY_PRICES.find((r) => r.region === "us-east-1")!;
    expect(row.usdPerGb).toBe(0.045);
    expect(row.source).toMatch(/aws\.amazon\.com\/vpc\/pricing/);
  });
});

describe("replica starts in the month simulation", () => {
  const input = {
    tier: "batch" as const,
    requestsPerMonth: 0,
    meanInputTokens: 100,
    meanOutputTokens: 0,
    peakToMeanRatio: 1,
    noiseCoefficientOfVariation: 0,
    replica: { tokensPerSecond: 100, concurrentSequences: 8 },
    gpusPerReplica: 1,
    autoscaler: { minReplicas: 0, maxReplicas: 3, targetQueuePerReplica: 10, scaleUpDelaySeconds: 120, scaleDownCooldownSeconds: 60 },
  };

  it("counts every replica a scale-up adds (hand arithmetic: one burst of 25 waiting requests starts 3 replicas)", () => {
    // 25 requests arrive in step 0 with no replica: KEDA wakes ceil(25 / 10) = 3 replicas in step 1, which drain the backlog and go.
    const arrivals = new Float64Array(60);
    arrivals[0] = 25;
    expect(simulateArrivals(input, arrivals).replicaStarts).toBe(3);
  });

  it("equals the sum of the billed count's rises, whatever the arrivals", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 60 }), { minLength: 10, maxLength: 200 }), (series) => {
        const arrivals = Float64Array.from(series);
        const replicas = new Int32Array(arrivals.length);
        const month = simulateArrivals(input, arrivals, { replicas });
        let rises = 0;
        let previous = input.autoscaler.minReplicas;
        for (const count of replicas) {
          if (count > previous) rises += count - previous;
          previous = count;
        }
        expect(month.replicaStarts).toBe(rises);
      }),
      { numRuns: 200 },
    );
  });
});
