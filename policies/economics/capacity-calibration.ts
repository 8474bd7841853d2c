/**
 * Calibration of the capacity roofline against published vLLM measurements
 * (catalog/data/throughput-measurements.json): predict each row under its own load, fit the
 * efficiency and overhead parameters by least squares on log(predicted ÷ measured), and measure
 * the error on rows left out of the fit (k-fold). `npm run calibrate-capacity` writes the report
 * (docs/capacity-calibration.md); the test holds the shipped parameters to the data.
 *
 * Rows from vLLM releases before 0.6 ran with CPU overheads that 0.6 cut (vLLM's v0.6.0
 * performance blog: multi-step scheduling, asynchronous output processing); they get a separate
 * per-step overhead, fitted with the rest but never used to size a deployment.
 */
import { gpuById, modelById, THROUGHPUT_MEASUREMENTS } from "./catalog";
import type { ThroughputMeasurement } from "./catalog/measurements";
import { CAPACITY_PARAMETERS, decodeStepSeconds, memoryBoundBatch, rooflineAtBatch, type CapacityParameters } from "./capacity";
import type { CapacityInput } from "./types";

/** The shipped parameters plus the per-step overhead of pre-0.6 engines (calibration only). */
export interface CalibrationParameters extends CapacityParameters {
  readonly legacyStepOverheadSeconds: number;
  /**
   * Mean share of the batch limit a finite benchmark keeps busy (N prompts sent at once, or the
   * offline runner over N prompts): heavy-tailed ShareGPT outputs leave a long tail at small
   * batch (Lambda's 8B row: 3,400 tok/s at a 19.75 ms ITL is ≈ 67 sequences in flight on
   * average, not 256). Steady serving keeps the batch full, so this is never used to size.
   */
  readonly finiteRunOccupancy: number;
  /** Achieved ÷ dense compute efficiency of mixture-of-experts layers (grouped expert GEMMs). */
  readonly expertComputeShare: number;
}

const PARAMETER_NAMES = [
  "bandwidthEfficiency",
  "computeEfficiency",
  "fp8ComputeSpeedup",
  "stepOverheadSeconds",
  "perSequenceStepSeconds",
  "allReduceHopSeconds",
  "expertComputeShare",
  "legacyStepOverheadSeconds",
  "finiteRunOccupancy",
] as const;

/** Bounds that keep the fit physical: efficiencies are shares, FP8 at most the datasheet's 2×. */
const BOUNDS: Readonly<Record<(typeof PARAMETER_NAMES)[number], readonly [number, number]>> = {
  bandwidthEfficiency: [0.3, 0.9],
  computeEfficiency: [0.05, 1],
  fp8ComputeSpeedup: [1, 2],
  stepOverheadSeconds: [1e-5, 0.02],
  perSequenceStepSeconds: [1e-7, 1e-3],
  allReduceHopSeconds: [1e-7, 1e-3],
  expertComputeShare: [0.1, 1],
  legacyStepOverheadSeconds: [1e-5, 0.05],
  finiteRunOccupancy: [0.1, 1],
};

/** Whether a row ran on a vLLM release before 0.6 (or an unstated one from that time). */
export function isLegacyEngine(engineVersion: string): boolean {
  return /^0\.[0-5](\.|$)/.test(engineVersion) || engineVersion.startsWith("unknown");
}

function capacityInput(row: ThroughputMeasurement): CapacityInput {
  return {
    tier: "batch",
    architecture: modelById(row.model).architecture,
    weightPrecision: row.weightPrecision,
    kvCachePrecision: row.kvCachePrecision,
    gpu: gpuById(row.gpu),
    gpusPerReplica: row.tensorParallel,
    meanInputTokens: row.meanInputTokens,
    meanOutputTokens: row.meanOutputTokens,
    prefixCacheHitRate: 0,
    gpuMemoryUtilization: 0.9,
  };
}

