/**
 * The economics contract: the zod schemas for everything the cost model reads.
 *
 * The stack config (`infra/config.ts`) embeds these schemas, and the policy pack parses the
 * workload profile annotation with them, so a workload means the same thing everywhere.
 * Plain zod only: this folder imports nothing from Pulumi.
 */
import { z } from "zod";

/** Rollout stages of the owned share, in percent: the router moves traffic 10 → 30 → 60 → 90 → 100 (the API stays the fallback). */
export const ROLLOUT_STAGES_PERCENT = [0, 10, 30, 60, 90, 100] as const;

const positive = (what: string) => z.number({ error: `expected ${what}` }).positive({ error: `expected ${what}` });
const nonNegative = (what: string) => z.number({ error: `expected ${what}` }).nonnegative({ error: `expected ${what}` });
const fraction = (what: string) =>
  z.number({ error: `expected ${what} between 0 and 1` }).min(0, { error: `expected ${what} between 0 and 1` }).max(1, {
    error: `expected ${what} between 0 and 1`,
  });
const positiveInt = (what: string) =>
  z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).positive({ error: `expected ${what}` });

/** Numeric precision of weights or KV cache; sets bytes per element. */
export const precisionSchema = z.enum(["bf16", "fp16", "fp8", "int8", "int4"]);
export type Precision = z.infer<typeof precisionSchema>;

/** Architecture facts the roofline needs; from the built-in model catalog or given inline. */
export const modelArchitectureSchema = z.strictObject({
  /** Total parameters, in billions (weights held in GPU memory). */
  parametersBillions: positive("a positive number of parameters in billions"),
  /** Parameters read per decoded token, in billions; less than the total for mixture-of-experts. @default - parametersBillions */
  activeParametersBillions: positive("a positive number of parameters in billions").optional(),
  /** Transformer layers. */
  layers: positiveInt("a positive whole number of layers"),
  /** Hidden size (model dimension). */
  hiddenSize: positiveInt("a positive whole number"),
  /** Attention (query) heads. */
  attentionHeads: positiveInt("a positive whole number of heads"),
  /** Key/value heads (fewer than attention heads under grouped-query attention). */
  kvHeads: positiveInt("a positive whole number of heads"),
  /** Size of one attention head (`head_dim` in config.json). @default - hiddenSize / attentionHeads */
  headDim: positiveInt("a positive whole number").optional(),
  /** Longest context the model supports, in tokens. */
  maxContextTokens: positiveInt("a positive whole number of tokens"),
  /** Vocabulary size (`vocab_size`): sizes the embedding and LM head, which FP8 checkpoints keep in BF16. @default - unknown: every weight at the served precision */
  vocabularySize: positiveInt("a positive whole number of tokens").optional(),
  /** Whether the LM head shares the embedding matrix (`tie_word_embeddings`). @default false */
  tiedEmbeddings: z.boolean({ error: "expected true or false" }).optional(),
});
export type ModelArchitecture = z.infer<typeof modelArchitectureSchema>;

/** The model a workload serves. */
export const modelSchema = z.strictObject({
  /** Hugging Face id, such as `meta-llama/Llama-3.1-8B-Instruct`; also the key into the built-in model catalog. */
  id: z.string().min(1, { error: "expected a Hugging Face model id" }),
  /** Architecture facts. @default - looked up in the built-in model catalog by `id`; required for models not in it */
  architecture: modelArchitectureSchema.optional(),
  /** Weight precision served (maps to vLLM `--quantization` / the checkpoint's dtype). @default "bf16" */
  weightPrecision: precisionSchema.default("bf16"),
  /** KV-cache precision (maps to vLLM `--kv-cache-dtype`). @default "bf16" */
  kvCachePrecision: precisionSchema.default("bf16"),
});
export type ModelSpec = z.infer<typeof modelSchema>;

