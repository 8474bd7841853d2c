/**
 * The cost change a pull request makes: the stack file as it is on the base branch (read with
 * `git show <ref>:<path>`, no checkout) evaluated by the same cost model as the working tree's,
 * and the difference per workload and in total. Infracost's PR comment is the model: reviewers
 * read what changes, not only where things end up.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { economicsConfigSchema } from "../../policies/economics/schema";
import { formatKeyPath, namespaceValues, parseStackConfig, StackConfigError, type StackConfig } from "../config";
import { ECONOMICS_POLICY } from "../economics-source";
import type { StackEvaluation } from "../stack-economics";

/** A git ref that is not a commit here, or a file outside any git work tree. */
export class BaseRefError extends Error {
  override name = "BaseRefError";
}

/** The figures of one workload that a reviewer compares. */
export interface WorkloadFigures {
  readonly tier: string;
  readonly verdict: string;
  readonly passesGate: boolean;
  readonly targetOwnedShare: number;
  readonly modeledUtilization: number;
  /** Utilization the gate needs (break-even × (1 + margin)); null when no break-even exists. */
  readonly requiredUtilization: number | null;
  readonly ownedMonthlyUsd: number;
  readonly apiMonthlyUsd: number;
  readonly savingsMonthlyUsd: number;
}

export type WorkloadChange =
  | { readonly name: string; readonly change: "added"; readonly head: WorkloadFigures }
  | { readonly name: string; readonly change: "removed"; readonly base: WorkloadFigures }
  | { readonly name: string; readonly change: "changed" | "unchanged"; readonly base: WorkloadFigures; readonly head: WorkloadFigures };

export interface MonthlyTotals {
  readonly ownedMonthlyUsd: number;
  readonly apiMonthlyUsd: number;
  readonly savingsMonthlyUsd: number;
}

/** What `--base` found at the ref, and the diff when both sides could be evaluated. */
export type BaseComparison =
  | { readonly ref: string; readonly commit: string; readonly status: "compared"; readonly workloads: readonly WorkloadChange[]; readonly totals: { readonly base: MonthlyTotals; readonly head: MonthlyTotals } }
  /** The stack file does not exist at the ref: everything in it is new. */
  | { readonly ref: string; readonly commit: string; readonly status: "new-stack"; readonly workloads: readonly WorkloadChange[]; readonly totals: { readonly base: MonthlyTotals; readonly head: MonthlyTotals } }
  /** The base's stack file does not pass today's schema, so there is nothing sound to compare against. */
  | { readonly ref: string; readonly commit: string; readonly status: "base-invalid"; readonly problems: readonly string[] };

function git(args: readonly string[], cwd: string): { ok: true; stdout: string } | { ok: false; stderr: string } {
  try {
    return { ok: true, stdout: execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 }) };
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    return { ok: false, stderr: (e.stderr ?? e.message).trim() };
  }
}

/**
 * The text of `file` (a path in the working tree) as it is at `ref`, or null when the file does
 * not exist there. Throws BaseRefError when `ref` is not a commit of the file's repository.
 */
export function readFileAtRef(ref: string, file: string): { commit: string; text: string | null } {
  const dir = path.dirname(fs.realpathSync(path.resolve(file)));
  const top = git(["rev-parse", "--show-toplevel"], dir);
  if (!top.ok) throw new BaseRefError(`--base ${ref}: ${path.basename(file)} is not inside a git repository, so there is no base to compare against`);
  const commit = git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], dir);
  if (!commit.ok) throw new BaseRefError(`--base ${ref}: not a commit in this repository (fetch it first, e.g. \`git fetch origin ${ref}\`)`);
  const relative = path.relative(top.stdout.trim(), path.join(dir, path.basename(file))).split(path.sep).join("/");
  const shown = git(["show", `${commit.stdout.trim()}:${relative}`], dir);
  return { commit: commit.stdout.trim(), text: shown.ok ? shown.stdout : null };
}

/**
 * The stack config at the ref, or null when the file is absent there, with its economics taken from
 * the policy config as it was at the ref (the one source of the assumptions, as `plan` reads them
 * today); the stack file's own economics when that policy config did not exist yet. Errors name
 * `<file>@<ref>`.
 */