/** The model's figure for a measurement row, in the row's own metric, under the row's load; NaN when the model says it does not fit. */
export function predictMeasurement(row: ThroughputMeasurement, parameters: CalibrationParameters): number {
  const p: CapacityParameters = isLegacyEngine(row.engineVersion) ? { ...parameters, stepOverheadSeconds: parameters.legacyStepOverheadSeconds } : parameters;
  const input = capacityInput(row);
  const memoryBatch = memoryBoundBatch(input);
  if (memoryBatch === 0) return Number.NaN;
  const batch =
    row.load.kind === "concurrency" ? Math.min(memoryBatch, row.load.concurrency) : Math.max(1, Math.min(memoryBatch, row.load.prompts) * parameters.finiteRunOccupancy);
  if (row.metric === "decode-step-ms") return decodeStepSeconds(input, batch, p) * 1000;
  const { tokensPerSecond } = rooflineAtBatch(input, batch, p);
  return row.metric === "total-tokens-per-second" ? tokensPerSecond : (tokensPerSecond * row.meanOutputTokens) / (row.meanInputTokens + row.meanOutputTokens);
}

/**
 * Error of a prediction as capacity sees it: predicted ÷ measured − 1 for throughputs, and for
 * a decode step the capacity it implies (measured ÷ predicted − 1), so +30 % always means
 * "the model promises 30 % more than was measured".
 */
export function capacityError(row: ThroughputMeasurement, predicted: number): number {
  return row.metric === "decode-step-ms" ? row.value / predicted - 1 : predicted / row.value - 1;
}

function objective(rows: readonly ThroughputMeasurement[], parameters: CalibrationParameters): number {
  let sum = 0;
  for (const row of rows) {
    const predicted = predictMeasurement(row, parameters);
    const logError = Number.isFinite(predicted) ? Math.log(1 + capacityError(row, predicted)) : 3;
    sum += Math.sqrt(logError * logError + 0.0025);
  }
  return sum;
}

const toVector = (p: CalibrationParameters) => PARAMETER_NAMES.map((name) => Math.log(p[name]));
function fromVector(x: readonly number[]): CalibrationParameters {
  const entries = PARAMETER_NAMES.map((name, i) => {
    const [low, high] = BOUNDS[name];
    return [name, Math.min(high, Math.max(low, Math.exp(x[i]!)))] as const;
  });
  return Object.fromEntries(entries) as unknown as CalibrationParameters;
}

/** Nelder–Mead in log-parameter space: few parameters, a cheap objective, no gradients needed. */
function nelderMead(f: (x: readonly number[]) => number, start: readonly number[], iterations: number): number[] {
  const n = start.length;
  let simplex = [start.slice(), ...start.map((_, i) => start.map((v, j) => (i === j ? v + 0.3 : v)))].map((x) => ({ x, fx: f(x) }));
  for (let k = 0; k < iterations; k++) {
    simplex.sort((a, b) => a.fx - b.fx);
    const best = simplex[0]!;
    const worst = simplex[n]!;
    const centroid = start.map((_, j) => simplex.slice(0, n).reduce((s, v) => s + v.x[j]!, 0) / n);
    const along = (t: number) => centroid.map((c, j) => c + t * (worst.x[j]! - c));
    const reflected = along(-1);
    const fr = f(reflected);
    if (fr < best.fx) {
      const expanded = along(-2);
      const fe = f(expanded);
      simplex[n] = fe < fr ? { x: expanded, fx: fe } : { x: reflected, fx: fr };
    } else if (fr < simplex[n - 1]!.fx) {
      simplex[n] = { x: reflected, fx: fr };
    } else {
      const contracted = along(0.5);
      const fc = f(contracted);
      if (fc < worst.fx) simplex[n] = { x: contracted, fx: fc };
      else simplex = simplex.map((v, i) => (i === 0 ? v : { x: v.x.map((xj, j) => best.x[j]! + 0.5 * (xj - best.x[j]!)), fx: Number.NaN })).map((v) => (Number.isNaN(v.fx) ? { x: v.x, fx: f(v.x) } : v));
    }
  }
  simplex.sort((a, b) => a.fx - b.fx);
  return simplex[0]!.x;
}

