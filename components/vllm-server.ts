/**
 * VllmServer: one workload's interactive vLLM release — Deployment, Service, PodDisruptionBudget,
 * NetworkPolicy, PodMonitor, and (for gated Hugging Face models) the token Secret.
 *
 * Replica count is KEDA's: the Deployment never sets `spec.replicas`. GPU count, pool and the
 * workload profile annotation are plain values, so the cost policy reads them at preview.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { ROLLING_UPDATE_SURGE_REPLICAS, type ServingPlan } from "./internal/serving-plan";
import { workloadProfileSchema, type WorkloadProfile } from "../policies/economics/schema";
import { COLD_START_ANNOTATION, GUARD_SCRAPE_JOB, REQUESTS_PER_BATCH_FILE_ANNOTATION, WORKLOAD_PROFILE_ANNOTATION } from "../policies/contract";
import type { CrdSources } from "./internal/cluster-contract";
import { podMetricsEndpoint } from "./internal/pod-monitor";
import { ENGINE_SCRAPE_JOB } from "./internal/promql";
import type { AdmissionLimit } from "./internal/router-admission";
import { type ContainerImages, DOCKER_HUB_IMAGES } from "./internal/image-cache";
import { GUARD_PORT, GUARD_PORT_NAME, guardConfigMapData, guardContainer } from "./internal/router-guard-sidecar";
import {
  precisionOptions,
  renderServeArgs,
  VLLM_PORT,
  type VllmEngineOptions,
  type VllmKvCacheDtype,
  type VllmQuantization,
  type WeightSource,
} from "./internal/vllm-flags";
import {
  CONTAINER_SECURITY_CONTEXT,
  hfTokenSecret,
  POD_SECURITY_CONTEXT,
  validatePodOptions,
  vllmEnv,
  vllmResources,
  vllmVolumeMounts,
  vllmVolumes,
  type GpuPlacement,
  type VllmPodOptions,
} from "./internal/vllm-pod";

export type { GpuPlacement } from "./internal/vllm-pod";
export type { WeightSource } from "./internal/vllm-flags";

export { COLD_START_ANNOTATION, WORKLOAD_PROFILE_ANNOTATION } from "../policies/contract";

/** Pods allowed to reach the engines: anything else is denied by the NetworkPolicy. */
export interface EngineClients {
  /** The inference router's pods (maps to a `NetworkPolicy.spec.ingress[].from` rule). */
  readonly router: readonly k8s.types.input.networking.v1.NetworkPolicyPeer[];
  /** Prometheus' pods, which scrape `/metrics` on the same port (maps to a second `from` rule). */
  readonly prometheus: readonly k8s.types.input.networking.v1.NetworkPolicyPeer[];
}

/** Defaults of VllmServerArgs; the docs below and the defaults test point here. */
export const VLLM_SERVER_DEFAULTS = {
  enablePrefixCaching: true,
  /** Fits the smallest GPU instances (g6.xlarge: 4 vCPU, 16 GiB) after kubelet reservations and daemonsets. */
  cpuPerGpu: 2,
  memoryGiBPerGpu: 12,
  shmSizeGiB: 4,
  /** Model cache size over the weights' size, to hold the download and the Hub's temporary files. */
  modelCacheOverWeights: 1.5,
  modelCacheMinGiB: 20,
  /** Startup probe budget over the plan's cold start (the node part of a cold start happens before the probe starts, so this is generous). */
  startupOverColdStart: 2,
  startupMinSeconds: 600,
  scrapeInterval: "15s",
  podMonitorLabels: {} as Readonly<Record<string, string>>,
  clients: {
    router: [
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "inference-router" } },
        podSelector: { matchLabels: { "app.kubernetes.io/name": "inference-router" } },
      },
    ],
    prometheus: [
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
        podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
      },
    ],
  } as EngineClients,
} as const;

