/**
 * BatchQueue: the AWS side of a batch-tier workload — an encrypted SQS queue of batch jobs with a
 * dead-letter queue, and a least-privilege IAM role for the batch pods (EKS Pod Identity): receive,
 * extend and delete messages on exactly this queue, read objects under the input prefix, write
 * (and confirm) objects under the output prefix. KEDA reads the queue depth with the cluster's KEDA operator role,
 * which covers every `<cluster>-*` queue; the queue name carries the tenant's `<cluster>-<tenant>-` prefix.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ServingPlan } from "./internal/serving-plan";
import type { TenantClusterRef } from "./internal/cluster-contract";
import { bucketKeyThroughS3, podIdentityTrustPolicy, policyDocument } from "./internal/iam";

/** What the batch tier needs from the cluster (a subset of `GpuCluster.tenantRef`). */
export type BatchClusterRef = Pick<TenantClusterRef, "clusterName" | "region" | "accountId" | "partition" | "weightsBucketArn" | "weightsKeyArn">;

/** What the batch autoscaler needs from the queue. */
export interface BatchQueueTarget {
  readonly queueUrl: pulumi.Output<string>;
  readonly queueArn: pulumi.Output<string>;
  readonly region: string;
  /** `s3://bucket/prefix/` inputs must be under. */
  readonly inputPrefixUri: pulumi.Output<string>;
  /** `s3://bucket/prefix/` outputs are written under. */
  readonly outputPrefixUri: pulumi.Output<string>;
  /** Seconds a received message stays hidden; the worker's heartbeat renews it. */
  readonly visibilityTimeoutSeconds: number;
  /** Kubernetes service account (in the tenant namespace) bound to the job role. */
  readonly jobServiceAccountName: string;
}

export const BATCH_QUEUE_DEFAULTS = {
  visibilityTimeoutSeconds: 900,
  maxReceiveCount: 3,
  messageRetentionSeconds: 4 * 24 * 3600,
  deadLetterRetentionSeconds: 14 * 24 * 3600,
  receiveWaitTimeSeconds: 20,
} as const;

export interface BatchQueueArgs {
  /** The workload's serving plan (names and tags; the tier must be `batch`). */
  readonly plan: ServingPlan;
  /** Namespace the batch jobs run in; the tenant namespace (maps to the Pod Identity association's `namespace`). */
  readonly namespace: string;
  /** The cluster: name, region, account, partition, and the weights bucket and key that also hold batch files. */
  readonly cluster: BatchClusterRef;
  /** The tenant's queue-name prefix, `<cluster>-<tenant>-` (`Tenant.queueNamePrefix`); KEDA's role reads `<cluster>-*`. */
  readonly queueNamePrefix: string;
  /** Key prefix of input files in the weights bucket, ending in `/`. @default - `<namespace>/batch/<workload>/input/` */
  readonly inputPrefix?: string;
  /** Key prefix of output files, ending in `/`. @default - `<namespace>/batch/<workload>/output/` */
  readonly outputPrefix?: string;
  /** Service account name of the batch pods (maps to the Pod Identity association's `serviceAccount`). @default - `<name>-batch` */
  readonly jobServiceAccountName?: string;
  /** Seconds a received message stays hidden (maps to `aws.sqs.Queue.visibilityTimeoutSeconds`). @default 900 */
  readonly visibilityTimeoutSeconds?: number;
  /** Receives before a message moves to the dead-letter queue (maps to the redrive policy's `maxReceiveCount`). @default 3 */
  readonly maxReceiveCount?: number;
  /** Seconds an unprocessed job stays in the queue (maps to `messageRetentionSeconds`). @default 345600 (4 days) */
  readonly messageRetentionSeconds?: number;
  /** Seconds a dead-lettered job is kept. @default 1209600 (14 days, the SQS maximum) */
  readonly deadLetterRetentionSeconds?: number;
  /** Key prefix of the workload's staged weights (`WeightsStaging.prefix`, no trailing `/`): the job role may list and read it, which the Run:ai streamer does. @default - none: weights from the hub */
  readonly weightsReadPrefix?: string;
  /** Tags on every AWS resource. @default {} */
  readonly tags?: Readonly<Record<string, string>>;
}

