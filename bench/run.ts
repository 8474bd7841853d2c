/**
 * `npm run bench [-- <suite> ...] [--json]`: runs the registered benchmark suites and prints,
 * per case, the median time (tinybench), its ratio to the suite's baseline and the heap the call
 * allocates. Timings live here, never in tests.
 *
 * To add a suite (plan timings, cost report), write `bench/<name>.ts` exporting a `BenchSuite`
 * and list it in `SUITES`.
 */
import Table from "cli-table3";
import { planSuite } from "./plan";
import { simulationSuite } from "./simulation";
import type { BenchRow, BenchSuite } from "./suite";
import { runSuite } from "./suite";

const SUITES: readonly BenchSuite[] = [simulationSuite, planSuite];

function format(n: number, digits: number): string {
  return n.toFixed(digits);
}

async function main(argv: readonly string[]): Promise<number> {
  const json = argv.includes("--json");
  const wanted = argv.filter((a) => !a.startsWith("--"));
  const unknown = wanted.filter((w) => !SUITES.some((s) => s.name === w));
  if (unknown.length > 0) {
    console.error(`unknown suite(s): ${unknown.join(", ")}; known: ${SUITES.map((s) => s.name).join(", ")}`);
    return 2;
  }
  const selected = wanted.length === 0 ? SUITES : SUITES.filter((s) => wanted.includes(s.name));
  const report: { suite: string; rows: BenchRow[]; verdicts: readonly string[] }[] = [];
  for (const suite of selected) {
    const rows = await runSuite(suite);
    report.push({ suite: suite.name, rows, verdicts: suite.verdicts?.(rows) ?? [] });
    if (json) continue;
    console.log(`\n${suite.name}: ${suite.description}`);
    const table = new Table({ head: ["case", "size", "median ms", "mean ms", "p99 ms", "samples", "× baseline", "alloc MiB"] });
    for (const r of rows) {
      table.push([
        r.name,
        r.size,
        format(r.medianMs, 2),
        format(r.meanMs, 2),
        format(r.p99Ms, 2),
        String(r.samples),
        format(r.ratio, 2),
        r.heapDeltaMiB === null ? "n/a" : format(r.heapDeltaMiB, 2),
      ]);
    }
    console.log(table.toString());
    for (const line of report[report.length - 1]?.verdicts ?? []) console.log(line);
  }
  if (json) {
    console.log(JSON.stringify({ node: process.version, platform: `${process.platform}-${process.arch}`, suites: report }, null, 2));
  } else {
    console.log(`\nNode ${process.version}, ${process.platform}-${process.arch}; medians from tinybench, alloc = JS heap + ArrayBuffer growth over one call, before GC.`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
