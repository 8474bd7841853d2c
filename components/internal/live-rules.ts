/**
 * The live-economics rules: recording rules that measure, per workload, the quantities the cost
 * model predicts, and alerts that hold the running system to the numbers the gate judged it on.
 * Pure functions over plain data (no Pulumi): the component wraps the groups in a PrometheusRule,
 * `test/integration/promtool-live-rules.test.ts` runs them in `promtool test rules`.
 *
 * Definitions follow the cost model (docs/cost-model.md): utilization u = W ÷ provisioned capacity,
 * measured as tokens served per second ÷ (GPUs billed ÷ GPUs per replica × K), where K is the
 * replica capacity the evaluation used and the GPUs billed are whole nodes: every GPU of each node
 * the workload's pods occupy (running, or pending on the node while the image pulls), shared by GPU
 * requests when workloads share a node.
 */
import { GUARD_LABELS, GUARD_REQUESTS_METRIC, GUARD_SCRAPE_JOB, ROUTER_LABELS, ROUTER_TOKEN_USAGE_METRIC } from "../../policies/contract";
import {
  bucketAtOrAbove,
  DCGM_GPU_UTILIZATION_METRIC,
  KEDA_SCALER_METRIC,
  KSM_GPU_RESOURCE,
  KSM_POOL_LABEL,
  KUBE_STATE_METRICS,
  pythonBucketLabel,
  VLLM_METRICS,
  VLLM_TPOT_BUCKETS_SECONDS,
  VLLM_TTFT_BUCKETS_SECONDS,
} from "./live-metrics";
import { ENGINE_SCRAPE_JOB, promqlString } from "./promql";

/** What the rules need about one owned workload: where it runs, and the numbers its evaluation produced. */
export interface LiveWorkloadTargets {
  /** Workload name (the `workload` label on every recorded series; also the router alias). */
  readonly workload: string;
  readonly tier: "interactive" | "batch";
  /** Namespace the engine pods run in. */
  readonly namespace: string;
  /** vLLM's `--served-model-name` (the `model_name` label; the router's owned backend model). */
  readonly servedModelName: string;
  /** Name of the Deployment (interactive) or ScaledJob (batch) that runs the replicas. */
  readonly workloadObjectName: string;
  /** K: tokens/s one replica sustains, as the evaluation sized it. */
  readonly replicaTokensPerSecond: number;
  /** GPUs one replica uses (`serving.gpusPerReplica`). */
  readonly gpusPerReplica: number;
  /** USD per replica-hour of billed capacity the evaluation priced (p in the break-even); per billed GPU-hour it is this ÷ GPUs per replica. */
  readonly replicaUsdPerHour: number;
  /** The workload's share of fixed cost, USD per hour (monthly ÷ 730). */
  readonly fixedUsdPerHour: number;
  /** API price per 1M tokens the evaluation used (batch tiers at batch prices). */
  readonly apiPricePerMillion: { readonly input: number; readonly output: number; readonly cachedInput?: number };
  /** Utilization the month simulation predicts. */
  readonly modeledUtilization: number;
  /** u*: null when fixed costs alone reach the API bill (no utilization breaks even). */
  readonly breakEvenUtilization: number | null;
  /** u* × (1 + margin): what the gate demanded. */
  readonly requiredUtilization: number | null;
  /** Owned share the rollout aims for, 0–1. */
  readonly targetOwnedShare: number;
  /** Spill share above which the spill alert fires, 0–1. */
  readonly spillShareThreshold: number;
  readonly maxReplicas: number;
  /** Waiting requests per replica that trigger scale-up. */
  readonly targetQueuePerReplica: number;
  /** Batch tiers: requests in one batch file (the SQS scaler counts files). */
  readonly requestsPerBatchFile?: number;
  /** Interactive tiers: latency objectives. */
  readonly slo?: { readonly timeToFirstTokenSeconds: number; readonly timePerOutputTokenSeconds: number };
}

/** A GPU pool and its ceiling. */
export interface LivePoolTarget {
  readonly name: string;
  /** `NodePool.spec.limits["nvidia.com/gpu"]`. */
  readonly gpuLimit: number;
}

