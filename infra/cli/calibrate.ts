/**
 * `npm run calibrate -- --stack prod --workload chat --result bench.json [--prometheus <url>]`:
 * replace the roofline with a measurement. Reads the result file of vLLM's own serving benchmark
 * (`vllm bench serve --save-result`) and, where a Prometheus URL is given, the peak throughput per
 * ready replica the running workload has reached (the live-economics recording rules); writes the
 * measured tokens/s into `serving.measuredTokensPerSecond` of the stack file, comments kept, the
 * file replaced whole or not at all. Prints what the model says before and after.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { isMap, isSeq, parseDocument } from "yaml";
import { z } from "zod";
import { LIVE_SERIES } from "../../components/internal/live-rules";
import { evaluateWorkloads, type evaluateWorkload } from "../../policies/economics/evaluate";
import { CONFIG_NAMESPACE, namespaceValues, parseStackConfig, type StackConfig } from "../config";
import { stackContext, workloadFacts } from "../stack-economics";
import { EXIT, resolveStackFile, runCli, runCommand, UsageError } from "./common";

/** Relative slack between `total_token_throughput` and (input + output tokens) ÷ duration: vLLM computes one from the others. */
const THROUGHPUT_CONSISTENCY = 0.005;
/** A measured mix further than this from the profile's mean input/output tokens is another workload. */
const MIX_TOLERANCE = 0.25;
/** Fewer completed requests than this make a noisy measurement. */
const MIN_COMPLETED = 100;

const count = (what: string) => z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).nonnegative({ error: `expected ${what}` });
const positive = (what: string) => z.number({ error: `expected ${what}` }).positive({ error: `expected ${what}` });

/**
 * The keys of `vllm bench serve --save-result` this command reads (vllm/benchmarks/serve.py:
 * `benchmark()`'s result dict merged into `result_json`). Other keys are ignored.
 */
export const benchmarkResultSchema = z.looseObject({
  /** Successful requests. */
  completed: count("a whole number of completed requests").refine((n) => n > 0, { error: "expected at least one completed request" }),
  /** Failed requests. */
  failed: count("a whole number of failed requests").optional(),
  /** Benchmark duration, seconds. */
  duration: positive("a positive duration in seconds"),
  /** Prompt tokens of the completed requests. */
  total_input_tokens: count("a whole number of tokens"),
  /** Generated tokens of the completed requests (absent for embedding benchmarks, which this cannot use). */
  total_output_tokens: count("a whole number of tokens"),
  /** (input + output tokens) ÷ duration, tokens/s. */
  total_token_throughput: positive("a positive number of tokens per second"),
  model_id: z.string().optional(),
  max_concurrency: z.number().nullable().optional(),
  request_rate: z.union([z.number(), z.literal("inf")]).optional(),
  p99_tpot_ms: z.number().optional(),
  p99_ttft_ms: z.number().optional(),
});
export type BenchmarkResult = z.infer<typeof benchmarkResultSchema>;

