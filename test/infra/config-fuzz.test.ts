/**
 * Fuzz: any input ends in a clear answer. Seeded fast-check runs drive the stack-config parser, the
 * economics (through infra/stack-economics) and the cost CLI's error paths in this process; each case
 * must end in a valid result or a StackConfigError whose every line names the file (and, for a value,
 * the key) — never another exception, a figure that is not finite, unbounded output, or a hang.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it, vi } from "vitest";
import { decodeStackText, MAX_LISTED_PROBLEMS, namespaceValues, parseStackConfig, SERVING_LIMITS, StackConfigError } from "../../infra/config";
import { runCli } from "../../infra/cli/common";
import { costCommand } from "../../infra/cli/cost";
import { costJson, costTable, nonFiniteFigures } from "../../infra/cli/cost-report";
import { evaluateStack } from "../../infra/stack-economics";
import { MODEL_LIMITS } from "../../policies/economics/schema";
import { DEV_STACK_FILE, tempProject } from "../fixtures/stack-files";

/** One seed for every property: a failure repeats exactly. */
const SEED = 20261202;
const DISPLAY = "Pulumi.fuzz.yaml";
const DEV_TEXT = fs.readFileSync(DEV_STACK_FILE, "utf8");
const DEV_VALUES = namespaceValues(DEV_TEXT, "Pulumi.dev.yaml");

const project = tempProject();
afterAll(() => project.cleanup());

type Key = string | number;

/** Every key path of a value, objects and arrays included. */
function keyPaths(value: unknown, at: Key[] = [], out: Key[][] = []): Key[][] {
  if (Array.isArray(value)) value.forEach((item, i) => keyPaths(item, [...at, i], out));
  else if (typeof value === "object" && value !== null) for (const [key, item] of Object.entries(value)) keyPaths(item, [...at, key], out);
  if (at.length > 0) out.push(at);
  return out;
}
const PATHS = keyPaths(DEV_VALUES);
const NUMERIC_PATHS = PATHS.filter((p) => typeof p.reduce<unknown>((node, key) => (node as Record<Key, unknown>)[key], DEV_VALUES) === "number");

function setIn(values: Record<string, unknown>, keyPath: readonly Key[], value: unknown, remove: boolean): void {
  let node = values as Record<Key, unknown>;
  for (const key of keyPath.slice(0, -1)) {
    if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
    node = node[key] as Record<Key, unknown>;
  }
  const leaf = keyPath[keyPath.length - 1]!;
  if (remove) delete node[leaf];
  else node[leaf] = value;
}

/** Numbers that broke the model before it was bounded, and the bounds themselves. */
const EXTREMES = [0, -1, 0.5, 1, 2, 3e9, 2 ** 31, 800, 729.9, 1e12, 1e308, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER, 1e-300, MODEL_LIMITS.requestsPerMonth, SERVING_LIMITS.replicas, SERVING_LIMITS.seconds];
const anyValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...EXTREMES) },
  { weight: 2, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY) },
  { weight: 2, arbitrary: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("reserved", "spot", "batch", "interactive", "eu-west-1", "hf_abcdefghijklmnopqrstuvwxyz012345")) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, [], {}, [1, 2], { x: 1 }) },
);
const anyMutation = fc.record({ keyPath: fc.constantFrom(...PATHS), value: anyValue, remove: fc.boolean() });

/** A clear refusal: bounded, every line naming the file. */
function expectClearRefusal(error: unknown, display: string): void {
  expect(error).toBeInstanceOf(StackConfigError);
  const problems = (error as StackConfigError).problems;
  expect(problems.length).toBeGreaterThan(0);
  expect(problems.length).toBeLessThanOrEqual(MAX_LISTED_PROBLEMS + 1);
  for (const line of problems) {
    expect(line.startsWith(`${display}:`)).toBe(true);
    expect(line.length).toBeLessThanOrEqual(300);
  }
}

function parseOrRefusal(values: Record<string, unknown>) {
  try {
    return parseStackConfig(values, DISPLAY);
  } catch (error) {
    expectClearRefusal(error, DISPLAY);
    for (const line of (error as StackConfigError).problems) expect(line).toMatch(new RegExp(`^${DISPLAY.replace(/\./g, "\\.")}(:\\d+)?: `));
    return null;
  }
}

