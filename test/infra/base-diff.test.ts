/** The cost change against the base branch: what git holds at the ref, and the per-workload diff. */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadStackConfigFile, type StackConfig } from "../../infra/config";
import { baseDiffMarkdown } from "../../infra/cli/plan-report";
import { BaseRefError, compareWithBase, diffEvaluations, readFileAtRef, stackConfigAtRef } from "../../infra/plan/base-diff";
import { evaluateStack, type StackEvaluation } from "../../infra/stack-economics";
import { DEV_STACK_FILE, tempProject } from "../fixtures/stack-files";

const project = tempProject();
afterAll(() => project.cleanup());
const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", ...args], { cwd: project.dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

const dev = loadStackConfigFile(DEV_STACK_FILE);
const evaluate = (config: StackConfig) => evaluateStack(config, "dev", { cheapestShape: false });
const head = evaluate(dev);

function withWorkloads(evaluation: StackEvaluation, workloads: StackEvaluation["workloads"]): StackEvaluation {
  const owned = workloads.reduce((s, w) => s + w.ownedMonthlyUsd, 0);
  const api = workloads.reduce((s, w) => s + w.apiMonthlyUsd, 0);
  return { ...evaluation, workloads, totals: { ...evaluation.totals, ownedMonthlyUsd: owned, apiMonthlyUsd: api, savingsMonthlyUsd: api - owned, ownedWithinApi: owned <= api } };
}

describe("diffEvaluations", () => {
  it("the same evaluation on both sides: every workload unchanged, totals equal", () => {
    const diff = diffEvaluations(head, head);
    expect(diff.workloads.map((w) => w.change)).toEqual(["unchanged", "unchanged", "unchanged"]);
    expect(diff.totals.base).toEqual(diff.totals.head);
  });

  it("added, removed and changed workloads, with both sides' figures and totals", () => {
    const [ticket, documents, chat] = head.workloads as [StackEvaluation["workloads"][number], StackEvaluation["workloads"][number], StackEvaluation["workloads"][number]];
    const otherVerdict = ticket.verdict === "own" ? "api" : "own";
    const gate = (pass: boolean) => (pass ? "pass" : "REFUSE");
    const base = withWorkloads(head, [{ ...ticket, ownedMonthlyUsd: ticket.ownedMonthlyUsd + 1000, verdict: otherVerdict, passesGate: !ticket.passesGate }, chat, { ...documents, name: "retired" }]);
    const now = withWorkloads(head, [ticket, documents]);
    const diff = diffEvaluations(base, now);
    expect(diff.workloads.map((w) => [w.name, w.change])).toEqual([
      ["ticket-classifier", "changed"],
      ["document-processing", "added"],
      ["support-chat", "removed"],
      ["retired", "removed"],
    ]);
    expect(diff.totals.head.ownedMonthlyUsd - diff.totals.base.ownedMonthlyUsd).toBeCloseTo(-1000 - chat.ownedMonthlyUsd, 6);
    const md = baseDiffMarkdown({ ref: "origin/main", commit: "0123456789abcdef0123456789abcdef01234567", status: "compared", ...diff }).join("\n");
    expect(md).toContain("#### Monthly cost change against base `origin/main` (0123456)");
    expect(md).toContain(`1 added, 1 changed, 2 removed, 0 unchanged; ticket-classifier verdict ${otherVerdict} → ${ticket.verdict}; ticket-classifier gate ${gate(!ticket.passesGate)} → ${gate(ticket.passesGate)}`);
    const usd = (x: number) => `$${Math.round(x).toLocaleString("en-US")}`;
    expect(md).toContain(`| \`ticket-classifier\` | changed | 90.0% | ${usd(ticket.ownedMonthlyUsd + 1000)} → ${usd(ticket.ownedMonthlyUsd)} (-$1,000) |`);
    expect(md).toContain(`| \`support-chat\` | **removed** | ~~10.0%~~ | ~~${usd(chat.ownedMonthlyUsd)}~~ |`);
    expect(md).toMatch(/\| savings \(API − owned\) \| -?\$[\d,]+ \| \$[\d,]+ \| [+-]\$[\d,]+ \|/);
  });

  it("a new stack: every workload added, the base totals zero", () => {
    const diff = diffEvaluations(null, head);
    expect(diff.workloads.every((w) => w.change === "added")).toBe(true);
    expect(diff.totals.base).toEqual({ ownedMonthlyUsd: 0, apiMonthlyUsd: 0, savingsMonthlyUsd: 0 });
  });
});

