import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { BATCH_QUEUE_DEFAULTS, BatchQueue } from "../../components/batch-queue";
import { BATCH_WORKER_PY } from "../../components/internal/batch-worker";
import { queueDepthQuery } from "../../components/internal/promql";
import { ModelDeployment } from "../../components/model-deployment";
import { QUEUE_AUTOSCALER_DEFAULTS, QueueAutoscaler } from "../../components/queue-autoscaler";
import { resolveVllmWorkload, WORKLOAD_PROFILE_ANNOTATION } from "../../components/vllm-server";
import { servingPlan } from "../../infra/serving-plan";
import { workloadProfileSchema } from "../../policies/economics/schema";
import { batchCluster, placement, profileOf, servingStack, WEIGHT_GIB, workload } from "../fixtures/serving";
import { validateRecordedKubernetesObjects } from "../helpers/kubernetes-schemas";
import { find, installPulumiMocks, ofType, type RecordedResource } from "../helpers/pulumi-mocks";

const config = servingStack();
const chat = workload(config, "chat");
const summaries = workload(config, "summaries");
const chatPlan = servingPlan(config, chat, WEIGHT_GIB);
const batchPlan = servingPlan(config, summaries, WEIGHT_GIB);

type Obj = Record<string, unknown>;
const at = (o: unknown, ...path: (string | number)[]): unknown => path.reduce<unknown>((v, k) => (v as Obj | undefined)?.[k as string], o);

async function deploy(name: "chat" | "summaries"): Promise<{ recorded: RecordedResource[]; md: ModelDeployment }> {
  const recorded = installPulumiMocks();
  const w = workload(config, name);
  const md = new ModelDeployment(name, {
    config,
    workload: w,
    weightGiB: WEIGHT_GIB,
    tenant: { namespace: w.tenant, serviceAccountName: "inference", queueNamePrefix: `inference-dev-${w.tenant}-` },
    placement,
    cluster: batchCluster,
    prometheusServerAddress: "http://kube-prometheus-stack-prometheus.monitoring.svc:9090",
  });
  await pulumi.runtime.disconnect();
  return { recorded, md };
}

const policyOf = (r: RecordedResource) => JSON.parse(r.inputs.policy as string) as { Statement: { Sid: string; Action: string[]; Resource: string }[] };

