/**
 * The economics' WorkloadFacts, read from the resources about to be deployed — never from a
 * number the program computed: GPUs and pool from the pod template, instance types and capacity
 * type from the NodePool, replica bounds and queue target from the ScaledObject/ScaledJob, the
 * traffic and API alternative from the workload's profile annotation.
 */
import { estimateColdStartSeconds } from "../../economics/capacity";
import { workloadProfileSchema, type EconomicsConfig, type WorkloadProfile } from "../../economics/schema";
import type { AutoscalerPolicy, CapacityType, StackContext, WorkloadFacts } from "../../economics/types";
import { profileCheckpointGiB } from "../../economics/weights";
import { BATCH_IDLE_SECONDS_ENV, CAPACITY_PRICING_ANNOTATION, DEFAULT_REQUESTS_PER_BATCH_FILE, REQUESTS_PER_BATCH_FILE_ANNOTATION, WORKLOAD_PROFILE_ANNOTATION } from "../../contract";
import { declaredColdStart } from "./cold-start";
import { gpusPerPod, scaledObjectsOf, selectedNodePools, TYPES, type GpuWorkload, type Workload } from "./kubernetes";
import { routeForAlias } from "./routes";
import type { ResourceView, StackView } from "./stack";
import { asArray, asCount, asString, at, isUnknown, Unknown, UnknownRead, type Plain } from "./values";
import { stackRegion, weightsSourceOf } from "./weights-source";

/** KEDA's defaults when a ScaledObject/ScaledJob leaves a field out (keda.sh docs, ScaledObject spec). */
export const KEDA_DEFAULTS = { minReplicaCount: 0, maxReplicaCount: 100, cooldownPeriodSeconds: 300 } as const;
/** HPA's default scale-down stabilization window, seconds. */
export const HPA_DEFAULT_SCALE_DOWN_WINDOW_SECONDS = 300;

export type FactsResult =
  | { readonly kind: "facts"; readonly facts: WorkloadFacts; readonly pricingMismatch?: string }
  /** A value the gate needs is unknown at preview. */
  | { readonly kind: "unknown"; readonly what: string; readonly path: string }
  /** The resources do not say enough, or say it wrongly: a violation with this message. */
  | { readonly kind: "invalid"; readonly check: "profile-missing" | "profile-malformed" | "unpriceable"; readonly message: string };

