/**
 * The batch job's role allows every AWS call the worker's code makes, on the resource each call
 * touches, and nothing on the other prefixes. The calls are read from the Python itself (the
 * ConfigMap the ScaledJob mounts), each mapped to the IAM actions AWS's Service Authorization
 * Reference lists for it, and the role's policy — as BatchQueue registers it — is evaluated
 * against them. A new call in the worker without a row in AWS_ACTIONS fails here.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { BatchQueue } from "../../components/batch-queue";
import { BATCH_WORKER_PY } from "../../components/internal/batch-worker";
import { servingPlan } from "../../components/internal/serving-plan";
import type { PolicyDocumentJson } from "../fixtures/iam-policies";
import { batchCluster, servingStack, WEIGHT_GIB, workload } from "../fixtures/serving";
import { find, installPulumiMocks, valueOf } from "../helpers/pulumi-mocks";

/**
 * IAM actions per boto3 client method, with the KMS actions an SSE-KMS bucket adds.
 * - SQS: docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html (ReceiveMessage,
 *   ChangeMessageVisibility, DeleteMessage: resource type `queue`), as of 2026-12-02.
 * - S3: .../list_amazons3.html: HeadObject is authorized by s3:GetObject; CreateMultipartUpload,
 *   UploadPart and CompleteMultipartUpload by s3:PutObject; AbortMultipartUpload by s3:AbortMultipartUpload
 *   (resource type `object`), as of 2026-12-02.
 * - boto3's managed transfers (s3transfer): `download_file` sends HeadObject then GetObject;
 *   `upload_file` sends PutObject, or a multipart upload above 8 MiB, aborted on failure.
 * - SSE-KMS: docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html — reading needs
 *   kms:Decrypt; writing kms:GenerateDataKey; a multipart upload both, as of 2026-12-02.
 */
const AWS_ACTIONS: Readonly<Record<string, { readonly service: "sqs" | "s3"; readonly actions: readonly string[]; readonly kms: readonly string[] }>> = {
  "sqs.receive_message": { service: "sqs", actions: ["sqs:ReceiveMessage"], kms: [] },
  "sqs.change_message_visibility": { service: "sqs", actions: ["sqs:ChangeMessageVisibility"], kms: [] },
  "sqs.delete_message": { service: "sqs", actions: ["sqs:DeleteMessage"], kms: [] },
  "s3.head_object": { service: "s3", actions: ["s3:GetObject"], kms: [] },
  "s3.download_file": { service: "s3", actions: ["s3:GetObject"], kms: ["kms:Decrypt"] },
  "s3.upload_file": { service: "s3", actions: ["s3:PutObject", "s3:AbortMultipartUpload"], kms: ["kms:GenerateDataKey", "kms:Decrypt"] },
};

interface WorkerCall {
  /** `client.method`, such as `s3.head_object`. */
  readonly call: string;
  /** What the call touches: the job queue, an input object or an output object. */
  readonly target: "queue" | "input" | "output";
}

/** The AWS calls in the worker's source: clients from `boto3.client("...")`, calls `<client>.<method>(...)`. */
function workerCalls(source: string): WorkerCall[] {
  const clients = new Map<string, string>();
  for (const line of source.split("\n")) {
    const assignment = /^\s*([\w\s,]+?)\s*=\s*(boto3\.client\(.*)$/.exec(line);
    if (assignment === null) continue;
    const names = assignment[1]!.split(",").map((n) => n.trim());
    const services = [...assignment[2]!.matchAll(/boto3\.client\("(\w+)"\)/g)].map((m) => m[1]!);
    names.forEach((name, i) => clients.set(name, services[i]!));
  }
  const calls: WorkerCall[] = [];
  for (const match of source.matchAll(/\b(?:self\.)?(\w+)\.([a-z_]+)\(([^)]*)\)/g)) {
    const service = clients.get(match[1]!);
    if (service === undefined) continue;
    const args = match[3]!;
    const target = /QueueUrl=QUEUE_URL/.test(args) ? "queue" : /\bin_(bucket|key)\b/.test(args) ? "input" : /\bout_(bucket|key)\b/.test(args) ? "output" : undefined;
    if (target === undefined) throw new Error(`cannot tell what ${service}.${match[2]}(${args}) touches`);
    calls.push({ call: `${service}.${match[2]!}`, target });
  }
  return calls;
}

