/**
 * The stack-config contract: one zod schema for the `gpu-inference:` namespace of
 * `Pulumi.<stack>.yaml`, read once, by the Pulumi program and by the operator CLI alike.
 *
 * Errors name the stack file and the full key path, list every problem at once, and never
 * echo a secret.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isScalar, LineCounter, parseDocument, visit, type Document } from "yaml";
import { z } from "zod";
import { economicsConfigSchema, MODEL_LIMITS, workloadProfileSchema } from "../policies/economics/schema";
import { DEFAULT_REQUESTS_PER_BATCH_FILE } from "../policies/contract";
import { eksVersionProblem, newestStandardSupportVersion } from "../policies/eks-versions";
import { pinnedZoneProblems } from "../components/internal/availability-zones";
import { workloadEngineLimits } from "../components/internal/serving-plan";
import { instanceById, INSTANCE_TYPES } from "../policies/economics/catalog";
import { referenceProblems, resolvedMinReplicas, type ReferenceProblem } from "./config-references";

export const CONFIG_NAMESPACE = "gpu-inference";

/** Regions whose instance prices the catalog carries. */
export const CATALOG_REGIONS: readonly string[] = [...new Set(INSTANCE_TYPES.map((instance) => instance.region))].sort();

/** Config keys that hold secrets: set with `pulumi config set --secret`, never read from plain YAML. */
export const SECRET_CONFIG_KEYS = ["huggingFaceToken", "dockerHubAccessToken"] as const;

const dnsLabel = (what: string) =>
  z.string().regex(/^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/, { error: `expected a ${what}: a DNS-1123 label of at most 40 characters (a-z, 0-9, -)` });
const wholeNumber = (what: string, min: number, max: number) =>
  z
    .number({ error: `expected ${what}` })
    .int({ error: `expected ${what}` })
    .min(min, { error: `expected ${what}` })
    .max(max, { error: `expected ${what}, at most ${max.toLocaleString("en-US")}` });
const boundedPositive = (what: string, max: number) =>
  z.number({ error: `expected ${what}` }).positive({ error: `expected ${what}` }).max(max, { error: `expected ${what} of at most ${max.toLocaleString("en-US")}` });

/**
 * Bounds of the serving and cluster numbers, beyond any real stack, within which the month
 * simulation's counters and arrays stay small (the economics' own numbers: MODEL_LIMITS).
 */
export const SERVING_LIMITS = {
  /** Replicas of one workload; the simulation counts them in 32-bit integers. */
  replicas: 10_000,
  /** GPUs in one pool's limit or one tenant's quota. */
  gpus: 100_000,
  /** Cold start and scale-down cooldown, seconds (a day): the simulation keeps one slot per step of them. */
  seconds: 86_400,
  /** Waiting requests per replica that trigger scale-up. */
  queueDepth: 10_000_000,
  /** Requests in one batch file. */
  requestsPerBatchFile: 1_000_000,
  /** Tokens/s one replica sustains (measured). */
  tokensPerSecond: 10_000_000,
  /** Entries of each list: the cost model evaluates each workload's month, so the list is bounded (npm run bench measures 200). */
  workloads: 500,
  gpuPools: 50,
  tenants: 500,
  instanceTypesPerPool: 100,
  /** Free-text names (teams, model ids): AWS tag values hold 256 characters. */
  textChars: 256,
} as const;

/** A GPU node pool: a Karpenter NodePool the serving workloads select by label. */
export const gpuPoolSchema = z.strictObject({
  /** Pool name; workloads refer to it in `serving.gpuPool`. */
  name: dnsLabel("pool name"),
  /** EC2 instance types the pool may launch (maps to the NodePool requirement on `node.kubernetes.io/instance-type`). */
  instanceTypes: z
    .array(z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { error: "expected an EC2 instance type such as g6e.xlarge" }))
    .min(1, { error: "expected at least one instance type" })
    .max(SERVING_LIMITS.instanceTypesPerPool, { error: `expected at most ${SERVING_LIMITS.instanceTypesPerPool} instance types` }),
  /** Capacity type (maps to `karpenter.sh/capacity-type`; `reserved` prices at the 1-year commitment rate). @default "on-demand" */
  capacityType: z.enum(["on-demand", "spot", "reserved"]).default("on-demand"),
  /** Most GPUs the pool may run at once: its spending ceiling (maps to `NodePool.spec.limits["nvidia.com/gpu"]`). */
  gpuLimit: wholeNumber("a whole number of GPUs, at least 1", 1, SERVING_LIMITS.gpus),
});
export type GpuPoolConfig = z.infer<typeof gpuPoolSchema>;

