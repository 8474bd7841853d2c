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
import { API_PRICES, INSTANCE_TYPES, MODELS } from "../policies/economics/catalog";
import { PRICE_KEY } from "../policies/economics/catalog/instances";
import { economicsConfigSchema, workloadProfileSchema } from "../policies/economics/schema";
import { DEFAULT_REQUESTS_PER_BATCH_FILE } from "../policies/rules/internal/workload-facts";

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
  /** Kubernetes minor version. @default "1.33" */
  kubernetesVersion: z.string().regex(/^1\.\d{2}$/, { error: "expected a Kubernetes minor version such as 1.33" }).default("1.33"),
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
  /** Share of GPU memory vLLM may use (maps to `--gpu-memory-utilization`). @default 0.9 */
  gpuMemoryUtilization: z.number().gt(0, { error: "expected a share above 0" }).max(1, { error: "expected a share of at most 1" }).default(0.9),
  /** Tokens/s one replica sustains for this workload, measured; wins over the roofline model. @default - the roofline estimate */
  measuredTokensPerSecond: z.number({ error: "expected a positive number" }).positive({ error: "expected a positive number" }).optional(),
  /** USD per replica-hour, such as a negotiated rate; wins over the catalog. @default - the catalog's instance price × GPUs per replica ÷ GPUs per instance */
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
    const pools = new Map(config.cluster.gpuPools.map((pool) => [pool.name, pool]));
    const tenants = new Set(config.tenants.map((tenant) => tenant.name));
    reportDuplicates(config.cluster.gpuPools.map((p) => p.name), ["cluster", "gpuPools"], ctx);
    reportDuplicates(config.tenants.map((t) => t.name), ["tenants"], ctx);
    reportDuplicates(config.workloads.map((w) => w.name), ["workloads"], ctx);
    checkCatalogReferences(config, ctx);
    config.workloads.forEach((workload, i) => {
      const at = (...rest: (string | number)[]) => ["workloads", i, ...rest];
      if (!tenants.has(workload.tenant)) {
        ctx.addIssue({ code: "custom", path: at("tenant"), message: `no tenant named "${workload.tenant}"; expected one of ${[...tenants].join(", ")}` });
      }
      if (!pools.has(workload.serving.gpuPool)) {
        ctx.addIssue({
          code: "custom",
          path: at("serving", "gpuPool"),
          message: `no GPU pool named "${workload.serving.gpuPool}"; expected one of ${[...pools.keys()].join(", ")}`,
        });
      }
      if (workload.name === "vllm") {
        // The workload's Service takes its name: Kubernetes would inject VLLM_PORT, which vLLM rejects.
        ctx.addIssue({ code: "custom", path: at("name"), message: 'a workload may not be named "vllm": its Service would make Kubernetes inject VLLM_PORT, which vLLM rejects' });
      }
      const min = resolvedMinReplicas(workload);
      if (min > workload.serving.maxReplicas) {
        ctx.addIssue({ code: "custom", path: at("serving", "minReplicas"), message: `expected at most maxReplicas (${workload.serving.maxReplicas})` });
      }
      if (workload.tier === "interactive" && min < 1) {
        ctx.addIssue({
          code: "custom",
          path: at("serving", "minReplicas"),
          message: "expected at least 1 for an interactive tier: a GPU cold start takes minutes, so scaling to zero breaks the SLO",
        });
      }
    });
  });
export type StackConfig = z.infer<typeof stackConfigSchema>;

