/**
 * BatchQueue: the AWS side of a batch-tier workload — an encrypted SQS queue of batch jobs with a
 * dead-letter queue, and two least-privilege IAM roles assumed through IRSA:
 *
 * - the job role (the batch pods' service account): receive / extend / delete messages on exactly
 *   this queue, read objects under the input prefix, write objects under the output prefix;
 * - the scaler role (KEDA's operator assumes it): read this queue's attributes, nothing else.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ServingPlan } from "../infra/serving-plan";

/** IRSA: the cluster's OIDC provider, whose tokens the roles trust. */
export interface OidcIdentity {
  /** ARN of the cluster's IAM OIDC provider (maps to the trust policy's `Principal.Federated`). */
  readonly providerArn: pulumi.Input<string>;
  /** Issuer URL without `https://`, such as `oidc.eks.us-east-1.amazonaws.com/id/ABC` (the trust condition keys). */
  readonly issuerHostPath: pulumi.Input<string>;
}

/** What the batch autoscaler needs from the queue. */
export interface BatchQueueTarget {
  readonly queueUrl: pulumi.Output<string>;
  readonly queueArn: pulumi.Output<string>;
  readonly region: string;
  /** Role the batch pods' service account is annotated with. */
  readonly jobRoleArn: pulumi.Output<string>;
  /** Role KEDA assumes to read the queue depth (maps to `TriggerAuthentication.spec.podIdentity.roleArn`). */
  readonly scalerRoleArn: pulumi.Output<string>;
  /** `s3://bucket/prefix/` inputs must be under. */
  readonly inputPrefixUri: pulumi.Output<string>;
  /** `s3://bucket/prefix/` outputs are written under. */
  readonly outputPrefixUri: pulumi.Output<string>;
  /** Seconds a received message stays hidden; the worker's heartbeat renews it. */
  readonly visibilityTimeoutSeconds: number;
  /** Kubernetes service account (in the tenant namespace) the job role trusts. */
  readonly jobServiceAccountName: string;
}

export const BATCH_QUEUE_DEFAULTS = {
  visibilityTimeoutSeconds: 900,
  maxReceiveCount: 3,
  messageRetentionSeconds: 4 * 24 * 3600,
  deadLetterRetentionSeconds: 14 * 24 * 3600,
  receiveWaitTimeSeconds: 20,
  kedaOperator: { namespace: "keda", serviceAccountName: "keda-operator" },
} as const;

export interface BatchQueueArgs {
  /** The workload's serving plan (names and tags; the tier must be `batch`). */
  readonly plan: ServingPlan;
  /** Namespace the batch jobs run in (the IRSA trust condition's `system:serviceaccount:<namespace>:<name>`). */
  readonly namespace: pulumi.Input<string>;
  /** Region of the queue (maps to the KEDA trigger's `awsRegion`). */
  readonly region: string;
  readonly oidc: OidcIdentity;
  /** S3 bucket holding batch inputs and outputs (name). */
  readonly bucketName: pulumi.Input<string>;
  /** Key prefix of input files, ending in `/`. @default - `batch/<workload>/input/` */
  readonly inputPrefix?: string;
  /** Key prefix of output files, ending in `/`. @default - `batch/<workload>/output/` */
  readonly outputPrefix?: string;
  /** Service account name of the batch pods. @default - `<name>-batch` */
  readonly jobServiceAccountName?: string;
  /** Seconds a received message stays hidden (maps to `aws.sqs.Queue.visibilityTimeoutSeconds`). @default 900 */
  readonly visibilityTimeoutSeconds?: number;
  /** Receives before a message moves to the dead-letter queue (maps to the redrive policy's `maxReceiveCount`). @default 3 */
  readonly maxReceiveCount?: number;
  /** Seconds an unprocessed job stays in the queue (maps to `messageRetentionSeconds`). @default 345600 (4 days) */
  readonly messageRetentionSeconds?: number;
  /** Seconds a dead-lettered job is kept. @default 1209600 (14 days, the SQS maximum) */
  readonly deadLetterRetentionSeconds?: number;
  /** KEDA operator's service account, trusted by the scaler role. @default - `keda/keda-operator` */
  readonly kedaOperator?: { readonly namespace: string; readonly serviceAccountName: string };
  /** Tags on every AWS resource. @default {} */
  readonly tags?: Readonly<Record<string, string>>;
}

