/**
 * IAM policy documents as typed data, rendered with `pulumi.jsonStringify` so they stay valid JSON
 * whatever ARNs resolve to. Allow statements name actions and resources exactly; the only
 * wildcards are ARN name prefixes (`<bucket>/<tenant>/*`) and the Deny of the TLS-only bucket policy.
 */
import * as pulumi from "@pulumi/pulumi";

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: readonly string[];
  readonly Resource?: pulumi.Input<string> | readonly pulumi.Input<string>[];
  readonly Principal?: string | Readonly<Record<string, string | readonly string[]>>;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, pulumi.Input<string> | readonly pulumi.Input<string>[]>>>>;
}

/** A policy document as a JSON string. */
export function policyDocument(statements: readonly PolicyStatement[]): pulumi.Output<string> {
  return pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements });
}

/**
 * Use of an SSE-KMS bucket's key, only through S3 in the region (`kms:ViaService`): reading an
 * object needs kms:Decrypt, writing one kms:GenerateDataKey, and a multipart upload both.
 */
export function bucketKeyThroughS3(keyArn: pulumi.Input<string>, region: string, sid = "UseBucketKeyThroughS3"): PolicyStatement {
  return { Sid: sid, Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: keyArn, Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } } };
}

/** Trust policy for a role an AWS service assumes (EKS control plane, EC2 nodes). */
export function serviceTrustPolicy(service: string, actions: readonly string[]): pulumi.Output<string> {
  return policyDocument([{ Sid: "AllowServiceToAssume", Effect: "Allow", Principal: { Service: service }, Action: actions }]);
}

/**
 * Trust policy for an EKS Pod Identity role, limited to one cluster, namespace and service account
 * through the session tags EKS Pod Identity sets (`aws:RequestTag/eks-cluster-name`, ...).
 */
export function podIdentityTrustPolicy(args: {
  accountId: pulumi.Input<string>;
  clusterName: string;
  namespace: string;
  serviceAccount: string;
}): pulumi.Output<string> {
  return policyDocument([
    {
      Sid: "AllowEksPodIdentity",
      Effect: "Allow",
      Principal: { Service: "pods.eks.amazonaws.com" },
      Action: ["sts:AssumeRole", "sts:TagSession"],
      Condition: {
        StringEquals: {
          "aws:SourceAccount": args.accountId,
          "aws:RequestTag/eks-cluster-name": args.clusterName,
          "aws:RequestTag/kubernetes-namespace": args.namespace,
          "aws:RequestTag/kubernetes-service-account": args.serviceAccount,
        },
      },
    },
  ]);
}

/** ARN of an AWS-managed IAM policy. */
export function managedPolicyArn(partition: pulumi.Input<string>, name: string): pulumi.Output<string> {
  return pulumi.interpolate`arn:${partition}:iam::aws:policy/${name}`;
}
