/** `npm run cost` end to end, as a user runs it: a child process, real files, exit codes. */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Listr } from "listr2";
import { afterAll, describe, expect, it, vi } from "vitest";
import { progressOptions, runCli, runCommand } from "../../infra/cli/common";
import { costCommand } from "../../infra/cli/cost";
import { nonFiniteFigures } from "../../infra/cli/cost-report";
import { DEV_STACK_FILE, REPO_ROOT, tempProject, writeStackVariant } from "../fixtures/stack-files";

/** The product entrypoint `npm run <command>` calls. */
const LAUNCHER = path.join(REPO_ROOT, "bin", "gpu-inference.js");

function cost(args: string[], cwd = REPO_ROOT) {
  const run = spawnSync(process.execPath, [LAUNCHER, "cost", ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
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

/** Run a command in this process, capturing what it writes and the exit code it sets. */
async function inProcess(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
  process.exitCode = 0;
  try {
    await runCli(costCommand(), ["node", "cost", ...args]);
    return { code: Number(process.exitCode ?? 0), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.env = saved;
    process.exitCode = 0;
  }
}

describe("npm run cost: output a terminal and a script can trust", () => {
  it("prints negative dollars as -$11,804, never $-11,804", async () => {
    const run = await inProcess(["--config", DEV_STACK_FILE, "--wide"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/│ -\$[\d,]+\s+│/); // support-chat's savings
    expect(run.stdout).not.toMatch(/\$-\d/);
  });

  it("fits a 120-column terminal by dropping the least important columns, and shows all with --wide", async () => {
    const fitted = await inProcess(["--config", DEV_STACK_FILE]);
    const widest = (text: string) => Math.max(...text.split("\n").map((line) => [...line].length));
    expect(widest(fitted.stdout)).toBeLessThanOrEqual(120);
    expect(fitted.stdout).toContain("--wide shows all");
    for (const kept of ["workload", "verdict", "gate", "utilization", "owned/mo", "API/mo", "savings/mo"]) expect(fitted.stdout).toContain(kept);
    const wide = await inProcess(["--config", DEV_STACK_FILE, "--wide"]);
    expect(widest(wide.stdout)).toBeGreaterThan(120);
    for (const column of ["payback (mo)", "GPU-h/mo", "$/1M owned", "$/1M API"]) expect(wide.stdout).toContain(column);
  });

  it("writes no colour codes when piped or when NO_COLOR is set, and colours when FORCE_COLOR asks", async () => {
    expect((await inProcess(["--config", DEV_STACK_FILE])).stdout).not.toContain("\u001b[");
    expect((await inProcess(["--config", DEV_STACK_FILE], { FORCE_COLOR: "1", NO_COLOR: "1" })).stdout).not.toContain("\u001b[");
    expect((await inProcess(["--config", DEV_STACK_FILE], { FORCE_COLOR: "1" })).stdout).toContain("\u001b[");
  });

  it("warns, outside the JSON's figures, when the environment has no policy config", async () => {
    const file = writeStackVariant(project.dir, "staging", (doc) => {
      doc.config["gpu-inference:environment"] = "staging";
    });
    const run = await inProcess(["--config", file, "--format", "json"]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { warnings: string[] };
    expect(report.warnings.some((w) => w.includes("no policy config"))).toBe(true);
  });

  it("exits 3 with the message and no stack trace for a crash; DEBUG=1 adds the trace", async () => {
    const capture = async (env: Record<string, string | undefined>) => {
      let stderr = "";
      const saved = process.env.DEBUG;
      process.env.DEBUG = env.DEBUG ?? "";
      const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
      try {
        await runCommand(() => {
          throw new TypeError("cannot read the catalog row");
        });
        return { code: process.exitCode, stderr };
      } finally {
        err.mockRestore();
        process.env.DEBUG = saved;
        process.exitCode = 0;
      }
    };
    const plain = await capture({});
    expect(plain.code).toBe(3);
    expect(plain.stderr).toContain("error: internal error: cannot read the catalog row");
    expect(plain.stderr).not.toMatch(/\n\s+at /);
    const debug = await capture({ DEBUG: "1" });
    expect(debug.code).toBe(3);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it("refuses, rather than prints, a figure that is not a finite number", () => {
    expect(nonFiniteFigures({ workloads: [{ ownedMonthlyUsd: Number.POSITIVE_INFINITY, reasons: ["x"], a: { b: Number.NaN } }], totals: { api: 1 } })).toEqual([
      "workloads[0].a.b",
      "workloads[0].ownedMonthlyUsd",
    ]);
  });

  it("keeps progress of plan on stderr, its fallback renderer included", async () => {
    let stdout = "";
    let stderr = "";
    const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
    const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
    try {
      // The fallback renderer is what listr2 uses when stdout is not a terminal: force it.
      const stages = new Listr([{ title: "config: read and validate the stack file", task: () => undefined }], {
        ...progressOptions(),
        silentRendererCondition: false,
        fallbackRendererCondition: true,
      });
      await stages.run();
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    expect(stdout).toBe("");
    expect(stderr).toContain("config: read and validate the stack file");
  });

  it("ends quietly when the reader closes the pipe, and stops an alias bomb with exit 2 naming the file", () => {
    // Two real processes: a closed pipe and the exit code are what is under test.
    const piped = spawnSync("sh", ["-c", `"${process.execPath}" "${LAUNCHER}" cost --config "${DEV_STACK_FILE}" --wide | head -1`], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(piped.stdout).toMatch(/^Stack dev: owned vs API/);
    expect(piped.stderr).toBe("");
    const bomb = path.join(project.dir, "Pulumi.bomb.yaml");
    fs.writeFileSync(bomb, 'config:\n  x:a: &a [l,l,l,l,l,l,l,l,l]\n  x:b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n  x:c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n  x:d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n  gpu-inference:environment: *d\n');
    const run = cost(["--config", bomb]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Pulumi.bomb.yaml: YAML aliases expand past 100 references");
  }, 240_000);
});