export class BatchQueue extends pulumi.ComponentResource {
  public readonly queue: aws.sqs.Queue;
  public readonly deadLetterQueue: aws.sqs.Queue;
  public readonly jobRole: aws.iam.Role;
  public readonly target: BatchQueueTarget;

  constructor(name: string, args: BatchQueueArgs, opts?: pulumi.ComponentResourceOptions) {
    const d = BATCH_QUEUE_DEFAULTS;
    const inputPrefix = args.inputPrefix ?? `${args.namespace}/batch/${args.plan.workload}/input/`;
    const outputPrefix = args.outputPrefix ?? `${args.namespace}/batch/${args.plan.workload}/output/`;
    const queueName = `${args.queueNamePrefix}${args.plan.workload}`;
    const visibilityTimeoutSeconds = args.visibilityTimeoutSeconds ?? d.visibilityTimeoutSeconds;
    const maxReceiveCount = args.maxReceiveCount ?? d.maxReceiveCount;
    const jobServiceAccountName = args.jobServiceAccountName ?? `${name}-batch`;
    const tags = { "gpu-inference/workload": args.plan.workload, "gpu-inference/tenant": args.plan.tenant, ...(args.tags ?? {}) };

    const problems: string[] = [];
    if (args.plan.tier !== "batch") problems.push(`plan.tier: expected "batch"; got "${args.plan.tier}"`);
    for (const [key, prefix] of [["inputPrefix", inputPrefix], ["outputPrefix", outputPrefix]] as const) {
      if (!/^[A-Za-z0-9!_.*'()/-]+\/$/.test(prefix) || prefix.startsWith("/") || prefix.includes("..")) {
        problems.push(`${key}: expected a relative S3 key prefix ending in "/" without ".."; got "${prefix}"`);
      }
    }
    if (inputPrefix.startsWith(outputPrefix) || outputPrefix.startsWith(inputPrefix)) {
      problems.push(`inputPrefix/outputPrefix: expected disjoint prefixes, so the job can never overwrite its inputs; got "${inputPrefix}" and "${outputPrefix}"`);
    }
    if (!Number.isInteger(visibilityTimeoutSeconds) || visibilityTimeoutSeconds < 60 || visibilityTimeoutSeconds > 43_200) {
      problems.push(`visibilityTimeoutSeconds: expected whole seconds from 60 to 43200; got ${visibilityTimeoutSeconds}`);
    }
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
      problems.push(`maxReceiveCount: expected a whole number from 1 to 1000; got ${maxReceiveCount}`);
    }
    if (!args.queueNamePrefix.startsWith(`${args.cluster.clusterName}-`)) {
      problems.push(`queueNamePrefix: expected to start with "${args.cluster.clusterName}-" (KEDA's role reads only the cluster's queues); got "${args.queueNamePrefix}"`);
    }
    if (!/^[A-Za-z0-9_-]{1,76}$/.test(queueName)) problems.push(`queue name "${queueName}": expected at most 76 letters, digits, - or _ (room for "-dlq")`);
    if (problems.length > 0) throw new Error(`BatchQueue ${name}:\n  ${problems.join("\n  ")}`);

    super("gpu-inference:serving:BatchQueue", name, {}, opts);
    const child = { parent: this };
    this.deadLetterQueue = new aws.sqs.Queue(
      `${name}-dlq`,
      { name: `${queueName}-dlq`, sqsManagedSseEnabled: true, messageRetentionSeconds: args.deadLetterRetentionSeconds ?? d.deadLetterRetentionSeconds, tags },
      child,
    );
    this.queue = new aws.sqs.Queue(
      `${name}-jobs`,
      {
        name: queueName,
        sqsManagedSseEnabled: true,
        visibilityTimeoutSeconds,
        messageRetentionSeconds: args.messageRetentionSeconds ?? d.messageRetentionSeconds,
        receiveWaitTimeSeconds: d.receiveWaitTimeSeconds,
        redrivePolicy: this.deadLetterQueue.arn.apply((deadLetterTargetArn) => JSON.stringify({ deadLetterTargetArn, maxReceiveCount })),
        tags,
      },
      child,
    );
    new aws.sqs.RedriveAllowPolicy(
      `${name}-dlq-allow`,
      {
        queueUrl: this.deadLetterQueue.url,
        redriveAllowPolicy: this.queue.arn.apply((arn) => JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [arn] })),
      },
      child,
    );
    const tlsOnly = (queue: aws.sqs.Queue, suffix: string) =>
      new aws.sqs.QueuePolicy(
        `${name}-${suffix}-tls-only`,
        {
          queueUrl: queue.url,
          policy: queue.arn.apply((arn) =>
            JSON.stringify({
              Version: "2012-10-17",
              Statement: [{ Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "sqs:*", Resource: arn, Condition: { Bool: { "aws:SecureTransport": "false" } } }],
            }),
          ),
        },
        child,
      );
    tlsOnly(this.queue, "jobs");
    tlsOnly(this.deadLetterQueue, "dlq");

    const c = args.cluster;
    this.jobRole = new aws.iam.Role(
      `${name}-job`,
      {
        description: `Batch jobs of ${args.plan.workload}: one queue, its input and output prefixes`,
        assumeRolePolicy: podIdentityTrustPolicy({ accountId: c.accountId, clusterName: c.clusterName, namespace: args.namespace, serviceAccount: jobServiceAccountName }),
        tags,
      },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-job`,
      {
        role: this.jobRole.id,
        policy: policyDocument([
          { Sid: "TakeJobs", Effect: "Allow", Action: ["sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage"], Resource: this.queue.arn },
          ...(args.weightsReadPrefix !== undefined
            ? [
                // The Run:ai streamer lists the staged prefix (ListObjectsV2) and reads its objects (GetObject, ranged).
                { Sid: "ListStagedWeights", Effect: "Allow" as const, Action: ["s3:ListBucket"], Resource: c.weightsBucketArn, Condition: { StringLike: { "s3:prefix": [`${args.weightsReadPrefix}*`] } } },
                { Sid: "ReadStagedWeights", Effect: "Allow" as const, Action: ["s3:GetObject"], Resource: pulumi.interpolate`${c.weightsBucketArn}/${args.weightsReadPrefix}/*` },
              ]
            : []),
          { Sid: "ReadInputs", Effect: "Allow", Action: ["s3:GetObject"], Resource: pulumi.interpolate`${c.weightsBucketArn}/${inputPrefix}*` },
          // The worker confirms an output is stored with HeadObject, which s3:GetObject authorizes; boto3 aborts a failed multipart upload.
          { Sid: "WriteOutputs", Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"], Resource: pulumi.interpolate`${c.weightsBucketArn}/${outputPrefix}*` },
          bucketKeyThroughS3(c.weightsKeyArn, c.region),
        ]),
      },
      child,
    );
    new aws.eks.PodIdentityAssociation(
      `${name}-job`,
      { clusterName: c.clusterName, namespace: args.namespace, serviceAccount: jobServiceAccountName, roleArn: this.jobRole.arn, tags },
      child,
    );

    // arn:<partition>:s3:::<bucket>
    const bucket = pulumi.output(c.weightsBucketArn).apply((arn) => arn.slice(arn.lastIndexOf(":") + 1));
    this.target = {
      queueUrl: this.queue.url,
      queueArn: this.queue.arn,
      region: c.region,
      inputPrefixUri: pulumi.interpolate`s3://${bucket}/${inputPrefix}`,
      outputPrefixUri: pulumi.interpolate`s3://${bucket}/${outputPrefix}`,
      visibilityTimeoutSeconds,
      jobServiceAccountName,
    };
    this.registerOutputs({ queue: this.queue, deadLetterQueue: this.deadLetterQueue, jobRole: this.jobRole, queueUrl: this.queue.url });
  }
}
