/**
 * inference-break-even (mandatory): refuse a GPU workload whose modeled utilization falls below
 * break-even. The economics are recomputed here from the resources about to be deployed, with
 * the pack's own catalog and config; no number the program computed is trusted.
 */
import { z } from "zod";
import { evaluateWorkloadsSettled, stackCheck, type WorkloadEvaluation } from "../economics/evaluate";
import { economicsConfigSchema } from "../economics/schema";
import { gibToGb } from "../economics/weights";
import type { StackContext } from "../economics/types";
import { gateToday, waiverCovers, waiverProblem, waiverSchema, type Waiver } from "../waivers";
import { Findings, type RuleResult } from "./internal/findings";
import { gpuWorkloadsOf, workloadLabel } from "./internal/kubernetes";
import type { RuleDefinition } from "./internal/rule";
import type { StackView } from "./internal/stack";
import { gateStackContext, workloadFactsOf } from "./internal/workload-facts";

const configSchema = z.strictObject({
  /** Fixed costs, staff, margin of safety and price overrides; keep equal to the stacks' `economics`. @default - the economics defaults */
  economics: economicsConfigSchema.default(economicsConfigSchema.parse({})),
  /** Dated, reasoned waivers: a refusal becomes an advisory until `expires`. @default [] */
  waivers: z.array(waiverSchema).default([]),
  /** USD a month of NAT data processing for weights downloaded from the hub above which the gate advises staging them in S3 (`hub-downloads`). @default 100 */
  hubDownloadAdvisoryUsdPerMonth: z.number().min(0).default(100),
  /** Today's date for waiver expiry, ISO; for reproducible checks. @default - the current UTC date */
  today: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
});


const CHECKS = {
  "below-break-even": "modeled GPU utilization below break-even × (1 + margin)",
  waived: "below break-even, under a valid waiver",
  "waiver-invalid": "a waiver without a reason, or past its date",
  "profile-missing": "a GPU workload without a workload profile annotation",
  "profile-malformed": "a workload profile the economics schema rejects",
  unpriceable: "a GPU workload the gate cannot price (no node pool or instance types)",
  "pricing-mismatch": "a NodePool's pricing annotation claims a capacity type its requirements do not allow (the gate prices what the pool allows)",
  "economics-unknown": "a value the gate reads is unknown at preview",
  "stack-above-api": "owning the stack's unwaived workloads, with all its fixed costs, costs more than the API for them",
  "hub-downloads": "a workload downloads its weights from the Hugging Face hub through the NAT on so many modeled cold starts that staging them in S3 would save real money",
} as const;

const usd = (x: number) => `$${Math.round(x).toLocaleString("en-US")}`;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const gb = (gib: number) => Math.round(gibToGb(gib)).toLocaleString("en-US");

/** Why the gate refuses, with the numbers a reviewer needs and what would fix it. */
export function refusalMessage(e: WorkloadEvaluation, margin: number): string {
  const needed =
    e.breakEvenUtilization === null
      ? "there is no break-even: fixed costs alone exceed the API bill"
      : `it needs ${pct(e.requiredUtilization!)} (break-even ${pct(e.breakEvenUtilization)} + ${pct(margin)} margin)`;
  if (e.refusal !== null) {
    return (
      `workload "${e.name}": ${e.refusal}. Owning costs ${usd(e.ownedMonthlyUsd)}/month against ${usd(e.apiMonthlyUsd)}/month on the API. ` +
      `A dated, reasoned waiver in the policy config turns this into an advisory.`
    );
  }
  return (
    `workload "${e.name}": modeled GPU utilization ${pct(e.modeledUtilization)} at ${pct(e.targetOwnedShare)} owned share; ${needed}. ` +
    `Owning costs ${usd(e.ownedMonthlyUsd)}/month against ${usd(e.apiMonthlyUsd)}/month on the API. ` +
    `To fix: send more traffic to the owned path, lower minReplicas/maxReplicas or GPUs per replica, pick a cheaper GPU shape, or keep the workload on the API (rollout 0 %). ` +
    `A dated, reasoned waiver in the policy config turns this into an advisory.`
  );
}

