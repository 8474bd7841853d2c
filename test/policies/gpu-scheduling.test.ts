import { describe, expect, it } from "vitest";
import { gpuScheduling } from "../../policies/rules/gpu-scheduling";
import { compliantStack, inputsOf, setPath, without } from "../fixtures/resources/compliant-stack";
import { UNKNOWN } from "../../infra/policy/analyzer";
import { evaluate, unverified, violated } from "./helpers";
import { describePolicyCases } from "./policy-cases";

describePolicyCases(gpuScheduling);

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const container = ["spec", "template", "spec", "containers", 0] as const;

describe("gpu-scheduling", () => {
  it("without a cold start annotation, the startup probe must cover the configured default", () => {
    const stack = compliantStack();
    const deployment = inputsOf(stack, DEPLOYMENT, "chat");
    setPath(deployment, ["metadata", "annotations", "gpu-inference.dev/cold-start-seconds"], undefined);
    expect(violated(evaluate(gpuScheduling, stack))).toEqual([]); // 84 × 10 s ≥ 600 s
    expect(violated(evaluate(gpuScheduling, stack, { defaultStartupSeconds: 900 }))).toEqual(["gpu-scheduling/startup-probe"]);
  });

  it("a malformed cold start annotation is a violation that says so, not an exception", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, DEPLOYMENT, "chat"), ["metadata", "annotations", "gpu-inference.dev/cold-start-seconds"], "seven minutes");
    const result = evaluate(gpuScheduling, stack);
    expect(violated(result)).toEqual(["gpu-scheduling/startup-probe"]);
    expect(result.findings[0]?.message).toContain("not a positive whole number of seconds");
  });

  it("selecting the pool by karpenter.sh/nodepool works too", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, DEPLOYMENT, "chat"), ["spec", "template", "spec", "nodeSelector"], { "karpenter.sh/nodepool": "l40s" });
    expect(violated(evaluate(gpuScheduling, stack))).toEqual([]);
  });

  it("a multi-GPU pod with /dev/shm passes", () => {
    const stack = compliantStack();
    const deployment = inputsOf(stack, DEPLOYMENT, "chat");
    setPath(deployment, [...container, "resources", "limits", "nvidia.com/gpu"], 4);
    expect(violated(evaluate(gpuScheduling, stack))).toEqual([]);
  });

  it("a PodDisruptionBudget selecting other pods does not count", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, "kubernetes:policy/v1:PodDisruptionBudget", "chat-pdb"), ["spec", "selector", "matchLabels", "app.kubernetes.io/instance"], "other");
    expect(violated(evaluate(gpuScheduling, stack))).toEqual(["gpu-scheduling/disruption-budget"]);
  });

  it("without NodePools in the stack, only karpenter.sh/nodepool can name a pool (EKS Auto Mode's built-in pools)", () => {
    const stack = without(compliantStack(), "kubernetes:karpenter.sh/v1:NodePool", "l40s");
    const result = evaluate(gpuScheduling, stack);
    expect(violated(result)).toEqual(["gpu-scheduling/pool-selector"]);
    expect(result.findings.every((f) => f.message.includes("matches no NodePool in this stack"))).toBe(true);
    for (const r of stack) if (r.type === DEPLOYMENT || r.type === "kubernetes:keda.sh/v1alpha1:ScaledJob") {
      const podSpec = r.type === DEPLOYMENT ? ["spec", "template", "spec"] : ["spec", "jobTargetRef", "template", "spec"];
      setPath(r.inputs, [...podSpec, "nodeSelector"], { "karpenter.sh/nodepool": "gpu" });
    }
    expect(violated(evaluate(gpuScheduling, stack))).toEqual([]);
  });

  it("sizes the fix: the violation names the node disk that would hold the request", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, DEPLOYMENT, "chat"), [...container, "resources", "requests", "ephemeral-storage"], "228Gi");
    const result = evaluate(gpuScheduling, stack);
    expect(violated(result)).toEqual(["gpu-scheduling/node-disk"]);
    expect(result.findings[0]?.message).toMatch(/requests 228 GiB of ephemeral storage.*\(120 GiB\), which leaves a pod 56 GiB.*at least 330Gi/);
    setPath(inputsOf(stack, "kubernetes:eks.amazonaws.com/v1:NodeClass", "gpu-eks-nodeclass-l40s"), ["spec", "ephemeralStorage", "size"], "330Gi");
    expect(violated(evaluate(gpuScheduling, stack))).toEqual([]);
  });

  it("cannot verify a node disk whose size is unknown at preview, and does not refuse it", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, "kubernetes:eks.amazonaws.com/v1:NodeClass", "gpu-eks-nodeclass-l40s"), ["spec", "ephemeralStorage", "size"], UNKNOWN);
    const result = evaluate(gpuScheduling, stack);
    expect(violated(result)).toEqual([]);
    expect(unverified(result)).toEqual(["gpu-scheduling/node-disk"]);
  });
});
