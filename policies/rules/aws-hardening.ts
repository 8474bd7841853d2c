/**
 * aws-hardening: the AWS resources around the GPUs do not leak what they guard. KMS keys rotate,
 * buckets of model weights and batch files are never public, IAM statements never grant every
 * action on every resource, and a pod cannot borrow its node's role through the instance metadata
 * service. Conditions follow checkov's AWS checks (CKV_AWS_7, CKV_AWS_20, CKV_AWS_53–56, CKV_AWS_62/63,
 * CKV_AWS_341) and the EKS Best Practices Guide (security: restrict IMDS).
 */
import { z } from "zod";
import { Findings } from "./internal/findings";
import type { RuleDefinition } from "./internal/rule";
import { describe, type ResourceView } from "./internal/stack";
import { asArray, asFlag, asNumber, asRecord, asString, at, isPresent, isRecord, known, snapshot, type Plain } from "./internal/values";

const config = z.strictObject({});

const checks = {
  "kms-rotation": "symmetric KMS keys rotate their key material (enableKeyRotation: true)",
  "public-bucket": "no S3 bucket is public: public access blocks set all four flags, no public ACL, no bucket policy allowing Principal * without a condition",
  "iam-wildcard": "no IAM statement allows a wildcard action (`*` or `service:*`, or NotAction) on Resource `*`",
  "imds-hop-limit": "launch templates keep the instance metadata hop limit at 1, so pods cannot reach the node's role",
} as const;

const TYPE = {
  kmsKey: "aws:kms/key:Key",
  publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  aclHolders: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", "aws:s3/bucketAclV2:BucketAclV2", "aws:s3/bucketAcl:BucketAcl"],
  bucketPolicy: ["aws:s3/bucketPolicy:BucketPolicy"],
  iamPolicies: ["aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy"],
  role: "aws:iam/role:Role",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
} as const;

/** Canned ACLs that grant access beyond the account (S3 user guide, "Canned ACL"; CKV_AWS_20). */
const PUBLIC_ACLS = new Set(["public-read", "public-read-write", "authenticated-read"]);
const PUBLIC_ACCESS_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

