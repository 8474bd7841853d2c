import { describe, expect, it } from "vitest";
import { UNKNOWN } from "../../infra/policy/analyzer";
import { awsHardening } from "../../policies/rules/aws-hardening";
import { compliantStack, inputsOf, setPath } from "../fixtures/resources/compliant-stack";
import { evaluate, unverified, violated } from "./helpers";
import { describePolicyCases } from "./policy-cases";

describePolicyCases(awsHardening);

const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const statement = (s: Record<string, unknown>) => JSON.stringify({ Version: "2012-10-17", Statement: [s] });

describe("aws-hardening", () => {
  it.each([
    ["every action on every resource", { Effect: "Allow", Action: "*", Resource: "*" }, true],
    ["NotAction on every resource", { Effect: "Allow", NotAction: "iam:*", Resource: ["*"] }, true],
    ["a service wildcard on one bucket", { Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::b/*" }, false],
    ["named actions on every resource (ecr:GetAuthorizationToken needs *)", { Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" }, false],
    ["a Deny with wildcards", { Effect: "Deny", Action: "*", Resource: "*" }, false],
  ])("iam-wildcard: %s", (_what, s, refused) => {
    const stack = compliantStack();
    setPath(inputsOf(stack, ROLE_POLICY, "team-a-summarize-job"), ["policy"], statement(s));
    expect(violated(evaluate(awsHardening, stack))).toEqual(refused ? ["aws-hardening/iam-wildcard"] : []);
  });

  it("a role's inline policies are read too", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, "aws:iam/role:Role", "team-a-summarize-job"), ["inlinePolicies"], [{ name: "all", policy: statement({ Effect: "Allow", Action: "*", Resource: "*" }) }]);
    expect(violated(evaluate(awsHardening, stack))).toEqual(["aws-hardening/iam-wildcard"]);
  });

  it("a policy document unknown at preview cannot be verified, and is not refused", () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, ROLE_POLICY, "team-a-summarize-job"), ["policy"], UNKNOWN);
    const result = evaluate(awsHardening, stack);
    expect(violated(result)).toEqual([]);
    expect(unverified(result)).toEqual(["aws-hardening/iam-wildcard"]);
  });

  it("a bucket policy open to Principal * is public; with a condition it is not", () => {
    const open = [...compliantStack(), { type: "aws:s3/bucketPolicy:BucketPolicy", name: "weights", inputs: { bucket: UNKNOWN, policy: statement({ Effect: "Allow", Principal: { AWS: "*" }, Action: "s3:GetObject", Resource: "arn:aws:s3:::w/*" }) } }];
    expect(violated(evaluate(awsHardening, open))).toEqual(["aws-hardening/public-bucket"]);
    const conditioned = [...compliantStack(), { type: "aws:s3/bucketPolicy:BucketPolicy", name: "weights", inputs: { bucket: UNKNOWN, policy: statement({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::w/*", Condition: { StringEquals: { "aws:SourceVpce": "vpce-1" } } }) } }];
    expect(violated(evaluate(awsHardening, conditioned))).toEqual([]);
  });

  it("an asymmetric KMS key is not asked to rotate (KMS rotates only symmetric keys)", () => {
    const stack = compliantStack();
    const key = inputsOf(stack, "aws:kms/key:Key", "gpu-eks-secrets");
    setPath(key, ["enableKeyRotation"], undefined);
    setPath(key, ["customerMasterKeySpec"], "RSA_2048");
    expect(violated(evaluate(awsHardening, stack))).toEqual([]);
  });
});
