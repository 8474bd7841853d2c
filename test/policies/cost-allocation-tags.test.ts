import { describe, expect, it } from "vitest";
import { UNKNOWN } from "../../infra/policy/analyzer";
import { costAllocationTags } from "../../policies/rules/cost-allocation-tags";
import { compliantStack, inputsOf, setPath } from "../fixtures/resources/compliant-stack";
import { evaluate, unverified, violated } from "./helpers";
import { describePolicyCases } from "./policy-cases";

describePolicyCases(costAllocationTags);

describe("cost-allocation-tags", () => {
  it("a resource's own tags complete the provider's default tags", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, "pulumi:providers:aws", "aws"), ["defaultTags"], JSON.stringify({ tags: { environment: "dev", workload: "gpu-inference" } }));
    for (const r of stack) if (r.type.startsWith("aws:")) setPath(r.inputs, ["tags", "team"], "ml-platform");
    expect(violated(evaluate(costAllocationTags, stack))).toEqual([]);
  });

  it("required tags come from the policy config", () => {
    const result = evaluate(costAllocationTags, compliantStack(), { requiredAwsTags: ["cost-center"] });
    expect(violated(result)).toEqual(["cost-allocation-tags/aws-tags"]);
    expect(result.findings.every((f) => f.message.includes("cost-center"))).toBe(true);
  });

  it("an unknown tag map is unverified, not refused", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, "pulumi:providers:aws", "aws"), ["defaultTags"], undefined);
    setPath(inputsOf(stack, "aws:sqs/queue:Queue", "team-a-summarize"), ["tags"], UNKNOWN);
    const result = evaluate(costAllocationTags, stack);
    expect(unverified(result)).toEqual(["cost-allocation-tags/aws-tags"]);
    expect(result.findings.filter((f) => f.kind === "violation").map((f) => f.urn)).not.toContain(expect.stringContaining("team-a-summarize"));
  });
});
