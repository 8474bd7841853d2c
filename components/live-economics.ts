/**
 * LiveEconomics: holds the running system to the break-even it was deployed on.
 *
 * One PrometheusRule (prometheus-operator) with a rule group per workload: recording rules that
 * measure what the cost model predicts (utilization on the model's definition, owned share, spill,
 * fallback, queue, latency, KV cache, owned vs API cost rate) and alerts whose thresholds are the
 * gate's own numbers; and one Grafana dashboard, a ConfigMap that kube-prometheus-stack's Grafana
 * sidecar discovers by label. The targets are plain values from the stack's evaluation
 * (`infra/live-targets.ts`), never recomputed here.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { CrdSources } from "./internal/cluster-contract";
import { liveDashboard } from "./internal/live-dashboard";
import { LIVE_ALERT_DEFAULTS, liveRuleGroups, type LiveAlertSettings, type LivePoolTarget, type LiveWorkloadTargets, type RuleGroup } from "./internal/live-rules";

export type { LiveAlertSettings, LivePoolTarget, LiveWorkloadTargets } from "./internal/live-rules";

export const LIVE_ECONOMICS_DEFAULTS = {
  /** kube-prometheus-stack's namespace (`ADDON_CHARTS.prometheus.namespace`): its Grafana sidecar watches only there. */
  namespace: "monitoring",
  /** kube-prometheus-stack's default `ruleSelector` matches `release: <Helm release name>`; the release is `kube-prometheus-stack`. */
  ruleLabels: { release: "kube-prometheus-stack" },
  /** kube-prometheus-stack's Grafana sidecar default: `sidecar.dashboards.label: grafana_dashboard`, `labelValue: "1"`. */
  dashboardLabels: { grafana_dashboard: "1" },
  alertSettings: LIVE_ALERT_DEFAULTS,
} as const;

export interface LiveEconomicsArgs {
  /** Stack name: in the dashboard's title and uid. */
  readonly stack: string;
  /** Per owned workload, where it runs and the numbers its evaluation produced (`liveTargets`). */
  readonly workloads: readonly LiveWorkloadTargets[];
  /** GPU pools and their limits (maps to each `NodePool.spec.limits["nvidia.com/gpu"]`). */
  readonly pools: readonly LivePoolTarget[];
  /** Namespace of the PrometheusRule and the dashboard ConfigMap. @default "monitoring" */
  readonly namespace?: string;
  /** Labels on the PrometheusRule, matched by `Prometheus.spec.ruleSelector`. @default { release: "kube-prometheus-stack" } */
  readonly ruleLabels?: Readonly<Record<string, string>>;
  /** Labels on the dashboard ConfigMap, matched by the Grafana sidecar. @default { grafana_dashboard: "1" } */
  readonly dashboardLabels?: Readonly<Record<string, string>>;
  /** Alert windows and thresholds that are not the evaluation's (each field documents its own default). @default LIVE_ALERT_DEFAULTS */
  readonly alertSettings?: Partial<LiveAlertSettings>;
  /** What installs the prometheus-operator CRDs (`GpuCluster.crdSources`); the PrometheusRule waits for it. @default - none: installed outside this stack */
  readonly crdSources?: Pick<CrdSources, "prometheusOperator">;
}

/** A dashboard uid: 8–40 characters, stable per stack. */
export function dashboardUid(stack: string): string {
  return `gpu-inference-live-${stack}`.slice(0, 40);
}

export class LiveEconomics extends pulumi.ComponentResource {
  /** The rule groups deployed, as plain data (what `promtool` and the tests read). */
  public readonly ruleGroups: readonly RuleGroup[];
  public readonly prometheusRule: k8s.apiextensions.CustomResource;
  public readonly dashboardConfigMap: k8s.core.v1.ConfigMap;

