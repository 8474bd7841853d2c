import { describe, expect, it } from "vitest";
import {
  API_PRICES,
  AUTO_MODE_FEES,
  BATCH_RULES,
  EKS_FEES,
  GPUS,
  INSTANCE_TYPES,
  MODELS,
  NAT_GATEWAY_PRICES,
  apiPriceById,
  catalogApiPrice,
  catalogAsOf,
  catalogInstancePrice,
  catalogRows,
  describeStalePrice,
  gpuById,
  instanceById,
  modelById,
  priceAgeDays,
  resolveArchitecture,
  stalePrices,
  type PriceUse,
} from "../../policies/economics/catalog";
import { apiPriceDataSchema } from "../../policies/economics/catalog/api-prices";
import { CatalogDataError, parseDataFile } from "../../policies/economics/catalog/data-file";
import { instanceDataSchema } from "../../policies/economics/catalog/instances";
import type { ModelArchitecture } from "../../policies/economics/schema";

const TABLES = { GPUS, INSTANCE_TYPES, API_PRICES, MODELS } as const;
const AS_OF = /^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$/;

/**
 * On-demand USD per GPU-hour: `usd_per_gpu_hr_ondemand` of the reference instances.csv, and for
 * P4/P5 the post-cut prices of prices-2026.csv divided by 8, transcribed independently of the data file.
 */
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
  "p4d.24xlarge": 21.957642 / 8,
  "p4de.24xlarge": 27.44705 / 8,
  "p5.48xlarge": 55.04 / 8,
  "p5.4xlarge": 6.88,
  "p5en.48xlarge": 7.912,
};

