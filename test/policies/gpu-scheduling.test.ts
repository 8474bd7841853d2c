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
    setPath(inputsOf(stack, "kubernetes:karpenter.sh/v1:NodePool", "l40s"), ["spec", "limits", "nvidia.com/gpu"], "22"); // 4 × 4 + 2 + a 4-GPU surge
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

  describe("pool-headroom: a GPU pool's limit leaves room for a rollout at full scale", () => {
    const NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool";
    const SCALED_JOB = "kubernetes:keda.sh/v1alpha1:ScaledJob";
    const poolLimit = (stack: ReturnType<typeof compliantStack>, pool: string, limit: unknown) => setPath(inputsOf(stack, NODE_POOL, pool), ["spec", "limits", "nvidia.com/gpu"], limit);
    /** A second GPU pool `l4`, labelled and limited like the fixture's `l40s`. */
    const withSecondPool = (stack: ReturnType<typeof compliantStack>, limit: string) => {
      const l40s = stack.find((r) => r.type === NODE_POOL && r.name === "l40s")!;
      const l4 = { ...structuredClone(l40s), name: "l4", ...(l40s.urn !== undefined ? { urn: l40s.urn.replace(/l40s$/, "l4") } : {}) };
      setPath(l4.inputs, ["metadata"], { name: "l4", labels: { "gpu-inference/pool": "l4" } });
      setPath(l4.inputs, ["spec", "template", "metadata", "labels"], { "gpu-inference/pool": "l4" });
      setPath(l4.inputs, ["spec", "limits", "nvidia.com/gpu"], limit);
      stack.push(l4);
    };

    it("refuses a limit below the pool's workloads at max replicas plus the largest surge, and says the arithmetic", () => {
      const stack = compliantStack();
      poolLimit(stack, "l40s", "6");
      const result = evaluate(gpuScheduling, stack);
      expect(violated(result)).toEqual(["gpu-scheduling/pool-headroom"]);
      expect(result.findings[0]?.urn).toMatch(/NodePool::l40s$/);
      expect(result.findings[0]?.message).toBe(
        'NodePool "l40s"\'s GPU limit (`spec.limits["nvidia.com/gpu"]: 6`) is below what the workloads placed on it can hold: 6 GPUs at max replicas (Deployment chat 4 × 1, ScaledJob summarize 2 × 1) plus 1 for the largest rolling-update surge (Deployment chat: 1 pod × 1 GPU) = 7. ' +
          "At full scale Karpenter launches no node for a rollout's surge pod, which stays Pending, and the rollout stalls. Raise the pool's limit (`cluster.gpuPools[].gpuLimit`) to at least 7, or roll that Deployment with maxSurge: 0 (it then drops a replica during the rollout).",
      );
      poolLimit(stack, "l40s", 7);
      expect(violated(evaluate(gpuScheduling, stack))).toEqual([]);
    });

    it("counts no surge for a Recreate rollout", () => {
      const stack = compliantStack();
      poolLimit(stack, "l40s", "6");
      setPath(inputsOf(stack, DEPLOYMENT, "chat"), ["spec", "strategy"], { type: "Recreate" });
      expect(violated(evaluate(gpuScheduling, stack))).toEqual([]);
    });

    it("counts only the workloads that land on the pool, each pool against its own limit", () => {
      const stack = compliantStack();
      withSecondPool(stack, "2");
      setPath(inputsOf(stack, SCALED_JOB, "summarize-batch"), ["spec", "jobTargetRef", "template", "spec", "nodeSelector"], { "gpu-inference/pool": "l4" });
      poolLimit(stack, "l40s", "5"); // chat alone: 4 × 1 + a surge of 1
      expect(violated(evaluate(gpuScheduling, stack))).toEqual([]);
      poolLimit(stack, "l4", "1"); // summarize: 2 × 1
      const result = evaluate(gpuScheduling, stack);
      expect(violated(result)).toEqual(["gpu-scheduling/pool-headroom"]);
      expect(result.findings[0]?.message).toContain("2 GPUs at max replicas (ScaledJob summarize 2 × 1) = 2. Raise the pool's limit");
    });

    it("has nothing to check on a pool without a GPU limit (Karpenter puts no ceiling on it)", () => {
      const stack = compliantStack();
      setPath(inputsOf(stack, NODE_POOL, "l40s"), ["spec", "limits"], undefined);
      expect(violated(evaluate(gpuScheduling, stack))).toEqual([]);
    });

    it("cannot verify while the limit, or where a workload lands, is unknown, and never refuses for it", () => {
      const unknownLimit = compliantStack();
      poolLimit(unknownLimit, "l40s", UNKNOWN);
      const result = evaluate(gpuScheduling, unknownLimit);
      expect(violated(result)).toEqual([]);
      expect(unverified(result)).toEqual(["gpu-scheduling/pool-headroom"]);
      const unknownPool = compliantStack();
      poolLimit(unknownPool, "l40s", "6");
      setPath(inputsOf(unknownPool, SCALED_JOB, "summarize-batch"), ["spec", "jobTargetRef", "template", "spec", "nodeSelector"], UNKNOWN);
      const placed = evaluate(gpuScheduling, unknownPool);
      expect(violated(placed)).toEqual([]);
      expect(unverified(placed)).toContain("gpu-scheduling/pool-headroom");
    });
  });
});