export const clusterSchema = z.strictObject({
  /** EKS cluster name. */
  name: dnsLabel("cluster name"),
  /** AWS region. @default "us-east-1" */
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: "expected an AWS region such as us-east-1" })
    // Instance prices differ by region: pricing another region's stack with these would be silently wrong.
    .refine((region) => CATALOG_REGIONS.includes(region), {
      error: (issue) => `the price catalog covers ${CATALOG_REGIONS.join(", ")} only, so the cost model cannot price ${String(issue.input)}; use one of those regions`,
    })
    .default("us-east-1"),
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
  /**
   * An existing VPC the cluster runs in (required for a private endpoint: the deployer's VPN, peering or runner
   * reaches it). Subnets are private, one per pinned zone; the VPC routes egress and has an S3 gateway endpoint.
   * @default - the stack creates a VPC
   */
  existingVpc: z
    .strictObject({
      vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, { error: "expected a VPC id such as vpc-0a1b2c3d4e5f60718" }),
      privateSubnetIds: z
        .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { error: "expected a subnet id such as subnet-0a1b2c3d4e5f60718" }))
        .min(2, { error: "expected at least two private subnets in different zones (EKS requires two zones)" }),
    })
    .optional(),
  /**
   * Zone IDs (`use1-az1`; IDs name the same zone in every account, names do not) the VPC the stack creates
   * spans, 2 to 4, in `region`: pinned, so no run re-reads zones and replaces subnets. Zones EKS refuses for
   * the control plane are refused (components/internal/availability-zones.ts). Required without
   * `existingVpc`; refused with it (its subnets pin the zones). @default - none: required when the stack creates its VPC
   */
  availabilityZoneIds: z.array(z.string().max(64, { error: "expected a zone ID such as use1-az1" })).max(16, { error: "expected 2 to 4 zone IDs" }).optional(),
  /** Who may reach a private API endpoint on 443 (maps to a security group on the control plane). @default - nobody */
  endpointPrivateAccess: z
    .strictObject({
      /** Deployer networks (VPN, CI), IPv4 CIDRs. @default [] */
      cidrs: z.array(z.cidrv4({ error: "expected an IPv4 CIDR such as 10.20.0.0/16" })).default([]),
      /** Security groups of deployers inside the VPC (a CI runner's). @default [] */
      securityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, { error: "expected a security group id such as sg-0a1b2c3d4e5f60718" })).default([]),
    })
    .optional(),
  /**
   * Pull the Docker Hub images (vLLM, the guard's Node.js) through an ECR pull-through cache, authenticated as
   * this Docker Hub account; its access token is the secret `gpu-inference:dockerHubAccessToken`. Without it
   * nodes pull anonymously (10 pulls per hour per address), and a real `pulumi up` refuses a stack whose
   * scale-out can pull more. @default - no cache
   */
  dockerHubCache: z
    .strictObject({
      /** Docker Hub username (a Docker ID: "between 4 and 30 characters long, and can only contain numbers and lowercase letters", docs.docker.com/accounts/create-account/, as of 2026-12-02). */
      username: z.string().regex(/^[a-z0-9]{4,30}$/, { error: "expected a Docker Hub username: 4 to 30 lowercase letters and digits" }),
      /** ECR repository prefix the cache stores images under (maps to `PullThroughCacheRule.ecrRepositoryPrefix`). @default "docker-hub" */
      ecrRepositoryPrefix: z
        .string()
        .regex(/^(?=.{2,30}$)[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/, { error: 'expected 2 to 30 lowercase letters, digits, ".", "_", "-" or "/" (ECR\'s repository prefix) such as docker-hub' })
        .default("docker-hub"),
    })
    .optional(),
  /**
   * Weekly UTC window in which GPU nodes that still run pods may be replaced for drift (a new Auto Mode AMI) or
   * consolidation; outside it they are held (maps to a `nodes: "0"` NodePool budget). Expiry is not held (see
   * docs/cluster.md). @default { dayOfWeek: 0, startHourUtc: 2, durationHours: 4 } (Sundays 02:00–06:00 UTC)
   */
  maintenanceWindow: z
    .strictObject({
      /** 0 = Sunday … 6 = Saturday. */
      dayOfWeek: wholeNumber("a day of the week from 0 (Sunday) to 6 (Saturday)", 0, 6),
      /** Hour the window starts, UTC. */
      startHourUtc: wholeNumber("an hour from 0 to 23 (UTC)", 0, 23),
      /** Hours it lasts. */
      durationHours: wholeNumber("a whole number of hours from 1 to 167", 1, 167),
    })
    .optional(),
  /** GPU node pools. */
  gpuPools: z
    .array(gpuPoolSchema)
    .min(1, { error: "expected at least one GPU pool" })
    .max(SERVING_LIMITS.gpuPools, { error: `expected at most ${SERVING_LIMITS.gpuPools} GPU pools` }),
  /** Team that owns the cluster, for the `team` cost-allocation tag on every AWS resource. @default "platform" */
  team: z.string().min(1, { error: "expected a team name" }).max(SERVING_LIMITS.textChars, { error: `expected at most ${SERVING_LIMITS.textChars} characters` }).default("platform"),
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
    for (const wayIn of privateEndpointProblems(cluster)) ctx.addIssue({ code: "custom", path: [...wayIn.path], message: wayIn.message });
    for (const zone of pinnedZoneProblems(cluster.availabilityZoneIds, cluster.existingVpc !== undefined, cluster.region)) {
      ctx.addIssue({ code: "custom", path: zone.index === undefined ? ["availabilityZoneIds"] : ["availabilityZoneIds", zone.index], message: zone.message });
    }
  });