/** Windows and thresholds of the alerts that do not come from the evaluation. */
export interface LiveAlertSettings {
  /** Window over which utilization is averaged before it is compared with break-even. @default "6h" */
  readonly breakEvenWindow: string;
  /** How long utilization must stay below break-even before the alert fires. @default "1h" */
  readonly breakEvenFor: string;
  /** How long the queue must stay above target with replicas at max. @default "15m" */
  readonly capacityCeilingFor: string;
  /** Share of requests that must meet each latency objective. @default 0.99 */
  readonly sloTargetShare: number;
  /** Error-budget burn rate that pages: 14.4 spends 2 % of a 30-day budget in an hour. @default 14.4 */
  readonly sloBurnRate: number;
  /** Share of owned attempts that may fail over to the API before the fallback alert fires. @default 0.02 */
  readonly fallbackShareThreshold: number;
  /** How long spill or fallback must stay above threshold. @default "15m" */
  readonly spillFallbackFor: string;
  /** How long a GPU pool must sit at its limit. @default "15m" */
  readonly poolAtLimitFor: string;
  /** How long an interactive workload's ready, billed replicas may go without any engine series scraped. @default "10m" */
  readonly engineMetricsMissingFor: string;
  /** Base of every alert's `runbook_url`; the alert's anchor is appended. @default "docs/runbook.md" */
  readonly runbookUrl: string;
}

export const LIVE_ALERT_DEFAULTS: LiveAlertSettings = Object.freeze({
  breakEvenWindow: "6h",
  breakEvenFor: "1h",
  capacityCeilingFor: "15m",
  sloTargetShare: 0.99,
  sloBurnRate: 14.4,
  fallbackShareThreshold: 0.02,
  spillFallbackFor: "15m",
  poolAtLimitFor: "15m",
  engineMetricsMissingFor: "10m",
  runbookUrl: "docs/runbook.md",
});

/** Names of the recorded series. Every one carries `workload`, `namespace` and `tier` (pool series: `pool`). */
export const LIVE_SERIES = {
  tokensServed: "gpu_inference:tokens_served:rate5m",
  replicas: "gpu_inference:replicas",
  gpusBilled: "gpu_inference:gpus_billed",
  replicasReady: "gpu_inference:replicas_ready",
  utilization: "gpu_inference:utilization:ratio5m",
  utilizationWindow: "gpu_inference:utilization:ratio_window",
  modeledUtilization: "gpu_inference:modeled_utilization",
  breakEvenUtilization: "gpu_inference:break_even_utilization",
  requiredUtilization: "gpu_inference:required_utilization",
  queueDepth: "gpu_inference:queue_depth",
  queuePerReplica: "gpu_inference:queue_per_replica",
  maxReplicas: "gpu_inference:max_replicas",
  targetQueuePerReplica: "gpu_inference:target_queue_per_replica",
  ttftQuantile: "gpu_inference:ttft_seconds",
  tpotQuantile: "gpu_inference:tpot_seconds",
  ttftSloMiss5m: "gpu_inference:ttft_slo_miss:ratio5m",
  ttftSloMiss1h: "gpu_inference:ttft_slo_miss:ratio1h",
  tpotSloMiss5m: "gpu_inference:tpot_slo_miss:ratio5m",
  tpotSloMiss1h: "gpu_inference:tpot_slo_miss:ratio1h",
  kvCacheUsage: "gpu_inference:kv_cache_usage:ratio",
  gpuBusy: "gpu_inference:gpu_busy:ratio",
  ownedShare: "gpu_inference:owned_share:ratio5m",
  targetOwnedShare: "gpu_inference:target_owned_share",
  spillShare: "gpu_inference:spill_share:ratio5m",
  fallbackShare: "gpu_inference:fallback_share:ratio5m",
  ownedCostUsdPerHour: "gpu_inference:owned_cost_usd_per_hour",
  apiCostUsdPerHour: "gpu_inference:api_cost_usd_per_hour",
  poolGpus: "gpu_inference:pool_gpus",
  poolGpuLimit: "gpu_inference:pool_gpu_limit",
} as const;

/** Alert names; each has a section of the same name in docs/runbook.md. */
export const LIVE_ALERTS = {
  belowBreakEven: "OwnedInferenceBelowBreakEven",
  capacityCeiling: "OwnedInferenceAtCapacityCeiling",
  ttftSloBurn: "OwnedInferenceTtftSloBurn",
  tpotSloBurn: "OwnedInferenceTpotSloBurn",
  spillHigh: "OwnedInferenceSpillHigh",
  fallbackHigh: "OwnedInferenceFallbackHigh",
  poolAtLimit: "GpuPoolAtLimit",
  engineMetricsMissing: "OwnedInferenceEngineMetricsMissing",
} as const;

