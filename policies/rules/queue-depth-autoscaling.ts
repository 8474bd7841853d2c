/**
 * queue-depth-autoscaling: GPU replicas follow the queue of work, through one controller, within
 * the GPUs the pool and tenant may spend, and without thrashing. Each check is a wiring mistake
 * that otherwise shows up only at runtime: an autoscaler reading another tenant's queue, stuck
 * at zero, fighting a second controller, asking for GPUs that do not exist, or paying a cold
 * start every few minutes.
 */
import { z } from "zod";
import { VLLM_QUEUE_METRIC } from "../contract";
import { declaredColdStart } from "./internal/cold-start";
import { Findings } from "./internal/findings";
import {
  containersOf,
  GPU_RESOURCE,
  gpusPerPod,
  gpuWorkloadsOf,
  hpasOf,
  inNamespace,
  selectedNodePools,
  scaledObjectsOf,
  requireGpu,
  sameNamespace,
  TYPES,
  workloadLabel,
  type GpuWorkload,
  type Workload,
} from "./internal/kubernetes";
import { fillsMissingWithZero, prometheusLabelName, selectorsOf } from "./internal/promql";
import type { RuleDefinition } from "./internal/rule";
import { describe, objectName, type ResourceView, type StackView } from "./internal/stack";
import { asArray, asCount, asFlag, asString, at, attempt, entryOf, isPresent, isUnknown, known, stringMap, Unknown, UnknownRead, type Plain } from "./internal/values";

const config = z.strictObject({
  /** Prometheus metrics that count queued requests. @default ["vllm:num_requests_waiting"] */
  queueMetrics: z.array(z.string().min(1)).default([VLLM_QUEUE_METRIC]),
  /** Metric name prefixes exported by the serving pods themselves (absent at zero replicas). @default ["vllm:"] */
  podEmittedMetricPrefixes: z.array(z.string()).default(["vllm:"]),
  /** KEDA trigger types that read an external queue. @default ["aws-sqs-queue"] */
  queueTriggerTypes: z.array(z.string()).default(["aws-sqs-queue"]),
  /** Cold start, seconds, assumed when a workload declares none. @default 600 */
  defaultColdStartSeconds: z.number().int().positive().default(600),
});
type Config = z.output<typeof config>;

const checks = {
  "keda-scaled": "every GPU Deployment is scaled by a KEDA ScaledObject (batch: a ScaledJob)",
  "queue-trigger": "the scaler has a queue-depth trigger (vLLM waiting requests, or an SQS queue)",
  "no-cpu-memory": "no CPU or memory scaling on GPU workloads (GPU inference is not CPU-bound)",
  "single-controller": "exactly one controller owns the replica count: one ScaledObject, no HPA, no fixed spec.replicas",
  "selector-match": "the queue query is scoped to this workload's namespace and matches labels its pods carry",
  "no-data-not-zero": "a Prometheus trigger errors on no data (ignoreNullValues: false) instead of reading it as zero",
  "scale-from-zero": "a workload scaled only on metrics its own pods export keeps at least one replica",
  "replica-budget": "max replicas × GPUs per replica fits under the node pool's GPU limit and the tenant's GPU quota",
  cooldown: "the scale-down stabilization window is not shorter than the cold start",
} as const;

/** KEDA's defaults when the fields are unset (keda.sh/v1alpha1). */
const KEDA_DEFAULTS = { minReplicaCount: 0, maxReplicaCount: 100, cooldownPeriod: 300 } as const;
/** The HPA's default scale-down stabilization window, seconds. */
const HPA_DEFAULT_SCALE_DOWN_WINDOW = 300;
/** Prometheus labels set by scraping, not by pod labels. */
const SCRAPE_LABELS = new Set(["namespace", "pod", "container", "service", "endpoint", "job", "instance", "model_name", "engine", "le", "quantile"]);