/** The profile annotation, parsed; zod's issues as key paths and words, never the values. */
export function readProfile(workload: Workload): { profile: WorkloadProfile } | { unknown: Unknown } | { missing: true } | { malformed: string } {
  const raw = at(workload.resource.props, "metadata", "annotations", WORKLOAD_PROFILE_ANNOTATION);
  if (raw === undefined) return { missing: true };
  if (isUnknown(raw)) return { unknown: raw };
  if (typeof raw !== "string") return { malformed: "the annotation is not a string" };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { malformed: "the annotation is not valid JSON" };
  }
  const parsed = workloadProfileSchema.safeParse(json);
  if (!parsed.success) {
    return { malformed: parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join(".") : "(profile)"}: ${i.message}`).join("; ") };
  }
  return { profile: parsed.data };
}

/** Karpenter's capacity type when a NodePool has no `karpenter.sh/capacity-type` requirement (karpenter.sh docs, NodePools: requirements). */
const KARPENTER_DEFAULT_CAPACITY_TYPES: readonly string[] = ["on-demand"];

interface PoolShape {
  readonly instanceTypes: string[];
  readonly capacityType: CapacityType;
  /** Set when the pricing annotation claims what the pool's requirements do not allow: a violation with this message. */
  readonly pricingMismatch?: string;
}

/** Whether a declared pricing agrees with the capacity types Karpenter may launch. */
function pricingAllowed(pricing: CapacityType, allowed: readonly string[]): boolean {
  if (pricing === "spot") return allowed.every((type) => type === "spot");
  if (pricing === "on-demand") return allowed.includes("on-demand");
  // A commitment (savings plan, reserved instance) covers on-demand capacity; Karpenter v1.3+ also has `reserved`.
  return allowed.includes("on-demand") || allowed.includes("reserved");
}

function instanceTypesAndCapacity(pool: ResourceView): PoolShape | Unknown {
  const requirements = at(pool.props, "spec", "template", "spec", "requirements");
  if (isUnknown(requirements)) return requirements;
  let instanceTypes: string[] = [];
  let capacityTypes: string[] | undefined;
  for (const requirement of asArray(requirements)) {
    const key = at(requirement, "key");
    const operator = at(requirement, "operator");
    const values = at(requirement, "values");
    for (const value of [key, operator, values]) if (isUnknown(value)) return value;
    const strings = asArray(values).map(asString).filter((v): v is string => v !== undefined);
    if (key === "node.kubernetes.io/instance-type" && operator === "In") instanceTypes = strings;
    if (key === "karpenter.sh/capacity-type" && operator === "In") capacityTypes = strings;
  }
  const allowed = capacityTypes ?? KARPENTER_DEFAULT_CAPACITY_TYPES;
  // When several capacity types are allowed, price the dearest: the gate must not be optimistic.
  const dearest: CapacityType = allowed.length === 0 || allowed.includes("on-demand") ? "on-demand" : allowed.includes("reserved") ? "reserved" : "spot";
  const pricing = at(pool.props, "metadata", "annotations", CAPACITY_PRICING_ANNOTATION);
  if (isUnknown(pricing)) return pricing;
  if (pricing === undefined) return { instanceTypes, capacityType: dearest };
  if ((pricing === "reserved" || pricing === "spot" || pricing === "on-demand") && pricingAllowed(pricing, allowed)) return { instanceTypes, capacityType: pricing };
  return {
    instanceTypes,
    capacityType: dearest,
    pricingMismatch: `runs in NodePool "${pool.name}", whose \`${CAPACITY_PRICING_ANNOTATION}\` annotation claims pricing its requirements do not allow (karpenter.sh/capacity-type ${allowed.join(", ") || "none"}): the gate prices it ${dearest}. Make the annotation agree with the pool's capacity types.`,
  };
}

function count(value: Plain | undefined, fallback: number): number | Unknown {
  const n = asCount(value);
  if (isUnknown(n)) return n;
  return n ?? fallback;
}

/** Replica bounds and queue target from the KEDA object that scales the workload; fixed replicas when none. */
function autoscalerOf(view: StackView, workload: Workload, coldStartSeconds: number, perFile: number | undefined): Omit<AutoscalerPolicy, "scaleUpDelaySeconds"> | Unknown {
  const scaler = workload.kind === "ScaledJob" ? workload.resource : scaledObjectsOf(view, workload)[0];
  if (scaler === undefined) {
    const replicas = count(at(workload.resource.props, "spec", "replicas"), 1);
    if (isUnknown(replicas)) return replicas;
    return { minReplicas: replicas, maxReplicas: Math.max(1, replicas), targetQueuePerReplica: 1, scaleDownCooldownSeconds: coldStartSeconds };
  }
  const min = count(at(scaler.props, "spec", "minReplicaCount"), KEDA_DEFAULTS.minReplicaCount);
  const max = count(at(scaler.props, "spec", "maxReplicaCount"), KEDA_DEFAULTS.maxReplicaCount);
  if (isUnknown(min)) return min;
  if (isUnknown(max)) return max;
  const metadata = at(scaler.props, "spec", "triggers", 0, "metadata");
  const target = at(metadata, workload.kind === "ScaledJob" ? "queueLength" : "threshold");
  if (isUnknown(target)) return target;
  const targetValue = typeof target === "number" ? target : Number(asString(target) ?? "NaN");
  const targetQueue = Number.isFinite(targetValue) && targetValue > 0 ? targetValue : 1;
  if (workload.kind === "ScaledJob") {
    // The queue counts batch files; a Job exits once the queue has stayed empty for its idle time.
    const idle = count(envValue(workload, BATCH_IDLE_SECONDS_ENV), 0);
    if (isUnknown(idle)) return idle;
    return { minReplicas: min, maxReplicas: Math.max(1, max, min), targetQueuePerReplica: targetQueue * (perFile ?? DEFAULT_REQUESTS_PER_BATCH_FILE), scaleDownCooldownSeconds: idle };
  }
  const window = at(scaler.props, "spec", "advanced", "horizontalPodAutoscalerConfig", "behavior", "scaleDown", "stabilizationWindowSeconds");
  if (isUnknown(window)) return window;
  const cooldown = count(window, HPA_DEFAULT_SCALE_DOWN_WINDOW_SECONDS);
  if (isUnknown(cooldown)) return cooldown;
  return { minReplicas: min, maxReplicas: Math.max(1, max, min), targetQueuePerReplica: targetQueue, scaleDownCooldownSeconds: cooldown };
}

