/**
 * WeightsStaging: one model revision copied from the Hugging Face hub into a tenant's prefix of the
 * weights bucket, once, so replicas stream it through the VPC's S3 gateway endpoint (no NAT
 * data-processing charge, a faster cold start) instead of downloading it through the NAT on every start.
 *
 * A Kubernetes Job in the tenant's namespace runs the stager script (`internal/weights-stager.ts`) in the
 * vLLM image, through the NAT once. Its identity (EKS Pod Identity) may list and write only its own
 * prefix, `<tenant>/models/<model id>/<revision>/`; serving pods read it with the tenant's role, which
 * already reads `<tenant>/*`. pulumi-kubernetes waits for a Job to complete (its `Complete` condition;
 * `Failed` fails the update at once), so a Deployment or ScaledJob that `dependsOn` this Job starts only
 * when the weights are in place; the wait is sized from the download (`pulumi.com/timeoutSeconds`).
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { TenantClusterRef } from "./internal/cluster-contract";
import { bucketKeyThroughS3, podIdentityTrustPolicy, policyDocument } from "./internal/iam";
import { STAGER_DIR, STAGER_FILE, STAGER_PY, STAGING_TIMEOUT_MARGIN_SECONDS, stagingTimeoutSeconds } from "./internal/weights-stager";
import { VLLM_IMAGE } from "./internal/vllm-flags";
import { CONTAINER_SECURITY_CONTEXT, hfTokenSecret, HF_TOKEN_SECRET_KEY, POD_SECURITY_CONTEXT } from "./internal/vllm-pod";
import { PULUMI_TIMEOUT_ANNOTATION } from "./vllm-server";

/** What staging needs from the cluster (a subset of `GpuCluster.tenantRef`). */
export type StagingClusterRef = Pick<TenantClusterRef, "clusterName" | "region" | "accountId" | "weightsBucketArn" | "weightsKeyArn">;

/** Defaults of WeightsStagingArgs; the docs below and the defaults test point here. */
export const WEIGHTS_STAGING_DEFAULTS = {
  cpu: 2,
  memoryGiB: 8,
  /** The Job holds one file at a time; hub checkpoints are sharded at 5 GB (transformers' `save_pretrained` default; 10 GB before v4.35). */
  workVolumeGiB: 30,
  /** Retries of the pod before the Job fails (each retry starts over; the marker makes finished runs free). */
  backoffLimit: 2,
  /** Seconds beyond the modeled transfer before pulumi up gives up: a node to launch, the image to pull, slow hub periods. */
  timeoutMarginSeconds: STAGING_TIMEOUT_MARGIN_SECONDS,
} as const;

export interface WeightsStagingArgs {
  /** Namespace the Job runs in: the tenant's (maps to `metadata.namespace` of every Kubernetes child and the Pod Identity association's `namespace`). */
  readonly namespace: string;
  /** The tenant's prefix in the weights bucket, ending in `/` (`Tenant.weightsPrefix`); the model goes under `<prefix>models/<model id>/<revision>`. */
  readonly tenantWeightsPrefix: string;
  /** Hugging Face model id (maps to the stager's `STAGE_MODEL_ID`). */
  readonly modelId: string;
  /** Hugging Face revision: branch, tag or commit (maps to `STAGE_REVISION`). @default "main" */
  readonly revision?: string;
  /** Size of the checkpoint, GiB: sizes the Job's time budget. */
  readonly downloadGiB: number;
  /** The cluster: name, region, account, and the weights bucket and its key. */
  readonly cluster: StagingClusterRef;
  /** Hugging Face token for gated models (a Pulumi secret); becomes a Kubernetes Secret read through `secretKeyRef`. @default - no token */
  readonly huggingFaceToken?: pulumi.Input<string>;
  /** The vLLM image the Job runs in (maps to `containers[].image`): `GpuCluster.containerImages.vllm`, its ECR pull-through copy when the cluster has the cache. @default - `VLLM_IMAGE` from Docker Hub */
  readonly image?: pulumi.Input<string>;
  /** CPU cores requested (maps to `resources.requests.cpu`). @default 2 */
  readonly cpu?: number;
  /** Memory requested and limited, GiB (maps to `resources.{requests,limits}.memory`). @default 8 */
  readonly memoryGiB?: number;
  /** Node disk for the file being copied, GiB: must hold the checkpoint's largest file (maps to the `work` emptyDir's `sizeLimit`). @default 30 */
  readonly workVolumeGiB?: number;
  /** Pod retries (maps to `Job.spec.backoffLimit`). @default 2 */
  readonly backoffLimit?: number;
  /** Seconds pulumi up waits for the Job, and the Job may run (maps to `pulumi.com/timeoutSeconds` and `spec.activeDeadlineSeconds`). @default - `stagingTimeoutSeconds(downloadGiB)` */
  readonly timeoutSeconds?: number;
  /** Tags on the AWS resources. @default {} */
  readonly tags?: Readonly<Record<string, string>>;
}