/** Engine and pod options shared by the interactive server and the batch jobs. */
export interface VllmEngineArgs {
  /** The workload's serving plan from `servingPlan(...)`: GPUs per replica, replica floor, cold start, pool, memory share. */
  readonly plan: ServingPlan;
  /** The workload profile (traffic, model, API alternative, rollout); validated with `workloadProfileSchema` and written to the `gpu-inference.dev/workload-profile` annotation. */
  readonly profile: z.input<typeof workloadProfileSchema>;
  /** The GPU pool's node selector and taint tolerations (maps to the pod's `nodeSelector` / `tolerations`). */
  readonly placement: GpuPlacement;
  /** Model weights size, GiB; sizes the model cache volume. */
  readonly weightGiB: number;
  /** Where the weights come from. @default - `{ kind: "huggingface", modelId: profile.model.id }` */
  readonly weights?: WeightSource;
  /** Hugging Face token for gated models; stored only as a Kubernetes Secret and read through `secretKeyRef`. @default - no token */
  readonly huggingFaceToken?: pulumi.Input<string>;
  /** Name clients send as `model` (maps to `--served-model-name`, and the metrics' `model_name` label). @default - the workload name */
  readonly servedModelName?: string;
  /** Longest context, tokens (maps to `--max-model-len`). @default - `plan.engine.maxModelLen`: what fits the KV cache after the weights, at most the model's own */
  readonly maxModelLen?: number;
  /** Most concurrent sequences per replica (maps to `--max-num-seqs`). @default - `plan.engine.maxNumSeqs`: the batch the cost model assumes */
  readonly maxNumSeqs?: number;
  /** Automatic prefix caching (maps to `--enable-prefix-caching`). @default true */
  readonly enablePrefixCaching?: boolean;
  /** Weight quantization method (maps to `--quantization`). @default - `fp8` for `weightPrecision: fp8`, else unset (vLLM reads the checkpoint) */
  readonly quantization?: VllmQuantization;
  /** KV-cache dtype (maps to `--kv-cache-dtype`). @default - `fp8` for `kvCachePrecision: fp8`, else unset (`auto`) */
  readonly kvCacheDtype?: VllmKvCacheDtype;
  /** CPU cores requested per replica (maps to `resources.requests.cpu`). @default 2 × GPUs per replica */
  readonly cpu?: number;
  /** Memory per replica, GiB, requested and limited, `/dev/shm` included (maps to `resources.{requests,limits}.memory`). @default 12 × GPUs per replica */
  readonly memoryGiB?: number;
  /** Memory-backed `/dev/shm` size, GiB (maps to an `emptyDir` with `medium: Memory`). @default 4 */
  readonly shmSizeGiB?: number;
  /** Images the pod runs (maps to `containers[].image`): `GpuCluster.containerImages`, cached in ECR when the cluster has a pull-through cache. @default - `DOCKER_HUB_IMAGES`: vLLM and Node.js straight from Docker Hub */
  readonly images?: ContainerImages;
  /** Model cache volume size, GiB (maps to the `model-cache` `emptyDir.sizeLimit`). @default - max(20, 1.5 × plan.downloadGiB), rounded up: the checkpoint really downloaded, with room for the Hub's temporary files; 20 when `weights` stream from S3 (nothing is written to disk) */
  readonly modelCacheGiB?: number;
  /** The weights bucket's name, required when `plan.weightsSource` is `s3` (set as `WEIGHTS_BUCKET`, which the model path `s3://$(WEIGHTS_BUCKET)/...` names). @default - none */
  readonly weightsBucketName?: pulumi.Input<string>;
  /** Region of the weights bucket, for the streamer's S3 client (`AWS_REGION`). @default - none; required with `weightsBucketName` */
  readonly weightsRegion?: string;
}

