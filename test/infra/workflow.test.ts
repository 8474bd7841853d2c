/**
 * The pull-request workflow, as far as this machine can run it: its shape (pinned actions, paths
 * filters, permissions, the Node matrix against package.json's engines), and every `run:` block of
 * the plan and stacks jobs executed in a temp clone of a pull request that adds a workload, with
 * GitHub's environment stubbed (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, the `env:` of the step). The
 * github-script step's script runs too, against a fake GitHub API. `npm ci` and `npm test` are
 * recorded, not run (they install the lockfile and run this very suite).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseDocument } from "yaml";
import { pullRequestClone, type PullRequestClone } from "../fixtures/git-clone";
import { REPO_ROOT } from "../fixtures/stack-files";

const WORKFLOW_FILE = path.join(REPO_ROOT, ".github", "workflows", "pull-request.yml");
const workflowText = fs.readFileSync(WORKFLOW_FILE, "utf8");

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string | number | boolean>;
}
interface Job {
  if?: string;
  needs?: string[];
  permissions?: Record<string, string>;
  strategy?: { matrix: unknown };
  steps: Step[];
}
interface Workflow {
  on: { pull_request: { paths: string[] } };
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}
const workflow = parse(workflowText) as Workflow;

/** The values GitHub would substitute for the expressions the steps' `env:` use. */
const EXPRESSIONS: Record<string, string> = {
  "github.base_ref": "main",
  "github.server_url": "https://github.com",
  "github.repository": "acme/gpu-inference",
  "github.run_id": "4242",
  "steps.plan.outcome": "failure",
};
function substitute(value: string): string {
  return value.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expression: string) => {
    const known = EXPRESSIONS[expression];
    if (known === undefined) throw new Error(`the test has no stub for \${{ ${expression} }}`);
    return known;
  });
}