export const queueDepthAutoscaling: RuleDefinition<typeof config> = {
  name: "queue-depth-autoscaling",
  description: "GPU workloads are scaled by KEDA on queue depth, by exactly one controller, within their pool's and tenant's GPUs, without thrashing.",
  remediation:
    "Give each GPU Deployment one KEDA ScaledObject (no HPA, no spec.replicas) with a prometheus trigger on vllm:num_requests_waiting scoped by namespace and the pods' labels, ignoreNullValues: \"false\", minReplicaCount ≥ 1, maxReplicaCount × GPUs within the NodePool's and ResourceQuota's nvidia.com/gpu, and a scale-down stabilizationWindowSeconds ≥ the cold start; batch tiers use a ScaledJob on an aws-sqs-queue trigger.",
  enforcementLevel: "mandatory",
  checks,
  config,
  evaluate(view, cfg) {
    const found = new Findings("queue-depth-autoscaling", checks);
    const workloads = gpuWorkloadsOf(view).filter((w) => w.kind === "Deployment" || w.kind === "StatefulSet" || w.kind === "ScaledJob");
    for (const workload of workloads) {
      const scaler = workload.kind === "ScaledJob" ? workload.resource : checkDeployment(view, workload, found);
      if (scaler !== undefined) checkScaler(view, workload, scaler, cfg, found);
    }
    return found.result(workloads.length === 0 ? "no GPU Deployments or ScaledJobs in the stack" : undefined);
  },
};

/** The ScaledObject that scales the Deployment, after the controller checks; `undefined` when there is none to check further. */
function checkDeployment(view: StackView, workload: GpuWorkload, found: Findings): ResourceView | undefined {
  const urn = workload.resource.urn;
  const who = workloadLabel(workload);
  let scaledObjects: ResourceView[] | undefined;
  let hpas: ResourceView[] = [];
  found.check("keda-scaled", urn, `${who}'s autoscaler check`, () => {
    requireGpu(workload);
    scaledObjects = scaledObjectsOf(view, workload);
    hpas = hpasOf(view, workload);
    if (scaledObjects.length === 0) {
      found.violation("keda-scaled", urn, `${who} has GPUs but no KEDA ScaledObject targets it (by namespace and spec.scaleTargetRef.name): it never scales with load. Add a QueueAutoscaler.`);
    }
  });
  for (const hpa of hpas) {
    found.check("no-cpu-memory", hpa.urn, `${describe(hpa)}'s metric check`, () => {
      if (asArray(at(hpa.props, "spec", "metrics")).some((m) => asString(at(m, "type")) === "Resource")) {
        found.violation("no-cpu-memory", hpa.urn, `${describe(hpa)} scales GPU workload ${who} on CPU or memory: GPU inference saturates the GPU, not the CPU. Scale on queue depth with KEDA instead.`);
      }
    });
  }
  if (scaledObjects === undefined) return undefined;
  const objects: ResourceView[] = scaledObjects;
  found.check("single-controller", urn, `${who}'s single-controller check`, () => {
    if (objects.length === 0) {
      if (hpas.length > 0) found.violation("single-controller", urn, `${who} is scaled by a HorizontalPodAutoscaler instead of KEDA. Replace it with a ScaledObject.`);
      return;
    }
    if (objects.length + hpas.length > 1) {
      found.violation("single-controller", urn, `${who} is targeted by ${objects.length} ScaledObject(s) and ${hpas.length} HorizontalPodAutoscaler(s): they fight over the replica count. Keep exactly one ScaledObject.`);
    }
    if (isPresent(at(workload.resource.props, "spec", "replicas"))) {
      found.violation("single-controller", urn, `${who} sets \`spec.replicas\` while KEDA owns its replica count: every \`pulumi up\` resets the autoscaler's decision. Remove spec.replicas.`);
    }
  });
  return objects[0];
}

/** What a trigger reads, as far as the checks care. */
type TriggerKind =
  | { readonly kind: "resource"; readonly type: string }
  /** Reads a queue outside the pods (SQS). */
  | { readonly kind: "external-queue" }
  /** A Prometheus query on a queue metric; `podEmitted` when every such metric comes from the serving pods. */
  | { readonly kind: "prometheus-queue"; readonly query: string; readonly metrics: readonly string[]; readonly podEmitted: boolean }
  | { readonly kind: "other"; readonly podEmitted: boolean };

function classify(trigger: Plain, cfg: Config): TriggerKind {
  const type = asString(at(trigger, "type"));
  if (type === "cpu" || type === "memory") return { kind: "resource", type };
  if (type !== undefined && cfg.queueTriggerTypes.includes(type)) return { kind: "external-queue" };
  if (type !== "prometheus") return { kind: "other", podEmitted: false };
  const query = asString(at(trigger, "metadata", "query")) ?? "";
  const metrics = cfg.queueMetrics.filter((m) => selectorsOf(query, m).length > 0);
  const emitted = (metric: string) => cfg.podEmittedMetricPrefixes.some((p) => metric.startsWith(p));
  if (metrics.length === 0) return { kind: "other", podEmitted: cfg.podEmittedMetricPrefixes.some((p) => query.includes(p)) };
  return { kind: "prometheus-queue", query, metrics, podEmitted: metrics.every(emitted) };
}

