/**
 * Prod is all batch: the program rendered with Pulumi.prod.yaml under mocks gives every workload a
 * PodMonitor on its job pods' metrics port, a tenant NetworkPolicy that lets Prometheus scrape it,
 * and live rules whose token series selector (job, namespace, model_name) is what those scrapes
 * carry, so the break-even alert can fire for every prod workload.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { LIVE_ALERTS, LIVE_SERIES, type AlertingRule, type RecordingRule, type RuleGroup } from "../../components/internal/live-rules";
import { loadStackConfigFile, namespaceValues } from "../../infra/config";
import { withResolvedEconomics } from "../../infra/economics-source";
import { evaluateStack } from "../../infra/stack-economics";
import { validateKubernetesObject } from "../helpers/kubernetes-schemas";
import { find, installPulumiMocks, ofType, type RecordedResource } from "../helpers/pulumi-mocks";

const STACK_FILE = path.resolve(__dirname, "../../Pulumi.prod.yaml");
const config = loadStackConfigFile(STACK_FILE);
const values = namespaceValues(fs.readFileSync(STACK_FILE, "utf8"), "Pulumi.prod.yaml");

type Obj = Record<string, unknown>;
type Labels = Record<string, string>;
const at = (o: unknown, ...p: (string | number)[]): unknown => p.reduce<unknown>((v, k) => (v as Obj | undefined)?.[k as string], o);
const selects = (matchLabels: Labels | undefined, labels: Labels) => Object.entries(matchLabels ?? {}).every(([k, v]) => labels[k] === v);

interface Container {
  command: string[];
  ports?: { name: string; containerPort: number }[];
}
interface NetworkPolicyPeer {
  namespaceSelector?: { matchLabels?: Labels };
  podSelector?: { matchLabels?: Labels };
}

let recorded: RecordedResource[];
beforeAll(async () => {
  vi.resetModules();
  recorded = installPulumiMocks({ config: Object.fromEntries([["aws:region", config.cluster.region], ...Object.entries(values).map(([k, v]) => [`gpu-inference:${k}`, v])]), stack: "prod" });
  await import("../../infra/index.js");
  await pulumi.runtime.disconnect();
}, 120_000);

/** The job pods of a batch workload: namespace, template labels, and the vLLM container. */
function jobPods(workload: string): { namespace: string; labels: Labels; container: Container } {
  const sj = find(recorded, "kubernetes:keda.sh/v1alpha1:ScaledJob", `${workload}-scaler`).inputs;
  return {
    namespace: at(sj, "metadata", "namespace") as string,
    labels: at(sj, "spec", "jobTargetRef", "template", "metadata", "labels") as Labels,
    container: at(sj, "spec", "jobTargetRef", "template", "spec", "containers", 0) as Container,
  };
}
const argAfter = (argv: readonly string[], flag: string) => argv[argv.indexOf(flag) + 1];