export const awsHardening: RuleDefinition<typeof config> = {
  name: "aws-hardening",
  description: "KMS keys rotate, S3 buckets are never public, IAM statements never allow wildcard actions on every resource, and launch templates keep the IMDS hop limit at 1.",
  remediation:
    "aws.kms.Key enableKeyRotation: true; aws.s3.BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets true, no public-read ACLs, no Principal \"*\" in bucket policies; IAM statements naming actions and resource ARNs; launch template metadataOptions httpTokens: required, httpPutResponseHopLimit: 1.",
  enforcementLevel: "mandatory",
  checks,
  config,
  evaluate(view) {
    const found = new Findings("aws-hardening", checks);
    let checked = 0;
    for (const key of view.ofType(TYPE.kmsKey)) {
      checked += 1;
      found.check("kms-rotation", key.urn, `${describe(key)}'s rotation check`, () => {
        // Only symmetric encryption keys support automatic rotation (KMS developer guide, "Rotating keys").
        const spec = asString(at(key.props, "customerMasterKeySpec")) ?? "SYMMETRIC_DEFAULT";
        if (spec === "SYMMETRIC_DEFAULT" && asFlag(at(key.props, "enableKeyRotation")) !== true) {
          found.violation("kms-rotation", key.urn, `${describe(key)} does not rotate its key material (\`enableKeyRotation\` is false or unset): a leaked key encrypts forever. Set enableKeyRotation: true.`);
        }
      });
    }
    for (const block of view.ofType(TYPE.publicAccessBlock)) {
      checked += 1;
      found.check("public-bucket", block.urn, `${describe(block)}'s public access check`, () => {
        const open = PUBLIC_ACCESS_FLAGS.filter((flag) => asFlag(at(block.props, flag)) !== true);
        if (open.length > 0) found.violation("public-bucket", block.urn, `${describe(block)} leaves ${open.join(", ")} off: the bucket can be made public by an ACL or a policy. Set all four to true.`);
      });
    }
    for (const holder of view.ofType(...TYPE.aclHolders)) {
      checked += 1;
      found.check("public-bucket", holder.urn, `${describe(holder)}'s ACL check`, () => {
        const acl = asString(at(holder.props, "acl"));
        if (acl !== undefined && PUBLIC_ACLS.has(acl)) found.violation("public-bucket", holder.urn, `${describe(holder)} sets the canned ACL \`${acl}\`: its objects are readable outside the account. Remove the ACL (keep object ownership BucketOwnerEnforced).`);
      });
    }
    for (const policy of view.ofType(...TYPE.bucketPolicy)) {
      checked += 1;
      found.check("public-bucket", policy.urn, `${describe(policy)}'s principal check`, () => {
        statementsOf(at(policy.props, "policy")).forEach((statement, i) => {
          if (asString(at(statement, "Effect")) !== "Allow" || isPresent(at(statement, "Condition"))) return;
          if (principalIsAnyone(at(statement, "Principal"))) found.violation("public-bucket", policy.urn, `${describe(policy)} allows Principal "*" without a condition (\`Statement[${i}]\`): the bucket is public. Name the principals.`);
        });
      });
    }
    // Standalone policies carry one document in `policy`; a Role may carry several in `inlinePolicies[].policy`.
    const iamHolders: { resource: ResourceView; path: string; documents: () => (Plain | undefined)[] }[] = [
      ...view.ofType(...TYPE.iamPolicies).map((resource) => ({ resource, path: "policy", documents: () => [at(resource.props, "policy")] })),
      ...view.ofType(TYPE.role).map((resource) => ({ resource, path: "inlinePolicies", documents: () => asArray(at(resource.props, "inlinePolicies")).map((p) => at(p, "policy")) })),
    ];
    for (const { resource, path, documents } of iamHolders) {
      checked += 1;
      found.check("iam-wildcard", resource.urn, `${describe(resource)}'s IAM statement check`, () => {
        for (const document of documents()) {
          statementsOf(document).forEach((statement, i) => {
            if (asString(at(statement, "Effect")) !== "Allow") return;
            const actions = listOf(at(statement, "Action"));
            const wildcardAction = isPresent(at(statement, "NotAction")) || actions.some((a) => a === "*" || /^[a-z0-9-]+:\*$/i.test(a));
            if (wildcardAction && listOf(at(statement, "Resource")).includes("*")) {
              found.violation("iam-wildcard", resource.urn, `${describe(resource)} allows wildcard actions on Resource "*" (\`${path}\` Statement[${i}]): whoever holds it can do anything the service allows to everything in the account. Name the actions and the resource ARNs.`);
            }
          });
        }
      });
    }
    for (const template of view.ofType(TYPE.launchTemplate)) {
      checked += 1;
      found.check("imds-hop-limit", template.urn, `${describe(template)}'s metadata options check`, () => {
        const hops = asNumber(at(template.props, "metadataOptions", "httpPutResponseHopLimit"));
        if (hops !== undefined && hops > 1) {
          found.violation("imds-hop-limit", template.urn, `${describe(template)} sets \`metadataOptions.httpPutResponseHopLimit\` to ${hops}: every pod on the node can fetch the node role's credentials from IMDS. Set it to 1 (pods get their own role through Pod Identity).`);
        }
      });
    }
    return found.result(checked === 0 ? "no KMS keys, S3 buckets, IAM policies or launch templates in the stack" : undefined);
  },
};

/** A policy document's statements: the document arrives as a JSON string (or an object); throws `UnknownRead` when unknown. */
function statementsOf(document: Plain | undefined): readonly Plain[] {
  let value: Plain | undefined = known(document);
  if (typeof value === "string") {
    try {
      value = snapshot(JSON.parse(value) as unknown, "policy");
    } catch {
      return [];
    }
  }
  const statements = at(value, "Statement");
  return Array.isArray(known(statements)) ? asArray(statements) : isRecord(statements) ? [statements] : [];
}

/** A string-or-list IAM field as strings. */
function listOf(value: Plain | undefined): string[] {
  const v = known(value);
  if (typeof v === "string") return [v];
  return asArray(v).flatMap((entry) => (typeof known(entry) === "string" ? [entry as string] : []));
}

function principalIsAnyone(principal: Plain | undefined): boolean {
  const value = known(principal);
  if (value === "*") return true;
  return listOf(asRecord(value).AWS).includes("*");
}