export interface VllmServerArgs extends VllmEngineArgs {
  /** Namespace of the tenant that runs the workload (maps to `metadata.namespace` of every child). */
  readonly namespace: pulumi.Input<string>;
  /** Service account the engine pods run as (maps to `spec.template.spec.serviceAccountName`). @default - the namespace's `default` account */
  readonly serviceAccountName?: pulumi.Input<string>;
  /** Seconds the startup probe allows for model load before the container is restarted (maps to `startupProbe.failureThreshold × periodSeconds`). @default - max(600, 2 × plan.coldStartSeconds) */
  readonly startupTimeoutSeconds?: number;
  /** Pods allowed to connect (maps to the NetworkPolicy's ingress rules). @default - router pods `app.kubernetes.io/name=inference-router` in namespace `inference-router`; Prometheus pods `app.kubernetes.io/name=prometheus` in namespace `monitoring` */
  readonly clients?: EngineClients;
  /** Labels the Prometheus' `podMonitorSelector` matches (maps to the PodMonitor's `metadata.labels`). @default {} */
  readonly podMonitorLabels?: Readonly<Record<string, string>>;
  /** Scrape interval (maps to `PodMonitor.spec.podMetricsEndpoints[0].interval`). @default "15s" */
  readonly scrapeInterval?: string;
  /** The router's admission guard in front of vLLM, with this per-replica limit (adds the `admission-guard` sidecar, the Service port `admission`, ingress and a scrape endpoint on it). @default - no guard: nothing spills before vLLM's own queue */
  readonly admissionGuard?: AdmissionLimit;
  /** What installs the PodMonitor CRD (`GpuCluster.crdSources`); the PodMonitor waits for `prometheusOperator`. @default - none: prometheus-operator is installed outside this stack */
  readonly crdSources?: Pick<CrdSources, "prometheusOperator">;
  /** The Job that stages the weights in S3 (`WeightsStaging.job`); the Deployment waits for it. @default - none: weights from the hub */
  readonly weightsStaged?: pulumi.Resource;
}

/** What an autoscaler needs to scale this server; plain values except the namespace. */
export interface QueueScaleTarget {
  readonly namespace: pulumi.Input<string>;
  /** Deployment KEDA scales (maps to `ScaledObject.spec.scaleTargetRef.name`). */
  readonly deploymentName: string;
  /** `model_name` label of the queue-depth metric. */
  readonly servedModelName: string;
  /** The plan the Deployment was built from, so the autoscaler deploys the same bounds. */
  readonly plan: ServingPlan;
}

export class VllmServer extends pulumi.ComponentResource {
  public readonly deployment: k8s.apps.v1.Deployment;
  public readonly service: k8s.core.v1.Service;
  public readonly podDisruptionBudget: k8s.policy.v1.PodDisruptionBudget;
  public readonly networkPolicy: k8s.networking.v1.NetworkPolicy;
  public readonly podMonitor: k8s.apiextensions.CustomResource;
  public readonly hfTokenSecret?: k8s.core.v1.Secret;
  /** The admission guard's script, when the server has a guard. */
  public readonly guardConfigMap?: k8s.core.v1.ConfigMap;
  /** OpenAI-compatible base URL inside the cluster, such as `http://chat.team-a.svc.cluster.local/v1`. */
  public readonly endpoint: pulumi.Output<string>;
  public readonly scaleTarget: QueueScaleTarget;
  /** The validated profile written to the annotation. */
  public readonly profile: WorkloadProfile;