export type ClusterConfig = z.infer<typeof clusterSchema>;

export const tenantSchema = z.strictObject({
  /** Tenant name; also its namespace. */
  name: dnsLabel("tenant name"),
  /** Team that owns the tenant, for cost-allocation tags. @default - the tenant name */
  team: z.string().min(1).max(SERVING_LIMITS.textChars, { error: `expected at most ${SERVING_LIMITS.textChars} characters` }).optional(),
  /** Most GPUs the tenant's pods may request (maps to `ResourceQuota` `requests.nvidia.com/gpu`). */
  gpuQuota: wholeNumber("a whole number of GPUs, at least 0", 0, SERVING_LIMITS.gpus),
});
export type TenantConfig = z.infer<typeof tenantSchema>;

/** How a workload is served on owned GPUs. */
export const servingSchema = z.strictObject({
  /** GPU pool the replicas run in (a `cluster.gpuPools[].name`). */
  gpuPool: dnsLabel("pool name"),
  /** GPUs per replica; also vLLM's `--tensor-parallel-size` and the container's `nvidia.com/gpu` limit. @default 1 */
  gpusPerReplica: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)], { error: "expected 1, 2, 4 or 8 GPUs per replica" }).default(1),
  /** Fewest replicas (maps to `ScaledObject.spec.minReplicaCount`). @default - 1 for interactive, 0 for batch */
  minReplicas: wholeNumber("a whole number of replicas, at least 0", 0, SERVING_LIMITS.replicas).optional(),
  /** Most replicas (maps to `ScaledObject.spec.maxReplicaCount` / `ScaledJob.spec.maxReplicaCount`). @default 4 */
  maxReplicas: wholeNumber("a whole number of replicas, at least 1", 1, SERVING_LIMITS.replicas).default(4),
  /**
   * Waiting requests per replica that triggers scale-up (interactive: KEDA trigger `threshold`); batch: requests waiting per
   * job, deployed as ⌈this ÷ requestsPerBatchFile⌉ queued files per job (`ScaledJob` trigger `queueLength`). @default 4
   */
  targetQueueDepthPerReplica: boundedPositive("a positive number", SERVING_LIMITS.queueDepth).default(4),
  /** Seconds load must stay low before a replica is removed (maps to `ScaledObject.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds`). @default 900 */
  scaleDownCooldownSeconds: wholeNumber("a whole number of seconds", 0, SERVING_LIMITS.seconds).default(900),
  /** Seconds from a scale-up request to a serving replica (node provisioning + model load). @default - estimated from the model's weight size */
  coldStartSeconds: wholeNumber("a whole number of seconds", 1, SERVING_LIMITS.seconds).optional(),
  /** Batch tiers: requests in one batch file (one SQS message); vLLM's offline runner reloads the model per file. @default 50000 (OpenAI's batch-file limit) */
  requestsPerBatchFile: wholeNumber("a whole number of requests, at least 1", 1, SERVING_LIMITS.requestsPerBatchFile).default(DEFAULT_REQUESTS_PER_BATCH_FILE),
  /**
   * Longest context a request may have, tokens (maps to vLLM `--max-model-len`); refused when one sequence of it does not fit the
   * KV cache left after the weights. @default - the model's own context, capped at what fits
   */
  maxContextTokens: wholeNumber("a whole number of tokens, at least 1", 1, MODEL_LIMITS.contextTokens).optional(),
  /**
   * Where replicas read the weights. `hub`: each cold start downloads the checkpoint from the Hugging Face hub through the
   * NAT gateway (billed per GB in the cost model). `s3`: a Job stages the checkpoint once per (tenant, model, revision) in the
   * tenant's prefix of the weights bucket, and replicas stream it from there through the S3 gateway endpoint (vLLM
   * `--load-format runai_streamer`; no per-GB charge, a faster cold start). @default "hub" (nothing to stage: works on the first deploy for any model id)
   */
  weightsSource: z.enum(["hub", "s3"], { error: "expected hub or s3" }).default("hub"),
  /** `weightsSource: s3`: the Hugging Face revision staged (a branch, tag or commit); pin a commit so what serves never moves under you. @default "main" */
  modelRevision: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, { error: "expected a branch, tag or commit: letters, digits, '.', '_' or '-', at most 100 characters" })
    .default("main"),
  /** Share of GPU memory vLLM may use (maps to `--gpu-memory-utilization`). @default 0.9 */
  gpuMemoryUtilization: z.number().gt(0, { error: "expected a share above 0" }).max(1, { error: "expected a share of at most 1" }).default(0.9),
  /** Tokens/s one replica sustains for this workload while meeting its SLO, measured; wins over the roofline and is used as it stands (no further headroom). @default - the roofline estimate */
  measuredTokensPerSecond: boundedPositive("a positive number", SERVING_LIMITS.tokensPerSecond).min(1, { error: "expected at least 1 token per second" }).optional(),
  /** EC2 USD per replica-hour, such as a negotiated rate; a node costs this × the replicas it holds, plus the Auto Mode fee. @default - the catalog's instance price, billed in whole nodes */
  hourlyPriceUsd: boundedPositive("a positive number", MODEL_LIMITS.usdPerHour).optional(),
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
    tenants: z
      .array(tenantSchema)
      .min(1, { error: "expected at least one tenant" })
      .max(SERVING_LIMITS.tenants, { error: `expected at most ${SERVING_LIMITS.tenants} tenants` }),
    economics: economicsConfigSchema.default(economicsConfigSchema.parse({})),
    workloads: z
      .array(workloadSchema)
      .max(SERVING_LIMITS.workloads, { error: `expected at most ${SERVING_LIMITS.workloads} workloads; split the stack` })
      .default([]),
  })
  .superRefine((config, ctx) => {
    const all = <T>(list: readonly T[]) => list.map((value, i) => [i, value] as const);
    const parts = { pools: all(config.cluster.gpuPools), poolsComplete: true, tenants: all(config.tenants), tenantsComplete: true, workloads: all(config.workloads), economics: config.economics };
    for (const problem of referenceProblems(parts)) ctx.addIssue({ code: "custom", path: [...problem.path], message: problem.message });
    for (const problem of engineFitProblems(config)) ctx.addIssue({ code: "custom", path: [...problem.path], message: problem.message });
  });

