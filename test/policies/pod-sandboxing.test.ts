import { describe, expect, it } from "vitest";
import { UNKNOWN } from "../../infra/policy/analyzer";
import { isPinned, podSandboxing } from "../../policies/rules/pod-sandboxing";
import { compliantStack, inputsOf, setPath } from "../fixtures/resources/compliant-stack";
import { evaluate, unverified, violated } from "./helpers";
import { describePolicyCases } from "./policy-cases";

describePolicyCases(podSandboxing);

describe("pod-sandboxing", () => {
  it.each([
    ["vllm/vllm-openai:v0.26.0", true],
    ["registry.example.com:5000/vllm/vllm-openai:v0.26.0", true],
    [`vllm/vllm-openai@sha256:${"a".repeat(64)}`, true],
    ["vllm/vllm-openai", false],
    ["registry.example.com:5000/vllm/vllm-openai", false],
    ["vllm/vllm-openai:latest", false],
    ["", false],
  ])("isPinned(%j) is %s", (image, pinned) => {
    expect(isPinned(image)).toBe(pinned);
  });

  it("an unknown image is unverified (an advisory), not a refusal", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, "kubernetes:apps/v1:Deployment", "chat"), ["spec", "template", "spec", "containers", 0, "image"], UNKNOWN);
    const result = evaluate(podSandboxing, stack);
    expect(violated(result)).toEqual([]);
    expect(unverified(result)).toEqual(["pod-sandboxing/pinned-image"]);
    expect(result.findings[0]?.message).toContain("spec.template.spec.containers[0].image");
  });

  it("the runAsNonRoot of the pod covers containers that do not set it", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, "kubernetes:apps/v1:Deployment", "chat"), ["spec", "template", "spec", "containers", 0, "securityContext", "runAsNonRoot"], undefined);
    expect(evaluate(podSandboxing, stack).findings).toEqual([]);
  });

  it("exempt namespaces are skipped", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, "kubernetes:apps/v1:Deployment", "chat"), ["spec", "template", "spec", "hostNetwork"], true);
    expect(violated(evaluate(podSandboxing, stack, { exemptNamespaces: ["team-a"] }))).toEqual([]);
  });

  it("a secret image value is never echoed", () => {
    const stack = compliantStack();
    const image = "registry.internal/secret-team/vllm:latest";
    setPath(inputsOf(stack, "kubernetes:apps/v1:Deployment", "chat"), ["spec", "template", "spec", "containers", 0, "image"], {
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      value: image,
    });
    const result = evaluate(podSandboxing, stack);
    expect(violated(result)).toEqual(["pod-sandboxing/pinned-image"]);
    expect(result.findings.map((f) => f.message).join("\n")).not.toContain("secret-team");
  });
});
