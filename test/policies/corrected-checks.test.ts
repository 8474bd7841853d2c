/**
 * Checks that used to give the wrong answer (issue #9 §2, issue #12's waiver binding): each case
 * failed before its fix. One change to the compliant stack per case.
 */
import { describe, expect, it } from "vitest";
import { inferenceBreakEven } from "../../policies/rules/inference-break-even";
import { podSandboxing } from "../../policies/rules/pod-sandboxing";
import { queueDepthAutoscaling } from "../../policies/rules/queue-depth-autoscaling";
import { tenantIsolation } from "../../policies/rules/tenant-isolation";
import { CHAT_PROFILE, compliantStack, inputsOf, setPath } from "../fixtures/resources/compliant-stack";
import { evaluate, reported, violated } from "./helpers";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SCALED_JOB = "kubernetes:keda.sh/v1alpha1:ScaledJob";
const NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool";
const container = ["spec", "template", "spec", "containers", 0] as const;

describe("corrected checks", () => {
  it("pod-sandboxing: a container's runAsNonRoot: false overrides the pod's true", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, DEPLOYMENT, "chat"), [...container, "securityContext", "runAsNonRoot"], false);
    // The pod still says true; Kubernetes applies the container's value.
    expect(violated(evaluate(podSandboxing, stack))).toEqual(["pod-sandboxing/run-as-non-root"]);
  });

  it("queue-depth-autoscaling: a ScaledJob triggered on an engine metric never starts a job", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, SCALED_JOB, "summarize-batch"), ["spec", "triggers"], [
      {
        type: "prometheus",
        metadata: {
          serverAddress: "http://prometheus-operated.monitoring.svc:9090",
          query: 'sum(vllm:num_requests_waiting{namespace="team-a", app_kubernetes_io_component="batch"})',
          threshold: "4",
          ignoreNullValues: "false",
        },
      },
    ]);
    expect(violated(evaluate(queueDepthAutoscaling, stack))).toEqual(["queue-depth-autoscaling/scale-from-zero"]);
  });

  it("tenant-isolation: a quota on limits.nvidia.com/gpu is no GPU cap (extended resources allow only requests.)", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, "kubernetes:core/v1:ResourceQuota", "team-a-gpu-quota"), ["spec", "hard"], { "limits.nvidia.com/gpu": "4" });
    const result = evaluate(tenantIsolation, stack);
    expect(violated(result)).toEqual(["tenant-isolation/gpu-quota"]);
    expect(result.findings[0]?.message).toContain("limits.nvidia.com/gpu");
  });

  describe("inference-break-even prices what the NodePool allows", () => {
    const config = { today: "2026-11-27" };
    const withTraffic = (requestsPerMonth: number) => {
      const stack = compliantStack();
      setPath(inputsOf(stack, DEPLOYMENT, "chat"), ["metadata", "annotations", "gpu-inference.dev/workload-profile"], JSON.stringify({ ...CHAT_PROFILE, traffic: { ...CHAT_PROFILE.traffic, requestsPerMonth } }));
      return stack;
    };
    const onSpot = (stack: ReturnType<typeof compliantStack>) => {
      setPath(inputsOf(stack, NODE_POOL, "l40s"), ["spec", "template", "spec", "requirements", 1], { key: "karpenter.sh/capacity-type", operator: "In", values: ["spot"] });
      return stack;
    };
    /** A traffic level the cost model prices below break-even on demand and above it on spot, found by a scan so it follows the model. */
    const marginalVolume = [500_000, 1_000_000, 1_500_000, 2_000_000, 3_000_000, 4_000_000, 6_000_000, 8_000_000, 12_000_000].find(
      (volume) => reported(evaluate(inferenceBreakEven, withTraffic(volume), config)).includes("inference-break-even/below-break-even") && reported(evaluate(inferenceBreakEven, onSpot(withTraffic(volume)), config)).length === 0,
    );
    const marginal = () => withTraffic(marginalVolume ?? NaN);

    it("some traffic level passes on spot and is refused on demand (the premise)", () => {
      expect(marginalVolume).toBeDefined();
    });

    it("a spot annotation on an on-demand-only NodePool is a violation, and the workload is priced on demand", () => {
      const stack = marginal();
      setPath(inputsOf(stack, NODE_POOL, "l40s"), ["metadata", "annotations", "gpu-inference/capacity-pricing"], "spot");
      const result = evaluate(inferenceBreakEven, stack, config);
      expect(violated(result)).toEqual(["inference-break-even/below-break-even", "inference-break-even/pricing-mismatch"]);
      expect(result.findings.find((f) => f.check.endsWith("pricing-mismatch"))?.message).toMatch(/on-demand/);
    });

    it("an annotation that agrees with the pool changes nothing", () => {
      const onDemand = compliantStack();
      setPath(inputsOf(onDemand, NODE_POOL, "l40s"), ["metadata", "annotations", "gpu-inference/capacity-pricing"], "on-demand");
      expect(violated(evaluate(inferenceBreakEven, onDemand, config))).toEqual([]);
      const spot = onSpot(marginal());
      setPath(inputsOf(spot, NODE_POOL, "l40s"), ["metadata", "annotations", "gpu-inference/capacity-pricing"], "spot");
      expect(violated(evaluate(inferenceBreakEven, spot, config))).toEqual([]);
    });
  });

  describe("inference-break-even: a waiver is bound to the owned share it was granted for", () => {
    const lowVolume = (targetOwnedPercent: number) => {
      const stack = compliantStack();
      const profile = { ...CHAT_PROFILE, traffic: { ...CHAT_PROFILE.traffic, requestsPerMonth: 50_000 }, rollout: { currentOwnedPercent: 10, targetOwnedPercent } };
      setPath(inputsOf(stack, DEPLOYMENT, "chat"), ["metadata", "annotations", "gpu-inference.dev/workload-profile"], JSON.stringify(profile));
      return stack;
    };
    const pilotWaiver = { today: "2026-11-27", waivers: [{ workload: "chat", ownedPercent: 10, reason: "10% pilot: measuring real latency on owned GPUs before deciding", expires: "2027-01-31" }] };

    it("waives the workload at the share it was granted for", () => {
      expect(evaluate(inferenceBreakEven, lowVolume(10), pilotWaiver).findings.map((f) => [f.kind, f.check])).toEqual([["advisory", "inference-break-even/waived"]]);
    });

    it("no longer waives it at 60 %, and says why", () => {
      const result = evaluate(inferenceBreakEven, lowVolume(60), pilotWaiver);
      expect(violated(result)).toEqual(["inference-break-even/below-break-even"]);
      expect(result.findings[0]?.message).toContain("granted for 10% owned share");
    });

    it("a waiver that names no owned share is a config error naming the key", () => {
      const result = evaluate(inferenceBreakEven, lowVolume(10), { today: "2026-11-27", waivers: [{ workload: "chat", reason: "a pilot to measure real latency", expires: "2027-01-31" }] });
      expect(violated(result)).toEqual(["inference-break-even/config"]);
      expect(result.findings[0]?.message).toContain("waivers.0.ownedPercent");
    });
  });
});
