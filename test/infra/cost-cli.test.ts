/** `npm run cost` end to end, as a user runs it: a child process, real files, exit codes. */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT, tempProject, writeStackVariant } from "../fixtures/stack-files";

const TSX = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
const COST = path.join(REPO_ROOT, "infra", "cli", "cost.ts");

function cost(args: string[], cwd = REPO_ROOT) {
  const run = spawnSync(TSX, [COST, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const project = tempProject();
afterAll(() => project.cleanup());

interface CostJson {
  stack: string;
  catalogAsOf: { oldest: string; newest: string };
  workloads: {
    name: string;
    tier: string;
    verdict: string;
    targetOwnedShare: number;
    modeledUtilization: number;
    breakEvenUtilization: number | null;
    passesGate: boolean;
    ownedMonthlyUsd: number;
    apiMonthlyUsd: number;
    savingsMonthlyUsd: number;
    paybackMonths: number | null;
    gpuHoursPerMonth: number;
    replicaTokensPerSecond: number;
    costPerMillionTokensUsd: { owned: number | null; api: number };
    reasons: string[];
  }[];
  totals: { ownedMonthlyUsd: number; apiMonthlyUsd: number; savingsMonthlyUsd: number };
}

describe("npm run cost", () => {
  it("runs through npm on the dev stack and prints a table with a verdict per workload", () => {
    const run = spawnSync("npm", ["run", "--silent", "cost", "--", "--stack", "dev"], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(run.status).toBe(0);
    for (const name of ["ticket-classifier", "document-processing", "support-chat"]) expect(run.stdout).toContain(name);
    expect(run.stdout).toMatch(/Totals: owned \$[\d,]+\/mo, API \$[\d,]+\/mo/);
    expect(run.stdout).toMatch(/as of \d{4}-\d{2}(-\d{2})? to \d{4}-\d{2}(-\d{2})?/);
  });

  it("emits the documented JSON shape, with totals that add up", () => {
    const run = cost(["--stack", "dev", "--format", "json"]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as CostJson;
    expect(report.stack).toBe("dev");
    expect(report.workloads).toHaveLength(3);
    for (const w of report.workloads) {
      expect(["own", "api", "hybrid"]).toContain(w.verdict);
      expect(w.savingsMonthlyUsd).toBeCloseTo(w.apiMonthlyUsd - w.ownedMonthlyUsd, 6);
      expect(w.reasons.length).toBeGreaterThan(0);
      expect(w.gpuHoursPerMonth).toBeGreaterThanOrEqual(0);
    }
    const sum = (pick: (w: CostJson["workloads"][number]) => number) => report.workloads.reduce((s, w) => s + pick(w), 0);
    expect(report.totals.ownedMonthlyUsd).toBeCloseTo(sum((w) => w.ownedMonthlyUsd), 6);
    expect(report.totals.apiMonthlyUsd).toBeCloseTo(sum((w) => w.apiMonthlyUsd), 6);
    // The example's story: steady batch classification is owned, spiky chat stays on the API.
    const byName = new Map(report.workloads.map((w) => [w.name, w]));
    expect(byName.get("ticket-classifier")!.verdict).toBe("own");
    expect(byName.get("support-chat")!.verdict).toBe("api");
  });

  it("writes markdown for a pull-request comment", () => {
    const run = cost(["--stack", "dev", "--format", "markdown"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^### Inference economics — stack `dev`/);
    expect(run.stdout).toMatch(/^\| workload \| tier \| verdict \|/m);
    expect(run.stdout).toMatch(/^\| ticket-classifier \| batch \| own \|/m);
  });

  it("writes an SVG chart with the owned curve, API line and markers for each workload", () => {
    const chart = path.join(project.dir, "cost.svg");
    const run = cost(["--stack", "dev", "--chart", chart]);
    expect(run.code).toBe(0);
    const svg = fs.readFileSync(chart, "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    for (const name of ["ticket-classifier", "document-processing", "support-chat"]) expect(svg).toContain(name);
    expect(svg).toContain("GPU utilization");
    expect(svg).toMatch(/break-even|modeled/);
  });

  it("refuses an invalid stack with exit 2, naming the file and key path, without a stack trace", () => {
    const file = writeStackVariant(project.dir, "broken", (doc) => {
      const workloads = doc.config["gpu-inference:workloads"] as { traffic: { meanInputTokens: unknown } }[];
      workloads[0]!.traffic.meanInputTokens = "lots";
    });
    const run = cost(["--config", file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Pulumi.broken.yaml: gpu-inference:workloads[0].traffic.meanInputTokens: expected a number of tokens of at least 1");
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe("");
  });

  it("exits 2 for a missing stack file and for an unknown format", () => {
    expect(cost(["--stack", "nosuch"]).code).toBe(2);
    const bad = cost(["--stack", "dev", "--format", "yaml"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--format must be one of table, markdown, json");
  });
});
