import { describe, expect, it } from "vitest";
import { clusterHardening } from "../../policies/rules/cluster-hardening";
import { compliantStack, inputsOf, setPath } from "../fixtures/resources/compliant-stack";
import { VERSION_DAY } from "../fixtures/resources/variants";
import { evaluate, violated } from "./helpers";
import { describePolicyCases } from "./policy-cases";

describePolicyCases(clusterHardening, { today: VERSION_DAY });

const CLUSTER = "aws:eks/cluster:Cluster";

describe("cluster-hardening", () => {
  it("an unknown KMS key ARN counts as present (the key is created in the same deploy)", () => {
    // The compliant fixture's keyArn is the engine's unknown sentinel.
    expect(violated(evaluate(clusterHardening, compliantStack()))).toEqual([]);
  });

  it("a public endpoint limited to listed CIDRs is allowed unless the config forbids it", () => {
    const stack = compliantStack();
    const cluster = inputsOf(stack, CLUSTER, "gpu-eks");
    setPath(cluster, ["vpcConfig", "endpointPublicAccess"], true);
    setPath(cluster, ["vpcConfig", "publicAccessCidrs"], ["203.0.113.0/24"]);
    expect(violated(evaluate(clusterHardening, stack))).toEqual([]);
    expect(violated(evaluate(clusterHardening, stack, { allowRestrictedPublicEndpoint: false }))).toEqual(["cluster-hardening/endpoint-access"]);
  });

  it("EKS's defaults (endpoint fields unset) are a public endpoint open to the internet", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, CLUSTER, "gpu-eks"), ["vpcConfig"], { subnetIds: ["subnet-1"] });
    const result = evaluate(clusterHardening, stack);
    expect(violated(result)).toEqual(["cluster-hardening/endpoint-access"]);
    expect(result.findings[0]?.message).toContain("whole internet");
  });
});
