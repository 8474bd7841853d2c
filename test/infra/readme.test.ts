/** The README's promises stay true: its quickstart commands exist, CI runs its test command, and its dev-stack figures are what `npm run cost` says. */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadStackConfigFile } from "../../infra/config";
import { withResolvedEconomics } from "../../infra/economics-source";
import { evaluateStack } from "../../infra/stack-economics";
import { DEV_STACK_FILE, REPO_ROOT } from "../fixtures/stack-files";

const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
const scripts = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

describe("README", () => {
  it("quickstart: every npm script it names exists, and CI runs its test command", () => {
    const named = [...readme.matchAll(/npm run ([a-z-]+)/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(0);
    for (const script of new Set(named)) expect(scripts, `npm run ${script}`).toHaveProperty(script);
    expect(readme).toContain("npm ci && npm run cost -- --stack dev");
    expect(fs.readFileSync(path.join(REPO_ROOT, ".ci", "run"), "utf8")).toMatch(/^npm test$/m);
  });

  it("shows the dev stack's verdicts, utilizations and monthly costs as npm run cost computes them", () => {
    const { config } = withResolvedEconomics(loadStackConfigFile(DEV_STACK_FILE), DEV_STACK_FILE, { projectDir: REPO_ROOT });
    const evaluation = evaluateStack(config, "dev", { cheapestShape: false });
    const pct = (x: number | null) => (x === null ? "none" : `${(x * 100).toFixed(1)}%`);
    const usd = (x: number) => `$${Math.round(x).toLocaleString("en-US")}`;
    for (const w of evaluation.workloads) {
      const row = readme.split("\n").find((line) => line.startsWith(`| ${w.name} (`));
      expect(row, w.name).toBeDefined();
      const cells = row!.split("|").map((c) => c.trim());
      expect(cells.slice(2, 8), w.name).toEqual([w.tier, w.verdict, pct(w.modeledUtilization), pct(w.requiredUtilization), usd(w.ownedMonthlyUsd), usd(w.apiMonthlyUsd)]);
    }
  });
});
