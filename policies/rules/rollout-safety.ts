/**
 * rollout-safety (mandatory): traffic moves to owned GPUs one rung of the ladder at a time, never
 * to a workload the economics send to the API, and never without the API behind it.
 *
 * Read from the router's resources (Envoy AI Gateway AIGatewayRoutes, see internal/routes.ts):
 * - the owned weight is a rung of the ladder, and at most one rung above the weight the deployed
 *   route carried before (recorded on the route); going down, route-back to 0 included, is one step;
 * - a workload whose verdict, recomputed at the route's owned share, is `api` carries no owned traffic;
 * - a route with owned weight has an API backend at a higher priority for failed or spilled requests.
 */
import { z } from "zod";
import { evaluateWorkloadsSettled, type WorkloadEvaluation } from "../economics/evaluate";
import { economicsConfigSchema } from "../economics/schema";
import { ROLLOUT_PREVIOUS_OWNED_PERCENT_ANNOTATION } from "../contract";
import { Findings } from "./internal/findings";
import { gpuWorkloadsOf, workloadLabel, type Workload } from "./internal/kubernetes";
import type { RuleDefinition } from "./internal/rule";
import { workloadRoutesOf, type WorkloadRoute } from "./internal/routes";
import type { StackView } from "./internal/stack";
import { isUnknown } from "./internal/values";
import { gateStackContext, readProfile, workloadFactsOf } from "./internal/workload-facts";

/** The owned-share ladder, percent. */
export const DEFAULT_LADDER_PERCENT = [0, 10, 30, 60, 90, 100] as const;

const configSchema = z.strictObject({
  /** Owned percents a route may carry, ascending, from 0. @default [0, 10, 30, 60, 90, 100] */
  ladderPercent: z
    .array(z.number().int().min(0).max(100))
    .min(2)
    .refine((l) => l[0] === 0 && l.every((v, i) => i === 0 || v > l[i - 1]!), { error: "expected ascending percents starting at 0" })
    .default([...DEFAULT_LADDER_PERCENT]),
  /** Allow a step up to skip rungs (for a stack adopting the router mid-rollout). @default false */
  allowSkippingSteps: z.boolean().default(false),
  /** Economics the verdict is recomputed with; keep equal to `inference-break-even.economics`. @default - the economics defaults */
  economics: economicsConfigSchema.default(economicsConfigSchema.parse({})),
});

const CHECKS = {
  "off-ladder": "an owned weight that is not a rung of the ladder",
  "skipped-step": "an owned weight more than one rung above the weight the route carried before",
  "owned-for-api-verdict": "owned traffic for a workload whose verdict is `api`",
  "no-api-fallback": "owned traffic without an API backend to fall back to",
  "rollout-unknown": "a route value the check reads is unknown at preview",
} as const;

const urnOf = (route: WorkloadRoute) => route.route.urn;
const label = (route: WorkloadRoute) => `AIGatewayRoute "${route.route.name}" (alias "${route.alias}")`;

function checkLadder(findings: Findings, route: WorkloadRoute, ladder: readonly number[], allowSkipping: boolean): void {
  const owned = route.ownedPercent;
  if (!ladder.some((rung) => Math.abs(rung - owned) < 1e-9)) {
    findings.violation("off-ladder", urnOf(route), `${label(route)} sends ${owned.toFixed(1)}% to owned, not a rung of the ladder ${ladder.join(" → ")}; set rollout.currentOwnedPercent to a rung.`);
    return;
  }
  const previous = route.previousOwnedPercent;
  if (isUnknown(previous)) {
    findings.unverified("rollout-unknown", urnOf(route), `the step from the deployed weight (${label(route)})`, previous.path);
    return;
  }
  if (allowSkipping || owned <= (previous ?? 0)) return;
  const from = previous ?? 0;
  const nextRung = ladder.find((rung) => rung > from) ?? ladder[ladder.length - 1]!;
  if (owned > nextRung) {
    const source = previous === undefined ? `no previous weight (annotation \`${ROLLOUT_PREVIOUS_OWNED_PERCENT_ANNOTATION}\` absent), so from 0%` : `from the deployed ${from}%`;
    findings.violation("skipped-step", urnOf(route), `${label(route)} jumps to ${owned}% owned ${source}, skipping the ladder; the next step is ${nextRung}%. Move one rung per deploy and watch the spill and fallback rates between steps.`);
  }
}