describe("the prod program's batch metrics", () => {
  it("prod is all batch", () => {
    expect(config.workloads.length).toBeGreaterThan(0);
    expect(config.workloads.every((w) => w.tier === "batch")).toBe(true);
  });

  it("every workload gets a valid PodMonitor selecting exactly its job pods, on the port its runner serves metrics on", async () => {
    const podTemplates = [
      ...ofType(recorded, "kubernetes:keda.sh/v1alpha1:ScaledJob").map((r) => ({ name: r.name, namespace: at(r.inputs, "metadata", "namespace"), labels: at(r.inputs, "spec", "jobTargetRef", "template", "metadata", "labels") as Labels })),
      ...ofType(recorded, "kubernetes:apps/v1:Deployment").map((r) => ({ name: r.name, namespace: at(r.inputs, "metadata", "namespace"), labels: at(r.inputs, "spec", "template", "metadata", "labels") as Labels })),
    ];
    for (const w of config.workloads) {
      const pods = jobPods(w.name);
      const pm = find(recorded, "kubernetes:monitoring.coreos.com/v1:PodMonitor", `${w.name}-metrics`).inputs;
      await validateKubernetesObject("monitoring.coreos.com/v1", "PodMonitor", pm);
      // A PodMonitor without a namespaceSelector looks in its own namespace only.
      expect(at(pm, "metadata", "namespace"), w.name).toBe(pods.namespace);
      expect(at(pm, "spec", "namespaceSelector"), w.name).toBeUndefined();
      const matchLabels = at(pm, "spec", "selector", "matchLabels") as Labels;
      const matching = podTemplates.filter((t) => t.namespace === pods.namespace && selects(matchLabels, t.labels)).map((t) => t.name);
      expect(matching, w.name).toEqual([`${w.name}-scaler`]);
      const endpoint = at(pm, "spec", "podMetricsEndpoints", 0) as { port: string };
      const port = pods.container.ports?.find((p) => p.name === endpoint.port);
      expect(port, w.name).toBeDefined();
      expect(pods.container.command, w.name).toContain("--enable-metrics");
      expect(argAfter(pods.container.command, "--port"), w.name).toBe(String(port!.containerPort));
    }
  });

  it("the tenant's NetworkPolicies admit the monitoring namespace's Prometheus to that port (ingress is denied by default)", () => {
    // kube-prometheus-stack's release; prometheus-operator labels the Prometheus pods `app.kubernetes.io/name: prometheus`.
    const prometheus = find(recorded, "kubernetes:helm.sh/v3:Release", `${config.cluster.name}-prometheus`).inputs;
    for (const w of config.workloads) {
      const pods = jobPods(w.name);
      const port = pods.container.ports!.find((p) => p.name === "metrics")!.containerPort;
      const policies = ofType(recorded, "kubernetes:networking.k8s.io/v1:NetworkPolicy").filter(
        (r) => at(r.inputs, "metadata", "namespace") === pods.namespace && selects(at(r.inputs, "spec", "podSelector", "matchLabels") as Labels | undefined, pods.labels),
      );
      expect(policies.some((r) => at(r.inputs, "metadata", "name") === "default-deny" && (at(r.inputs, "spec", "policyTypes") as string[]).includes("Ingress")), w.name).toBe(true);
      const admitsPrometheus = policies.some((r) =>
        ((at(r.inputs, "spec", "ingress") as { from?: NetworkPolicyPeer[]; ports?: { protocol: string; port: number }[] }[] | undefined) ?? []).some(
          (rule) =>
            (rule.ports ?? []).some((p) => p.protocol === "TCP" && p.port === port) &&
            (rule.from ?? []).some(
              (peer) =>
                peer.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === prometheus.namespace &&
                selects(peer.podSelector?.matchLabels, { "app.kubernetes.io/name": "prometheus" }),
            ),
        ),
      );
      expect(admitsPrometheus, w.name).toBe(true);
    }
  });

  it("every workload's live rules select the series those scrapes carry: job, namespace and model_name of its runner, pods of its Jobs", () => {
    const rule = find(recorded, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", `${config.cluster.name}-live-economics`);
    const groups = (rule.inputs.spec as { groups: RuleGroup[] }).groups;
    for (const w of config.workloads) {
      const pods = jobPods(w.name);
      const pm = find(recorded, "kubernetes:monitoring.coreos.com/v1:PodMonitor", `${w.name}-metrics`).inputs;
      const relabelings = at(pm, "spec", "podMetricsEndpoints", 0, "relabelings") as { sourceLabels?: string[]; targetLabel: string; replacement?: string }[];
      const job = relabelings.find((r) => r.targetLabel === "job")!.replacement;
      expect(relabelings.find((r) => r.targetLabel === "namespace")?.sourceLabels, w.name).toEqual(["__meta_kubernetes_namespace"]);
      // What a scraped token series carries: the PodMonitor's job and the pod's namespace; vLLM's model_name is --served-model-name.
      const scraped = { job, namespace: pods.namespace, model_name: argAfter(pods.container.command, "--served-model-name") };

      const group = groups.find((g) => g.name === `gpu-inference.live.${w.name}`)!;
      const tokens = group.rules.find((r): r is RecordingRule => "record" in r && r.record === LIVE_SERIES.tokensServed)!;
      for (const metric of ["vllm:prompt_tokens_total", "vllm:generation_tokens_total"]) {
        const matchers = new RegExp(`${metric}\\{([^}]*)\\}`).exec(tokens.expr)?.[1];
        expect(matchers, `${w.name} ${metric}`).toBeDefined();
        const wanted = Object.fromEntries([...matchers!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
        expect(wanted, `${w.name} ${metric}`).toEqual(scraped);
      }
      // GPUs billed count the Jobs' pods: KEDA names a Job `<ScaledJob>-<5 chars>`, the Job controller its pod `<Job>-<5 chars>`.
      const billed = group.rules.find((r): r is RecordingRule => "record" in r && r.record === LIVE_SERIES.gpusBilled)!;
      const podPattern = /pod=~"([^"]+)"/.exec(billed.expr)![1]!;
      const sjName = at(find(recorded, "kubernetes:keda.sh/v1alpha1:ScaledJob", `${w.name}-scaler`).inputs, "metadata", "name") as string;
      expect(new RegExp(`^(?:${podPattern})$`).test(`${sjName}-x7k2p-9qz4m`), w.name).toBe(true);
      expect(new RegExp(`^(?:${podPattern})$`).test(`${sjName}-v2-x7k2p-9qz4m`), w.name).toBe(false);
    }
  });

  it("every workload's break-even alert holds it to the break-even of the evaluation the gate runs", () => {
    const evaluation = evaluateStack(withResolvedEconomics(config, STACK_FILE).config, "prod", { cheapestShape: false });
    const rule = find(recorded, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", `${config.cluster.name}-live-economics`);
    const groups = (rule.inputs.spec as { groups: RuleGroup[] }).groups;
    for (const w of config.workloads) {
      const e = evaluation.workloads.find((x) => x.name === w.name)!;
      expect(e.breakEvenUtilization, w.name).not.toBeNull();
      const alert = groups.find((g) => g.name === `gpu-inference.live.${w.name}`)!.rules.find((r): r is AlertingRule => "alert" in r && r.alert === LIVE_ALERTS.belowBreakEven);
      expect(alert?.expr, w.name).toBe(`${LIVE_SERIES.utilizationWindow}{workload="${w.name}"} < ${e.breakEvenUtilization}`);
      expect(alert?.labels.tier, w.name).toBe("batch");
    }
  });
});
