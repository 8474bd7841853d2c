/**
 * ModelDeployment: one owned workload from the stack config, served in its tenant's namespace.
 *
 * interactive: VllmServer + QueueAutoscaler (ScaledObject on the Prometheus queue depth).
 * batch:       BatchQueue (SQS, DLQ, IAM) + QueueAutoscaler (ScaledJob on the SQS depth).
 *
 * The ServingPlan is computed once here with `servingPlan(...)` — the function the cost model
 * simulates — and handed to every child, so the deployed bounds and GPUs are the simulated ones.
 */
import * as pulumi from "@pulumi/pulumi";
import { BatchQueue, type BatchClusterRef } from "./batch-queue";
import type { AdmissionLimit } from "./internal/router-admission";
import type { CrdSources } from "./internal/cluster-contract";
import { servingPlan, type ServedWorkload, type ServingPlan, type ServingStack } from "./internal/serving-plan";
import type { GpuPlacement } from "./internal/vllm-pod";
import { WEIGHTS_BUCKET_ENV } from "./internal/vllm-pod";
import { QueueAutoscaler } from "./queue-autoscaler";
import { WeightsStaging } from "./weights-staging";
import { resolveVllmWorkload, VllmServer, type EngineClients, type WeightSource } from "./vllm-server";

/** The tenant a workload runs in (from the Tenant component: `namespaceName`, `serviceAccountName`, `queueNamePrefix`). */
export interface TenantTarget {
  /** Namespace (maps to `metadata.namespace` of every Kubernetes child). */
  readonly namespace: string;
  /** Service account of the interactive engine pods (maps to `serviceAccountName`). @default - the namespace's `default` account */
  readonly serviceAccountName?: string;
  /** The tenant's SQS queue-name prefix, `<cluster>-<tenant>-`; required for batch workloads. */
  readonly queueNamePrefix?: string;
  /** The tenant's prefix in the weights bucket, `<tenant>/` (`Tenant.weightsPrefix`); staged weights go under it. @default - `<namespace>/` */
  readonly weightsPrefix?: string;
}

export interface ModelDeploymentArgs {
  /** The validated stack config (its GPU pools). */
  readonly config: ServingStack;
  /** The workload to serve (one of `config.workloads`). */
  readonly workload: ServedWorkload;
  /**
   * Weights' size, GiB: sizes the default cold start and the model cache.
   * INTEGRATION POINT: pass `weightGiB(resolveArchitecture(model), precision)` from `policies/economics`
   * once the catalog lands, so `npm run cost` and the deployment agree on the cold start.
   */
  readonly weightGiB: number;
  readonly tenant: TenantTarget;
  /** The workload's GPU pool: node selector and taint tolerations (from the GpuCluster component). */
  readonly placement: GpuPlacement;
  /** Hugging Face token (a Pulumi secret). @default - no token */
  readonly huggingFaceToken?: pulumi.Input<string>;
  /** Where the weights come from. @default - the Hugging Face hub, `workload.model.id` */
  readonly weights?: WeightSource;
  /** Prometheus KEDA queries (maps to the trigger's `serverAddress`). @default - `QUEUE_AUTOSCALER_DEFAULTS.interactive.prometheusServerAddress` */
  readonly prometheusServerAddress?: string;
  /** Labels the Prometheus' PodMonitor selector matches. @default {} */
  readonly podMonitorLabels?: Readonly<Record<string, string>>;
  /** Pods allowed to reach the engines. @default - `VLLM_SERVER_DEFAULTS.clients` */
  readonly clients?: EngineClients;
  /** What installs the KEDA and prometheus-operator CRDs (`GpuCluster.crdSources`); the custom resources wait for it. @default - none: both are installed outside this stack */
  readonly crdSources?: CrdSources;
  /** The cluster (`GpuCluster.tenantRef`); required for batch workloads (queue names, IAM, the bucket batch files live in) and for weights staged in S3. */
  readonly cluster?: BatchClusterRef;
  /** Interactive tiers: the router's admission guard limit per replica (`admissionLimit(...)`); maps to `VllmServerArgs.admissionGuard`. @default - no guard */
  readonly admissionGuard?: AdmissionLimit;
}

export class ModelDeployment extends pulumi.ComponentResource {
  public readonly plan: ServingPlan;
  public readonly server?: VllmServer;
  public readonly batchQueue?: BatchQueue;
  public readonly autoscaler: QueueAutoscaler;
  /** Interactive tiers: the OpenAI-compatible base URL in the cluster. */
  public readonly endpoint?: pulumi.Output<string>;
  /** Batch tiers: the SQS queue URL jobs are submitted to. */
  public readonly queueUrl?: pulumi.Output<string>;
  /** `serving.weightsSource: s3`: the Job that copies the weights into the tenant's prefix, which the engines wait for. */
  public readonly weightsStaging?: WeightsStaging;
  /** vLLM's `--served-model-name` on either tier: the `model_name` label of the engine's metrics, which the live rules select. */
  public readonly servedModelName: string;

