/**
 * From the stack config to the router: each interactive workload's alias (its rollout weight, its
 * owned Service behind the admission guard, its API alternative) and each owned replica's
 * admission limit, from the same capacity the cost model evaluates.
 *
 * Batch workloads have no alias: their requests go through their SQS queue, not a synchronous route.
 */
import * as pulumi from "@pulumi/pulumi";
import type { InferenceRoute } from "../components/inference-router";
import { admissionLimit, type AdmissionLimit } from "../components/internal/router-admission";
import { GUARD_PORT } from "../components/internal/router-guard-sidecar";
import { apiEndpointFor } from "../components/internal/router-providers";
import { apiPriceById } from "../policies/economics/catalog";
import { sloSchema } from "../policies/economics/schema";
import type { WorkloadEvaluation } from "../policies/economics/evaluate";
import type { StackConfig, WorkloadConfig } from "./config";

/** The stack output the router's weights are exported under; the next update reads it back as the previous step. */
export const ROUTER_WEIGHTS_OUTPUT = "routerWeights";

/**
 * This stack's own `routerWeights` from its last update, through a StackReference to itself (reading
 * a stack's output back into the same stack is supported: pulumi/pulumi#3722). Undefined where the
 * engine has no organization (the offline plan's mock engine): routes then record no previous step.
 */
export function previousRouterWeights(): pulumi.Output<unknown> | undefined {
  let organization: string;
  try {
    organization = pulumi.getOrganization();
  } catch {
    return undefined;
  }
  return new pulumi.StackReference(`${organization}/${pulumi.getProject()}/${pulumi.getStack()}`).getOutput(ROUTER_WEIGHTS_OUTPUT);
}

const interactive = (config: StackConfig) => config.workloads.filter((w) => w.tier === "interactive");

function maxQueueWaitSeconds(workload: WorkloadConfig): number {
  return (workload.slo ?? sloSchema.parse({})).maxQueueWaitSeconds;
}

/** Per interactive workload, the guard's per-replica limit: vLLM's running slots + what a replica clears within the wait SLO. */
export function admissionLimits(config: StackConfig, evaluations: readonly WorkloadEvaluation[]): ReadonlyMap<string, AdmissionLimit> {
  const limits = new Map<string, AdmissionLimit>();
  for (const workload of interactive(config)) {
    const evaluation = evaluations.find((e) => e.name === workload.name);
    if (evaluation === undefined || !evaluation.capacity.fits) continue;
    limits.set(
      workload.name,
      admissionLimit({ runningSlots: Math.max(1, Math.floor(evaluation.capacity.concurrentSequences)), requestsPerSecond: evaluation.capacity.requestsPerSecond, maxQueueWaitSeconds: maxQueueWaitSeconds(workload) }),
    );
  }
  return limits;
}

export interface RouterInputs {
  /** Tenant namespace of each workload's owned engines. */
  readonly namespaces: ReadonlyMap<string, string>;
  /** Workloads whose engines run behind the guard (have an admission limit). */
  readonly guarded: ReadonlySet<string>;
  /** API keys by catalog provider (`OpenAI`, `Together AI`, ...): the secret config object `gpu-inference:routerApiKeys`. */
  readonly apiKeys?: pulumi.Output<Record<string, string>>;
  /** Providers that have a key in it (names only, known without reading a secret). */
  readonly apiKeyProviders: ReadonlySet<string>;
  /** Owned weight per alias the deployed router carried (this stack's last `routerWeights` output). */
  readonly previousWeights?: pulumi.Output<unknown> | undefined;
}

/** The router's routes for the stack's interactive workloads; API keys and previous weights are Outputs (secret, read from the last update). */
export function routerRoutes(config: StackConfig, inputs: RouterInputs): InferenceRoute[] {
  return interactive(config).map((workload) => {
    const namespace = inputs.namespaces.get(workload.name);
    const owned =
      namespace !== undefined && inputs.guarded.has(workload.name)
        ? {
            serviceHost: `${workload.name}.${namespace}.svc.cluster.local`,
            port: GUARD_PORT,
            servedModelName: workload.name,
            namespace,
            podSelector: { "app.kubernetes.io/instance": workload.name, "app.kubernetes.io/component": "engine" },
          }
        : undefined;
    const provider = workload.api.catalogId !== undefined ? apiPriceById(workload.api.catalogId).provider : undefined;
    const apiKey = provider !== undefined && inputs.apiKeyProviders.has(provider) ? inputs.apiKeys?.apply((keys) => keys[provider] ?? "") : undefined;
    const previous = inputs.previousWeights?.apply((weights) => {
      const value = typeof weights === "object" && weights !== null ? (weights as Record<string, unknown>)[workload.name] : undefined;
      return typeof value === "number" ? String(value) : undefined;
    });
    return {
      alias: workload.name,
      ownedPercent: workload.rollout.currentOwnedPercent,
      ...(previous !== undefined ? { previousOwnedPercent: previous as pulumi.Output<string> } : {}),
      ...(owned !== undefined ? { owned } : {}),
      api: apiEndpointFor(workload.name, workload.api.catalogId),
      ...(apiKey !== undefined ? { apiKey: pulumi.secret(apiKey) } : {}),
      maxQueueWaitSeconds: maxQueueWaitSeconds(workload),
    };
  });
}
