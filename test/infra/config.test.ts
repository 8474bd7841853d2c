import { describe, expect, it } from "vitest";
import { loadStackConfigFile, parseStackConfig, StackConfigError, namespaceValuesFromEngine } from "../../infra/config";
import { DEV_STACK_FILE, tempProject, writeStackVariant } from "../fixtures/stack-files";
import * as fs from "node:fs";
import * as path from "node:path";

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof StackConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a StackConfigError");
}

describe("stack config", () => {
  it("accepts the shipped dev stack with its three classic workloads", () => {
    const config = loadStackConfigFile(DEV_STACK_FILE);
    expect(config.environment).toBe("dev");
    expect(config.workloads.map((w) => [w.name, w.tier])).toEqual([
      ["ticket-classifier", "batch"],
      ["document-processing", "batch"],
      ["support-chat", "interactive"],
    ]);
  });

  it("names the stack file and the full key path of a bad value", () => {
    const { dir, cleanup } = tempProject();
    try {
      const file = writeStackVariant(dir, "bad", (doc) => {
        const workloads = doc.config["gpu-inference:workloads"] as { traffic: { requestsPerMonth: number } }[];
        workloads[1]!.traffic.requestsPerMonth = -5;
      });
      expect(problemsOf(() => loadStackConfigFile(file))).toEqual([
        "Pulumi.bad.yaml: gpu-inference:workloads[1].traffic.requestsPerMonth: expected a number of requests of at least 1",
      ]);
    } finally {
      cleanup();
    }
  });

  it("lists every problem at once", () => {
    const problems = problemsOf(() =>
      parseStackConfig(
        {
          environment: "qa",
          cluster: { name: "dev", gpuPools: [{ name: "p", instanceTypes: ["g6.xlarge"], gpuLimit: 0 }] },
          tenants: [{ name: "t", gpuQuota: 1 }],
          workloads: [],
          typo: true,
        },
        "Pulumi.x.yaml",
      ),
    );
    expect(problems).toEqual([
      "Pulumi.x.yaml: gpu-inference:environment: expected dev, staging or prod",
      "Pulumi.x.yaml: gpu-inference:cluster.gpuPools[0].gpuLimit: expected a whole number of GPUs, at least 1",
      // No public CIDRs and no way in: a private endpoint nobody can reach.
      expect.stringMatching(/^Pulumi\.x\.yaml: gpu-inference:cluster\.existingVpc: a private endpoint/),
      expect.stringMatching(/^Pulumi\.x\.yaml: gpu-inference:cluster\.endpointPrivateAccess: a private endpoint admits no one on 443/),
      // A VPC the stack creates, with no zones pinned.
      expect.stringMatching(/^Pulumi\.x\.yaml: gpu-inference:cluster\.availabilityZoneIds: required when the cluster creates its VPC/),
      'Pulumi.x.yaml: gpu-inference: unknown key "typo"; check the spelling against docs/configuration.md',
    ]);
  });

  it("refuses a workload pointing at a missing tenant or pool, and interactive scale-to-zero", () => {
    const config = loadStackConfigFile(DEV_STACK_FILE);
    const values = JSON.parse(JSON.stringify(config)) as { workloads: { tenant: string; serving: { gpuPool: string; minReplicas: number } }[] };
    values.workloads[0]!.tenant = "nobody";
    values.workloads[1]!.serving.gpuPool = "h100";
    values.workloads[2]!.serving.minReplicas = 0;
    const problems = problemsOf(() => parseStackConfig(values, "Pulumi.dev.yaml"));
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^Pulumi\.dev\.yaml: gpu-inference:workloads\[0\]\.tenant: no tenant named "nobody"/);
    expect(problems[1]).toMatch(/^Pulumi\.dev\.yaml: gpu-inference:workloads\[1\]\.serving\.gpuPool: no GPU pool named "h100"/);
    expect(problems[2]).toMatch(/^Pulumi\.dev\.yaml: gpu-inference:workloads\[2\]\.serving\.minReplicas: expected at least 1 for an interactive tier/);
  });

  it("reports invalid YAML with the file and line", () => {
    const { dir, cleanup } = tempProject();
    try {
      const file = path.join(dir, "Pulumi.broken.yaml");
      fs.writeFileSync(file, "config:\n  gpu-inference:environment: [dev\n");
      const problems = problemsOf(() => loadStackConfigFile(file));
      expect(problems[0]).toMatch(/^Pulumi\.broken\.yaml:\d+: invalid YAML/);
    } finally {
      cleanup();
    }
  });

  it("never reads a secret key from plain config, and decodes engine values", () => {
    const values = namespaceValuesFromEngine({
      "gpu-inference:environment": "dev",
      "gpu-inference:huggingFaceToken": "hf_secret_value",
      "gpu-inference:cluster": '{"name":"c"}',
      "aws:region": "us-east-1",
    });
    expect(values).toEqual({ environment: "dev", cluster: { name: "c" } });
  });

  it("refuses references the catalog cannot price or size, naming each key", () => {
    const config = loadStackConfigFile(DEV_STACK_FILE);
    const values = JSON.parse(JSON.stringify(config)) as {
      cluster: { gpuPools: { instanceTypes: string[] }[] };
      workloads: { model: { id: string }; api: { catalogId?: string }; serving: { gpusPerReplica: number } }[];
    };
    values.cluster.gpuPools[0]!.instanceTypes = ["g9.mega"];
    values.workloads[0]!.model.id = "acme/secret-model";
    values.workloads[1]!.api.catalogId = "gpt-99";
    const problems = problemsOf(() => parseStackConfig(values, "Pulumi.dev.yaml"));
    expect(problems.map((p) => p.split(": ").slice(0, 2).join(": "))).toEqual([
      "Pulumi.dev.yaml: gpu-inference:cluster.gpuPools[0].instanceTypes[0]",
      "Pulumi.dev.yaml: gpu-inference:workloads[0].model.id",
      "Pulumi.dev.yaml: gpu-inference:workloads[1].api.catalogId",
    ]);
    expect(problems[1]).toContain("add model.architecture");
  });

  it("refuses a replica wider than any instance in its pool", () => {
    const config = loadStackConfigFile(DEV_STACK_FILE);
    const values = JSON.parse(JSON.stringify(config)) as { workloads: { serving: { gpusPerReplica: number } }[] };
    values.workloads[0]!.serving.gpusPerReplica = 2; // l4-spot: g6.xlarge and g6.2xlarge carry one L4 each
    expect(problemsOf(() => parseStackConfig(values, "Pulumi.dev.yaml"))).toEqual([
      "Pulumi.dev.yaml: gpu-inference:workloads[0].serving.gpusPerReplica: pool l4-spot's largest instance has 1 GPU(s); a replica cannot span nodes, so use at most 1 or add a larger instance type",
    ]);
  });

  it('refuses a workload named "vllm" before any component sees it', () => {
    const config = loadStackConfigFile(DEV_STACK_FILE);
    const values = JSON.parse(JSON.stringify(config)) as { workloads: { name: string }[] };
    values.workloads[2]!.name = "vllm";
    expect(problemsOf(() => parseStackConfig(values, "Pulumi.dev.yaml"))).toEqual([
      'Pulumi.dev.yaml: gpu-inference:workloads[2].name: a workload may not be named "vllm": its Service would make Kubernetes inject VLLM_PORT, which vLLM rejects',
    ]);
  });

  it("reports cross-reference problems in the same run as a bad field", () => {
    const config = loadStackConfigFile(DEV_STACK_FILE);
    const values = JSON.parse(JSON.stringify(config)) as { workloads: { tenant: string; traffic: { requestsPerMonth: number } }[] };
    values.workloads[0]!.traffic.requestsPerMonth = -1; // a field error: zod skips whole-object checks
    values.workloads[1]!.tenant = "nobody"; // a reference error in a workload that parses
    expect(problemsOf(() => parseStackConfig(values, "Pulumi.dev.yaml"))).toEqual([
      "Pulumi.dev.yaml: gpu-inference:workloads[0].traffic.requestsPerMonth: expected a number of requests of at least 1",
      'Pulumi.dev.yaml: gpu-inference:workloads[1].tenant: no tenant named "nobody"; expected one of support-ops, documents, assistant',
    ]);
  });
});