  constructor(name: string, args: ModelDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    const { tenant: _tenant, serving: _serving, ...profile } = args.workload;
    const plan = servingPlan(args.config, args.workload, args.weightGiB);
    if (plan.tier === "batch" && (args.cluster === undefined || args.tenant.queueNamePrefix === undefined)) {
      throw new Error(`ModelDeployment ${name}: workload "${args.workload.name}" is a batch tier; expected \`cluster\` (GpuCluster.tenantRef) and \`tenant.queueNamePrefix\``);
    }
    if (plan.weightsSource === "s3" && args.cluster === undefined) {
      throw new Error(`ModelDeployment ${name}: workload "${args.workload.name}" stages its weights in S3 (serving.weightsSource: s3); expected \`cluster\` (GpuCluster.tenantRef)`);
    }
    if (plan.weightsSource === "s3" && args.weights !== undefined) {
      throw new Error(`ModelDeployment ${name}: \`weights\` is set and serving.weightsSource is s3; staged weights set the model path themselves: drop one`);
    }
    super("gpu-inference:serving:ModelDeployment", name, {}, opts);
    this.plan = plan;
    const child = { parent: this };
    if (this.plan.weightsSource === "s3" && args.cluster !== undefined) {
      this.weightsStaging = new WeightsStaging(
        name,
        {
          namespace: args.tenant.namespace,
          tenantWeightsPrefix: args.tenant.weightsPrefix ?? `${args.tenant.namespace}/`,
          modelId: args.workload.model.id,
          revision: this.plan.modelRevision,
          downloadGiB: this.plan.downloadGiB,
          cluster: args.cluster,
          ...(args.huggingFaceToken !== undefined ? { huggingFaceToken: args.huggingFaceToken } : {}),
        },
        child,
      );
    }
    const staging = this.weightsStaging;
    const engineArgs = {
      plan: this.plan,
      profile,
      placement: args.placement,
      weightGiB: args.weightGiB,
      ...(args.weights !== undefined ? { weights: args.weights } : {}),
      // `$(WEIGHTS_BUCKET)` is expanded by Kubernetes from the container's env: the path is known at preview, the bucket's name is not.
      ...(staging !== undefined && args.cluster !== undefined
        ? { weights: { kind: "s3", uri: `s3://$(${WEIGHTS_BUCKET_ENV})/${staging.prefix}` } as const, weightsBucketName: staging.bucketName, weightsRegion: args.cluster.region }
        : {}),
    };

    if (this.plan.tier === "interactive") {
      this.server = new VllmServer(
        name,
        {
          ...engineArgs,
          namespace: args.tenant.namespace,
          ...(args.tenant.serviceAccountName !== undefined ? { serviceAccountName: args.tenant.serviceAccountName } : {}),
          ...(args.huggingFaceToken !== undefined ? { huggingFaceToken: args.huggingFaceToken } : {}),
          ...(args.podMonitorLabels !== undefined ? { podMonitorLabels: args.podMonitorLabels } : {}),
          ...(args.clients !== undefined ? { clients: args.clients } : {}),
          ...(args.admissionGuard !== undefined ? { admissionGuard: args.admissionGuard } : {}),
          ...(args.crdSources !== undefined ? { crdSources: args.crdSources } : {}),
          ...(staging !== undefined ? { weightsStaged: staging.job } : {}),
        },
        child,
      );
      this.autoscaler = new QueueAutoscaler(
        name,
        {
          tier: "interactive",
          target: this.server.scaleTarget,
          ...(args.crdSources !== undefined ? { crdSources: args.crdSources } : {}),
          ...(args.prometheusServerAddress !== undefined ? { prometheusServerAddress: args.prometheusServerAddress } : {}),
        },
        child,
      );
      this.endpoint = this.server.endpoint;
      this.servedModelName = this.server.scaleTarget.servedModelName;
    } else {
      if (args.cluster === undefined || args.tenant.queueNamePrefix === undefined) throw new Error("unreachable: checked before registering");
      this.batchQueue = new BatchQueue(
        name,
        {
          plan: this.plan,
          namespace: args.tenant.namespace,
          cluster: args.cluster,
          queueNamePrefix: args.tenant.queueNamePrefix,
          ...(staging !== undefined ? { weightsReadPrefix: staging.prefix } : {}),
        },
        child,
      );
      const { profile: validated, engine, pod } = resolveVllmWorkload(`ModelDeployment ${name}`, engineArgs);
      this.autoscaler = new QueueAutoscaler(
        name,
        {
          tier: "batch",
          queue: this.batchQueue.target,
          ...(args.crdSources !== undefined ? { crdSources: args.crdSources } : {}),
          ...(args.podMonitorLabels !== undefined ? { podMonitorLabels: args.podMonitorLabels } : {}),
          job: {
            namespace: args.tenant.namespace,
            plan: this.plan,
            profile: validated,
            engine,
            pod,
            ...(args.huggingFaceToken !== undefined ? { huggingFaceToken: args.huggingFaceToken } : {}),
            ...(staging !== undefined ? { weightsStaged: staging.job } : {}),
          },
        },
        child,
      );
      this.queueUrl = this.batchQueue.target.queueUrl;
      this.servedModelName = engine.servedModelName;
    }
    this.registerOutputs({ server: this.server, batchQueue: this.batchQueue, autoscaler: this.autoscaler, endpoint: this.endpoint, queueUrl: this.queueUrl, weightsStaging: this.weightsStaging });
  }
}
