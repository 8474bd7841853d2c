import { describe, expect, it } from "vitest";
import { UNKNOWN } from "../../infra/policy/analyzer";
import { queueDepthAutoscaling } from "../../policies/rules/queue-depth-autoscaling";
import { compliantStack, inputsOf, setPath } from "../fixtures/resources/compliant-stack";
import { evaluate, unverified, violated } from "./helpers";
import { describePolicyCases } from "./policy-cases";

describePolicyCases(queueDepthAutoscaling);

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject";
const QUERY = ["spec", "triggers", 0, "metadata", "query"] as const;

describe("queue-depth-autoscaling", () => {
  it("a query scoped only by namespace is refused when another GPU workload shares the namespace", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, SCALED_OBJECT, "chat-scaler"), QUERY, 'sum(vllm:num_requests_waiting{namespace="team-a"})');
    // The batch ScaledJob runs GPU pods in the same namespace.
    const result = evaluate(queueDepthAutoscaling, stack);
    expect(violated(result)).toEqual(["queue-depth-autoscaling/selector-match"]);
    expect(result.findings[0]?.message).toContain("1 other GPU workload");
  });

  it("a pod-label matcher uses the Prometheus-sanitized label name", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, SCALED_OBJECT, "chat-scaler"), QUERY, 'sum(vllm:num_requests_waiting{namespace="team-a", app_kubernetes_io_instance="chat"})');
    expect(violated(evaluate(queueDepthAutoscaling, stack))).toEqual([]);
  });

  it("a pod pattern that the Deployment's pods do not match is refused", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, SCALED_OBJECT, "chat-scaler"), QUERY, 'sum(vllm:num_requests_waiting{namespace="team-a", pod=~"chatbot-.*"})');
    expect(violated(evaluate(queueDepthAutoscaling, stack))).toEqual(["queue-depth-autoscaling/selector-match"]);
    setPath(inputsOf(stack, SCALED_OBJECT, "chat-scaler"), QUERY, 'sum(vllm:num_requests_waiting{namespace="team-a", pod=~"chat-.*"})');
    expect(violated(evaluate(queueDepthAutoscaling, stack))).toEqual([]);
  });

  it("an invalid regex in the query is a finding, never an exception", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, SCALED_OBJECT, "chat-scaler"), QUERY, 'sum(vllm:num_requests_waiting{namespace="team-a", pod=~"chat-(("})');
    expect(() => evaluate(queueDepthAutoscaling, stack)).not.toThrow();
  });

  it("without a cold start annotation the configured default applies", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, DEPLOYMENT, "chat"), ["metadata", "annotations", "gpu-inference.dev/cold-start-seconds"], undefined);
    expect(violated(evaluate(queueDepthAutoscaling, stack))).toEqual([]); // 900 s window ≥ 600 s default
    const result = evaluate(queueDepthAutoscaling, stack, { defaultColdStartSeconds: 1200 });
    expect(violated(result)).toEqual(["queue-depth-autoscaling/cooldown"]);
    expect(result.findings[0]?.message).toContain("default cold start of 1200 s");
  });

  it("an unknown query is unverified (an explicit advisory), not a refusal and not a crash", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, SCALED_OBJECT, "chat-scaler"), QUERY, UNKNOWN);
    const result = evaluate(queueDepthAutoscaling, stack);
    expect(violated(result)).toEqual([]);
    // It may be the queue trigger: whether one exists, and the query's own checks, wait for the value.
    expect(unverified(result)).toEqual(["queue-depth-autoscaling/no-data-not-zero", "queue-depth-autoscaling/queue-trigger", "queue-depth-autoscaling/selector-match"]);
  });

  it("an unknown pool limit is unverified", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, "kubernetes:karpenter.sh/v1:NodePool", "l40s"), ["spec", "limits", "nvidia.com/gpu"], UNKNOWN);
    expect(unverified(evaluate(queueDepthAutoscaling, stack))).toEqual(["queue-depth-autoscaling/replica-budget"]);
  });

  it("the replica-budget message gives the arithmetic a reviewer can act on", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, SCALED_OBJECT, "chat-scaler"), ["spec", "maxReplicaCount"], 12);
    const messages = evaluate(queueDepthAutoscaling, stack).findings.map((f) => f.message);
    expect(messages).toEqual([expect.stringContaining("may ask for 12 GPUs (maxReplicaCount × 1 per replica)"), expect.stringContaining("allows 8")]);
    expect(messages[0]).toContain("is limited to 8");
  });

  it("a pool without a GPU limit is refused on the NodePool", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, "kubernetes:karpenter.sh/v1:NodePool", "l40s"), ["spec", "limits"], undefined);
    const result = evaluate(queueDepthAutoscaling, stack);
    expect(violated(result)).toEqual(["queue-depth-autoscaling/replica-budget"]);
    expect(result.findings.every((f) => f.urn.endsWith("NodePool::l40s"))).toBe(true);
  });
});
