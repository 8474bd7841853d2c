/**
 * The cost model's definitions checked against hand arithmetic: whole-node billing, the batch
 * backlog, fixed-cost allocation, batch and cached-input prices, fees and commitments, measured
 * throughput, TCO. Every price is read from the catalog the model uses, so the arithmetic holds
 * when the catalog's prices move.
 */
import { describe, expect, it } from "vitest";
import { AUTO_MODE_FEES, catalogInstancePrice } from "../../policies/economics/catalog";
import { evaluateWorkload, evaluateWorkloads, stackFixedMonthlyUsd } from "../../policies/economics/evaluate";
import { packReplicas } from "../../policies/economics/node-packing";
import { workloadProfileSchema } from "../../policies/economics/schema";
import type { WorkloadFacts } from "../../policies/economics/types";
import { context, facts, profile } from "../fixtures/workloads";

const HOURS = 730;
const SECONDS = HOURS * 3600;
const fee = (type: string) => AUTO_MODE_FEES.find((f) => f.instanceType === type)!.usdPerHour;
const noStaff = { operations: { fte: 0, loadedAnnualCostUsd: 0 }, fixedMonthlyUsd: 0 };

/** A flat, noise-free batch workload at 1,000 tokens per request with every price pinned by hand. */
function flatBatch(name: string, requestsPerMonth: number, serving: Partial<WorkloadFacts> & Pick<WorkloadFacts, "instanceTypes">, price = 1): WorkloadFacts {
  return facts(
    profile({
      name,
      tier: "batch",
      model: { id: "meta-llama/Llama-3.1-8B-Instruct" },
      traffic: { requestsPerMonth, meanInputTokens: 500, meanOutputTokens: 500, peakToMeanRatio: 1, noiseCoefficientOfVariation: 0 },
      api: { pricePerMillion: { input: price, output: price }, batchDiscount: 0 },
      rollout: { currentOwnedPercent: 100, targetOwnedPercent: 100 },
    }),
    { measuredTokensPerSecond: 1000, ...serving },
  );
}

describe("whole-node billing", () => {
  it("bills the whole 8-GPU p4d.24xlarge for one 1-GPU replica", () => {
    const e = evaluateWorkload(
      flatBatch("one-gpu", 1e6, { instanceTypes: ["p4d.24xlarge"], autoscaler: { minReplicas: 1, maxReplicas: 1, targetQueuePerReplica: 4, scaleUpDelaySeconds: 600, scaleDownCooldownSeconds: 900 } }, 5),
      context(noStaff),
    );
    const node = catalogInstancePrice("p4d.24xlarge", "on-demand");
    expect(e.ownedCostBreakdown.ec2Usd).toBeCloseTo(HOURS * node, 6); // not 730 × price ÷ 8
    expect(e.gpuHoursPerMonth).toBeCloseTo(8 * HOURS, 6);
    expect(e.replicaGpuHoursPerMonth).toBeCloseTo(HOURS, 6);
    // 1e9 tokens served against 8 GPU-slots × 730 h × 1000 tok/s the bill pays for.
    expect(e.modeledUtilization).toBeCloseTo(1e9 / (8 * SECONDS * 1000), 9);
    expect(e.replicaUsdPerHour).toBeCloseTo(node / 8, 9); // p per billed replica-slot: owned(u) = F + W/(uK) × p holds
  });

  it("packs replicas onto the cheapest mix of the pool's instance types", () => {
    // 2-GPU replicas: a 4-GPU node holds 2 for $10, an 8-GPU node holds 4 for $18.
    const table = packReplicas(
      [
        { instanceType: "four", gpusPerNode: 4, replicasPerNode: 2, ec2UsdPerHour: 10, feeUsdPerHour: 0 },
        { instanceType: "eight", gpusPerNode: 8, replicasPerNode: 4, ec2UsdPerHour: 18, feeUsdPerHour: 0 },
      ],
      5,
    );
    expect([...table.ec2UsdPerHour]).toEqual([0, 10, 10, 18, 18, 28]);
    expect([...table.gpus]).toEqual([0, 4, 4, 8, 8, 12]);
    expect(table.packing(5)).toEqual(["four", "eight"]);
  });

  it("bills 3 two-GPU replicas on 4-GPU g6e.12xlarge nodes as 2 nodes", () => {
    const e = evaluateWorkload(
      flatBatch("two-gpu", 1e6, { instanceTypes: ["g6e.12xlarge"], gpusPerReplica: 2, autoscaler: { minReplicas: 3, maxReplicas: 3, targetQueuePerReplica: 4, scaleUpDelaySeconds: 600, scaleDownCooldownSeconds: 900 } }),
      context(noStaff),
    );
    expect(e.ownedCostBreakdown.ec2Usd).toBeCloseTo(2 * HOURS * catalogInstancePrice("g6e.12xlarge", "on-demand"), 6);
    expect(e.nodeHoursPerMonth).toBeCloseTo(2 * HOURS, 6);
    expect(e.nodesAtPeak).toEqual(["g6e.12xlarge", "g6e.12xlarge"]);
  });
});

