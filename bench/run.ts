/**
 * `npm run bench [-- <suite> ...] [--json] [--samples N]`: performance, measured here and never in
 * timed tests. Two kinds of suite:
 * - `simulation`: in-process functions timed with tinybench (median, ratio to the suite's baseline,
 *   heap allocated per call);
 * - `commands`: `npm run cost` and `npm run plan` as child processes, in CPU seconds of the whole
 *   process tree, cold (fresh checkout) and warm, checked against the budgets of issue #13.
 * Exits 1 when a budget is exceeded, 2 on a usage error.
 */
import Table from "cli-table3";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { BUDGETS, runCommandSuite, type CommandRow } from "./commands";
import { simulationSuite } from "./simulation";
import type { BenchRow, BenchSuite } from "./suite";
import { runSuite } from "./suite";

const TIMED_SUITES: readonly BenchSuite[] = [simulationSuite];
const SUITE_NAMES = [...TIMED_SUITES.map((s) => s.name), "commands"] as const;

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 50) throw new InvalidArgumentError("expected a whole number from 1 to 50");
  return n;
}

async function bench(wanted: readonly string[], options: { json?: boolean; samples: number }): Promise<number> {
  const unknown = wanted.filter((w) => !(SUITE_NAMES as readonly string[]).includes(w));
  if (unknown.length > 0) {
    console.error(`unknown suite(s): ${unknown.join(", ")}; known: ${SUITE_NAMES.join(", ")}`);
    return 2;
  }
  const selected = wanted.length === 0 ? SUITE_NAMES : wanted;
  const report: { suite: string; rows: readonly (BenchRow | CommandRow)[]; verdicts: readonly string[] }[] = [];
  let failed = false;
  for (const suite of TIMED_SUITES.filter((s) => selected.includes(s.name))) {
    const rows = await runSuite(suite);
    report.push({ suite: suite.name, rows, verdicts: suite.verdicts?.(rows) ?? [] });
    if (options.json) continue;
    console.log(`\n${suite.name}: ${suite.description}`);
    const table = new Table({ head: ["case", "size", "median ms", "mean ms", "p99 ms", "samples", "× baseline", "alloc MiB"] });
    for (const r of rows) {
      table.push([r.name, r.size, r.medianMs.toFixed(2), r.meanMs.toFixed(2), r.p99Ms.toFixed(2), String(r.samples), r.ratio.toFixed(2), r.heapDeltaMiB === null ? "n/a" : r.heapDeltaMiB.toFixed(2)]);
    }
    console.log(table.toString());
    for (const line of report[report.length - 1]?.verdicts ?? []) console.log(line);
  }
  if (selected.includes("commands")) {
    const { rows, verdicts, failed: over } = runCommandSuite(options.samples);
    failed ||= over;
    report.push({ suite: "commands", rows, verdicts });
    if (!options.json) {
      console.log(`\ncommands: npm run cost / plan as child processes, CPU seconds of the process tree (median of ${options.samples})`);
      const table = new Table({ head: ["command", "state", "median CPU s", "median wall s", "samples"] });
      for (const r of rows) table.push([r.name, r.state, r.medianCpuSeconds.toFixed(2), r.medianWallSeconds.toFixed(2), String(r.samples)]);
      console.log(table.toString());
      for (const line of verdicts) console.log(line);
    }
  }
  if (options.json) {
    console.log(JSON.stringify({ node: process.version, platform: `${process.platform}-${process.arch}`, budgets: BUDGETS, failed, suites: report }, null, 2));
  } else {
    console.log(`\nNode ${process.version}, ${process.platform}-${process.arch}; medians; alloc = JS heap + ArrayBuffer growth over one call, before GC.`);
    if (failed) console.log("A budget was exceeded (exit 1).");
  }
  return failed ? 1 : 0;
}

const program = new Command("bench")
  .description("Measure the cost model's speed in-process and the operator commands end to end, against the project's budgets")
  .argument("[suite...]", `suites to run (default: all): ${SUITE_NAMES.join(", ")}`)
  .option("--json", "print one JSON document instead of tables")
  .option("--samples <n>", "runs per command case (median reported)", wholeNumber, 3)
  .addHelpText(
    "after",
    `\nBudgets (CPU seconds, 2 cores): cost --stack dev ≤ ${BUDGETS.costDevSeconds}, cost of 200 workloads ≤ ${BUDGETS.cost200Seconds}, plan of 50 workloads cold ≤ ${BUDGETS.plan50ColdSeconds}, plan50/plan10 ≤ ${BUDGETS.plan50OverPlan10}.\nExit codes: 0 within budget, 1 a budget exceeded, 2 usage error.`,
  )
  .exitOverride()
  .action(async (suites: string[], options: { json?: boolean; samples: number }) => {
    process.exitCode = await bench(suites, options);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
    return;
  }
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 2;
});