/** S3 key prefix of a staged model revision (no trailing `/`), under the tenant's prefix. */
export function stagedWeightsPrefix(tenantWeightsPrefix: string, modelId: string, revision: string): string {
  return `${tenantWeightsPrefix}models/${modelId}/${revision}`;
}

export { stagingTimeoutSeconds };

export class WeightsStaging extends pulumi.ComponentResource {
  /** The Job; serving resources `dependsOn` it. */
  public readonly job: k8s.batch.v1.Job;
  /** Role the Job assumes: list and write its own prefix only. */
  public readonly role: aws.iam.Role;
  /** Key prefix of the staged revision, `<tenant>/models/<model id>/<revision>` (plain). */
  public readonly prefix: string;
  /** Name of the weights bucket. */
  public readonly bucketName: pulumi.Output<string>;

  constructor(name: string, args: WeightsStagingArgs, opts?: pulumi.ComponentResourceOptions) {
    const d = WEIGHTS_STAGING_DEFAULTS;
    const revision = args.revision ?? "main";
    const timeoutSeconds = args.timeoutSeconds ?? stagingTimeoutSeconds(args.downloadGiB);
    const problems: string[] = [];
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/.test(args.modelId)) problems.push(`modelId: expected a Hugging Face id such as org/name; got "${args.modelId}"`);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(revision)) problems.push(`revision: expected a branch, tag or commit of letters, digits, '.', '_' or '-'; got "${revision}"`);
    if (!/^[A-Za-z0-9_.-]+\/$/.test(args.tenantWeightsPrefix)) problems.push(`tenantWeightsPrefix: expected one path segment ending in "/"; got "${args.tenantWeightsPrefix}"`);
    if (!(args.downloadGiB > 0)) problems.push(`downloadGiB: expected a positive size; got ${args.downloadGiB}`);
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 60) problems.push(`timeoutSeconds: expected whole seconds, at least 60; got ${timeoutSeconds}`);
    if (problems.length > 0) throw new Error(`WeightsStaging ${name}:\n  ${problems.join("\n  ")}`);

    super("gpu-inference:serving:WeightsStaging", name, {}, opts);
    const child = { parent: this };
    const c = args.cluster;
    const prefix = stagedWeightsPrefix(args.tenantWeightsPrefix, args.modelId, revision);
    const serviceAccountName = `${name}-weights`;
    const labels = { "app.kubernetes.io/name": "weights-stager", "app.kubernetes.io/instance": name, "app.kubernetes.io/part-of": "gpu-inference" };
    const tags = { "gpu-inference/weights": prefix, ...(args.tags ?? {}) };

    this.role = new aws.iam.Role(
      `${name}-weights`,
      {
        description: `Stages ${args.modelId}@${revision} into its prefix of the weights bucket`,
        assumeRolePolicy: podIdentityTrustPolicy({ accountId: c.accountId, clusterName: c.clusterName, namespace: args.namespace, serviceAccount: serviceAccountName }),
        tags,
      },
      child,
    );
    const policy = new aws.iam.RolePolicy(
      `${name}-weights`,
      {
        role: this.role.id,
        policy: policyDocument([
          // The stager lists its marker to learn whether the revision is staged (ListObjectsV2 needs s3:ListBucket, scoped by s3:prefix).
          { Sid: "ListOwnPrefix", Effect: "Allow", Action: ["s3:ListBucket"], Resource: c.weightsBucketArn, Condition: { StringLike: { "s3:prefix": [`${prefix}/*`] } } },
          // upload_file's multipart calls (Create/UploadPart/Complete) are authorized by s3:PutObject; boto3 aborts a failed upload.
          { Sid: "WriteOwnPrefix", Effect: "Allow", Action: ["s3:PutObject", "s3:AbortMultipartUpload"], Resource: pulumi.interpolate`${c.weightsBucketArn}/${prefix}/*` },
          // Multipart uploads to an SSE-KMS bucket need kms:Decrypt as well as kms:GenerateDataKey.
          bucketKeyThroughS3(c.weightsKeyArn, c.region),
        ]),
      },
      child,
    );
    const association = new aws.eks.PodIdentityAssociation(
      `${name}-weights`,
      { clusterName: c.clusterName, namespace: args.namespace, serviceAccount: serviceAccountName, roleArn: this.role.arn, tags },
      child,
    );

    const serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-weights`,
      { metadata: { name: serviceAccountName, namespace: args.namespace, labels }, automountServiceAccountToken: false },
      child,
    );
    const script = new k8s.core.v1.ConfigMap(`${name}-weights`, { metadata: { name: `${name}-weights-stager`, namespace: args.namespace, labels }, data: { [STAGER_FILE]: STAGER_PY } }, child);
    const secret = args.huggingFaceToken !== undefined ? hfTokenSecret(`${name}-weights-hf-token`, args.namespace, labels, args.huggingFaceToken, this) : undefined;

    // arn:<partition>:s3:::<bucket>
    this.bucketName = pulumi.output(c.weightsBucketArn).apply((arn) => arn.slice(arn.lastIndexOf(":") + 1));
    const workDir = "/work";
    this.job = new k8s.batch.v1.Job(
      `${name}-weights`,
      {
        metadata: {
          // The name carries the revision's prefix, so a new revision is a new Job (a Job's template cannot change in place); at most 63 characters.
          name: `${name.slice(0, 46)}-weights-${shortHash(prefix)}`,
          namespace: args.namespace,
          labels,
          annotations: { [PULUMI_TIMEOUT_ANNOTATION]: String(timeoutSeconds) },
        },
        spec: {
          backoffLimit: args.backoffLimit ?? d.backoffLimit,
          activeDeadlineSeconds: timeoutSeconds,
          template: {
            metadata: { labels },
            spec: {
              restartPolicy: "Never",
              serviceAccountName,
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              securityContext: POD_SECURITY_CONTEXT,
              containers: [
                {
                  name: "stage",
                  image: args.image ?? VLLM_IMAGE,
                  command: ["python3", `${STAGER_DIR}/${STAGER_FILE}`],
                  env: [
                    { name: "STAGE_MODEL_ID", value: args.modelId },
                    { name: "STAGE_REVISION", value: revision },
                    { name: "STAGE_PREFIX", value: prefix },
                    { name: "STAGE_WORK_DIR", value: workDir },
                    { name: "WEIGHTS_BUCKET", value: this.bucketName },
                    { name: "AWS_REGION", value: c.region },
                    // huggingface_hub and Python write caches under HOME / HF_HOME: both on the writable volume.
                    { name: "HOME", value: `${workDir}/home` },
                    { name: "HF_HOME", value: `${workDir}/hf` },
                    { name: "HF_HUB_DISABLE_TELEMETRY", value: "1" },
                    { name: "TMPDIR", value: `${workDir}/tmp` },
                    ...(secret !== undefined ? [{ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: secret.metadata.name, key: HF_TOKEN_SECRET_KEY } } }] : []),
                  ],
                  resources: {
                    requests: { cpu: String(args.cpu ?? d.cpu), memory: `${args.memoryGiB ?? d.memoryGiB}Gi`, "ephemeral-storage": `${args.workVolumeGiB ?? d.workVolumeGiB}Gi` },
                    limits: { memory: `${args.memoryGiB ?? d.memoryGiB}Gi` },
                  },
                  volumeMounts: [
                    { name: "work", mountPath: workDir },
                    { name: "stager", mountPath: STAGER_DIR, readOnly: true },
                  ],
                  securityContext: CONTAINER_SECURITY_CONTEXT,
                },
              ],
              volumes: [
                { name: "work", emptyDir: { sizeLimit: `${args.workVolumeGiB ?? d.workVolumeGiB}Gi` } },
                { name: "stager", configMap: { name: script.metadata.name, defaultMode: 0o444 } },
              ],
            },
          },
        },
      },
      // The pod needs its credentials (the association) and its rights (the policy) before it starts.
      { parent: this, dependsOn: [association, policy, serviceAccount] },
    );
    this.prefix = prefix;
    this.registerOutputs({ job: this.job, role: this.role, prefix: this.prefix, bucketName: this.bucketName });
  }
}

/** Eight hex digits of FNV-1a over a string: a stable, DNS-safe suffix. */
function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}