/**
 * A private endpoint (no public CIDRs) is reachable only from networks routed into its VPC, and only on
 * 443 where a security group admits them: without both, every Kubernetes object of `pulumi up` times out.
 */
function privateEndpointProblems(cluster: {
  endpointPublicAccessCidrs: readonly string[];
  existingVpc?: unknown;
  endpointPrivateAccess?: { cidrs: readonly string[]; securityGroupIds: readonly string[] } | undefined;
}): ReferenceProblem[] {
  if (cluster.endpointPublicAccessCidrs.length > 0) return [];
  const problems: ReferenceProblem[] = [];
  if (cluster.existingVpc === undefined) {
    problems.push({
      path: ["existingVpc"],
      message:
        "a private endpoint (endpointPublicAccessCidrs: []) is reachable only from inside its VPC, and a VPC this stack creates has no deployer in it: " +
        "set existingVpc to a VPC your VPN, peering or CI runner reaches, or list endpointPublicAccessCidrs",
    });
  }
  const access = cluster.endpointPrivateAccess;
  if (access === undefined || access.cidrs.length + access.securityGroupIds.length === 0) {
    problems.push({
      path: ["endpointPrivateAccess"],
      message: "a private endpoint admits no one on 443 until you list the deployer's networks (cidrs) or its security groups (securityGroupIds)",
    });
  }
  return problems;
}

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

