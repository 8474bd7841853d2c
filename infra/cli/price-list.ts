/**
 * Reading on-demand EC2 prices from the AWS Price List Query API (`pricing:GetProducts`) and
 * writing them where the stack uses them: a `priceOverrides` file, or the catalog's own data
 * file with the source and date of each refreshed price.
 *
 * A GetProducts response carries `PriceList`, an array of JSON documents, one per product:
 * `product.attributes` (instanceType, regionCode, operatingSystem, tenancy, preInstalledSw,
 * capacitystatus), `terms.OnDemand.<offer>.priceDimensions.<rate>.pricePerUnit.USD` per `Hrs`,
 * and the offer's `publicationDate`.
 */
import { z } from "zod";
import { instanceDataSchema, type InstanceData } from "../../policies/economics/catalog/instances";

/** What one GetProducts call needs: the filters that select one Linux, shared-tenancy, on-demand instance price in a region. */
export function getProductsFilters(instanceType: string, region: string): { Type: "TERM_MATCH"; Field: string; Value: string }[] {
  const match = (Field: string, Value: string) => ({ Type: "TERM_MATCH" as const, Field, Value });
  return [
    match("instanceType", instanceType),
    match("regionCode", region),
    match("operatingSystem", "Linux"),
    match("tenancy", "Shared"),
    match("preInstalledSw", "NA"),
    match("capacitystatus", "Used"),
  ];
}

const priceDocument = z.object({
  product: z.object({ attributes: z.object({ instanceType: z.string(), regionCode: z.string().optional(), operatingSystem: z.string().optional() }) }),
  terms: z.object({
    OnDemand: z
      .record(z.string(), z.object({ priceDimensions: z.record(z.string(), z.object({ unit: z.string(), pricePerUnit: z.object({ USD: z.string() }) })) }))
      .optional(),
  }),
  publicationDate: z.string().optional(),
  version: z.string().optional(),
});

/** An on-demand price read from the Price List API. */
export interface ListedPrice {
  readonly instanceType: string;
  readonly region: string;
  readonly usdPerHour: number;
  /** The offer's publication date (YYYY-MM-DD), else the day it was read. */
  readonly asOf: string;
  readonly version?: string;
}

/**
 * The hourly on-demand prices in a GetProducts `PriceList`. Documents without an hourly USD
 * on-demand price are skipped; a document that is not a price document is an error naming it.
 */
export function parsePriceList(priceList: readonly unknown[], region: string, readOn: Date): ListedPrice[] {
  const prices: ListedPrice[] = [];
  priceList.forEach((entry, index) => {
    const json: unknown = typeof entry === "string" ? JSON.parse(entry) : entry;
    const parsed = priceDocument.safeParse(json);
    if (!parsed.success) throw new Error(`PriceList[${index}]: not an AWS Price List product document (${parsed.error.issues[0]?.message ?? "unexpected shape"})`);
    const doc = parsed.data;
    for (const offer of Object.values(doc.terms.OnDemand ?? {})) {
      for (const dimension of Object.values(offer.priceDimensions)) {
        const usd = Number(dimension.pricePerUnit.USD);
        if (dimension.unit !== "Hrs" || !(usd > 0)) continue;
        prices.push({
          instanceType: doc.product.attributes.instanceType,
          region: doc.product.attributes.regionCode ?? region,
          usdPerHour: usd,
          asOf: (doc.publicationDate ?? readOn.toISOString()).slice(0, 10),
          ...(doc.version !== undefined ? { version: doc.version } : {}),
        });
      }
    }
  });
  return prices;
}

/** Source line of a refreshed price. */
export function priceListSource(price: ListedPrice): string {
  return `AWS Price List Query API, pricing:GetProducts (AmazonEC2, ${price.region}, Linux, shared tenancy, on-demand${price.version !== undefined ? `, offer version ${price.version}` : ""}), read by \`npm run prices\``;
}

/** A file in the shape of `economics.priceOverrides`, plus where and when its prices come from. */
export function overridesFile(prices: readonly ListedPrice[]): { source: string; asOf: string; priceOverrides: { instances: Record<string, { onDemand: number }> } } {
  const instances: Record<string, { onDemand: number }> = {};
  for (const p of prices) instances[p.instanceType] = { onDemand: p.usdPerHour };
  const dates = prices.map((p) => p.asOf).sort();
  return {
    source: prices.length > 0 ? priceListSource(prices[0]!) : "AWS Price List Query API (no prices found)",
    asOf: dates[dates.length - 1] ?? new Date().toISOString().slice(0, 10),
    priceOverrides: { instances },
  };
}

/**
 * The catalog's instance data with each listed on-demand price replaced, its source and date
 * updated; validated again, so a refresh can never write a file the catalog would refuse.
 * Returns the new data and the ids it changed.
 */
export function updateCatalogPrices(data: InstanceData, prices: readonly ListedPrice[]): { data: InstanceData; changed: string[] } {
  const byId = new Map(prices.map((p) => [p.instanceType, p]));
  const changed: string[] = [];
  const rows = data.rows.map((row) => {
    const price = byId.get(row.id);
    if (price === undefined || price.region !== row.region) return row;
    changed.push(row.id);
    return { ...row, prices: { ...row.prices, onDemand: { usdPerHour: price.usdPerHour, source: priceListSource(price), asOf: price.asOf } } };
  });
  return { data: instanceDataSchema.parse({ ...data, rows }), changed };
}