/** The traffic a workload sends, in total (owned and API paths together). */
export const trafficSchema = z.strictObject({
  /** Requests per month (730 hours). */
  requestsPerMonth: positive("a positive number"),
  /** Mean prompt length, in tokens. */
  meanInputTokens: positive("a positive number of tokens"),
  /** Mean completion length, in tokens. */
  meanOutputTokens: positive("a positive number of tokens"),
  /** Busiest hour's rate over the month's mean rate (1 = flat). @default 1 */
  peakToMeanRatio: z.number({ error: "expected a ratio of at least 1" }).min(1, { error: "expected a ratio of at least 1" }).default(1),
  /** Share of input tokens served from the prefix cache (owned) or billed as cached input (API). @default 0 */
  prefixCacheHitRate: fraction("a share").default(0),
  /** Minute-to-minute noise on the arrival rate, as a coefficient of variation. @default 0.1 */
  noiseCoefficientOfVariation: fraction("a coefficient of variation").default(0.1),
});
export type Traffic = z.infer<typeof trafficSchema>;

/** Price of one million tokens from an API. */
export const pricePerMillionSchema = z.strictObject({
  /** USD per 1M input tokens. */
  input: nonNegative("a price in USD per 1M tokens"),
  /** USD per 1M output tokens. */
  output: nonNegative("a price in USD per 1M tokens"),
  /** USD per 1M cached input tokens. @default - same as `input` (no caching discount) */
  cachedInput: nonNegative("a price in USD per 1M tokens").optional(),
});
export type PricePerMillion = z.infer<typeof pricePerMillionSchema>;

/** The API the workload would otherwise use (and falls back to). */
export const apiAlternativeSchema = z
  .strictObject({
    /** Model id in the built-in API price catalog, such as `gpt-4o-mini`. */
    catalogId: z.string().min(1).optional(),
    /** Explicit list prices; win over the catalog. */
    pricePerMillion: pricePerMillionSchema.optional(),
    /**
     * Discount of the provider's batch API, as a share of list price (0.5 = half price), applied to input, output and
     * cached input alike; batch tier only. @default - the provider's batch rule in the catalog (Anthropic, OpenAI, Google: 0.5), else 0
     */
    batchDiscount: fraction("a discount").optional(),
  })
  .refine((api) => api.catalogId !== undefined || api.pricePerMillion !== undefined, {
    error: "expected `catalogId` or `pricePerMillion`: the API alternative needs a price",
  });
export type ApiAlternative = z.infer<typeof apiAlternativeSchema>;

const rolloutStage = z.union(ROLLOUT_STAGES_PERCENT.map((stage) => z.literal(stage)), {
  error: `expected a rollout stage: one of ${ROLLOUT_STAGES_PERCENT.join(", ")}`,
});

/** Share of traffic on the owned path now and where the rollout is headed. */
export const rolloutSchema = z
  .strictObject({
    /** Owned share now, in percent. @default 0 */
    currentOwnedPercent: rolloutStage.default(0),
    /** Owned share the rollout aims for, in percent; the gate evaluates the economics here. @default 90 */
    targetOwnedPercent: rolloutStage.default(90),
  })
  .refine((r) => r.targetOwnedPercent >= r.currentOwnedPercent, {
    error: "expected targetOwnedPercent at or above currentOwnedPercent",
  });
export type Rollout = z.infer<typeof rolloutSchema>;

/** Latency objective of an interactive workload. */
export const sloSchema = z.strictObject({
  /** Time per output token a user tolerates, in milliseconds; bounds the decode batch. @default 50 */
  timePerOutputTokenMs: positive("a positive number of milliseconds").default(50),
  /** Longest a request may wait in the queue before it is sent to the API, in seconds. @default 2 */
  maxQueueWaitSeconds: positive("a positive number of seconds").default(2),
  /** Highest probability that a request waits at all (Erlang C), which sizes per-replica headroom. @default 0.2 */
  maxWaitProbability: fraction("a probability").default(0.2),
});
export type Slo = z.infer<typeof sloSchema>;

export const tierSchema = z.enum(["interactive", "batch"]);
export type Tier = z.infer<typeof tierSchema>;

