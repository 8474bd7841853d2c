/**
 * The stack-config contract: one zod schema for the `gpu-inference:` namespace of
 * `Pulumi.<stack>.yaml`, read once, by the Pulumi program and by the operator CLI alike.
 *
 * Errors name the stack file and the full key path, list every problem at once, and never
 * echo a secret.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { z } from "zod";
import { economicsConfigSchema, workloadProfileSchema } from "../policies/economics/schema";
import { DEFAULT_REQUESTS_PER_BATCH_FILE } from "../policies/contract";
import { eksVersionProblem, newestStandardSupportVersion } from "../policies/eks-versions";
import { workloadEngineLimits } from "../components/internal/serving-plan";
import { instanceById } from "../policies/economics/catalog";
import { referenceProblems, resolvedMinReplicas, type ReferenceProblem } from "./config-references";

export const CONFIG_NAMESPACE = "gpu-inference";

/** Config keys that hold secrets: set with `pulumi config set --secret`, never read from plain YAML. */
export const SECRET_CONFIG_KEYS = ["huggingFaceToken"] as const;

const dnsLabel = (what: string) =>
  z.string().regex(/^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/, { error: `expected a ${what}: a DNS-1123 label of at most 40 characters (a-z, 0-9, -)` });
const wholeNumber = (what: string, min: number) =>
  z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).min(min, { error: `expected ${what}` });

/** A GPU node pool: a Karpenter NodePool the serving workloads select by label. */
export const gpuPoolSchema = z.strictObject({
  /** Pool name; workloads refer to it in `serving.gpuPool`. */
  name: dnsLabel("pool name"),
  /** EC2 instance types the pool may launch (maps to the NodePool requirement on `node.kubernetes.io/instance-type`). */
  instanceTypes: z.array(z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { error: "expected an EC2 instance type such as g6e.xlarge" })).min(1, {
    error: "expected at least one instance type",
  }),
  /** Capacity type (maps to `karpenter.sh/capacity-type`; `reserved` prices at the 1-year commitment rate). @default "on-demand" */
  capacityType: z.enum(["on-demand", "spot", "reserved"]).default("on-demand"),
  /** Most GPUs the pool may run at once: its spending ceiling (maps to `NodePool.spec.limits["nvidia.com/gpu"]`). */
  gpuLimit: wholeNumber("a whole number of GPUs, at least 1", 1),
});
export type GpuPoolConfig = z.infer<typeof gpuPoolSchema>;

export const clusterSchema = z.strictObject({
  /** EKS cluster name. */
  name: dnsLabel("cluster name"),
  /** AWS region. @default "us-east-1" */
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: "expected an AWS region such as us-east-1" }).default("us-east-1"),
  /**
   * Kubernetes minor version; refused past its end of EKS standard support under `upgradePolicy` STANDARD
   * (dates: policies/eks-versions.ts). @default - the newest version in EKS standard support today
   */
  kubernetesVersion: z
    .string()
    .regex(/^1\.\d{2}$/, { error: "expected a Kubernetes minor version such as 1.35" })
    .default(() => newestStandardSupportVersion(new Date())),
  /** EKS support policy (maps to `upgradePolicy.supportType`): STANDARD never bills extended support. @default "STANDARD" */
  upgradePolicy: z.enum(["STANDARD", "EXTENDED"], { error: "expected STANDARD or EXTENDED" }).default("STANDARD"),
  /** Who provisions nodes: EKS Auto Mode (AWS runs Karpenter, drivers, device plugin) or self-managed Karpenter. @default "auto-mode" */
  nodeProvisioning: z.enum(["auto-mode", "karpenter"]).default("auto-mode"),
  /** CIDRs allowed to reach the public API endpoint; empty keeps the endpoint private. @default [] */
  endpointPublicAccessCidrs: z
    .array(
      z
        .cidrv4({ error: "expected an IPv4 CIDR such as 203.0.113.0/24" })
        .refine((cidr) => !cidr.endsWith("/0"), { error: "a /0 opens the API endpoint to the whole internet; list your office or CI CIDRs, or leave the list empty for a private endpoint" }),
    )
    .default([]),
  /** GPU node pools. */
  gpuPools: z.array(gpuPoolSchema).min(1, { error: "expected at least one GPU pool" }),
  /** Team that owns the cluster, for the `team` cost-allocation tag on every AWS resource. @default "platform" */
  team: z.string().min(1, { error: "expected a team name" }).default("platform"),
  /**
   * IAM roles granted cluster admin through explicit EKS access entries (the creator gets none); the role
   * that runs `pulumi up` must be one of them to apply the cluster's Kubernetes objects. @default []
   */
  adminRoleArns: z
    .array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, { error: "expected an IAM role ARN such as arn:aws:iam::123456789012:role/platform-admin" }))
    .default([]),
})
  .superRefine((cluster, ctx) => {
    const problem = eksVersionProblem(cluster.kubernetesVersion, cluster.upgradePolicy, new Date());
    if (problem !== undefined) ctx.addIssue({ code: "custom", path: ["kubernetesVersion"], message: problem });
  });
