/**
 * The operator commands end to end, as a user or a pull request runs them: `npm run cost` and
 * `npm run plan` as child processes, measured in CPU seconds of the whole process tree (the
 * command, and the policy pack's analyzer it starts), so other load on the machine does not count.
 *
 * Cold runs start from a fresh checkout's state: no transpiled copy of the project or the pack
 * (node_modules/.cache/gpu-inference) and an empty temp directory (ts-node's cache). Warm runs
 * follow a run that left both in place.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";

const ROOT = path.resolve(__dirname, "..");
const LAUNCHER = path.join(ROOT, "bin", "gpu-inference.js");
const CACHE = path.join(ROOT, "node_modules", ".cache", "gpu-inference");

/** The budgets (#13), CPU seconds on a 2-core runner. */
export const BUDGETS = {
  costDevSeconds: 1.5,
  cost200Seconds: 5,
  plan50ColdSeconds: 15,
  plan50OverPlan10: 3,
} as const;

export interface CommandRow {
  readonly name: string;
  readonly state: "cold" | "warm";
  /** Median CPU seconds (user + system) of the process tree. */
  readonly medianCpuSeconds: number;
  /** Median wall seconds, for reference (noisy on a busy machine). */
  readonly medianWallSeconds: number;
  readonly samples: number;
}

type Doc = { config: Record<string, unknown> };

/** A stack file with `count` workloads cloned from the dev stack's three, with pools and quotas that refuse none. */
export function writeScaledStack(dir: string, count: number): string {
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

/**
 * Run `node bin/gpu-inference.js <args>` under a shell whose `times` reports the CPU its children
 * used (the command and every process it waited for, the analyzer included).
 */
function cpuOfCommand(args: readonly string[], env: NodeJS.ProcessEnv, okCodes: readonly number[]): { cpuSeconds: number; wallSeconds: number } {
  const quoted = [process.execPath, LAUNCHER, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const started = process.hrtime.bigint();
  const run = spawnSync("sh", ["-c", `${quoted} >/dev/null 2>"$ERR_FILE"; code=$?; times; exit $code`], { cwd: ROOT, encoding: "utf8", env, maxBuffer: 64 * 1024 * 1024 });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status === null || !okCodes.includes(run.status)) throw new Error(`${args.join(" ")} exited ${run.status}: ${fs.readFileSync(env.ERR_FILE as string, "utf8").slice(0, 500)}`);
  // `times` prints the shell's own user/system, then its children's: "0m1.234s 0m0.567s".
  const lines = run.stdout.trim().split("\n");
  const children = lines[lines.length - 1]!.split(/\s+/).map((t) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    if (m === null) throw new Error(`cannot read times output "${lines.join(" / ")}"`);
    return Number(m[1]) * 60 + Number(m[2]);
  });
  return { cpuSeconds: children[0]! + children[1]!, wallSeconds };
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Measure one command `samples` times, cold (caches removed before each run) or warm (one unmeasured run first). */
export function measureCommand(name: string, args: readonly string[], state: "cold" | "warm", samples: number, okCodes: readonly number[] = [0]): CommandRow {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-inference-bench-"));
  const errFile = path.join(scratch, "stderr");
  const warmEnv: NodeJS.ProcessEnv = { ...process.env, ERR_FILE: errFile, NO_COLOR: "1" };
  try {
    if (state === "warm") cpuOfCommand(args, warmEnv, okCodes);
    const cpu: number[] = [];
    const wall: number[] = [];
    for (let i = 0; i < samples; i++) {
      let env = warmEnv;
      if (state === "cold") {
        fs.rmSync(CACHE, { recursive: true, force: true });
        env = { ...warmEnv, TMPDIR: fs.mkdtempSync(path.join(scratch, "tmp-")) };
      }
      const r = cpuOfCommand(args, env, okCodes);
      cpu.push(r.cpuSeconds);
      wall.push(r.wallSeconds);
    }
    return { name, state, medianCpuSeconds: median(cpu), medianWallSeconds: median(wall), samples };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Every command case, and the budget verdicts; `failed` is true when a budget is exceeded. */
export function runCommandSuite(samples = 3): { rows: CommandRow[]; verdicts: string[]; failed: boolean } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-inference-bench-stacks-"));
  try {
    const policy = ["--policy-config", path.join(ROOT, "policies", "config", "dev.json")];
    const stack = (n: number) => ["--config", writeScaledStack(dir, n)];
    const rows = [
      measureCommand("cost --stack dev", ["cost", "--stack", "dev"], "cold", samples),
      measureCommand("cost --stack dev", ["cost", "--stack", "dev"], "warm", samples),
      measureCommand("cost, 200 workloads", ["cost", ...stack(200), "--format", "json"], "warm", samples),
      measureCommand("plan, 10 workloads", ["plan", ...stack(10), ...policy, "--format", "json"], "warm", samples),
      measureCommand("plan, 50 workloads", ["plan", ...stack(50), ...policy, "--format", "json"], "warm", samples),
      measureCommand("plan, 50 workloads", ["plan", ...stack(50), ...policy, "--format", "json"], "cold", samples),
    ];
    const cpu = (name: string, state: "cold" | "warm") => rows.find((r) => r.name === name && r.state === state)!.medianCpuSeconds;
    const checks: [string, number, number][] = [
      ["cost --stack dev (warm), CPU s", cpu("cost --stack dev", "warm"), BUDGETS.costDevSeconds],
      ["cost of 200 workloads (warm), CPU s", cpu("cost, 200 workloads", "warm"), BUDGETS.cost200Seconds],
      ["plan of 50 workloads (cold), CPU s", cpu("plan, 50 workloads", "cold"), BUDGETS.plan50ColdSeconds],
      ["plan 50 / plan 10 (warm), ratio", cpu("plan, 50 workloads", "warm") / cpu("plan, 10 workloads", "warm"), BUDGETS.plan50OverPlan10],
    ];
    const verdicts = checks.map(([what, value, budget]) => `${what}: ${value.toFixed(2)} against ${budget}: ${value <= budget ? "within" : "OVER"}`);
    return { rows, verdicts, failed: checks.some(([, value, budget]) => value > budget) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