describe("interactive tier: ScaledObject on the Prometheus queue depth", () => {
  it("ModelDeployment registers exactly the server's children and one ScaledObject", async () => {
    const { recorded } = await deploy("chat");
    expect(recorded.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        "gpu-inference:serving:ModelDeployment chat",
        "gpu-inference:serving:VllmServer chat",
        "gpu-inference:serving:QueueAutoscaler chat",
        "kubernetes:apps/v1:Deployment chat",
        "kubernetes:core/v1:Service chat-svc",
        "kubernetes:monitoring.coreos.com/v1:PodMonitor chat-metrics",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy chat-ingress",
        "kubernetes:policy/v1:PodDisruptionBudget chat-pdb",
        "kubernetes:keda.sh/v1alpha1:ScaledObject chat-scaler",
      ].sort(),
    );
    expect(await validateRecordedKubernetesObjects(recorded)).toBe(6);
  });

  it("sets every KEDA field explicitly from the serving plan", async () => {
    const { recorded } = await deploy("chat");
    const so = find(recorded, "kubernetes:keda.sh/v1alpha1:ScaledObject", "chat-scaler").inputs;
    expect(at(so, "metadata", "namespace")).toBe("search");
    expect(at(so, "spec")).toEqual({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "chat" },
      pollingInterval: 15,
      cooldownPeriod: chatPlan.scaleDownCooldownSeconds,
      initialCooldownPeriod: chatPlan.coldStartSeconds,
      minReplicaCount: 2,
      maxReplicaCount: 6,
      fallback: { failureThreshold: 3, replicas: 2, behavior: "currentReplicasIfHigher" },
      advanced: {
        restoreToOriginalReplicaCount: false,
        horizontalPodAutoscalerConfig: {
          name: "keda-hpa-chat",
          behavior: {
            scaleUp: {
              stabilizationWindowSeconds: 0,
              selectPolicy: "Max",
              policies: [
                { type: "Pods", value: 4, periodSeconds: 15 },
                { type: "Percent", value: 100, periodSeconds: 15 },
              ],
            },
            scaleDown: { stabilizationWindowSeconds: chatPlan.scaleDownCooldownSeconds, selectPolicy: "Min", policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] },
          },
        },
      },
      triggers: [
        {
          type: "prometheus",
          name: "queue-depth",
          metricType: "AverageValue",
          useCachedMetrics: false,
          metadata: {
            serverAddress: "http://kube-prometheus-stack-prometheus.monitoring.svc:9090",
            query: 'sum(vllm:num_requests_waiting{job="vllm-engine", namespace="search", model_name="chat"})',
            threshold: "3",
            activationThreshold: "0",
            ignoreNullValues: "false",
            unsafeSsl: "false",
          },
        },
      ],
    });
  });

  it("is consistent with the economics: GPU limit and replica bounds are servingPlan's, the cooldown covers a cold start", async () => {
    const { recorded, md } = await deploy("chat");
    expect(md.plan).toEqual(chatPlan);
    const so = find(recorded, "kubernetes:keda.sh/v1alpha1:ScaledObject", "chat-scaler").inputs;
    const dep = find(recorded, "kubernetes:apps/v1:Deployment", "chat").inputs;
    expect([at(so, "spec", "minReplicaCount"), at(so, "spec", "maxReplicaCount")]).toEqual([chatPlan.minReplicas, chatPlan.maxReplicas]);
    expect(at(so, "spec", "triggers", 0, "metadata", "threshold")).toBe(String(chatPlan.targetQueueDepthPerReplica));
    expect(at(dep, "spec", "template", "spec", "containers", 0, "resources", "limits", "nvidia.com/gpu")).toBe(String(chatPlan.gpusPerReplica));
    expect(at(so, "spec", "advanced", "horizontalPodAutoscalerConfig", "behavior", "scaleDown", "stabilizationWindowSeconds")).toBeGreaterThanOrEqual(chatPlan.coldStartSeconds);
    // the config said 300 s, under the cold start: the plan (and so the deployment) raised it
    expect(chat.serving.scaleDownCooldownSeconds).toBeLessThan(chatPlan.coldStartSeconds);
    expect(chatPlan.scaleDownCooldownSeconds).toBe(chatPlan.coldStartSeconds);
    expect(await pulumiValue(md.autoscaler.query)).toBe(queueDepthQuery({ namespace: "search", servedModelName: "chat" }));
    expect(await pulumiValue(md.endpoint)).toBe("http://chat.search.svc.cluster.local/v1");
  });

  it("applies every documented @default", async () => {
    const d = QUEUE_AUTOSCALER_DEFAULTS.interactive;
    expect(d).toEqual({
      prometheusServerAddress: "http://prometheus-operated.monitoring.svc:9090",
      pollingIntervalSeconds: 15,
      activationQueueDepth: 0,
      fallbackFailureThreshold: 3,
      scaleUpPodsPerPeriod: 4,
      scaleUpPercentPerPeriod: 100,
      scaleUpPeriodSeconds: 15,
      scaleDownPodsPerPeriod: 1,
      scaleDownPeriodSeconds: 60,
    });
    const recorded = installPulumiMocks();
    new QueueAutoscaler("chat", { tier: "interactive", target: { namespace: "search", deploymentName: "chat", servedModelName: "chat", plan: chatPlan } });
    await pulumi.runtime.disconnect();
    const spec = at(find(recorded, "kubernetes:keda.sh/v1alpha1:ScaledObject", "chat-scaler").inputs, "spec") as Obj;
    expect(at(spec, "triggers", 0, "metadata", "serverAddress")).toBe(d.prometheusServerAddress);
    expect(at(spec, "triggers", 0, "metadata", "activationThreshold")).toBe("0");
    expect(spec.pollingInterval).toBe(15);
    expect(at(spec, "fallback", "failureThreshold")).toBe(3);
    expect(at(spec, "advanced", "horizontalPodAutoscalerConfig", "behavior", "scaleUp", "policies")).toEqual([
      { type: "Pods", value: 4, periodSeconds: 15 },
      { type: "Percent", value: 100, periodSeconds: 15 },
    ]);
    expect(at(spec, "advanced", "horizontalPodAutoscalerConfig", "behavior", "scaleDown", "policies")).toEqual([{ type: "Pods", value: 1, periodSeconds: 60 }]);
  });

  it("refuses a floor of 0, a cooldown shorter than a cold start, and max below min", () => {
    installPulumiMocks();
    const target = (plan: typeof chatPlan) => ({ tier: "interactive" as const, target: { namespace: "search", deploymentName: "chat", servedModelName: "chat", plan } });
    expect(() => new QueueAutoscaler("a", target({ ...chatPlan, minReplicas: 0 }))).toThrow(/plan.minReplicas: expected at least 1/);
    expect(() => new QueueAutoscaler("b", target({ ...chatPlan, scaleDownCooldownSeconds: chatPlan.coldStartSeconds - 1 }))).toThrow(/at least the cold start/);
    expect(() => new QueueAutoscaler("c", target({ ...chatPlan, maxReplicas: 1 }))).toThrow(/plan.maxReplicas: expected at least minReplicas \(2\)/);
  });
});

