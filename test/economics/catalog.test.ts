import { describe, expect, it } from "vitest";
import {
  API_PRICES,
  AUTO_MODE_FEES,
  BATCH_RULES,
  EKS_FEES,
  GPUS,
  INSTANCE_TYPES,
  MODELS,
  apiPriceById,
  catalogApiPrice,
  catalogAsOf,
  catalogInstancePrice,
  catalogRows,
  gpuById,
  instanceById,
  modelById,
  resolveArchitecture,
} from "../../policies/economics/catalog";
import type { ModelArchitecture } from "../../policies/economics/schema";

const TABLES = { GPUS, INSTANCE_TYPES, API_PRICES, MODELS } as const;
const AS_OF = /^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$/;

/** `usd_per_gpu_hr_ondemand` of instances.csv, transcribed independently of the instance prices. */
const CSV_USD_PER_GPU_HOUR: Record<string, number> = {
  "g5.xlarge": 1.006,
  "g5.2xlarge": 1.212,
  "g5.4xlarge": 1.624,
  "g5.8xlarge": 2.448,
  "g5.12xlarge": 1.418,
  "g5.48xlarge": 2.036,
  "g6.xlarge": 0.8048,
  "g6.2xlarge": 0.9776,
  "g6.8xlarge": 2.0144,
  "g6.12xlarge": 1.1504,
  "g6.16xlarge": 3.3968,
  "g6.24xlarge": 1.6688,
  "g6e.xlarge": 1.861,
  "g6e.2xlarge": 2.2421,
  "g6e.4xlarge": 3.004,
  "g6e.12xlarge": 2.6233,
  "g6e.16xlarge": 7.5772,
  "g6e.24xlarge": 3.7664,
  "g6e.48xlarge": 3.7664,
  "p4d.24xlarge": 4.0966,
  "p4de.24xlarge": 5.1207,
  "p5.48xlarge": 12.29,
  "p5en.48xlarge": 7.912,
};

