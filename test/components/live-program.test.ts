/**
 * The program deploys LiveEconomics with the dev stack under mocks: its PrometheusRule holds one
 * group per owned workload, and every threshold is the number the gate's evaluation produced —
 * alert and gate agree because they read the same evaluation.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { LIVE_ALERTS, LIVE_SERIES, type AlertingRule, type RuleGroup } from "../../components/internal/live-rules";
import { LIVE_ECONOMICS_DEFAULTS } from "../../components/live-economics";
import { loadStackConfigFile, namespaceValues } from "../../infra/config";
import { withResolvedEconomics } from "../../infra/economics-source";
import { evaluateStack } from "../../infra/stack-economics";
import { find, installPulumiMocks, type RecordedResource } from "../helpers/pulumi-mocks";

const STACK_FILE = path.resolve(__dirname, "../../Pulumi.dev.yaml");
const config = loadStackConfigFile(STACK_FILE);
const values = namespaceValues(fs.readFileSync(STACK_FILE, "utf8"), "Pulumi.dev.yaml");

let recorded: RecordedResource[];
beforeAll(async () => {
  vi.resetModules();
  recorded = installPulumiMocks({ config: Object.fromEntries([["aws:region", "us-east-1"], ...Object.entries(values).map(([k, v]) => [`gpu-inference:${k}`, v])]), stack: "dev" });
  await import("../../infra/index.js");
  await pulumi.runtime.disconnect();
}, 120_000);

describe("the program's live economics", () => {
  it("one PrometheusRule and one dashboard for the stack, in the monitoring namespace", () => {
    const rule = find(recorded, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", `${config.cluster.name}-live-economics`);
    expect((rule.inputs.metadata as { namespace: string }).namespace).toBe("monitoring");
    const cm = find(recorded, "kubernetes:core/v1:ConfigMap", `${config.cluster.name}-live-economics-dashboard`);
    expect((cm.inputs.metadata as { labels: Record<string, string> }).labels.grafana_dashboard).toBe("1");
  });

  it("kube-prometheus-stack selects the rule and its Grafana sidecar discovers the dashboard", () => {
    const release = recorded.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "kube-prometheus-stack")!;
    // The chart's default ruleSelector matches `release: <Helm release name>` unless told otherwise.
    expect(release.inputs.name).toBe(LIVE_ECONOMICS_DEFAULTS.ruleLabels.release);
    const values = release.inputs.values as { prometheus: { prometheusSpec: Record<string, unknown> }; grafana: { enabled: boolean; sidecar: { dashboards: Record<string, unknown> } }; "kube-state-metrics": { metricLabelsAllowlist: string[] } };
    expect(values.prometheus.prometheusSpec.ruleSelectorNilUsesHelmValues).toBeUndefined();
    expect(values.prometheus.prometheusSpec.ruleSelector).toBeUndefined();
    expect(release.inputs.namespace).toBe(LIVE_ECONOMICS_DEFAULTS.namespace);
    expect(values.grafana.enabled).toBe(true);
    expect(values.grafana.sidecar.dashboards).toMatchObject({ enabled: true, label: "grafana_dashboard", labelValue: LIVE_ECONOMICS_DEFAULTS.dashboardLabels.grafana_dashboard });
    expect(values["kube-state-metrics"].metricLabelsAllowlist).toEqual(["nodes=[gpu-inference/pool]"]);
  });

  it("every workload's break-even alert fires below the gate's own break-even, and the model's K per GPU sizes its utilization", () => {
    const evaluation = evaluateStack(withResolvedEconomics(config, STACK_FILE).config, "dev", { cheapestShape: false });
    const rule = find(recorded, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", `${config.cluster.name}-live-economics`);
    const groups = (rule.inputs.spec as { groups: RuleGroup[] }).groups;
    expect(groups.map((g) => g.name)).toEqual([...config.workloads.map((w) => `gpu-inference.live.${w.name}`), "gpu-inference.live.pools"]);
    for (const e of evaluation.workloads) {
      const group = groups.find((g) => g.name === `gpu-inference.live.${e.name}`)!;
      const alert = group.rules.find((r): r is AlertingRule => "alert" in r && r.alert === LIVE_ALERTS.belowBreakEven);
      if (e.breakEvenUtilization === null) {
        expect(alert, e.name).toBeUndefined();
      } else {
        expect(alert!.expr, e.name).toBe(`${LIVE_SERIES.utilizationWindow}{workload="${e.name}"} < ${e.breakEvenUtilization}`);
      }
      const utilization = group.rules.find((r) => "record" in r && r.record === LIVE_SERIES.utilization)!;
      const gpusPerReplica = config.workloads.find((w) => w.name === e.name)!.serving.gpusPerReplica;
      expect(utilization.expr.endsWith(` / ${e.replicaTokensPerSecond / gpusPerReplica}`), e.name).toBe(true);
    }
    const pools = groups.find((g) => g.name === "gpu-inference.live.pools")!;
    for (const pool of config.cluster.gpuPools) {
      expect(pools.rules.some((r) => "alert" in r && r.expr === `${LIVE_SERIES.poolGpus}{pool="${pool.name}"} >= ${pool.gpuLimit}`), pool.name).toBe(true);
    }
  });

  it("each interactive workload's engine-metrics-missing alert watches the very series its autoscaler sums", () => {
    const rule = find(recorded, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", `${config.cluster.name}-live-economics`);
    const groups = (rule.inputs.spec as { groups: RuleGroup[] }).groups;
    expect(config.workloads.some((w) => w.tier === "interactive")).toBe(true);
    for (const w of config.workloads) {
      const alert = groups.find((g) => g.name === `gpu-inference.live.${w.name}`)!.rules.find((r): r is AlertingRule => "alert" in r && r.alert === LIVE_ALERTS.engineMetricsMissing);
      if (w.tier !== "interactive") {
        expect(alert, w.name).toBeUndefined();
        continue;
      }
      const scaledObject = recorded.find((r) => r.type === "kubernetes:keda.sh/v1alpha1:ScaledObject" && (r.inputs.metadata as { name: string }).name.startsWith(w.name));
      expect(scaledObject, w.name).toBeDefined();
      const query = (scaledObject!.inputs.spec as { triggers: { metadata: { query: string } }[] }).triggers[0]!.metadata.query;
      const summed = /^sum\((.+)\)$/.exec(query)?.[1];
      expect(summed, query).toBeDefined();
      expect(alert!.expr, w.name).toContain(`unless on () count(${summed!})`);
    }
  });
});