describe("fuzz: any input ends in a clear answer", () => {
  it("config parsing: 2,000 mutated stacks each parse or are refused naming file and key", () => {
    fc.assert(
      fc.property(fc.array(anyMutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        const values = structuredClone(DEV_VALUES);
        for (const m of mutations) setIn(values, m.keyPath, m.value, m.remove && m.keyPath.length > 1);
        parseOrRefusal(values);
      }),
      { seed: SEED, numRuns: 2_000 },
    );
  });

  it("stack file text: 600 mutated or random files each parse or are refused in one short summary", () => {
    const edits = fc.oneof(
      fc.record({ at: fc.nat(), cut: fc.nat({ max: 200 }), insert: fc.string({ maxLength: 40, unit: "binary" }) }).map(({ at, cut, insert }) => {
        const i = at % DEV_TEXT.length;
        return DEV_TEXT.slice(0, i) + insert + DEV_TEXT.slice(i + cut);
      }),
      fc.string({ maxLength: 2_000, unit: "binary" }),
      fc.uint8Array({ maxLength: 4_000 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
    );
    fc.assert(
      fc.property(edits, (text) => {
        try {
          const values = namespaceValues(decodeStackText(Buffer.from(text, "utf8"), DISPLAY), DISPLAY);
          parseOrRefusal(values);
        } catch (error) {
          expectClearRefusal(error, DISPLAY);
        }
      }),
      { seed: SEED, numRuns: 600 },
    );
  });

  it("economics: 200 stacks with numbers anywhere in or beyond their bounds give finite figures or a refusal", () => {
    let evaluated = 0;
    const numeric = fc.record({ keyPath: fc.constantFrom(...NUMERIC_PATHS), value: fc.oneof(fc.constantFrom(...EXTREMES), fc.double({ min: 0, max: 1e13, noNaN: true })) });
    fc.assert(
      fc.property(fc.nat({ max: 2 }), fc.array(numeric, { minLength: 1, maxLength: 4 }), (keep, mutations) => {
        const values = structuredClone(DEV_VALUES);
        for (const m of mutations) setIn(values, m.keyPath, m.value, false);
        // One workload per case: the month simulation is the slow part.
        const workloads = values.workloads as unknown[];
        values.workloads = [workloads[keep]];
        const config = parseOrRefusal(values);
        if (config === null) return;
        const evaluation = evaluateStack(config, "fuzz", { cheapestShape: false });
        evaluated++;
        expect(nonFiniteFigures(costJson(evaluation))).toEqual([]);
        expect(costTable(evaluation, { wide: true })).not.toMatch(/NaN|Infinity|\$-/);
      }),
      { seed: SEED, numRuns: 200 },
    );
    // Enough cases get past the schema for this to test the economics, not only the refusals.
    expect(evaluated).toBeGreaterThanOrEqual(40);
  });

  it("cost CLI error paths: 150 broken files end in exit 2, naming the file, with nothing on stdout", async () => {
    const broken = fc.oneof(
      fc.string({ maxLength: 300, unit: "binary" }).map((junk) => `config:\n  gpu-inference:environment: ${JSON.stringify(junk)}\n`),
      fc.uint8Array({ minLength: 1, maxLength: 2_000 }).map((bytes) => Buffer.from([0, ...bytes])),
      anyMutation.map((m) => {
        const values = structuredClone(DEV_VALUES);
        setIn(values, m.keyPath, Number.NaN, false); // NaN is never valid: always an error path
        return `config:\n${Object.entries(values)
          .map(([key, value]) => `  gpu-inference:${key}: ${JSON.stringify(value)}`)
          .join("\n")}\n`.replace(/null/g, ".nan");
      }),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(broken, async (content) => {
        const file = path.join(project.dir, `Pulumi.case${n++}.yaml`);
        fs.writeFileSync(file, content);
        let stdout = "";
        let stderr = "";
        const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
        const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
        process.exitCode = 0;
        try {
          await runCli(costCommand(), ["node", "cost", "--config", file, "--format", "json"]);
        } finally {
          out.mockRestore();
          err.mockRestore();
        }
        const code = process.exitCode;
        process.exitCode = 0;
        fs.rmSync(file);
        expect(code).toBe(2);
        expect(stdout).toBe("");
        expect(stderr).toContain(path.basename(file));
        expect(stderr).not.toMatch(/\n\s+at /);
        expect(stderr.length).toBeLessThan(8_000);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});
