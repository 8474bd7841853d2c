/**
 * The cheapest-shape search equals an exhaustive search over the catalog: every instance type
 * at every replica width, each evaluated the slow way (its own `evaluateWorkload`, at the gate's
 * step, billed in whole nodes), on random workloads.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { catalogCandidates, cheapestFeasibleShape, rescaledMaxReplicas } from "../../policies/economics/cheapest-shape";
import { evaluateWorkload, sizedReplicaCapacity } from "../../policies/economics/evaluate";
import type { StackContext, WorkloadFacts } from "../../policies/economics/types";
import { context, facts, profile } from "../fixtures/workloads";

const MODELS = ["meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen2.5-32B-Instruct", "meta-llama/Llama-3.3-70B-Instruct"] as const;

function exhaustive(workload: WorkloadFacts, ctx: StackContext): { instanceType: string; gpusPerReplica: number; usd: number } | null {
  const sendToApi: StackContext = { ...ctx, economics: { ...ctx.economics, unservedBatchWork: "send-to-api" } };
  let best: { instanceType: string; gpusPerReplica: number; usd: number } | null = null;
  for (const candidate of catalogCandidates(workload)) {
    const capacity = sizedReplicaCapacity(candidate.facts, candidate.instanceType);
    if (!capacity.fits || capacity.tokensPerSecond <= 0) continue;
    const maxReplicas = rescaledMaxReplicas(workload, capacity.tokensPerSecond);
    const e = evaluateWorkload({ ...candidate.facts, autoscaler: { ...workload.autoscaler, maxReplicas } }, sendToApi);
    const usd = e.ownedMonthlyUsd - e.ownedCostBreakdown.fixedUsd;
    if (best === null || usd < best.usd) best = { instanceType: candidate.instanceType, gpusPerReplica: candidate.gpusPerReplica, usd };
  }
  return best;
}

describe("cheapest feasible shape", () => {
  it("equals an exhaustive search over the catalog on random workloads", () => {
    fc.assert(
      fc.property(
        fc.record({
          model: fc.constantFrom(...MODELS),
          tier: fc.constantFrom("batch" as const, "interactive" as const),
          requestsPerMonth: fc.integer({ min: 50_000, max: 30_000_000 }),
          meanInputTokens: fc.integer({ min: 50, max: 4000 }),
          meanOutputTokens: fc.integer({ min: 5, max: 800 }),
          peakToMeanRatio: fc.double({ min: 1, max: 5, noNaN: true }),
          autoMode: fc.boolean(),
        }),
        (w) => {
          const workload = facts(
            profile({
              name: "random",
              tier: w.tier,
              model: { id: w.model },
              traffic: { requestsPerMonth: w.requestsPerMonth, meanInputTokens: w.meanInputTokens, meanOutputTokens: w.meanOutputTokens, peakToMeanRatio: w.peakToMeanRatio },
              api: { catalogId: "gpt-4.1" },
            }),
            { instanceTypes: ["g6e.12xlarge"], autoscaler: { minReplicas: w.tier === "batch" ? 0 : 1, maxReplicas: 4, targetQueuePerReplica: 1, scaleUpDelaySeconds: 600, scaleDownCooldownSeconds: 900 } },
          );
          const ctx = context({}, w.autoMode);
          const fast = cheapestFeasibleShape(workload, ctx);
          const slow = exhaustive(workload, ctx);
          if (slow === null) return expect(fast).toBeNull();
          expect(fast).not.toBeNull();
          expect(fast!.ownedMonthlyUsd).toBeCloseTo(slow.usd, 6);
          expect([fast!.instanceType, fast!.gpusPerReplica]).toEqual([slow.instanceType, slow.gpusPerReplica]);
        },
      ),
      { numRuns: 6, seed: 20261202 },
    );
  });

  it("never puts a 70B bf16 model on a single 24 GB GPU, and finds a shape that holds it", () => {
    const shape = cheapestFeasibleShape(
      facts(
        profile({
          name: "big",
          tier: "batch",
          model: { id: "meta-llama/Llama-3.3-70B-Instruct" },
          traffic: { requestsPerMonth: 2_000_000, meanInputTokens: 2000, meanOutputTokens: 300 },
          api: { catalogId: "gpt-4o" },
        }),
        { instanceTypes: ["g6e.12xlarge"], gpusPerReplica: 4, autoscaler: { minReplicas: 0, maxReplicas: 4, targetQueuePerReplica: 100, scaleUpDelaySeconds: 900, scaleDownCooldownSeconds: 900 } },
      ),
      context(),
    );
    expect(shape).not.toBeNull();
    // 70e9 × 2 bytes = 140 GB of weights: needs at least 2 × 80 GB or 4 × 48 GB.
    const gpuMemory = shape!.gpusPerReplica * (shape!.instanceType.startsWith("g6e") ? 48 : shape!.instanceType.startsWith("g") ? 24 : 80);
    expect(gpuMemory).toBeGreaterThanOrEqual(140);
  });
});
