/**
 * What a benchmark suite is, and how one is measured. A suite is a module exporting a
 * `BenchSuite`; `bench/run.ts` lists the suites it runs.
 */
import { Bench } from "tinybench";
import * as v8 from "node:v8";
import * as vm from "node:vm";

export interface BenchCase {
  /** Row label, such as `1 workload, 60 s steps`. */
  readonly name: string;
  /** The work measured; called many times. */
  readonly fn: () => unknown;
  /** Minimum measured iterations (tinybench `iterations`). */
  readonly iterations: number;
  /** Time budget in milliseconds (tinybench `time`); the run stops when both limits are met. */
  readonly timeMs: number;
  /** Extra column: what the case is, in units the reader cares about (`43,800 steps`). */
  readonly size: string;
  /** Unmeasured runs first. @default - min(5, iterations) */
  readonly warmupIterations?: number;
  /** Measure what one call allocates (5 extra calls); off for cases that run a child process. @default true */
  readonly measureHeap?: boolean;
}

export interface BenchSuite {
  readonly name: string;
  /** One line on what the suite measures. */
  readonly description: string;
  /** Name of the case the others are compared with (ratio column). */
  readonly baseline: string;
  /** Builds the cases; called once, so setup stays out of the timings. */
  readonly cases: () => readonly BenchCase[];
  /** Optional verdict lines from the measured rows, such as a budget check. */
  readonly verdicts?: (rows: readonly BenchRow[]) => readonly string[];
}

export interface BenchRow {
  readonly suite: string;
  readonly name: string;
  readonly size: string;
  readonly medianMs: number;
  readonly meanMs: number;
  readonly p99Ms: number;
  readonly samples: number;
  /** Median over the suite baseline's median. */
  readonly ratio: number;
  /** Growth of JS heap + ArrayBuffer memory over one call, before any collection, MiB (roughly what the call allocates); null when GC cannot be forced. */
  readonly heapDeltaMiB: number | null;
}

/** `gc()` where it can be had without command-line flags, else null. */
function findGc(): (() => void) | null {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === "function") return existing;
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc: unknown = vm.runInNewContext("gc");
    return typeof gc === "function" ? (gc as () => void) : null;
  } catch {
    return null;
  }
}

const gc = findGc();

function heapDeltaMiB(fn: () => unknown): number | null {
  if (gc === null) return null;
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  // Median of a few runs, each from a freshly collected heap: one collection landing inside a
  // call would otherwise show as a negative allocation.
  const deltas: number[] = [];
  for (let i = 0; i < 5; i++) {
    gc();
    gc();
    const before = used();
    const kept = fn();
    const after = used();
    if (kept === Symbol.for("never")) console.log(kept); // keep the result alive until measured
    deltas.push((after - before) / 2 ** 20);
  }
  deltas.sort((a, b) => a - b);
  return deltas[2] as number;
}

/** Runs every case of a suite, one tinybench Bench per case so each gets its own limits. */
export async function runSuite(suite: BenchSuite): Promise<BenchRow[]> {
  const measured: Omit<BenchRow, "ratio">[] = [];
  for (const c of suite.cases()) {
    const bench = new Bench({ iterations: c.iterations, time: c.timeMs, warmupIterations: c.warmupIterations ?? Math.min(5, c.iterations), throws: true });
    bench.add(c.name, c.fn);
    await bench.run();
    const task = bench.getTask(c.name);
    const result = task?.result;
    if (result === undefined || result.state !== "completed") throw new Error(`bench ${suite.name} / ${c.name}: ${result?.state ?? "no result"}`);
    measured.push({
      suite: suite.name,
      name: c.name,
      size: c.size,
      medianMs: result.latency.p50,
      meanMs: result.latency.mean,
      p99Ms: result.latency.p99,
      samples: result.latency.samplesCount,
      heapDeltaMiB: c.measureHeap === false ? null : heapDeltaMiB(c.fn),
    });
  }
  const baseline = measured.find((r) => r.name === suite.baseline);
  if (baseline === undefined) throw new Error(`bench ${suite.name}: baseline case "${suite.baseline}" not found`);
  return measured.map((r) => ({ ...r, ratio: r.medianMs / baseline.medianMs }));
}