describe("batch tier: SQS queue, DLQ, least-privilege IAM, ScaledJob", () => {
  it("ModelDeployment registers exactly the queue, its DLQ and policies, the job role, and the KEDA objects", async () => {
    const { recorded } = await deploy("summaries");
    expect(recorded.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        "gpu-inference:serving:ModelDeployment summaries",
        "gpu-inference:serving:BatchQueue summaries",
        "gpu-inference:serving:QueueAutoscaler summaries",
        "aws:sqs/queue:Queue summaries-dlq",
        "aws:sqs/queue:Queue summaries-jobs",
        "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy summaries-dlq-allow",
        "aws:sqs/queuePolicy:QueuePolicy summaries-jobs-tls-only",
        "aws:sqs/queuePolicy:QueuePolicy summaries-dlq-tls-only",
        "aws:iam/role:Role summaries-job",
        "aws:iam/rolePolicy:RolePolicy summaries-job",
        "aws:eks/podIdentityAssociation:PodIdentityAssociation summaries-job",
        "kubernetes:core/v1:ServiceAccount summaries-batch-sa",
        "kubernetes:core/v1:ConfigMap summaries-batch-worker",
        "kubernetes:keda.sh/v1alpha1:TriggerAuthentication summaries-sqs-auth",
        "kubernetes:keda.sh/v1alpha1:ScaledJob summaries-scaler",
        "kubernetes:monitoring.coreos.com/v1:PodMonitor summaries-metrics",
      ].sort(),
    );
    expect(await validateRecordedKubernetesObjects(recorded)).toBe(5);
  });

  it("PodMonitor: scrapes exactly this ScaledJob's pods on their metrics port, labelled as the engine PodMonitor labels its series", async () => {
    const { recorded } = await deploy("summaries");
    const sj = find(recorded, "kubernetes:keda.sh/v1alpha1:ScaledJob", "summaries-scaler").inputs;
    const pm = find(recorded, "kubernetes:monitoring.coreos.com/v1:PodMonitor", "summaries-metrics").inputs;
    expect(at(pm, "metadata", "namespace")).toBe(summaries.tenant);
    const podLabels = at(sj, "spec", "jobTargetRef", "template", "metadata", "labels") as Record<string, string>;
    const matchLabels = at(pm, "spec", "selector", "matchLabels") as Record<string, string>;
    // Every selector label is on the job pods, and it names this workload (instance) and its batch pods (component).
    expect(Object.entries(matchLabels).every(([k, v]) => podLabels[k] === v)).toBe(true);
    expect(matchLabels).toEqual({ "app.kubernetes.io/instance": "summaries", "app.kubernetes.io/component": "batch" });
    // ...which the interactive engine pods of another workload never carry.
    const other = await deploy("chat");
    const chatPodLabels = at(find(other.recorded, "kubernetes:apps/v1:Deployment", "chat").inputs, "spec", "template", "metadata", "labels") as Record<string, string>;
    expect(Object.entries(matchLabels).every(([k, v]) => chatPodLabels[k] === v)).toBe(false);
    const ports = at(sj, "spec", "jobTargetRef", "template", "spec", "containers", 0, "ports") as { name: string; containerPort: number }[];
    expect(at(pm, "spec", "podMetricsEndpoints")).toEqual([
      {
        port: ports[0]!.name,
        path: "/metrics",
        interval: "15s",
        honorLabels: false,
        relabelings: [
          { action: "replace", sourceLabels: ["__meta_kubernetes_namespace"], targetLabel: "namespace" },
          { action: "replace", sourceLabels: ["__meta_kubernetes_pod_name"], targetLabel: "pod" },
          { action: "replace", targetLabel: "job", replacement: "vllm-engine" },
        ],
      },
    ]);
  });

  it("encrypts both queues and redrives to the DLQ after maxReceiveCount receives", async () => {
    const { recorded } = await deploy("summaries");
    const jobs = find(recorded, "aws:sqs/queue:Queue", "summaries-jobs").inputs;
    const dlq = find(recorded, "aws:sqs/queue:Queue", "summaries-dlq").inputs;
    expect(jobs).toMatchObject({ name: "inference-dev-support-summaries", sqsManagedSseEnabled: true, visibilityTimeoutSeconds: 900, messageRetentionSeconds: 345600, receiveWaitTimeSeconds: 20 });
    expect(dlq).toMatchObject({ name: "inference-dev-support-summaries-dlq", sqsManagedSseEnabled: true, messageRetentionSeconds: 1209600 });
    expect(JSON.parse(jobs.redrivePolicy as string)).toEqual({ deadLetterTargetArn: "arn:aws:mock:us-east-1:123456789012:summaries-dlq", maxReceiveCount: 3 });
    const allow = find(recorded, "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy", "summaries-dlq-allow").inputs;
    expect(JSON.parse(allow.redriveAllowPolicy as string)).toEqual({ redrivePermission: "byQueue", sourceQueueArns: ["arn:aws:mock:us-east-1:123456789012:summaries-jobs"] });
    for (const name of ["summaries-jobs-tls-only", "summaries-dlq-tls-only"]) {
      const statement = policyOf(find(recorded, "aws:sqs/queuePolicy:QueuePolicy", name)).Statement[0] as unknown as Obj;
      expect(statement).toMatchObject({ Effect: "Deny", Principal: "*", Action: "sqs:*", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    }
  });

  it("the job role reaches exactly this queue, these prefixes and the bucket key through S3, for exactly its service account", async () => {
    const { recorded } = await deploy("summaries");
    const statements = policyOf(find(recorded, "aws:iam/rolePolicy:RolePolicy", "summaries-job")).Statement;
    expect(statements.map((s) => [s.Sid, s.Action, s.Resource])).toEqual([
      ["TakeJobs", ["sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage"], "arn:aws:mock:us-east-1:123456789012:summaries-jobs"],
      ["ReadInputs", ["s3:GetObject"], "arn:aws:s3:::inference-dev-weights/support/batch/summaries/input/*"],
      ["WriteOutputs", ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"], "arn:aws:s3:::inference-dev-weights/support/batch/summaries/output/*"],
      ["UseBucketKeyThroughS3", ["kms:Decrypt", "kms:GenerateDataKey"], "arn:aws:kms:us-east-1:123456789012:key/weights"],
    ]);
    const trust = JSON.parse(find(recorded, "aws:iam/role:Role", "summaries-job").inputs.assumeRolePolicy as string) as { Statement: Obj[] };
    expect(at(trust.Statement[0], "Condition", "StringEquals")).toEqual({
      "aws:SourceAccount": "123456789012",
      "aws:RequestTag/eks-cluster-name": "inference-dev",
      "aws:RequestTag/kubernetes-namespace": "support",
      "aws:RequestTag/kubernetes-service-account": "summaries-batch",
    });
    expect(find(recorded, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "summaries-job").inputs).toMatchObject({
      clusterName: "inference-dev",
      namespace: "support",
      serviceAccount: "summaries-batch",
      roleArn: "arn:aws:mock:us-east-1:123456789012:summaries-job",
    });
  });

  it("ScaledJob: scales to zero on the SQS depth with KEDA's AWS identity; bounds, GPUs and messages per job from the plan", async () => {
    const { recorded, md } = await deploy("summaries");
    const sj = find(recorded, "kubernetes:keda.sh/v1alpha1:ScaledJob", "summaries-scaler").inputs;
    const spec = at(sj, "spec") as Obj;
    expect([spec.minReplicaCount, spec.maxReplicaCount]).toEqual([0, 3]);
    expect([spec.minReplicaCount, spec.maxReplicaCount]).toEqual([batchPlan.minReplicas, batchPlan.maxReplicas]);
    expect(spec).toMatchObject({ pollingInterval: 30, successfulJobsHistoryLimit: 5, failedJobsHistoryLimit: 10, envSourceContainerName: "vllm", rollout: { strategy: "gradual" }, scalingStrategy: { strategy: "default" } });
    expect(spec.triggers).toEqual([
      {
        type: "aws-sqs-queue",
        name: "job-queue",
        authenticationRef: { name: "summaries-sqs" },
        metadata: {
          queueURL: "https://sqs.us-east-1.amazonaws.com/123456789012/inference-dev-support-summaries",
          awsRegion: "us-east-1",
          queueLength: "2",
          activationQueueLength: "0",
          scaleOnInFlight: "true",
        },
      },
    ]);
    expect(at(find(recorded, "kubernetes:keda.sh/v1alpha1:TriggerAuthentication", "summaries-sqs-auth").inputs, "spec")).toEqual({ podIdentity: { provider: "aws", identityOwner: "keda" } });
    const job = at(spec, "jobTargetRef") as Obj;
    expect(job).toMatchObject({ parallelism: 1, completions: 1, backoffLimit: 0, activeDeadlineSeconds: 21600 });
    const pod = at(job, "template", "spec") as Obj;
    expect(pod).toMatchObject({ restartPolicy: "Never", serviceAccountName: "summaries-batch", enableServiceLinks: false, nodeSelector: placement.nodeSelector });
    const c = at(pod, "containers", 0) as Obj;
    expect(at(c, "resources", "limits", "nvidia.com/gpu")).toBe(String(batchPlan.gpusPerReplica));
    expect((c.command as string[]).slice(0, 3)).toEqual(["python3", "/opt/gpu-inference/batch_worker.py", "--"]);
    const env = Object.fromEntries((c.env as { name: string; value?: unknown }[]).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      BATCH_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/inference-dev-support-summaries",
      BATCH_INPUT_PREFIX: "s3://inference-dev-weights/support/batch/summaries/input/",
      BATCH_OUTPUT_PREFIX: "s3://inference-dev-weights/support/batch/summaries/output/",
      BATCH_VISIBILITY_SECONDS: "900",
      BATCH_IDLE_SECONDS: String(batchPlan.scaleDownCooldownSeconds),
      AWS_REGION: "us-east-1",
    });
    expect(find(recorded, "kubernetes:core/v1:ConfigMap", "summaries-batch-worker").inputs.data).toEqual({ "batch_worker.py": BATCH_WORKER_PY });
    const profile = workloadProfileSchema.parse(JSON.parse((at(sj, "metadata", "annotations") as Record<string, string>)[WORKLOAD_PROFILE_ANNOTATION] as string));
    expect(profile).toEqual(workloadProfileSchema.parse(profileOf(summaries)));
    expect((at(sj, "metadata", "annotations") as Record<string, string>)["gpu-inference.dev/cold-start-seconds"]).toBe(String(batchPlan.coldStartSeconds));
    expect((at(sj, "metadata", "annotations") as Record<string, string>)["gpu-inference.dev/requests-per-batch-file"]).toBe("1000");
    expect(batchPlan.batch).toEqual({ requestsPerFile: 1000, filesPerJob: 2 });
    expect(await pulumiValue(md.queueUrl)).toBe("https://sqs.us-east-1.amazonaws.com/123456789012/inference-dev-support-summaries");
  });

  it("applies every documented @default of BatchQueue and the batch autoscaler", async () => {
    expect(BATCH_QUEUE_DEFAULTS).toEqual({ visibilityTimeoutSeconds: 900, maxReceiveCount: 3, messageRetentionSeconds: 345600, deadLetterRetentionSeconds: 1209600, receiveWaitTimeSeconds: 20 });
    expect(QUEUE_AUTOSCALER_DEFAULTS.batch).toEqual({ pollingIntervalSeconds: 30, jobTimeoutSeconds: 21600, successfulJobsHistoryLimit: 5, failedJobsHistoryLimit: 10, scrapeInterval: "15s", podMonitorLabels: {} });
    const recorded = installPulumiMocks();
    const q = new BatchQueue("s", { plan: batchPlan, namespace: "support", cluster: batchCluster, queueNamePrefix: "inference-dev-support-" });
    await pulumi.runtime.disconnect();
    expect(q.target.jobServiceAccountName).toBe("s-batch");
    expect(q.target.visibilityTimeoutSeconds).toBe(900);
    expect(JSON.parse(find(recorded, "aws:sqs/queue:Queue", "s-jobs").inputs.redrivePolicy as string).maxReceiveCount).toBe(3);
    expect(await pulumiValue(q.target.inputPrefixUri)).toBe("s3://inference-dev-weights/support/batch/summaries/input/");
    expect(await pulumiValue(q.target.outputPrefixUri)).toBe("s3://inference-dev-weights/support/batch/summaries/output/");
    expect(ofType(recorded, "aws:iam/role:Role")).toHaveLength(1);
  });

  it("refuses overlapping prefixes, a queue outside the cluster's prefix, an interactive plan, and a batch workload without the cluster", () => {
    installPulumiMocks();
    const base = { plan: batchPlan, namespace: "support", cluster: batchCluster, queueNamePrefix: "inference-dev-support-" };
    expect(() => new BatchQueue("a", { ...base, inputPrefix: "x/", outputPrefix: "x/out/" })).toThrow(/disjoint prefixes/);
    expect(() => new BatchQueue("b", { ...base, queueNamePrefix: "other-support-" })).toThrow(/queueNamePrefix: expected to start with "inference-dev-"/);
    expect(() => new BatchQueue("c", { ...base, plan: chatPlan })).toThrow(/plan.tier: expected "batch"/);
    expect(() => new ModelDeployment("d", { config, workload: summaries, weightGiB: WEIGHT_GIB, tenant: { namespace: "support" }, placement })).toThrow(/batch tier; expected `cluster`/);
    const { engine, pod, profile } = resolveVllmWorkload("t", { plan: batchPlan, profile: profileOf(summaries), placement, weightGiB: WEIGHT_GIB });
    const queue = new BatchQueue("e", base).target;
    expect(
      () => new QueueAutoscaler("f", { tier: "batch", queue, job: { namespace: "support", plan: batchPlan, profile, engine: { ...engine, tensorParallelSize: 2 }, pod } }),
    ).toThrow(/tensorParallelSize \(2\) must equal job.pod.gpus \(1\)/);
  });
});

function pulumiValue<T>(output: pulumi.Output<T> | undefined): Promise<T | undefined> {
  if (output === undefined) return Promise.resolve(undefined);
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}
