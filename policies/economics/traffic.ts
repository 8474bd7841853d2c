/**
 * The traffic shape: how a month's requests spread over its 730 hours.
 *
 * Deterministic, so a cost report repeats: an hourly profile (a daily cycle peaking 14:00–15:00,
 * quieter weekends; the month starts on a Monday at 00:00) whose busiest hour is exactly
 * `peakToMeanRatio` times the month's mean hour, times minute-to-minute noise (log-normal, mean 1,
 * the given coefficient of variation, from a seeded PRNG), renormalized so the month's total is
 * exactly `requestsPerMonth`.
 *
 * The profile is exp(β·g(hour)) for a fixed daily/weekly curve g, with β solved by bisection so
 * that busiest hour / mean hour = peakToMeanRatio: positive at every hour for any ratio, flat at
 * β = 0 (ratio 1), and ever peakier as β grows. g carries a slight upward trend over the month
 * (`MONTHLY_TREND`, a growing product), so the month's last weekday 14:00 hour is its one busiest
 * hour and any ratio below 730 (all traffic in that one hour) can be reached.
 *
 * Noise is drawn once per minute (`NOISE_INTERVAL_SECONDS`), so the series is the same function
 * of time whatever step the caller asks for: 1 s steps sum to the 60 s steps.
 */
import { HOURS_PER_MONTH, SECONDS_PER_MONTH } from "./types";

export const NOISE_INTERVAL_SECONDS = 60;
const MINUTES_PER_MONTH = SECONDS_PER_MONTH / NOISE_INTERVAL_SECONDS;
/** Hour of day (0–23) that starts the busiest hour of a weekday. */
export const BUSIEST_HOUR_OF_DAY = 14;
/** How far weekend hours sit below weekday hours on the curve g (in units of the daily amplitude). */
const WEEKEND_DIP = 0.5;
/** Rise of the curve g from the month's first hour to its last (in units of the daily amplitude). */
const MONTHLY_TREND = 0.02;

/** What shapes the month's demand; mirrors the stack config's `traffic` block. */
export interface TrafficShape {
  /** Requests over the month (730 hours); 0 gives an all-zero series. */
  readonly requestsPerMonth: number;
  /** Busiest hour's rate over the mean hour's rate; 1 = flat. */
  readonly peakToMeanRatio: number;
  /** Coefficient of variation of the minute-to-minute noise; 0 = none. */
  readonly noiseCoefficientOfVariation: number;
  /** Seed of the noise. @default 1 */
  readonly seed?: number;
}

/**
 * mulberry32: a 32-bit-state PRNG, fast and good enough for arrival noise (not for anything
 * secret). Returns a generator of floats in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The daily/weekly curve g at hour `h` of the month (evaluated at the hour's midpoint); max 1. */
function curve(h: number): number {
  const hourOfDay = h % 24;
  const dayOfWeek = Math.floor(h / 24) % 7; // 0 = Monday
  const daily = Math.cos((2 * Math.PI * (hourOfDay - BUSIEST_HOUR_OF_DAY)) / 24);
  const trend = (MONTHLY_TREND * h) / HOURS_PER_MONTH;
  return (dayOfWeek >= 5 ? daily - WEEKEND_DIP : daily) + trend;
}

const CURVE: Float64Array = (() => {
  const g = new Float64Array(HOURS_PER_MONTH);
  for (let h = 0; h < HOURS_PER_MONTH; h++) g[h] = curve(h);
  return g;
})();
const CURVE_MAX = Math.max(...CURVE);

/** The highest peak-to-mean ratio the profile can reach: 730 / hours tied for busiest. */
export const MAX_PEAK_TO_MEAN_RATIO = HOURS_PER_MONTH / CURVE.filter((v) => v === CURVE_MAX).length;

