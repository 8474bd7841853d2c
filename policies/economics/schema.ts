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

/**
 * The largest (and, where zero breaks the model, smallest) value of every number the cost model
 * reads. The schema is the one place numbers are bounded: within these the roofline, the month
 * simulation and the break-even arithmetic stay finite (every figure they print is a number), and
 * each bound is far beyond any real workload, so none refuses a real configuration.
 */
export const MODEL_LIMITS = {
  /** 10^12 requests a month is ~380,000 requests a second, every second. */
  requestsPerMonth: 1e12,
  /** Mean tokens per request: ten million is beyond any model's context. */
  meanTokens: 10_000_000,
  /** Busiest hour over mean hour: 100 puts a sixth of the month's traffic in one day's peak hours. */
  peakToMeanRatio: 100,
  /** USD per 1M tokens: 100× today's dearest list price. */
  usdPerMillionTokens: 10_000,
  /** USD per instance- or replica-hour: 100× today's dearest GPU instance. */
  usdPerHour: 10_000,
  /** USD per GB of network traffic processed: 100× today's dearest NAT gateway region. */
  usdPerGb: 10,
  /** Parameters, in billions (10^13 weights). */
  parametersBillions: 10_000,
  /** Smallest model: a million parameters. */
  minParametersBillions: 0.001,
  /** Layers, heads and head size. */
  architectureCount: 100_000,
  /** Hidden size. */
  hiddenSize: 1_000_000,
  /** Context, in tokens. */
  contextTokens: 100_000_000,
  /** Time per output token the SLO allows, ms: a minute per token. */
  timePerOutputTokenMs: 60_000,
  /** Queue wait the SLO allows, seconds: a day. */
  queueWaitSeconds: 86_400,
  /** Smallest P(wait): below this Erlang C leaves a replica no load it may take. */
  minWaitProbability: 0.001,
  /** Operations staff, in full-time equivalents. */
  fte: 10_000,
  /** Loaded annual cost of one FTE, USD. */
  loadedAnnualCostUsd: 10_000_000,
  /** One-off and monthly fixed costs, USD. */
  costUsd: 1e10,
  /** A span of months (a parallel run): a century. */
  months: 1200,
} as const;

const atMost = (max: number, what: string) => ({ error: `expected ${what} of at most ${max.toLocaleString("en-US")}` });
const positive = (what: string, max: number) =>
  z.number({ error: `expected ${what}` }).positive({ error: `expected ${what}` }).max(max, atMost(max, what));
const nonNegative = (what: string, max: number) =>
  z.number({ error: `expected ${what}` }).nonnegative({ error: `expected ${what}` }).max(max, atMost(max, what));
/** Volumes below one (a fraction of a request or token) are typos that would divide the model by almost nothing. */
const atLeastOne = (what: string, max: number) =>
  z.number({ error: `expected ${what} of at least 1` }).min(1, { error: `expected ${what} of at least 1` }).max(max, atMost(max, what));
const fraction = (what: string) =>
  z.number({ error: `expected ${what} between 0 and 1` }).min(0, { error: `expected ${what} between 0 and 1` }).max(1, {
    error: `expected ${what} between 0 and 1`,
  });
const positiveInt = (what: string, max: number) =>
  z.number({ error: `expected ${what}` }).int({ error: `expected ${what}` }).positive({ error: `expected ${what}` }).max(max, atMost(max, what));

/** Numeric precision of weights or KV cache; sets bytes per element. */
export const precisionSchema = z.enum(["bf16", "fp16", "fp8", "int8", "int4"]);
export type Precision = z.infer<typeof precisionSchema>;

