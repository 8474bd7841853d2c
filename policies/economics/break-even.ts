/**
 * Owned vs API cost and break-even utilization, exactly as DESIGN.md defines them.
 *
 *   owned(u) = F + replica-hours(u) × p,   replica-hours(u) = W / (u × K × 3600)
 *   u*       = W × p / (3600 × K × (API − F))      (no break-even when F ≥ API)
 *
 * W: tokens per month served on owned GPUs; K: tokens/s one replica sustains within its SLO;
 * p: USD per replica-hour; F: the workload's share of fixed monthly cost; API: what W costs
 * at the API's prices.
 */
import type { PricePerMillion } from "./schema";

export interface BreakEvenInputs {
  /** W: tokens per month on the owned path. */
  readonly workTokensPerMonth: number;
  /** K: tokens per second one replica sustains within its SLO. */
  readonly replicaTokensPerSecond: number;
  /** p: USD per replica-hour. */
  readonly replicaUsdPerHour: number;
  /** F: the workload's share of fixed monthly cost, USD. */
  readonly fixedMonthlyUsd: number;
  /** What W costs at the API, USD per month. */
  readonly apiMonthlyUsd: number;
}

/** Monthly owned cost if the replicas ran at utilization `u` (0 < u). */
export function ownedMonthlyUsdAtUtilization(inputs: BreakEvenInputs, utilization: number): number {
  if (!(utilization > 0)) throw new RangeError(`utilization must be above 0, got ${utilization}`);
  const replicaHours = inputs.workTokensPerMonth / (utilization * inputs.replicaTokensPerSecond * 3600);
  return inputs.fixedMonthlyUsd + replicaHours * inputs.replicaUsdPerHour;
}

/** u*, or null when fixed costs alone reach the API bill (owning can never win). May exceed 1: unreachable. */
export function breakEvenUtilization(inputs: BreakEvenInputs): number | null {
  const headroom = inputs.apiMonthlyUsd - inputs.fixedMonthlyUsd;
  if (headroom <= 0) return null;
  return (inputs.workTokensPerMonth * inputs.replicaUsdPerHour) / (3600 * inputs.replicaTokensPerSecond * headroom);
}

/** The gate: modeled utilization at least break-even × (1 + margin). */
export function passesBreakEvenGate(modeledUtilization: number, breakEven: number | null, marginOfSafety: number): boolean {
  return breakEven !== null && breakEven <= 1 && modeledUtilization >= breakEven * (1 + marginOfSafety);
}

/** Monthly tokens split the way APIs bill them. */
export interface TokenVolumes {
  readonly inputTokens: number;
  readonly cachedInputTokens: number;
  readonly outputTokens: number;
}

/** Token volumes of `tokens` total at a workload's input/output mix and prefix-cache hit rate. */
export function splitTokens(totalTokens: number, meanInputTokens: number, meanOutputTokens: number, prefixCacheHitRate: number): TokenVolumes {
  const inputShare = meanInputTokens / (meanInputTokens + meanOutputTokens);
  const input = totalTokens * inputShare;
  return {
    inputTokens: input * (1 - prefixCacheHitRate),
    cachedInputTokens: input * prefixCacheHitRate,
    outputTokens: totalTokens - input,
  };
}

/** USD for these volumes at these prices per 1M tokens; cached input at the input price when none is given. */
export function apiCostUsd(volumes: TokenVolumes, price: PricePerMillion): number {
  const cached = price.cachedInput ?? price.input;
  return (volumes.inputTokens * price.input + volumes.cachedInputTokens * cached + volumes.outputTokens * price.output) / 1e6;
}