/** mean over hours of exp(β (g − gmax)); the profile's peak-to-mean ratio is its reciprocal. */
function meanRelativeToPeak(beta: number): number {
  let sum = 0;
  for (let h = 0; h < HOURS_PER_MONTH; h++) sum += Math.exp(beta * ((CURVE[h] as number) - CURVE_MAX));
  return sum / HOURS_PER_MONTH;
}

/**
 * Rate multiplier of each of the month's 730 hours: mean 1, busiest hour = `peakToMeanRatio`
 * (to 1e-12 relative).
 *
 * @throws RangeError when the ratio is below 1 or not below `MAX_PEAK_TO_MEAN_RATIO`
 */
export function hourlyProfile(peakToMeanRatio: number): Float64Array {
  if (!Number.isFinite(peakToMeanRatio) || peakToMeanRatio < 1 || peakToMeanRatio >= MAX_PEAK_TO_MEAN_RATIO) {
    throw new RangeError(
      `peakToMeanRatio must be at least 1 and below ${MAX_PEAK_TO_MEAN_RATIO} (the month's traffic all in its busiest hour), got ${peakToMeanRatio}`,
    );
  }
  const profile = new Float64Array(HOURS_PER_MONTH);
  if (peakToMeanRatio === 1) return profile.fill(1);
  // ratio(β) = 1 / meanRelativeToPeak(β) rises from 1 at β = 0 towards MAX_PEAK_TO_MEAN_RATIO.
  const target = 1 / peakToMeanRatio;
  let lo = 0;
  let hi = 1;
  while (meanRelativeToPeak(hi) > target) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (meanRelativeToPeak(mid) > target) lo = mid;
    else hi = mid;
  }
  const beta = (lo + hi) / 2;
  let sum = 0;
  for (let h = 0; h < HOURS_PER_MONTH; h++) {
    const v = Math.exp(beta * ((CURVE[h] as number) - CURVE_MAX));
    profile[h] = v;
    sum += v;
  }
  const mean = sum / HOURS_PER_MONTH;
  for (let h = 0; h < HOURS_PER_MONTH; h++) profile[h] = (profile[h] as number) / mean;
  return profile;
}

/** Checks a simulation step: a whole number of seconds that divides the month. */
export function checkStepSeconds(stepSeconds: number): void {
  if (!Number.isInteger(stepSeconds) || stepSeconds < 1 || SECONDS_PER_MONTH % stepSeconds !== 0) {
    throw new RangeError(
      `stepSeconds must be a whole number of seconds that divides the ${HOURS_PER_MONTH}-hour month (${SECONDS_PER_MONTH} s), such as 1, 10, 60 or 3600; got ${stepSeconds}`,
    );
  }
}

function checkShape(shape: TrafficShape): void {
  if (!Number.isFinite(shape.requestsPerMonth) || shape.requestsPerMonth < 0) {
    throw new RangeError(`requestsPerMonth must be a finite number of at least 0, got ${shape.requestsPerMonth}`);
  }
  if (!Number.isFinite(shape.noiseCoefficientOfVariation) || shape.noiseCoefficientOfVariation < 0) {
    throw new RangeError(`noiseCoefficientOfVariation must be a finite number of at least 0, got ${shape.noiseCoefficientOfVariation}`);
  }
}

/** Relative rate of each minute of the month (profile × noise), before renormalization. */
function minuteRates(shape: TrafficShape): Float64Array {
  const profile = hourlyProfile(shape.peakToMeanRatio);
  const rates = new Float64Array(MINUTES_PER_MONTH);
  const minutesPerHour = 3600 / NOISE_INTERVAL_SECONDS;
  for (let m = 0; m < MINUTES_PER_MONTH; m++) rates[m] = profile[Math.floor(m / minutesPerHour)] as number;
  const cv = shape.noiseCoefficientOfVariation;
  if (cv > 0) {
    // Log-normal with mean 1 and CV cv: exp(σZ − σ²/2), σ² = ln(1 + cv²); Z by Box–Muller.
    const sigma = Math.sqrt(Math.log1p(cv * cv));
    const mu = (-sigma * sigma) / 2;
    const random = mulberry32(shape.seed ?? 1);
    for (let m = 0; m < MINUTES_PER_MONTH; m += 2) {
      const radius = Math.sqrt(-2 * Math.log(1 - random()));
      const angle = 2 * Math.PI * random();
      rates[m] = (rates[m] as number) * Math.exp(mu + sigma * radius * Math.cos(angle));
      if (m + 1 < MINUTES_PER_MONTH) rates[m + 1] = (rates[m + 1] as number) * Math.exp(mu + sigma * radius * Math.sin(angle));
    }
  }
  return rates;
}

