import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BUSIEST_HOUR_OF_DAY,
  MAX_PEAK_TO_MEAN_RATIO,
  demandMultipliers,
  hourlyProfile,
  mulberry32,
  requestsPerStep,
} from "../../policies/economics/traffic";
import { HOURS_PER_MONTH, SECONDS_PER_MONTH } from "../../policies/economics/types";

function sumInOrder(values: Float64Array): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/** Sums consecutive groups of `size` values. */
function rebin(values: Float64Array, size: number): Float64Array {
  const out = new Float64Array(values.length / size);
  for (let i = 0; i < values.length; i++) out[Math.floor(i / size)] = (out[Math.floor(i / size)] as number) + (values[i] as number);
  return out;
}

const stepsDividingAnHour = fc.constantFrom(1, 5, 10, 30, 60, 120, 300, 900, 3600);

describe("requestsPerStep", () => {
  it("conserves the month's requests exactly, whatever the shape, noise, seed and step", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 1e10, noNaN: true }),
        fc.double({ min: 1, max: 20, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer(),
        fc.constantFrom(60, 300, 3600, 7200, SECONDS_PER_MONTH),
        (requestsPerMonth, peakToMeanRatio, noiseCoefficientOfVariation, seed, stepSeconds) => {
          const series = requestsPerStep({ requestsPerMonth, peakToMeanRatio, noiseCoefficientOfVariation, seed }, stepSeconds);
          expect(series.length).toBe(SECONDS_PER_MONTH / stepSeconds);
          expect(sumInOrder(series)).toBe(requestsPerMonth);
          expect(series.every((v) => v >= 0)).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("puts the busiest hour at the requested multiple of the mean hour when there is no noise", () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 200, noNaN: true }), stepsDividingAnHour, (peakToMeanRatio, stepSeconds) => {
        const series = requestsPerStep({ requestsPerMonth: 7.3e6, peakToMeanRatio, noiseCoefficientOfVariation: 0 }, stepSeconds);
        const hours = rebin(series, 3600 / stepSeconds);
        const meanHour = 7.3e6 / HOURS_PER_MONTH;
        expect(Math.max(...hours) / meanHour).toBeCloseTo(peakToMeanRatio, 8);
      }),
      { numRuns: 30 },
    );
  });

  it("is flat when the ratio is 1 and there is no noise", () => {
    const series = requestsPerStep({ requestsPerMonth: 43_800 * 3, peakToMeanRatio: 1, noiseCoefficientOfVariation: 0 });
    expect(series.length).toBe(43_800);
    const worst = series.reduce((w, v) => Math.max(w, Math.abs(v - 3)), 0);
    expect(worst).toBeLessThan(1e-9);
  });

  it("repeats for the same seed and differs for another", () => {
    const shape = { requestsPerMonth: 1e6, peakToMeanRatio: 3, noiseCoefficientOfVariation: 0.2 };
    const a = requestsPerStep({ ...shape, seed: 7 });
    expect(requestsPerStep({ ...shape, seed: 7 })).toEqual(a);
    const b = requestsPerStep({ ...shape, seed: 8 });
    expect(b).not.toEqual(a);
    expect(requestsPerStep(shape)).toEqual(requestsPerStep({ ...shape, seed: 1 }));
  });

  it("has minute-to-minute noise of the requested coefficient of variation, around the noiseless shape", () => {
    for (const cv of [0.05, 0.3]) {
      const shape = { requestsPerMonth: 1e7, peakToMeanRatio: 2.5 };
      const noisy = requestsPerStep({ ...shape, noiseCoefficientOfVariation: cv, seed: 42 });
      const smooth = requestsPerStep({ ...shape, noiseCoefficientOfVariation: 0 });
      const ratios = Array.from(noisy, (v, i) => v / (smooth[i] as number));
      const mean = ratios.reduce((s, r) => s + r, 0) / ratios.length;
      const sd = Math.sqrt(ratios.reduce((s, r) => s + (r - mean) ** 2, 0) / ratios.length);
      // 43,800 log-normal draws: the sample mean and CV sit within a few percent of the truth.
      expect(mean).toBeCloseTo(1, 2);
      expect(sd / mean).toBeGreaterThan(cv * 0.95);
      expect(sd / mean).toBeLessThan(cv * 1.05);
    }
  });

  it("describes the same traffic at every resolution: 1 s steps add up to the 60 s steps", () => {
    const shape = { requestsPerMonth: 2e6, peakToMeanRatio: 4, noiseCoefficientOfVariation: 0.25, seed: 3 };
    const perMinute = requestsPerStep(shape, 60);
    const fromSeconds = rebin(requestsPerStep(shape, 1), 60);
    for (let i = 0; i < perMinute.length; i += 997) expect(fromSeconds[i]).toBeCloseTo(perMinute[i] as number, 6);
  });

  it("peaks on weekday afternoons and dips at weekends", () => {
    const hours = rebin(requestsPerStep({ requestsPerMonth: 1e6, peakToMeanRatio: 3, noiseCoefficientOfVariation: 0 }, 3600), 1);
    const busiest = hours.indexOf(Math.max(...hours));
    expect(busiest % 24).toBe(BUSIEST_HOUR_OF_DAY);
    expect(Math.floor(busiest / 24) % 7).toBeLessThan(5); // the month starts on a Monday
    const tuesday = hours.slice(24, 48).reduce((s, v) => s + v, 0);
    const saturday = hours.slice(5 * 24, 6 * 24).reduce((s, v) => s + v, 0);
    expect(saturday).toBeLessThan(tuesday);
  });

  it("yields zeros for a month with no requests", () => {
    const series = requestsPerStep({ requestsPerMonth: 0, peakToMeanRatio: 2, noiseCoefficientOfVariation: 0.1 });
    expect(series.every((v) => v === 0)).toBe(true);
  });

  it("rejects steps that do not divide the month, ratios out of range and negative volumes", () => {
    const shape = { requestsPerMonth: 1, peakToMeanRatio: 1, noiseCoefficientOfVariation: 0 };
    expect(() => requestsPerStep(shape, 7)).toThrow(/divides the 730-hour month/);
    expect(() => requestsPerStep(shape, 0.5)).toThrow(RangeError);
    expect(() => requestsPerStep({ ...shape, peakToMeanRatio: 0.9 })).toThrow(/at least 1/);
    expect(() => requestsPerStep({ ...shape, peakToMeanRatio: MAX_PEAK_TO_MEAN_RATIO })).toThrow(/below 730/);
    expect(() => requestsPerStep({ ...shape, requestsPerMonth: -1 })).toThrow(/requestsPerMonth/);
    expect(() => requestsPerStep({ ...shape, noiseCoefficientOfVariation: -0.1 })).toThrow(/noiseCoefficientOfVariation/);
  });
});