/**
 * Every problem found in one stack file; carries no stack trace worth showing. At most
 * MAX_LISTED_PROBLEMS are kept (then a count of the rest), each cut to a readable length with
 * control characters escaped, so no input can make the message echo binary or flood a terminal.
 */
export class StackConfigError extends Error {
  readonly problems: readonly string[];
  constructor(
    readonly file: string,
    problems: readonly string[],
  ) {
    const listed = problems.slice(0, MAX_LISTED_PROBLEMS).map(printable);
    if (problems.length > MAX_LISTED_PROBLEMS) listed.push(`${printable(file)}: … and ${problems.length - MAX_LISTED_PROBLEMS} more problems`);
    super(`${printable(file)}: ${problems.length} problem${problems.length === 1 ? "" : "s"}\n${listed.map((p) => `  ${p}`).join("\n")}`);
    this.problems = listed;
    this.name = "StackConfigError";
  }
}

/** One line of plain text: control characters escaped, cut at MAX_PROBLEM_CHARS. */
function printable(line: string): string {
  // eslint-disable-next-line no-control-regex
  const escaped = line.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return escaped.length > MAX_PROBLEM_CHARS ? `${escaped.slice(0, MAX_PROBLEM_CHARS - 1)}…` : escaped;
}

/** `workloads[1].traffic.requestsPerMonth`, the way a person reads the YAML. */
export function formatKeyPath(keyPath: readonly PropertyKey[]): string {
  let out = "";
  for (const key of keyPath) {
    if (typeof key === "number") out += `[${key}]`;
    else if (!/^[A-Za-z_][\w-]*$/.test(String(key))) out += `[${JSON.stringify(String(key))}]`; // g6e.xlarge, ids with slashes
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

/**
 * Validate the namespace's values (keys without the `gpu-inference:` prefix).
 * Throws StackConfigError listing every problem, each as `<file>: gpu-inference:<path>: <message>`.
 */
export function parseStackConfig(values: Record<string, unknown>, file: string): StackConfig {
  const problems = plainTextSecretProblems(values, file);
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (!(SECRET_CONFIG_KEYS as readonly string[]).includes(key)) plain[key] = value;
  }
  const result = stackConfigSchema.safeParse(plain);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(describeIssue(issue, file));
    const seen = new Set(problems);
    for (const problem of partialReferenceProblems(plain)) {
      const line = `${file}: ${CONFIG_NAMESPACE}:${formatKeyPath(problem.path)}: ${problem.message}`;
      if (!seen.has(line)) problems.push(line);
      seen.add(line);
    }
  }
  if (problems.length > 0 || !result.success) throw new StackConfigError(file, problems);
  return result.data;
}

/**
 * Secrets written in plain text: a secret key whose value is not a `secure:` ciphertext, or any
 * value shaped like an access token. Messages name the key, never the value.
 */
export function plainTextSecretProblems(values: Record<string, unknown>, file: string): string[] {
  const problems: string[] = [];
  for (const key of SECRET_CONFIG_KEYS) {
    // The engine hands the program decrypted secrets but never these keys in `values`; from a
    // file, a secret must be a `secure:` ciphertext.
    if (key in values && !isSecureValue(values[key])) {
      problems.push(`${file}: ${CONFIG_NAMESPACE}:${key}: a secret in plain text; delete the line and run \`pulumi config set --secret ${key}\` (then rotate the token: it may be in version control)`);
    }
  }
  const others = Object.fromEntries(Object.entries(values).filter(([key]) => !(SECRET_CONFIG_KEYS as readonly string[]).includes(key)));
  for (const keyPath of plainTextTokenPaths(others)) {
    problems.push(`${file}: ${CONFIG_NAMESPACE}:${formatKeyPath(keyPath)}: looks like an access token in plain text; secrets go in \`pulumi config set --secret\`, never in the stack file`);
  }
  return problems;
}

