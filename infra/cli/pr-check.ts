/**
 * What the pull-request workflow runs, so the workflow's steps stay one line each and are tested:
 *
 *   pr-check stacks  --github-output <file>   the stacks to check, with the policy config `plan`
 *                                             would choose for each (the workflow's matrix)
 *   pr-check comment --base <ref> --out <file> [--summary <file>] [--report-url <url>]
 *                                             `plan --base <ref> --format markdown` for every stack,
 *                                             joined into the one PR comment (refusal and error
 *                                             reasons included), truncated to GitHub's limit
 *
 * `comment` exits with the worst plan's code: 0 all passed, 1 a stack was refused, 2 a stack file or
 * flag is invalid, 3 a plan crashed; the comment is written first in every case.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { loadStackConfigFile, StackConfigError } from "../config";
import { runCli, runCommand, UsageError } from "./common";
import { defaultPolicyConfigFile } from "./plan";

/** Hidden first line by which the workflow finds its own comment to update. */
export const COMMENT_MARKER = "<!-- gpu-inference-plan -->";
/** GitHub refuses an issue comment body longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;
/** Exit code of `comment` when a plan ended in neither 0, 1 nor 2 (a crash). */
export const EXIT_PLAN_CRASHED = 3;

export interface StackToCheck {
  readonly stack: string;
  readonly file: string;
  /** The policy config `npm run plan` would use; null when the environment has none (or the file is invalid). */
  readonly policyConfig: string | null;
  /** The AWS region the real preview assumes its role in; null when the file is invalid. */
  readonly region: string | null;
}

/** Every `Pulumi.<stack>.yaml` of the project, sorted, with what `plan` would choose for it. */
export function stacksToCheck(projectDir = process.cwd()): StackToCheck[] {
  return fs
    .readdirSync(projectDir)
    .map((file) => /^Pulumi\.(.+)\.ya?ml$/.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => {
      const file = m[0];
      try {
        const config = loadStackConfigFile(path.join(projectDir, file));
        const policy = defaultPolicyConfigFile(config, projectDir);
        return { stack: m[1]!, file, policyConfig: policy === null ? null : path.relative(projectDir, policy).split(path.sep).join("/"), region: config.cluster.region };
      } catch (error) {
        // Still listed: its plan then fails with the file's problems, in the comment.
        if (error instanceof StackConfigError) return { stack: m[1]!, file, policyConfig: null, region: null };
        throw error;
      }
    })
    .sort((a, b) => a.stack.localeCompare(b.stack));
}

export interface PlanRun {
  readonly stack: string;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The CLI launcher (bin/gpu-inference.js) sets this to its own path; from the source tree it is two levels up. */
function launcher(): string {
  return process.env.GPU_INFERENCE_LAUNCHER ?? path.resolve(__dirname, "..", "..", "bin", "gpu-inference.js");
}

/** `npm run plan -- --stack <stack> --base <ref> --format markdown`, as a child process (the plan runs Pulumi's mock engine, which is process-global). */
export function runPlan(stack: string, base: string, projectDir = process.cwd()): PlanRun {
  const run = spawnSync(process.execPath, [launcher(), "plan", "--stack", stack, "--base", base, "--format", "markdown"], {
    cwd: projectDir,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    maxBuffer: 256 * 1024 * 1024,
  });
  const crashed = run.error !== undefined ? `${run.error.message}\n` : run.signal !== null ? `killed by ${run.signal}\n` : "";
  return { stack, code: run.status ?? EXIT_PLAN_CRASHED, stdout: run.stdout ?? "", stderr: `${run.stderr ?? ""}${crashed}` };
}

/** 0 < 1 (refused) < 2 (invalid input) < 3 (crashed): the code the check ends with. */
export function worstCode(runs: readonly PlanRun[]): number {
  const rank = (code: number) => (code === 0 || code === 1 || code === 2 ? code : EXIT_PLAN_CRASHED);
  return runs.reduce((worst, r) => Math.max(worst, rank(r.code)), 0);
}

const OUTCOME = (code: number) => (code === 0 ? "✅ pass" : code === 1 ? "❌ refused" : code === 2 ? "⚠️ invalid input" : "💥 plan crashed");

function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}\n${text.trimEnd()}\n${ticks}`;
}

/** One stack's section: the plan's own markdown, or the reason it could not produce one. */
function section(run: PlanRun): string {
  if ((run.code === 0 || run.code === 1) && run.stdout.trim() !== "") return run.stdout.trimEnd();
  const title = run.code === 2 ? `### ⚠️ Plan for stack \`${run.stack}\` — invalid input (exit 2)` : `### 💥 Plan for stack \`${run.stack}\` — the plan crashed (exit ${run.code})`;
  const reason = run.stderr.trim() !== "" ? run.stderr : "(no message)";
  return [title, "", "The plan stopped with:", "", fence(reason)].join("\n");
}