describe("batch work left undone", () => {
  // One replica of 1000 tok/s serves 2.628e9 tokens a month; the workload asks for twice that.
  const overloaded = flatBatch("overloaded", 2 * 2.628e6, {
    instanceTypes: ["g6.xlarge"],
    autoscaler: { minReplicas: 1, maxReplicas: 1, targetQueuePerReplica: 4, scaleUpDelaySeconds: 0, scaleDownCooldownSeconds: 0 },
  });

  it("refuses the workload as under-provisioned by default, naming the replicas it needs", () => {
    const e = evaluateWorkload(overloaded, context(noStaff));
    expect(e.backlog.disposition).toBe("refuse");
    expect(e.backlog.share).toBeCloseTo(0.5, 6);
    expect(e.backlog.minReplicasForDemand).toBe(2);
    expect(e.modeledUtilization).toBeCloseTo(1, 6);
    expect(e.passesGate).toBe(false);
    expect(e.refusal).toContain("under-provisioned");
    expect(e.refusal).toContain("at least 2");
  });

  it("or costs the undone half at the API price, so savings are what is real", () => {
    const e = evaluateWorkload(overloaded, context({ ...noStaff, unservedBatchWork: "send-to-api" }));
    const nodes = HOURS * catalogInstancePrice("g6.xlarge", "on-demand");
    expect(e.backlog.disposition).toBe("send-to-api");
    expect(e.ownedCostBreakdown.backlogApiUsd).toBeCloseTo(2628, 3); // 2.628e9 tokens at $1/1M
    expect(e.apiMonthlyUsd).toBeCloseTo(5256, 3);
    expect(e.savingsMonthlyUsd).toBeCloseTo(5256 - (HOURS * 0.1 + nodes + 2628), 3); // control plane $73 is the only fixed cost
    expect(e.verdict).toBe("hybrid");
  });
});