/** Architecture facts the roofline needs; from the built-in model catalog or given inline. */
export const modelArchitectureSchema = z.strictObject({
  /** Total parameters, in billions (weights held in GPU memory). */
  parametersBillions: positive("a positive number of parameters in billions", MODEL_LIMITS.parametersBillions).min(MODEL_LIMITS.minParametersBillions, { error: `expected at least ${MODEL_LIMITS.minParametersBillions} billion parameters` }),
  /** Parameters read per decoded token, in billions; less than the total for mixture-of-experts. @default - parametersBillions */
  activeParametersBillions: positive("a positive number of parameters in billions", MODEL_LIMITS.parametersBillions).optional(),
  /** Transformer layers. */
  layers: positiveInt("a positive whole number of layers", MODEL_LIMITS.architectureCount),
  /** Hidden size (model dimension). */
  hiddenSize: positiveInt("a positive whole number", MODEL_LIMITS.hiddenSize),
  /** Attention (query) heads. */
  attentionHeads: positiveInt("a positive whole number of heads", MODEL_LIMITS.architectureCount),
  /** Key/value heads (fewer than attention heads under grouped-query attention). */
  kvHeads: positiveInt("a positive whole number of heads", MODEL_LIMITS.architectureCount),
  /** Size of one attention head (`head_dim` in config.json). @default - hiddenSize / attentionHeads */
  headDim: positiveInt("a positive whole number", MODEL_LIMITS.architectureCount).optional(),
  /** Longest context the model supports, in tokens. */
  maxContextTokens: positiveInt("a positive whole number of tokens", MODEL_LIMITS.contextTokens),
  /** Vocabulary size (`vocab_size`): sizes the embedding and LM head, which FP8 checkpoints keep in BF16. @default - unknown: every weight at the served precision */
  vocabularySize: positiveInt("a positive whole number of tokens", MODEL_LIMITS.contextTokens).optional(),
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
  requestsPerMonth: atLeastOne("a number of requests", MODEL_LIMITS.requestsPerMonth),
  /** Mean prompt length, in tokens. */
  meanInputTokens: atLeastOne("a number of tokens", MODEL_LIMITS.meanTokens),
  /** Mean completion length, in tokens. */
  meanOutputTokens: atLeastOne("a number of tokens", MODEL_LIMITS.meanTokens),
  /** Busiest hour's rate over the month's mean rate (1 = flat). @default 1 */
  peakToMeanRatio: z
    .number({ error: "expected a ratio of at least 1" })
    .min(1, { error: "expected a ratio of at least 1" })
    .max(MODEL_LIMITS.peakToMeanRatio, atMost(MODEL_LIMITS.peakToMeanRatio, "a ratio"))
    .default(1),
  /** Share of input tokens served from the prefix cache (owned) or billed as cached input (API). @default 0 */
  prefixCacheHitRate: fraction("a share").default(0),
  /** Minute-to-minute noise on the arrival rate, as a coefficient of variation. @default 0.1 */
  noiseCoefficientOfVariation: fraction("a coefficient of variation").default(0.1),
});
export type Traffic = z.infer<typeof trafficSchema>;

/** Price of one million tokens from an API. */
export const pricePerMillionSchema = z.strictObject({
  /** USD per 1M input tokens. */
  input: nonNegative("a price in USD per 1M tokens", MODEL_LIMITS.usdPerMillionTokens),
  /** USD per 1M output tokens. */
  output: nonNegative("a price in USD per 1M tokens", MODEL_LIMITS.usdPerMillionTokens),
  /** USD per 1M cached input tokens. @default - same as `input` (no caching discount) */
  cachedInput: nonNegative("a price in USD per 1M tokens", MODEL_LIMITS.usdPerMillionTokens).optional(),
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
  timePerOutputTokenMs: positive("a positive number of milliseconds", MODEL_LIMITS.timePerOutputTokenMs).default(50),
  /** Longest a request may wait in the queue before it is sent to the API, in seconds. @default 2 */
  maxQueueWaitSeconds: positive("a positive number of seconds", MODEL_LIMITS.queueWaitSeconds).default(2),
  /** Highest probability that a request waits at all (Erlang C), which sizes per-replica headroom. @default 0.2 */
  maxWaitProbability: fraction("a probability")
    .min(MODEL_LIMITS.minWaitProbability, { error: `expected a probability of at least ${MODEL_LIMITS.minWaitProbability}: at 0 no replica may take any load` })
    .default(0.2),
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
  onDemand: nonNegative("a price in USD per hour", MODEL_LIMITS.usdPerHour).optional(),
  spot: nonNegative("a price in USD per hour", MODEL_LIMITS.usdPerHour).optional(),
  reserved: nonNegative("a price in USD per hour", MODEL_LIMITS.usdPerHour).optional(),
  /** EKS Auto Mode fee of this instance type, USD per instance-hour, whatever the purchase option. @default - the catalog's fee */
  autoModeFee: nonNegative("a fee in USD per hour", MODEL_LIMITS.usdPerHour).optional(),
});

/** Stack-wide economics: fixed costs, staff, margin, and price overrides. */
export const economicsConfigSchema = z.strictObject({
  /** People who run the platform. */
  operations: z
    .strictObject({
      /** Full-time equivalents spent operating owned inference. @default 0.5 */
      fte: nonNegative("a number of full-time equivalents", MODEL_LIMITS.fte).default(0.5),
      /** Loaded annual cost of one FTE, in USD. @default 250000 */
      loadedAnnualCostUsd: nonNegative("a cost in USD", MODEL_LIMITS.loadedAnnualCostUsd).default(250_000),
    })
    .default({ fte: 0.5, loadedAnnualCostUsd: 250_000 }),
  /** One-off cost to move the workloads onto owned GPUs, in USD; for payback months. @default 0 */
  migrationCostUsd: nonNegative("a cost in USD", MODEL_LIMITS.costUsd).default(0),
  /** Fixed monthly costs besides the control plane and staff (system nodes, monitoring), in USD. @default 0 */
  fixedMonthlyUsd: nonNegative("a cost in USD", MODEL_LIMITS.costUsd).default(0),
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
      parallelRunMonths: nonNegative("a number of months", MODEL_LIMITS.months).default(1),
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
      /** NAT gateway data processing, USD per GB: prices weights downloaded from the hub on each cold start. @default - the catalog's price for the stack's region */
      natGatewayUsdPerGb: nonNegative("a price in USD per GB", MODEL_LIMITS.usdPerGb).optional(),
    })
    .default({ instances: {}, api: {} }),
});
export type EconomicsConfig = z.infer<typeof economicsConfigSchema>;
