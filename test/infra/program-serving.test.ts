/**
 * The program (infra/index.ts) with the shipped dev stack under mocks: one ModelDeployment per
 * workload in its tenant's namespace, deployed bounds and GPUs equal to what `npm run cost`
 * simulates (servingPlan with the catalog's weight size), endpoints and queue URLs exported.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { loadStackConfigFile, namespaceValues } from "../../infra/config";
import { servingPlan } from "../../infra/serving-plan";
import { workloadWeightGiB } from "../../policies/economics/evaluate";
import { RULES } from "../../policies/rules/all";
import { evaluate } from "../policies/helpers";
import { validateRecordedKubernetesObjects } from "../helpers/kubernetes-schemas";
import { find, installPulumiMocks, ofType, type RecordedResource, valueOf } from "../helpers/pulumi-mocks";

const STACK_FILE = path.resolve(__dirname, "../../Pulumi.dev.yaml");
const config = loadStackConfigFile(STACK_FILE);
const values = namespaceValues(fs.readFileSync(STACK_FILE, "utf8"), "Pulumi.dev.yaml");

type Obj = Record<string, unknown>;
const at = (o: unknown, ...p: (string | number)[]): unknown => p.reduce<unknown>((v, k) => (v as Obj | undefined)?.[k as string], o);

let recorded: RecordedResource[];
let program: Record<string, unknown>;
beforeAll(async () => {
  vi.resetModules();
  recorded = installPulumiMocks({ config: Object.fromEntries([["aws:region", "us-east-1"], ...Object.entries(values).map(([k, v]) => [`gpu-inference:${k}`, v])]), stack: "dev" });
  program = (await import("../../infra/index.js")) as Record<string, unknown>;
  await pulumi.runtime.disconnect();
});

describe("the program's serving", () => {
  it("registers one ModelDeployment per configured workload", () => {
    expect(config.workloads.length).toBeGreaterThan(0);
    expect(ofType(recorded, "gpu-inference:serving:ModelDeployment").map((r) => r.name).sort()).toEqual(config.workloads.map((w) => w.name).sort());
  });

  it("deploys, per workload, the replica bounds, GPUs and queue target the cost model simulates, in the tenant's namespace and pool", () => {
    for (const w of config.workloads) {
      const { tenant: _t, serving: _s, ...profile } = w;
      const plan = servingPlan(config, w, workloadWeightGiB(profile));
      const scaler = w.tier === "interactive" ? find(recorded, "kubernetes:keda.sh/v1alpha1:ScaledObject", `${w.name}-scaler`) : find(recorded, "kubernetes:keda.sh/v1alpha1:ScaledJob", `${w.name}-scaler`);
      expect(at(scaler.inputs, "metadata", "namespace"), w.name).toBe(w.tenant);
      expect([at(scaler.inputs, "spec", "minReplicaCount"), at(scaler.inputs, "spec", "maxReplicaCount")], w.name).toEqual([plan.minReplicas, plan.maxReplicas]);
      const podSpec =
        w.tier === "interactive"
          ? at(find(recorded, "kubernetes:apps/v1:Deployment", w.name).inputs, "spec", "template", "spec")
          : at(scaler.inputs, "spec", "jobTargetRef", "template", "spec");
      expect(at(podSpec, "containers", 0, "resources", "limits", "nvidia.com/gpu"), w.name).toBe(String(plan.gpusPerReplica));
      expect(at(podSpec, "nodeSelector"), w.name).toEqual({ "gpu-inference/pool": w.serving.gpuPool });
      const target = at(scaler.inputs, "spec", "triggers", 0, "metadata", w.tier === "interactive" ? "threshold" : "queueLength");
      // Interactive: waiting requests per replica; batch: waiting files per job (the queue counts files).
      expect(target, w.name).toBe(String(w.tier === "interactive" ? plan.targetQueueDepthPerReplica : plan.batch!.filesPerJob));
    }
  });

  it("every Kubernetes object the serving components emit validates against the real schemas", async () => {
    const serving = recorded.filter((r) => r.type.startsWith("kubernetes:") && ofType(recorded, "gpu-inference:serving:ModelDeployment").some((md) => r.name.startsWith(md.name)));
    expect(serving.length).toBeGreaterThanOrEqual(4 * config.workloads.length);
    await expect(validateRecordedKubernetesObjects(serving)).resolves.toBe(serving.length);
  });

  it("exports each interactive endpoint and each batch queue URL", async () => {
    const endpoints = program.endpoints as Record<string, pulumi.Output<string>>;
    const queues = program.batchQueues as Record<string, pulumi.Output<string>>;
    expect(Object.keys(endpoints).sort()).toEqual(config.workloads.filter((w) => w.tier === "interactive").map((w) => w.name).sort());
    expect(Object.keys(queues).sort()).toEqual(config.workloads.filter((w) => w.tier === "batch").map((w) => w.name).sort());
    for (const w of config.workloads) {
      if (w.tier === "interactive") expect(await valueOf(endpoints[w.name]!)).toBe(`http://${w.name}.${w.tenant}.svc.cluster.local/v1`);
      else expect(await valueOf(queues[w.name]!)).toBe(`https://sqs.us-east-1.amazonaws.com/123456789012/${config.cluster.name}-${w.tenant}-${w.name}`);
    }
  });

  it("passes every rule of the policy pack; the one finding is the economics verdict the dev stack is built to show", () => {
    const findings = RULES.flatMap((rule) => evaluate(rule, recorded).findings.map((f) => `${f.kind} ${f.check}`));
    // support-chat: the dev stack's "API wins" example (README, cost model) is refused below break-even.
    expect(findings).toEqual(["violation inference-break-even/below-break-even"]);
  });
});