function evaluate(view: StackView, config: z.output<typeof configSchema>): RuleResult {
  const findings = new Findings("inference-break-even", CHECKS);
  const today = gateToday(config.today);
  const waivers = new Map<string, Waiver>();
  for (const waiver of config.waivers) {
    const problem = waiverProblem(waiver, today);
    if (problem !== undefined) findings.violation("waiver-invalid", "", problem);
    else waivers.set(waiver.workload, waiver);
  }

  const workloads = gpuWorkloadsOf(view);
  if (workloads.length === 0 && config.waivers.length === 0) return findings.result("no GPU workloads in this stack");
  const facts = workloads.map((workload) => ({ workload, result: workloadFactsOf(view, workload) }));
  const context: StackContext = gateStackContext(view, config.economics);
  const priceable = facts.flatMap((f) => (f.result.kind === "facts" ? [{ workload: f.workload, facts: f.result.facts }] : []));
  // All workloads together: fixed costs are shared by billed GPU-hours, so no declared placeholder dilutes them.
  const settled = evaluateWorkloadsSettled(
    priceable.map((p) => p.facts),
    context,
  );
  const evaluations = new Map(priceable.map((p, i) => [p.workload, settled.results[i]!]));
  let refused = false;
  for (const { workload, result } of facts) {
    const urn = workload.resource.urn;
    if (result.kind === "unknown") {
      findings.unverified("economics-unknown", urn, `${workloadLabel(workload)}: ${result.what}`, result.path);
      continue;
    }
    if (result.kind === "invalid") {
      findings.violation(result.check, urn, `${workloadLabel(workload)} ${result.message}`);
      refused = true;
      continue;
    }
    if (result.pricingMismatch !== undefined) {
      findings.violation("pricing-mismatch", urn, `${workloadLabel(workload)} ${result.pricingMismatch}`);
      refused = true;
    }
    const evaluation = evaluations.get(workload)!;
    if (evaluation instanceof Error) {
      // A shape the catalog cannot price or hold (a replica wider than any instance, an unknown type): refuse, never crash.
      findings.violation("unpriceable", urn, `${workloadLabel(workload)} cannot be priced: ${evaluation.message}`);
      refused = true;
      continue;
    }
    const weights = result.facts.weights;
    const natUsd = evaluation.ownedCostBreakdown.natEgressUsd;
    if (weights?.source === "hub" && natUsd > 0 && natUsd >= config.hubDownloadAdvisoryUsdPerMonth) {
      findings.advisory(
        "hub-downloads",
        urn,
        `${workloadLabel(workload)} downloads its ${gb(weights.downloadGiB)} GB checkpoint from the Hugging Face hub through the NAT gateway on each of ` +
          `${Math.round(evaluation.replicaStartsPerMonth).toLocaleString("en-US")} modeled replica starts a month: ${usd(natUsd)}/month of NAT data processing, in its owned cost. ` +
          `Set serving.weightsSource: s3 to stage them once in the weights bucket and stream them through the S3 gateway endpoint (no per-GB charge, a shorter cold start).`,
      );
    }
    const waiver = waivers.get(evaluation.name);
    if (evaluation.passesGate) continue;
    const message = refusalMessage(evaluation, config.economics.marginOfSafety);
    const evaluatedPercent = evaluation.targetOwnedShare * 100;
    if (waiver === undefined) {
      findings.violation("below-break-even", urn, message);
      refused = true;
    } else if (!waiverCovers(waiver, evaluation.targetOwnedShare)) {
      findings.violation("below-break-even", urn, `${message} The waiver for "${waiver.workload}" was granted for ${waiver.ownedPercent}% owned share and does not cover ${evaluatedPercent.toFixed(0)}%: renew it for this share, with its reason, or fix the economics.`);
      refused = true;
    } else findings.advisory("waived", urn, `${message} Waived until ${waiver.expires} for up to ${waiver.ownedPercent}% owned share: ${waiver.reason!.trim()}`);
  }
  // The stack check needs every workload's facts: with one unknown, the fixed costs' share cannot be judged.
  const unknownFacts = facts.find((f) => f.result.kind === "unknown");
  // The stack as a whole, once every workload passes or is waived: all fixed costs against the unwaived workloads' API bill.
  const evaluated = settled.results.filter((r): r is WorkloadEvaluation => !(r instanceof Error));
  // Only a waiver that covers the share the workload is evaluated at takes it out of the stack's total.
  const covered = evaluated.filter((e) => {
    const waiver = waivers.get(e.name);
    return waiver !== undefined && waiverCovers(waiver, e.targetOwnedShare);
  });
  const stack = stackCheck(evaluated, settled.totals.fixedMonthlyUsd, new Set(covered.map((e) => e.name)));
  if (!refused && evaluated.length > 0 && !stack.passes) {
    if (unknownFacts !== undefined && unknownFacts.result.kind === "unknown") {
      findings.unverified("stack-above-api", "", "the stack's total against the API", unknownFacts.result.path);
    } else {
      findings.violation(
        "stack-above-api",
        "",
        `owning this stack's unwaived workloads costs ${usd(stack.ownedMonthlyUsd)}/month (fixed costs ${usd(settled.totals.fixedMonthlyUsd)} once for the stack) against ${usd(stack.apiMonthlyUsd)}/month on the API for the same traffic: ` +
          `move workloads back to the API, shrink fixed costs, or send more traffic to the owned path`,
      );
    }
  }
  return findings.result();
}

export const inferenceBreakEven: RuleDefinition<typeof configSchema> = {
  name: "inference-break-even",
  description: "Every GPU workload's modeled utilization, recomputed from the resources, clears break-even against its API alternative.",
  remediation:
    "Route more traffic to the owned path, shrink the replica bounds or GPUs per replica, choose a cheaper GPU shape (`npm run cost` names the cheapest), keep the workload on the API, or add a dated, reasoned waiver.",
  enforcementLevel: "mandatory",
  checks: CHECKS,
  config: configSchema,
  evaluate,
};