describe("catalog integrity", () => {
  it("gives every row a non-empty source and a parseable asOf", () => {
    const rows = catalogRows();
    expect(rows.length).toBe(GPUS.length + INSTANCE_TYPES.length + API_PRICES.length + MODELS.length + EKS_FEES.sources.length + AUTO_MODE_FEES.length + BATCH_RULES.length + NAT_GATEWAY_PRICES.length);
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
  it("carries AWS's mid-2025 P4/P5 cut: the us-east-1 on-demand prices of 2026", () => {
    const onDemand = (id: string) => instanceById(id).usdPerHour.onDemand;
    expect(onDemand("p4d.24xlarge")).toBe(21.957642);
    expect(onDemand("p4de.24xlarge")).toBe(27.44705);
    expect(onDemand("p5.48xlarge")).toBe(55.04);
    expect(onDemand("p5en.48xlarge")).toBe(63.296);
    expect(instanceById("p5.4xlarge")).toMatchObject({ gpu: "H100-80GB", gpuCount: 1, usdPerHour: { onDemand: 6.88 } });
    for (const id of ["p4d.24xlarge", "p4de.24xlarge", "p5.48xlarge", "p5.4xlarge", "p5en.48xlarge"]) {
      expect(instanceById(id).prices.onDemand.asOf >= "2026", id).toBe(true);
    }
    expect(instanceById("p5en.48xlarge").usdPerHour).toEqual({ onDemand: 63.296, spot: 27.1928, reserved: 40.43 });
    expect(() => instanceById("p5e.48xlarge")).toThrow(/unknown instance type "p5e.48xlarge"/);
  });

  it("gives every price its own source and date, from 2026 or with a note saying why it is older", () => {
    for (const instance of INSTANCE_TYPES) {
      for (const [kind, price] of Object.entries(instance.prices)) {
        expect(price.source.length, `${instance.id} ${kind}`).toBeGreaterThan(10);
        expect(price.asOf, `${instance.id} ${kind}`).toMatch(AS_OF);
        if (price.asOf < "2026") expect(price.note, `${instance.id} ${kind}`).toMatch(/older than 2026/);
      }
      // A row is as old as its oldest price, so a freshness check on the row is never kinder.
      expect(instance.asOf).toBe(Object.values(instance.prices).map((p) => p.asOf).sort()[0]);
    }
    for (const price of API_PRICES) {
      if (price.asOf < "2026") expect(price.note, price.id).toMatch(/older than 2026/);
    }
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
    expect(API_PRICES).toHaveLength(47);
    expect(apiPriceById("gpt-4o-mini")).toMatchObject({ provider: "OpenAI", input: 0.15, output: 0.6, cachedInput: 0.075, batchInput: 0.075, batchOutput: 0.3 });
    expect(apiPriceById("gemini/gemini-2.5-flash")).toMatchObject({ input: 0.3, output: 2.5 });
    expect(apiPriceById("meta.llama3-3-70b-instruct-v1:0")).toMatchObject({ provider: "AWS Bedrock", input: 0.72, output: 0.72, batchInput: 0.36, asOf: "2026-10-07" });
    expect(apiPriceById("claude-haiku-4-5")).toMatchObject({ input: 1, cachedInput: 0.1, output: 5, batchInput: 0.5, batchOutput: 2.5 });
    expect(apiPriceById("gpt-4.1-mini").asOf).toBe("2026-11-05");
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
      vocabularySize: 128256,
      tiedEmbeddings: false,
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

describe("data files", () => {
  it("refuses a broken data file listing every problem with the file and the row's key", () => {
    const good = { description: "x", rows: [{ ...API_PRICES[0]! }] };
    const broken = {
      description: "x",
      rows: [
        { ...API_PRICES[0]!, input: -1 },
        { ...API_PRICES[1]!, asOf: "2025-09-05", note: undefined },
        { ...API_PRICES[2]!, batchOutput: null },
      ],
    };
    expect(() => parseDataFile("data/api-prices.json", good, apiPriceDataSchema)).not.toThrow();
    let error: unknown;
    try {
      parseDataFile("data/api-prices.json", broken, apiPriceDataSchema);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CatalogDataError);
    const message = (error as Error).message;
    expect(message).toMatch(/^invalid catalog data in data\/api-prices\.json:/);
    expect(message).toMatch(/rows\[0\] \(gpt-4o\)\.input: /);
    expect(message).toMatch(/rows\[1\] \(gpt-4o-mini\)\.note: a price dated before 2026 must say why it is older/);
    expect(message).toMatch(/rows\[2\] \(gpt-4\.1\)\.batchInput: give batchInput and batchOutput both or neither/);
  });

  it("refuses an instance price older than 2026 without a note, and spot above on-demand", () => {
    const row = { id: "g9.xlarge", gpu: "L4", gpuCount: 1, vcpu: 4, memoryGiB: 16, region: "us-east-1", source: "a test row, not a real one" };
    const stale = { description: "x", rows: [{ ...row, prices: { onDemand: { usdPerHour: 1, source: "a test price source", asOf: "2025-01" } } }] };
    expect(() => parseDataFile("data/instances.json", stale, instanceDataSchema)).toThrow(/rows\[0\] \(g9\.xlarge\)\.prices: a price dated before 2026 must carry a note/);
    const spotAbove = {
      description: "x",
      rows: [{ ...row, prices: { onDemand: { usdPerHour: 1, source: "a test price source", asOf: "2026-01" }, spot: { usdPerHour: 2, source: "a test price source", asOf: "2026-01" } } }],
    };
    expect(() => parseDataFile("data/instances.json", spotAbove, instanceDataSchema)).toThrow(/spot and reserved must be below on-demand/);
  });
});

describe("price freshness", () => {
  const today = new Date("2026-12-02T00:00:00Z");

  it("counts a price's age from its as-of date, a month from its first day", () => {
    expect(priceAgeDays("2026-11-05", today)).toBe(27);
    expect(priceAgeDays("2026-11", today)).toBe(31);
    expect(priceAgeDays("2026-12-03", today)).toBe(0);
    expect(() => priceAgeDays("soon", today)).toThrow(/asOf: expected an ISO date or month, got "soon"/);
  });

  it("names each catalog price a report used that is older than the configured age, oldest first, once", () => {
    const uses: PriceUse[] = [
      { kind: "instance", id: "g6.2xlarge", capacityType: "spot" },
      { kind: "instance", id: "g6.2xlarge", capacityType: "spot" },
      { kind: "instance", id: "g6e.12xlarge", capacityType: "on-demand" },
      { kind: "api", id: "gpt-4.1-mini" },
      { kind: "api", id: "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo" },
    ];
    const stale = stalePrices(uses, { maxAgeDays: 180, today });
    expect(stale.map((s) => [s.use.id, s.asOf, s.ageDays])).toEqual([
      ["g6.2xlarge", "2025-05", 580],
      ["together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", "2025-09-05", 453],
    ]);
    expect(stale[0]!.note).toMatch(/spot prices move hourly/);
    expect(describeStalePrice(stale[0]!)).toBe(
      "spot price of g6.2xlarge is 580 days old (as of 2025-05): spot moves hourly: read your recent spot history and set economics.priceOverrides",
    );
    expect(describeStalePrice(stalePrices([{ kind: "instance", id: "g5.xlarge", capacityType: "on-demand" }], { today })[0]!)).toMatch(/refresh with `npm run prices`/);
    // The age is configurable: a year lets the 453-day API price through, 0 days flags even last month's.
    expect(stalePrices(uses, { maxAgeDays: 500, today }).map((s) => s.use.id)).toEqual(["g6.2xlarge"]);
    expect(stalePrices(uses, { maxAgeDays: 0, today }).map((s) => s.use.id)).toContain("gpt-4.1-mini");
    expect(() => stalePrices(uses, { maxAgeDays: -1, today })).toThrow(/maxAgeDays/);
  });

  it("leaves prices the stack overrides to their owner", () => {
    const uses: PriceUse[] = [{ kind: "instance", id: "g6.2xlarge", capacityType: "spot" }, { kind: "api", id: "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo" }];
    const overrides = { instances: { "g6.2xlarge": { spot: 0.4 } }, api: { "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo": { input: 0.88, output: 0.88 } } };
    expect(stalePrices(uses, { maxAgeDays: 30, today, overrides })).toEqual([]);
    // An override of another capacity type does not vouch for this one.
    expect(stalePrices(uses.slice(0, 1), { maxAgeDays: 30, today, overrides: { instances: { "g6.2xlarge": { onDemand: 1 } }, api: {} } })).toHaveLength(1);
  });
});
