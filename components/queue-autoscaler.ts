/**
 * QueueAutoscaler: KEDA scaling on queue depth, never CPU.
 *
 * - interactive: a ScaledObject over the VllmServer's Deployment, on a Prometheus trigger summing
 *   vLLM's waiting-requests gauge for this namespace and served model. Every KEDA default that
 *   matters is set explicitly (KEDA would default min to 0, max to 100, and read "no data" as 0).
 * - batch: a ScaledJob on the SQS queue's depth (KEDA's own AWS identity through a TriggerAuthentication),
 *   scaling to zero; each Job runs the batch worker around vLLM's offline batch runner, whose metrics
 *   a PodMonitor scrapes from the job pods (the interactive tier's PodMonitor is the VllmServer's).
 *
 * Replica bounds, queue target and cooldown come from the ServingPlan the cost model simulates.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ServingPlan } from "./internal/serving-plan";
import type { WorkloadProfile } from "../policies/economics/schema";
import type { BatchQueueTarget } from "./batch-queue";
import type { CrdSources } from "./internal/cluster-contract";
import { BATCH_WORKER_DIR, BATCH_WORKER_FILE, BATCH_WORKER_PY } from "./internal/batch-worker";
import { podMetricsEndpoint } from "./internal/pod-monitor";
import { ENGINE_SCRAPE_JOB, queueDepthQuery } from "./internal/promql";
import { renderRunBatchArgs, RUN_BATCH_METRICS_PORT, VLLM_IMAGE, type VllmEngineOptions } from "./internal/vllm-flags";
import {
  CONTAINER_SECURITY_CONTEXT,
  hfTokenSecret,
  POD_SECURITY_CONTEXT,
  vllmEnv,
  vllmResources,
  vllmVolumeMounts,
  vllmVolumes,
  type VllmPodOptions,
} from "./internal/vllm-pod";
import { BATCH_IDLE_SECONDS_ENV } from "../policies/contract";
import { workloadAnnotations, type QueueScaleTarget } from "./vllm-server";

/** Name of the batch pod's metrics port, which the batch PodMonitor scrapes. */
export const BATCH_METRICS_PORT_NAME = "metrics";

export const QUEUE_AUTOSCALER_DEFAULTS = {
  interactive: {
    /** In-cluster Prometheus (prometheus-operator's governing Service). */
    prometheusServerAddress: "http://prometheus-operated.monitoring.svc:9090",
    pollingIntervalSeconds: 15,
    activationQueueDepth: 0,
    fallbackFailureThreshold: 3,
    scaleUpPodsPerPeriod: 4,
    scaleUpPercentPerPeriod: 100,
    scaleUpPeriodSeconds: 15,
    scaleDownPodsPerPeriod: 1,
    scaleDownPeriodSeconds: 60,
  },
  batch: {
    pollingIntervalSeconds: 30,
    jobTimeoutSeconds: 6 * 3600,
    successfulJobsHistoryLimit: 5,
    failedJobsHistoryLimit: 10,
    /** The interactive engine's scrape interval (`VLLM_SERVER_DEFAULTS.scrapeInterval`). */
    scrapeInterval: "15s",
    podMonitorLabels: {} as Readonly<Record<string, string>>,
  },
} as const;

/** Options both tiers take. */
interface AutoscalerCommonArgs {
  /** What installs the KEDA CRDs (`GpuCluster.crdSources`); the ScaledObject/ScaledJob and TriggerAuthentication wait for `keda`. @default - none: KEDA is installed outside this stack */
  readonly crdSources?: Pick<CrdSources, "keda">;
}