export type ClusterConfig = z.infer<typeof clusterSchema>;

export const tenantSchema = z.strictObject({
  /** Tenant name; also its namespace. */
  name: dnsLabel("tenant name"),
  /** Team that owns the tenant, for cost-allocation tags. @default - the tenant name */
  team: z.string().min(1).optional(),
  /** Most GPUs the tenant's pods may request (maps to `ResourceQuota` `requests.nvidia.com/gpu`). */
  gpuQuota: wholeNumber("a whole number of GPUs, at least 0", 0),
});
export type TenantConfig = z.infer<typeof tenantSchema>;

/** How a workload is served on owned GPUs. */
export const servingSchema = z.strictObject({
  /** GPU pool the replicas run in (a `cluster.gpuPools[].name`). */
  gpuPool: dnsLabel("pool name"),
  /** GPUs per replica; also vLLM's `--tensor-parallel-size` and the container's `nvidia.com/gpu` limit. @default 1 */
  gpusPerReplica: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)], { error: "expected 1, 2, 4 or 8 GPUs per replica" }).default(1),
  /** Fewest replicas (maps to `ScaledObject.spec.minReplicaCount`). @default - 1 for interactive, 0 for batch */
  minReplicas: wholeNumber("a whole number of replicas, at least 0", 0).optional(),
  /** Most replicas (maps to `ScaledObject.spec.maxReplicaCount` / `ScaledJob.spec.maxReplicaCount`). @default 4 */
  maxReplicas: wholeNumber("a whole number of replicas, at least 1", 1).default(4),
  /**
   * Waiting requests per replica that triggers scale-up (interactive: KEDA trigger `threshold`); batch: requests waiting per
   * job, deployed as ⌈this ÷ requestsPerBatchFile⌉ queued files per job (`ScaledJob` trigger `queueLength`). @default 4
   */
  targetQueueDepthPerReplica: z.number({ error: "expected a positive number" }).positive({ error: "expected a positive number" }).default(4),
  /** Seconds load must stay low before a replica is removed (maps to `ScaledObject.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds`). @default 900 */
  scaleDownCooldownSeconds: wholeNumber("a whole number of seconds", 0).default(900),
  /** Seconds from a scale-up request to a serving replica (node provisioning + model load). @default - estimated from the model's weight size */
  coldStartSeconds: wholeNumber("a whole number of seconds", 1).optional(),
  /** Batch tiers: requests in one batch file (one SQS message); vLLM's offline runner reloads the model per file. @default 50000 (OpenAI's batch-file limit) */
  requestsPerBatchFile: wholeNumber("a whole number of requests, at least 1", 1).default(DEFAULT_REQUESTS_PER_BATCH_FILE),
  /**
   * Longest context a request may have, tokens (maps to vLLM `--max-model-len`); refused when one sequence of it does not fit the
   * KV cache left after the weights. @default - the model's own context, capped at what fits
   */
  maxContextTokens: wholeNumber("a whole number of tokens, at least 1", 1).optional(),
  /** Share of GPU memory vLLM may use (maps to `--gpu-memory-utilization`). @default 0.9 */
  gpuMemoryUtilization: z.number().gt(0, { error: "expected a share above 0" }).max(1, { error: "expected a share of at most 1" }).default(0.9),
  /** Tokens/s one replica sustains for this workload while meeting its SLO, measured; wins over the roofline and is used as it stands (no further headroom). @default - the roofline estimate */
  measuredTokensPerSecond: z.number({ error: "expected a positive number" }).positive({ error: "expected a positive number" }).optional(),
  /** EC2 USD per replica-hour, such as a negotiated rate; a node costs this × the replicas it holds, plus the Auto Mode fee. @default - the catalog's instance price, billed in whole nodes */
  hourlyPriceUsd: z.number({ error: "expected a positive number" }).positive({ error: "expected a positive number" }).optional(),
});
export type ServingConfig = z.infer<typeof servingSchema>;

