/** K is a range: the gate plans on its low end, and says "marginal: measure first" when the verdict flips inside it. */
import { describe, expect, it } from "vitest";
import { evaluateWorkload } from "../../policies/economics/evaluate";
import { context, facts, profile } from "../fixtures/workloads";

/** A steady classification workload on one L4 per replica; only its volume (and a measured K) varies. */
function classifier(requestsPerMonth: number, measuredTokensPerSecond?: number) {
  return facts(
    profile({
      name: "classifier",
      tier: "batch",
      model: { id: "meta-llama/Llama-3.1-8B-Instruct" },
      traffic: { requestsPerMonth, meanInputTokens: 400, meanOutputTokens: 5, peakToMeanRatio: 1.2, prefixCacheHitRate: 0.5 },
      api: { catalogId: "gpt-4.1-mini" },
      rollout: { currentOwnedPercent: 90, targetOwnedPercent: 90 },
    }),
    {
      instanceTypes: ["g6.xlarge"],
      capacityType: "spot",
      autoscaler: { minReplicas: 0, maxReplicas: 16, targetQueuePerReplica: 10_000, scaleUpDelaySeconds: 400, scaleDownCooldownSeconds: 900 },
      ...(measuredTokensPerSecond !== undefined ? { measuredTokensPerSecond } : {}),
    },
  );
}

const economics = context({ operations: { fte: 0.1, loadedAnnualCostUsd: 250_000 } });
const STEP = { stepSeconds: 600 };
const volumes = [10e6, 20e6, 30e6, 40e6, 50e6, 60e6, 80e6, 100e6, 150e6];
const evaluations = volumes.map((v) => {
  const low = evaluateWorkload(classifier(v), economics, STEP);
  // What a load test that found the calibration's high end would configure (no per-file reload here, so the range is the replica's own).
  const atHigh = evaluateWorkload(classifier(v, low.capacity.tokensPerSecondRange.high), economics, STEP);
  return { volume: v, low, atHigh };
});

describe("capacity range in the evaluation", () => {
  it("plans the gate on the low end of a roofline's range", () => {
    for (const { low } of evaluations) {
      expect(low.capacity.basis).toBe("roofline");
      expect(low.replicaTokensPerSecond).toBeCloseTo(low.capacity.tokensPerSecondRange.low, 6);
    }
  });

  it("calls a refusal marginal exactly when the high end would pass, and says to measure first", () => {
    let marginal = 0;
    for (const { volume, low, atHigh } of evaluations) {
      const flips = !low.passesGate && atHigh.passesGate;
      expect(low.capacityMarginal, `${volume} requests/month`).toBe(flips);
      const reason = low.reasons.find((r) => r.factor === "capacity" && r.detail.startsWith("marginal: measure first"));
      expect(reason !== undefined, `${volume} requests/month`).toBe(flips);
      if (flips) {
        marginal++;
        expect(low.verdict).toBe("api");
        expect(reason!.detail).toMatch(/set serving\.measuredTokensPerSecond from a load test/);
      }
    }
    // The scan crosses the band: some volumes refuse outright, some pass outright, some are marginal.
    expect(marginal).toBeGreaterThan(0);
    expect(evaluations.some((e) => e.low.passesGate)).toBe(true);
  });

  it("never calls a measured figure marginal: its range is one value", () => {
    for (const { atHigh } of evaluations) {
      expect(atHigh.capacity.basis).toBe("measured");
      expect(atHigh.capacityMarginal).toBe(false);
    }
  });
});
