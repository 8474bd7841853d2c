/**
 * operational-readiness (advisory): owning GPUs is cheaper than tokens only if someone runs them.
 * The stack's readiness scorecard (people on call, model CI, automated evaluation, dashboards),
 * kept in this policy's config per stack, graded red / yellow / green whenever the stack serves
 * GPU workloads. Red is a finding at the policy's level (advisory by default); yellow is always
 * advisory; green passes.
 */
import { z } from "zod";
import { Findings } from "./internal/findings";
import { gpuWorkloadsOf } from "./internal/kubernetes";
import type { RuleDefinition } from "./internal/rule";

const scorecard = z.strictObject({
  /** People in the on-call rotation for owned inference. */
  peopleOnCall: z.number().int().nonnegative(),
  /** A model change (weights, vLLM version, flags) goes through CI before it serves. */
  modelCi: z.boolean(),
  /** Quality is evaluated automatically against the API baseline on every model change. */
  automatedEvaluation: z.boolean(),
  /** Dashboards and alerts on queue depth, latency, GPU utilization and errors exist. */
  dashboards: z.boolean(),
});

const config = z.strictObject({
  /** The readiness scorecard. @default - none: the policy is not applicable until a stack declares one */
  scorecard: scorecard.optional(),
  /** People on call needed for green (fewer, but at least one, is yellow; none is red). @default 2 */
  minPeopleOnCall: z.number().int().positive().default(2),
});

const checks = {
  red: "the scorecard grades red: no one on call, or two or more practices missing",
  yellow: "the scorecard grades yellow: fewer people on call than required, or one practice missing",
} as const;

export type ReadinessGrade = "red" | "yellow" | "green";

/** Grade a scorecard; `missing` lists the practices not in place, for the message. */
export function gradeReadiness(card: z.output<typeof scorecard>, minPeopleOnCall: number): { grade: ReadinessGrade; missing: string[] } {
  const missing = [
    ...(card.modelCi ? [] : ["model CI"]),
    ...(card.automatedEvaluation ? [] : ["automated evaluation"]),
    ...(card.dashboards ? [] : ["dashboards and alerts"]),
  ];
  if (card.peopleOnCall === 0 || missing.length >= 2) return { grade: "red", missing };
  if (card.peopleOnCall < minPeopleOnCall || missing.length === 1) return { grade: "yellow", missing };
  return { grade: "green", missing };
}

export const operationalReadiness: RuleDefinition<typeof config> = {
  name: "operational-readiness",
  description: "A stack that serves GPU workloads has people on call, model CI, automated evaluation and dashboards (readiness graded red / yellow / green).",
  remediation: "Staff the on-call rotation and put model CI, automated evaluation against the API baseline, and dashboards with alerts in place; record them in this policy's `scorecard` config.",
  enforcementLevel: "advisory",
  checks,
  config,
  evaluate(view, cfg) {
    const found = new Findings("operational-readiness", checks);
    const workloads = gpuWorkloadsOf(view);
    if (workloads.length === 0) return found.result("no GPU workloads in the stack");
    if (cfg.scorecard === undefined) return found.result("no readiness scorecard in this stack's policy config (`operational-readiness.scorecard`)");
    const { grade, missing } = gradeReadiness(cfg.scorecard, cfg.minPeopleOnCall);
    const onCall = `${cfg.scorecard.peopleOnCall} of ${cfg.minPeopleOnCall} people on call`;
    const gaps = missing.length > 0 ? `; missing: ${missing.join(", ")}` : "";
    const message = `readiness is ${grade} for ${workloads.length} GPU workload(s): ${onCall}${gaps}. Owned GPUs beat the API only if someone runs them: close the gaps before moving traffic from the API.`;
    if (grade === "red") found.violation("red", "", message);
    else if (grade === "yellow") found.advisory("yellow", "", message);
    return found.result();
  },
};
