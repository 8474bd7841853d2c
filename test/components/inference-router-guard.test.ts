/**
 * The admission guard in the vLLM pod: VllmServer with `admissionGuard` adds the sidecar (pinned
 * Node image, the script from a ConfigMap, restricted), the Service port the router's owned
 * Backend calls, ingress on it, and a scrape endpoint for the guard's metrics.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { admissionLimit } from "../../components/internal/router-admission";
import { GUARD_IMAGE, GUARD_PORT, guardScript } from "../../components/internal/router-guard-sidecar";
import { VLLM_PORT } from "../../components/internal/vllm-flags";
import { VllmServer } from "../../components/vllm-server";
import { servingPlan } from "../../infra/serving-plan";
import { GUARD_SCRAPE_JOB } from "../../policies/contract";
import { placement, profileOf, servingStack, WEIGHT_GIB, workload } from "../fixtures/serving";
import { validateRecordedKubernetesObjects } from "../helpers/kubernetes-schemas";
import { find, installPulumiMocks, ofType, type RecordedResource } from "../helpers/pulumi-mocks";

const config = servingStack();
const chat = workload(config, "chat");
const plan = servingPlan(config, chat, WEIGHT_GIB);
const limit = admissionLimit({ runningSlots: 64, requestsPerSecond: 3.2, maxQueueWaitSeconds: 2 });

async function build(withGuard: boolean): Promise<RecordedResource[]> {
  const recorded = installPulumiMocks();
  new VllmServer("chat", { namespace: "search", plan, profile: profileOf(chat), placement, weightGiB: WEIGHT_GIB, ...(withGuard ? { admissionGuard: limit } : {}) });
  await pulumi.runtime.disconnect();
  return recorded;
}

type Obj = Record<string, unknown>;
const podSpec = (recorded: RecordedResource[]) => ((find(recorded, "kubernetes:apps/v1:Deployment", "chat").inputs.spec as Obj).template as { spec: { containers: Obj[]; volumes: Obj[] } }).spec;

describe("VllmServer with the admission guard", () => {
  it("adds the sidecar in front of vLLM with the per-replica limit, the script mounted from a ConfigMap", async () => {
    const recorded = await build(true);
    const { containers, volumes } = podSpec(recorded);
    expect(containers.map((c) => c.name)).toEqual(["vllm", "admission-guard"]);
    const guard = containers[1]!;
    expect(guard.image).toBe(GUARD_IMAGE);
    expect(guard.env).toEqual([
      { name: "GUARD_WORKLOAD", value: "chat" },
      { name: "GUARD_RUNNING_SLOTS", value: "64" },
      { name: "GUARD_QUEUE_ALLOWANCE", value: "6" },
      { name: "GUARD_LISTEN_PORT", value: String(GUARD_PORT) },
      { name: "GUARD_ENGINE_PORT", value: String(VLLM_PORT) },
      { name: "NVIDIA_VISIBLE_DEVICES", value: "void" }, // no GPU limit in a GPU pod: the runtime must expose none
    ]);
    expect(guard.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    const configMap = find(recorded, "kubernetes:core/v1:ConfigMap", "chat-guard");
    expect((configMap.inputs.data as Record<string, string>)["router-guard.mjs"]).toBe(guardScript());
    expect(volumes.at(-1)).toEqual({ name: "admission-guard", configMap: { name: "chat-guard", defaultMode: 0o444 } });
  });

  it("exposes the guard on the Service, admits the router and Prometheus to it, and scrapes it", async () => {
    const recorded = await build(true);
    const ports = (find(recorded, "kubernetes:core/v1:Service", "chat-svc").inputs.spec as { ports: Obj[] }).ports;
    expect(ports).toContainEqual({ name: "admission", port: GUARD_PORT, targetPort: "admission", protocol: "TCP" });
    const ingress = (find(recorded, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "chat-ingress").inputs.spec as { ingress: { ports: Obj[] }[] }).ingress;
    for (const rule of ingress) expect(rule.ports).toContainEqual({ protocol: "TCP", port: GUARD_PORT });
    const endpoints = (find(recorded, "kubernetes:monitoring.coreos.com/v1:PodMonitor", "chat-metrics").inputs.spec as { podMetricsEndpoints: { port: string; relabelings: Obj[] }[] }).podMetricsEndpoints;
    expect(endpoints.map((e) => e.port)).toEqual(["http", "admission"]);
    expect(endpoints[1]!.relabelings).toContainEqual({ action: "replace", targetLabel: "job", replacement: GUARD_SCRAPE_JOB });
    expect(await validateRecordedKubernetesObjects(recorded.filter((r) => r.type !== "kubernetes:core/v1:Secret"))).toBeGreaterThan(0);
  });

  it("changes nothing without a guard", async () => {
    const recorded = await build(false);
    expect(podSpec(recorded).containers.map((c) => c.name)).toEqual(["vllm"]);
    expect(ofType(recorded, "kubernetes:core/v1:ConfigMap")).toEqual([]);
  });
});
