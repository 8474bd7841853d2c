/* global module */
/**
 * Called by the workflow's actions/github-script step: post the plan comment, or update the one
 * an earlier run posted (found by its hidden marker), so a failed run replaces an earlier green
 * comment instead of leaving it standing. When the plan step did not produce a comment (an
 * earlier step failed), post that instead of nothing. A fork's pull request gets a read-only
 * token: then say so in the job summary, where the full report already is, and do not fail.
 *
 * @param {object} args
 * @param {object} args.github   octokit from github-script
 * @param {object} args.context  the event context from github-script
 * @param {object} args.core     @actions/core from github-script
 * @param {string|null} args.body       the comment the plan step wrote; null when it wrote none
 * @param {string} args.planOutcome     steps.plan.outcome: success | failure | cancelled | skipped
 * @param {string} args.runUrl          this run's page
 */
const MARKER = "<!-- gpu-inference-plan -->";

module.exports = async function postPlanComment({ github, context, core, body, planOutcome, runUrl }) {
  const text =
    body ??
    [
      MARKER,
      "## gpu-inference plan — 💥 not run",
      "",
      `The plan step did not write a report (its outcome: \`${planOutcome}\`): a step before it failed, so nothing was checked. See the job log: ${runUrl}`,
      "",
    ].join("\n");
  const { owner, repo } = context.repo;
  const issue_number = context.payload.pull_request.number;
  try {
    const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 });
    const earlier = comments.find((c) => c.user?.type === "Bot" && typeof c.body === "string" && c.body.startsWith(MARKER));
    if (earlier !== undefined) await github.rest.issues.updateComment({ owner, repo, comment_id: earlier.id, body: text });
    else await github.rest.issues.createComment({ owner, repo, issue_number, body: text });
    return earlier !== undefined ? "updated" : "created";
  } catch (error) {
    if (error.status !== 403 && error.status !== 404) throw error;
    // A fork's pull request: the token cannot write comments. The result is in the job summary.
    core.warning(`could not post the plan comment (HTTP ${error.status}: ${error.message}); the plan is in this run's job summary`);
    await core.summary.addRaw(`\n> The plan comment could not be posted on the pull request (read-only token, as for a fork's pull request); the report above is the result.\n`).write();
    return "summary-only";
  }
};
