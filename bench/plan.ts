/**
 * `npm run plan` timings for stacks of 1, 10 and 50 workloads: the whole command as a pull
 * request runs it (child process: config, program under the mock engine, the policy pack's
 * analyzer process, cost). Stacks are the dev stack's three workloads repeated, with pools and
 * tenant quotas large enough that no policy refuses them.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import type { BenchCase, BenchRow, BenchSuite } from "./suite";

const ROOT = path.resolve(__dirname, "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
const PLAN = path.join(ROOT, "infra", "cli", "plan.ts");
const SIZES = [1, 10, 50] as const;
/** The budget for 50 workloads on a 2-core machine. */
const BUDGET_50_MS = 30_000;

type Doc = { config: Record<string, unknown> };

/** A stack file with `count` workloads cloned from the dev stack's three. */
function writeStack(dir: string, count: number): string {
  const doc = parseDocument(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")).toJS() as Doc;
  const templates = doc.config["gpu-inference:workloads"] as { name: string }[];
  const pools = (doc.config["gpu-inference:cluster"] as { gpuPools: { gpuLimit: number }[] }).gpuPools;
  for (const pool of pools) pool.gpuLimit = 100_000;
  for (const tenant of doc.config["gpu-inference:tenants"] as { gpuQuota: number }[]) tenant.gpuQuota = 100_000;
  doc.config["gpu-inference:workloads"] = Array.from({ length: count }, (_, i) => ({ ...structuredClone(templates[i % templates.length]!), name: `w${i}-${templates[i % templates.length]!.name}`.slice(0, 40) }));
  const file = path.join(dir, `Pulumi.bench-${count}.yaml`);
  fs.writeFileSync(file, JSON.stringify(doc));
  return file;
}

function planOnce(file: string): void {
  const run = spawnSync(TSX, [PLAN, "--config", file, "--policy-config", path.join(ROOT, "policies", "config", "dev.json"), "--format", "json"], { cwd: ROOT, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`plan exited ${run.status}: ${run.stderr.slice(0, 500)}`);
}

const label = (n: number) => `${n} workload${n === 1 ? "" : "s"}`;

export const planSuite: BenchSuite = {
  name: "plan",
  description: "npm run plan end to end (child process) by stack size",
  baseline: label(1),
  cases: (): readonly BenchCase[] => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-inference-bench-"));
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    return SIZES.map((n) => {
      const file = writeStack(dir, n);
      return { name: label(n), size: `${n} workloads`, fn: () => planOnce(file), iterations: 3, timeMs: 1, warmupIterations: 1, measureHeap: false };
    });
  },
  verdicts: (rows: readonly BenchRow[]): readonly string[] => {
    const ms = (n: number) => rows.find((r) => r.name === label(n))?.medianMs ?? NaN;
    const perWorkload10 = (ms(10) - ms(1)) / 9;
    const perWorkload50 = (ms(50) - ms(10)) / 40;
    return [
      `growth: ${perWorkload10.toFixed(0)} ms per added workload from 1 to 10, ${perWorkload50.toFixed(0)} ms from 10 to 50 (linear when these agree)`,
      `50 workloads: median ${(ms(50) / 1000).toFixed(1)} s against a ${BUDGET_50_MS / 1000} s budget: ${ms(50) <= BUDGET_50_MS ? "within" : "OVER"}`,
    ];
  },
};