export class BatchQueue extends pulumi.ComponentResource {
  public readonly queue: aws.sqs.Queue;
  public readonly deadLetterQueue: aws.sqs.Queue;
  public readonly jobRole: aws.iam.Role;
  public readonly scalerRole: aws.iam.Role;
  public readonly target: BatchQueueTarget;

  constructor(name: string, args: BatchQueueArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gpu-inference:serving:BatchQueue", name, {}, opts);
    const d = BATCH_QUEUE_DEFAULTS;
    const inputPrefix = args.inputPrefix ?? `batch/${args.plan.workload}/input/`;
    const outputPrefix = args.outputPrefix ?? `batch/${args.plan.workload}/output/`;
    const visibilityTimeoutSeconds = args.visibilityTimeoutSeconds ?? d.visibilityTimeoutSeconds;
    const maxReceiveCount = args.maxReceiveCount ?? d.maxReceiveCount;
    const jobServiceAccountName = args.jobServiceAccountName ?? `${name}-batch`;
    const keda = args.kedaOperator ?? d.kedaOperator;
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
    if (problems.length > 0) throw new Error(`BatchQueue ${name}:\n  ${problems.join("\n  ")}`);

    const child = { parent: this };
    this.deadLetterQueue = new aws.sqs.Queue(
      `${name}-dlq`,
      { sqsManagedSseEnabled: true, messageRetentionSeconds: args.deadLetterRetentionSeconds ?? d.deadLetterRetentionSeconds, tags },
      child,
    );
    this.queue = new aws.sqs.Queue(
      `${name}-jobs`,
      {
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

    const trust = (namespace: pulumi.Input<string>, serviceAccount: string) =>
      pulumi.all([args.oidc.providerArn, args.oidc.issuerHostPath, namespace]).apply(([providerArn, issuer, ns]) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Federated: providerArn },
              Action: "sts:AssumeRoleWithWebIdentity",
              Condition: { StringEquals: { [`${issuer}:sub`]: `system:serviceaccount:${ns}:${serviceAccount}`, [`${issuer}:aud`]: "sts.amazonaws.com" } },
            },
          ],
        }),
      );

    this.jobRole = new aws.iam.Role(`${name}-job`, { assumeRolePolicy: trust(args.namespace, jobServiceAccountName), tags }, child);
    new aws.iam.RolePolicy(
      `${name}-job`,
      {
        role: this.jobRole.id,
        policy: pulumi.all([this.queue.arn, args.bucketName]).apply(([queueArn, bucket]) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              { Sid: "TakeJobs", Effect: "Allow", Action: ["sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage"], Resource: queueArn },
              { Sid: "ReadInputs", Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/${inputPrefix}*` },
              { Sid: "WriteOutputs", Effect: "Allow", Action: "s3:PutObject", Resource: `arn:aws:s3:::${bucket}/${outputPrefix}*` },
            ],
          }),
        ),
      },
      child,
    );

    this.scalerRole = new aws.iam.Role(`${name}-scaler`, { assumeRolePolicy: trust(keda.namespace, keda.serviceAccountName), tags }, child);
    new aws.iam.RolePolicy(
      `${name}-scaler`,
      {
        role: this.scalerRole.id,
        policy: this.queue.arn.apply((queueArn) =>
          JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "ReadQueueDepth", Effect: "Allow", Action: "sqs:GetQueueAttributes", Resource: queueArn }] }),
        ),
      },
      child,
    );

    const bucket = pulumi.output(args.bucketName);
    this.target = {
      queueUrl: this.queue.url,
      queueArn: this.queue.arn,
      region: args.region,
      jobRoleArn: this.jobRole.arn,
      scalerRoleArn: this.scalerRole.arn,
      inputPrefixUri: pulumi.interpolate`s3://${bucket}/${inputPrefix}`,
      outputPrefixUri: pulumi.interpolate`s3://${bucket}/${outputPrefix}`,
      visibilityTimeoutSeconds,
      jobServiceAccountName,
    };
    this.registerOutputs({ queue: this.queue, deadLetterQueue: this.deadLetterQueue, jobRole: this.jobRole, scalerRole: this.scalerRole, queueUrl: this.queue.url });
  }
}