export const workloadSchema = workloadProfileSchema.extend({
  /** Tenant that runs the workload (a `tenants[].name`). */
  tenant: dnsLabel("tenant name"),
  serving: servingSchema,
});
export type WorkloadConfig = z.infer<typeof workloadSchema>;

export const stackConfigSchema = z
  .strictObject({
    /** Environment name, used in tags and to pick the policy enforcement. */
    environment: z.enum(["dev", "staging", "prod"], { error: "expected dev, staging or prod" }),
    cluster: clusterSchema,
    tenants: z.array(tenantSchema).min(1, { error: "expected at least one tenant" }),
    economics: economicsConfigSchema.default(economicsConfigSchema.parse({})),
    workloads: z.array(workloadSchema).default([]),
  })
  .superRefine((config, ctx) => {
    const all = <T>(list: readonly T[]) => list.map((value, i) => [i, value] as const);
    const parts = { pools: all(config.cluster.gpuPools), poolsComplete: true, tenants: all(config.tenants), tenantsComplete: true, workloads: all(config.workloads), economics: config.economics };
    for (const problem of referenceProblems(parts)) ctx.addIssue({ code: "custom", path: [...problem.path], message: problem.message });
    for (const problem of engineFitProblems(config)) ctx.addIssue({ code: "custom", path: [...problem.path], message: problem.message });
  });

/**
 * Workloads vLLM would refuse to start: the context asked for (or one mean request) does not fit the KV
 * cache left after the weights on the pool's smallest GPU. Names the catalog cannot resolve are left to
 * the reference checks, which report them.
 */
function engineFitProblems(config: { cluster: { gpuPools: readonly GpuPoolConfig[] }; workloads: readonly WorkloadConfig[] }): ReferenceProblem[] {
  return config.workloads.flatMap((workload, i) => {
    const pool = config.cluster.gpuPools.find((p) => p.name === workload.serving.gpuPool);
    if (pool === undefined) return [];
    // A replica no instance type can hold is the reference checks' problem (gpusPerReplica), reported once.
    let result: ReturnType<typeof workloadEngineLimits>;
    try {
      if (!pool.instanceTypes.some((id) => instanceById(id).gpuCount >= workload.serving.gpusPerReplica)) return [];
      result = workloadEngineLimits(workload, pool.instanceTypes);
    } catch {
      return [];
    }
    if (result.fits) return [];
    const key = workload.serving.maxContextTokens !== undefined ? "maxContextTokens" : "gpusPerReplica";
    return [{ path: ["workloads", i, "serving", key], message: result.reason }];
  });
}
export type StackConfig = z.infer<typeof stackConfigSchema>;

/** The replica floor a workload gets when `serving.minReplicas` is unset. */
export { resolvedMinReplicas };

/**
 * Cross-reference problems among the entries that parse on their own, for a stack file whose full
 * parse failed (zod skips whole-object checks then): every problem still comes out in one run.
 */
function partialReferenceProblems(values: Record<string, unknown>): ReferenceProblem[] {
  const entries = <T>(raw: unknown, schema: z.ZodType<T>): { parsed: (readonly [number, T])[]; complete: boolean } => {
    const list = Array.isArray(raw) ? raw : [];
    const parsed = list.flatMap((item, i) => {
      const result = schema.safeParse(item);
      return result.success ? [[i, result.data] as const] : [];
    });
    return { parsed, complete: Array.isArray(raw) && parsed.length === list.length };
  };
  const cluster = (typeof values.cluster === "object" && values.cluster !== null ? values.cluster : {}) as Record<string, unknown>;
  const pools = entries(cluster.gpuPools, gpuPoolSchema);
  const tenants = entries(values.tenants, tenantSchema);
  const workloads = entries(values.workloads, workloadSchema);
  const economics = economicsConfigSchema.safeParse(values.economics ?? {});
  return referenceProblems({
    pools: pools.parsed,
    poolsComplete: pools.complete,
    tenants: tenants.parsed,
    tenantsComplete: tenants.complete,
    workloads: workloads.parsed,
    economics: economics.success ? economics.data : economicsConfigSchema.parse({}),
  });
}

