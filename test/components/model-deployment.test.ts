import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { ModelDeployment, type ModelDeploymentArgs } from "../../components/model-deployment";
import { QUEUE_AUTOSCALER_DEFAULTS } from "../../components/queue-autoscaler";
import { VLLM_SERVER_DEFAULTS } from "../../components/vllm-server";
import { batchCluster, placement, servingStack, WEIGHT_GIB, workload } from "../fixtures/serving";
import { find, installPulumiMocks, ofType } from "../helpers/pulumi-mocks";

const config = servingStack();

type Obj = Record<string, unknown>;
const at = (o: unknown, ...p: (string | number)[]): unknown => p.reduce<unknown>((v, k) => (v as Obj | undefined)?.[k as string], o);

describe("ModelDeployment defaults", () => {
  it("applies every documented @default: no token, weights from the hub, default Prometheus, default clients, default service account", async () => {
    const recorded = installPulumiMocks();
    const chat = workload(config, "chat");
    const args: ModelDeploymentArgs = { config, workload: chat, weightGiB: WEIGHT_GIB, tenant: { namespace: "search" }, placement };
    new ModelDeployment("chat", args);
    await pulumi.runtime.disconnect();
    expect(ofType(recorded, "kubernetes:core/v1:Secret")).toEqual([]);
    const dep = find(recorded, "kubernetes:apps/v1:Deployment", "chat").inputs;
    expect(at(dep, "spec", "template", "spec", "containers", 0, "args", 0)).toBe("meta-llama/Llama-3.1-8B-Instruct");
    expect(at(dep, "spec", "template", "spec", "serviceAccountName")).toBeUndefined();
    const env = at(dep, "spec", "template", "spec", "containers", 0, "env") as { name: string }[];
    expect(env.map((e) => e.name)).not.toContain("HF_TOKEN");
    const so = find(recorded, "kubernetes:keda.sh/v1alpha1:ScaledObject", "chat-scaler").inputs;
    expect(at(so, "spec", "triggers", 0, "metadata", "serverAddress")).toBe(QUEUE_AUTOSCALER_DEFAULTS.interactive.prometheusServerAddress);
    const np = find(recorded, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "chat-ingress").inputs;
    expect(at(np, "spec", "ingress", 0, "from")).toEqual(VLLM_SERVER_DEFAULTS.clients.router);
    expect(at(np, "spec", "ingress", 1, "from")).toEqual(VLLM_SERVER_DEFAULTS.clients.prometheus);
  });

  it("passes a Hugging Face token to the batch Job as a Secret reference too", async () => {
    const recorded = installPulumiMocks();
    const summaries = workload(config, "summaries");
    new ModelDeployment("summaries", {
      config,
      workload: summaries,
      weightGiB: WEIGHT_GIB,
      tenant: { namespace: "support", queueNamePrefix: "inference-dev-support-" },
      placement,
      cluster: batchCluster,
      huggingFaceToken: pulumi.secret("hf_batch_token"),
    });
    await pulumi.runtime.disconnect();
    expect(ofType(recorded, "kubernetes:core/v1:Secret").map((r) => r.name)).toEqual(["summaries-hf-token"]);
    const sj = find(recorded, "kubernetes:keda.sh/v1alpha1:ScaledJob", "summaries-scaler").inputs;
    const env = at(sj, "spec", "jobTargetRef", "template", "spec", "containers", 0, "env") as Obj[];
    expect(env.find((e) => e.name === "HF_TOKEN")).toEqual({ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "summaries-hf-token", key: "HF_TOKEN" } } });
    expect(JSON.stringify(sj)).not.toContain("hf_batch_token");
  });
});