describe("catalog integrity", () => {
  it("gives every row a non-empty source and a parseable asOf", () => {
    const rows = catalogRows();
    expect(rows.length).toBe(GPUS.length + INSTANCE_TYPES.length + API_PRICES.length + MODELS.length + EKS_FEES.sources.length + AUTO_MODE_FEES.length + BATCH_RULES.length);
    for (const row of rows) {
      expect(row.source.trim().length, JSON.stringify(row)).toBeGreaterThan(10);
      expect(row.asOf, row.source).toMatch(AS_OF);
      expect(Number.isNaN(Date.parse(row.asOf)), row.asOf).toBe(false);
    }
  });

  it.each(Object.entries(TABLES))("has unique ids in %s", (_name, table) => {
    const ids = table.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("freezes every table and row", () => {
    for (const table of Object.values(TABLES)) {
      expect(Object.isFrozen(table)).toBe(true);
      for (const row of table) expect(Object.isFrozen(row)).toBe(true);
    }
    for (const instance of INSTANCE_TYPES) expect(Object.isFrozen(instance.usdPerHour)).toBe(true);
    for (const model of MODELS) expect(Object.isFrozen(model.architecture)).toBe(true);
    expect(Object.isFrozen(EKS_FEES)).toBe(true);
    expect(() => (GPUS as unknown as unknown[]).push({})).toThrow();
  });

  it("has positive prices, spot and reserved below on-demand", () => {
    for (const { id, usdPerHour } of INSTANCE_TYPES) {
      expect(usdPerHour.onDemand, id).not.toBeNull();
      expect(usdPerHour.onDemand!, id).toBeGreaterThan(0);
      for (const discounted of [usdPerHour.spot, usdPerHour.reserved]) {
        if (discounted === null) continue;
        expect(discounted, id).toBeGreaterThan(0);
        expect(discounted, id).toBeLessThan(usdPerHour.onDemand!);
      }
    }
    for (const price of API_PRICES) {
      expect(price.input, price.id).toBeGreaterThan(0);
      expect(price.output, price.id).toBeGreaterThan(0);
      for (const optional of [price.cachedInput, price.batchInput, price.batchOutput]) {
        if (optional !== null) expect(optional, price.id).toBeGreaterThan(0);
      }
      if (price.cachedInput !== null) expect(price.cachedInput, price.id).toBeLessThan(price.input);
      expect(price.batchInput === null, price.id).toBe(price.batchOutput === null);
    }
  });

  it("prices each GPU-hour as the CSV does: instance price / GPU count", () => {
    expect(Object.keys(CSV_USD_PER_GPU_HOUR).sort()).toEqual(INSTANCE_TYPES.map((i) => i.id).sort());
    for (const instance of INSTANCE_TYPES) {
      const perGpu = instance.usdPerHour.onDemand! / instance.gpuCount;
      expect(Math.abs(perGpu - CSV_USD_PER_GPU_HOUR[instance.id]!), instance.id).toBeLessThanOrEqual(0.0001);
    }
  });

  it("links every instance to a catalog GPU", () => {
    for (const instance of INSTANCE_TYPES) expect(() => gpuById(instance.gpu)).not.toThrow();
  });
});

describe("GPU specs", () => {
  it("has the seven GPUs, memory from the AWS MiB column / 1024", () => {
    expect(GPUS.map((g) => g.id)).toEqual(["A10G", "L4", "L40S", "A100-40GB", "A100-80GB", "H100-80GB", "H200-141GB"]);
    expect(gpuById("L4").memoryGiB).toBeCloseTo(22888 / 1024, 10);
    expect(gpuById("L40S").memoryGiB).toBeCloseTo(44.703125, 10);
    expect(gpuById("H200-141GB").memoryGiB).toBe(141);
  });

  it("has dense TFLOPS (sparse headline / 2) and no FP8 on Ampere", () => {
    expect(gpuById("L4").bf16DenseTflops).toBe(121);
    expect(gpuById("H100-80GB").fp8DenseTflops).toBe(1978.9);
    for (const ampere of ["A10G", "A100-40GB", "A100-80GB"]) expect(gpuById(ampere).fp8DenseTflops).toBeNull();
    // FP8 doubles BF16 on Ada and Hopper (L40S's datasheet rounds: 362.05 vs 733).
    for (const gpu of GPUS) if (gpu.fp8DenseTflops !== null) expect(gpu.fp8DenseTflops / gpu.bf16DenseTflops).toBeCloseTo(2, 1);
  });
});

describe("instances", () => {
  it("prefers the fresh p5en price and makes stale P-family prices visible", () => {
    expect(instanceById("p5en.48xlarge").usdPerHour).toEqual({ onDemand: 63.296, spot: 27.1928, reserved: 40.43 });
    expect(instanceById("p5en.48xlarge").asOf).toBe("2026-09-01");
    for (const id of ["p4d.24xlarge", "p4de.24xlarge", "p5.48xlarge"]) expect(instanceById(id).source).toMatch(/STALE/);
    expect(() => instanceById("p5e.48xlarge")).toThrow(/unknown instance type "p5e.48xlarge"/);
  });

  it("keeps reserved only where the CSV has a 1-year rate", () => {
    const withReserved = INSTANCE_TYPES.filter((i) => i.usdPerHour.reserved !== null).map((i) => i.id);
    expect(withReserved.sort()).toEqual(["g6e.12xlarge", "g6e.4xlarge", "p5en.48xlarge"]);
  });
});

describe("catalogInstancePrice", () => {
  it("reads the catalog per capacity type", () => {
    expect(catalogInstancePrice("g6e.xlarge", "on-demand")).toBe(1.861);
    expect(catalogInstancePrice("g6e.xlarge", "spot")).toBe(0.787);
    expect(catalogInstancePrice("g6e.12xlarge", "reserved")).toBe(6.61);
  });

  it("lets priceOverrides.instances win, per capacity type", () => {
    const overrides = { "g6e.xlarge": { onDemand: 1.5, reserved: 1.1 } };
    expect(catalogInstancePrice("g6e.xlarge", "on-demand", overrides)).toBe(1.5);
    expect(catalogInstancePrice("g6e.xlarge", "reserved", overrides)).toBe(1.1);
    expect(catalogInstancePrice("g6e.xlarge", "spot", overrides)).toBe(0.787);
    expect(catalogInstancePrice("g6e.xlarge", "on-demand", { "g6.xlarge": { onDemand: 0.1 } })).toBe(1.861);
  });

  it("throws naming the instance and capacity type when there is no price", () => {
    expect(() => catalogInstancePrice("g5.xlarge", "reserved")).toThrow(/no reserved price for instance type "g5\.xlarge".*priceOverrides\.instances\["g5\.xlarge"\]\.reserved/);
    expect(() => catalogInstancePrice("x1.32xlarge", "on-demand")).toThrow(/unknown instance type "x1\.32xlarge": expected one of g5\.xlarge, /);
  });
});

describe("API prices", () => {
  it("has every CSV row with a model id and prices, under the ids users type", () => {
    expect(API_PRICES).toHaveLength(45);
    expect(apiPriceById("gpt-4o-mini")).toMatchObject({ provider: "OpenAI", input: 0.15, output: 0.6, cachedInput: 0.075, batchInput: 0.075, batchOutput: 0.3 });
    expect(apiPriceById("gemini/gemini-2.5-flash")).toMatchObject({ input: 0.3, output: 2.5 });
    expect(apiPriceById("meta.llama3-3-70b-instruct-v1:0")).toMatchObject({ provider: "AWS Bedrock", input: 0.72, output: 0.72, batchInput: null });
    expect(apiPriceById("gemini/gemini-1.5-flash").cachedInput).toBeNull();
  });

  it("lets priceOverrides.api win over the catalog, dropping catalog batch prices", () => {
    const price = catalogApiPrice("gpt-4o-mini", { "gpt-4o-mini": { input: 0.1, output: 0.4 } });
    expect(price).toMatchObject({ id: "gpt-4o-mini", input: 0.1, output: 0.4, cachedInput: null, batchInput: null, batchOutput: null });
    expect(price.source).toMatch(/priceOverrides\.api/);
    expect(catalogApiPrice("gpt-4o-mini")).toBe(apiPriceById("gpt-4o-mini"));
    expect(catalogApiPrice("gpt-4o", { "gpt-4o": { input: 1, output: 2, cachedInput: 0.5 } })).toMatchObject({ input: 1, output: 2, cachedInput: 0.5 });
    expect(() => catalogApiPrice("in-house-model", { "in-house-model": { input: 1, output: 2 } })).toThrow(/unknown API catalog id "in-house-model"/);
  });

  it("lists valid ids when an id is unknown", () => {
    expect(() => catalogApiPrice("gpt-9")).toThrow(/unknown API catalog id "gpt-9": expected one of gpt-4o, gpt-4o-mini, /);
  });
});

describe("models", () => {
  it("has the common open models with consistent architecture facts", () => {
    expect(MODELS.length).toBeGreaterThanOrEqual(12);
    for (const { id, architecture: a } of MODELS) {
      expect(a.kvHeads, id).toBeLessThanOrEqual(a.attentionHeads);
      expect(a.attentionHeads % a.kvHeads, id).toBe(0);
      expect(Number.isInteger(a.hiddenSize / a.attentionHeads), id).toBe(true);
      expect(a.activeParametersBillions ?? a.parametersBillions, id).toBeLessThanOrEqual(a.parametersBillions);
    }
    expect(modelById("meta-llama/Llama-3.1-8B-Instruct").architecture).toEqual({
      parametersBillions: 8.03,
      layers: 32,
      hiddenSize: 4096,
      attentionHeads: 32,
      kvHeads: 8,
      maxContextTokens: 131072,
    });
    expect(modelById("mistralai/Mixtral-8x7B-Instruct-v0.1").architecture.activeParametersBillions).toBe(12.88);
  });

  it("resolves inline architecture first, then the catalog, else a clear error", () => {
    const inline: ModelArchitecture = { parametersBillions: 1, layers: 2, hiddenSize: 64, attentionHeads: 4, kvHeads: 2, maxContextTokens: 2048 };
    expect(resolveArchitecture({ id: "meta-llama/Llama-3.1-8B-Instruct", architecture: inline })).toBe(inline);
    expect(resolveArchitecture({ id: "Qwen/Qwen2.5-7B-Instruct" }).kvHeads).toBe(4);
    expect(() => resolveArchitecture({ id: "acme/secret-13b" })).toThrow(/"acme\/secret-13b" is not in the built-in catalog: give model\.architecture inline.*meta-llama\/Llama-3\.1-8B-Instruct/);
    expect(() => modelById("acme/secret-13b")).toThrow(/unknown model "acme\/secret-13b": expected one of /);
  });
});

describe("fees and dates", () => {
  it("has the EKS fees, Auto Mode as a share with its low-confidence source", () => {
    expect(EKS_FEES).toMatchObject({ controlPlaneUsdPerHour: 0.1, extendedSupportUsdPerHour: 0.6, autoModeSurchargeShare: 0.12 });
    expect(EKS_FEES.sources.map((s) => s.source).join(" ")).toMatch(/low confidence/);
  });

  it("reports the oldest and newest asOf across the tables", () => {
    const dates = catalogRows().map((r) => r.asOf);
    const { oldest, newest } = catalogAsOf();
    expect(dates).toContain(oldest);
    expect(dates).toContain(newest);
    for (const d of dates) {
      expect(d >= oldest).toBe(true);
      expect(d <= newest).toBe(true);
    }
    expect(oldest).toBe("2024-01");
  });
});
