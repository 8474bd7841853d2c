/**
 * AWS GPU instance types and prices (us-east-1, Linux, shared tenancy), from `data/instances.json`.
 *
 * Every price carries its own source and as-of date (`prices.onDemand.asOf`): on-demand, spot and
 * reserved come from different sources at different times. A row's `asOf` is its oldest price's,
 * so a freshness check on the row is never kinder than on the price.
 * - `onDemand`: list price; P4/P5 after AWS's June 2025 cut.
 * - `spot`: a point-in-time minimum over us-east-1 AZs (spot moves hourly).
 * - `reserved`: the 1-year commitment rate where a source has one, else absent: price it with
 *   `economics.priceOverrides.instances`.
 * `npm run prices -- --update-catalog` rewrites the on-demand prices from the AWS Price List API.
 */
import { z } from "zod";
import type { CapacityType, GpuId, InstanceTypeSpec, Sourced } from "../types";
import data from "./data/instances.json";
import { asOfSchema, deepFreeze, duplicateIds, parseDataFile, sourceSchema } from "./data-file";

const datedPrice = z.strictObject({
  usdPerHour: z.number().positive(),
  source: sourceSchema,
  asOf: asOfSchema,
  /** Why the price is older than 2026, or a caveat (spot moves hourly). */
  note: z.string().min(10).optional(),
});
export type DatedPrice = z.infer<typeof datedPrice>;

const instanceRow = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9-]+\.[a-z0-9-]+$/, { error: "expected an EC2 instance type such as g6e.xlarge" }),
    gpu: z.enum(["A10G", "L4", "L40S", "A100-40GB", "A100-80GB", "H100-80GB", "H200-141GB"]),
    gpuCount: z.number().int().positive(),
    vcpu: z.number().int().positive(),
    memoryGiB: z.number().positive(),
    region: z.string().min(1),
    source: sourceSchema,
    prices: z.strictObject({ onDemand: datedPrice, spot: datedPrice.optional(), reserved: datedPrice.optional() }),
  })
  .refine((r) => [r.prices.spot, r.prices.reserved].every((p) => p === undefined || p.usdPerHour < r.prices.onDemand.usdPerHour), {
    error: "spot and reserved must be below on-demand",
    path: ["prices"],
  })
  .refine((r) => Object.values(r.prices).every((p) => p === undefined || p.asOf >= "2026" || p.note !== undefined), {
    error: "a price dated before 2026 must carry a note saying why it is older",
    path: ["prices"],
  });

export const instanceDataSchema = z
  .strictObject({ description: z.string(), rows: z.array(instanceRow).min(1) })
  .refine((d) => duplicateIds(d.rows).length === 0, { error: (issue) => `duplicate ids: ${duplicateIds((issue.input as { rows: { id: string }[] }).rows).join(", ")}`, path: ["rows"] });
export type InstanceData = z.infer<typeof instanceDataSchema>;

/** Keys of `usdPerHour` (and `prices`) by capacity type. */
export const PRICE_KEY: Readonly<Record<CapacityType, keyof InstanceTypeSpec["usdPerHour"]>> = Object.freeze({
  "on-demand": "onDemand",
  spot: "spot",
  reserved: "reserved",
});

/** An instance type with the provenance of each of its prices. */
export type InstanceRow = InstanceTypeSpec & {
  readonly prices: { readonly onDemand: DatedPrice; readonly spot?: DatedPrice; readonly reserved?: DatedPrice };
};

/** Build the catalog rows from a validated data file (also used by the price refresh). */
export function instanceRows(parsed: InstanceData): InstanceRow[] {
  return parsed.rows.map((row) => {
    const dated = Object.values(row.prices).filter((p): p is DatedPrice => p !== undefined);
    const oldest = dated.map((p) => p.asOf).sort()[0]!;
    return {
      id: row.id,
      gpu: row.gpu as GpuId,
      gpuCount: row.gpuCount,
      vcpu: row.vcpu,
      memoryGiB: row.memoryGiB,
      region: row.region,
      usdPerHour: { onDemand: row.prices.onDemand.usdPerHour, spot: row.prices.spot?.usdPerHour ?? null, reserved: row.prices.reserved?.usdPerHour ?? null },
      prices: row.prices,
      source: [`${row.source}`, ...Object.entries(row.prices).map(([k, p]) => `${k}: ${p!.source} (${p!.asOf})`)].join("; "),
      asOf: oldest,
    };
  });
}

/** Every GPU instance type with a price, frozen. */
export const INSTANCE_TYPES: readonly InstanceRow[] = deepFreeze(instanceRows(parseDataFile("policies/economics/catalog/data/instances.json", data, instanceDataSchema)));

/** Source and date of one price of an instance type, or undefined when the catalog has none. */
export function instancePriceProvenance(instanceId: string, capacityType: CapacityType): (Sourced & { readonly note?: string }) | undefined {
  const row = INSTANCE_TYPES.find((i) => i.id === instanceId);
  return row?.prices[PRICE_KEY[capacityType]];
}
