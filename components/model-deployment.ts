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
import { QueueAutoscaler } from "./queue-autoscaler";
import { resolveVllmWorkload, VllmServer, type EngineClients, type WeightSource } from "./vllm-server";

/** The tenant a workload runs in (from the Tenant component: `namespaceName`, `serviceAccountName`, `queueNamePrefix`). */
export interface TenantTarget {
  /** Namespace (maps to `metadata.namespace` of every Kubernetes child). */
  readonly namespace: string;
  /** Service account of the interactive engine pods (maps to `serviceAccountName`). @default - the namespace's `default` account */
  readonly serviceAccountName?: string;
  /** The tenant's SQS queue-name prefix, `<cluster>-<tenant>-`; required for batch workloads. */
  readonly queueNamePrefix?: string;
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
  /** The cluster (`GpuCluster.tenantRef`); required for batch workloads (queue names, IAM, the bucket batch files live in). */
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
  /** vLLM's `--served-model-name` on either tier: the `model_name` label of the engine's metrics, which the live rules select. */
  public readonly servedModelName: string;

  constructor(name: string, args: ModelDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
    const { tenant: _tenant, serving: _serving, ...profile } = args.workload;
    const plan = servingPlan(args.config, args.workload, args.weightGiB);
    if (plan.tier === "batch" && (args.cluster === undefined || args.tenant.queueNamePrefix === undefined)) {
      throw new Error(`ModelDeployment ${name}: workload "${args.workload.name}" is a batch tier; expected \`cluster\` (GpuCluster.tenantRef) and \`tenant.queueNamePrefix\``);
    }
    super("gpu-inference:serving:ModelDeployment", name, {}, opts);
    this.plan = plan;
    const child = { parent: this };
    const engineArgs = {
      plan: this.plan,
      profile,
      placement: args.placement,
      weightGiB: args.weightGiB,
      ...(args.weights !== undefined ? { weights: args.weights } : {}),
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
        { plan: this.plan, namespace: args.tenant.namespace, cluster: args.cluster, queueNamePrefix: args.tenant.queueNamePrefix },
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
          },
        },
        child,
      );
      this.queueUrl = this.batchQueue.target.queueUrl;
      this.servedModelName = engine.servedModelName;
    }
    this.registerOutputs({ server: this.server, batchQueue: this.batchQueue, autoscaler: this.autoscaler, endpoint: this.endpoint, queueUrl: this.queueUrl });
  }
}