export function stackConfigAtRef(ref: string, file: string, policyConfigFile: string | null = null): { commit: string; config: StackConfig | null } {
  const { commit, text } = readFileAtRef(ref, file);
  if (text === null) return { commit, config: null };
  const display = `${path.basename(file)}@${ref}`;
  const config = parseStackConfig(namespaceValues(text, display), display);
  const policyText = policyConfigFile === null ? null : readFileAtRef(ref, policyConfigFile).text;
  if (policyText === null) return { commit, config };
  const policyDisplay = `${path.basename(policyConfigFile!)}@${ref}`;
  let raw: unknown;
  try {
    raw = JSON.parse(policyText) as unknown;
  } catch (error) {
    throw new StackConfigError(policyDisplay, [`${policyDisplay}: not valid JSON: ${(error as Error).message}`]);
  }
  const section = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>)[ECONOMICS_POLICY] : undefined;
  const rawEconomics = typeof section === "object" && section !== null ? (section as Record<string, unknown>).economics : undefined;
  if (rawEconomics === undefined) return { commit, config };
  const parsed = economicsConfigSchema.safeParse(rawEconomics);
  if (!parsed.success) {
    throw new StackConfigError(policyDisplay, parsed.error.issues.map((i) => `${policyDisplay}: ${ECONOMICS_POLICY}.economics${i.path.length > 0 ? `.${formatKeyPath(i.path)}` : ""}: ${i.message}`));
  }
  return { commit, config: { ...config, economics: parsed.data } };
}

function figures(w: StackEvaluation["workloads"][number]): WorkloadFigures {
  return {
    tier: w.tier,
    verdict: w.verdict,
    passesGate: w.passesGate,
    targetOwnedShare: w.targetOwnedShare,
    modeledUtilization: w.modeledUtilization,
    requiredUtilization: w.requiredUtilization,
    ownedMonthlyUsd: w.ownedMonthlyUsd,
    apiMonthlyUsd: w.apiMonthlyUsd,
    savingsMonthlyUsd: w.savingsMonthlyUsd,
  };
}

/** Equal as a reviewer reads them: whole dollars, tenths of a percent, same verdict and gate. */
function sameFigures(a: WorkloadFigures, b: WorkloadFigures): boolean {
  const dollars = (x: number) => Math.round(x);
  const tenths = (x: number | null) => (x === null ? null : Math.round(x * 1000));
  return (
    a.tier === b.tier &&
    a.verdict === b.verdict &&
    a.passesGate === b.passesGate &&
    tenths(a.targetOwnedShare) === tenths(b.targetOwnedShare) &&
    tenths(a.modeledUtilization) === tenths(b.modeledUtilization) &&
    tenths(a.requiredUtilization) === tenths(b.requiredUtilization) &&
    dollars(a.ownedMonthlyUsd) === dollars(b.ownedMonthlyUsd) &&
    dollars(a.apiMonthlyUsd) === dollars(b.apiMonthlyUsd)
  );
}

const EMPTY_TOTALS: MonthlyTotals = { ownedMonthlyUsd: 0, apiMonthlyUsd: 0, savingsMonthlyUsd: 0 };

/** Per-workload changes, in head order with removed workloads last, and both sides' totals. */
export function diffEvaluations(base: StackEvaluation | null, head: StackEvaluation): { workloads: WorkloadChange[]; totals: { base: MonthlyTotals; head: MonthlyTotals } } {
  const baseByName = new Map((base?.workloads ?? []).map((w) => [w.name, figures(w)]));
  const headNames = new Set(head.workloads.map((w) => w.name));
  const workloads: WorkloadChange[] = head.workloads.map((w) => {
    const now = figures(w);
    const before = baseByName.get(w.name);
    if (before === undefined) return { name: w.name, change: "added", head: now };
    return { name: w.name, change: sameFigures(before, now) ? "unchanged" : "changed", base: before, head: now };
  });
  for (const [name, before] of baseByName) if (!headNames.has(name)) workloads.push({ name, change: "removed", base: before });
  const pick = (t: MonthlyTotals): MonthlyTotals => ({ ownedMonthlyUsd: t.ownedMonthlyUsd, apiMonthlyUsd: t.apiMonthlyUsd, savingsMonthlyUsd: t.savingsMonthlyUsd });
  return { workloads, totals: { base: base === null ? EMPTY_TOTALS : pick(base.totals), head: pick(head.totals) } };
}

/**
 * Compare the working tree's evaluation of `file` with the same file (and `policyConfigFile`, the
 * economics' source) at `ref`, evaluated by the same `evaluate` (so a change in the cost model
 * itself is not reported as a change of the stack).
 */
export function compareWithBase(
  ref: string,
  file: string,
  stack: string,
  head: StackEvaluation,
  evaluate: (config: StackConfig, stack: string) => StackEvaluation,
  policyConfigFile: string | null = null,
): BaseComparison {
  let atBase: { commit: string; config: StackConfig | null };
  try {
    atBase = stackConfigAtRef(ref, file, policyConfigFile);
  } catch (error) {
    if (!(error instanceof StackConfigError)) throw error;
    const { commit } = readFileAtRef(ref, file);
    return { ref, commit, status: "base-invalid", problems: error.problems };
  }
  if (atBase.config === null) return { ref, commit: atBase.commit, status: "new-stack", ...diffEvaluations(null, head) };
  return { ref, commit: atBase.commit, status: "compared", ...diffEvaluations(evaluate(atBase.config, stack), head) };
}