export interface InteractiveAutoscalerArgs extends AutoscalerCommonArgs {
  readonly tier: "interactive";
  /** The server to scale: its Deployment, namespace, served model name and plan (`VllmServer.scaleTarget`). */
  readonly target: QueueScaleTarget;
  /** Prometheus base URL KEDA queries (maps to the trigger's `metadata.serverAddress`). @default "http://prometheus-operated.monitoring.svc:9090" */
  readonly prometheusServerAddress?: string;
  /** Seconds between KEDA's metric polls (maps to `spec.pollingInterval`). @default 15 */
  readonly pollingIntervalSeconds?: number;
  /** Total waiting requests above which the scaler counts as active (maps to the trigger's `metadata.activationThreshold`). @default 0 */
  readonly activationQueueDepth?: number;
  /** Failed polls in a row before the fallback holds the current replica count (maps to `spec.fallback.failureThreshold`). @default 3 */
  readonly fallbackFailureThreshold?: number;
  /** Most replicas added per scale-up period (maps to an HPA `scaleUp` `Pods` policy). @default 4 */
  readonly scaleUpPodsPerPeriod?: number;
  /** Most growth per scale-up period, percent (maps to an HPA `scaleUp` `Percent` policy; the larger policy wins). @default 100 */
  readonly scaleUpPercentPerPeriod?: number;
  /** Scale-up policy period, seconds (maps to `scaleUp.policies[].periodSeconds`). @default 15 */
  readonly scaleUpPeriodSeconds?: number;
  /** Most replicas removed per scale-down period (maps to the HPA `scaleDown` `Pods` policy). @default 1 */
  readonly scaleDownPodsPerPeriod?: number;
  /** Scale-down policy period, seconds (maps to `scaleDown.policies[].periodSeconds`). @default 60 */
  readonly scaleDownPeriodSeconds?: number;
}

/** The batch job's pod: what `resolveVllmWorkload` returns, plus where it runs. */
export interface BatchJobTemplate {
  readonly namespace: pulumi.Input<string>;
  readonly plan: ServingPlan;
  readonly profile: WorkloadProfile;
  readonly engine: VllmEngineOptions;
  readonly pod: VllmPodOptions;
  /** Hugging Face token, a Pulumi secret; becomes a Kubernetes Secret. @default - no token */
  readonly huggingFaceToken?: pulumi.Input<string>;
  /** The Job that stages the weights in S3 (`WeightsStaging.job`); the ScaledJob waits for it, so no Job starts before its weights exist. @default - none: weights from the hub */
  readonly weightsStaged?: pulumi.Resource;
}

export interface BatchAutoscalerArgs extends AutoscalerCommonArgs {
  readonly tier: "batch";
  /** The SQS queue, its roles and S3 prefixes (`BatchQueue.target`). */
  readonly queue: BatchQueueTarget;
  readonly job: BatchJobTemplate;
  /** Seconds between queue polls (maps to `spec.pollingInterval`). @default 30 */
  readonly pollingIntervalSeconds?: number;
  /** Longest a Job may run before Kubernetes stops it (maps to `jobTargetRef.activeDeadlineSeconds`). @default 21600 (6 h) */
  readonly jobTimeoutSeconds?: number;
  /** Finished Jobs kept (maps to `spec.successfulJobsHistoryLimit`). @default 5 */
  readonly successfulJobsHistoryLimit?: number;
  /** Failed Jobs kept (maps to `spec.failedJobsHistoryLimit`). @default 10 */
  readonly failedJobsHistoryLimit?: number;
  /** Interval Prometheus scrapes the job pods' metrics port at (maps to `PodMonitor.spec.podMetricsEndpoints[0].interval`). @default "15s" */
  readonly scrapeInterval?: string;
  /** Labels the Prometheus' `podMonitorSelector` matches (maps to the PodMonitor's `metadata.labels`). @default {} */
  readonly podMonitorLabels?: Readonly<Record<string, string>>;
  /** What installs the KEDA and prometheus-operator CRDs (`GpuCluster.crdSources`); the KEDA objects wait for `keda`, the PodMonitor for `prometheusOperator`. @default - none: both are installed outside this stack */
  readonly crdSources?: Pick<CrdSources, "keda" | "prometheusOperator">;
}

