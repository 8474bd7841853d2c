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
});