/** Everything the cost model must look up exists in the catalog, or the config supplies it. */
function checkCatalogReferences(config: Pick<StackConfigInput, "cluster" | "economics" | "workloads">, ctx: z.RefinementCtx): void {
  const instances = new Map(INSTANCE_TYPES.map((i) => [i.id, i]));
  const pricedByOverride = config.economics.priceOverrides.instances;
  config.cluster.gpuPools.forEach((pool, p) => {
    pool.instanceTypes.forEach((id, t) => {
      const instance = instances.get(id);
      const at = ["cluster", "gpuPools", p, "instanceTypes", t];
      if (instance === undefined) {
        ctx.addIssue({ code: "custom", path: at, message: `"${id}" is not a GPU instance type in the catalog; expected one of ${[...instances.keys()].join(", ")}` });
        return;
      }
      const key = PRICE_KEY[pool.capacityType];
      const everyWorkloadPinsPrice = config.workloads.filter((w) => w.serving.gpuPool === pool.name).every((w) => w.serving.hourlyPriceUsd !== undefined);
      if (instance.usdPerHour[key] === null && pricedByOverride[id]?.[key] === undefined && !everyWorkloadPinsPrice) {
        ctx.addIssue({
          code: "custom",
          path: at,
          message: `the catalog has no ${pool.capacityType} price for ${id}; set economics.priceOverrides.instances["${id}"].${key} or serving.hourlyPriceUsd`,
        });
      }
    });
  });
  const models = new Set(MODELS.map((m) => m.id));
  const apis = new Set(API_PRICES.map((a) => a.id));
  config.workloads.forEach((workload, i) => {
    if (workload.model.architecture === undefined && !models.has(workload.model.id)) {
      ctx.addIssue({
        code: "custom",
        path: ["workloads", i, "model", "id"],
        message: `"${workload.model.id}" is not in the built-in model catalog; add model.architecture (layers, hiddenSize, attentionHeads, kvHeads, parametersBillions, maxContextTokens) or use one of ${[...models].join(", ")}`,
      });
    }
    const { catalogId, pricePerMillion } = workload.api;
    if (catalogId !== undefined && pricePerMillion === undefined && !apis.has(catalogId) && config.economics.priceOverrides.api[catalogId] === undefined) {
      ctx.addIssue({ code: "custom", path: ["workloads", i, "api", "catalogId"], message: `"${catalogId}" is not in the API price catalog; give api.pricePerMillion or use a catalog id such as gpt-4.1-mini` });
    }
    const pool = config.cluster.gpuPools.find((candidate) => candidate.name === workload.serving.gpuPool);
    const widest = Math.max(0, ...(pool?.instanceTypes ?? []).map((id) => instances.get(id)?.gpuCount ?? 0));
    if (pool !== undefined && widest > 0 && workload.serving.gpusPerReplica > widest) {
      ctx.addIssue({
        code: "custom",
        path: ["workloads", i, "serving", "gpusPerReplica"],
        message: `pool ${pool.name}'s largest instance has ${widest} GPU(s); a replica cannot span nodes, so use at most ${widest} or add a larger instance type`,
      });
    }
  });
}

type StackConfigInput = {
  cluster: z.infer<typeof clusterSchema>;
  economics: z.infer<typeof economicsConfigSchema>;
  workloads: z.infer<typeof workloadSchema>[];
};

function reportDuplicates(names: string[], at: (string | number)[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (seen.has(name)) ctx.addIssue({ code: "custom", path: [...at, i, "name"], message: `duplicate name "${name}"` });
    seen.add(name);
  });
}

/** The replica floor a workload gets when `serving.minReplicas` is unset. */
export function resolvedMinReplicas(workload: Pick<WorkloadConfig, "tier" | "serving">): number {
  return workload.serving.minReplicas ?? (workload.tier === "interactive" ? 1 : 0);
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
    for (const issue of result.error.issues) {
      problems.push(describeIssue(issue, file));
    }
  }
  if (problems.length > 0) throw new StackConfigError(file, problems);
  return result.data as StackConfig;
}

function describeIssue(issue: z.core.$ZodIssue, file: string): string {
  if (issue.code === "unrecognized_keys") {
    const where = issue.path.length > 0 ? `${CONFIG_NAMESPACE}:${formatKeyPath(issue.path)}` : CONFIG_NAMESPACE;
    return `${file}: ${where}: unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}; check the spelling against the README's config reference`;
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