function checkFallback(findings: Findings, route: WorkloadRoute): void {
  const ownedRefs = route.backends.filter((b) => b.kind === "owned" && b.weight > 0);
  if (ownedRefs.length === 0) return;
  const ownedPriority = Math.max(...ownedRefs.map((b) => b.priority));
  const fallback = route.backends.some((b) => b.kind === "api" && b.priority > ownedPriority && b.weight > 0);
  if (!fallback) {
    findings.violation(
      "no-api-fallback",
      urnOf(route),
      `${label(route)} sends traffic to owned backends with no API backend at a higher priority: a request the owned replicas refuse (spill) or fail would be lost. Add the API backendRef with \`priority: ${ownedPriority + 1}\`.`,
    );
  }
}

/** Whether a workload whose facts are unknown serves `alias` (its profile names it), or cannot tell. */
function readsAlias(workload: Workload, alias: string): boolean {
  const read = readProfile(workload);
  return "profile" in read ? read.profile.name === alias : true;
}

function evaluate(view: StackView, config: z.output<typeof configSchema>): RuleResult {
  const findings = new Findings("rollout-safety", CHECKS);
  const { routes, unknown } = workloadRoutesOf(view);
  if (routes.length === 0 && unknown.length === 0) return findings.result("no AIGatewayRoute in this stack");
  for (const u of unknown) findings.unverified("rollout-unknown", "", `a route of ${u.alias !== undefined ? `alias "${u.alias}"` : "the router"}`, u.path);

  // Verdicts as the gate computes them: every priceable workload together (fixed costs are shared by billed GPU-hours).
  const facts = gpuWorkloadsOf(view).map((workload) => ({ workload, result: workloadFactsOf(view, workload) }));
  const priceable = facts.flatMap((f) => (f.result.kind === "facts" ? [f.result.facts] : []));
  const settled = evaluateWorkloadsSettled(priceable, gateStackContext(view, config.economics)).results;
  const verdicts = new Map<string, WorkloadEvaluation>();
  settled.forEach((r) => {
    if (!(r instanceof Error)) verdicts.set(r.name, r);
  });

  for (const route of routes) {
    checkLadder(findings, route, config.ladderPercent, config.allowSkippingSteps);
    checkFallback(findings, route);
    if (route.ownedPercent <= 0) continue;
    const pending = facts.find((f) => f.result.kind === "unknown" && readsAlias(f.workload, route.alias));
    if (pending !== undefined && pending.result.kind === "unknown") {
      findings.unverified("rollout-unknown", urnOf(route), `the verdict of ${workloadLabel(pending.workload)} (${pending.result.what})`, pending.result.path);
      continue;
    }
    // No evaluation: not deployed, or unpriceable (inference-break-even reports that).
    const evaluation = verdicts.get(route.alias);
    if (evaluation?.verdict === "api") {
      findings.violation(
        "owned-for-api-verdict",
        urnOf(route),
        `${label(route)} sends ${route.ownedPercent}% to owned GPUs, but the economics' verdict for workload "${route.alias}" at that share is \`api\` (${evaluation.reasons.map((r) => r.detail).join("; ")}). Route back to 0% (rollout.currentOwnedPercent: 0) or fix the economics first.`,
      );
    }
  }
  return findings.result();
}

type RuleResult = ReturnType<Findings["result"]>;

export const rolloutSafety: RuleDefinition<typeof configSchema> = {
  name: "rollout-safety",
  description: "Owned traffic moves one rung of the rollout ladder at a time, never to a workload whose verdict is `api`, and always with the API behind it as fallback.",
  remediation:
    "Move `rollout.currentOwnedPercent` one rung per deploy (10 → 30 → 60 → 90 → 100; back to 0 at any time), keep a workload whose verdict is `api` at 0 %, and keep the API backend at a higher priority on every route with owned weight.",
  enforcementLevel: "mandatory",
  checks: CHECKS,
  config: configSchema,
  evaluate,
};
