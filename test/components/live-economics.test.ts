/**
 * LiveEconomics: the PrometheusRule and the dashboard ConfigMap it registers, checked against the
 * real schemas — prometheus-operator's (kubernetes-models), Prometheus' PromQL grammar (lezer-promql),
 * the metric lists of the pinned exporters (test/fixtures/exported-metrics.tsv) and Grafana's
 * dashboard schema (@grafana/schema, type-checked by the TypeScript compiler on the emitted JSON).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { defaultDashboard, type Dashboard } from "@grafana/schema";
import { parser } from "@prometheus-io/lezer-promql";
import * as pulumi from "@pulumi/pulumi";
import * as ts from "typescript";
import { describe, expect, it } from "vitest";
import { dashboardUid, LIVE_ECONOMICS_DEFAULTS, LiveEconomics, type LiveEconomicsArgs } from "../../components/live-economics";
import { DASHBOARD_SCHEMA_VERSION, dashboardQueries } from "../../components/internal/live-dashboard";
import { LIVE_ALERT_DEFAULTS, LIVE_ALERTS, LIVE_SERIES, type AlertingRule, type LiveWorkloadTargets, type RecordingRule, type RuleGroup } from "../../components/internal/live-rules";
import { validateKubernetesObject } from "../helpers/kubernetes-schemas";
import { find, installPulumiMocks, type RecordedResource } from "../helpers/pulumi-mocks";

const REPO = path.resolve(__dirname, "..", "..");

/** The exported-metrics table: metric → labels, from every exporter we pin. */
const EXPORTED = new Map(
  fs
    .readFileSync(path.join(REPO, "test", "fixtures", "exported-metrics.tsv"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("#") && !l.startsWith("exporter\t"))
    .map((l) => {
      const [exporter, version, metric, type, labels, source, asOf] = l.split("\t") as [string, string, string, string, string, string, string];
      return [metric, { exporter, version, type, labels: labels.split(","), source, asOf }] as const;
    }),
);
/** Labels Prometheus adds to every scraped series (target labels of the PodMonitors/ServiceMonitors). */
const TARGET_LABELS = new Set(["job", "namespace", "pod", "instance", "container", "service", "endpoint"]);

const chat: LiveWorkloadTargets = {
  workload: "chat",
  tier: "interactive",
  namespace: "search",
  servedModelName: "chat",
  workloadObjectName: "chat",
  replicaTokensPerSecond: 1200,
  gpusPerReplica: 1,
  replicaUsdPerHour: 1.8,
  fixedUsdPerHour: 4.5,
  apiPricePerMillion: { input: 0.4, output: 1.6, cachedInput: 0.1 },
  modeledUtilization: 0.62,
  breakEvenUtilization: 0.31,
  requiredUtilization: 0.3565,
  targetOwnedShare: 0.9,
  spillShareThreshold: 0.05,
  maxReplicas: 4,
  targetQueuePerReplica: 4,
  slo: { timeToFirstTokenSeconds: 2, timePerOutputTokenSeconds: 0.05 },
};
const summaries: LiveWorkloadTargets = {
  ...chat,
  workload: "summaries",
  tier: "batch",
  namespace: "docs",
  servedModelName: "summaries",
  workloadObjectName: "summaries",
  targetQueuePerReplica: 2000,
  requestsPerBatchFile: 1000,
};
const { slo: _slo, ...summariesWithoutSlo } = summaries;
const args: LiveEconomicsArgs = {
  stack: "dev",
  workloads: [chat, summariesWithoutSlo],
  pools: [{ name: "l4-spot", gpuLimit: 16 }],
};

async function deploy(a: LiveEconomicsArgs = args): Promise<{ recorded: RecordedResource[]; live: LiveEconomics }> {
  const recorded = installPulumiMocks();
  const live = new LiveEconomics("inference-dev", a);
  await pulumi.runtime.disconnect();
  return { recorded, live };
}

const isAlert = (r: RecordingRule | AlertingRule): r is AlertingRule => "alert" in r;
const allRules = (groups: readonly RuleGroup[]) => groups.flatMap((g) => g.rules);

interface Parsed {
  errors: number;
  metrics: string[];
  matchers: { metric: string; label: string }[];
}
/** Walk the lezer tree: error nodes, metric names, and which labels each selector matches on. */
function analyse(query: string): Parsed {
  const out: Parsed = { errors: 0, metrics: [], matchers: [] };
  const cursor = parser.parse(query).cursor();
  do {
    if (cursor.type.isError) out.errors += 1;
    if (cursor.name === "VectorSelector") {
      const node = cursor.node;
      const id = node.getChild("Identifier");
      const metric = id === null ? "" : query.slice(id.from, id.to);
      out.metrics.push(metric);
      const walk = node.cursor();
      do {
        if (walk.name === "UnquotedLabelMatcher") {
          const name = walk.node.getChild("LabelName");
          if (name !== null) out.matchers.push({ metric, label: query.slice(name.from, name.to) });
        }
      } while (walk.next() && walk.from < node.to);
    }
  } while (cursor.next());
  return out;
}

/** Histogram series (`_bucket`, `_count`, `_sum`) are listed under their own names in the table. */
function exported(metric: string): { labels: string[] } | undefined {
  return EXPORTED.get(metric);
}

describe("PromQL of the rules and the dashboard", () => {
  it("every expression parses, and names only metrics the pinned exporters export or rules recorded before it", async () => {
    const deployed = await deploy();
    const { live } = deployed;
    const recordedSoFar = new Set<string>();
    const recordedAnywhere = new Set(allRules(live.ruleGroups).filter((r): r is RecordingRule => !isAlert(r)).map((r) => r.record));
    let checked = 0;
    for (const group of live.ruleGroups) {
      for (const rule of group.rules) {
        const parsed = analyse(rule.expr);
        expect(parsed.errors, rule.expr).toBe(0);
        for (const metric of parsed.metrics) {
          if (metric.startsWith("gpu_inference:")) {
            // Rules in a group run in order: a rule reads only series recorded before it (or in an earlier group).
            expect(recordedSoFar.has(metric), `${isAlert(rule) ? rule.alert : rule.record} reads ${metric} before it is recorded`).toBe(true);
          } else if (metric !== "") {
            expect(exported(metric), `${metric} in ${rule.expr}`).toBeDefined();
          }
        }
        for (const { metric, label } of parsed.matchers) {
          if (metric.startsWith("gpu_inference:")) {
            expect(["workload", "pool", "quantile"]).toContain(label);
          } else if (metric !== "") {
            expect(TARGET_LABELS.has(label) || exported(metric)!.labels.some((l) => l === label || (l.endsWith("*") && label.startsWith(l.slice(0, -1)))), `${metric}{${label}}`).toBe(true);
          }
        }
        if (!isAlert(rule)) recordedSoFar.add(rule.record);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(40);
    for (const query of dashboardQueries(JSON.parse(dashboardJson(deployed)) as Dashboard)) {
      const parsed = analyse(query.replace(/\$workload/g, "chat"));
      expect(parsed.errors, query).toBe(0);
      for (const metric of parsed.metrics.filter((m) => m !== "")) expect(recordedAnywhere.has(metric), `dashboard reads ${metric}`).toBe(true);
    }
  });

  it("every exported-metrics row has an exporter, a version, a source and an as-of date", () => {
    expect(EXPORTED.size).toBeGreaterThan(15);
    for (const [metric, row] of EXPORTED) {
      expect(row.exporter, metric).not.toBe("");
      expect(row.version, metric).not.toBe("");
      expect(row.source.length, metric).toBeGreaterThan(10);
      expect(row.asOf, metric).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it("every vLLM row agrees with the vendored vLLM v0.26.0 metric list (name, type, labels)", () => {
    const vendored = new Map(
      fs
        .readFileSync(path.join(REPO, "test", "fixtures", "vllm", "metrics-v0.26.0.tsv"), "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "" && !l.startsWith("#") && !l.startsWith("name\t"))
        .map((l) => {
          const [name, type, labels] = l.split("\t") as [string, string, string];
          return [name, { type, labels }] as const;
        }),
    );
    const vllmRows = [...EXPORTED].filter(([, row]) => row.exporter === "vllm");
    expect(vllmRows.length).toBeGreaterThan(5);
    for (const [metric, row] of vllmRows) {
      const family = metric.replace(/_(bucket|count|sum)$/, (suffix) => (row.type === "histogram" ? "" : suffix));
      const listed = vendored.get(family);
      expect(listed, metric).toBeDefined();
      expect(listed!.type, metric).toBe(row.type);
      expect(row.labels.filter((l) => l !== "le"), metric).toEqual(listed!.labels.split(","));
    }
  });

  it("the grammar and metric checks can fail", () => {
    expect(analyse("sum(rate(vllm:prompt_tokens_total{namespace=").errors).toBeGreaterThan(0);
    expect(exported("vllm:gpu_cache_usage_perc")).toBeUndefined(); // a v0 name, gone from v0.26.0
  });
});

function dashboardJson({ recorded }: { recorded: RecordedResource[] }): string {
  const cm = find(recorded, "kubernetes:core/v1:ConfigMap", "inference-dev-live-economics-dashboard");
  return (cm.inputs.data as Record<string, string>)["gpu-inference-live-economics.json"]!;
}

describe("LiveEconomics resources", () => {
  it("registers exactly one PrometheusRule and one dashboard ConfigMap, with the documented defaults", async () => {
    const { recorded } = await deploy();
    expect(recorded.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        "gpu-inference:monitoring:LiveEconomics inference-dev",
        "kubernetes:core/v1:ConfigMap inference-dev-live-economics-dashboard",
        "kubernetes:monitoring.coreos.com/v1:PrometheusRule inference-dev-live-economics",
      ].sort(),
    );
    const rule = find(recorded, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "inference-dev-live-economics");
    const meta = rule.inputs.metadata as { namespace: string; labels: Record<string, string> };
    expect(meta.namespace).toBe(LIVE_ECONOMICS_DEFAULTS.namespace);
    expect(meta.labels).toMatchObject(LIVE_ECONOMICS_DEFAULTS.ruleLabels);
    const cm = find(recorded, "kubernetes:core/v1:ConfigMap", "inference-dev-live-economics-dashboard");
    expect((cm.inputs.metadata as { labels: Record<string, string> }).labels).toMatchObject({ grafana_dashboard: "1" });
    expect((cm.inputs.metadata as { namespace: string }).namespace).toBe("monitoring");
    expect(LIVE_ECONOMICS_DEFAULTS.alertSettings).toEqual(LIVE_ALERT_DEFAULTS);
    expect(LIVE_ALERT_DEFAULTS).toEqual({
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
  });

  it("the PrometheusRule validates against prometheus-operator's schema; labels and namespace can be overridden", async () => {
    const { recorded } = await deploy({ ...args, namespace: "observability", ruleLabels: { prometheus: "main" }, dashboardLabels: { dashboards: "gpu" } });
    const rule = find(recorded, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "inference-dev-live-economics");
    const { apiVersion: _a, kind: _k, ...object } = rule.inputs;
    await validateKubernetesObject("monitoring.coreos.com/v1", "PrometheusRule", object);
    expect((rule.inputs.metadata as { labels: Record<string, string> }).labels).toMatchObject({ prometheus: "main" });
    expect((rule.inputs.metadata as { namespace: string }).namespace).toBe("observability");
    const cm = find(recorded, "kubernetes:core/v1:ConfigMap", "inference-dev-live-economics-dashboard");
    await validateKubernetesObject("v1", "ConfigMap", cm.inputs);
    expect((cm.inputs.metadata as { labels: Record<string, string> }).labels).toMatchObject({ dashboards: "gpu" });
  });

  it("the schema check can fail: a rule without expr is refused", async () => {
    await expect(
      validateKubernetesObject("monitoring.coreos.com/v1", "PrometheusRule", { metadata: { name: "x" }, spec: { groups: [{ name: "g", rules: [{ record: "a" }] }] } }),
    ).rejects.toThrow();
  });

  it("one group per workload and one for the pools; batch tiers have no latency rules, interactive tiers every alert", async () => {
    const { live } = await deploy();
    expect(live.ruleGroups.map((g) => g.name)).toEqual(["gpu-inference.live.chat", "gpu-inference.live.summaries", "gpu-inference.live.pools"]);
    const alertsOf = (i: number) => live.ruleGroups[i]!.rules.filter(isAlert).map((r) => r.alert);
    expect(alertsOf(0).sort()).toEqual(
      [
        LIVE_ALERTS.belowBreakEven,
        LIVE_ALERTS.capacityCeiling,
        LIVE_ALERTS.ttftSloBurn,
        LIVE_ALERTS.tpotSloBurn,
        LIVE_ALERTS.spillHigh,
        LIVE_ALERTS.fallbackHigh,
        LIVE_ALERTS.engineMetricsMissing,
      ].sort(),
    );
    expect(alertsOf(1)).not.toContain(LIVE_ALERTS.ttftSloBurn);
    // Batch series read 0 when no engine is scraped, so an unscraped job already alarms as 0 utilization.
    expect(alertsOf(1)).not.toContain(LIVE_ALERTS.engineMetricsMissing);
    expect(alertsOf(2)).toEqual([LIVE_ALERTS.poolAtLimit]);
    const records = live.ruleGroups[1]!.rules.filter((r): r is RecordingRule => !isAlert(r)).map((r) => r.record);
    expect(records).not.toContain(LIVE_SERIES.ttftQuantile);
    expect(records).toContain(LIVE_SERIES.utilization);
    // Batch queue depth counts requests: SQS files × requests per file.
    const queue = live.ruleGroups[1]!.rules.find((r) => !isAlert(r) && r.record === LIVE_SERIES.queueDepth)!;
    expect(queue.expr).toBe('sum(keda_scaler_metrics_value{exported_namespace="docs", scaledObject="summaries", type="scaledjob"}) * 1000');
  });

  it("thresholds are the targets' numbers: break-even, queue target and max, spill share, pool limit", async () => {
    const { live } = await deploy();
    const alert = (group: number, name: string) => live.ruleGroups[group]!.rules.filter(isAlert).find((r) => r.alert === name)!;
    expect(alert(0, LIVE_ALERTS.belowBreakEven).expr).toBe(`${LIVE_SERIES.utilizationWindow}{workload="chat"} < 0.31`);
    expect(alert(0, LIVE_ALERTS.capacityCeiling).expr).toBe(`${LIVE_SERIES.queuePerReplica}{workload="chat"} > 4 and ${LIVE_SERIES.replicas}{workload="chat"} >= 4`);
    expect(alert(0, LIVE_ALERTS.spillHigh).expr).toBe(`${LIVE_SERIES.spillShare}{workload="chat"} > 0.05`);
    expect(alert(2, LIVE_ALERTS.poolAtLimit).expr).toBe(`${LIVE_SERIES.poolGpus}{pool="l4-spot"} >= 16`);
    // Engine metrics missing: the workload's own engine selector (the autoscaler's job, namespace and served model name).
    const missing = alert(0, LIVE_ALERTS.engineMetricsMissing);
    expect(missing.expr).toBe(
      `(${LIVE_SERIES.gpusBilled}{workload="chat"} > 0) and on () (${LIVE_SERIES.replicasReady}{workload="chat"} > 0) unless on () count(vllm:num_requests_waiting{job="vllm-engine", namespace="search", model_name="chat"})`,
    );
    expect(missing.for).toBe("10m");
    expect(missing.labels).toEqual({ workload: "chat", namespace: "search", tier: "interactive", severity: "critical" });
    // The TTFT objective rounds up to vLLM's next bucket (2 s → 2.5 s); TPOT 50 ms is a bucket.
    const ttft = live.ruleGroups[0]!.rules.find((r) => !isAlert(r) && r.record === LIVE_SERIES.ttftSloMiss5m)!;
    expect(ttft.expr).toContain('le="2.5"');
    const tpot = live.ruleGroups[0]!.rules.find((r) => !isAlert(r) && r.record === LIVE_SERIES.tpotSloMiss5m)!;
    expect(tpot.expr).toContain('le="0.05"');
    // No break-even (fixed costs reach the API bill): no break-even alert, which could only ever fire.
    const { live: none } = await deploy({ ...args, workloads: [{ ...chat, breakEvenUtilization: null, requiredUtilization: null }] });
    expect(none.ruleGroups[0]!.rules.filter(isAlert).map((r) => r.alert)).not.toContain(LIVE_ALERTS.belowBreakEven);
  });

  it("every alert links a runbook section that exists in docs/runbook.md", async () => {
    const { live } = await deploy();
    const runbook = fs.readFileSync(path.join(REPO, "docs", "runbook.md"), "utf8");
    const anchors = new Set([...runbook.matchAll(/^## (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase()));
    const alerts = allRules(live.ruleGroups).filter(isAlert);
    expect(new Set(alerts.map((a) => a.alert))).toEqual(new Set(Object.values(LIVE_ALERTS)));
    for (const a of alerts) {
      expect(a.annotations.runbook_url).toBe(`docs/runbook.md#${a.alert.toLowerCase()}`);
      expect(anchors.has(a.alert.toLowerCase()), `docs/runbook.md has no section "## ${a.alert}"`).toBe(true);
      expect(a.annotations.summary).not.toMatch(/NaN|Infinity|undefined/);
      expect(a.annotations.description).not.toMatch(/NaN|Infinity|undefined/);
    }
  });

  it("refuses bad arguments with every problem at once, before registering anything", () => {
    const bad: LiveEconomicsArgs = {
      ...args,
      workloads: [chat, { ...chat, replicaTokensPerSecond: 0, maxReplicas: Number.NaN }],
      pools: [{ name: "p", gpuLimit: 0 }],
      alertSettings: { sloTargetShare: 1.5, breakEvenWindow: "six hours" },
    };
    let message = "";
    try {
      new LiveEconomics("x", bad);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('workloads[1].workload: "chat" appears twice');
    expect(message).toContain("workloads[1].replicaTokensPerSecond: expected > 0");
    expect(message).toContain("workloads[1].maxReplicas: expected a finite number");
    expect(message).toContain("pools[0].gpuLimit");
    expect(message).toContain("alertSettings.sloTargetShare");
    expect(message).toContain('alertSettings.breakEvenWindow: expected a Prometheus duration such as 15m or 6h, got "six hours"');
  });
});

/**
 * Type-check JSON documents against @grafana/schema's `Dashboard` with the TypeScript compiler (one
 * program for all): excess or mistyped fields are errors. Returns each document's error messages.
 */
function grafanaSchemaErrors(...documents: string[]): string[][] {
  const files = documents.map((_, i) => path.join(REPO, "test", "components", `__dashboard_check_${i}__.ts`));
  const sources = new Map(files.map((file, i) => [file, `import type { Dashboard } from "@grafana/schema";\nexport const dashboard: Dashboard = ${documents[i]};\n`]));
  const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, skipLibCheck: true, types: [] };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, onError, create) => {
    const source = sources.get(path.resolve(name));
    return source !== undefined ? ts.createSourceFile(name, source, version) : getSourceFile(name, version, onError, create);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => sources.has(path.resolve(name)) || fileExists(name);
  const program = ts.createProgram(files, options, host);
  return files.map((file) => ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")));
}

describe("the Grafana dashboard", () => {
  it("is valid against @grafana/schema's Dashboard type, at the package's schema version; the check can fail", async () => {
    const json = dashboardJson(await deploy());
    const [errors, mistyped, unknownKey, untypedPanel] = grafanaSchemaErrors(
      json,
      '{ "schemaVersion": "42" }',
      '{ "schemaVersion": 42, "panelz": [] }',
      '{ "schemaVersion": 42, "panels": [{ "title": "no type" }] }',
    );
    expect(errors).toEqual([]);
    expect(mistyped!.length).toBeGreaterThan(0);
    expect(unknownKey!.length).toBeGreaterThan(0);
    expect(untypedPanel!.length).toBeGreaterThan(0);
    expect(DASHBOARD_SCHEMA_VERSION).toBe(defaultDashboard.schemaVersion);
    const dashboard = JSON.parse(json) as Dashboard;
    expect(dashboard.uid).toBe(dashboardUid("dev"));
    expect(dashboard.uid!.length).toBeGreaterThanOrEqual(8);
    expect(dashboard.uid!.length).toBeLessThanOrEqual(40);
    expect(dashboardUid("a-very-long-stack-name-for-some-team-abc-xyz").length).toBe(40);
  }, 60_000);

  it("shows, per workload, owned vs API cost, measured vs break-even utilization, queue and replicas, latency, spill and fallback; panels do not overlap", async () => {
    const dashboard = JSON.parse(dashboardJson(await deploy())) as Dashboard;
    const queries = dashboardQueries(dashboard).join("\n");
    for (const series of [
      LIVE_SERIES.ownedCostUsdPerHour,
      LIVE_SERIES.apiCostUsdPerHour,
      LIVE_SERIES.utilization,
      LIVE_SERIES.breakEvenUtilization,
      LIVE_SERIES.queuePerReplica,
      LIVE_SERIES.replicas,
      LIVE_SERIES.ttftQuantile,
      LIVE_SERIES.tpotQuantile,
      LIVE_SERIES.spillShare,
      LIVE_SERIES.fallbackShare,
      LIVE_SERIES.ownedShare,
    ]) {
      expect(queries).toContain(series);
    }
    expect(dashboard.templating?.list?.map((v) => v.name)).toEqual(["datasource", "workload"]);
    // Panels are per workload, for either tier: a batch workload's panels read series its group records.
    const { live } = await deploy();
    const batchRecords = new Set(live.ruleGroups.find((g) => g.name === "gpu-inference.live.summaries")!.rules.flatMap((r) => ("record" in r ? [r.record] : [])));
    const interactiveOnly = new Set<string>([LIVE_SERIES.ttftQuantile, LIVE_SERIES.tpotQuantile]);
    const perWorkload = [...queries.matchAll(/(gpu_inference:[a-z_:0-9]+)\{workload="\$workload"/g)].map((m) => m[1]!);
    expect(perWorkload.length).toBeGreaterThan(10);
    expect(perWorkload.filter((series) => !interactiveOnly.has(series) && !batchRecords.has(series))).toEqual([]);
    const latency = (dashboard.panels ?? []).find((p) => p.title === "Latency")!;
    expect("description" in latency ? latency.description : undefined).toMatch(/interactive tiers/);
    const cells = new Set<string>();
    const ids = new Set<number>();
    for (const p of dashboard.panels ?? []) {
      expect(ids.has(p.id!)).toBe(false);
      ids.add(p.id!);
      const { x, y, w, h } = p.gridPos!;
      expect(x + w).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) for (let j = y; j < y + h; j++) {
        expect(cells.has(`${i},${j}`), `panel ${p.id} overlaps at ${i},${j}`).toBe(false);
        cells.add(`${i},${j}`);
      }
    }
  });
});
