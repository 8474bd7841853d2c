/**
 * The built-in catalog: GPU specs, AWS GPU instances and prices, EKS fees, API prices, model
 * architectures and the vLLM measurements capacity is calibrated on, every row with a `source`
 * and an `asOf`. The data lives in `./data/*.json`, validated when the catalog loads. Lookups throw errors that list the
 * valid ids; price lookups honour `economics.priceOverrides`.
 */
import type { EconomicsConfig, ModelArchitecture, ModelSpec } from "../schema";
import type { ApiPriceSpec, CapacityType, GpuSpec, ModelCatalogEntry, Sourced } from "../types";
import { API_PRICES } from "./api-prices";
import { AUTO_MODE_FEES } from "./auto-mode-fees";
import { BATCH_RULES, type BatchRule } from "./batch-rules";
import { EKS_FEES } from "./fees";
import { GPUS } from "./gpus";
import { INSTANCE_TYPES, PRICE_KEY, type InstanceRow } from "./instances";
import { THROUGHPUT_MEASUREMENTS } from "./measurements";
import { MODELS } from "./models";
import { CATALOG_REGION, NAT_GATEWAY_PRICES } from "./nat-gateway";

export { API_PRICES, AUTO_MODE_FEES, BATCH_RULES, CATALOG_REGION, EKS_FEES, GPUS, INSTANCE_TYPES, MODELS, NAT_GATEWAY_PRICES, THROUGHPUT_MEASUREMENTS };
export type { BatchRule };
export { DEFAULT_MAX_PRICE_AGE_DAYS, describeStalePrice, priceAgeDays, stalePrices, type PriceUse, type StalePrice } from "./freshness";

type PriceOverrides = EconomicsConfig["priceOverrides"];

function lookup<T extends { readonly id: string }>(table: readonly T[], id: string, what: string): T {
  const row = table.find((r) => r.id === id);
  if (row === undefined) {
    throw new Error(`unknown ${what} "${id}": expected one of ${table.map((r) => r.id).join(", ")}`);
  }
  return row;
}

export const gpuById = (id: string): GpuSpec => lookup(GPUS, id, "GPU");
export const instanceById = (id: string): InstanceRow => lookup(INSTANCE_TYPES, id, "instance type");
export const apiPriceById = (id: string): ApiPriceSpec => lookup(API_PRICES, id, "API catalog id");
export const modelById = (id: string): ModelCatalogEntry => lookup(MODELS, id, "model");

/**
 * USD per instance-hour for a capacity type: `priceOverrides.instances[id]` wins, else the catalog.
 * Throws when neither has a price (e.g. a reserved rate the catalog does not carry).
 */
export function catalogInstancePrice(instanceId: string, capacityType: CapacityType, overrides?: PriceOverrides["instances"]): number {
  const key = PRICE_KEY[capacityType];
  const override = overrides?.[instanceId]?.[key];
  if (override !== undefined) return override;
  const price = instanceById(instanceId).usdPerHour[key];
  if (price === null) {
    throw new Error(
      `no ${capacityType} price for instance type "${instanceId}" in the catalog: ` +
        `set economics.priceOverrides.instances["${instanceId}"].${key} (USD per instance-hour)`,
    );
  }
  return price;
}

/**
 * EKS Auto Mode fee of one instance of a type, USD per hour: `priceOverrides.instances[id].autoModeFee`
 * wins, else the catalog. The same whatever the EC2 purchase option (AWS bills it per instance type).
 */
export function autoModeFeeUsdPerHour(instanceId: string, overrides?: PriceOverrides["instances"]): number {
  const override = overrides?.[instanceId]?.autoModeFee;
  if (override !== undefined) return override;
  const row = AUTO_MODE_FEES.find((f) => f.instanceType === instanceId);
  if (row === undefined) {
    throw new Error(
      `no EKS Auto Mode fee for instance type "${instanceId}" in the catalog: set economics.priceOverrides.instances["${instanceId}"].autoModeFee (USD per instance-hour)`,
    );
  }
  return row.usdPerHour;
}

/**
 * NAT gateway data processing in a region, USD per GB: `priceOverrides.natGatewayUsdPerGb` wins, else the
 * catalog. Throws, naming the override, for a region the catalog does not price.
 */
export function natGatewayUsdPerGb(region: string, overrides?: PriceOverrides): number {
  if (overrides?.natGatewayUsdPerGb !== undefined) return overrides.natGatewayUsdPerGb;
  const row = NAT_GATEWAY_PRICES.find((r) => r.region === region);
  if (row === undefined) {
    throw new Error(
      `no NAT gateway data-processing price for region "${region}" in the catalog (it has ${NAT_GATEWAY_PRICES.map((r) => r.region).join(", ")}): ` +
        `set economics.priceOverrides.natGatewayUsdPerGb (USD per GB, aws.amazon.com/vpc/pricing)`,
    );
  }
  return row.usdPerGb;
}

/** The batch-API rule of a provider, or undefined when the catalog knows none. */
export function batchRuleOf(provider: string): BatchRule | undefined {
  return BATCH_RULES.find((r) => r.provider === provider);
}

/**
 * API prices for a catalog id: `priceOverrides.api[id]` wins (its input/output/cachedInput; batch
 * prices then come from the workload's `batchDiscount`, not the catalog), else the catalog row.
 * Overrides are keyed by catalog id; an API the catalog lacks is priced with `api.pricePerMillion`.
 */
export function catalogApiPrice(id: string, overrides?: PriceOverrides["api"]): ApiPriceSpec {
  const base = apiPriceById(id);
  const override = overrides?.[id];
  if (override === undefined) return base;
  return {
    ...base,
    input: override.input,
    output: override.output,
    cachedInput: override.cachedInput ?? null,
    batchInput: null,
    batchOutput: null,
    source: `economics.priceOverrides.api["${id}"] (stack config), over: ${base.source}`,
  };
}

/** Architecture facts of a workload's model: inline `architecture` wins, else the built-in catalog. */
export function resolveArchitecture(model: Pick<ModelSpec, "id" | "architecture">): ModelArchitecture {
  if (model.architecture !== undefined) return model.architecture;
  const entry = MODELS.find((m) => m.id === model.id);
  if (entry === undefined) {
    throw new Error(
      `model "${model.id}" is not in the built-in catalog: give model.architecture inline ` +
        `(parametersBillions, layers, hiddenSize, attentionHeads, kvHeads, maxContextTokens from its config.json), ` +
        `or use one of ${MODELS.map((m) => m.id).join(", ")}`,
    );
  }
  return entry.architecture;
}

/** Every dated row of the catalog. */
export function catalogRows(): readonly Sourced[] {
  return [...GPUS, ...INSTANCE_TYPES, ...API_PRICES, ...MODELS, ...EKS_FEES.sources, ...AUTO_MODE_FEES, ...BATCH_RULES, ...NAT_GATEWAY_PRICES];
}

/** Oldest and newest `asOf` across the catalog's tables, for display next to any figure it produced. */
export function catalogAsOf(): { readonly oldest: string; readonly newest: string } {
  const dates = catalogRows()
    .map((r) => r.asOf)
    .sort();
  return { oldest: dates[0]!, newest: dates[dates.length - 1]! };
}
