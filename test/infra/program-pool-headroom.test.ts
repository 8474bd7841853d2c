/**
 * Every shipped stack's GPU NodePools have room for a rollout at full scale: the program (infra/index.ts)
 * run under mocks with Pulumi.dev.yaml and Pulumi.prod.yaml, and the pack's gpu-scheduling rule judging
 * what it registers. A pool limit (`cluster.gpuPools[].gpuLimit`) sized for the workloads at max replicas
 * and no more leaves Karpenter no node for an interactive Deployment's surge pod: the rollout stalls.
 */
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { engineConfigOf } from "../../infra/plan/run-program";
import { gpuScheduling } from "../../policies/rules/gpu-scheduling";
import { fullScaleGpus } from "../../policies/rules/internal/full-scale";
import { gpuWorkloadsOf, selectedNodePools, TYPES } from "../../policies/rules/internal/kubernetes";
import { runRuleOnView } from "../../policies/rules/internal/rule";
import { stackViewOf, type StackView } from "../../policies/rules/internal/stack";
import { REPO_ROOT } from "../fixtures/stack-files";
import { installPulumiMocks } from "../helpers/pulumi-mocks";

async function programView(stack: "dev" | "prod"): Promise<StackView> {
  const { config, secretKeys } = engineConfigOf(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`));
  vi.resetModules();
  const recorded = installPulumiMocks({ config, secretKeys, stack });
  await import("../../infra/index.js");
  await pulumi.runtime.disconnect();
  return stackViewOf(recorded.map((r) => ({ urn: r.urn ?? r.name, type: r.type, name: r.name, props: r.inputs, ...(r.parent !== undefined ? { parent: { urn: r.parent } } : {}) })));
}

/** Per pool: its GPU limit, and the GPUs its workloads hold at max replicas plus the largest surge. */
function poolNeeds(view: StackView): Record<string, { limit: number; needed: number }> {
  const workloads = gpuWorkloadsOf(view);
  return Object.fromEntries(
    view.ofType(TYPES.nodePool).map((pool) => {
      const placed = workloads.filter((w) => {
        const selection = selectedNodePools(view, w);
        return selection.kind === "selected" && selection.pools.some((p) => p.urn === pool.urn);
      });
      const limit = Number((pool.props.spec as { limits: Record<string, string> }).limits["nvidia.com/gpu"]);
      return [(pool.props.metadata as { name: string }).name, { limit, needed: fullScaleGpus(view, placed).neededGpus }];
    }),
  );
}

describe.each([
  // dev l40s: document-processing 4 × 2 + support-chat 2 × 4 + one 4-GPU surge replica of support-chat.
  ["dev", { "l4-spot": 12, l40s: 20 }],
  // prod runs batch only: no Deployment surges.
  ["prod", { "l4-spot": 24, l40s: 16 }],
] as const)("the shipped %s stack's GPU pools", (stack, needed) => {
  let view: StackView;
  beforeAll(async () => {
    view = await programView(stack);
  });

  it("need these GPUs at full scale, rollout included", () => {
    expect(Object.fromEntries(Object.entries(poolNeeds(view)).map(([name, p]) => [name, p.needed]))).toEqual(needed);
  });

  it("each have a limit that holds them, so the pack's pool-headroom check passes", () => {
    const result = runRuleOnView(gpuScheduling, view, {});
    expect(result.findings.filter((f) => f.check === "gpu-scheduling/pool-headroom").map((f) => f.message)).toEqual([]);
    for (const [name, pool] of Object.entries(poolNeeds(view))) expect(pool.limit, name).toBeGreaterThanOrEqual(pool.needed);
  });
});
