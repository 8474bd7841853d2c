import { describe, expect, it } from "vitest";
import { credentialLiterals } from "../../policies/rules/credential-literals";
import { compliantStack, inputsOf, setPath } from "../fixtures/resources/compliant-stack";
import { evaluate, violated } from "./helpers";
import { describePolicyCases } from "./policy-cases";

describePolicyCases(credentialLiterals);

const container = ["spec", "template", "spec", "containers", 0] as const;

describe("credential-literals", () => {
  it("the token in the stack's Kubernetes Secret is where it belongs", () => {
    // The compliant fixture's Secret holds the token; the Deployment references it by secretKeyRef.
    expect(evaluate(credentialLiterals, compliantStack()).findings).toEqual([]);
  });

  it("a token pasted into an AWS tag is refused, and its value is never printed", () => {
    const stack = compliantStack();
    const token = `hf_${"Ab1".repeat(12)}`;
    setPath(inputsOf(stack, "aws:sqs/queue:Queue", "team-a-summarize"), ["tags", "debug"], token);
    const result = evaluate(credentialLiterals, stack);
    expect(violated(result)).toEqual(["credential-literals/known-token"]);
    expect(result.findings[0]?.message).toContain("`tags.debug`");
    expect(result.findings[0]?.message).not.toContain(token);
  });

  it("an API key in an argument is refused by its shape", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, "kubernetes:apps/v1:Deployment", "chat"), [...container, "args", 6], `--api-key=sk-proj-${"a1B2".repeat(10)}`);
    expect(violated(evaluate(credentialLiterals, stack))).toEqual(["credential-literals/known-token"]);
  });

  it("a credential env var that is empty or read from a Secret passes", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, "kubernetes:apps/v1:Deployment", "chat"), [...container, "env", 1], { name: "OPENAI_API_KEY", value: "" });
    setPath(inputsOf(stack, "kubernetes:apps/v1:Deployment", "chat"), [...container, "env", 2], { name: "ANTHROPIC_API_KEY", valueFrom: { secretKeyRef: { name: "keys", key: "anthropic" } } });
    expect(violated(evaluate(credentialLiterals, stack))).toEqual([]);
  });
});
