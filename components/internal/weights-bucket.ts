/**
 * The model-weights bucket: versioned, SSE-KMS with its own key, public access blocked, owner-enforced,
 * TLS-only, old versions expired. No bucket policy grants access: only IAM roles that name a
 * prefix (each tenant's) can read, so serving workloads are its only readers.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyDocument } from "./iam";

export interface WeightsBucketSettings {
  readonly name: string;
  readonly clusterName: string;
  readonly protect: boolean;
  readonly noncurrentVersionExpirationDays: number;
}

export interface WeightsBucket {
  readonly bucket: aws.s3.Bucket;
  readonly key: aws.kms.Key;
}

export function createWeightsBucket(settings: WeightsBucketSettings, parent: pulumi.Resource): WeightsBucket {
  const { name } = settings;
  const opts: pulumi.CustomResourceOptions = { parent };
  const key = new aws.kms.Key(`${name}-weights`, {
    description: `${settings.clusterName}: model-weights bucket encryption`,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
  }, { parent, protect: settings.protect });
  new aws.kms.Alias(`${name}-weights`, { name: `alias/${settings.clusterName}-weights`, targetKeyId: key.keyId }, opts);

  const bucket = new aws.s3.Bucket(`${name}-weights`, {
    bucketPrefix: `${settings.clusterName}-weights-`,
    forceDestroy: false,
  }, { parent, protect: settings.protect });
  new aws.s3.BucketOwnershipControls(`${name}-weights`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, opts);
  const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(`${name}-weights`, {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  }, opts);
  new aws.s3.BucketVersioning(`${name}-weights`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, opts);
  new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-weights`, {
    bucket: bucket.id,
    rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn }, bucketKeyEnabled: true }],
  }, opts);
  new aws.s3.BucketLifecycleConfiguration(`${name}-weights`, {
    bucket: bucket.id,
    rules: [
      {
        id: "expire-old-versions",
        status: "Enabled",
        filter: {},
        noncurrentVersionExpiration: { noncurrentDays: settings.noncurrentVersionExpirationDays },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
      },
    ],
  }, opts);
  new aws.s3.BucketPolicy(`${name}-weights`, {
    bucket: bucket.id,
    policy: policyDocument([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: ["s3:*"],
        Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]),
  }, { parent, dependsOn: [publicAccessBlock] });
  return { bucket, key };
}
