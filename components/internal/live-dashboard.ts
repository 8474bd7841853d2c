/**
 * The live-economics Grafana dashboard, as JSON typed by Grafana's own schema package
 * (`@grafana/schema`, type-only: nothing of it runs in the program). One dashboard per stack with a
 * workload selector; every query reads the recorded series of live-rules.ts, so the dashboard
 * shows exactly what the alerts judge.
 */
import type { Dashboard, Panel, VariableModel } from "@grafana/schema";
import { LATENCY_QUANTILES, LIVE_SERIES } from "./live-rules";

/** Grafana's dashboard schema version this JSON is written for (`defaultDashboard.schemaVersion` of @grafana/schema 13.2.3). */
export const DASHBOARD_SCHEMA_VERSION = 42;

/** Panel plugin ids used (Grafana's built-in panels). */
const TIMESERIES = "timeseries";

const DATASOURCE = { type: "prometheus", uid: "${datasource}" } as const;
const WORKLOAD = '{workload="$workload"}';

interface Query {
  readonly expr: string;
  readonly legend: string;
}

function panel(id: number, title: string, description: string, unit: string, queries: readonly Query[], gridPos: { x: number; y: number }): Panel {
  return {
    id,
    type: TIMESERIES,
    title,
    description,
    datasource: DATASOURCE,
    gridPos: { ...gridPos, w: 12, h: 8 },
    fieldConfig: { defaults: { unit, min: 0 }, overrides: [] },
    options: { legend: { displayMode: "table", placement: "bottom", showLegend: true, calcs: ["lastNotNull", "mean"] }, tooltip: { mode: "multi", sort: "none" } },
    targets: queries.map((q, i) => ({ refId: String.fromCharCode(65 + i), datasource: DATASOURCE, expr: q.expr, legendFormat: q.legend })),
  };
}

/** Every PromQL query of the dashboard, for tests. */
export function dashboardQueries(dashboard: Dashboard): string[] {
  const queries: string[] = [];
  for (const p of dashboard.panels ?? []) {
    for (const t of ("targets" in p ? p.targets : undefined) ?? []) queries.push(String(t["expr"]));
  }
  // `label_values(series, label)` is Grafana's variable syntax, not PromQL: the query it runs selects `series`.
  for (const v of dashboard.templating?.list ?? []) {
    if (v.type === "query" && typeof v.query === "object") queries.push(String(v.query["query"]).replace(/^label_values\((.+),\s*\w+\)$/, "$1"));
  }
  return queries;
}

/** The dashboard for one stack. `uid` must be 8–40 characters, stable across deploys. */
export function liveDashboard(stack: string, uid: string): Dashboard {
  const S = LIVE_SERIES;
  const sel = (series: string) => `${series}${WORKLOAD}`;
  const variables: VariableModel[] = [
    { name: "datasource", label: "Prometheus", type: "datasource", query: "prometheus" },
    {
      name: "workload",
      label: "Workload",
      type: "query",
      datasource: DATASOURCE,
      query: { qryType: 1, query: `label_values(${S.ownedCostUsdPerHour}, workload)`, refId: "PrometheusVariableQueryEditor-VariableQuery" },
      refresh: 1,
      sort: 1,
    },
  ];
  const quantiles = (series: string, what: string): Query[] =>
    LATENCY_QUANTILES.map((q) => ({ expr: `${series}{workload="$workload", quantile="${q}"}`, legend: `${what} p${Math.round(q * 100)}` }));
  const panels: Panel[] = [
    panel(1, "Owned vs API cost", "What owning costs per hour (GPU replicas as billed + the fixed share) against what the API would have charged for the same owned tokens.", "currencyUSD", [
      { expr: sel(S.ownedCostUsdPerHour), legend: "owned $/h" },
      { expr: sel(S.apiCostUsdPerHour), legend: "API $/h for the same tokens" },
    ], { x: 0, y: 0 }),
    panel(2, "Utilization: measured vs break-even", "Tokens served ÷ (GPUs billed in whole nodes ÷ GPUs per replica × K), the cost model's definition, against the break-even and the gate's required utilization. Batch tiers: the window counts job time spent loading models as billed, idle time (no jobs) as neither; no line when no job ran in the window.", "percentunit", [
      { expr: sel(S.utilization), legend: "measured (5m)" },
      { expr: sel(S.utilizationWindow), legend: "measured (alert window)" },
      { expr: sel(S.breakEvenUtilization), legend: "break-even" },
      { expr: sel(S.requiredUtilization), legend: "required by the gate" },
      { expr: sel(S.modeledUtilization), legend: "modeled" },
    ], { x: 12, y: 0 }),
    panel(3, "Queue and replicas", "Waiting requests per replica against the autoscaler's target, and replicas against the maximum. Batch tiers: waiting requests are files in SQS × requests per file; replicas are active jobs, ready ones have their engine loaded (the rest load or reload the model between files, billed all the same); 0 between jobs.", "short", [
      { expr: sel(S.queuePerReplica), legend: "waiting per replica" },
      { expr: sel(S.targetQueuePerReplica), legend: "target per replica" },
      { expr: sel(S.replicas), legend: "replicas (pods)" },
      { expr: sel(S.replicasReady), legend: "replicas ready" },
      { expr: sel(S.gpusBilled), legend: "GPUs billed (whole nodes)" },
      { expr: sel(S.maxReplicas), legend: "max replicas" },
    ], { x: 0, y: 8 }),
    panel(4, "Latency", "Time to first token and time per output token quantiles from vLLM's histograms; interactive tiers only (batch tiers have no latency objective).", "s", [...quantiles(S.ttftQuantile, "TTFT"), ...quantiles(S.tpotQuantile, "TPOT")], { x: 12, y: 8 }),
    panel(5, "Owned share, spill and fallback", "Share of the workload's tokens served on owned GPUs against the rollout's target; shares of owned attempts that spilled (queue past the SLO) or failed over to the API.", "percentunit", [
      { expr: sel(S.ownedShare), legend: "owned share" },
      { expr: sel(S.targetOwnedShare), legend: "target owned share" },
      { expr: sel(S.spillShare), legend: "spill" },
      { expr: sel(S.fallbackShare), legend: "fallback" },
    ], { x: 0, y: 16 }),
    panel(6, "Engine: tokens, KV cache, GPU busy", "Tokens served per second; KV cache in use; GPU busy time from DCGM.", "short", [
      { expr: sel(S.tokensServed), legend: "tokens/s" },
      { expr: sel(S.kvCacheUsage), legend: "KV cache used (share)" },
      { expr: sel(S.gpuBusy), legend: "GPU busy (share)" },
    ], { x: 12, y: 16 }),
    panel(7, "GPU pools", "GPUs running in each pool against its NodePool limit.", "short", [
      { expr: S.poolGpus, legend: "{{pool}} GPUs" },
      { expr: S.poolGpuLimit, legend: "{{pool}} limit" },
    ], { x: 0, y: 24 }),
  ];
  return {
    uid,
    title: `gpu-inference live economics (${stack})`,
    description: "Per workload: owned vs API cost, measured vs break-even utilization, queue and replicas, latency, spill and fallback. Thresholds are the gate's.",
    tags: ["gpu-inference", "economics"],
    editable: false,
    schemaVersion: DASHBOARD_SCHEMA_VERSION,
    timezone: "utc",
    refresh: "1m",
    time: { from: "now-24h", to: "now" },
    templating: { list: variables },
    panels,
  };
}