export type QueueAutoscalerArgs = InteractiveAutoscalerArgs | BatchAutoscalerArgs;

export class QueueAutoscaler extends pulumi.ComponentResource {
  /** The interactive tier's ScaledObject. */
  public readonly scaledObject?: k8s.apiextensions.CustomResource;
  /** The batch tier's ScaledJob. */
  public readonly scaledJob?: k8s.apiextensions.CustomResource;
  /** The batch tier's PodMonitor on the job pods' metrics port (the interactive tier's is the VllmServer's). */
  public readonly podMonitor?: k8s.apiextensions.CustomResource;
  /** The PromQL the ScaledObject runs (interactive only). */
  public readonly query?: pulumi.Output<string>;

  constructor(name: string, args: QueueAutoscalerArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validated before registering, so a refused config leaves no half-registered component behind.
    if (args.tier === "interactive") checkInteractive(name, args);
    else checkBatch(name, args);
    super("gpu-inference:serving:QueueAutoscaler", name, {}, opts);
    if (args.tier === "interactive") {
      const built = interactive(name, args, this);
      this.scaledObject = built.scaledObject;
      this.query = built.query;
    } else {
      const built = batch(name, args, this);
      this.scaledJob = built.scaledJob;
      this.podMonitor = built.podMonitor;
    }
    this.registerOutputs({ scaledObject: this.scaledObject, scaledJob: this.scaledJob, podMonitor: this.podMonitor, query: this.query });
  }
}

function checkInteractive(name: string, args: InteractiveAutoscalerArgs): void {
  const plan = args.target.plan;
  const activationQueueDepth = args.activationQueueDepth ?? QUEUE_AUTOSCALER_DEFAULTS.interactive.activationQueueDepth;
  const problems: string[] = [];
  if (plan.minReplicas < 1) problems.push(`plan.minReplicas: expected at least 1 for an interactive tier (KEDA would scale to zero); got ${plan.minReplicas}`);
  if (plan.maxReplicas < plan.minReplicas) problems.push(`plan.maxReplicas: expected at least minReplicas (${plan.minReplicas}); got ${plan.maxReplicas}`);
  if (plan.scaleDownCooldownSeconds < plan.coldStartSeconds) {
    problems.push(`plan.scaleDownCooldownSeconds: expected at least the cold start (${plan.coldStartSeconds} s) so scaling does not thrash; got ${plan.scaleDownCooldownSeconds}`);
  }
  if (!(plan.targetQueueDepthPerReplica > 0)) problems.push(`plan.targetQueueDepthPerReplica: expected a positive number; got ${plan.targetQueueDepthPerReplica}`);
  if (!(activationQueueDepth >= 0)) problems.push(`activationQueueDepth: expected a number of requests, at least 0; got ${activationQueueDepth}`);
  if (problems.length > 0) throw new Error(`QueueAutoscaler ${name}:\n  ${problems.join("\n  ")}`);

}