function describeIssue(issue: z.core.$ZodIssue, file: string): string {
  if (issue.code === "unrecognized_keys") {
    const where = issue.path.length > 0 ? `${CONFIG_NAMESPACE}:${formatKeyPath(issue.path)}` : CONFIG_NAMESPACE;
    return `${file}: ${where}: unknown key${issue.keys.length > 1 ? "s" : ""} ${listSome(issue.keys.map((k) => `"${k.slice(0, 80)}"`))}; check the spelling against docs/configuration.md`;
  }
  const where = issue.path.length > 0 ? `${CONFIG_NAMESPACE}:${formatKeyPath(issue.path)}` : CONFIG_NAMESPACE;
  // zod's own wording for a missing key is "Invalid input: expected X, received undefined".
  const message = issue.code === "invalid_type" && issue.message.includes("received undefined") ? `required: ${issue.message.replace(/^Invalid input: /, "")}` : issue.message;
  return `${file}: ${where}: ${message}`;
}

/** Largest stack file read: a real one is a few KiB; anything past this is refused before parsing. */
export const MAX_STACK_FILE_BYTES = 2 * 1024 * 1024;
/** Most problems listed for one file; the rest are counted, so hostile input cannot flood the terminal. */
export const MAX_LISTED_PROBLEMS = 20;
/** Longest problem line printed; longer ones are cut with an ellipsis. */
const MAX_PROBLEM_CHARS = 300;
/** Alias expansions allowed when building the config (yaml's own default): a "billion laughs" file stops here. */
const MAX_ALIAS_COUNT = 100;

/**
 * Read `Pulumi.<stack>.yaml` (or any file of that shape) and validate its `gpu-inference:` keys.
 * Keys of other namespaces (`aws:region`, ...) are left to their owners. Bounded in size and time:
 * a file over MAX_STACK_FILE_BYTES, not UTF-8 text, or with aliases that expand past
 * MAX_ALIAS_COUNT is refused with one line naming the file.
 */
export function loadStackConfigFile(file: string): StackConfig {
  const display = path.basename(file);
  return parseStackConfig(namespaceValues(readStackFileText(file, display), display), display);
}

/** The stack file's text, or a StackConfigError naming the file when it cannot be a stack file. */
export function readStackFileText(file: string, display: string = path.basename(file)): string {
  let bytes: Buffer;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_STACK_FILE_BYTES) {
      throw new StackConfigError(display, [`${display}: the file is ${formatBytes(size)}; a stack file is at most ${formatBytes(MAX_STACK_FILE_BYTES)} (is this the right file?)`]);
    }
    bytes = fs.readFileSync(file);
  } catch (error) {
    if (error instanceof StackConfigError) throw error;
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new StackConfigError(display, [`${display}: cannot read the stack file: ${reason}`]);
  }
  return decodeStackText(bytes, display);
}

/** UTF-8 text without NUL bytes, or a one-line StackConfigError: binary is summarized, never echoed. */
export function decodeStackText(bytes: Uint8Array, display: string): string {
  if (bytes.length > MAX_STACK_FILE_BYTES) {
    throw new StackConfigError(display, [`${display}: the file is ${formatBytes(bytes.length)}; a stack file is at most ${formatBytes(MAX_STACK_FILE_BYTES)} (is this the right file?)`]);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new StackConfigError(display, [`${display}: not UTF-8 text (${formatBytes(bytes.length)} of binary data?); a stack file is YAML`]);
  }
  const nul = text.indexOf("\u0000");
  if (nul >= 0) throw new StackConfigError(display, [`${display}:${lineOf(text, nul)}: a NUL byte; a stack file is YAML text, not binary data`]);
  return text;
}

/** The last stack file read: a command reads the same file more than once (validation, the economics source); parsing is most of the cost. */
let lastRead: { readonly text: string; readonly display: string; readonly values: Record<string, unknown> } | undefined;

/** The `gpu-inference:` values of a stack file's `config:` map, prefix removed. */
export function namespaceValues(text: string, display: string): Record<string, unknown> {
  if (lastRead !== undefined && lastRead.text === text && lastRead.display === display) return structuredClone(lastRead.values);
  const values = parseNamespaceValues(text, display);
  lastRead = { text, display, values: structuredClone(values) };
  return values;
}

