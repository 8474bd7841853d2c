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
    // The same keys are required on the GPU nodes, through their NodeClass.
    expect(violated(result)).toEqual(["cost-allocation-tags/aws-tags", "cost-allocation-tags/node-class-tags"]);
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

  it("does not count the provider's default tags for GPU nodes: Auto Mode tags them from their NodeClass only", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, "kubernetes:eks.amazonaws.com/v1:NodeClass", "gpu-eks-nodeclass-l40s"), ["spec", "tags"], undefined);
    const result = evaluate(costAllocationTags, stack);
    expect(violated(result)).toEqual(["cost-allocation-tags/node-class-tags"]);
    expect(result.findings[0]?.message).toContain("lacks cost-allocation tags environment, team, workload in `spec.tags`");
  });

  it("cannot verify a NodeClass whose name or tags are unknown at preview, and does not refuse it", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, "kubernetes:karpenter.sh/v1:NodePool", "l40s"), ["spec", "template", "spec", "nodeClassRef", "name"], UNKNOWN);
    const result = evaluate(costAllocationTags, stack);
    expect(violated(result)).toEqual([]);
    expect(unverified(result)).toEqual(["cost-allocation-tags/node-class-tags"]);
  });
});