function checkScaler(view: StackView, workload: GpuWorkload, scaler: ResourceView, cfg: Config, found: Findings): void {
  const urn = scaler.urn;
  const who = describe(scaler);
  const isJob = scaler.type === TYPES.scaledJob;
  const triggers = attempt(() => asArray(at(scaler.props, "spec", "triggers")).map((t, index) => ({ index, trigger: t, kind: attempt(() => classify(t, cfg)) })));
  const classified = isUnknown(triggers) ? [] : triggers.filter((t): t is typeof t & { kind: TriggerKind } => !isUnknown(t.kind));
  const firstUnknown = isUnknown(triggers) ? triggers : triggers.map((t) => t.kind).find(isUnknown);
  const queueTriggers = classified.filter((t) => t.kind.kind === "external-queue" || t.kind.kind === "prometheus-queue");

  found.check("queue-trigger", urn, `${who}'s queue trigger check`, () => {
    requireGpu(workload);
    if (queueTriggers.length > 0) return;
    if (firstUnknown !== undefined) throw new UnknownRead(firstUnknown);
    found.violation("queue-trigger", urn, `${who} has no queue-depth trigger: add a prometheus trigger on ${cfg.queueMetrics.join(" or ")} (interactive) or an ${cfg.queueTriggerTypes.join(" / ")} trigger (batch).`);
  });

  found.check("no-cpu-memory", urn, `${who}'s trigger type check`, () => {
    requireGpu(workload);
    asArray(at(scaler.props, "spec", "triggers")).forEach((trigger, index) => {
      const type = asString(at(trigger, "type"));
      if (type !== "cpu" && type !== "memory") return;
      found.violation("no-cpu-memory", urn, `${who} scales GPU workload ${workloadLabel(workload)} on ${type} (\`spec.triggers[${index}]\`): GPU inference is bound by the GPU and the queue, not the CPU. Remove it and scale on queue depth.`);
    });
  });

  // A trigger whose type or query is unknown may be a queue query: its query checks cannot decide either.
  for (const { trigger, kind } of isUnknown(triggers) ? [] : triggers) {
    if (!isUnknown(kind) || attempt(() => asString(at(trigger, "type"))) === "cpu") continue;
    for (const check of ["selector-match", "no-data-not-zero"] as const) {
      found.check(check, urn, `${who}'s queue query check`, () => {
        throw new UnknownRead(kind);
      });
    }
  }
  for (const { index, trigger, kind } of classified) {
    if (kind.kind !== "prometheus-queue") continue;
    const path = `spec.triggers[${index}]`;
    found.check("selector-match", urn, `${who}'s queue query check`, () => {
      requireGpu(workload);
      for (const metric of kind.metrics) checkSelectors(view, workload, scaler, selectorsOf(kind.query, metric), path, found);
    });
    found.check("no-data-not-zero", urn, `${who}'s no-data check`, () => {
      requireGpu(workload);
      const ignoreNull = asFlag(at(trigger, "metadata", "ignoreNullValues"));
      if (ignoreNull !== false) {
        found.violation("no-data-not-zero", urn, `${who}'s Prometheus trigger (\`${path}\`) reads "no data" as 0 (KEDA's ignoreNullValues defaults to true): a broken scrape or a renamed metric silently scales the workload down. Set \`metadata.ignoreNullValues: "false"\`.`);
      }
      if (fillsMissingWithZero(kind.query)) {
        found.violation("no-data-not-zero", urn, `${who}'s query (\`${path}.metadata.query\`) fills missing data with \`or vector(...)\`: no data is read as an empty queue. Remove the fallback.`);
      }
    });
  }

  // A ScaledJob starts jobs only when a trigger fires; with no job running, no job pod exports a metric.
  let minReplicas: number | undefined;
  found.check("scale-from-zero", urn, `${who}'s scale-from-zero check`, () => {
    requireGpu(workload);
    minReplicas = asCount(at(scaler.props, "spec", "minReplicaCount")) ?? KEDA_DEFAULTS.minReplicaCount;
    if (minReplicas > 0 || queueTriggers.length === 0) return;
    const outside = classified.some((t) => t.kind.kind === "external-queue" || ((t.kind.kind === "other" || t.kind.kind === "prometheus-queue") && !t.kind.podEmitted));
    if (outside) return;
    if (firstUnknown !== undefined) throw new UnknownRead(firstUnknown);
    found.violation(
      "scale-from-zero",
      urn,
      isJob
        ? `${who} starts jobs only on metrics its own job pods export: with no job running nothing reports the queue, so no job ever starts. Trigger it on the queue itself (an ${cfg.queueTriggerTypes.join(" / ")} trigger).`
        : `${who} may scale to zero (\`spec.minReplicaCount\` is 0 or unset) but every trigger reads a metric the serving pods export: at zero replicas nothing reports the queue and the workload never scales up. Set minReplicaCount ≥ 1 or add a trigger on a queue outside the pods.`,
    );
  });

  found.check("replica-budget", urn, `${who}'s GPU budget check`, () => {
    requireGpu(workload);
    checkReplicaBudget(view, workload, scaler, found);
  });
  if (!isJob) {
    found.check("cooldown", urn, `${who}'s cooldown check`, () => {
      requireGpu(workload);
      checkCooldown(workload, scaler, minReplicas ?? asCount(at(scaler.props, "spec", "minReplicaCount")) ?? KEDA_DEFAULTS.minReplicaCount, cfg, found);
    });
  }
}