describe("fixed costs cannot be diluted by declaring workloads", () => {
  const busy = flatBatch("busy", 2e6, { instanceTypes: ["g6.xlarge"], autoscaler: { minReplicas: 1, maxReplicas: 1, targetQueuePerReplica: 4, scaleUpDelaySeconds: 0, scaleDownCooldownSeconds: 0 } }, 2);
  const other = flatBatch("other", 1e6, { instanceTypes: ["g6.xlarge"], autoscaler: { minReplicas: 2, maxReplicas: 2, targetQueuePerReplica: 4, scaleUpDelaySeconds: 0, scaleDownCooldownSeconds: 0 } }, 2);
  const placeholder = facts(
    profile({
      name: "placeholder",
      tier: "batch",
      model: { id: "meta-llama/Llama-3.1-8B-Instruct" },
      traffic: { requestsPerMonth: 1, meanInputTokens: 1, meanOutputTokens: 1 },
      api: { pricePerMillion: { input: 100, output: 100 } },
      rollout: { currentOwnedPercent: 0, targetOwnedPercent: 0 },
    }),
    { instanceTypes: ["g6.xlarge"], autoscaler: { minReplicas: 0, maxReplicas: 1, targetQueuePerReplica: 4, scaleUpDelaySeconds: 0, scaleDownCooldownSeconds: 0 } },
  );
  const ctx = context({ operations: { fte: 0.5, loadedAnnualCostUsd: 240_000 }, fixedMonthlyUsd: 927 }); // F = 10,000 + 73 + 927 = $11,000

  it("shares the stack's fixed costs by billed GPU-hours", () => {
    const { workloads, totals } = evaluateWorkloads([busy, other], ctx);
    expect(stackFixedMonthlyUsd(ctx)).toBeCloseTo(11_000, 6);
    expect(workloads.map((w) => w.fixedCostShare)).toEqual([1 / 3, 2 / 3]); // 730 vs 1,460 GPU-hours
    expect(workloads[0]!.ownedCostBreakdown.fixedUsd).toBeCloseTo(11_000 / 3, 6);
    expect(totals.ownedMonthlyUsd).toBeCloseTo(11_000 + 3 * HOURS * catalogInstancePrice("g6.xlarge", "on-demand"), 6);
    expect(totals.apiMonthlyUsd).toBeCloseTo(2 * 2000 + 2 * 1000, 6);
    expect(totals.ownedWithinApi).toBe(false);
  });

  it("a zero-traffic placeholder changes nothing", () => {
    const without = evaluateWorkloads([busy, other], ctx);
    const withPlaceholder = evaluateWorkloads([busy, other, placeholder], ctx);
    const figures = (w: (typeof without.workloads)[number]) => [w.ownedMonthlyUsd, w.breakEvenUtilization, w.passesGate, w.verdict, w.fixedCostShare];
    expect(withPlaceholder.workloads.slice(0, 2).map(figures)).toEqual(without.workloads.map(figures));
    expect(withPlaceholder.workloads[2]!.fixedCostShare).toBe(0);
    expect(withPlaceholder.totals.ownedMonthlyUsd).toBeCloseTo(without.totals.ownedMonthlyUsd, 9);
  });
});

describe("batch and cached-input prices: one rule, one bill", () => {
  const batchOf = (api: object) =>
    facts(
      profile({
        name: "priced",
        tier: "batch",
        model: { id: "meta-llama/Llama-3.1-8B-Instruct" },
        traffic: { requestsPerMonth: 1e6, meanInputTokens: 750, meanOutputTokens: 250, prefixCacheHitRate: 0.4 },
        api,
      }),
      { instanceTypes: ["g6.xlarge"] },
    );

  it("gives the same bill whether the catalog or the workload carries OpenAI's 50 % batch discount", () => {
    const fromCatalog = evaluateWorkload(batchOf({ catalogId: "gpt-4.1-mini" }), context());
    const fromDiscount = evaluateWorkload(batchOf({ pricePerMillion: { input: 0.4, cachedInput: 0.1, output: 1.6 }, batchDiscount: 0.5 }), context());
    // 0.9e9 tokens: 675M input (60 % uncached at $0.20, 40 % cached at $0.05), 225M output at $0.80.
    const hand = 405 * 0.2 + 270 * 0.05 + 225 * 0.8;
    expect(fromCatalog.apiMonthlyUsd).toBeCloseTo(hand, 9);
    expect(fromDiscount.apiMonthlyUsd).toBeCloseTo(hand, 9);
  });

  it("bills all of Anthropic's batch usage at 50 %, cache reads included", () => {
    const e = evaluateWorkload(batchOf({ catalogId: "claude-sonnet-4-5" }), context());
    expect(e.apiPricePerMillion).toEqual({ input: 1.5, output: 7.5, cachedInput: 0.15 });
  });
});