describe("the stack file at the base ref (git show, no checkout)", () => {
  const file = path.join(project.dir, "Pulumi.dev.yaml");
  git("init", "-q", "-b", "main");
  fs.writeFileSync(path.join(project.dir, "README.md"), "x\n");
  git("add", "-A");
  git("commit", "-q", "-m", "no stack yet");
  const empty = git("rev-parse", "HEAD").trim();
  fs.copyFileSync(DEV_STACK_FILE, file);
  git("add", "-A");
  git("commit", "-q", "-m", "dev stack");
  fs.writeFileSync(file, fs.readFileSync(DEV_STACK_FILE, "utf8").replace("requestsPerMonth: 200000000", "requestsPerMonth: 100000000"));

  it("reads the committed text, not the working tree's", () => {
    expect(readFileAtRef("main", file).text).toBe(fs.readFileSync(DEV_STACK_FILE, "utf8"));
    expect(readFileAtRef(empty, file)).toEqual({ commit: empty, text: null });
  });

  it("compares with the same evaluation; a file absent at the base is a new stack", () => {
    const now = evaluate(loadStackConfigFile(file));
    const compared = compareWithBase("main", file, "dev", now, evaluate);
    expect(compared.status).toBe("compared");
    if (compared.status === "base-invalid") throw new Error("unreachable");
    // Half the requests: half the API bill. (The others may change too: fixed costs are shared by use.)
    const ticket = compared.workloads[0]!;
    expect([ticket.name, ticket.change]).toEqual(["ticket-classifier", "changed"]);
    if (ticket.change !== "changed") throw new Error("unreachable");
    expect(ticket.base.apiMonthlyUsd).toBeCloseTo(2 * ticket.head.apiMonthlyUsd, 6);
    expect(compared.workloads.map((w) => w.name)).toEqual(["ticket-classifier", "document-processing", "support-chat"]);
    expect(compareWithBase(empty, file, "dev", now, evaluate).status).toBe("new-stack");
  });

  it("a base stack file today's schema rejects is reported with its problems, named <file>@<ref>", () => {
    fs.writeFileSync(file, fs.readFileSync(DEV_STACK_FILE, "utf8").replace("gpuLimit: 16", "gpuLimit: 0"));
    git("commit", "-q", "-am", "broken");
    fs.copyFileSync(DEV_STACK_FILE, file);
    const compared = compareWithBase("HEAD", file, "dev", head, evaluate);
    expect(compared).toMatchObject({ status: "base-invalid", problems: ["Pulumi.dev.yaml@HEAD: gpu-inference:cluster.gpuPools[0].gpuLimit: expected a whole number of GPUs, at least 1"] });
  });

  it("the base's economics come from the policy config as it was at the base, the one source plan reads", () => {
    const policyFile = path.join(project.dir, "policies", "config", "dev.json");
    fs.mkdirSync(path.dirname(policyFile), { recursive: true });
    const policy = (fixed: number) => JSON.stringify({ "inference-break-even": { economics: { fixedMonthlyUsd: fixed, marginOfSafety: 0.2 } } });
    fs.writeFileSync(policyFile, policy(1234));
    git("add", "-A");
    git("commit", "-q", "-m", "policy config");
    fs.writeFileSync(policyFile, policy(9999)); // the working tree's value is not the base's
    const { config } = stackConfigAtRef("HEAD", file, policyFile);
    expect(config!.economics.fixedMonthlyUsd).toBe(1234);
    expect(config!.economics.marginOfSafety).toBe(0.2);
    expect(stackConfigAtRef(empty, file, policyFile).config).toBeNull();
  });

  it("an unknown ref is a clear usage error", () => {
    expect(() => readFileAtRef("no-such-branch", file)).toThrow(BaseRefError);
    expect(() => readFileAtRef("no-such-branch", file)).toThrow("--base no-such-branch: not a commit in this repository (fetch it first, e.g. `git fetch origin no-such-branch`)");
  });
});