function checkSelectors(view: StackView, workload: Workload, scaler: ResourceView, selectors: readonly (readonly { label: string; op: string; value: string }[])[], path: string, found: Findings): void {
  const urn = scaler.urn;
  const who = describe(scaler);
  const where = `\`${path}.metadata.query\``;
  const podLabels = new Map<string, string | Unknown>();
  for (const [key, value] of stringMap(workload.podLabels)) podLabels.set(prometheusLabelName(key), value);
  const namespace = known(workload.namespace);
  const deploymentName = known(objectName(workload.resource));
  const neighbours = gpuWorkloadsOf(view).filter((w) => w.resource.urn !== workload.resource.urn && sameNamespace(w.namespace, namespace)).length;
  for (const matchers of selectors) {
    const nsMatcher = matchers.find((m) => m.label === "namespace");
    if (nsMatcher === undefined) {
      found.violation("selector-match", urn, `${who}'s query (${where}) is not scoped by \`namespace\`: it adds up every tenant's queue. Add namespace="<the workload's namespace>".`);
    } else if (!matcherAccepts(nsMatcher, namespace)) {
      found.violation("selector-match", urn, `${who}'s query (${where}) selects a different namespace than ${workloadLabel(workload)} runs in: it scales on another tenant's queue. Match the workload's namespace.`);
    }
    let scopedToWorkload = false;
    const modelMatcher = matchers.find((m) => m.label === "model_name");
    const served = servedModelNames(workload);
    if (modelMatcher !== undefined && served.length > 0 && !served.some((name) => matcherAccepts(modelMatcher, name))) {
      found.violation("selector-match", urn, `${who}'s query (${where}) matches \`model_name\` to a name ${workloadLabel(workload)} does not serve (its \`--served-model-name\`): the query returns no data. Match the served model name.`);
    }
    for (const matcher of matchers) {
      if (matcher.label === "pod" || matcher.label === "model_name" || matcher.label === "service" || matcher.label === "job") {
        const podPattern = matcher.label === "pod" && matcher.op === "=~" ? safeRegex(matcher.value) : undefined;
        if (podPattern !== undefined && deploymentName !== undefined && !podPattern.test(`${deploymentName}-5d8f7c9b6-x2x7q`) && !podPattern.test(`${deploymentName}-0`)) {
          found.violation("selector-match", urn, `${who}'s query (${where}) matches pods by a \`pod\` pattern that the pods of ${workloadLabel(workload)} do not match. Fix the pattern or match a pod label.`);
        }
        scopedToWorkload = true;
        continue;
      }
      if (SCRAPE_LABELS.has(matcher.label)) continue;
      const actual = entryOf(podLabels, matcher.label);
      if (actual === undefined || !matcherAccepts(matcher, actual)) {
        found.violation("selector-match", urn, `${who}'s query (${where}) matches label \`${matcher.label}\`, which the pods of ${workloadLabel(workload)} do not carry with a matching value (\`${workload.templatePath}.metadata.labels\`): the query returns no data. Match a label the pods carry.`);
      }
      scopedToWorkload = true;
    }
    if (!scopedToWorkload && neighbours > 0) {
      found.violation("selector-match", urn, `${who}'s query (${where}) selects only by namespace, which ${neighbours} other GPU workload(s) share: it scales on their queues too. Match a label of this workload's pods.`);
    }
  }
}

