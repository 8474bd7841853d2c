/**
 * NAT egress of weight downloads, one figure two ways: with the dev stack's workloads all on the hub
 * (`serving.weightsSource: hub`), the gate reads each engine's weights source back from the pod spec the
 * program emits and the region from its AWS provider, and charges exactly the NAT line `npm run cost`
 * charges; its `hub-downloads` advisory quotes that figure. (The shipped dev stack stages its batch
 * workloads in S3, so there the line is $0 on both sides: break-even-consistency.test.ts.)
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadStackConfigFile, type StackConfig } from "../../infra/config";
import { withResolvedEconomics } from "../../infra/economics-source";
import { engineConfigOf } from "../../infra/plan/run-program";
import { stackContext, workloadFacts } from "../../infra/stack-economics";
import { evaluateWorkloads } from "../../policies/economics/evaluate";
import { economicsConfigSchema } from "../../policies/economics/schema";
import { inferenceBreakEven } from "../../policies/rules/inference-break-even";
import { gpuWorkloadsOf } from "../../policies/rules/internal/kubernetes";
import { runRule } from "../../policies/rules/internal/rule";
import { stackViewOf, type StackView } from "../../policies/rules/internal/stack";
import { gateStackContext, workloadFactsOf } from "../../policies/rules/internal/workload-facts";
import { DEV_STACK_FILE, REPO_ROOT } from "../fixtures/stack-files";
import { installPulumiMocks, type RecordedResource } from "../helpers/pulumi-mocks";

/** The workloads with every one's weights from the hub. */
function onTheHub<W extends { readonly serving: object }>(workloads: readonly W[]): W[] {
  return workloads.map((w) => ({ ...w, serving: { ...w.serving, weightsSource: "hub" as const } }));
}

let cli: StackConfig;
let view: StackView;
let recorded: RecordedResource[];

beforeAll(async () => {
  cli = withResolvedEconomics(loadStackConfigFile(DEV_STACK_FILE), DEV_STACK_FILE, { projectDir: REPO_ROOT }).config;
  cli = { ...cli, workloads: onTheHub(cli.workloads) };
  const { config, secretKeys } = engineConfigOf(DEV_STACK_FILE);
  const engineConfig = { ...config, "gpu-inference:workloads": onTheHub(config["gpu-inference:workloads"] as { serving: object }[]) };
  recorded = installPulumiMocks({ config: engineConfig, secretKeys, stack: "dev" });
  await import("../../infra/index.js");
  await pulumi.runtime.disconnect();
  view = stackViewOf(recorded.map((r) => ({ urn: r.urn ?? r.name, type: r.type, name: r.name, props: r.inputs, ...(r.parent !== undefined ? { parent: { urn: r.parent } } : {}) })));
});

describe("NAT egress: the gate and npm run cost agree", () => {
  it("reads hub weights from every engine's pod spec, and charges the CLI's NAT line to the cent", () => {
    const policyConfig = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policies", "config", "dev.json"), "utf8")) as { "inference-break-even": { economics: unknown } };
    const economics = economicsConfigSchema.parse(policyConfig["inference-break-even"].economics);
    const gateFacts = gpuWorkloadsOf(view).map((workload) => {
      const result = workloadFactsOf(view, workload);
      if (result.kind !== "facts") throw new Error(`${workload.resource.name}: ${JSON.stringify(result)}`);
      return result.facts;
    });
    expect(gateFacts.map((f) => f.weights?.source)).toEqual(gateFacts.map(() => "hub"));
    const gate = evaluateWorkloads(gateFacts, gateStackContext(view, economics)).workloads;
    const fromCli = evaluateWorkloads(
      gateFacts.map((f) => {
        const facts = workloadFacts(cli, cli.workloads.find((w) => w.name === f.profile.name)!);
        return { ...facts, profile: f.profile }; // the gate evaluates an interactive workload at its routed share
      }),
      stackContext(cli),
    ).workloads;
    expect(gate.map((g) => [g.name, g.ownedCostBreakdown.natEgressUsd, g.replicaStartsPerMonth, g.ownedMonthlyUsd])).toEqual(
      fromCli.map((c) => [c.name, c.ownedCostBreakdown.natEgressUsd, c.replicaStartsPerMonth, c.ownedMonthlyUsd]),
    );
    expect(gate.find((g) => g.name === "document-processing")!.ownedCostBreakdown.natEgressUsd).toBeGreaterThan(100);
  });

  it("advises staging the weights for each hub workload whose NAT line passes the threshold, quoting that line", () => {
    // The rule's own config, as the engine hands it over (the file's enforcementLevel is the engine's, not the rule's).
    const { enforcementLevel: _level, ...config } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policies", "config", "dev.json"), "utf8"))["inference-break-even"] as Record<string, unknown>;
    const result = runRule(inferenceBreakEven, recorded.map((r) => ({ urn: r.urn ?? r.name, type: r.type, name: r.name, props: r.inputs })), config);
    const advice = result.findings.filter((f) => f.check === "inference-break-even/hub-downloads");
    expect(advice.map((f) => f.message.split(" ")[1])).toContain('"document-processing-scaler"');
    expect(advice.every((f) => /: \$[\d,]+\/month of NAT data processing, in its owned cost\. Set serving\.weightsSource: s3/.test(f.message))).toBe(true);
  });
});