describe("fees and commitments, as AWS bills them", () => {
  const fixedGroup = { minReplicas: 1, maxReplicas: 1, targetQueuePerReplica: 4, scaleUpDelaySeconds: 0, scaleDownCooldownSeconds: 0 };

  it("adds the per-instance-type Auto Mode fee to spot nodes, not a share of the spot price", () => {
    const e = evaluateWorkload(flatBatch("spot", 1e6, { instanceTypes: ["g6.xlarge"], capacityType: "spot", autoscaler: fixedGroup }), context(noStaff, true));
    expect(e.ownedCostBreakdown.ec2Usd).toBeCloseTo(HOURS * catalogInstancePrice("g6.xlarge", "spot"), 6);
    expect(e.ownedCostBreakdown.autoModeFeeUsd).toBeCloseTo(HOURS * fee("g6.xlarge"), 6);
  });

  it("treats the fee the same under hourlyPriceUsd and priceOverrides", () => {
    const viaServing = evaluateWorkload(flatBatch("rate", 1e6, { instanceTypes: ["g6.xlarge"], hourlyPriceUsd: 0.5, autoscaler: fixedGroup }), context(noStaff, true));
    const viaOverride = evaluateWorkload(
      flatBatch("rate", 1e6, { instanceTypes: ["g6.xlarge"], autoscaler: fixedGroup }),
      context({ ...noStaff, priceOverrides: { instances: { "g6.xlarge": { onDemand: 0.5 } } } }, true),
    );
    expect(viaServing.ownedMonthlyUsd).toBeCloseTo(HOURS * (0.1 + 0.5 + fee("g6.xlarge")), 6);
    expect(viaOverride.ownedMonthlyUsd).toBeCloseTo(viaServing.ownedMonthlyUsd, 9);
  });

  it("pays a reserved commitment for the most replicas every hour of the month, used or not", () => {
    // 2-GPU replicas, at most 3: two g6e.12xlarge committed. Almost no traffic: the group sits at 0.
    const e = evaluateWorkload(
      flatBatch("reserved", 1_000, {
        instanceTypes: ["g6e.12xlarge"],
        gpusPerReplica: 2,
        capacityType: "reserved",
        autoscaler: { minReplicas: 0, maxReplicas: 3, targetQueuePerReplica: 4, scaleUpDelaySeconds: 60, scaleDownCooldownSeconds: 60 },
      }),
      context(noStaff),
    );
    expect(e.ownedCostBreakdown.ec2Usd).toBeCloseTo(2 * HOURS * catalogInstancePrice("g6e.12xlarge", "reserved"), 6);
    expect(e.gpuHoursPerMonth).toBeCloseTo(8 * HOURS, 6);
  });
});

describe("measured throughput is K, derated once", () => {
  it("uses an interactive measured figure as it stands (it was taken at the SLO)", () => {
    const e = evaluateWorkload(
      facts(
        profile({
          name: "measured-chat",
          tier: "interactive",
          model: { id: "meta-llama/Llama-3.1-8B-Instruct" },
          traffic: { requestsPerMonth: 1e6, meanInputTokens: 500, meanOutputTokens: 500 },
          api: { pricePerMillion: { input: 1, output: 1 } },
          slo: { maxWaitProbability: 0.05 },
        }),
        { instanceTypes: ["g6.xlarge"], measuredTokensPerSecond: 1000, autoscaler: { minReplicas: 1, maxReplicas: 1, targetQueuePerReplica: 1, scaleUpDelaySeconds: 0, scaleDownCooldownSeconds: 0 } },
      ),
      context(),
    );
    expect(e.replicaTokensPerSecond).toBe(1000);
    expect(e.capacity.basis).toBe("measured");
  });
});