/** Quantiles recorded for TTFT and TPOT (label `quantile`). */
export const LATENCY_QUANTILES = [0.5, 0.95, 0.99] as const;

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels: Readonly<Record<string, string>>;
}
export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}
export type LiveRule = RecordingRule | AlertingRule;
/** One rule group: Prometheus evaluates its rules in order, so later rules read earlier ones' fresh results. */
export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly LiveRule[];
}

/** A number as a PromQL literal; refuses what PromQL would misread. */
function num(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`live-economics: a rule threshold is not a finite number (${x})`);
  return String(x);
}

function selector(metric: string, matchers: Readonly<Record<string, string>>, regex: ReadonlySet<string> = new Set()): string {
  const parts = Object.entries(matchers).map(([label, value]) => `${label}${regex.has(label) ? "=~" : "="}${promqlString(value)}`);
  return `${metric}{${parts.join(", ")}}`;
}

/** `workload="…"` for the recorded series of one workload. */
function recorded(name: string, w: LiveWorkloadTargets): string {
  return selector(name, { workload: w.workload });
}

function rate(metric: string, matchers: Readonly<Record<string, string>>, window = "5m"): string {
  return `sum(rate(${selector(metric, matchers)}[${window}]))`;
}

/**
 * Pods of a Deployment (`<name>-<replicaset hash>-<suffix>`) or of a ScaledJob's Jobs
 * (`<name>-<suffix>-<suffix>`): the name, then two dash-free parts, so `chat` never matches `chat-v2`'s pods.
 */
function podPattern(objectName: string): string {
  return `${objectName}-[a-z0-9]+-[a-z0-9]+`;
}

/**
 * GPU requests of the pods that hold a node, per node; `pods` narrows to some pods. A pod holds its node
 * while Running and while Pending on it (pulling the multi-GB image): the instance is billed either way, as
 * the cost model bills a replica from its scale-up. A Pending pod no node has taken has no `node` label, and
 * drops out where the requests meet the nodes' capacity; finished pods hold nothing.
 */
function nodeHoldingGpuRequestsByNode(pods: Readonly<Record<string, string>>, regex: ReadonlySet<string>): string {
  const requests = selector(KUBE_STATE_METRICS.podResourceRequests, { resource: KSM_GPU_RESOURCE, ...pods }, regex);
  const holding = `(${selector(KUBE_STATE_METRICS.podPhase, { phase: "Pending|Running" }, new Set(["phase"]))} == 1)`;
  return `sum by (node) (${requests} * on (namespace, pod) group_left () ${holding})`;
}

/** GPUs billed to one workload: per node, its share of the node's requested GPUs × the node's GPUs. */
function gpusBilledExpr(w: LiveWorkloadTargets): string {
  const mine = nodeHoldingGpuRequestsByNode({ namespace: w.namespace, pod: podPattern(w.workloadObjectName) }, new Set(["pod"]));
  const everyone = nodeHoldingGpuRequestsByNode({}, new Set());
  const nodeGpus = `sum by (node) (${selector(KUBE_STATE_METRICS.nodeCapacity, { resource: KSM_GPU_RESOURCE })})`;
  return `sum(${mine} / on (node) ${everyone} * on (node) ${nodeGpus})`;
}

function workloadLabels(w: LiveWorkloadTargets): Record<string, string> {
  return { workload: w.workload, namespace: w.namespace, tier: w.tier };
}

function runbook(settings: LiveAlertSettings, alert: string): string {
  return `${settings.runbookUrl}#${alert.toLowerCase()}`;
}

