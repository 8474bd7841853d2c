/**
 * The pull-request comment around the plans: the reason for a refusal or an error is in the
 * comment itself, the worst outcome sets the exit code, the comment fits GitHub's limit with a
 * pointer to the full report, and the posting script replaces an earlier comment or, for a fork's
 * read-only token, reports in the job summary. (The plans themselves: workflow.test.ts.)
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { COMMENT_MARKER, commentBody, EXIT_PLAN_CRASHED, GITHUB_COMMENT_LIMIT, truncateComment, worstCode, type PlanRun } from "../../infra/cli/pr-check";
import { REPO_ROOT } from "../fixtures/stack-files";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const postPlanComment = require(path.join(REPO_ROOT, ".github", "scripts", "post-plan-comment.cjs")) as (args: Record<string, unknown>) => Promise<string>;

const passed: PlanRun = { stack: "dev", code: 0, stdout: "### ✅ Plan for stack `dev` — PASS: no mandatory policy violated\n\nbody\n", stderr: "" };
const refused: PlanRun = { stack: "pilot", code: 1, stdout: "### ❌ Plan for stack `pilot` — REFUSED: 1 mandatory violation\n\n**Refused because:**\n\n- `inference-break-even` on Deployment support-chat: below break-even\n", stderr: "" };
const invalid: PlanRun = { stack: "broken", code: 2, stdout: "", stderr: "error: invalid stack config\n  Pulumi.broken.yaml: gpu-inference:cluster.gpuPools[0].gpuLimit: expected a whole number of GPUs, at least 1\n" };
const crashed: PlanRun = { stack: "odd", code: 134, stdout: "", stderr: "FATAL ERROR: heap out of memory ```\n" };

describe("the plan comment", () => {
  it("starts with the marker and one line per stack; the worst outcome is the exit code", () => {
    const body = commentBody([passed, refused], "origin/main");
    expect(body.startsWith(`${COMMENT_MARKER}\n## gpu-inference plan — ❌ a mandatory policy refused a stack\n`)).toBe(true);
    expect(body).toContain("| `dev` | ✅ pass |\n| `pilot` | ❌ refused |");
    expect(body).toContain("- `inference-break-even` on Deployment support-chat: below break-even");
    expect(worstCode([passed, refused])).toBe(1);
    expect(worstCode([passed, invalid, refused])).toBe(2);
    expect(worstCode([passed, crashed])).toBe(EXIT_PLAN_CRASHED);
    expect(worstCode([passed])).toBe(0);
  });

  it("an invalid stack or a crash shows the plan's own message in the comment, not only in the job log", () => {
    const body = commentBody([passed, invalid, crashed], "origin/main");
    expect(body).toContain("## gpu-inference plan — 💥 a plan crashed");
    expect(body).toContain("### ⚠️ Plan for stack `broken` — invalid input (exit 2)");
    expect(body).toContain("Pulumi.broken.yaml: gpu-inference:cluster.gpuPools[0].gpuLimit: expected a whole number of GPUs, at least 1");
    expect(body).toContain("### 💥 Plan for stack `odd` — the plan crashed (exit 134)");
    // The message's own backticks cannot close the fence around it.
    expect(body).toContain("````\nFATAL ERROR: heap out of memory ```\n````");
  });

  it("fits GitHub's 65,536-character limit, cut at a line with open blocks closed, and points to the full report", () => {
    const long: PlanRun = { ...passed, stdout: `### ✅ Plan for stack \`dev\`\n\n<details><summary>many</summary>\n\n${"| row | with | cells |\n".repeat(5000)}</details>\n` };
    const full = commentBody([long], "origin/main");
    expect(full.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT);
    const cut = truncateComment(full, "The full report is in the job summary: https://github.com/acme/gpu-inference/actions/runs/4242");
    expect(cut.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(cut.startsWith(COMMENT_MARKER)).toBe(true);
    expect(cut).toMatch(/\| row \| with \| cells \|\n<\/details>\n\n---\n\*\*Truncated\*\*: this report is [\d,]+ characters, over GitHub's 65,536-character comment limit\. The full report is in the job summary: https:\/\/github\.com\/acme\/gpu-inference\/actions\/runs\/4242\n$/);
    expect(truncateComment("short", "x")).toBe("short");
  });
});

describe("posting the comment (.github/scripts/post-plan-comment.cjs)", () => {
  const context = { repo: { owner: "acme", repo: "gpu-inference" }, payload: { pull_request: { number: 12 } } };
  function fakeGitHub(existing: { id: number; user: { type: string }; body: string }[], failWith?: number) {
    const calls: { kind: string; args: Record<string, unknown> }[] = [];
    const maybeFail = () => {
      if (failWith !== undefined) throw Object.assign(new Error("Resource not accessible by integration"), { status: failWith });
    };
    return {
      calls,
      github: {
        paginate: async () => existing,
        rest: {
          issues: {
            listComments: {},
            createComment: async (args: Record<string, unknown>) => (maybeFail(), calls.push({ kind: "create", args })),
            updateComment: async (args: Record<string, unknown>) => (maybeFail(), calls.push({ kind: "update", args })),
          },
        },
      },
    };
  }
  const core = () => {
    const notes: string[] = [];
    const summary = { addRaw: (s: string) => (notes.push(s), summary), write: async () => summary };
    return { notes, core: { warning: (s: string) => notes.push(s), summary } };
  };

  it("creates the comment the first time, and updates the bot's marked comment afterwards (a red run replaces a green one)", async () => {
    const first = fakeGitHub([{ id: 1, user: { type: "User" }, body: `${COMMENT_MARKER} quoted by a person` }]);
    expect(await postPlanComment({ ...first, context, core: core().core, body: "new", planOutcome: "success", runUrl: "u" })).toBe("created");
    expect(first.calls).toEqual([{ kind: "create", args: { owner: "acme", repo: "gpu-inference", issue_number: 12, body: "new" } }]);

    const later = fakeGitHub([{ id: 9, user: { type: "Bot" }, body: `${COMMENT_MARKER}\n## gpu-inference plan — ✅ every stack passes` }]);
    expect(await postPlanComment({ ...later, context, core: core().core, body: `${COMMENT_MARKER}\n## ❌ refused`, planOutcome: "failure", runUrl: "u" })).toBe("updated");
    expect(later.calls).toEqual([{ kind: "update", args: { owner: "acme", repo: "gpu-inference", comment_id: 9, body: `${COMMENT_MARKER}\n## ❌ refused` } }]);
  });

  it("when the plan step wrote nothing (an earlier step failed), the comment says so instead of leaving a stale one", async () => {
    const gh = fakeGitHub([{ id: 9, user: { type: "Bot" }, body: `${COMMENT_MARKER}\nold green` }]);
    await postPlanComment({ ...gh, context, core: core().core, body: null, planOutcome: "skipped", runUrl: "https://github.com/acme/gpu-inference/actions/runs/1" });
    const body = gh.calls[0]!.args.body as string;
    expect(body.startsWith(`${COMMENT_MARKER}\n## gpu-inference plan — 💥 not run`)).toBe(true);
    expect(body).toContain("(its outcome: `skipped`)");
    expect(body).toContain("https://github.com/acme/gpu-inference/actions/runs/1");
  });

  it("a fork's read-only token: no failure, a warning and a note in the job summary, where the report is", async () => {
    const gh = fakeGitHub([], 403);
    const { notes, core: fakeCore } = core();
    expect(await postPlanComment({ ...gh, context, core: fakeCore, body: "report", planOutcome: "success", runUrl: "u" })).toBe("summary-only");
    expect(notes[0]).toContain("could not post the plan comment (HTTP 403");
    expect(notes[1]).toContain("read-only token, as for a fork's pull request");
  });

  it("any other API failure fails the step", async () => {
    const gh = fakeGitHub([], 500);
    await expect(postPlanComment({ ...gh, context, core: core().core, body: "report", planOutcome: "success", runUrl: "u" })).rejects.toThrow("Resource not accessible");
  });
});
