import { describe, expect, it } from "vitest";
import { UNKNOWN } from "../../infra/policy/analyzer";
import { tenantIsolation } from "../../policies/rules/tenant-isolation";
import { compliantStack, inputsOf, setPath } from "../fixtures/resources/compliant-stack";
import { evaluate, unverified, violated } from "./helpers";
import { describePolicyCases } from "./policy-cases";

describePolicyCases(tenantIsolation);

const DENY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

describe("tenant-isolation", () => {
  it("a deny policy with an allow rule is not default-deny", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, DENY, "team-a-default-deny"), ["spec", "ingress"], [{ from: [{ namespaceSelector: {} }] }]);
    expect(violated(evaluate(tenantIsolation, stack))).toEqual(["tenant-isolation/default-deny"]);
  });

  it("an ingress-only deny leaves egress open", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, DENY, "team-a-default-deny"), ["spec", "policyTypes"], ["Ingress"]);
    expect(violated(evaluate(tenantIsolation, stack))).toEqual(["tenant-isolation/default-deny"]);
  });

  it("a deny policy in another namespace does not count", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, DENY, "team-a-default-deny"), ["metadata", "namespace"], "team-b");
    expect(violated(evaluate(tenantIsolation, stack))).toEqual(["tenant-isolation/default-deny"]);
  });

  it("an unknown Pod Security label is unverified, not refused", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, "kubernetes:core/v1:Namespace", "team-a"), ["metadata", "labels", "pod-security.kubernetes.io/enforce"], UNKNOWN);
    const result = evaluate(tenantIsolation, stack);
    expect(violated(result)).toEqual([]);
    expect(unverified(result)).toEqual(["tenant-isolation/pod-security-restricted"]);
  });

  it("a namespace labelled as a tenant is checked before it serves anything", () => {
    const stack = compliantStack().filter((r) => r.type !== "kubernetes:apps/v1:Deployment" && r.type !== "kubernetes:keda.sh/v1alpha1:ScaledJob");
    expect(violated(evaluate(tenantIsolation, stack))).toEqual([]);
    const opened = stack.filter((r) => r.name !== "team-a-default-deny");
    const result = evaluate(tenantIsolation, opened);
    expect(violated(result)).toEqual(["tenant-isolation/default-deny"]);
    expect(result.findings[0]?.urn).toMatch(/Namespace::team-a$/);
  });

  it("sizes the quota for every workload at max replicas plus the largest rollout surge, and says the arithmetic", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, "kubernetes:core/v1:ResourceQuota", "team-a-gpu-quota"), ["spec", "hard", "requests.nvidia.com/gpu"], "6");
    const result = evaluate(tenantIsolation, stack);
    expect(violated(result)).toEqual(["tenant-isolation/quota-headroom"]);
    expect(result.findings[0]?.message).toBe(
      "Namespace \"team-a\"'s GPU quota (`requests.nvidia.com/gpu: 6`) is below what its workloads can hold: 6 GPUs at max replicas (Deployment chat 4 × 1, ScaledJob summarize 2 × 1) plus 1 for the largest rolling-update surge (Deployment chat: 1 pod × 1 GPU) = 7. At full scale a rollout's surge pod is rejected by the quota and the rollout stalls. Raise the quota to 7, or roll that Deployment with maxSurge: 0 (it then drops a replica during the rollout).",
    );
  });

  it("counts no surge for a Recreate or maxSurge: 0 rollout, and an explicit maxSurge as given", () => {
    const tight = () => {
      const stack = compliantStack();
      setPath(inputsOf(stack, "kubernetes:core/v1:ResourceQuota", "team-a-gpu-quota"), ["spec", "hard", "requests.nvidia.com/gpu"], "6");
      return stack;
    };
    const recreate = tight();
    setPath(inputsOf(recreate, "kubernetes:apps/v1:Deployment", "chat"), ["spec", "strategy"], { type: "Recreate" });
    expect(violated(evaluate(tenantIsolation, recreate))).toEqual([]);
    const noSurge = tight();
    setPath(inputsOf(noSurge, "kubernetes:apps/v1:Deployment", "chat"), ["spec", "strategy"], { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
    expect(violated(evaluate(tenantIsolation, noSurge))).toEqual([]);
    const wide = compliantStack(); // quota 8: 6 + a surge of 2 fits, 3 does not
    setPath(inputsOf(wide, "kubernetes:apps/v1:Deployment", "chat"), ["spec", "strategy"], { type: "RollingUpdate", rollingUpdate: { maxSurge: 2, maxUnavailable: 0 } });
    expect(violated(evaluate(tenantIsolation, wide))).toEqual([]);
    setPath(inputsOf(wide, "kubernetes:apps/v1:Deployment", "chat"), ["spec", "strategy", "rollingUpdate", "maxSurge"], "75%");
    expect(violated(evaluate(tenantIsolation, wide))).toEqual(["tenant-isolation/quota-headroom"]);
  });

  it("cannot verify the headroom while a replica bound is unknown, and never refuses for it", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, "kubernetes:keda.sh/v1alpha1:ScaledObject", "chat-scaler"), ["spec", "maxReplicaCount"], UNKNOWN);
    const result = evaluate(tenantIsolation, stack);
    expect(violated(result)).toEqual([]);
    expect(unverified(result)).toEqual(["tenant-isolation/quota-headroom"]);
  });
});