/** A result file that cannot be used: every problem, each naming the file and key. */
export class BenchmarkResultError extends UsageError {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file} is not a usable \`vllm bench serve --save-result\` file:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
}

/** Parse and check a result file's text. `--append-result` files hold one JSON object per line: the last one is read. */
export function parseBenchmarkResult(text: string, file: string): { result: BenchmarkResult; notes: string[] } {
  const display = path.basename(file);
  const notes: string[] = [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    const lines = text.split("\n").filter((l) => l.trim() !== "");
    try {
      raw = lines.length > 1 ? JSON.parse(lines[lines.length - 1]!) : undefined;
      if (raw !== undefined) notes.push(`${display} holds ${lines.length} results (--append-result); using the last`);
    } catch {
      raw = undefined;
    }
    if (raw === undefined) throw new BenchmarkResultError(display, [`${display}: not JSON`]);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new BenchmarkResultError(display, [`${display}: expected a JSON object (one benchmark result)`]);
  const parsed = benchmarkResultSchema.safeParse(raw);
  if (!parsed.success) {
    throw new BenchmarkResultError(
      display,
      parsed.error.issues.map((issue) => {
        const key = issue.path.map(String).join(".");
        const got = key === "" ? undefined : (raw as Record<string, unknown>)[key];
        return `${display}: ${key}: ${got === undefined ? "missing; " : ""}${issue.message}${got !== undefined ? `, got ${JSON.stringify(got)}` : ""}`;
      }),
    );
  }
  const result = parsed.data;
  const recomputed = (result.total_input_tokens + result.total_output_tokens) / result.duration;
  if (Math.abs(result.total_token_throughput - recomputed) > THROUGHPUT_CONSISTENCY * recomputed) {
    throw new BenchmarkResultError(display, [
      `${display}: total_token_throughput: ${result.total_token_throughput} disagrees with (total_input_tokens + total_output_tokens) ÷ duration = ${recomputed.toFixed(2)}; the file was edited or is from another tool`,
    ]);
  }
  return { result, notes };
}

/** Peak tokens/s per ready replica over `window`, from the live-economics recording rules. */
export async function measuredPeakFromPrometheus(url: string, workload: string, window: string, fetchImpl: typeof fetch = fetch): Promise<number> {
  if (!/^\d+[smhdw]$/.test(window)) throw new UsageError(`--window ${window}: expected a Prometheus duration such as 7d`);
  const sel = (series: string) => `${series}{workload=${JSON.stringify(workload)}}`;
  const query = `max_over_time((${sel(LIVE_SERIES.tokensServed)} / (${sel(LIVE_SERIES.replicasReady)} > 0))[${window}:5m])`;
  const endpoint = `${url.replace(/\/+$/, "")}/api/v1/query?query=${encodeURIComponent(query)}`;
  let body: unknown;
  try {
    const response = await fetchImpl(endpoint);
    body = await response.json();
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
  } catch (error) {
    throw new Error(`--prometheus ${url}: the query failed (${(error as Error).message}); nothing was written`);
  }
  const data = (body as { status?: string; data?: { result?: { value?: [number, string] }[] } }).data;
  const values = (data?.result ?? []).map((r) => Number(r.value?.[1])).filter((v) => Number.isFinite(v) && v > 0);
  if (values.length === 0) {
    throw new Error(`--prometheus ${url}: no throughput recorded for workload ${workload} in the last ${window} (${LIVE_SERIES.tokensServed}); is LiveEconomics deployed and the workload serving? nothing was written`);
  }
  return Math.max(...values);
}

export interface CalibrationInput {
  readonly stackText: string;
  readonly stackFile: string;
  readonly workload: string;
  readonly benchmark: BenchmarkResult;
  /** Peak per-replica throughput seen live, when Prometheus was asked. */
  readonly livePeakTokensPerSecond?: number;
}

export interface Calibration {
  readonly text: string;
  readonly measuredTokensPerSecond: number;
  readonly source: "benchmark" | "prometheus";
  readonly warnings: string[];
  readonly before: ReturnType<typeof evaluateWorkload>;
  readonly after: ReturnType<typeof evaluateWorkload>;
}

/** The validated stack config and the named workload; refuses an invalid stack or an unknown workload. */
export function stackWorkload(stackText: string, stackFile: string, name: string): { config: StackConfig; workload: StackConfig["workloads"][number] } {
  const display = path.basename(stackFile);
  const config = parseStackConfig(namespaceValues(stackText, display), display);
  const workload = config.workloads.find((w) => w.name === name);
  if (workload === undefined) throw new UsageError(`--workload ${name}: no such workload in ${display}; expected one of ${config.workloads.map((w) => w.name).join(", ")}`);
  return { config, workload };
}

function evaluateNamed(config: StackConfig, name: string): ReturnType<typeof evaluateWorkload> {
  // The whole stack, so the workload carries its GPU-hour share of the fixed costs, as in `npm run cost`.
  const { workloads } = evaluateWorkloads(config.workloads.map((w) => workloadFacts(config, w)), stackContext(config));
  return workloads.find((w) => w.name === name)!;
}

/**
 * The new stack file text with the measured throughput. The capacity is what the replica has been
 * seen to sustain: the benchmark's, or the live peak when traffic has shown more.
 */
export function calibrateStackText(input: CalibrationInput): Calibration {
  const display = path.basename(input.stackFile);
  const { config, workload } = stackWorkload(input.stackText, input.stackFile, input.workload);
  const { benchmark } = input;
  const warnings: string[] = [];
  if (benchmark.completed < MIN_COMPLETED) warnings.push(`only ${benchmark.completed} requests completed: a noisy measurement; run at least ${MIN_COMPLETED}`);
  if ((benchmark.failed ?? 0) > 0) warnings.push(`${benchmark.failed} requests failed during the benchmark: the server was past what it sustains`);
  const meanInput = benchmark.total_input_tokens / benchmark.completed;
  const meanOutput = benchmark.total_output_tokens / benchmark.completed;
  const { meanInputTokens, meanOutputTokens } = workload.traffic;
  if (Math.abs(meanInput - meanInputTokens) > MIX_TOLERANCE * meanInputTokens || Math.abs(meanOutput - meanOutputTokens) > MIX_TOLERANCE * meanOutputTokens) {
    warnings.push(
      `the benchmark's mix (${meanInput.toFixed(0)} in / ${meanOutput.toFixed(0)} out tokens per request) is not the profile's (${meanInputTokens} / ${meanOutputTokens}); throughput depends on the mix — rerun with --random-input-len ${meanInputTokens} --random-output-len ${meanOutputTokens}`,
    );
  }
  const tpotSloMs = workload.tier === "interactive" ? (workload.slo?.timePerOutputTokenMs ?? 50) : undefined;
  if (tpotSloMs !== undefined && benchmark.p99_tpot_ms !== undefined && benchmark.p99_tpot_ms > tpotSloMs) {
    warnings.push(`p99 TPOT was ${benchmark.p99_tpot_ms.toFixed(1)} ms, above the SLO's ${tpotSloMs} ms: lower --max-concurrency until it fits, or the capacity is overstated`);
  }
  const live = input.livePeakTokensPerSecond;
  const source = live !== undefined && live > benchmark.total_token_throughput ? "prometheus" : "benchmark";
  const measured = Math.round((source === "prometheus" ? live! : benchmark.total_token_throughput) * 10) / 10;

  const doc = parseDocument(input.stackText);
  const workloads = doc.getIn(["config", `${CONFIG_NAMESPACE}:workloads`]);
  if (!isSeq(workloads)) throw new UsageError(`${display}: ${CONFIG_NAMESPACE}:workloads is not a list`);
  const index = workloads.items.findIndex((item) => isMap(item) && item.get("name") === input.workload);
  const entry = workloads.items[index];
  if (!isMap(entry) || !isMap(entry.get("serving", true))) throw new UsageError(`${display}: ${CONFIG_NAMESPACE}:workloads[${index}].serving is not a map`);
  doc.setIn(["config", `${CONFIG_NAMESPACE}:workloads`, index, "serving", "measuredTokensPerSecond"], measured);
  // Keep the user's `[a, b]` flow lists as written (yaml pads them by default), so the diff is one line.
  const text = doc.toString({ flowCollectionPadding: false });
  const after = parseStackConfig(namespaceValues(text, display), display);
  return { text, measuredTokensPerSecond: measured, source, warnings, before: evaluateNamed(config, input.workload), after: evaluateNamed(after, input.workload) };
}