/** Recording rules and alerts of one workload. */
export function workloadRuleGroup(w: LiveWorkloadTargets, settings: LiveAlertSettings = LIVE_ALERT_DEFAULTS): RuleGroup {
  const labels = workloadLabels(w);
  const record = (name: string, expr: string, extra: Record<string, string> = {}): RecordingRule => ({ record: name, expr, labels: { ...labels, ...extra } });
  const engine = { job: ENGINE_SCRAPE_JOB, namespace: w.namespace, model_name: w.servedModelName };
  const S = LIVE_SERIES;
  const rules: LiveRule[] = [];

  // --- what the model predicted and the gate judged: constants, so dashboards and alerts compare against them.
  rules.push(record(S.modeledUtilization, `vector(${num(w.modeledUtilization)})`));
  if (w.breakEvenUtilization !== null) rules.push(record(S.breakEvenUtilization, `vector(${num(w.breakEvenUtilization)})`));
  if (w.requiredUtilization !== null) rules.push(record(S.requiredUtilization, `vector(${num(w.requiredUtilization)})`));
  rules.push(record(S.maxReplicas, `vector(${num(w.maxReplicas)})`));
  rules.push(record(S.targetQueuePerReplica, `vector(${num(w.targetQueuePerReplica)})`));
  rules.push(record(S.targetOwnedShare, `vector(${num(w.targetOwnedShare)})`));

  // --- replicas: counted from creation (a loading replica holds its GPUs and counts toward maxReplicas), and those ready.
  if (w.tier === "interactive") {
    const deployment = { namespace: w.namespace, deployment: w.workloadObjectName };
    rules.push(record(S.replicas, `sum(${selector(KUBE_STATE_METRICS.deploymentReplicas, deployment)})`));
    rules.push(record(S.replicasReady, `sum(${selector(KUBE_STATE_METRICS.deploymentReadyReplicas, deployment)})`));
  } else {
    // A ScaledJob's Jobs are `<name>-<suffix>`; each active Job is one replica.
    const jobs = selector(KUBE_STATE_METRICS.jobActive, { namespace: w.namespace, job_name: `${w.workloadObjectName}-[a-z0-9]+` }, new Set(["job_name"]));
    rules.push(record(S.replicas, `sum(${jobs}) or vector(0)`));
    // Ready: job pods whose runner has its engine up (loaded, exporting); the rest are loading or reloading between files.
    rules.push(record(S.replicasReady, `count(count by (pod) (${selector(VLLM_METRICS.kvCacheUsage, engine)})) or vector(0)`));
  }

  // Batch tiers scale to zero, load the model per job and reload it per file: between jobs no pod runs and no
  // engine is scraped, and while a job loads its pod is billed but its runner exports no tokens yet. Their token,
  // GPU and API-cost series therefore read 0 when nothing is there (`or vector(0)`), so every evaluation records
  // a sample and the window averages below weigh idle and loading time as the cost model does: tokens served
  // over the billed GPU-hours of the window, loading included. Interactive tiers always run (min ≥ 1).
  const zeroWhenAbsent = (expr: string) => (w.tier === "batch" ? `(${expr}) or vector(0)` : expr);

  // --- GPUs billed: whole nodes. Each node the workload's pods occupy bills all its GPUs, split by
  // GPU requests among the workloads that share it (the cost model bills a replica's whole node unless others share it).
  rules.push(record(S.gpusBilled, zeroWhenAbsent(gpusBilledExpr(w))));

  // --- work and utilization, on the model's definition: served ÷ (billed GPUs ÷ GPUs per replica × K).
  // vLLM's token counters restart at 0 whenever an engine process starts: a restarted pod, and for batch tiers
  // every file (the worker runs one runner process per file). Only rate() reads them, which counts a drop as a
  // reset; never delta(), deriv() or differences of raw values.
  rules.push(record(S.tokensServed, zeroWhenAbsent(`${rate(VLLM_METRICS.promptTokens, engine)} + ${rate(VLLM_METRICS.generationTokens, engine)}`)));
  const kPerGpu = num(w.replicaTokensPerSecond / w.gpusPerReplica);
  rules.push(record(S.utilization, `${recorded(S.tokensServed, w)} / (${recorded(S.gpusBilled, w)} > 0) / ${kPerGpu}`));
  // Over the window: Σ tokens ÷ Σ billed GPUs over the same evaluations. A window with no billed GPU at all (a batch
  // tier idle throughout: 0 tokens over 0 GPU-hours) has no utilization, so the break-even alert stays silent;
  // billed GPUs with few or no tokens (jobs loading, failing, or starved) read low and alarm.
  rules.push(
    record(
      S.utilizationWindow,
      `avg_over_time(${recorded(S.tokensServed, w)}[${settings.breakEvenWindow}]) / (avg_over_time(${recorded(S.gpusBilled, w)}[${settings.breakEvenWindow}]) > 0) / ${kPerGpu}`,
    ),
  );

  // --- queue.
  if (w.tier === "interactive") {
    rules.push(record(S.queueDepth, `sum(${selector(VLLM_METRICS.waitingRequests, engine)})`));
  } else {
    // The SQS scaler reports waiting files; the model and the queue target count requests.
    // KEDA's PodMonitor does not honor labels: the ScaledJob's `namespace` arrives as `exported_namespace`.
    const files = selector(KEDA_SCALER_METRIC, { exported_namespace: w.namespace, scaledObject: w.workloadObjectName, type: "scaledjob" });
    rules.push(record(S.queueDepth, `sum(${files}) * ${num(w.requestsPerBatchFile ?? 1)}`));
  }
  rules.push(record(S.queuePerReplica, `${recorded(S.queueDepth, w)} / clamp_min(${recorded(S.replicas, w)}, 1)`));

  // --- engine state.
  rules.push(record(S.kvCacheUsage, `avg(${selector(VLLM_METRICS.kvCacheUsage, engine)})`));
  rules.push(
    record(
      S.gpuBusy,
      // The DCGM chart's ServiceMonitor does not honor labels: the GPU's pod arrives as `exported_namespace`/`exported_pod`.
      `avg(${selector(DCGM_GPU_UTILIZATION_METRIC, { exported_namespace: w.namespace, exported_pod: podPattern(w.workloadObjectName) }, new Set(["exported_pod"]))}) / 100`,
    ),
  );

  // --- cost rates, USD per hour: owned as the model bills it, and the API bill for the same owned tokens.
  rules.push(record(S.ownedCostUsdPerHour, `(sum(${recorded(S.gpusBilled, w)}) or vector(0)) * ${num(w.replicaUsdPerHour / w.gpusPerReplica)} + ${num(w.fixedUsdPerHour)}`));
  const price = w.apiPricePerMillion;
  const perToken = (usdPerMillion: number) => num((usdPerMillion * 3600) / 1e6);
  const cached = `(${rate(VLLM_METRICS.cachedPromptTokens, engine)} or vector(0))`;
  rules.push(
    record(
      S.apiCostUsdPerHour,
      zeroWhenAbsent(
        `(${rate(VLLM_METRICS.promptTokens, engine)} - ${cached}) * ${perToken(price.input)} + ${cached} * ${perToken(price.cachedInput ?? price.input)} + ${rate(VLLM_METRICS.generationTokens, engine)} * ${perToken(price.output)}`,
      ),
    ),
  );

  // --- latency quantiles and SLO misses (interactive tiers).
  if (w.slo !== undefined) {
    for (const [series, histogram] of [
      [S.ttftQuantile, VLLM_METRICS.timeToFirstToken],
      [S.tpotQuantile, VLLM_METRICS.timePerOutputToken],
    ] as const) {
      for (const q of LATENCY_QUANTILES) {
        rules.push(record(series, `histogram_quantile(${q}, sum by (le) (rate(${selector(`${histogram}_bucket`, engine)}[5m])))`, { quantile: String(q) }));
      }
    }
    const ttftBound = bucketAtOrAbove(VLLM_TTFT_BUCKETS_SECONDS, w.slo.timeToFirstTokenSeconds);
    const tpotBound = bucketAtOrAbove(VLLM_TPOT_BUCKETS_SECONDS, w.slo.timePerOutputTokenSeconds);
    const miss = (histogram: string, bound: number, window: string) =>
      `1 - ${rate(`${histogram}_bucket`, { ...engine, le: pythonBucketLabel(bound) }, window)} / (${rate(`${histogram}_count`, engine, window)} > 0)`;
    rules.push(record(S.ttftSloMiss5m, miss(VLLM_METRICS.timeToFirstToken, ttftBound, "5m"), { objective_seconds: String(ttftBound) }));
    rules.push(record(S.ttftSloMiss1h, miss(VLLM_METRICS.timeToFirstToken, ttftBound, "1h"), { objective_seconds: String(ttftBound) }));
    rules.push(record(S.tpotSloMiss5m, miss(VLLM_METRICS.timePerOutputToken, tpotBound, "5m"), { objective_seconds: String(tpotBound) }));
    rules.push(record(S.tpotSloMiss1h, miss(VLLM_METRICS.timePerOutputToken, tpotBound, "1h"), { objective_seconds: String(tpotBound) }));
  }

  // --- the router: owned share of tokens, spill and fallback shares of owned attempts.
  const alias = { [ROUTER_LABELS.alias]: w.workload };
  rules.push(
    record(S.ownedShare, `${rate(ROUTER_TOKEN_USAGE_METRIC + "_sum", { ...alias, [ROUTER_LABELS.backendModel]: w.servedModelName })} / (${rate(ROUTER_TOKEN_USAGE_METRIC + "_sum", alias)} > 0)`),
  );
  const guard = (outcome?: string) =>
    rate(GUARD_REQUESTS_METRIC, { job: GUARD_SCRAPE_JOB, [GUARD_LABELS.workload]: w.workload, ...(outcome !== undefined ? { [GUARD_LABELS.outcome]: outcome } : {}) });
  rules.push(record(S.spillShare, `(${guard("spilled")} or vector(0)) / (${guard()} > 0)`));
  rules.push(record(S.fallbackShare, `(${guard("engine_error")} or vector(0)) / (${guard()} > 0)`));

  // --- alerts.
  const alertLabels = (severity: "warning" | "critical") => ({ ...labels, severity });
  const alerts: AlertingRule[] = [];
  if (w.breakEvenUtilization !== null) {
    alerts.push({
      alert: LIVE_ALERTS.belowBreakEven,
      expr: `${recorded(S.utilizationWindow, w)} < ${num(w.breakEvenUtilization)}`,
      for: settings.breakEvenFor,
      labels: alertLabels("warning"),
      annotations: {
        summary: `${w.workload}: owning is losing money: measured utilization is below break-even`,
        description: `Utilization over ${settings.breakEvenWindow} is {{ $value | humanizePercentage }}; break-even is ${pct(w.breakEvenUtilization)}, the gate required ${pct(w.requiredUtilization ?? w.breakEvenUtilization)} and the model predicted ${pct(w.modeledUtilization)}.`,
        runbook_url: runbook(settings, LIVE_ALERTS.belowBreakEven),
      },
    });
  }
  alerts.push({
    alert: LIVE_ALERTS.capacityCeiling,
    expr: `${recorded(S.queuePerReplica, w)} > ${num(w.targetQueuePerReplica)} and ${recorded(S.replicas, w)} >= ${num(w.maxReplicas)}`,
    for: settings.capacityCeilingFor,
    labels: alertLabels("critical"),
    annotations: {
      summary: `${w.workload}: queue above target with all ${w.maxReplicas} replicas running`,
      description: `{{ $value | humanize }} requests wait per replica (target ${w.targetQueuePerReplica}) and the autoscaler is at maxReplicas ${w.maxReplicas}.`,
      runbook_url: runbook(settings, LIVE_ALERTS.capacityCeiling),
    },
  });
  if (w.slo !== undefined) {
    const budget = 1 - settings.sloTargetShare;
    const threshold = num(settings.sloBurnRate * budget);
    for (const [alert, fast, slow, what, objective] of [
      [LIVE_ALERTS.ttftSloBurn, S.ttftSloMiss5m, S.ttftSloMiss1h, "time to first token", bucketAtOrAbove(VLLM_TTFT_BUCKETS_SECONDS, w.slo.timeToFirstTokenSeconds)],
      [LIVE_ALERTS.tpotSloBurn, S.tpotSloMiss5m, S.tpotSloMiss1h, "time per output token", bucketAtOrAbove(VLLM_TPOT_BUCKETS_SECONDS, w.slo.timePerOutputTokenSeconds)],
    ] as const) {
      alerts.push({
        alert,
        expr: `${recorded(slow, w)} > ${threshold} and ${recorded(fast, w)} > ${threshold}`,
        for: "2m",
        labels: alertLabels("critical"),
        annotations: {
          summary: `${w.workload}: ${what} SLO error budget burning ${settings.sloBurnRate}× too fast`,
          description: `{{ $value | humanizePercentage }} of requests took longer than ${objective}s ${what} (budget ${pct(budget)} of requests).`,
          runbook_url: runbook(settings, alert),
        },
      });
    }
  }
  alerts.push({
    alert: LIVE_ALERTS.spillHigh,
    expr: `${recorded(S.spillShare, w)} > ${num(w.spillShareThreshold)}`,
    for: settings.spillFallbackFor,
    labels: alertLabels("warning"),
    annotations: {
      summary: `${w.workload}: more owned traffic spills to the API than the model costed`,
      description: `{{ $value | humanizePercentage }} of owned requests spilled to the API (threshold ${pct(w.spillShareThreshold)}).`,
      runbook_url: runbook(settings, LIVE_ALERTS.spillHigh),
    },
  });
  alerts.push({
    alert: LIVE_ALERTS.fallbackHigh,
    expr: `${recorded(S.fallbackShare, w)} > ${num(settings.fallbackShareThreshold)}`,
    for: settings.spillFallbackFor,
    labels: alertLabels("warning"),
    annotations: {
      summary: `${w.workload}: owned requests failing over to the API`,
      description: `{{ $value | humanizePercentage }} of owned requests failed on the engine and fell back to the API (threshold ${pct(settings.fallbackShareThreshold)}).`,
      runbook_url: runbook(settings, LIVE_ALERTS.fallbackHigh),
    },
  });
  if (w.tier === "interactive") {
    // Interactive series do not read 0 when absent (batch ones do, so an unscraped job already reads as 0 utilization):
    // when no engine series is scraped while replicas run, the utilization rule has no tokens and the break-even, SLO
    // and capacity alerts all go quiet, and KEDA's queue query fails. Ready replicas have their engine's HTTP server up
    // (the readiness probe is its /health, on the port /metrics is served from), so billed + ready + no series is a
    // broken scrape, not a model still loading. Prometheus ends a series with a stale marker as soon as its scrape
    // fails or its target goes, so `unless` on the instant vector sees the loss at once; `for` is the sustained window.
    const engineSeries = `count(${selector(VLLM_METRICS.waitingRequests, engine)})`;
    alerts.push({
      alert: LIVE_ALERTS.engineMetricsMissing,
      expr: `(${recorded(S.gpusBilled, w)} > 0) and on () (${recorded(S.replicasReady, w)} > 0) unless on () ${engineSeries}`,
      for: settings.engineMetricsMissingFor,
      // Critical: every other alert of the workload, and its autoscaler, is blind while it holds.
      labels: alertLabels("critical"),
      annotations: {
        summary: `${w.workload}: GPUs billed but no vLLM engine metrics scraped; break-even, SLO and capacity alerts are blind`,
        description: `{{ $value }} GPUs are billed to ready replicas, but Prometheus has scraped no ${VLLM_METRICS.waitingRequests}{job="${ENGINE_SCRAPE_JOB}", namespace="${w.namespace}", model_name="${w.servedModelName}"} for ${settings.engineMetricsMissingFor}.`,
        runbook_url: runbook(settings, LIVE_ALERTS.engineMetricsMissing),
      },
    });
  }
  return { name: `gpu-inference.live.${w.workload}`, rules: [...rules, ...alerts] };
}

