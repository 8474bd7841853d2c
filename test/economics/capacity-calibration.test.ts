import { describe, expect, it } from "vitest";
import { CAPACITY_ERROR_BAND, CAPACITY_PARAMETERS } from "../../policies/economics/capacity";
import {
  calibrationLoss,
  errorBand,
  fitParameters,
  leaveOutErrors,
  medianAbsoluteError,
  medianErrorBy,
  predictMeasurement,
  rowErrors,
  FIT_START,
} from "../../policies/economics/capacity-calibration";
import { GPUS, MODELS, THROUGHPUT_MEASUREMENTS } from "../../policies/economics/catalog";

/** The fit the tests run: one Nelder–Mead round from the shipped parameters (the full fit adds rounds, not accuracy: same median to 0.1 %). */
const QUICK = { rounds: 1, iterations: 250 };
const leaveOut = leaveOutErrors(THROUGHPUT_MEASUREMENTS, 5, QUICK);

describe("calibration data", () => {
  it("has at least 60 sourced, dated vLLM measurements on catalog models and GPUs", () => {
    expect(THROUGHPUT_MEASUREMENTS.length).toBeGreaterThanOrEqual(60);
    const models = new Set(MODELS.map((m) => m.id));
    const gpus = new Set(GPUS.map((g) => g.id));
    for (const row of THROUGHPUT_MEASUREMENTS) {
      expect(models.has(row.model), row.id).toBe(true);
      expect(gpus.has(row.gpu), row.id).toBe(true);
      expect(row.source.length, row.id).toBeGreaterThan(30);
      expect(row.asOf, row.id).toMatch(/^\d{4}-\d{2}/);
    }
    // Every tensor-parallel width the catalog's instances allow is measured, on both A100 and H100.
    for (const tp of [1, 2, 4, 8]) {
      for (const gpu of ["A100-80GB", "H100-80GB"]) expect(THROUGHPUT_MEASUREMENTS.some((r) => r.tensorParallel === tp && r.gpu === gpu), `${gpu} TP${tp}`).toBe(true);
    }
  });

  it("predicts every row with a finite figure (the model says each measured setup fits)", () => {
    const parameters = { ...FIT_START, ...CAPACITY_PARAMETERS };
    for (const row of THROUGHPUT_MEASUREMENTS) expect(Number.isFinite(predictMeasurement(row, parameters)), row.id).toBe(true);
  });
});

describe("leave-out error", () => {
  it("keeps the median error on rows left out of the fit at or below 20 %", () => {
    expect(leaveOut).toHaveLength(THROUGHPUT_MEASUREMENTS.length);
    expect(medianAbsoluteError(leaveOut)).toBeLessThanOrEqual(0.2);
  });

  it("no longer grows several-fold with tensor-parallel width: every width's median within 30 %", () => {
    const byWidth = medianErrorBy(leaveOut, (r) => `TP${r.tensorParallel}`);
    expect(byWidth.map((g) => g.group).sort()).toEqual(["TP1", "TP2", "TP4", "TP8"]);
    for (const { group, median } of byWidth) expect(median, group).toBeLessThanOrEqual(0.3);
  });

  it("ships the K band the leave-out errors give (10th and 90th percentiles of measured ÷ predicted)", () => {
    const band = errorBand(leaveOut);
    expect(band.lowRatio).toBeLessThan(1);
    expect(band.highRatio).toBeGreaterThan(1);
    expect(CAPACITY_ERROR_BAND.lowRatio).toBeCloseTo(band.lowRatio, 1);
    expect(CAPACITY_ERROR_BAND.highRatio).toBeCloseTo(band.highRatio, 1);
  });
});

describe("shipped parameters", () => {
  it("are the fit on all rows: a refit does not lower the loss by more than 0.5 %", () => {
    const refit = fitParameters(THROUGHPUT_MEASUREMENTS, FIT_START, QUICK);
    const shipped = { ...refit, ...CAPACITY_PARAMETERS };
    expect(calibrationLoss(THROUGHPUT_MEASUREMENTS, shipped)).toBeLessThanOrEqual(calibrationLoss(THROUGHPUT_MEASUREMENTS, refit) * 1.005);
    expect(medianAbsoluteError(rowErrors(THROUGHPUT_MEASUREMENTS, shipped))).toBeLessThanOrEqual(0.15);
  });

  it("stay physical: efficiencies are shares, FP8 at most the datasheet's 2×", () => {
    const p = CAPACITY_PARAMETERS;
    for (const share of [p.bandwidthEfficiency, p.computeEfficiency, p.expertComputeShare]) {
      expect(share).toBeGreaterThan(0);
      expect(share).toBeLessThanOrEqual(1);
    }
    expect(p.fp8ComputeSpeedup).toBeGreaterThanOrEqual(1);
    expect(p.fp8ComputeSpeedup).toBeLessThanOrEqual(2);
  });
});