/**
 * Requests arriving in each step of the month: `SECONDS_PER_MONTH / stepSeconds` values whose
 * sum, added in order, is exactly `requestsPerMonth`.
 *
 * @param stepSeconds a whole number of seconds dividing the month. @default 60
 */
export function requestsPerStep(shape: TrafficShape, stepSeconds = 60): Float64Array {
  checkShape(shape);
  checkStepSeconds(stepSeconds);
  const steps = SECONDS_PER_MONTH / stepSeconds;
  const out = new Float64Array(steps);
  if (shape.requestsPerMonth === 0) {
    hourlyProfile(shape.peakToMeanRatio); // still validate the ratio
    return out;
  }
  const rates = minuteRates(shape);
  // Integrate the per-minute piecewise-constant rate over each step (integer seconds throughout).
  let minute = 0;
  let total = 0;
  for (let i = 0; i < steps; i++) {
    let t = i * stepSeconds;
    const end = t + stepSeconds;
    let acc = 0;
    while (t < end) {
      const minuteEnd = (minute + 1) * NOISE_INTERVAL_SECONDS;
      const until = minuteEnd < end ? minuteEnd : end;
      acc += (rates[minute] as number) * (until - t);
      t = until;
      if (t === minuteEnd) minute++;
    }
    out[i] = acc;
    total += acc;
  }
  const scale = shape.requestsPerMonth / total;
  let sum = 0;
  for (let i = 0; i < steps - 1; i++) {
    const v = (out[i] as number) * scale;
    out[i] = v;
    sum += v;
  }
  // The last step absorbs the rounding, so the in-order sum is exactly requestsPerMonth.
  out[steps - 1] = Math.max(0, shape.requestsPerMonth - sum);
  return out;
}

/** Each step's rate over the month's mean rate (mean 1): the demand multiplier series. */
export function demandMultipliers(shape: Omit<TrafficShape, "requestsPerMonth">, stepSeconds = 60): Float64Array {
  const steps = SECONDS_PER_MONTH / stepSeconds;
  return requestsPerStep({ ...shape, requestsPerMonth: steps }, stepSeconds);
}

/** How many arrival series `sharedRequestsPerStep` keeps: a stack's workloads, their growth years and one search. */
const SHARED_SERIES_LIMIT = 16;
const sharedSeries = new Map<string, Float64Array>();

/**
 * `requestsPerStep`, generated once per traffic shape and step and then shared: the gate, the
 * cheapest-shape search and the TCO years all simulate the same month of arrivals for a workload,
 * so they reuse one series instead of regenerating it per candidate (least recently used kept).
 * The array is shared: callers must not write to it.
 */
export function sharedRequestsPerStep(shape: TrafficShape, stepSeconds = 60): Float64Array {
  const key = `${shape.requestsPerMonth}|${shape.peakToMeanRatio}|${shape.noiseCoefficientOfVariation}|${shape.seed ?? 1}|${stepSeconds}`;
  const hit = sharedSeries.get(key);
  if (hit !== undefined) {
    sharedSeries.delete(key);
    sharedSeries.set(key, hit);
    return hit;
  }
  const series = requestsPerStep(shape, stepSeconds);
  sharedSeries.set(key, series);
  if (sharedSeries.size > SHARED_SERIES_LIMIT) sharedSeries.delete(sharedSeries.keys().next().value as string);
  return series;
}