/** IAM's wildcard match (`*` any run, `?` one character). */
function globMatch(pattern: string, value: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
  return regex.test(value);
}

const list = (x: string | string[] | undefined): string[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** Whether the identity policy allows `action` on `resource` in `context` (explicit Deny wins; StringEquals conditions only). */
function allows(policy: PolicyDocumentJson, action: string, resource: string, context: Readonly<Record<string, string>>): boolean {
  const applies = (s: PolicyDocumentJson["Statement"][number]) =>
    list(s.Action).some((a) => globMatch(a, action)) &&
    list(s.Resource).some((r) => globMatch(r, resource)) &&
    Object.entries(s.Condition ?? {}).every(([operator, conditions]) => {
      if (operator !== "StringEquals") return false;
      return Object.entries(conditions).every(([key, expected]) => list(expected as string | string[]).includes(context[key] ?? ""));
    });
  return !policy.Statement.some((s) => s.Effect === "Deny" && applies(s)) && policy.Statement.some((s) => s.Effect === "Allow" && applies(s));
}

const config = servingStack();
const plan = servingPlan(config, workload(config, "summaries"), WEIGHT_GIB);
const NAMESPACE = "support";
const INPUT_PREFIX = `${NAMESPACE}/batch/summaries/input/`;
const OUTPUT_PREFIX = `${NAMESPACE}/batch/summaries/output/`;
const viaS3 = { "kms:ViaService": `s3.${batchCluster.region}.amazonaws.com` };

let policy: PolicyDocumentJson;
let queueArn: string;

beforeAll(async () => {
  const recorded = installPulumiMocks();
  const queue = new BatchQueue("summaries", { plan, namespace: NAMESPACE, cluster: batchCluster, queueNamePrefix: "inference-dev-support-" });
  queueArn = await valueOf(queue.queue.arn);
  await pulumi.runtime.disconnect();
  policy = JSON.parse(find(recorded, "aws:iam/rolePolicy:RolePolicy", "summaries-job").inputs.policy as string) as PolicyDocumentJson;
});

describe("the batch worker's AWS calls", () => {
  const calls = workerCalls(BATCH_WORKER_PY);

  it("are read from the worker's code, each with a known IAM mapping", () => {
    expect(calls.map((c) => `${c.call} → ${c.target}`).sort()).toEqual(
      [
        "s3.download_file → input",
        "s3.head_object → output",
        "s3.upload_file → output",
        "sqs.change_message_visibility → queue",
        "sqs.delete_message → queue",
        "sqs.receive_message → queue",
      ].sort(),
    );
    expect(calls.filter((c) => AWS_ACTIONS[c.call] === undefined).map((c) => c.call)).toEqual([]);
  });

  it("are each allowed by the job role on the resource they touch, KMS through S3 included", () => {
    const arnOf = (target: WorkerCall["target"]) =>
      target === "queue" ? queueArn : `${batchCluster.weightsBucketArn as string}/${target === "input" ? INPUT_PREFIX : OUTPUT_PREFIX}2026/12/file.jsonl`;
    const denied = calls.flatMap(({ call, target }) => {
      const mapping = AWS_ACTIONS[call]!;
      const needs = [
        ...mapping.actions.map((action) => ({ action, resource: arnOf(target), context: {} })),
        ...mapping.kms.map((action) => ({ action, resource: batchCluster.weightsKeyArn as string, context: viaS3 })),
      ];
      return needs.filter((n) => !allows(policy, n.action, n.resource, n.context)).map((n) => `${call} (${target}) needs ${n.action} on ${n.resource}`);
    });
    expect(denied).toEqual([]);
  });

  it("are scoped: no writes to inputs, nothing on another workload's prefix or queue, KMS only through S3", () => {
    const bucket = batchCluster.weightsBucketArn as string;
    expect(allows(policy, "s3:PutObject", `${bucket}/${INPUT_PREFIX}x.jsonl`, {})).toBe(false);
    expect(allows(policy, "s3:GetObject", `${bucket}/${NAMESPACE}/batch/other/output/x.jsonl`, {})).toBe(false);
    expect(allows(policy, "s3:GetObject", `${bucket}/other-tenant/batch/summaries/input/x.jsonl`, {})).toBe(false);
    expect(allows(policy, "sqs:DeleteMessage", `${queueArn}-other`, {})).toBe(false);
    expect(allows(policy, "kms:Decrypt", batchCluster.weightsKeyArn as string, {})).toBe(false);
  });
});
