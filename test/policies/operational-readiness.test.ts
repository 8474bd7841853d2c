import { describe, expect, it } from "vitest";
import { gradeReadiness, operationalReadiness } from "../../policies/rules/operational-readiness";
import { compliantStack } from "../fixtures/resources/compliant-stack";
import { GREEN_SCORECARD } from "../fixtures/resources/variants";
import { evaluate } from "./helpers";
import { describePolicyCases } from "./policy-cases";

describePolicyCases(operationalReadiness, GREEN_SCORECARD);

const card = (peopleOnCall: number, modelCi = true, automatedEvaluation = true, dashboards = true) => ({ peopleOnCall, modelCi, automatedEvaluation, dashboards });

describe("operational-readiness", () => {
  it.each([
    [card(2), "green", []],
    [card(5), "green", []],
    [card(1), "yellow", []],
    [card(3, false), "yellow", ["model CI"]],
    [card(0), "red", []],
    [card(3, true, false, false), "red", ["automated evaluation", "dashboards and alerts"]],
  ] as const)("%j grades %s", (scorecard, grade, missing) => {
    expect(gradeReadiness(scorecard, 2)).toEqual({ grade, missing });
  });

  it("red is reported at the policy's level, yellow always as an advisory", () => {
    const red = evaluate(operationalReadiness, compliantStack(), { scorecard: card(0) });
    expect(red.findings.map((f) => [f.kind, f.check])).toEqual([["violation", "operational-readiness/red"]]);
    const yellow = evaluate(operationalReadiness, compliantStack(), { scorecard: card(1) });
    expect(yellow.findings.map((f) => [f.kind, f.check])).toEqual([["advisory", "operational-readiness/yellow"]]);
    expect(yellow.findings[0]?.message).toContain("1 of 2 people on call");
  });

  it("is not applicable until the stack declares a scorecard", () => {
    expect(evaluate(operationalReadiness, compliantStack()).notApplicable).toMatch(/no readiness scorecard/);
  });
});
