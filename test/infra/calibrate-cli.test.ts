/**
 * `npm run calibrate`: a sample `vllm bench serve --save-result` file (test/fixtures/vllm-bench-serve-result.json,
 * in the shape vllm/benchmarks/serve.py v0.26.0 writes; its `source`/`as_of` keys are what
 * `--metadata source=… as_of=…` adds) calibrates a copy of the dev stack. The real CLI runs as a
 * child process for the exit codes; the rest runs in-process.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { calibrateCommand, calibrateStackText, measuredPeakFromPrometheus, parseBenchmarkResult } from "../../infra/cli/calibrate";
import { loadStackConfigFile } from "../../infra/config";
import { DEV_STACK_FILE, REPO_ROOT, tempProject } from "../fixtures/stack-files";

/** The product entrypoint `npm run <command>` calls. */
const LAUNCHER = path.join(REPO_ROOT, "bin", "gpu-inference.js");
const SAMPLE = path.join(REPO_ROOT, "test", "fixtures", "vllm-bench-serve-result.json");
const sample = () => JSON.parse(fs.readFileSync(SAMPLE, "utf8")) as Record<string, unknown>;

let project: ReturnType<typeof tempProject>;
let stackFile: string;
let original: string;
beforeEach(() => {
  project = tempProject();
  stackFile = path.join(project.dir, "Pulumi.dev.yaml");
  original = fs.readFileSync(DEV_STACK_FILE, "utf8");
  fs.writeFileSync(stackFile, original);
});
afterEach(() => project.cleanup());