/**
 * The workload profile: what a GPU Deployment carries in its annotation and what the
 * policy gate recomputes the economics from. Serving facts (GPUs, replica bounds, node
 * pool) are read from the resources themselves, not from here.
 */
export const workloadProfileSchema = z.strictObject({
  /** Workload name, unique in the stack; DNS-1123 label. */
  name: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/, { error: "expected a DNS-1123 label of at most 40 characters (a-z, 0-9, -)" }),
  tier: tierSchema,
  model: modelSchema,
  traffic: trafficSchema,
  api: apiAlternativeSchema,
  rollout: rolloutSchema.default({ currentOwnedPercent: 0, targetOwnedPercent: 90 }),
  /** Required for interactive tiers. @default - the SLO defaults, for interactive tiers */
  slo: sloSchema.optional(),
});
export type WorkloadProfile = z.infer<typeof workloadProfileSchema>;

/** Per-instance price overrides (negotiated rates, savings plans), USD per instance-hour. */
export const instancePriceOverrideSchema = z.strictObject({
  onDemand: nonNegative("a price in USD per hour").optional(),
  spot: nonNegative("a price in USD per hour").optional(),
  reserved: nonNegative("a price in USD per hour").optional(),
  /** EKS Auto Mode fee of this instance type, USD per instance-hour, whatever the purchase option. @default - the catalog's fee */
  autoModeFee: nonNegative("a fee in USD per hour").optional(),
});

/** Stack-wide economics: fixed costs, staff, margin, and price overrides. */
export const economicsConfigSchema = z.strictObject({
  /** People who run the platform. */
  operations: z
    .strictObject({
      /** Full-time equivalents spent operating owned inference. @default 0.5 */
      fte: nonNegative("a number of full-time equivalents").default(0.5),
      /** Loaded annual cost of one FTE, in USD. @default 250000 */
      loadedAnnualCostUsd: nonNegative("a cost in USD").default(250_000),
    })
    .default({ fte: 0.5, loadedAnnualCostUsd: 250_000 }),
  /** One-off cost to move the workloads onto owned GPUs, in USD; for payback months. @default 0 */
  migrationCostUsd: nonNegative("a cost in USD").default(0),
  /** Fixed monthly costs besides the control plane and staff (system nodes, monitoring), in USD. @default 0 */
  fixedMonthlyUsd: nonNegative("a cost in USD").default(0),
  /** Margin of safety the gate demands over break-even utilization (0.15 = 15 %). @default 0.15 */
  marginOfSafety: fraction("a margin").default(0.15),
  /**
   * Batch work the owned replicas leave undone at the month's end (a backlog that keeps growing): `refuse` the
   * workload as under-provisioned, or `send-to-api` and cost it at the API's batch price. @default "refuse"
   */
  unservedBatchWork: z.enum(["refuse", "send-to-api"], { error: "expected refuse or send-to-api" }).default("refuse"),
  /** Total cost of ownership over 12, 24 and 36 months, reported next to payback. */
  tco: z
    .strictObject({
      /** Months the owned path runs beside the API before it carries its share, both billed. @default 1 */
      parallelRunMonths: nonNegative("a number of months").default(1),
      /** Traffic growth per month, as a share (0.02 = 2 % a month, compounding). @default 0 */
      monthlyGrowthRate: z.number({ error: "expected a growth rate between -0.5 and 1" }).min(-0.5, { error: "expected a growth rate between -0.5 and 1" }).max(1, { error: "expected a growth rate between -0.5 and 1" }).default(0),
    })
    .default({ parallelRunMonths: 1, monthlyGrowthRate: 0 }),
  /** Price overrides; each wins over the catalog. */
  priceOverrides: z
    .strictObject({
      /** Keyed by EC2 instance type, such as `g6e.xlarge`. */
      instances: z.record(z.string(), instancePriceOverrideSchema).default({}),
      /** Keyed by API catalog id, such as `gpt-4o-mini`. */
      api: z.record(z.string(), pricePerMillionSchema).default({}),
    })
    .default({ instances: {}, api: {} }),
});
export type EconomicsConfig = z.infer<typeof economicsConfigSchema>;