/** Every problem found in one stack file; carries no stack trace worth showing. */
export class StackConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file}: ${problems.length} problem${problems.length === 1 ? "" : "s"}\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "StackConfigError";
  }
}

/** `workloads[1].traffic.requestsPerMonth`, the way a person reads the YAML. */
export function formatKeyPath(keyPath: readonly PropertyKey[]): string {
  let out = "";
  for (const key of keyPath) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

/**
 * Validate the namespace's values (keys without the `gpu-inference:` prefix).
 * Throws StackConfigError listing every problem, each as `<file>: gpu-inference:<path>: <message>`.
 */
export function parseStackConfig(values: Record<string, unknown>, file: string): StackConfig {
  const problems: string[] = [];
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if ((SECRET_CONFIG_KEYS as readonly string[]).includes(key)) continue;
    plain[key] = value;
  }
  const result = stackConfigSchema.safeParse(plain);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(describeIssue(issue, file));
    for (const problem of partialReferenceProblems(plain)) {
      const line = `${file}: ${CONFIG_NAMESPACE}:${formatKeyPath(problem.path)}: ${problem.message}`;
      if (!problems.includes(line)) problems.push(line);
    }
  }
  if (problems.length > 0) throw new StackConfigError(file, problems);
  return result.data as StackConfig;
}

function describeIssue(issue: z.core.$ZodIssue, file: string): string {
  if (issue.code === "unrecognized_keys") {
    const where = issue.path.length > 0 ? `${CONFIG_NAMESPACE}:${formatKeyPath(issue.path)}` : CONFIG_NAMESPACE;
    return `${file}: ${where}: unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}; check the spelling against docs/configuration.md`;
  }
  const where = issue.path.length > 0 ? `${CONFIG_NAMESPACE}:${formatKeyPath(issue.path)}` : CONFIG_NAMESPACE;
  // zod's own wording for a missing key is "Invalid input: expected X, received undefined".
  const message = issue.code === "invalid_type" && issue.message.includes("received undefined") ? `required: ${issue.message.replace(/^Invalid input: /, "")}` : issue.message;
  return `${file}: ${where}: ${message}`;
}

/**
 * Read `Pulumi.<stack>.yaml` (or any file of that shape) and validate its `gpu-inference:` keys.
 * Keys of other namespaces (`aws:region`, ...) are left to their owners.
 */
export function loadStackConfigFile(file: string): StackConfig {
  const display = path.basename(file);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new StackConfigError(display, [`${display}: cannot read the stack file: ${reason}`]);
  }
  return parseStackConfig(namespaceValues(text, display), display);
}

/** The `gpu-inference:` values of a stack file's `config:` map, prefix removed. */
export function namespaceValues(text: string, display: string): Record<string, unknown> {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new StackConfigError(
      display,
      doc.errors.map((e) => `${display}:${e.linePos?.[0]?.line ?? "?"}: invalid YAML: ${e.message.split("\n")[0]}`),
    );
  }
  const root = doc.toJS() as unknown;
  const config = isRecord(root) ? root.config : undefined;
  if (!isRecord(config)) throw new StackConfigError(display, [`${display}: expected a top-level \`config:\` map`]);
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key.startsWith(`${CONFIG_NAMESPACE}:`)) values[key.slice(CONFIG_NAMESPACE.length + 1)] = value;
  }
  return values;
}

/**
 * The `gpu-inference:` values as the Pulumi engine hands them to the program: objects arrive
 * JSON-encoded, scalars as strings. Secrets are skipped here and read with `requireSecret`.
 */
export function namespaceValuesFromEngine(allConfig: Record<string, string>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(allConfig)) {
    if (!key.startsWith(`${CONFIG_NAMESPACE}:`)) continue;
    const name = key.slice(CONFIG_NAMESPACE.length + 1);
    if ((SECRET_CONFIG_KEYS as readonly string[]).includes(name)) continue;
    values[name] = decodeEngineValue(raw);
  }
  return values;
}

function decodeEngineValue(raw: string): unknown {
  const trimmed = raw.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return raw;
    }
  }
  if (/^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  if (trimmed === "true" || trimmed === "false") return trimmed === "true";
  return raw;
}

/** Path of a stack's file next to `Pulumi.yaml`. */
export function stackFilePath(stack: string, projectDir: string = path.resolve(__dirname, "..")): string {
  return path.join(projectDir, `Pulumi.${stack}.yaml`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
