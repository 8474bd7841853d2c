/**
 * The month-long autoscaler simulation: one workload at 60 s steps (the budget: well under
 * 50 ms), how that grows with resolution (10 s, 1 s) and with the number of workloads (10, 50),
 * and where the time goes (traffic generation vs the autoscaler loop).
 */
import { simulateArrivals, simulateMonth } from "../policies/economics/simulation";
import { requestsPerStep } from "../policies/economics/traffic";
import type { SimulationInput } from "../policies/economics/types";
import { SECONDS_PER_MONTH } from "../policies/economics/types";
import type { BenchCase, BenchRow, BenchSuite } from "./suite";

/** Budget from issue 2: one workload's month at 60 s steps. */
const BUDGET_MS = 50;
const BASELINE = "1 workload, 60 s steps";

/** The three classic workloads, varied by seed and volume to make a fleet. */
const TEMPLATES: readonly SimulationInput[] = [
  {
    tier: "interactive",
    requestsPerMonth: 1.5e6,
    meanInputTokens: 1200,
    meanOutputTokens: 400,
    peakToMeanRatio: 4,
    noiseCoefficientOfVariation: 0.2,
    replica: { tokensPerSecond: 2400, concurrentSequences: 48 },
    gpusPerReplica: 4,
    autoscaler: { minReplicas: 1, maxReplicas: 8, targetQueuePerReplica: 4, scaleUpDelaySeconds: 420, scaleDownCooldownSeconds: 900 },
    maxQueueWaitSeconds: 2,
  },
  {
    tier: "batch",
    requestsPerMonth: 4e7,
    meanInputTokens: 300,
    meanOutputTokens: 5,
    peakToMeanRatio: 1.3,
    noiseCoefficientOfVariation: 0.1,
    replica: { tokensPerSecond: 30000, concurrentSequences: 256 },
    gpusPerReplica: 1,
    autoscaler: { minReplicas: 0, maxReplicas: 4, targetQueuePerReplica: 200, scaleUpDelaySeconds: 240, scaleDownCooldownSeconds: 600 },
  },
  {
    tier: "batch",
    requestsPerMonth: 2e6,
    meanInputTokens: 6000,
    meanOutputTokens: 800,
    peakToMeanRatio: 2,
    noiseCoefficientOfVariation: 0.3,
    replica: { tokensPerSecond: 9000, concurrentSequences: 64 },
    gpusPerReplica: 2,
    autoscaler: { minReplicas: 0, maxReplicas: 6, targetQueuePerReplica: 50, scaleUpDelaySeconds: 300, scaleDownCooldownSeconds: 600 },
  },
];

function fleet(count: number, stepSeconds: number): SimulationInput[] {
  return Array.from({ length: count }, (_, i) => {
    const t = TEMPLATES[i % TEMPLATES.length] as SimulationInput;
    return { ...t, requestsPerMonth: t.requestsPerMonth * (1 + 0.1 * i), seed: i + 1, stepSeconds };
  });
}

function simulateAll(inputs: readonly SimulationInput[]): number {
  let gpuHours = 0;
  for (const input of inputs) gpuHours += simulateMonth(input).gpuHours;
  return gpuHours;
}

const steps = (stepSeconds: number, workloads = 1) =>
  `${((SECONDS_PER_MONTH / stepSeconds) * workloads).toLocaleString("en-US")} steps`;

function cases(): BenchCase[] {
  const one60 = fleet(1, 60);
  const first = one60[0] as SimulationInput;
  const arrivals = requestsPerStep({ ...first, seed: 1 }, 60);
  return [
    { name: BASELINE, size: steps(60), fn: () => simulateAll(one60), iterations: 50, timeMs: 1000 },
    { name: "1 workload, 10 s steps", size: steps(10), fn: () => simulateAll(fleet(1, 10)), iterations: 10, timeMs: 1000 },
    { name: "1 workload, 1 s steps", size: steps(1), fn: () => simulateAll(fleet(1, 1)), iterations: 4, timeMs: 0 },
    { name: "10 workloads, 60 s steps", size: steps(60, 10), fn: () => simulateAll(fleet(10, 60)), iterations: 10, timeMs: 1000 },
    { name: "50 workloads, 60 s steps", size: steps(60, 50), fn: () => simulateAll(fleet(50, 60)), iterations: 5, timeMs: 1000 },
    {
      name: "  of which traffic (requestsPerStep), 60 s",
      size: steps(60),
      fn: () => requestsPerStep({ ...first, seed: 1 }, 60),
      iterations: 50,
      timeMs: 500,
    },
    { name: "  of which autoscaler loop (simulateArrivals), 60 s", size: steps(60), fn: () => simulateArrivals(first, arrivals), iterations: 50, timeMs: 500 },
  ];
}

function verdicts(rows: readonly BenchRow[]): string[] {
  const base = rows.find((r) => r.name === BASELINE);
  if (base === undefined) return [];
  const ok = base.medianMs < BUDGET_MS;
  return [`one workload's month at 60 s steps: median ${base.medianMs.toFixed(2)} ms — ${ok ? "within" : "OVER"} the ${BUDGET_MS} ms budget`];
}

export const simulationSuite: BenchSuite = {
  name: "simulation",
  description: "month-long autoscaler simulation (simulateMonth): resolution and fleet size",
  baseline: BASELINE,
  cases,
  verdicts,
};