describe("an unreachable interactive queue target", () => {
  it("is refused with the target that would work, and reasons quote whole bills", () => {
    const e = evaluateWorkload(
      facts(
        profile({
          name: "stuck",
          tier: "interactive",
          model: { id: "meta-llama/Llama-3.1-8B-Instruct" },
          traffic: { requestsPerMonth: 5e6, meanInputTokens: 800, meanOutputTokens: 200 },
          api: { pricePerMillion: { input: 5, output: 5 } },
          slo: { maxQueueWaitSeconds: 2 },
        }),
        { instanceTypes: ["g6.xlarge"], measuredTokensPerSecond: 1000, autoscaler: { minReplicas: 1, maxReplicas: 4, targetQueuePerReplica: 4, scaleUpDelaySeconds: 300, scaleDownCooldownSeconds: 900 } },
      ),
      context(),
    );
    // A replica holds 1000 tok/s × 2 s ÷ 1000 tokens = 2 waiting requests; HPA acts 10 % above target: below 2 ÷ 1.1.
    expect(e.queueTarget).toEqual({ targetQueuePerReplica: 4, maxReachableQueuePerReplica: 2 / 1.1, reachable: false });
    expect(e.passesGate).toBe(false);
    expect(e.refusal).toContain("below 1.82");
    const volume = e.reasons.find((r) => r.factor === "volume" || r.factor === "fixed-costs")!;
    expect(volume.detail).toContain(`$${Math.round(e.apiMonthlyUsd).toLocaleString("en-US")}/month on the API`);
    expect(e.reasons.map((r) => r.factor)).not.toContain("burstiness");
  });
});

describe("the seeds' needs: 100 % owned and a TCO next to payback", () => {
  it("accepts 100 % owned as the rollout's last stage", () => {
    expect(workloadProfileSchema.parse({ ...baseProfile(), rollout: { currentOwnedPercent: 90, targetOwnedPercent: 100 } }).rollout.targetOwnedPercent).toBe(100);
  });

  it("adds migration and the parallel run's API bill to 12, 24 and 36 months of the owned bill", () => {
    const ctx = context({ ...noStaff, migrationCostUsd: 12_000, tco: { parallelRunMonths: 2, monthlyGrowthRate: 0 } });
    const e = evaluateWorkload(flatBatch("tco", 2e6, { instanceTypes: ["g6.xlarge"], autoscaler: { minReplicas: 1, maxReplicas: 1, targetQueuePerReplica: 4, scaleUpDelaySeconds: 0, scaleDownCooldownSeconds: 0 } }, 2), ctx);
    for (const point of e.tco) {
      expect(point.ownedUsd).toBeCloseTo(12_000 + 2 * e.apiMonthlyUsd + point.months * e.ownedMonthlyUsd, 6);
      expect(point.apiUsd).toBeCloseTo(point.months * e.apiMonthlyUsd, 6);
    }
    expect(e.tco.map((p) => p.months)).toEqual([12, 24, 36]);
  });

  it("grows the API bill by the monthly growth rate, compounding", () => {
    const ctx = context({ ...noStaff, tco: { parallelRunMonths: 0, monthlyGrowthRate: 0.02 } });
    const e = evaluateWorkload(flatBatch("growth", 1e6, { instanceTypes: ["g6.xlarge"], autoscaler: { minReplicas: 1, maxReplicas: 2, targetQueuePerReplica: 4, scaleUpDelaySeconds: 0, scaleDownCooldownSeconds: 0 } }), ctx);
    const months12 = Array.from({ length: 12 }, (_, m) => 1.02 ** m).reduce((a, b) => a + b, 0);
    expect(e.tco[0]!.apiUsd).toBeCloseTo(e.apiMonthlyUsd * months12, 6);
  });
});

function baseProfile() {
  return {
    name: "full",
    tier: "batch" as const,
    model: { id: "meta-llama/Llama-3.1-8B-Instruct" },
    traffic: { requestsPerMonth: 1e6, meanInputTokens: 500, meanOutputTokens: 500 },
    api: { catalogId: "gpt-4.1-mini" },
  };
}