function interactive(name: string, args: InteractiveAutoscalerArgs, parent: pulumi.Resource) {
  const d = QUEUE_AUTOSCALER_DEFAULTS.interactive;
  const plan = args.target.plan;
  const pollingIntervalSeconds = args.pollingIntervalSeconds ?? d.pollingIntervalSeconds;
  const activationQueueDepth = args.activationQueueDepth ?? d.activationQueueDepth;
  const query = pulumi.output(args.target.namespace).apply((namespace) => queueDepthQuery({ namespace, servedModelName: args.target.servedModelName }));
  const scaledObject = new k8s.apiextensions.CustomResource(
    `${name}-scaler`,
    {
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name, namespace: args.target.namespace, labels: { "app.kubernetes.io/part-of": "gpu-inference", "gpu-inference.dev/workload": plan.workload } },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: args.target.deploymentName },
        pollingInterval: pollingIntervalSeconds,
        // cooldownPeriod and initialCooldownPeriod only govern scaling to zero, which minReplicaCount ≥ 1 rules out; set anyway so nothing is left to KEDA's defaults.
        cooldownPeriod: plan.scaleDownCooldownSeconds,
        initialCooldownPeriod: plan.coldStartSeconds,
        minReplicaCount: plan.minReplicas,
        maxReplicaCount: plan.maxReplicas,
        // Prometheus unreachable or the series gone: hold what is running rather than scale on a missing number.
        fallback: { failureThreshold: args.fallbackFailureThreshold ?? d.fallbackFailureThreshold, replicas: plan.minReplicas, behavior: "currentReplicasIfHigher" },
        advanced: {
          restoreToOriginalReplicaCount: false,
          horizontalPodAutoscalerConfig: {
            name: `keda-hpa-${name}`,
            behavior: {
              scaleUp: {
                stabilizationWindowSeconds: 0,
                selectPolicy: "Max",
                policies: [
                  { type: "Pods", value: args.scaleUpPodsPerPeriod ?? d.scaleUpPodsPerPeriod, periodSeconds: args.scaleUpPeriodSeconds ?? d.scaleUpPeriodSeconds },
                  { type: "Percent", value: args.scaleUpPercentPerPeriod ?? d.scaleUpPercentPerPeriod, periodSeconds: args.scaleUpPeriodSeconds ?? d.scaleUpPeriodSeconds },
                ],
              },
              scaleDown: {
                stabilizationWindowSeconds: plan.scaleDownCooldownSeconds,
                selectPolicy: "Min",
                policies: [{ type: "Pods", value: args.scaleDownPodsPerPeriod ?? d.scaleDownPodsPerPeriod, periodSeconds: args.scaleDownPeriodSeconds ?? d.scaleDownPeriodSeconds }],
              },
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
              serverAddress: args.prometheusServerAddress ?? d.prometheusServerAddress,
              query,
              threshold: String(plan.targetQueueDepthPerReplica),
              activationThreshold: String(activationQueueDepth),
              // An empty result is an error (then the fallback applies), never a queue of 0.
              ignoreNullValues: "false",
              unsafeSsl: "false",
            },
          },
        ],
      },
    },
    { parent, dependsOn: kedaCrds(args) },
  );
  return { scaledObject, query };
}

/** The KEDA release, when the cluster installs it: every keda.sh object waits for its CRDs. */
function kedaCrds(args: AutoscalerCommonArgs): pulumi.Resource[] {
  return args.crdSources !== undefined ? [args.crdSources.keda] : [];
}

function checkBatch(name: string, args: BatchAutoscalerArgs): void {
  const { plan, engine, pod } = args.job;
  const jobTimeoutSeconds = args.jobTimeoutSeconds ?? QUEUE_AUTOSCALER_DEFAULTS.batch.jobTimeoutSeconds;
  const problems: string[] = [];
  if (plan.tier !== "batch") problems.push(`job.plan.tier: expected "batch"; got "${plan.tier}"`);
  if (plan.maxReplicas < 1) problems.push(`job.plan.maxReplicas: expected at least 1; got ${plan.maxReplicas}`);
  if (plan.minReplicas > plan.maxReplicas) problems.push(`job.plan.minReplicas: expected at most maxReplicas (${plan.maxReplicas}); got ${plan.minReplicas}`);
  if (!Number.isInteger(jobTimeoutSeconds) || jobTimeoutSeconds < plan.coldStartSeconds) {
    problems.push(`jobTimeoutSeconds: expected whole seconds, at least the cold start (${plan.coldStartSeconds}); got ${jobTimeoutSeconds}`);
  }
  if (engine.tensorParallelSize !== pod.gpus) problems.push(`job.engine.tensorParallelSize (${engine.tensorParallelSize}) must equal job.pod.gpus (${pod.gpus})`);
  if (problems.length > 0) throw new Error(`QueueAutoscaler ${name}:\n  ${problems.join("\n  ")}`);

}

