/**
 * `serving.weightsSource: s3`: a Job copies the checkpoint into the tenant's prefix of the weights
 * bucket once, the engines wait for it and stream from that prefix with vLLM's Run:ai streamer, and
 * each identity gets exactly the S3 rights its calls need — the stager writes only its own prefix,
 * the engines only read. The gate reads the source back from the pod spec.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { STAGER_PY } from "../../components/internal/weights-stager";
import { servingPlan } from "../../components/internal/serving-plan";
import { ModelDeployment } from "../../components/model-deployment";
import { Tenant } from "../../components/tenant";
import { stagingTimeoutSeconds, WEIGHTS_STAGING_DEFAULTS } from "../../components/weights-staging";
import { stackConfigSchema, type StackConfig } from "../../infra/config";
import { COLD_START } from "../../policies/economics/capacity";
import { profileCheckpointGiB } from "../../policies/economics/weights";
import { workloadsOf } from "../../policies/rules/internal/kubernetes";
import { stackViewOf } from "../../policies/rules/internal/stack";
import { weightsSourceOf } from "../../policies/rules/internal/weights-source";
import type { PolicyDocumentJson } from "../fixtures/iam-policies";
import { batchCluster, chatWorkload, placement, profileOf, servingClusterConfig, summariesWorkload, WEIGHT_GIB } from "../fixtures/serving";
import { tenantsConfig } from "../fixtures/stack-config";
import { find, installPulumiMocks, ofType, type RecordedResource } from "../helpers/pulumi-mocks";

const config: StackConfig = stackConfigSchema.parse({
  environment: "dev",
  cluster: servingClusterConfig,
  tenants: tenantsConfig,
  workloads: [
    { ...chatWorkload, serving: { ...chatWorkload.serving, weightsSource: "s3", modelRevision: "0e9e39f" } },
    { ...summariesWorkload, serving: { ...summariesWorkload.serving, weightsSource: "s3" } },
  ],
});
const BUCKET = "inference-dev-weights";
const CHAT_PREFIX = "search/models/meta-llama/Llama-3.1-8B-Instruct/0e9e39f";
const SUMMARIES_PREFIX = "support/models/Qwen/Qwen2.5-7B-Instruct/main";

let recorded: RecordedResource[];
const byName = (type: string, name: string) => find(recorded, type, name);

beforeAll(async () => {
  recorded = installPulumiMocks();
  // The interactive engines run as the tenant's service account: its role is the one that reads staged weights.
  const kubernetesProvider = new k8s.Provider("k8s", { kubeconfig: "{}" });
  new Tenant("search", {
    name: "search",
    gpuQuota: 8,
    cluster: { ...batchCluster, clusterArn: "arn:aws:eks:us-east-1:123456789012:cluster/inference-dev", kubernetesProvider, prometheusNamespace: "monitoring", prometheusPodLabels: {} },
  });
  for (const w of config.workloads) {
    new ModelDeployment(w.name, {
      config,
      workload: w,
      weightGiB: WEIGHT_GIB,
      tenant: { namespace: w.tenant, serviceAccountName: "inference", queueNamePrefix: `inference-dev-${w.tenant}-`, weightsPrefix: `${w.tenant}/` },
      placement,
      cluster: batchCluster,
    });
  }
  await pulumi.runtime.disconnect();
});

type Container = { command?: string[]; args?: string[]; env: { name: string; value?: string }[] };
const jobOf = (name: string) => byName("kubernetes:batch/v1:Job", `${name}-weights`);
const envOf = (c: Container) => Object.fromEntries(c.env.map((e) => [e.name, e.value]));

describe("the staging Job", () => {
  it("runs once per (tenant, model, revision), in the tenant's namespace, copying into the tenant's prefix", () => {
    expect(ofType(recorded, "kubernetes:batch/v1:Job").map((j) => j.name).sort()).toEqual(["chat-weights", "summaries-weights"]);
    const job = jobOf("chat").inputs as { metadata: { name: string; namespace: string }; spec: { template: { spec: { containers: Container[]; serviceAccountName: string } } } };
    expect(job.metadata.namespace).toBe("search");
    expect(job.metadata.name).toMatch(/^chat-weights-[0-9a-f]{8}$/);
    const env = envOf(job.spec.template.spec.containers[0]!);
    expect(env).toMatchObject({ STAGE_MODEL_ID: "meta-llama/Llama-3.1-8B-Instruct", STAGE_REVISION: "0e9e39f", STAGE_PREFIX: CHAT_PREFIX, WEIGHTS_BUCKET: BUCKET, AWS_REGION: "us-east-1" });
    const association = byName("aws:eks/podIdentityAssociation:PodIdentityAssociation", "chat-weights").inputs;
    expect(association).toMatchObject({ namespace: "search", serviceAccount: job.spec.template.spec.serviceAccountName });
  });

  it("is awaited for the modeled transfer: down from the hub and up to S3 at the hub's rate, plus node, image and margin (hand arithmetic)", () => {
    const plan = servingPlan(config, config.workloads[1]!, WEIGHT_GIB);
    // Qwen2.5-7B served FP8 downloads its BF16 checkpoint: 7.62 B parameters × 2 bytes = 15.23 GB.
    expect(plan.downloadGiB).toBeCloseTo(profileCheckpointGiB(profileOf(config.workloads[1]!)), 9);
    const gb = (plan.downloadGiB * 2 ** 30) / 1e9;
    const expected = Math.ceil(COLD_START.nodeProvisioningSeconds + COLD_START.imagePullSeconds + (2 * gb) / COLD_START.hubDownloadGBps + WEIGHTS_STAGING_DEFAULTS.timeoutMarginSeconds);
    expect(stagingTimeoutSeconds(plan.downloadGiB)).toBe(expected);
    const job = jobOf("summaries").inputs as { metadata: { annotations: Record<string, string> }; spec: { activeDeadlineSeconds: number } };
    expect(job.metadata.annotations["pulumi.com/timeoutSeconds"]).toBe(String(expected));
    expect(job.spec.activeDeadlineSeconds).toBe(expected);
    expect(expected).toBeGreaterThan(600); // past pulumi-kubernetes' 10-minute default for a Job
  });

  it("applies every documented default: revision main, 2 CPUs, 8 GiB, a 30 GiB work volume, 2 retries, and the modeled timeout", () => {
    const job = jobOf("summaries").inputs as {
      spec: { backoffLimit: number; template: { spec: { containers: (Container & { resources: { requests: Record<string, string>; limits: Record<string, string> } })[]; volumes: { name: string; emptyDir?: { sizeLimit: string } }[] } } };
    };
    const container = job.spec.template.spec.containers[0]!;
    expect(envOf(container).STAGE_REVISION).toBe("main");
    expect(container.resources.requests).toEqual({ cpu: "2", memory: "8Gi", "ephemeral-storage": "30Gi" });
    expect(container.resources.limits).toEqual({ memory: "8Gi" });
    expect(job.spec.template.spec.volumes.find((v) => v.name === "work")!.emptyDir!.sizeLimit).toBe("30Gi");
    expect(job.spec.backoffLimit).toBe(WEIGHTS_STAGING_DEFAULTS.backoffLimit);
    expect(WEIGHTS_STAGING_DEFAULTS).toMatchObject({ cpu: 2, memoryGiB: 8, workVolumeGiB: 30, backoffLimit: 2, timeoutMarginSeconds: 900 });
  });

  it("comes before the engines: the Deployment and the ScaledJob wait for it", () => {
    const job = jobOf("chat").urn!;
    expect(byName("kubernetes:apps/v1:Deployment", "chat").dependencies).toContain(job);
    expect(byName("kubernetes:keda.sh/v1alpha1:ScaledJob", "summaries-scaler").dependencies).toContain(jobOf("summaries").urn!);
  });
});

describe("the engines read the staged prefix", () => {
  it("vllm serve streams s3://$(WEIGHTS_BUCKET)/<prefix> with the Run:ai streamer, and the pod carries the bucket and region once", () => {
    const c = (byName("kubernetes:apps/v1:Deployment", "chat").inputs as { spec: { template: { spec: { containers: Container[]; volumes: { name: string; emptyDir?: { sizeLimit: string } }[] } } } }).spec.template.spec;
    const vllm = c.containers[0]!;
    expect(vllm.args![0]).toBe(`s3://$(WEIGHTS_BUCKET)/${CHAT_PREFIX}`);
    expect(vllm.args!.join(" ")).toContain("--load-format runai_streamer");
    expect(vllm.env.filter((e) => e.name === "WEIGHTS_BUCKET").map((e) => e.value)).toEqual([BUCKET]);
    expect(vllm.env.filter((e) => e.name === "AWS_REGION").map((e) => e.value)).toEqual(["us-east-1"]);
    // Nothing is downloaded to disk: the model cache keeps its floor instead of 1.5 × the checkpoint.
    expect(c.volumes.find((v) => v.name === "model-cache")!.emptyDir!.sizeLimit).toBe("20Gi");
  });

  it("the batch runner gets the same path as --model, and one AWS_REGION", () => {
    const spec = (byName("kubernetes:keda.sh/v1alpha1:ScaledJob", "summaries-scaler").inputs as { spec: { jobTargetRef: { template: { spec: { containers: Container[] } } } } }).spec.jobTargetRef.template.spec;
    const command = spec.containers[0]!.command!;
    expect(command[command.indexOf("--model") + 1]).toBe(`s3://$(WEIGHTS_BUCKET)/${SUMMARIES_PREFIX}`);
    expect(command.join(" ")).toContain("--load-format runai_streamer");
    expect(spec.containers[0]!.env.filter((e) => e.name === "AWS_REGION")).toHaveLength(1);
  });

  it("the gate reads s3 from both pod specs, and hub from a hub id even under the streamer", () => {
    const view = stackViewOf(recorded.map((r) => ({ urn: r.urn ?? r.name, type: r.type, name: r.name, props: r.inputs })));
    const sources = workloadsOf(view).filter((w) => w.kind !== "Job").map((w) => [w.resource.name, weightsSourceOf(w)]);
    expect(sources.sort()).toEqual([["chat", "s3"], ["summaries-scaler", "s3"]]);
    const hubUnderStreamer = stackViewOf([
      {
        urn: "d",
        type: "kubernetes:apps/v1:Deployment",
        name: "d",
        props: { spec: { template: { spec: { containers: [{ args: ["meta-llama/Llama-3.1-8B-Instruct", "--load-format", "runai_streamer"] }] } } } },
      },
    ]);
    expect(weightsSourceOf(workloadsOf(hubUnderStreamer)[0]!)).toBe("hub");
  });
});

/** IAM's wildcard match (`*` any run, `?` one character). */
const glob = (pattern: string, value: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`).test(value);
const list = (x: unknown): string[] => (x === undefined ? [] : Array.isArray(x) ? (x as string[]) : [x as string]);

/** Whether a policy allows `action` on `resource` with these request context keys (StringEquals and StringLike only; no Deny statements here). */
function allows(policy: PolicyDocumentJson, action: string, resource: string, context: Readonly<Record<string, string>> = {}): boolean {
  return policy.Statement.some(
    (s) =>
      s.Effect === "Allow" &&
      list(s.Action).some((a) => glob(a, action)) &&
      list(s.Resource).some((r) => glob(r, resource)) &&
      Object.entries(s.Condition ?? {}).every(([operator, conditions]) =>
        Object.entries(conditions).every(([key, expected]) => {
          const value = context[key];
          if (value === undefined) return false;
          if (operator === "StringEquals") return list(expected).includes(value);
          if (operator === "StringLike") return list(expected).some((p) => glob(p, value));
          return false;
        }),
      ),
  );
}
const policyOf = (name: string) => JSON.parse(byName("aws:iam/rolePolicy:RolePolicy", name).inputs.policy as string) as PolicyDocumentJson;
const BUCKET_ARN = batchCluster.weightsBucketArn as string;
const KEY_ARN = batchCluster.weightsKeyArn as string;
const viaS3 = { "kms:ViaService": "s3.us-east-1.amazonaws.com" };

describe("the stager's identity", () => {
  /**
   * The stager's boto3 calls, read from its Python, with the IAM actions each needs (AWS Service Authorization
   * Reference, Amazon S3: ListObjectsV2 → s3:ListBucket on the bucket with the s3:prefix key; PutObject and the
   * multipart calls upload_file makes → s3:PutObject, its abort → s3:AbortMultipartUpload; SSE-KMS writes need
   * kms:GenerateDataKey, multipart ones kms:Decrypt too), as of 2026-12-02.
   */
  const CALLS: Readonly<Record<string, readonly { action: string; on: "bucket" | "object" | "key" }[]>> = {
    list_objects_v2: [{ action: "s3:ListBucket", on: "bucket" }],
    upload_file: [
      { action: "s3:PutObject", on: "object" },
      { action: "s3:AbortMultipartUpload", on: "object" },
      { action: "kms:GenerateDataKey", on: "key" },
      { action: "kms:Decrypt", on: "key" },
    ],
    put_object: [
      { action: "s3:PutObject", on: "object" },
      { action: "kms:GenerateDataKey", on: "key" },
    ],
  };

  it("makes only the S3 calls mapped here", () => {
    const calls = [...STAGER_PY.matchAll(/\bs3\.([a-z_0-9]+)\(/g)].map((m) => m[1]!);
    expect([...new Set(calls)].sort()).toEqual(Object.keys(CALLS).sort());
  });

  it("may make each of them on its own prefix", () => {
    const policy = policyOf("chat-weights");
    const denied = Object.entries(CALLS).flatMap(([call, needs]) =>
      needs
        .filter(({ action, on }) =>
          on === "bucket"
            ? !allows(policy, action, BUCKET_ARN, { "s3:prefix": `${CHAT_PREFIX}/.staged` })
            : on === "object"
              ? !allows(policy, action, `${BUCKET_ARN}/${CHAT_PREFIX}/model-00001-of-00004.safetensors`)
              : !allows(policy, action, KEY_ARN, viaS3),
        )
        .map(({ action }) => `${call} needs ${action}`),
    );
    expect(denied).toEqual([]);
  });

  it("may write nowhere else, and read nothing", () => {
    const policy = policyOf("chat-weights");
    expect(allows(policy, "s3:PutObject", `${BUCKET_ARN}/search/models/meta-llama/Llama-3.1-8B-Instruct/main/x.safetensors`)).toBe(false);
    expect(allows(policy, "s3:PutObject", `${BUCKET_ARN}/search/batch/chat/output/x.jsonl`)).toBe(false);
    expect(allows(policy, "s3:PutObject", `${BUCKET_ARN}/support/models/x`)).toBe(false);
    expect(allows(policy, "s3:ListBucket", BUCKET_ARN, { "s3:prefix": "search/" })).toBe(false);
    expect(allows(policy, "s3:GetObject", `${BUCKET_ARN}/${CHAT_PREFIX}/model-00001-of-00004.safetensors`)).toBe(false);
    expect(allows(policy, "kms:GenerateDataKey", KEY_ARN)).toBe(false);
  });
});

describe("the engines' identities read the staged prefix, and only read", () => {
  it("the tenant's role (interactive engines) may make the Run:ai streamer's calls on it: list the prefix, read its objects, decrypt through S3", () => {
    const policy = policyOf("search-role");
    // runai pull_files / list_safetensors list with the model path (and path + "/") as the prefix.
    expect(allows(policy, "s3:ListBucket", BUCKET_ARN, { "s3:prefix": CHAT_PREFIX })).toBe(true);
    expect(allows(policy, "s3:ListBucket", BUCKET_ARN, { "s3:prefix": `${CHAT_PREFIX}/` })).toBe(true);
    expect(allows(policy, "s3:GetObject", `${BUCKET_ARN}/${CHAT_PREFIX}/model-00001-of-00004.safetensors`)).toBe(true);
    expect(allows(policy, "kms:Decrypt", KEY_ARN, viaS3)).toBe(true);
    expect(allows(policy, "s3:PutObject", `${BUCKET_ARN}/${CHAT_PREFIX}/model-00001-of-00004.safetensors`)).toBe(false);
    expect(allows(policy, "s3:GetObject", `${BUCKET_ARN}/${SUMMARIES_PREFIX}/config.json`)).toBe(false);
  });

  it("the batch job role lists and reads it, and writes none of it", () => {
    const policy = policyOf("summaries-job");
    expect(allows(policy, "s3:ListBucket", BUCKET_ARN, { "s3:prefix": SUMMARIES_PREFIX })).toBe(true);
    expect(allows(policy, "s3:GetObject", `${BUCKET_ARN}/${SUMMARIES_PREFIX}/model-00001-of-00004.safetensors`)).toBe(true);
    expect(allows(policy, "s3:PutObject", `${BUCKET_ARN}/${SUMMARIES_PREFIX}/model-00001-of-00004.safetensors`)).toBe(false);
    expect(allows(policy, "s3:GetObject", `${BUCKET_ARN}/search/models/meta-llama/Llama-3.1-8B-Instruct/0e9e39f/config.json`)).toBe(false);
  });
});