/** Requests in one batch file, from the ScaledJob's annotation; the config's documented default when absent. */
function requestsPerBatchFile(workload: Workload): number | Unknown {
  return count(at(workload.resource.props, "metadata", "annotations", REQUESTS_PER_BATCH_FILE_ANNOTATION), DEFAULT_REQUESTS_PER_BATCH_FILE);
}

/** A literal `env` value of the first container that sets it. */
function envValue(workload: Workload, name: string): Plain | undefined {
  for (const container of asArray(workload.podSpec.containers)) {
    for (const entry of asArray(at(container, "env"))) {
      if (asString(at(entry, "name")) === name) return at(entry, "value");
    }
  }
  return undefined;
}

/** WorkloadFacts of one GPU workload, or why they cannot be had; an unknown fact is `unknown`, never a guess. */
export function workloadFactsOf(view: StackView, workload: GpuWorkload): FactsResult {
  try {
    const result = readFacts(view, workload);
    // A workload that may not be a GPU workload at all is not wrong for lacking what the gate needs.
    if (result.kind === "invalid" && isUnknown(workload.gpu)) return { kind: "unknown", what: "whether it is a GPU workload", path: workload.gpu.path };
    return result;
  } catch (error) {
    if (!(error instanceof UnknownRead)) throw error;
    return { kind: "unknown", what: "a fact the gate reads", path: error.unknown.path };
  }
}