/** GPUs in each pool against its NodePool limit. */
export function poolRuleGroup(pools: readonly LivePoolTarget[], settings: LiveAlertSettings = LIVE_ALERT_DEFAULTS): RuleGroup {
  const rules: LiveRule[] = [];
  for (const pool of pools) {
    const labels = { pool: pool.name };
    const gpus = `${selector(KUBE_STATE_METRICS.nodeCapacity, { resource: KSM_GPU_RESOURCE })} * on (node) group_left () ${selector(KUBE_STATE_METRICS.nodeLabels, { [KSM_POOL_LABEL]: pool.name })}`;
    rules.push({ record: LIVE_SERIES.poolGpus, expr: `sum(${gpus}) or vector(0)`, labels });
    rules.push({ record: LIVE_SERIES.poolGpuLimit, expr: `vector(${num(pool.gpuLimit)})`, labels });
    rules.push({
      alert: LIVE_ALERTS.poolAtLimit,
      expr: `${selector(LIVE_SERIES.poolGpus, labels)} >= ${num(pool.gpuLimit)}`,
      for: settings.poolAtLimitFor,
      labels: { ...labels, severity: "warning" },
      annotations: {
        summary: `GPU pool ${pool.name} is at its limit of ${pool.gpuLimit} GPUs`,
        description: `{{ $value }} GPUs run in pool ${pool.name}; Karpenter launches no more until one is freed or the limit (cluster.gpuPools[].gpuLimit) is raised.`,
        runbook_url: runbook(settings, LIVE_ALERTS.poolAtLimit),
      },
    });
  }
  return { name: "gpu-inference.live.pools", rules };
}

/** Every group: one per workload, then the pools. */
export function liveRuleGroups(workloads: readonly LiveWorkloadTargets[], pools: readonly LivePoolTarget[], settings: LiveAlertSettings = LIVE_ALERT_DEFAULTS): RuleGroup[] {
  return [...workloads.map((w) => workloadRuleGroup(w, settings)), ...(pools.length > 0 ? [poolRuleGroup(pools, settings)] : [])];
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