/** Replace the file whole: write beside it, then rename, so a failure never leaves half a stack file. */
function writeAtomically(file: string, text: string): void {
  const partial = `${file}.partial-${process.pid}`;
  try {
    fs.writeFileSync(partial, text);
    fs.renameSync(partial, file);
  } finally {
    fs.rmSync(partial, { force: true });
  }
}

const pct = (x: number | null) => (x === null ? "none" : `${(x * 100).toFixed(1)}%`);

interface CalibrateOptions {
  stack?: string;
  config?: string;
  workload: string;
  result: string;
  prometheus?: string;
  window: string;
  dryRun?: boolean;
}

export function calibrateCommand(fetchImpl: typeof fetch = fetch): Command {
  return new Command("calibrate")
    .description("Write a workload's measured throughput (vLLM serving benchmark, live Prometheus peak) into its stack file")
    .option("--stack <name>", "stack to calibrate (reads and writes Pulumi.<name>.yaml)")
    .option("--config <file>", "stack file to calibrate (wins over --stack)")
    .requiredOption("--workload <name>", "workload to calibrate")
    .requiredOption("--result <file>", "result file of `vllm bench serve --save-result`, run against one replica")
    .option("--prometheus <url>", "Prometheus base URL: also read the peak tokens/s per ready replica the running workload reached")
    .option("--window <duration>", "how far back to look in Prometheus", "7d")
    .option("--dry-run", "print the change, write nothing")
    .addHelpText("after", "\nExit codes: 0 written (or dry run), 2 invalid stack file, workload or result file, 1 Prometheus unreachable. The stack file is unchanged unless the exit code is 0.")
    .exitOverride()
    .action(async (options: CalibrateOptions) => {
      await runCommand(async () => {
        const { stack, file } = resolveStackFile({ ...(options.stack !== undefined ? { stack: options.stack } : {}), ...(options.config !== undefined ? { config: options.config } : {}) });
        if (!fs.existsSync(file)) throw new UsageError(`no stack file ${path.basename(file)}`);
        let resultText: string;
        try {
          resultText = fs.readFileSync(options.result, "utf8");
        } catch (error) {
          throw new BenchmarkResultError(path.basename(options.result), [`${options.result}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`]);
        }
        const { result, notes } = parseBenchmarkResult(resultText, options.result);
        const stackText = fs.readFileSync(file, "utf8");
        // Validate the stack and workload before asking Prometheus anything.
        stackWorkload(stackText, file, options.workload);
        const live = options.prometheus !== undefined ? await measuredPeakFromPrometheus(options.prometheus, options.workload, options.window, fetchImpl) : undefined;
        const calibration = calibrateStackText({ stackText, stackFile: file, workload: options.workload, benchmark: result, ...(live !== undefined ? { livePeakTokensPerSecond: live } : {}) });
        const out = process.stdout;
        for (const note of notes) out.write(`note: ${note}\n`);
        out.write(`${options.workload} (${stack}): benchmark ${result.total_token_throughput.toFixed(1)} tokens/s per replica (${result.completed} requests, ${result.duration.toFixed(0)} s)\n`);
        if (live !== undefined) out.write(`  live peak per ready replica over ${options.window}: ${live.toFixed(1)} tokens/s\n`);
        out.write(`  serving.measuredTokensPerSecond = ${calibration.measuredTokensPerSecond} (from the ${calibration.source})\n`);
        const { before, after } = calibration;
        out.write(`  replica capacity K: ${before.replicaTokensPerSecond.toFixed(1)} → ${after.replicaTokensPerSecond.toFixed(1)} tokens/s\n`);
        out.write(`  modeled utilization: ${pct(before.modeledUtilization)} → ${pct(after.modeledUtilization)}; break-even ${pct(before.breakEvenUtilization)} → ${pct(after.breakEvenUtilization)}\n`);
        out.write(`  verdict: ${before.verdict} → ${after.verdict}${before.passesGate !== after.passesGate ? (after.passesGate ? " (now passes the gate)" : " (now fails the gate)") : ""}\n`);
        for (const warning of calibration.warnings) out.write(`warning: ${warning}\n`);
        if (options.dryRun === true) {
          out.write(`dry run: ${path.basename(file)} not written\n`);
          return EXIT.ok;
        }
        writeAtomically(file, calibration.text);
        out.write(`Wrote ${path.basename(file)}.\n`);
        return EXIT.ok;
      });
    });
}

if (require.main === module) void runCli(calibrateCommand());
