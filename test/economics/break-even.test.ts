import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  apiCostUsd,
  breakEvenUtilization,
  ownedMonthlyUsdAtUtilization,
  passesBreakEvenGate,
  splitTokens,
  type BreakEvenInputs,
} from "../../policies/economics/break-even";

describe("break-even by hand arithmetic", () => {
  // 1e9 tokens/month; a replica sustains 1000 tok/s at $2/h; $500 fixed; the API charges $2000.
  const inputs: BreakEvenInputs = { workTokensPerMonth: 1e9, replicaTokensPerSecond: 1000, replicaUsdPerHour: 2, fixedMonthlyUsd: 500, apiMonthlyUsd: 2000 };

  it("u* = W·p / (3600·K·(API − F))", () => {
    // 1e9 × 2 / (3600 × 1000 × 1500) = 2e9 / 5.4e9 = 0.37037…
    expect(breakEvenUtilization(inputs)).toBeCloseTo(0.370370370, 8);
  });

  it("owned cost at a utilization: F + W / (u·K·3600) × p", () => {
    // at u = 0.5: 1e9 / (0.5 × 1000 × 3600) = 555.55… replica-hours × $2 + $500
    expect(ownedMonthlyUsdAtUtilization(inputs, 0.5)).toBeCloseTo(500 + 1111.111111, 5);
  });

  it("has no break-even when fixed costs alone reach the API bill", () => {
    expect(breakEvenUtilization({ ...inputs, fixedMonthlyUsd: 2000 })).toBeNull();
    expect(breakEvenUtilization({ ...inputs, fixedMonthlyUsd: 2500 })).toBeNull();
  });

  it("gates on break-even × (1 + margin), and refuses unreachable break-evens", () => {
    expect(passesBreakEvenGate(0.43, 0.37037, 0.15)).toBe(true); // 0.37037 × 1.15 = 0.4259
    expect(passesBreakEvenGate(0.42, 0.37037, 0.15)).toBe(false);
    expect(passesBreakEvenGate(1, null, 0)).toBe(false);
    expect(passesBreakEvenGate(1, 1.2, 0)).toBe(false);
  });

  it("prices cached input at the cached rate", () => {
    // 1M tokens at 3:1 input:output, half the input cached: 375k input, 375k cached, 250k output
    const volumes = splitTokens(1e6, 300, 100, 0.5);
    expect(volumes).toEqual({ inputTokens: 375_000, cachedInputTokens: 375_000, outputTokens: 250_000 });
    expect(apiCostUsd(volumes, { input: 2, cachedInput: 0.5, output: 8 })).toBeCloseTo(0.75 + 0.1875 + 2, 10);
    expect(apiCostUsd(volumes, { input: 2, output: 8 })).toBeCloseTo(0.75 + 0.75 + 2, 10);
  });
});

const positive = (max: number) => fc.double({ min: 1e-3, max, noNaN: true, noDefaultInfinity: true });
const arbitraryInputs = fc.record({
  workTokensPerMonth: positive(1e12),
  replicaTokensPerSecond: positive(1e5),
  replicaUsdPerHour: positive(200),
  fixedMonthlyUsd: fc.double({ min: 0, max: 1e5, noNaN: true, noDefaultInfinity: true }),
  apiMonthlyUsd: positive(1e7),
});

describe("break-even properties", () => {
  it("at u = u*, owned and API cost agree", () => {
    fc.assert(
      fc.property(arbitraryInputs, (inputs) => {
        const u = breakEvenUtilization(inputs);
        fc.pre(u !== null);
        const owned = ownedMonthlyUsdAtUtilization(inputs, u!);
        expect(Math.abs(owned - inputs.apiMonthlyUsd)).toBeLessThanOrEqual(1e-9 * Math.max(1, inputs.apiMonthlyUsd));
      }),
    );
  });

  it("a higher API price never raises break-even utilization", () => {
    fc.assert(
      fc.property(arbitraryInputs, fc.double({ min: 1, max: 100, noNaN: true }), (inputs, factor) => {
        const before = breakEvenUtilization(inputs);
        const after = breakEvenUtilization({ ...inputs, apiMonthlyUsd: inputs.apiMonthlyUsd * factor });
        if (before === null) return; // anything is no worse than "no break-even"
        expect(after).not.toBeNull();
        expect(after!).toBeLessThanOrEqual(before * (1 + 1e-12));
      }),
    );
  });

  it("owned cost never rises as utilization rises, and its GPU part halves when utilization doubles", () => {
    fc.assert(
      fc.property(arbitraryInputs, fc.double({ min: 0.01, max: 0.5, noNaN: true }), (inputs, u) => {
        const at = (x: number) => ownedMonthlyUsdAtUtilization(inputs, x);
        expect(at(u)).toBeGreaterThanOrEqual(at(Math.min(1, u + 0.01)));
        const gpuPart = (x: number) => at(x) - inputs.fixedMonthlyUsd;
        expect(gpuPart(2 * u)).toBeCloseTo(gpuPart(u) / 2, 6);
      }),
    );
  });
});