function batch(name: string, args: BatchAutoscalerArgs, parent: pulumi.Resource): { scaledJob: k8s.apiextensions.CustomResource; podMonitor: k8s.apiextensions.CustomResource } {
  const d = QUEUE_AUTOSCALER_DEFAULTS.batch;
  const { plan, namespace, engine, pod, profile } = args.job;
  const jobTimeoutSeconds = args.jobTimeoutSeconds ?? d.jobTimeoutSeconds;
  // The queue counts batch files; the plan says how many waiting files warrant one more Job.
  const filesPerJob = plan.batch?.filesPerJob ?? 1;
  const labels = { "app.kubernetes.io/name": "vllm", ...batchPodSelector(name), "app.kubernetes.io/part-of": "gpu-inference", "gpu-inference.dev/workload": plan.workload };
  const child = { parent };
  const customResource = { parent, dependsOn: kedaCrds(args) };
  const q = args.queue;

  const serviceAccount = new k8s.core.v1.ServiceAccount(
    `${name}-batch-sa`,
    {
      // Bound to the job role by the BatchQueue's EKS Pod Identity association; the worker never calls the Kubernetes API.
      metadata: { name: q.jobServiceAccountName, namespace, labels },
      automountServiceAccountToken: false,
    },
    child,
  );
  const worker = new k8s.core.v1.ConfigMap(`${name}-batch-worker`, { metadata: { name: `${name}-batch-worker`, namespace, labels }, data: { [BATCH_WORKER_FILE]: BATCH_WORKER_PY } }, child);
  const secret = args.job.huggingFaceToken !== undefined ? hfTokenSecret(`${name}-hf-token`, namespace, labels, args.job.huggingFaceToken, parent) : undefined;
  const auth = new k8s.apiextensions.CustomResource(
    `${name}-sqs-auth`,
    {
      apiVersion: "keda.sh/v1alpha1",
      kind: "TriggerAuthentication",
      metadata: { name: `${name}-sqs`, namespace, labels },
      // KEDA reads the queue depth as itself: the cluster's KEDA operator role (EKS Pod Identity) may read every `<cluster>-*` queue.
      spec: { podIdentity: { provider: "aws", identityOwner: "keda" } },
    },
    customResource,
  );

  const scaledJob = new k8s.apiextensions.CustomResource(
    `${name}-scaler`,
    {
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledJob",
      metadata: { name, namespace, labels, annotations: workloadAnnotations(profile, plan) },
      spec: {
        pollingInterval: args.pollingIntervalSeconds ?? d.pollingIntervalSeconds,
        minReplicaCount: plan.minReplicas,
        maxReplicaCount: plan.maxReplicas,
        successfulJobsHistoryLimit: args.successfulJobsHistoryLimit ?? d.successfulJobsHistoryLimit,
        failedJobsHistoryLimit: args.failedJobsHistoryLimit ?? d.failedJobsHistoryLimit,
        envSourceContainerName: "vllm",
        // An update never kills running Jobs (they hold messages); new Jobs get the new spec.
        rollout: { strategy: "gradual" },
        // The queue length counts in-flight messages (held by running Jobs), so running Jobs are subtracted.
        scalingStrategy: { strategy: "default" },
        jobTargetRef: {
          parallelism: 1,
          completions: 1,
          // Retries happen through SQS redelivery (and then the dead-letter queue), not by Kubernetes re-running a pod.
          backoffLimit: 0,
          activeDeadlineSeconds: jobTimeoutSeconds,
          template: {
            // KEDA adds `scaledjob.keda.sh/name` and the Job controller `job-name`; these stay as written.
            metadata: { labels },
            spec: {
              restartPolicy: "Never",
              serviceAccountName: serviceAccount.metadata.name,
              enableServiceLinks: false,
              securityContext: POD_SECURITY_CONTEXT,
              nodeSelector: { ...pod.placement.nodeSelector },
              tolerations: [...pod.placement.tolerations],
              containers: [
                {
                  name: "vllm",
                  image: VLLM_IMAGE,
                  command: ["python3", `${BATCH_WORKER_DIR}/${BATCH_WORKER_FILE}`, "--", ...renderRunBatchArgs(engine, RUN_BATCH_METRICS_PORT)],
                  // The runner's Prometheus server (one process per file: it is down between files, and its counters restart).
                  ports: [{ name: BATCH_METRICS_PORT_NAME, containerPort: RUN_BATCH_METRICS_PORT, protocol: "TCP" }],
                  env: [
                    ...vllmEnv(secret?.metadata.name, pod.s3Weights),
                    // vllmEnv sets AWS_REGION already when the weights stream from S3 (the same region: one bucket per cluster).
                    ...(pod.s3Weights === undefined ? [{ name: "AWS_REGION", value: q.region }] : []),
                    { name: "BATCH_QUEUE_URL", value: q.queueUrl },
                    { name: "BATCH_INPUT_PREFIX", value: q.inputPrefixUri },
                    { name: "BATCH_OUTPUT_PREFIX", value: q.outputPrefixUri },
                    { name: "BATCH_VISIBILITY_SECONDS", value: String(q.visibilityTimeoutSeconds) },
                    // A Job takes files until the queue has stayed empty this long: the scale-down cooldown the cost model simulates.
                    { name: BATCH_IDLE_SECONDS_ENV, value: String(plan.scaleDownCooldownSeconds) },
                  ],
                  resources: vllmResources(pod),
                  volumeMounts: [...vllmVolumeMounts(), { name: "worker", mountPath: BATCH_WORKER_DIR, readOnly: true }],
                  securityContext: CONTAINER_SECURITY_CONTEXT,
                },
              ],
              volumes: [...vllmVolumes(pod), { name: "worker", configMap: { name: worker.metadata.name, defaultMode: 0o444 } }],
            },
          },
        },
        triggers: [
          {
            type: "aws-sqs-queue",
            name: "job-queue",
            authenticationRef: { name: auth.metadata.name },
            metadata: {
              queueURL: q.queueUrl,
              awsRegion: q.region,
              queueLength: String(filesPerJob),
              activationQueueLength: "0",
              scaleOnInFlight: "true",
            },
          },
        ],
      },
    },
    { ...customResource, dependsOn: [...customResource.dependsOn, ...(args.job.weightsStaged !== undefined ? [args.job.weightsStaged] : [])] },
  );

  // Only this workload's job pods carry both labels (the ServiceAccount and ConfigMap are no pods; other
  // workloads differ in `instance`, interactive engines in `component`). Same endpoint and `job` as the
  // interactive engine's PodMonitor, so the live rules select batch series the same way.
  const podMonitor = new k8s.apiextensions.CustomResource(
    `${name}-metrics`,
    {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PodMonitor",
      metadata: { name: `${name}-metrics`, namespace, labels: { ...labels, ...(args.podMonitorLabels ?? d.podMonitorLabels) } },
      spec: {
        selector: { matchLabels: batchPodSelector(name) },
        podMetricsEndpoints: [podMetricsEndpoint(BATCH_METRICS_PORT_NAME, ENGINE_SCRAPE_JOB, args.scrapeInterval ?? d.scrapeInterval)],
      },
    },
    { parent, dependsOn: args.crdSources !== undefined ? [args.crdSources.prometheusOperator] : [] },
  );
  return { scaledJob, podMonitor };
}

/** Labels that select one batch workload's job pods (a subset of the pod template's labels). */
export function batchPodSelector(name: string): Record<string, string> {
  return { "app.kubernetes.io/instance": name, "app.kubernetes.io/component": "batch" };
}