function readFacts(view: StackView, workload: GpuWorkload): FactsResult {
  const read = readProfile(workload);
  if ("missing" in read) {
    return { kind: "invalid", check: "profile-missing", message: `has no \`${WORKLOAD_PROFILE_ANNOTATION}\` annotation: the gate cannot model its traffic` };
  }
  if ("unknown" in read) return { kind: "unknown", what: "the workload profile", path: read.unknown.path };
  if ("malformed" in read) return { kind: "invalid", check: "profile-malformed", message: `has a malformed \`${WORKLOAD_PROFILE_ANNOTATION}\` annotation: ${read.malformed}` };
  // The owned share is the one the deployed route carries (its AIGatewayRoute weights), not the profile's number.
  const route = routeForAlias(view, read.profile.name);
  if (route.kind === "unknown") return { kind: "unknown", what: "the router's owned weight", path: route.path };
  const profile = route.kind === "route" ? atOwnedShare(read.profile, route.route.ownedPercent) : read.profile;

  const gpus = gpusPerPod(workload);
  const selection = selectedNodePools(view, workload);
  const pool = selection.kind === "selected" ? selection.pools[0] : undefined;
  if (pool === undefined) return { kind: "invalid", check: "unpriceable", message: "selects no NodePool of this stack: the gate cannot price its GPUs" };
  const shape = instanceTypesAndCapacity(pool);
  if (isUnknown(shape)) return { kind: "unknown", what: "the node pool's instance types", path: shape.path };
  if (shape.instanceTypes.length === 0) {
    return { kind: "invalid", check: "unpriceable", message: `runs in NodePool "${pool.name}", which pins no instance types (node.kubernetes.io/instance-type In [...]): the gate cannot price its GPUs` };
  }

  const weightsSource = weightsSourceOf(workload);
  if (isUnknown(weightsSource)) return { kind: "unknown", what: "where the weights come from (the model path)", path: weightsSource.path };
  const declared = declaredColdStart(workload);
  let coldStartSeconds: number;
  let downloadGiB: number;
  try {
    // What a cold start downloads: the checkpoint (BF16 for a model quantized at load), not the served weights.
    downloadGiB = profileCheckpointGiB(profile);
    coldStartSeconds = declared !== undefined && "seconds" in declared ? declared.seconds : estimateColdStartSeconds(downloadGiB, weightsSource);
  } catch (error) {
    return { kind: "invalid", check: "profile-malformed", message: `names a model the gate cannot size: ${(error as Error).message}` };
  }
  const perFile = workload.kind === "ScaledJob" ? requestsPerBatchFile(workload) : undefined;
  if (isUnknown(perFile)) return { kind: "unknown", what: "the batch file size", path: perFile.path };
  const autoscaler = autoscalerOf(view, workload, coldStartSeconds, perFile);
  if (isUnknown(autoscaler)) return { kind: "unknown", what: "the replica bounds", path: autoscaler.path };
  return {
    kind: "facts",
    ...(shape.pricingMismatch !== undefined ? { pricingMismatch: shape.pricingMismatch } : {}),
    facts: {
      profile,
      instanceTypes: shape.instanceTypes,
      capacityType: shape.capacityType,
      gpusPerReplica: Math.max(1, gpus),
      autoscaler: { ...autoscaler, scaleUpDelaySeconds: coldStartSeconds },
      gpuMemoryUtilization: gpuMemoryUtilizationOf(workload),
      ...(perFile !== undefined ? { requestsPerBatchFile: perFile } : {}),
      weights: { source: weightsSource, downloadGiB },
    },
  };
}

/** The profile with its rollout at the routed owned percent (the economics evaluate `targetOwnedPercent`). */
function atOwnedShare(profile: WorkloadProfile, ownedPercent: number): WorkloadProfile {
  const percent = ownedPercent as WorkloadProfile["rollout"]["targetOwnedPercent"];
  return { ...profile, rollout: { currentOwnedPercent: percent, targetOwnedPercent: percent } };
}

/** vLLM's `--gpu-memory-utilization` from the container args; vLLM's default 0.9 when absent. */
function gpuMemoryUtilizationOf(workload: Workload): number {
  for (const container of asArray(workload.podSpec.containers)) {
    const args = asArray(at(container, "args")).map(asString);
    for (let i = 0; i < args.length; i += 1) {
      const arg = args[i];
      if (arg === undefined) continue;
      const inline = /^--gpu[-_]memory[-_]utilization=(.+)$/.exec(arg);
      const value = inline?.[1] ?? (/^--gpu[-_]memory[-_]utilization$/.test(arg) ? args[i + 1] : undefined);
      const parsed = value !== undefined ? Number(value) : NaN;
      if (parsed > 0 && parsed <= 1) return parsed;
    }
  }
  return 0.9;
}

/** The economics' stack context as the gate sees it: Auto Mode from the cluster, the region from its AWS provider. */
export function gateStackContext(view: StackView, economics: EconomicsConfig): StackContext {
  const region = stackRegion(view);
  return { economics, autoMode: clusterUsesAutoMode(view), ...(region !== undefined ? { region } : {}) };
}

/** Whether the stack's EKS cluster runs Auto Mode (its fee is added to instance prices). */
export function clusterUsesAutoMode(view: StackView): boolean {
  return view.ofType(TYPES.eksCluster).some((cluster) => at(cluster.props, "computeConfig", "enabled") === true);
}