  constructor(name: string, args: VllmServerArgs, opts?: pulumi.ComponentResourceOptions) {
    const d = VLLM_SERVER_DEFAULTS;
    const plan = args.plan;
    const { profile, engine, pod } = resolveVllmWorkload(`VllmServer ${name}`, args);
    const servedModelName = engine.servedModelName;
    const startupTimeoutSeconds = args.startupTimeoutSeconds ?? Math.max(d.startupMinSeconds, d.startupOverColdStart * plan.coldStartSeconds);
    const clients = args.clients ?? d.clients;

    if (name === "vllm") {
      throw new Error(`VllmServer ${name}: a Service named "vllm" makes Kubernetes inject VLLM_PORT, which vLLM rejects; name the workload something else`);
    }
    if (profile.tier !== "interactive") {
      throw new Error(`VllmServer ${name}: profile.tier is "${profile.tier}"; a VllmServer serves interactive tiers, batch tiers run as KEDA ScaledJobs`);
    }
    if (plan.minReplicas < 1) {
      throw new Error(`VllmServer ${name}: plan.minReplicas is ${plan.minReplicas}; expected at least 1 for an interactive tier (a GPU cold start takes minutes)`);
    }
    if (plan.weightsSource === "s3" && pod.s3Weights === undefined) {
      // Otherwise the pods would download from the hub while the cost model and the gate's plan assume S3.
      throw new Error(`VllmServer ${name}: plan.weightsSource is "s3"; expected \`weights\` of kind "s3", \`weightsBucketName\` and \`weightsRegion\` (ModelDeployment sets them from its WeightsStaging)`);
    }
    if (!Number.isInteger(startupTimeoutSeconds) || startupTimeoutSeconds < plan.coldStartSeconds) {
      throw new Error(`VllmServer ${name}: startupTimeoutSeconds ${startupTimeoutSeconds}; expected a whole number of seconds of at least the cold start (${plan.coldStartSeconds})`);
    }

    // Validated before registering, so a refused config leaves no half-registered component behind.
    super("gpu-inference:serving:VllmServer", name, {}, opts);
    const child = { parent: this };
    const labels = {
      "app.kubernetes.io/name": "vllm",
      "app.kubernetes.io/instance": name,
      "app.kubernetes.io/component": "engine",
      "app.kubernetes.io/part-of": "gpu-inference",
      "gpu-inference.dev/workload": plan.workload,
    };
    const selector = { "app.kubernetes.io/instance": name, "app.kubernetes.io/component": "engine" };
    const meta = (suffix = "") => ({ name: `${name}${suffix}`, namespace: args.namespace, labels });

    if (args.huggingFaceToken !== undefined) {
      this.hfTokenSecret = hfTokenSecret(`${name}-hf-token`, args.namespace, labels, args.huggingFaceToken, this);
    }
    const guard = args.admissionGuard;
    if (guard !== undefined) {
      this.guardConfigMap = new k8s.core.v1.ConfigMap(`${name}-guard`, { metadata: meta("-guard"), data: guardConfigMapData() }, child);
    }

    const probe = (periodSeconds: number, timeoutSeconds: number, failureThreshold: number) => ({
      httpGet: { path: "/health", port: "http" },
      periodSeconds,
      timeoutSeconds,
      failureThreshold,
    });
    const startupPeriod = 10;

    this.deployment = new k8s.apps.v1.Deployment(
      name,
      {
        metadata: {
          ...meta(),
          annotations: {
            ...workloadAnnotations(profile, plan),
            // pulumi-kubernetes waits 10 minutes for a Deployment by default; a GPU cold start (node, image, weights) can take longer.
            [PULUMI_TIMEOUT_ANNOTATION]: String(deploymentAwaitSeconds(plan.coldStartSeconds, startupTimeoutSeconds)),
          },
        },
        spec: {
          // No `replicas`: KEDA's HPA owns the count; Pulumi applying one on every `up` would fight it.
          selector: { matchLabels: selector },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: ROLLING_UPDATE_SURGE_REPLICAS, maxUnavailable: 0 } },
          progressDeadlineSeconds: startupTimeoutSeconds + plan.coldStartSeconds,
          revisionHistoryLimit: 5,
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: args.serviceAccountName,
              automountServiceAccountToken: false,
              // Service links would put `<SERVICE>_PORT` variables into the environment; vLLM rejects some `VLLM_*` ones.
              enableServiceLinks: false,
              securityContext: POD_SECURITY_CONTEXT,
              nodeSelector: { ...args.placement.nodeSelector },
              tolerations: [...args.placement.tolerations],
              topologySpreadConstraints: [
                { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
              ],
              terminationGracePeriodSeconds: 60,
              containers: [
                {
                  name: "vllm",
                  image: pod.images.vllm,
                  args: renderServeArgs(engine),
                  ports: [{ name: "http", containerPort: VLLM_PORT, protocol: "TCP" }],
                  env: vllmEnv(this.hfTokenSecret?.metadata.name, pod.s3Weights),
                  resources: vllmResources(pod),
                  volumeMounts: vllmVolumeMounts(),
                  securityContext: CONTAINER_SECURITY_CONTEXT,
                  startupProbe: probe(startupPeriod, 5, Math.ceil(startupTimeoutSeconds / startupPeriod)),
                  readinessProbe: probe(10, 5, 3),
                  livenessProbe: probe(20, 10, 6),
                },
                ...(guard !== undefined && this.guardConfigMap !== undefined ? [guardContainer(plan.workload, guard, VLLM_PORT, "admission-guard", pod.images.guard)] : []),
              ],
              volumes: [
                ...vllmVolumes(pod),
                ...(this.guardConfigMap !== undefined ? [{ name: "admission-guard", configMap: { name: this.guardConfigMap.metadata.name, defaultMode: 0o444 } }] : []),
              ],
            },
          },
        },
      },
      // With staged weights the pods start only once the staging Job has completed (pulumi-kubernetes awaits Jobs).
      { parent: this, dependsOn: args.weightsStaged !== undefined ? [args.weightsStaged] : [] },
    );

    this.service = new k8s.core.v1.Service(
      `${name}-svc`,
      {
        metadata: meta(),
        spec: {
          type: "ClusterIP",
          selector,
          ports: [
            { name: "http", port: 80, targetPort: "http", protocol: "TCP" },
            ...(guard !== undefined ? [{ name: GUARD_PORT_NAME, port: GUARD_PORT, targetPort: GUARD_PORT_NAME, protocol: "TCP" }] : []),
          ],
        },
      },
      child,
    );

    this.podDisruptionBudget = new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      // Voluntary evictions (node drains, consolidation) never take the server below the floor the cost model assumes.
      { metadata: meta(), spec: { minAvailable: plan.minReplicas, selector: { matchLabels: selector }, unhealthyPodEvictionPolicy: "AlwaysAllow" } },
      child,
    );

    const port = [{ protocol: "TCP", port: VLLM_PORT }, ...(guard !== undefined ? [{ protocol: "TCP", port: GUARD_PORT }] : [])];
    this.networkPolicy = new k8s.networking.v1.NetworkPolicy(
      `${name}-ingress`,
      {
        metadata: meta("-ingress"),
        spec: {
          podSelector: { matchLabels: selector },
          policyTypes: ["Ingress"],
          ingress: [
            { from: [...clients.router], ports: port },
            { from: [...clients.prometheus], ports: port },
          ],
        },
      },
      child,
    );

    // One scrape endpoint per port.
    const scrapeEndpoint = (port: string, job: string) => podMetricsEndpoint(port, job, args.scrapeInterval ?? d.scrapeInterval);
    this.podMonitor = new k8s.apiextensions.CustomResource(
      `${name}-metrics`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: { name: `${name}-metrics`, namespace: args.namespace, labels: { ...labels, ...(args.podMonitorLabels ?? d.podMonitorLabels) } },
        spec: {
          selector: { matchLabels: selector },
          podMetricsEndpoints: [scrapeEndpoint("http", ENGINE_SCRAPE_JOB), ...(guard !== undefined ? [scrapeEndpoint(GUARD_PORT_NAME, GUARD_SCRAPE_JOB)] : [])],
        },
      },
      { parent: this, dependsOn: args.crdSources !== undefined ? [args.crdSources.prometheusOperator] : [] },
    );

    this.endpoint = pulumi.interpolate`http://${this.service.metadata.name}.${this.service.metadata.namespace}.svc.cluster.local/v1`;
    this.scaleTarget = { namespace: args.namespace, deploymentName: name, servedModelName, plan };
    this.profile = profile;
    this.registerOutputs({
      deployment: this.deployment,
      service: this.service,
      podDisruptionBudget: this.podDisruptionBudget,
      networkPolicy: this.networkPolicy,
      podMonitor: this.podMonitor,
      hfTokenSecret: this.hfTokenSecret,
      guardConfigMap: this.guardConfigMap,
      endpoint: this.endpoint,
    });
  }
}

