/**
 * Total cost of ownership over a horizon, next to payback: what owning costs over 12, 24 and 36
 * months against buying the same tokens from the API.
 *
 *   owned(h) = migration share
 *            + Σ months of the owned bill (fixed share + nodes + NAT egress of weights + what still goes to the API)
 *            + the parallel run: for `tco.parallelRunMonths` the API keeps carrying the owned share
 *              while the owned path runs beside it — both are billed
 *   api(h)   = Σ months of the API bill
 *
 * Growth (`tco.monthlyGrowthRate`, compounding) scales each month's traffic. The API bill scales with
 * it exactly; the owned bill is re-simulated once per year at that year's mean traffic (the replica
 * bounds stay as deployed, so growth beyond them overflows or queues and is costed as such). The
 * fixed-cost share stays as allocated today.
 */
import type { StackContext } from "./types";
import { workloadUsage, type UsageOptions, type WorkloadUsage } from "./usage";

/** Horizons reported, months. */
export const TCO_HORIZONS_MONTHS = [12, 24, 36] as const;

export interface TcoPoint {
  readonly months: number;
  readonly ownedUsd: number;
  readonly apiUsd: number;
  readonly savingsUsd: number;
}

/** This month's figures, already priced. */
export interface MonthFigures {
  readonly fixedUsd: number;
  readonly gpuUsd: number;
  readonly ownedMonthlyUsd: number;
  readonly apiMonthlyUsd: number;
  readonly migrationUsd: number;
}

/** TCO of one workload at each horizon. */
export function tcoOf(usage: WorkloadUsage, month: MonthFigures, context: StackContext, options: Pick<UsageOptions, "stepSeconds">): TcoPoint[] {
  const { parallelRunMonths, monthlyGrowthRate: g } = context.economics.tco;
  const years = Math.max(...TCO_HORIZONS_MONTHS) / 12;
  const ownedPerYear: number[] = [];
  const apiPerYear: number[] = [];
  for (let y = 0; y < years; y++) {
    let apiYear = 0;
    let scaleSum = 0;
    for (let m = 12 * y; m < 12 * (y + 1); m++) {
      const scale = (1 + g) ** m;
      scaleSum += scale;
      apiYear += month.apiMonthlyUsd * scale;
    }
    apiPerYear.push(apiYear);
    if (g === 0) {
      ownedPerYear.push(12 * month.ownedMonthlyUsd);
      continue;
    }
    const grown = workloadUsage(usage.facts, { ...context, economics: { ...context.economics, unservedBatchWork: "send-to-api" } }, {
      ...options,
      trafficScale: scaleSum / 12,
      capacity: usage.capacity,
      nodeOptions: usage.nodeOptions,
    });
    const ownedMonth = month.fixedUsd + grown.ec2Usd + grown.autoModeFeeUsd + grown.natEgressUsd + grown.overflowApiUsd + grown.backlogApiUsd;
    ownedPerYear.push(12 * ownedMonth);
  }
  // The parallel run bills the API for the owned share on top of the owned path, at today's traffic.
  const parallelRunUsd = parallelRunMonths * month.apiMonthlyUsd;
  return TCO_HORIZONS_MONTHS.map((months) => {
    const n = months / 12;
    const owned = month.migrationUsd + parallelRunUsd + ownedPerYear.slice(0, n).reduce((a, b) => a + b, 0);
    const api = apiPerYear.slice(0, n).reduce((a, b) => a + b, 0);
    return { months, ownedUsd: owned, apiUsd: api, savingsUsd: api - owned };
  });
}
