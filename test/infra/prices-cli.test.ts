/** `npm run prices`: on-demand prices from the AWS Price List API, tested on a response written in the API's documented shape. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { catalogInstancePrice } from "../../policies/economics/catalog";
import { instanceDataSchema } from "../../policies/economics/catalog/instances";
import { economicsConfigSchema } from "../../policies/economics/schema";
import { parsePriceList } from "../../infra/cli/price-list";
import { pricesCommand, readPrices, type GetProductsPage } from "../../infra/cli/prices";
import { REPO_ROOT } from "../fixtures/stack-files";

interface Page {
  readonly PriceList: string[];
  readonly NextToken?: string;
}
const recorded = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "test", "fixtures", "aws-pricing", "get-products.json"), "utf8")) as { pages: Record<string, Page[]> };

/** Serves the recorded pages in order, checking the NextToken the command sends back. */
function recordedPages(calls: string[] = []): GetProductsPage {
  return async (instanceType, region, nextToken) => {
    calls.push(`${instanceType}@${region}${nextToken !== undefined ? `#${nextToken}` : ""}`);
    const pages = recorded.pages[instanceType] ?? [{ PriceList: [] }];
    const index = nextToken === undefined ? 0 : pages.findIndex((_, i) => pages[i - 1]?.NextToken === nextToken);
    return pages[index]!;
  };
}

const now = () => new Date("2026-12-02T00:00:00Z");
let dir: string;
let exitCode: typeof process.exitCode;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "prices-"));
  exitCode = process.exitCode;
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  vi.spyOn(process.stderr, "write").mockImplementation(() => true);
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = exitCode;
  fs.rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[], page: GetProductsPage, catalogFile?: string): Promise<number | undefined> {
  process.exitCode = undefined;
  await pricesCommand(() => page, { now, ...(catalogFile !== undefined ? { catalogFile } : {}) }).parseAsync(["node", "prices", ...args]);
  const code = process.exitCode as number | undefined;
  process.exitCode = exitCode;
  return code;
}

describe("reading the Price List", () => {
  it("takes the hourly USD on-demand price and the offer's publication date; skips zero and non-hourly dimensions", () => {
    const prices = parsePriceList([...recorded.pages["g6e.xlarge"]![0]!.PriceList, ...recorded.pages["p4d.24xlarge"]![0]!.PriceList], "us-east-1", now());
    expect(prices).toEqual([{ instanceType: "g6e.xlarge", region: "us-east-1", usdPerHour: 1.861, asOf: "2026-11-20", version: "20261120180241" }]);
  });

  it("names the entry that is not a product document", () => {
    expect(() => parsePriceList(['{"product":{}}'], "us-east-1", now())).toThrow(/^PriceList\[0\]: not an AWS Price List product document/);
  });

  it("follows NextToken to the last page", async () => {
    const calls: string[] = [];
    const prices = await readPrices(recordedPages(calls), ["p4d.24xlarge"], "us-east-1", now());
    expect(calls).toEqual(["p4d.24xlarge@us-east-1", "p4d.24xlarge@us-east-1#page-2-token"]);
    expect(prices.map((p) => p.usdPerHour)).toEqual([20]);
  });
});

describe("npm run prices", () => {
  it("writes the prices as economics.priceOverrides the stack accepts and the catalog honours", async () => {
    const out = path.join(dir, "overrides.json");
    expect(await run(["--instance-types", "p5.48xlarge,p4d.24xlarge,g6e.xlarge", "--out", out], recordedPages())).toBe(0);
    const file = JSON.parse(fs.readFileSync(out, "utf8")) as { source: string; asOf: string; priceOverrides: { instances: Record<string, { onDemand: number }> } };
    expect(file.priceOverrides.instances).toEqual({ "p5.48xlarge": { onDemand: 55.04 }, "p4d.24xlarge": { onDemand: 20 }, "g6e.xlarge": { onDemand: 1.861 } });
    expect(file.source).toMatch(/AWS Price List Query API, pricing:GetProducts \(AmazonEC2, us-east-1, Linux, shared tenancy, on-demand, offer version 20261120180241\)/);
    expect(file.asOf).toBe("2026-11-20");
    const economics = economicsConfigSchema.parse({ priceOverrides: file.priceOverrides });
    expect(catalogInstancePrice("p4d.24xlarge", "on-demand", economics.priceOverrides.instances)).toBe(20);
  });

  it("--update-catalog rewrites the catalog's on-demand prices with their source and date, keeping the file valid", async () => {
    const catalog = path.join(dir, "instances.json");
    fs.copyFileSync(path.join(REPO_ROOT, "policies", "economics", "catalog", "data", "instances.json"), catalog);
    const out = path.join(dir, "overrides.json");
    expect(await run(["--instance-types", "p4d.24xlarge,p5.48xlarge", "--out", out, "--update-catalog"], recordedPages(), catalog)).toBe(0);
    const data = instanceDataSchema.parse(JSON.parse(fs.readFileSync(catalog, "utf8")));
    const p4d = data.rows.find((r) => r.id === "p4d.24xlarge")!;
    expect(p4d.prices.onDemand).toEqual({ usdPerHour: 20, asOf: "2026-11-20", source: expect.stringMatching(/^AWS Price List Query API/) as string });
    expect(p4d.prices.spot?.usdPerHour).toBe(5.0933); // only on-demand is refreshed
    expect(data.rows.find((r) => r.id === "g6.xlarge")!.prices.onDemand.usdPerHour).toBe(0.8048); // not asked for, unchanged
  });

  it("without AWS credentials writes nothing and exits 2 with the reason", async () => {
    const out = path.join(dir, "overrides.json");
    const noCredentials: GetProductsPage = () => Promise.reject(Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }));
    expect(await run(["--instance-types", "p5.48xlarge", "--out", out], noCredentials)).toBe(2);
    expect(fs.existsSync(out)).toBe(false);
    expect(vi.mocked(process.stderr.write).mock.calls.map((c) => String(c[0])).join("")).toMatch(/no AWS credentials found: nothing refreshed/);
  });
});