/** The whole comment: marker, one line per stack, then each stack's section. */
export function commentBody(runs: readonly PlanRun[], base: string): string {
  const worst = worstCode(runs);
  const headline = worst === 0 ? "✅ every stack passes" : worst === 1 ? "❌ a mandatory policy refused a stack" : worst === 2 ? "⚠️ a stack could not be planned: invalid input" : "💥 a plan crashed";
  const lines = [COMMENT_MARKER, `## gpu-inference plan — ${headline}`, "", `Offline plan of every stack (no cloud credentials), compared with \`${base}\`.`, ""];
  lines.push("| stack | result |", "| --- | --- |", ...runs.map((r) => `| \`${r.stack}\` | ${OUTCOME(r.code)} |`), "");
  for (const run of runs) lines.push(section(run), "");
  return `${lines.join("\n").trimEnd()}\n`;
}

/**
 * The body cut to GitHub's limit at a line boundary (an open code fence or <details> closed), with
 * a pointer to where the full report is. Unchanged when it fits.
 */
export function truncateComment(body: string, pointer: string, limit = GITHUB_COMMENT_LIMIT): string {
  if (body.length <= limit) return body;
  const note = `\n\n---\n**Truncated**: this report is ${body.length.toLocaleString("en-US")} characters, over GitHub's ${limit.toLocaleString("en-US")}-character comment limit. ${pointer}\n`;
  const budget = limit - note.length - 40; // room for closing a fence and a <details>
  const kept = body.slice(0, budget);
  let cut = kept.slice(0, Math.max(0, kept.lastIndexOf("\n")));
  const fences = cut.split("\n").filter((l) => /^`{3,}/.test(l)).length;
  if (fences % 2 === 1) cut += "\n```";
  const opened = (cut.match(/<details>/g) ?? []).length - (cut.match(/<\/details>/g) ?? []).length;
  if (opened > 0) cut += "\n</details>";
  return `${cut}${note}`;
}

interface CommentOptions {
  base: string;
  out: string;
  summary?: string;
  reportUrl?: string;
}

interface StacksOptions {
  githubOutput?: string;
}

export function prCheckCommand(): Command {
  const program = new Command("pr-check").description("The pull-request workflow's steps: which stacks to check, and the plan comment").exitOverride();
  program
    .command("stacks")
    .description("list the stacks to check and the policy config plan chooses for each, as JSON (the workflow's matrix)")
    .option("--github-output <file>", "also append `matrix=<json>` to this file (GitHub's $GITHUB_OUTPUT)")
    .exitOverride()
    .action(async (options: StacksOptions) => {
      await runCommand(() => {
        const stacks = stacksToCheck();
        if (stacks.length === 0) throw new UsageError("no Pulumi.<stack>.yaml in this directory: run from the project root");
        const matrix = JSON.stringify({ include: stacks.map((s) => ({ stack: s.stack, policyConfig: s.policyConfig ?? "", region: s.region ?? "us-east-1" })) });
        if (options.githubOutput !== undefined) fs.appendFileSync(options.githubOutput, `matrix=${matrix}\n`);
        process.stdout.write(`${JSON.stringify(stacks, null, 2)}\n`);
        return 0;
      });
    });
  program
    .command("comment")
    .description("plan every stack against a base ref and write the one pull-request comment")
    .requiredOption("-b, --base <git-ref>", "the base branch's commit or ref (e.g. origin/main)")
    .requiredOption("-o, --out <file>", "write the comment body (at most 65,536 characters) here")
    .option("--summary <file>", "append the full, untruncated report here (GitHub's $GITHUB_STEP_SUMMARY)")
    .option("--report-url <url>", "where the full report can be read, named when the comment is truncated")
    .exitOverride()
    .action(async (options: CommentOptions) => {
      await runCommand(() => {
        const stacks = stacksToCheck();
        if (stacks.length === 0) throw new UsageError("no Pulumi.<stack>.yaml in this directory: run from the project root");
        const runs = stacks.map((s) => runPlan(s.stack, options.base));
        const full = commentBody(runs, options.base);
        const pointer = options.reportUrl !== undefined ? `The full report is in the job summary: ${options.reportUrl}` : "The full report is in the job summary of this run.";
        fs.writeFileSync(options.out, truncateComment(full, pointer));
        if (options.summary !== undefined) fs.appendFileSync(options.summary, full.slice(COMMENT_MARKER.length + 1));
        for (const r of runs) process.stderr.write(`${r.stack}: ${OUTCOME(r.code)} (exit ${r.code})\n`);
        return worstCode(runs);
      });
    });
  return program;
}

if (require.main === module) void runCli(prCheckCommand());
