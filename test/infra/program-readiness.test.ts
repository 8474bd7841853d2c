/**
 * What `npm run plan` tells a deployer before the first real `pulumi up`: the GPU vCPU quotas at max
 * replicas (quota code and count), the way into the endpoint, the token of gated models, and the
 * placeholders a real update refuses.
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadStackConfigFile } from "../../infra/config";
import { deployReadiness, gatedWorkloads, gpuVcpuNeeds, placeholderValues } from "../../infra/deploy-readiness";
import { evaluateStack } from "../../infra/stack-economics";

const prod = loadStackConfigFile(path.resolve(__dirname, "../../Pulumi.prod.yaml"));
const dev = loadStackConfigFile(path.resolve(__dirname, "../../Pulumi.dev.yaml"));

describe("deploy readiness of the prod stack", () => {
  it("counts the GPU vCPU quotas at max replicas, by quota code (hand arithmetic)", () => {
    // l4-spot: ticket-classifier 24 replicas × 1 GPU; on g6.2xlarge (8 vCPU, 1 L4) the worst case is 24 × 8 = 192 vCPUs of spot G.
    // l40s: document-processing 8 replicas × 2 GPUs, 2 per 4-GPU node = 4 nodes; g6e.24xlarge has 96 vCPUs: 384 on-demand G.
    expect(gpuVcpuNeeds(prod)).toEqual([
      { code: "L-3819A6DF", name: "All G and VT Spot Instance Requests", vcpus: 192, pools: ["l4-spot"] },
      { code: "L-DB2E81BA", name: "Running On-Demand G and VT instances", vcpus: 384, pools: ["l40s"] },
    ]);
  });

  it("counts the instance a rolling update's surge replica launches at full scale (hand arithmetic, dev stack)", () => {
    // dev l40s: document-processing 4 × 2 GPUs = 2 nodes, support-chat 2 × 4 GPUs = 2 nodes, and support-chat rolls out
    // with one surge replica of 4 GPUs: a 5th node. g6e.24xlarge has 96 vCPUs: 480 on-demand G, within the pool's limit of 20 GPUs.
    // l4-spot: ticket-classifier (batch, no surge) 12 × 1 GPU on g6.2xlarge (8 vCPUs): 96 spot G.
    expect(gpuVcpuNeeds(dev)).toEqual([
      { code: "L-3819A6DF", name: "All G and VT Spot Instance Requests", vcpus: 96, pools: ["l4-spot"] },
      { code: "L-DB2E81BA", name: "Running On-Demand G and VT instances", vcpus: 480, pools: ["l40s"] },
    ]);
  });

  it("says the way in, the token and each placeholder a real pulumi up refuses", () => {
    const items = deployReadiness(prod, { huggingFaceTokenSet: false });
    const text = items.map((i) => `${i.topic}: ${i.message}`).join("\n");
    expect(text).toMatch(/quota: EC2 quota L-3819A6DF .* must allow 192 vCPUs/);
    expect(text).toMatch(/way in: the API endpoint is private in vpc-00000000000000000: run pulumi up from 10\.255\.0\.0\/16/);
    expect(text).toMatch(/token: gated models \(ticket-classifier\) need a Hugging Face token/);
    expect(placeholderValues(prod).map((p) => p.path)).toEqual([
      "cluster.existingVpc.vpcId",
      "cluster.existingVpc.privateSubnetIds[0]",
      "cluster.existingVpc.privateSubnetIds[1]",
      "cluster.adminRoleArns[0]",
    ]);
    expect(items.every((i) => !/NaN|Infinity|undefined/.test(i.message))).toBe(true);
  });

  it("says what the cost model charges for weights downloaded through the NAT, per workload from the hub", () => {
    const hubDev = { ...dev, workloads: dev.workloads.map((w) => (w.name === "document-processing" ? { ...w, serving: { ...w.serving, weightsSource: "hub" as const } } : w)) };
    const cost = evaluateStack(hubDev, "dev", { cheapestShape: false });
    const egress = deployReadiness(hubDev, { huggingFaceTokenSet: true, cost }).filter((i) => i.topic === "egress");
    const chat = cost.workloads.find((w) => w.name === "document-processing")!;
    expect(chat.ownedCostBreakdown.natEgressUsd).toBeGreaterThan(0);
    const line = egress.find((i) => i.message.startsWith("document-processing "))!.message;
    // Qwen2.5-32B served FP8 downloads its BF16 checkpoint: 32.76 B parameters × 2 bytes ≈ 66 GB, × $0.045/GB ≈ $2.95.
    expect(line).toMatch(/downloads 66 GB of weights per cold start .* \(\$2\.95 of NAT processing each at \$0\.045\/GB in us-east-1\)/);
    expect(line).toContain(`charges ${Math.round(chat.replicaStartsPerMonth).toLocaleString("en-US")} modeled replica starts a month: $${Math.round(chat.ownedCostBreakdown.natEgressUsd).toLocaleString("en-US")}/month, in its owned cost`);
    expect(egress.every((i) => !/not in the cost model/.test(i.message))).toBe(true);
    // The shipped dev stack stages its batch workloads' weights in S3: only the hub one is listed.
    const shipped = deployReadiness(dev, { huggingFaceTokenSet: true, cost: evaluateStack(dev, "dev", { cheapestShape: false }) }).filter((i) => i.topic === "egress");
    expect(shipped.filter((i) => i.message.includes("from the Hugging Face hub")).map((i) => i.message.split(" ")[0])).toEqual(["support-chat"]);
    // The staged ones say what staging costs once and how long the first pulumi up waits for it.
    const staged = shipped.find((i) => i.message.startsWith("document-processing "))!.message;
    expect(staged).toMatch(/stages its 66 GB checkpoint \(Qwen\/Qwen2\.5-32B-Instruct@main\) once through the NAT \(\$2\.95\), then streams it through the S3 gateway endpoint; the first pulumi up waits up to 1637 s for the staging Job/);
  });

  it("finds the dev stack's documentation CIDR and example account, and its gated models", () => {
    expect(placeholderValues(dev).map((p) => p.what)).toEqual(["a documentation CIDR (RFC 5737)", "the example AWS account 123456789012"]);
    expect(gatedWorkloads(dev).sort()).toEqual(["support-chat", "ticket-classifier"]);
  });
});
