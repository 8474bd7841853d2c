/**
 * One source of truth: the facts the break-even gate reads back from the resources the program
 * emits are the facts `npm run cost` takes from the stack config, and with the shipped policy
 * config the gate's numbers are the CLI's numbers — at the same owned share. One difference is by
 * design: an interactive workload has a route, and the gate evaluates it at the share the route
 * carries (`rollout.currentOwnedPercent`), where `npm run cost` shows the rollout's target.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { loadStackConfigFile, type StackConfig } from "../../infra/config";
import { engineConfigOf } from "../../infra/plan/run-program";
import { resolveEconomics, withResolvedEconomics } from "../../infra/economics-source";
import { stackContext, workloadFacts } from "../../infra/stack-economics";
import { evaluateWorkloads } from "../../policies/economics/evaluate";
import type { WorkloadFacts } from "../../policies/economics/types";
import { economicsConfigSchema } from "../../policies/economics/schema";
import { gpuWorkloadsOf } from "../../policies/rules/internal/kubernetes";
import { stackViewOf, type StackView } from "../../policies/rules/internal/stack";
import { clusterUsesAutoMode, gateStackContext, workloadFactsOf } from "../../policies/rules/internal/workload-facts";
import { DEV_STACK_FILE, REPO_ROOT } from "../fixtures/stack-files";
import { installPulumiMocks } from "../helpers/pulumi-mocks";

let config: StackConfig;

/** What the gate reads for a workload: the config's facts, at the routed share when the workload has a route. */
function gateFactsOf(stack: StackConfig, workload: StackConfig["workloads"][number]): WorkloadFacts {
  const facts = workloadFacts(stack, workload);
  if (workload.tier !== "interactive") return facts;
  const share = workload.rollout.currentOwnedPercent;
  return { ...facts, profile: { ...facts.profile, rollout: { currentOwnedPercent: share, targetOwnedPercent: share } } };
}
let view: StackView;

beforeAll(async () => {
  config = loadStackConfigFile(DEV_STACK_FILE);
  const { config: engineConfig, secretKeys } = engineConfigOf(DEV_STACK_FILE);
  const recorded = installPulumiMocks({ config: engineConfig, secretKeys, stack: "dev" });
  await import("../../infra/index.js");
  await pulumi.runtime.disconnect();
  view = stackViewOf(recorded.map((r) => ({ urn: r.urn ?? r.name, type: r.type, name: r.name, props: r.inputs, ...(r.parent !== undefined ? { parent: { urn: r.parent } } : {}) })));
});

describe("the gate and npm run cost agree on the dev stack", () => {
  it("reads every workload's facts back from the resources exactly as the config states them", () => {
    const fromResources = new Map(
      gpuWorkloadsOf(view).map((workload) => {
        const result = workloadFactsOf(view, workload);
        if (result.kind !== "facts") throw new Error(`${workload.resource.name}: ${JSON.stringify(result)}`);
        return [result.facts.profile.name, result.facts];
      }),
    );
    expect([...fromResources.keys()].sort()).toEqual(config.workloads.map((w) => w.name).sort());
    for (const workload of config.workloads) {
      expect(fromResources.get(workload.name), workload.name).toEqual(gateFactsOf(config, workload));
    }
  });

  it("reads its economics from the dev policy config, so the gate and the CLI report the same numbers", () => {
    const policyConfig = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policies", "config", "dev.json"), "utf8")) as { "inference-break-even": { economics: unknown } };
    const gateEconomics = economicsConfigSchema.parse(policyConfig["inference-break-even"].economics);
    const cliConfig = withResolvedEconomics(config, DEV_STACK_FILE, { projectDir: REPO_ROOT }).config;
    expect(cliConfig.economics).toEqual(gateEconomics);
    expect(clusterUsesAutoMode(view)).toBe(config.cluster.nodeProvisioning === "auto-mode");
    const gateFacts = gpuWorkloadsOf(view).map((workload) => {
      const facts = workloadFactsOf(view, workload);
      if (facts.kind !== "facts") throw new Error("facts expected");
      return facts.facts;
    });
    const gateContext = gateStackContext(view, gateEconomics);
    expect(gateContext).toEqual(stackContext(cliConfig));
    const gate = evaluateWorkloads(gateFacts, gateContext).workloads;
    const cli = evaluateWorkloads(
      gateFacts.map((f) => gateFactsOf(cliConfig, cliConfig.workloads.find((w) => w.name === f.profile.name)!)),
      stackContext(cliConfig),
    ).workloads;
    expect(gate.map((g) => [g.name, g.modeledUtilization, g.breakEvenUtilization, g.ownedMonthlyUsd, g.ownedCostBreakdown.natEgressUsd, g.apiMonthlyUsd, g.passesGate])).toEqual(
      cli.map((c) => [c.name, c.modeledUtilization, c.breakEvenUtilization, c.ownedMonthlyUsd, c.ownedCostBreakdown.natEgressUsd, c.apiMonthlyUsd, c.passesGate]),
    );
  });
});

describe("every shipped stack and its policy config", () => {
  it.each(["dev", "prod"])("Pulumi.%s.yaml takes its economics from its policy config, with no disagreeing key", (stack) => {
    const file = path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
    const source = resolveEconomics(loadStackConfigFile(file), file, { projectDir: REPO_ROOT });
    const policyConfig = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policies", "config", `${stack}.json`), "utf8")) as { "inference-break-even": { economics: unknown } };
    expect(source.file).toBe(path.join("policies", "config", `${stack}.json`));
    expect(source.economics).toEqual(economicsConfigSchema.parse(policyConfig["inference-break-even"].economics));
  });
});