/** GitHub's path filter globs as used here: `**` any path, `*` any name part. */
function globRegExp(glob: string): RegExp {
  const body = glob
    .split("**")
    .map((part) => part.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*"))
    .join(".*");
  return new RegExp(`^${body}$`);
}

describe("pull-request workflow: shape", () => {
  it("pins every action to a full commit SHA, with the tag in a comment", () => {
    const uses = [...workflowText.matchAll(/uses:\s*(\S+)(.*)$/gm)];
    expect(uses.length).toBeGreaterThanOrEqual(5);
    for (const [, target, rest] of uses) {
      expect(target, target).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      expect(rest, target).toMatch(/# v\d+\.\d+\.\d+/);
    }
  });

  it("runs only when code, stacks or tooling change: a README or docs typo does not", () => {
    const paths = workflow.on.pull_request.paths;
    expect(paths).toEqual(expect.arrayContaining(["infra/**", "components/**", "policies/**", "Pulumi.*.yaml", "package-lock.json", ".github/workflows/pull-request.yml"]));
    const matches = (file: string) => paths.some((p) => globRegExp(p).test(file));
    expect(matches("README.md")).toBe(false);
    expect(matches("docs/rollout.md")).toBe(false);
    expect(matches("Pulumi.team-b.yaml")).toBe(true);
    expect(matches("policies/config/prod.json")).toBe(true);
  });

  it("grants write access only where it is used; id-token only to the job that assumes an AWS role", () => {
    expect(workflow.permissions).toEqual({ contents: "read" });
    expect(workflow.jobs.plan!.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    const preview = workflow.jobs["pulumi-preview"]!;
    expect(preview.permissions?.["id-token"]).toBe("write");
    expect(preview.steps.some((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@") === true && s.with?.["role-to-assume"] !== undefined)).toBe(true);
    for (const [name, job] of Object.entries(workflow.jobs)) if (name !== "pulumi-preview") expect(job.permissions?.["id-token"], name).toBeUndefined();
    expect(preview.if).toContain("!github.event.pull_request.head.repo.fork");
  });

  it("tests every Node LTS line package.json supports; the preview matrix comes from the stacks job, not a list", () => {
    const engines = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;
    expect(engines).toBe(">=22");
    expect(workflow.jobs.test!.strategy!.matrix).toEqual({ node: [22, 24] });
    expect(workflow.jobs["pulumi-preview"]!.strategy!.matrix).toBe("${{ fromJSON(needs.stacks.outputs.matrix) }}");
    const pulumiStep = workflow.jobs["pulumi-preview"]!.steps.find((s) => s.uses?.startsWith("pulumi/actions@") === true)!;
    expect(pulumiStep.with).toMatchObject({ command: "preview", "stack-name": "${{ matrix.stack }}", policyPacks: "policies", policyPackConfigs: "${{ matrix.policyConfig }}" });
  });

  it("keeps expressions out of run: blocks (inputs come through env:, never spliced into a script)", () => {
    for (const [name, job] of Object.entries(workflow.jobs)) {
      for (const step of job.steps) if (step.run !== undefined) expect(step.run, `${name}: ${step.name ?? step.run}`).not.toContain("${{");
    }
  });

  it("posts the comment even when the plan step failed, so a failed run replaces an earlier green comment", () => {
    const post = workflow.jobs.plan!.steps.find((s) => s.uses?.startsWith("actions/github-script@") === true)!;
    expect(post.if).toBe("${{ !cancelled() }}");
  });
});

describe("pull-request workflow: every run: block, in a clone of a pull request that adds a workload", () => {
  let clone: PullRequestClone;
  let bin: string;
  let calls: string;

  beforeAll(() => {
    clone = pullRequestClone((dir) => {
      const file = path.join(dir, "Pulumi.dev.yaml");
      const doc = parseDocument(fs.readFileSync(file, "utf8"));
      const workloads = doc.getIn(["config", "gpu-inference:workloads"]) as { items: unknown[] };
      const copy = doc.createNode({
        name: "invoice-classifier",
        tier: "batch",
        tenant: "documents",
        model: { id: "meta-llama/Llama-3.1-8B-Instruct" },
        traffic: { requestsPerMonth: 150_000_000, meanInputTokens: 500, meanOutputTokens: 8, peakToMeanRatio: 1.3, prefixCacheHitRate: 0.5 },
        api: { catalogId: "gpt-4.1-mini" },
        rollout: { currentOwnedPercent: 30, targetOwnedPercent: 90 },
        serving: { gpuPool: "l4-spot", gpusPerReplica: 1, minReplicas: 0, maxReplicas: 8, targetQueueDepthPerReplica: 20000, requestsPerBatchFile: 20000 },
      });
      workloads.items.push(copy);
      fs.writeFileSync(file, doc.toString());
    }, "Add invoice-classifier");
    // `npm ci` and `npm test` recorded; every other npm command runs for real.
    const realNpm = spawnSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).stdout.trim();
    bin = fs.mkdtempSync(path.join(os.tmpdir(), "workflow-bin-"));
    calls = path.join(bin, "calls.log");
    fs.writeFileSync(path.join(bin, "npm"), `#!/bin/bash\ncase "$1" in ci|test) echo "npm $*" >> ${calls}; exit 0;; esac\nexec ${realNpm} "$@"\n`, { mode: 0o755 });
  }, 120_000);
  afterAll(() => {
    clone?.cleanup();
    if (bin !== undefined) fs.rmSync(bin, { recursive: true, force: true });
  });

  /** Run one step's script as GitHub does (`bash --noprofile --norc -eo pipefail`), with its env. */
  function runStep(step: Step, files: { output: string; summary: string }) {
    const script = path.join(bin, `step-${Math.random().toString(36).slice(2)}.sh`);
    fs.writeFileSync(script, step.run!);
    const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, substitute(v)]));
    return spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], {
      cwd: clone.dir,
      encoding: "utf8",
      env: { ...process.env, ...env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: "1", CI: "true", GITHUB_ACTIONS: "true", GITHUB_OUTPUT: files.output, GITHUB_STEP_SUMMARY: files.summary, GITHUB_WORKSPACE: clone.dir },
      timeout: 600_000,
    });
  }

  it(
    "plan job: installs, fetches the base, plans every stack against it; the comment shows the added workload's cost diff",
    async () => {
      const files = { output: path.join(bin, "plan-output"), summary: path.join(bin, "plan-summary.md") };
      const steps = workflow.jobs.plan!.steps.filter((s) => s.run !== undefined);
      expect(steps.map((s) => s.name)).toEqual(["Install the locked dependencies", "Fetch the base branch (the plan reads its stack files with git show)", "Plan every stack against the base branch"]);
      let planStatus: number | null = null;
      for (const step of steps) {
        const result = runStep(step, files);
        // The plan step fails the job when a shipped stack is refused, after writing the comment.
        expect(step.id === "plan" ? [0, 1] : [0], `${step.name}\n${result.stderr}`).toContain(result.status);
        if (step.id === "plan") planStatus = result.status;
      }
      expect(fs.readFileSync(calls, "utf8")).toContain("npm ci --no-audit --no-fund");

      const comment = fs.readFileSync(path.join(clone.dir, "plan-comment.md"), "utf8");
      fs.writeFileSync(path.join(os.tmpdir(), "gpu-inference-pr-comment.md"), comment); // to read after a run
      const headline = planStatus === 0 ? "✅ every stack passes" : "❌ a mandatory policy refused a stack";
      expect(comment.startsWith(`<!-- gpu-inference-plan -->\n## gpu-inference plan — ${headline}`)).toBe(true);
      expect(comment.length).toBeLessThanOrEqual(65_536);
      expect(comment).toContain("| `dev` | ✅ pass |");
      expect(comment).toMatch(planStatus === 0 ? /\| `prod` \| ✅ pass \|/ : /\| `prod` \| ❌ refused \|[\s\S]*\*\*Refused because:\*\*/);
      const dev = comment.slice(comment.indexOf("Plan for stack `dev`"), comment.indexOf("Plan for stack `prod`"));
      expect(dev).toMatch(/#### Monthly cost change against base `origin\/main` \([0-9a-f]{7}\)/);
      // The others change too: fixed costs are shared by one more workload.
      // and a verdict or gate that flips is named (adding a workload can flip another's).
      const summary = /\n1 added, (\d) changed, 0 removed, (\d) unchanged; ([^\n]+)\n/.exec(dev);
      expect(summary, dev).not.toBeNull();
      for (const flip of summary![3]!.split("; ").filter((f) => f !== "no verdict changes")) {
        const [name, what, before, after] = /^(\S+) (verdict|gate) (\S+) → (\S+)$/.exec(flip)!.slice(1);
        expect(dev.split("\n").find((l) => l.startsWith(`| \`${name}\` | changed |`)), flip).toContain(`${before} → ${after}`);
        expect(["verdict", "gate"]).toContain(what);
      }
      const added = dev.split("\n").find((l) => l.startsWith("| `invoice-classifier` | **added** |"));
      expect(added, dev).toBeDefined();
      const cells = added!.split(" | ");
      expect(cells[2]).toBe("90.0%"); // the owned share the gate evaluates: the rollout's target
      expect(cells[3]).toMatch(/^\$[\d,]+$/); // owned/mo
      const owned = Number(cells[3]!.replace(/[$,]/g, ""));
      const totalOwned = /\| owned \| \$([\d,]+) \| \$([\d,]+) \| \+\$([\d,]+) \|/.exec(dev);
      expect(totalOwned, dev).not.toBeNull();
      const [base, head, delta] = totalOwned!.slice(1).map((x) => Number(x.replace(/,/g, "")));
      expect(Math.abs(head! - base! - delta!)).toBeLessThanOrEqual(1);
      expect(owned).toBeGreaterThan(0);
      expect(delta).toBeLessThanOrEqual(owned); // the added workload's cost, less what it takes off the others' share of fixed costs
      const prod = comment.slice(comment.indexOf("Plan for stack `prod`"));
      expect(prod).toContain("0 added, 0 changed, 0 removed, 2 unchanged; no verdict changes");
      // The job summary has the full report, for forks and for truncated comments.
      expect(fs.readFileSync(files.summary, "utf8")).toContain("invoice-classifier");

      // The github-script step's script, with GitHub's API faked: one earlier green comment is replaced.
      const post = workflow.jobs.plan!.steps.find((s) => s.uses?.startsWith("actions/github-script@") === true)!;
      const updated: { comment_id: number; body: string }[] = [];
      const github = {
        paginate: async () => [{ id: 7, user: { type: "Bot" }, body: "<!-- gpu-inference-plan -->\n## gpu-inference plan — ✅ every stack passes (old)" }],
        rest: { issues: { listComments: {}, updateComment: async (args: { comment_id: number; body: string }) => void updated.push(args), createComment: async () => expect.fail("must update, not create") } },
      };
      const context = { repo: { owner: "acme", repo: "gpu-inference" }, payload: { pull_request: { number: 12 } } };
      const env = Object.fromEntries(Object.entries(post.env ?? {}).map(([k, v]) => [k, substitute(v)]));
      const saved = { cwd: process.cwd(), env: { ...process.env } };
      process.chdir(clone.dir);
      Object.assign(process.env, env, { GITHUB_WORKSPACE: clone.dir });
      try {
        const run = new Function("require", "github", "context", "core", `return (async () => {\n${String(post.with!.script)}\n})();`) as (...a: unknown[]) => Promise<unknown>;
        await run(require, github, context, { warning: () => undefined });
      } finally {
        process.chdir(saved.cwd);
        process.env = saved.env;
      }
      expect(updated).toEqual([{ owner: "acme", repo: "gpu-inference", comment_id: 7, body: comment }]);
    },
    900_000,
  );

  it("stacks job: the matrix lists each stack with the policy config plan would use", () => {
    const files = { output: path.join(bin, "stacks-output"), summary: path.join(bin, "stacks-summary.md") };
    for (const step of workflow.jobs.stacks!.steps.filter((s) => s.run !== undefined)) {
      const result = runStep(step, files);
      expect(result.status, `${step.name}\n${result.stderr}`).toBe(0);
    }
    const line = fs.readFileSync(files.output, "utf8").trim();
    expect(line.startsWith("matrix=")).toBe(true);
    expect(JSON.parse(line.slice("matrix=".length))).toEqual({
      include: [
        { stack: "dev", policyConfig: "policies/config/dev.json", region: "us-east-1" },
        { stack: "prod", policyConfig: "policies/config/prod.json", region: "us-east-1" },
      ],
    });
  }, 120_000);

  it("test and pulumi-preview jobs: their run: blocks are the install and the README's test command", () => {
    const runs = (job: string) => workflow.jobs[job]!.steps.filter((s) => s.run !== undefined).map((s) => s.run!.trim());
    expect(runs("test")).toEqual(["npm ci --no-audit --no-fund", "npm test"]);
    expect(runs("pulumi-preview")).toEqual(["npm ci --no-audit --no-fund"]);
    const files = { output: path.join(bin, "test-output"), summary: path.join(bin, "test-summary.md") };
    for (const step of workflow.jobs.test!.steps.filter((s) => s.run !== undefined)) expect(runStep(step, files).status).toBe(0);
    expect(fs.readFileSync(calls, "utf8")).toContain("npm test");
  });
});