/** The `--served-model-name` values of the workload's containers (vLLM labels its metrics `model_name` with them). */
function servedModelNames(workload: Workload): string[] {
  const names: string[] = [];
  for (const { container } of containersOf(workload)) {
    const args = asArray(at(container, "args")).map(asString);
    args.forEach((arg, i) => {
      if (arg === "--served-model-name") {
        for (const next of args.slice(i + 1)) {
          if (next === undefined || next.startsWith("--")) break;
          names.push(next);
        }
      } else if (arg?.startsWith("--served-model-name=")) names.push(...arg.slice("--served-model-name=".length).split(/\s+/));
    });
  }
  return names;
}

function matcherAccepts(matcher: { op: string; value: string }, actual: string): boolean {
  switch (matcher.op) {
    case "=":
      return actual === matcher.value;
    case "!=":
      return actual !== matcher.value;
    case "=~":
      return safeRegex(matcher.value)?.test(actual) ?? true;
    default:
      return !(safeRegex(matcher.value)?.test(actual) ?? false);
  }
}

function safeRegex(pattern: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch {
    return undefined;
  }
}

function checkReplicaBudget(view: StackView, workload: Workload, scaler: ResourceView, found: Findings): void {
  const urn = scaler.urn;
  const who = describe(scaler);
  const max = asCount(at(scaler.props, "spec", "maxReplicaCount")) ?? KEDA_DEFAULTS.maxReplicaCount;
  const gpus = gpusPerPod(workload);
  if (gpus === 0) return;
  const demand = max * gpus;
  const selection = selectedNodePools(view, workload);
  if (selection.kind === "selected" && selection.pools.length > 0) {
    let capacity = 0;
    for (const pool of selection.pools) {
      const limit = asCount(at(pool.props, "spec", "limits", GPU_RESOURCE));
      if (limit === undefined) {
        found.violation("replica-budget", pool.urn, `${describe(pool)} has no \`spec.limits["${GPU_RESOURCE}"]\`: nothing caps the GPUs its autoscalers can buy. Set the pool's GPU limit.`);
        capacity = Infinity;
      } else capacity += limit;
    }
    const pools = selection.pools.map(describe).join(", ");
    if (demand > capacity) {
      found.violation("replica-budget", urn, `${who} may ask for ${demand} GPUs (maxReplicaCount × ${gpus} per replica) but its node pool (${pools}) is limited to ${capacity}: replicas beyond the limit stay Pending while the queue grows. Lower maxReplicaCount or raise the pool's limit.`);
    }
  }
  for (const quota of inNamespace(view, TYPES.resourceQuota, known(workload.namespace))) {
    const hard = asCount(at(quota.props, "spec", "hard", `requests.${GPU_RESOURCE}`));
    if (hard !== undefined && demand > hard) {
      found.violation("replica-budget", urn, `${who} may ask for ${demand} GPUs (maxReplicaCount × ${gpus} per replica) but the tenant's ${describe(quota)} allows ${hard}: the quota rejects the extra pods. Lower maxReplicaCount or raise the quota.`);
    }
  }
}

function checkCooldown(workload: Workload, scaler: ResourceView, minReplicas: number, cfg: Config, found: Findings): void {
  const urn = scaler.urn;
  const who = describe(scaler);
  const coldStart = declaredColdStart(workload);
  const seconds = coldStart !== undefined && "seconds" in coldStart ? coldStart.seconds : cfg.defaultColdStartSeconds;
  const source = coldStart !== undefined && "seconds" in coldStart ? "the cold start its workload declares" : `the default cold start of ${cfg.defaultColdStartSeconds} s`;
  const windowPath = "spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds";
  const window = asCount(at(scaler.props, ...windowPath.split(".")));
  const effective = window ?? HPA_DEFAULT_SCALE_DOWN_WINDOW;
  if (effective < seconds) {
    found.violation("cooldown", urn, `${who} removes replicas after ${effective} s of low load (\`${windowPath}\`${window === undefined ? ", HPA default" : ""}), shorter than ${source} (${seconds} s): it thrashes, paying a cold start for every dip. Set it to at least ${seconds}.`);
  }
  if (minReplicas === 0) {
    const period = asCount(at(scaler.props, "spec", "cooldownPeriod")) ?? KEDA_DEFAULTS.cooldownPeriod;
    if (period < seconds) {
      found.violation("cooldown", urn, `${who} scales to zero after ${period} s idle (\`spec.cooldownPeriod\`), shorter than ${source} (${seconds} s). Raise cooldownPeriod to at least ${seconds}.`);
    }
  }
}
