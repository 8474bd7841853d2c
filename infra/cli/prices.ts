/**
 * `npm run prices -- [--region us-east-1] [--instance-types a,b] [--out file.json] [--update-catalog]`:
 * reads current on-demand prices of the catalog's GPU instance types from the AWS Price List
 * Query API (needs AWS credentials allowed `pricing:GetProducts`) and writes them where the
 * stack uses them: a file in the shape of `economics.priceOverrides` (default
 * `price-overrides.json`), and with `--update-catalog` the catalog's own data file, each price
 * with its source and date. Exit 0 when prices were written, 2 on usage errors or when no
 * credentials are available (nothing is written then).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { GetProductsCommand, PricingClient, type GetProductsCommandOutput } from "@aws-sdk/client-pricing";
import { Command } from "commander";
import { INSTANCE_TYPES } from "../../policies/economics/catalog";
import { instanceDataSchema } from "../../policies/economics/catalog/instances";
import { EXIT, runCli, runCommand, UsageError } from "./common";
import { getProductsFilters, overridesFile, parsePriceList, updateCatalogPrices, type ListedPrice } from "./price-list";

/** One GetProducts page for an instance type; the real one calls AWS, tests pass a recorded response. */
export type GetProductsPage = (instanceType: string, region: string, nextToken: string | undefined) => Promise<Pick<GetProductsCommandOutput, "PriceList" | "NextToken">>;

/** The Price List API is served from us-east-1 (also eu-central-1, ap-south-1) whatever region is priced. */
export function awsGetProductsPage(client = new PricingClient({ region: "us-east-1" })): GetProductsPage {
  return (instanceType, region, nextToken) =>
    client.send(new GetProductsCommand({ ServiceCode: "AmazonEC2", FormatVersion: "aws_v1", Filters: getProductsFilters(instanceType, region), MaxResults: 100, ...(nextToken !== undefined ? { NextToken: nextToken } : {}) }));
}

/** Every hourly on-demand price the API lists for the instance types, following NextToken. */
export async function readPrices(page: GetProductsPage, instanceTypes: readonly string[], region: string, readOn: Date): Promise<ListedPrice[]> {
  const prices: ListedPrice[] = [];
  for (const instanceType of instanceTypes) {
    let token: string | undefined;
    do {
      const response = await page(instanceType, region, token);
      prices.push(...parsePriceList((response.PriceList ?? []) as unknown[], region, readOn));
      token = response.NextToken ?? undefined;
    } while (token !== undefined);
  }
  return prices.filter((p) => instanceTypes.includes(p.instanceType));
}

/** Errors that mean "no usable AWS credentials" rather than a broken request. */
function isMissingCredentials(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name ?? "";
  return name === "CredentialsProviderError" || /Could not load credentials|credential/i.test((error as Error | null)?.message ?? "");
}

/** The catalog's instance data, from the project root npm runs scripts in (the CLI may run from a transpiled copy elsewhere). */
const CATALOG_FILE = path.join("policies", "economics", "catalog", "data", "instances.json");

interface PricesOptions {
  region: string;
  instanceTypes?: string;
  out: string;
  updateCatalog?: boolean;
}

export function pricesCommand(page: () => GetProductsPage = () => awsGetProductsPage(), options: { catalogFile?: string; now?: () => Date } = {}): Command {
  return new Command("prices")
    .description("Refresh on-demand GPU instance prices from the AWS Price List API")
    .option("-r, --region <region>", "AWS region to price", "us-east-1")
    .option("-i, --instance-types <list>", "comma-separated instance types (default: every catalog instance type in the region)")
    .option("-o, --out <file>", "write the prices as economics.priceOverrides to this file", "price-overrides.json")
    .option("--update-catalog", "also rewrite the catalog's on-demand prices (policies/economics/catalog/data/instances.json)")
    .addHelpText("after", "\nNeeds AWS credentials allowed pricing:GetProducts.\nExit codes: 0 prices written, 2 usage error or no credentials (nothing written).")
    .exitOverride()
    .action(async (opts: PricesOptions) => {
      await runCommand(async () => {
        const catalogTypes = INSTANCE_TYPES.filter((i) => i.region === opts.region).map((i) => i.id);
        const wanted = opts.instanceTypes !== undefined ? opts.instanceTypes.split(",").map((s) => s.trim()).filter((s) => s.length > 0) : catalogTypes;
        if (wanted.length === 0) throw new UsageError(`no instance types to price in ${opts.region}: name them with --instance-types`);
        const now = options.now?.() ?? new Date();
        let prices: ListedPrice[];
        try {
          prices = await readPrices(page(), wanted, opts.region, now);
        } catch (error) {
          if (!isMissingCredentials(error)) throw error;
          process.stderr.write("no AWS credentials found: nothing refreshed (set AWS_PROFILE or credentials allowed pricing:GetProducts); the catalog's prices stay as they are\n");
          return EXIT.invalidConfig;
        }
        const missing = wanted.filter((id) => !prices.some((p) => p.instanceType === id));
        if (missing.length > 0) process.stderr.write(`no on-demand Linux price listed in ${opts.region} for: ${missing.join(", ")}\n`);
        writeAtomically(path.resolve(opts.out), `${JSON.stringify(overridesFile(prices), null, 2)}\n`);
        process.stdout.write(`${prices.length} on-demand prices written to ${opts.out} (economics.priceOverrides shape)\n`);
        if (opts.updateCatalog === true) {
          const file = path.resolve(options.catalogFile ?? CATALOG_FILE);
          const { data, changed } = updateCatalogPrices(instanceDataSchema.parse(JSON.parse(fs.readFileSync(file, "utf8"))), prices);
          writeAtomically(file, `${JSON.stringify(data, null, 2)}\n`);
          process.stdout.write(`catalog on-demand prices refreshed for ${changed.length} instance types: ${changed.join(", ")}\n`);
        }
        return EXIT.ok;
      });
    });
}

/** Write beside, then rename: a failed run never leaves half a file. */
function writeAtomically(target: string, content: string): void {
  const partial = `${target}.partial-${process.pid}`;
  fs.writeFileSync(partial, content);
  fs.renameSync(partial, target);
}

if (require.main === module) void runCli(pricesCommand());
