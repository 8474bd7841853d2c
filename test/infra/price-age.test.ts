/** Every cost report warns about the catalog prices it used that are older than the configured age. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadStackConfigFile } from "../../infra/config";
import { costCommand } from "../../infra/cli/cost";
import { priceAgeWarnings, priceUses } from "../../infra/cli/price-age";
import { evaluateStack } from "../../infra/stack-economics";
import { DEV_STACK_FILE } from "../fixtures/stack-files";

const config = loadStackConfigFile(DEV_STACK_FILE);
const evaluation = evaluateStack(config, "dev", { cheapestShape: false });

afterEach(() => vi.restoreAllMocks());

describe("price age in the cost report", () => {
  it("finds the prices behind each workload: its instance at its capacity type, its API's list price", () => {
    expect(priceUses(config, evaluation)).toEqual([
      { kind: "instance", id: evaluation.workloads[0]!.instanceType, capacityType: "spot" },
      { kind: "api", id: "gpt-4.1-mini" },
      { kind: "instance", id: "g6e.12xlarge", capacityType: "on-demand" },
      { kind: "api", id: "gpt-4.1" },
      { kind: "instance", id: "g6e.12xlarge", capacityType: "on-demand" },
      { kind: "api", id: "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo" },
    ]);
  });

  it("warns about the dev stack's 2025 spot snapshot and LiteLLM-era API price at 180 days, and about nothing at 1,000", () => {
    const today = new Date("2026-12-02T00:00:00Z");
    const warnings = priceAgeWarnings(config, evaluation, 180, today);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^spot price of g6\.\d?x?large is \d+ days old \(as of 2025-05\)/);
    expect(warnings[1]).toMatch(/^API price "together_ai\/meta-llama\/Llama-3\.3-70B-Instruct-Turbo" is 453 days old/);
    expect(priceAgeWarnings(config, evaluation, 1000, today)).toEqual([]);
  });

  it("npm run cost prints them after the report, and puts them in the JSON", async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (out.push(String(chunk)), true));
    const exitCode = process.exitCode;
    await costCommand().parseAsync(["node", "cost", "--config", DEV_STACK_FILE, "--format", "json", "--max-price-age-days", "180"]);
    process.exitCode = exitCode;
    const json = JSON.parse(out.join("")) as { priceWarnings: string[] };
    expect(json.priceWarnings.length).toBeGreaterThanOrEqual(2);
    expect(json.priceWarnings.join("\n")).toMatch(/days old/);
  });
});