describe("hourlyProfile and demandMultipliers", () => {
  it("has mean 1 and peak equal to the ratio, and is positive every hour", () => {
    for (const ratio of [1, 1.5, 3, 10, 30, 100, 700]) {
      const profile = hourlyProfile(ratio);
      expect(profile.length).toBe(HOURS_PER_MONTH);
      expect(sumInOrder(profile) / HOURS_PER_MONTH).toBeCloseTo(1, 12);
      expect(Math.max(...profile)).toBeCloseTo(ratio, 10);
      if (ratio <= 30) expect(Math.min(...profile)).toBeGreaterThan(0); // beyond, quiet hours may underflow to 0
    }
  });

  it("gets peakier as the ratio rises: the quietest hour falls", () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 30, noNaN: true }), fc.double({ min: 1, max: 30, noNaN: true }), (r1, r2) => {
        const [lo, hi] = r1 <= r2 ? [r1, r2] : [r2, r1];
        expect(Math.min(...hourlyProfile(hi))).toBeLessThanOrEqual(Math.min(...hourlyProfile(lo)) + 1e-12);
      }),
      { numRuns: 30 },
    );
  });

  it("gives multipliers with mean 1", () => {
    const m = demandMultipliers({ peakToMeanRatio: 2, noiseCoefficientOfVariation: 0.1 }, 300);
    expect(sumInOrder(m) / m.length).toBeCloseTo(1, 12);
  });
});

describe("mulberry32", () => {
  it("is uniform on [0, 1) to within sampling error and repeats for a seed", () => {
    const random = mulberry32(123);
    const bins = new Array<number>(10).fill(0);
    const n = 100_000;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = random();
      if (u < 0 || u >= 1) outside++;
      else bins[Math.floor(u * 10)]! += 1;
    }
    expect(outside).toBe(0);
    // Each bin expects 10,000 ± 95 (binomial sd); 5 sd is a generous bound.
    for (const count of bins) expect(Math.abs(count - n / 10)).toBeLessThan(475);
    const again = mulberry32(123);
    const other = mulberry32(123);
    expect([again(), again(), again()]).toEqual([other(), other(), other()]);
  });
});