  constructor(name: string, args: LiveEconomicsArgs, opts?: pulumi.ComponentResourceOptions) {
    const d = LIVE_ECONOMICS_DEFAULTS;
    const namespace = args.namespace ?? d.namespace;
    const settings: LiveAlertSettings = { ...d.alertSettings, ...args.alertSettings };
    const problems = validate(args, settings);
    if (problems.length > 0) throw new Error(`LiveEconomics ${name}:\n  ${problems.join("\n  ")}`);
    super("gpu-inference:monitoring:LiveEconomics", name, {}, opts);
    const child = { parent: this };

    this.ruleGroups = liveRuleGroups(args.workloads, args.pools, settings);
    const labels = { "app.kubernetes.io/part-of": "gpu-inference", "app.kubernetes.io/component": "live-economics" };
    this.prometheusRule = new k8s.apiextensions.CustomResource(
      `${name}-live-economics`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: `${name}-live-economics`, namespace, labels: { ...labels, ...(args.ruleLabels ?? d.ruleLabels) } },
        spec: { groups: this.ruleGroups },
      },
      { ...child, dependsOn: args.crdSources !== undefined ? [args.crdSources.prometheusOperator] : [] },
    );
    const dashboard = liveDashboard(args.stack, dashboardUid(args.stack));
    this.dashboardConfigMap = new k8s.core.v1.ConfigMap(
      `${name}-live-economics-dashboard`,
      {
        metadata: { name: `${name}-live-economics-dashboard`, namespace, labels: { ...labels, ...(args.dashboardLabels ?? d.dashboardLabels) } },
        data: { "gpu-inference-live-economics.json": JSON.stringify(dashboard, null, 2) },
      },
      child,
    );
    this.registerOutputs({ ruleGroups: this.ruleGroups, prometheusRule: this.prometheusRule, dashboardConfigMap: this.dashboardConfigMap });
  }
}

/** Every problem with the arguments at once: the numbers must be finite, the names unique. */
function validate(args: LiveEconomicsArgs, settings: LiveAlertSettings): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  args.workloads.forEach((w, i) => {
    if (seen.has(w.workload)) problems.push(`workloads[${i}].workload: "${w.workload}" appears twice; each workload gets one rule group`);
    seen.add(w.workload);
    for (const key of ["replicaTokensPerSecond", "gpusPerReplica", "replicaUsdPerHour", "fixedUsdPerHour", "modeledUtilization", "targetOwnedShare", "spillShareThreshold", "maxReplicas", "targetQueuePerReplica"] as const) {
      if (!Number.isFinite(w[key]) || w[key] < 0) problems.push(`workloads[${i}].${key}: expected a finite number ≥ 0, got ${w[key]}`);
    }
    if (!(w.gpusPerReplica >= 1)) problems.push(`workloads[${i}].gpusPerReplica: expected at least 1, got ${w.gpusPerReplica}`);
    if (!(w.replicaTokensPerSecond > 0)) problems.push(`workloads[${i}].replicaTokensPerSecond: expected > 0 (utilization divides by it); a workload whose model does not fit has no live rules`);
  });
  args.pools.forEach((p, i) => {
    if (!Number.isInteger(p.gpuLimit) || p.gpuLimit < 1) problems.push(`pools[${i}].gpuLimit: expected a whole number ≥ 1, got ${p.gpuLimit}`);
  });
  for (const key of ["sloTargetShare", "fallbackShareThreshold"] as const) {
    if (!(settings[key] > 0 && settings[key] < 1)) problems.push(`alertSettings.${key}: expected a share between 0 and 1 (exclusive), got ${settings[key]}`);
  }
  if (!(settings.sloBurnRate > 0)) problems.push(`alertSettings.sloBurnRate: expected > 0, got ${settings.sloBurnRate}`);
  for (const key of ["breakEvenWindow", "breakEvenFor", "capacityCeilingFor", "spillFallbackFor", "poolAtLimitFor", "engineMetricsMissingFor"] as const) {
    if (!/^\d+[smhdw]$/.test(settings[key])) problems.push(`alertSettings.${key}: expected a Prometheus duration such as 15m or 6h, got "${settings[key]}"`);
  }
  return problems;
}