/** The validated profile and the resolved engine and pod options of one workload; every default applied here. */
export function resolveVllmWorkload(at: string, args: VllmEngineArgs): { profile: WorkloadProfile; engine: VllmEngineOptions; pod: VllmPodOptions } {
  const d = VLLM_SERVER_DEFAULTS;
  const plan = args.plan;
  const profile = workloadProfileSchema.parse(args.profile);
  const gpus = plan.gpusPerReplica;
  const maxModelLen = args.maxModelLen ?? plan.engine.maxModelLen;
  const maxNumSeqs = args.maxNumSeqs ?? plan.engine.maxNumSeqs;
  const derived = precisionOptions(profile.model.weightPrecision, profile.model.kvCachePrecision);
  const quantization = args.quantization ?? derived.quantization;
  const kvCacheDtype = args.kvCacheDtype ?? derived.kvCacheDtype;
  const s3Weights = args.weights?.kind === "s3" && args.weightsBucketName !== undefined && args.weightsRegion !== undefined ? { bucket: args.weightsBucketName, region: args.weightsRegion } : undefined;
  const engine: VllmEngineOptions = {
    weights: args.weights ?? { kind: "huggingface", modelId: profile.model.id },
    servedModelName: args.servedModelName ?? plan.workload,
    tensorParallelSize: gpus,
    gpuMemoryUtilization: plan.gpuMemoryUtilization,
    enablePrefixCaching: args.enablePrefixCaching ?? d.enablePrefixCaching,
    maxModelLen,
    maxNumSeqs,
    ...(quantization !== undefined ? { quantization } : {}),
    ...(derived.dtype !== undefined ? { dtype: derived.dtype } : {}),
    ...(kvCacheDtype !== undefined ? { kvCacheDtype } : {}),
  };
  const pod: VllmPodOptions = {
    gpus,
    placement: args.placement,
    cpu: args.cpu ?? d.cpuPerGpu * gpus,
    memoryGiB: args.memoryGiB ?? d.memoryGiBPerGpu * gpus,
    shmSizeGiB: args.shmSizeGiB ?? d.shmSizeGiB,
    // The Run:ai streamer reads S3 straight into GPU memory: the model cache then holds only the hub's small files.
    modelCacheGiB: args.modelCacheGiB ?? (s3Weights !== undefined ? d.modelCacheMinGiB : Math.max(d.modelCacheMinGiB, Math.ceil(d.modelCacheOverWeights * plan.downloadGiB))),
    ...(s3Weights !== undefined ? { s3Weights } : {}),
    images: args.images ?? DOCKER_HUB_IMAGES,
  };
  validatePodOptions(pod, at);
  return { profile, engine, pod };
}

/** pulumi-kubernetes' per-resource await timeout (docs: "pulumi.com/timeoutSeconds" annotation). */
export const PULUMI_TIMEOUT_ANNOTATION = "pulumi.com/timeoutSeconds";

/** Seconds `pulumi up` waits for the Deployment: the rollout's progress deadline (cold start + startup budget) and 5 minutes for the rollout itself. */
export function deploymentAwaitSeconds(coldStartSeconds: number, startupTimeoutSeconds: number): number {
  return coldStartSeconds + startupTimeoutSeconds + 300;
}

/** The annotations the cost and scheduling policies read from a GPU workload: its profile and its cold start. */
export function workloadAnnotations(profile: WorkloadProfile, plan: ServingPlan): Record<string, string> {
  return {
    [WORKLOAD_PROFILE_ANNOTATION]: JSON.stringify(profile),
    [COLD_START_ANNOTATION]: String(plan.coldStartSeconds),
    ...(plan.batch !== undefined ? { [REQUESTS_PER_BATCH_FILE_ANNOTATION]: String(plan.batch.requestsPerFile) } : {}),
  };
}
