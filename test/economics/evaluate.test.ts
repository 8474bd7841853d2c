import { describe, expect, it } from "vitest";
import { evaluateWorkload, stackFixedMonthlyUsd } from "../../policies/economics/evaluate";
import { EKS_FEES } from "../../policies/economics/catalog";
import { context, facts, profile } from "../fixtures/workloads";

describe("break-even for a fixed-replica workload with every price and throughput pinned", () => {
  // 1M requests × 1000 tokens = 1e9 tokens/month, flat; 2 replicas always up, 1000 tok/s each at $2/h.
  const pinned = (apiPricePerMillion: number) =>
    facts(
      profile({
        name: "pinned",
        tier: "batch",
        model: { id: "meta-llama/Llama-3.1-8B-Instruct" },
        traffic: { requestsPerMonth: 1e6, meanInputTokens: 500, meanOutputTokens: 500, peakToMeanRatio: 1, noiseCoefficientOfVariation: 0 },
        api: { pricePerMillion: { input: apiPricePerMillion, output: apiPricePerMillion } },
        rollout: { currentOwnedPercent: 90, targetOwnedPercent: 90 },
      }),
      {
        instanceTypes: ["g6.xlarge"],
        measuredTokensPerSecond: 1000,
        hourlyPriceUsd: 2,
        autoscaler: { minReplicas: 2, maxReplicas: 2, targetQueuePerReplica: 4, scaleUpDelaySeconds: 600, scaleDownCooldownSeconds: 900 },
      },
    );
  // No staff, no other fixed costs: F is the EKS control plane alone.
  const ctx = context({ operations: { fte: 0, loadedAnnualCostUsd: 0 }, fixedMonthlyUsd: 0, marginOfSafety: 0.15 });
  const F = EKS_FEES.controlPlaneUsdPerHour * 730; // $73 at $0.10/h

  it("matches the hand arithmetic when the API is cheap", () => {
    const e = evaluateWorkload(pinned(1), ctx);
    const W = 0.9e9; // 90 % owned share of 1e9
    expect(stackFixedMonthlyUsd(ctx)).toBeCloseTo(F, 9);
    expect(e.simulation.servedTokens).toBeCloseTo(W, 0);
    expect(e.gpuHoursPerMonth).toBeCloseTo(2 * 730, 6);
    expect(e.modeledUtilization).toBeCloseTo(W / (2 * 730 * 3600 * 1000), 9); // 0.171233
    expect(e.ownedMonthlyUsd).toBeCloseTo(F + 2 * 730 * 2, 6); // $2,993
    expect(e.apiMonthlyUsd).toBeCloseTo(900, 6); // 0.9e9 tokens × $1/1M
    expect(e.breakEvenUtilization).toBeCloseTo((W * 2) / (3600 * 1000 * (900 - F)), 9); // 0.6046…, far above 0.171
    expect(e.passesGate).toBe(false);
    expect(e.verdict).toBe("api");
  });

  it("matches the hand arithmetic when the API is dear", () => {
    const e = evaluateWorkload(pinned(5), ctx);
    const W = 0.9e9;
    const api = 4500; // 0.9e9 × $5/1M
    const uStar = (W * 2) / (3600 * 1000 * (api - F)); // 0.113…
    expect(e.breakEvenUtilization).toBeCloseTo(uStar, 9);
    expect(e.requiredUtilization).toBeCloseTo(uStar * 1.15, 9);
    expect(e.modeledUtilization).toBeCloseTo(0.171233, 5);
    expect(e.passesGate).toBe(true);
    expect(e.verdict).toBe("own");
    expect(e.savingsMonthlyUsd).toBeCloseTo(api - (F + 2920), 6);
    expect(e.costPerMillionTokensUsd.owned).toBeCloseTo(((F + 2920) / W) * 1e6, 6);
  });
});

describe("the seeds' cases", () => {
  it("about 50k queries a month on a 70B model on dedicated GPUs loses to the API by an order of magnitude", () => {
    const e = evaluateWorkload(
      facts(
        profile({
          name: "low-volume-70b",
          tier: "interactive",
          model: { id: "meta-llama/Llama-3.3-70B-Instruct" },
          traffic: { requestsPerMonth: 50_000, meanInputTokens: 1000, meanOutputTokens: 300, peakToMeanRatio: 3 },
          api: { catalogId: "gpt-4o" },
          rollout: { currentOwnedPercent: 90, targetOwnedPercent: 90 },
        }),
        { instanceTypes: ["g6e.12xlarge"], gpusPerReplica: 4, autoscaler: { minReplicas: 1, maxReplicas: 2, targetQueuePerReplica: 4, scaleUpDelaySeconds: 900, scaleDownCooldownSeconds: 1200 } },
      ),
      context(),
    );
    expect(e.verdict).toBe("api");
    expect(e.passesGate).toBe(false);
    expect(e.ownedMonthlyUsd).toBeGreaterThan(10 * e.apiMonthlyUsd);
  });

  it("a high-volume, steady classification workload on a small model wins clearly", () => {
    const e = evaluateWorkload(
      facts(
        profile({
          name: "classifier",
          tier: "batch",
          model: { id: "meta-llama/Llama-3.1-8B-Instruct" },
          traffic: { requestsPerMonth: 150_000_000, meanInputTokens: 400, meanOutputTokens: 5, peakToMeanRatio: 1.2, prefixCacheHitRate: 0.5 },
          api: { catalogId: "gpt-4.1-mini" },
          rollout: { currentOwnedPercent: 90, targetOwnedPercent: 90 },
        }),
        { instanceTypes: ["g6.xlarge"], capacityType: "spot", autoscaler: { minReplicas: 0, maxReplicas: 16, targetQueuePerReplica: 10_000, scaleUpDelaySeconds: 400, scaleDownCooldownSeconds: 900 } },
      ),
      context({ operations: { fte: 0.1, loadedAnnualCostUsd: 250_000 } }), // its GPU-hour share of a platform team's time
    );
    expect(e.passesGate).toBe(true);
    expect(e.verdict).toBe("own");
    // Billed in whole nodes and planned at the conservative end of the capacity range, owning still saves over 30 %.
    expect(e.savingsMonthlyUsd / e.apiMonthlyUsd).toBeGreaterThan(0.3);
  });

  it("spiky user-facing chat does not clear the gate at low volume", () => {
    const e = evaluateWorkload(
      facts(
        profile({
          name: "chat",
          tier: "interactive",
          model: { id: "meta-llama/Llama-3.3-70B-Instruct", weightPrecision: "fp8", kvCachePrecision: "fp8" },
          traffic: { requestsPerMonth: 400_000, meanInputTokens: 1200, meanOutputTokens: 350, peakToMeanRatio: 5 },
          api: { catalogId: "claude-sonnet-4-20250514" },
          slo: { timePerOutputTokenMs: 60 },
        }),
        { instanceTypes: ["g6e.12xlarge"], gpusPerReplica: 4, autoscaler: { minReplicas: 1, maxReplicas: 3, targetQueuePerReplica: 1, scaleUpDelaySeconds: 900, scaleDownCooldownSeconds: 1200 } },
      ),
      context(),
    );
    expect(e.capacity.fits).toBe(true);
    expect(e.passesGate).toBe(false);
    expect(e.verdict).toBe("api");
    expect(e.reasons.map((r) => r.factor)).toEqual(expect.arrayContaining(["burstiness", "latency"]));
  });
});
