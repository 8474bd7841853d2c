/**
 * How old the prices behind a report are. Every report names each catalog price it used that is
 * older than a configurable age, with its source, so nobody bets money on a stale list price
 * without being told. Prices the stack config overrides are the operator's own and are not
 * judged here.
 */
import type { EconomicsConfig } from "../schema";
import type { CapacityType } from "../types";
import { API_PRICES } from "./api-prices";
import { instancePriceProvenance, PRICE_KEY } from "./instances";

/** Age past which a report warns about a catalog price, days. @default 180 (AWS and the API providers move prices several times a year) */
export const DEFAULT_MAX_PRICE_AGE_DAYS = 180;

/** A catalog price a report used. */
export type PriceUse =
  | { readonly kind: "instance"; readonly id: string; readonly capacityType: CapacityType }
  | { readonly kind: "api"; readonly id: string };

export interface StalePrice {
  readonly use: PriceUse;
  readonly asOf: string;
  readonly ageDays: number;
  readonly source: string;
  /** The catalog's own note on why the price is old, where it has one. */
  readonly note?: string;
}

/** Days from an as-of date (a month counts from its first day, the older reading) to `today`. */
export function priceAgeDays(asOf: string, today: Date): number {
  const start = Date.parse(asOf.length === 7 ? `${asOf}-01` : asOf);
  if (Number.isNaN(start)) throw new RangeError(`asOf: expected an ISO date or month, got "${asOf}"`);
  return Math.max(0, Math.floor((today.getTime() - start) / 86_400_000));
}

function overridden(use: PriceUse, overrides: EconomicsConfig["priceOverrides"] | undefined): boolean {
  if (overrides === undefined) return false;
  if (use.kind === "api") return overrides.api[use.id] !== undefined;
  return overrides.instances[use.id]?.[PRICE_KEY[use.capacityType]] !== undefined;
}

/**
 * The catalog prices among `uses` older than `maxAgeDays` on `today`, oldest first, each once.
 * Uses the catalog does not price (an override, an API priced inline) are skipped.
 */
export function stalePrices(
  uses: readonly PriceUse[],
  options: { readonly maxAgeDays?: number; readonly today?: Date; readonly overrides?: EconomicsConfig["priceOverrides"] } = {},
): StalePrice[] {
  const maxAgeDays = options.maxAgeDays ?? DEFAULT_MAX_PRICE_AGE_DAYS;
  if (!(maxAgeDays >= 0) || !Number.isFinite(maxAgeDays)) throw new RangeError(`maxAgeDays: expected a number of days of at least 0, got ${maxAgeDays}`);
  const today = options.today ?? new Date();
  const seen = new Set<string>();
  const stale: StalePrice[] = [];
  for (const use of uses) {
    const key = use.kind === "api" ? `api:${use.id}` : `instance:${use.id}:${use.capacityType}`;
    if (seen.has(key) || overridden(use, options.overrides)) continue;
    seen.add(key);
    const row = use.kind === "api" ? API_PRICES.find((p) => p.id === use.id) : instancePriceProvenance(use.id, use.capacityType);
    if (row === undefined) continue;
    const ageDays = priceAgeDays(row.asOf, today);
    if (ageDays > maxAgeDays) stale.push({ use, asOf: row.asOf, ageDays, source: row.source, ...(row.note !== undefined ? { note: row.note } : {}) });
  }
  return stale.sort((a, b) => b.ageDays - a.ageDays);
}

/** One line per stale price, for people. */
export function describeStalePrice(stale: StalePrice): string {
  const what = stale.use.kind === "api" ? `API price "${stale.use.id}"` : `${stale.use.capacityType} price of ${stale.use.id}`;
  const refresh =
    stale.use.kind === "api"
      ? "check the provider's page and"
      : stale.use.capacityType === "on-demand"
        ? "refresh with `npm run prices` or"
        : stale.use.capacityType === "spot"
          ? "spot moves hourly: read your recent spot history and"
          : "check your commitment's rate and";
  return `${what} is ${stale.ageDays} days old (as of ${stale.asOf}): ${refresh} set economics.priceOverrides`;
}