function writeResult(name: string, content: unknown): string {
  const file = path.join(project.dir, name);
  fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

/** Run the command in-process; returns exit code and output. */
async function run(args: string[], fetchImpl?: typeof fetch): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
  process.exitCode = undefined;
  try {
    await calibrateCommand(fetchImpl).parseAsync(["node", "calibrate", ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, stdout, stderr };
}

const prometheusAnswering = (value: string | null): typeof fetch =>
  (async () =>
    new Response(JSON.stringify({ status: "success", data: { resultType: "vector", result: value === null ? [] : [{ metric: {}, value: [1764670000, value] }] } }), {
      status: 200,
    })) as typeof fetch;

describe("npm run calibrate (child process)", () => {
  it("writes the benchmark's throughput into the workload's serving block, comments kept, and prints the model before and after", () => {
    const result = spawnSync(process.execPath, [LAUNCHER, "calibrate", "--config", stackFile, "--workload", "support-chat", "--result", SAMPLE], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("serving.measuredTokensPerSecond = 1226.4 (from the benchmark)");
    expect(result.stdout).toMatch(/replica capacity K: [\d.]+ → [\d.]+ tokens\/s/);
    expect(result.stdout).toContain("Wrote Pulumi.dev.yaml.");
    const text = fs.readFileSync(stackFile, "utf8");
    expect(loadStackConfigFile(stackFile).workloads.find((w) => w.name === "support-chat")!.serving.measuredTokensPerSecond).toBe(1226.4);
    // Only one line was added; every comment survives.
    const before = original.split("\n");
    const after = text.split("\n");
    expect(after.length).toBe(before.length + 1);
    expect(after.filter((l) => !before.includes(l))).toEqual(["        measuredTokensPerSecond: 1226.4"]);
    for (const comment of before.filter((l) => l.includes("#"))) expect(text).toContain(comment);
    expect(fs.readdirSync(project.dir).filter((f) => f.includes(".partial-"))).toEqual([]);
  }, 60_000);

  it("refuses a malformed result file with exit 2, naming the file and every bad key, and leaves the stack file unchanged", () => {
    const { total_token_throughput: _t, ...rest } = sample();
    const bad = writeResult("bad.json", { ...rest, duration: "ten minutes", completed: -1 });
    const result = spawnSync(process.execPath, [LAUNCHER, "calibrate", "--config", stackFile, "--workload", "support-chat", "--result", bad], { encoding: "utf8" });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("bad.json is not a usable `vllm bench serve --save-result` file");
    expect(result.stderr).toContain("bad.json: total_token_throughput: missing");
    expect(result.stderr).toContain('bad.json: duration: expected a positive duration in seconds, got "ten minutes"');
    expect(result.stderr).toContain("bad.json: completed:");
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(fs.readFileSync(stackFile, "utf8")).toBe(original);
  }, 60_000);
});

describe("calibrate (in-process)", () => {
  it("refuses what is not a benchmark result, each with a message naming the file, and never touches the stack file", async () => {
    const cases: [string, unknown, string][] = [
      ["not-json.json", "{ this is not json", "not-json.json: not JSON"],
      ["array.json", [sample()], "array.json: expected a JSON object"],
      ["embedding.json", (({ total_output_tokens: _o, ...r }) => r)(sample()), "embedding.json: total_output_tokens: missing"],
      ["edited.json", { ...sample(), total_token_throughput: 5000 }, "edited.json: total_token_throughput: 5000 disagrees with (total_input_tokens + total_output_tokens) ÷ duration = 1226.40"],
    ];
    for (const [name, content, message] of cases) {
      const file = writeResult(name, content);
      const result = await run(["--config", stackFile, "--workload", "support-chat", "--result", file]);
      expect(result.code, name).toBe(2);
      expect(result.stderr, name).toContain(message);
    }
    const missing = await run(["--config", stackFile, "--workload", "support-chat", "--result", path.join(project.dir, "nope.json")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("nope.json: cannot read (ENOENT)");
    const unknown = await run(["--config", stackFile, "--workload", "chat-bot", "--result", SAMPLE]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--workload chat-bot: no such workload in Pulumi.dev.yaml; expected one of ticket-classifier, document-processing, support-chat");
    expect(fs.readFileSync(stackFile, "utf8")).toBe(original);
  }, 60_000);

  it("an invalid stack file is refused as invalid config and left as it was", async () => {
    const broken = original.replace("gpuLimit: 16", "gpuLimit: -3");
    fs.writeFileSync(stackFile, broken);
    const result = await run(["--config", stackFile, "--workload", "support-chat", "--result", SAMPLE]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("gpuLimit");
    expect(fs.readFileSync(stackFile, "utf8")).toBe(broken);
  });

  it("with --prometheus, the live peak per replica wins when traffic has shown more than the benchmark; the benchmark wins otherwise", async () => {
    const higher = await run(["--config", stackFile, "--workload", "support-chat", "--result", SAMPLE, "--prometheus", "http://prometheus:9090", "--dry-run"], prometheusAnswering("1500.04"));
    expect(higher.code, higher.stderr).toBe(0);
    expect(higher.stdout).toContain("live peak per ready replica over 7d: 1500.0 tokens/s");
    expect(higher.stdout).toContain("serving.measuredTokensPerSecond = 1500 (from the prometheus)");
    expect(higher.stdout).toContain("dry run: Pulumi.dev.yaml not written");
    expect(fs.readFileSync(stackFile, "utf8")).toBe(original);
    const lower = await run(["--config", stackFile, "--workload", "support-chat", "--result", SAMPLE, "--prometheus", "http://prometheus:9090"], prometheusAnswering("900"));
    expect(lower.code).toBe(0);
    expect(lower.stdout).toContain("(from the benchmark)");
    expect(loadStackConfigFile(stackFile).workloads.find((w) => w.name === "support-chat")!.serving.measuredTokensPerSecond).toBe(1226.4);
  }, 60_000);

  it("a Prometheus that fails or has no measurement is an error (exit 1), and nothing is written", async () => {
    const down = (async () => {
      throw new Error("connect ECONNREFUSED 127.0.0.1:9090");
    }) as typeof fetch;
    const refused = await run(["--config", stackFile, "--workload", "support-chat", "--result", SAMPLE, "--prometheus", "http://127.0.0.1:9090"], down);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("--prometheus http://127.0.0.1:9090: the query failed (connect ECONNREFUSED 127.0.0.1:9090); nothing was written");
    const empty = await run(["--config", stackFile, "--workload", "support-chat", "--result", SAMPLE, "--prometheus", "http://prometheus:9090"], prometheusAnswering(null));
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("no throughput recorded for workload support-chat in the last 7d");
    expect(fs.readFileSync(stackFile, "utf8")).toBe(original);
  });

  it("asks Prometheus for the peak of tokens served per ready replica from the live-economics series", async () => {
    let asked = "";
    const capture = (async (url: string) => {
      asked = decodeURIComponent(new URL(url).searchParams.get("query")!);
      return prometheusAnswering("1000")(url);
    }) as unknown as typeof fetch;
    expect(await measuredPeakFromPrometheus("http://p:9090/", "support-chat", "3d", capture)).toBe(1000);
    expect(asked).toBe('max_over_time((gpu_inference:tokens_served:rate5m{workload="support-chat"} / (gpu_inference:replicas_ready{workload="support-chat"} > 0))[3d:5m])');
  });

  it("reads the last result of an --append-result file, and warns about a mix unlike the profile's, failed requests and TPOT past the SLO", () => {
    const first = { ...sample(), total_token_throughput: 1000, duration: (576000 + 166080) / 1000 };
    const second = { ...sample(), failed: 3, p99_tpot_ms: 75 };
    const { result, notes } = parseBenchmarkResult(`${JSON.stringify(first)}\n${JSON.stringify(second)}\n`, "appended.json");
    expect(notes).toEqual(["appended.json holds 2 results (--append-result); using the last"]);
    expect(result.total_token_throughput).toBeCloseTo(1226.4, 6);
    const calibration = calibrateStackText({ stackText: original, stackFile, workload: "support-chat", benchmark: result });
    expect(calibration.warnings).toContain("3 requests failed during the benchmark: the server was past what it sustains");
    expect(calibration.warnings.join("\n")).toContain("p99 TPOT was 75.0 ms, above the SLO's 60 ms");
    const otherMix = calibrateStackText({ stackText: original, stackFile, workload: "ticket-classifier", benchmark: result });
    expect(otherMix.warnings.join("\n")).toContain("is not the profile's (400 / 6)");
    // The model runs on the measurement: K after calibration is what the evaluation derives from 1226.4 tokens/s.
    expect(calibration.after.replicaTokensPerSecond).not.toBe(calibration.before.replicaTokensPerSecond);
    expect(Number.isFinite(calibration.after.modeledUtilization)).toBe(true);
  }, 60_000);
});