function parseNamespaceValues(text: string, display: string): Record<string, unknown> {
  const lineCounter = new LineCounter();
  // uniqueKeys off: yaml compares each key with every earlier one (quadratic in keys, minutes for
  // 100,000 keys); duplicateKeyProblems finds the same duplicates in one pass.
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: false, lineCounter });
  const lineAt = (offset: number | undefined) => (offset === undefined ? "?" : lineCounter.linePos(offset).line);
  const problems = [
    ...doc.errors.map((e) => `${display}:${lineAt(e.pos[0])}: invalid YAML: ${e.message.split("\n")[0]}`),
    ...duplicateKeyProblems(doc, display, lineAt),
  ];
  if (problems.length > 0) throw new StackConfigError(display, problems);
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const reason = /alias/i.test((error as Error).message)
      ? `YAML aliases expand past ${MAX_ALIAS_COUNT} references (an alias bomb?); write the values out instead of aliasing them`
      : `cannot read the YAML: ${(error as Error).message}`;
    throw new StackConfigError(display, [`${display}: ${reason}`]);
  }
  const config = isRecord(root) ? root.config : undefined;
  if (!isRecord(config)) throw new StackConfigError(display, [`${display}: expected a top-level \`config:\` map`]);
  const values: Record<string, unknown> = {};
  const unprefixed: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (key.startsWith(`${CONFIG_NAMESPACE}:`)) values[key.slice(CONFIG_NAMESPACE.length + 1)] = value;
    else if (!key.includes(":")) unprefixed.push(key);
  }
  if (unprefixed.length > 0) {
    // Pulumi would file these under the project's default namespace; this program would never see them.
    throw new StackConfigError(display, [
      `${display}: config key${unprefixed.length === 1 ? "" : "s"} without a namespace: ${listSome(unprefixed.map((k) => `"${k}"`))}; write them as "${CONFIG_NAMESPACE}:${unprefixed[0]}"`,
    ]);
  }
  return values;
}

/** Keys repeated within one YAML map, each with its line; one pass over the document. */
function duplicateKeyProblems(doc: Document, display: string, lineAt: (offset: number | undefined) => number | string): string[] {
  const problems: string[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (typeof key !== "string" && typeof key !== "number" && typeof key !== "boolean") continue;
        if (seen.has(key)) problems.push(`${display}:${lineAt(isScalar(pair.key) ? pair.key.range?.[0] : undefined)}: duplicate key "${String(key).slice(0, 80)}"`);
        seen.add(key);
      }
    },
  });
  return problems;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} bytes`;
}

/** The first few items and how many more, so a list built from input stays short. */
function listSome(items: readonly string[], shown = 10): string {
  return items.length <= shown ? items.join(", ") : `${items.slice(0, shown).join(", ")} and ${items.length - shown} more`;
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

/** A Pulumi ciphertext: `{ secure: "<base64>" }`. */
function isSecureValue(value: unknown): boolean {
  return isRecord(value) && typeof value.secure === "string" && Object.keys(value).length === 1;
}

/** Provider token shapes that must never sit in a stack file: Hugging Face, OpenAI-style, AWS access keys, Docker personal access tokens. */
const TOKEN_PATTERNS = [/^hf_[A-Za-z0-9]{20,}$/, /^sk-[A-Za-z0-9_-]{20,}$/, /^(AKIA|ASIA)[A-Z0-9]{16}$/, /^dckr_pat_[A-Za-z0-9_-]{20,}$/];

/** Key paths of string values shaped like access tokens, walked iteratively (no recursion limit on deep input). */
function plainTextTokenPaths(values: Record<string, unknown>): (string | number)[][] {
  const found: (string | number)[][] = [];
  const stack: [unknown, (string | number)[]][] = [[values, []]];
  // A recursive YAML alias (`&a [*a]`) builds a cyclic value: each object is walked once, or this never ends.
  const seen = new Set<object>();
  while (stack.length > 0) {
    const [value, keyPath] = stack.pop()!;
    if (typeof value === "object" && value !== null) {
      if (seen.has(value)) continue;
      seen.add(value);
    }
    if (typeof value === "string") {
      if (TOKEN_PATTERNS.some((pattern) => pattern.test(value.trim()))) found.push(keyPath);
    } else if (Array.isArray(value)) value.forEach((item, i) => stack.push([item, [...keyPath, i]]));
    else if (isRecord(value) && !isSecureValue(value)) for (const [key, item] of Object.entries(value)) stack.push([item, [...keyPath, key]]);
  }
  return found.reverse();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