/** Where every fit starts: the shipped parameters, and a legacy overhead guess. */
export const FIT_START: CalibrationParameters = Object.freeze({ ...CAPACITY_PARAMETERS, legacyStepOverheadSeconds: 0.005, finiteRunOccupancy: 0.5 });

/** How hard the fit searches: Nelder–Mead rounds (each restarts the simplex around the last optimum) × iterations. */
export interface FitEffort {
  readonly rounds: number;
  readonly iterations: number;
}
export const FULL_FIT: FitEffort = { rounds: 3, iterations: 400 };

/**
 * Fit the parameters to the rows: a robust (pseudo-Huber) loss on log(predicted ÷ measured), so
 * a few rows with unstated conditions do not drag the rest; Nelder–Mead restarted `rounds` times.
 */
export function fitParameters(rows: readonly ThroughputMeasurement[], start: CalibrationParameters = FIT_START, effort: FitEffort = FULL_FIT): CalibrationParameters {
  const f = (x: readonly number[]) => objective(rows, fromVector(x));
  let x = toVector(start);
  for (let round = 0; round < effort.rounds; round++) x = nelderMead(f, x, effort.iterations);
  return fromVector(x);
}

/** The fit's loss for some parameters on some rows (lower is better). */
export function calibrationLoss(rows: readonly ThroughputMeasurement[], parameters: CalibrationParameters): number {
  return objective(rows, parameters);
}

export interface RowError {
  readonly row: ThroughputMeasurement;
  readonly predicted: number;
  /** capacityError: + means the model promises more than was measured. */
  readonly error: number;
}

/** Errors of the given parameters on the rows. */
export function rowErrors(rows: readonly ThroughputMeasurement[], parameters: CalibrationParameters): RowError[] {
  return rows.map((row) => {
    const predicted = predictMeasurement(row, parameters);
    return { row, predicted, error: Number.isFinite(predicted) ? capacityError(row, predicted) : Number.POSITIVE_INFINITY };
  });
}

/** Which of k folds a row is left out in: a stable hash of its id, so folds do not follow source order. */
export function foldOf(id: string, folds: number): number {
  let hash = 2166136261;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 16777619) >>> 0;
  return hash % folds;
}

/** k-fold leave-out: each row predicted by parameters fitted without its fold. */
export function leaveOutErrors(rows: readonly ThroughputMeasurement[] = THROUGHPUT_MEASUREMENTS, folds = 5, effort: FitEffort = FULL_FIT): RowError[] {
  const out: RowError[] = [];
  for (let fold = 0; fold < folds; fold++) {
    const training = rows.filter((r) => foldOf(r.id, folds) !== fold);
    const held = rows.filter((r) => foldOf(r.id, folds) === fold);
    out.push(...rowErrors(held, fitParameters(training, FIT_START, effort)));
  }
  return out;
}

/** Median |error| per group (GPU, tensor-parallel width, ...), groups in first-seen order. */
export function medianErrorBy(errors: readonly RowError[], key: (row: ThroughputMeasurement) => string): { group: string; rows: number; median: number; worst: number }[] {
  const groups = new Map<string, RowError[]>();
  for (const e of errors) groups.set(key(e.row), [...(groups.get(key(e.row)) ?? []), e]);
  return [...groups.entries()].map(([group, members]) => ({
    group,
    rows: members.length,
    median: medianAbsoluteError(members),
    worst: Math.max(...members.map((m) => Math.abs(m.error))),
  }));
}

/** Median of |error|. */
export function medianAbsoluteError(errors: readonly RowError[]): number {
  return quantile(errors.map((e) => Math.abs(e.error)), 0.5);
}

/** Linear-interpolated quantile of a sample (q in [0, 1]). */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

/** Measured ÷ predicted capacity at the 10th and 90th percentiles of the leave-out errors: the K band. */
export function errorBand(errors: readonly RowError[]): { lowRatio: number; highRatio: number } {
  const ratios = errors.filter((e) => Number.isFinite(e.error)).map((e) => 1 / (1 + e.error));
  return { lowRatio: quantile(ratios, 0.1), highRatio: quantile(ratios, 0.9) };
}
