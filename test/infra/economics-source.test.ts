/**
 * One source of truth for the economics: the environment's policy config. A stack file that
 * disagrees is refused naming both files and the key; an unreachable queue target is refused as
 * config, naming the key and the number that would work. In-process: no CLI spawned.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadStackConfigFile, StackConfigError } from "../../infra/config";
import { resolveEconomics, withResolvedEconomics } from "../../infra/economics-source";
import { evaluateStack } from "../../infra/stack-economics";
import { DEV_STACK_FILE, REPO_ROOT, tempProject, writeStackVariant } from "../fixtures/stack-files";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A temp project with the shipped dev policy config and a dev stack variant. */
function project(edit: (doc: { config: Record<string, unknown> }) => void): { dir: string; file: string } {
  const { dir, cleanup } = tempProject();
  cleanups.push(cleanup);
  fs.mkdirSync(path.join(dir, "policies", "config"), { recursive: true });
  fs.copyFileSync(path.join(REPO_ROOT, "policies", "config", "dev.json"), path.join(dir, "policies", "config", "dev.json"));
  return { dir, file: writeStackVariant(dir, "dev", edit) };
}

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof StackConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a StackConfigError");
}

describe("economics from the policy config", () => {
  it("reads the dev stack's economics from policies/config/dev.json", () => {
    const source = resolveEconomics(loadStackConfigFile(DEV_STACK_FILE), DEV_STACK_FILE, { projectDir: REPO_ROOT });
    expect(source.file).toBe(path.join("policies", "config", "dev.json"));
    expect(source.economics.fixedMonthlyUsd).toBe(600);
    expect(source.economics.operations).toEqual({ fte: 0.5, loadedAnnualCostUsd: 220_000 });
  });

  it("refuses a stack file that sets a disagreeing value, naming both files and the key", () => {
    const { dir, file } = project((doc) => {
      doc.config["gpu-inference:economics"] = { fixedMonthlyUsd: 0, marginOfSafety: 0.15, operations: { fte: 0.1 } };
    });
    const problems = problemsOf(() => resolveEconomics(loadStackConfigFile(file), file, { projectDir: dir }));
    expect(problems).toHaveLength(2); // fixedMonthlyUsd and operations.fte; the agreeing margin is fine
    expect(problems[0]).toContain("Pulumi.dev.yaml: gpu-inference:economics.fixedMonthlyUsd: 0 disagrees with policies/config/dev.json inference-break-even.economics.fixedMonthlyUsd = 600");
    expect(problems[1]).toContain("gpu-inference:economics.operations.fte: 0.1 disagrees");
  });

  it("accepts a stack file whose economics agree with the policy config", () => {
    const { dir, file } = project((doc) => {
      doc.config["gpu-inference:economics"] = { fixedMonthlyUsd: 600 };
    });
    expect(withResolvedEconomics(loadStackConfigFile(file), file, { projectDir: dir }).config.economics.fixedMonthlyUsd).toBe(600);
  });

  it("warns when the environment has no policy config", () => {
    const { dir, cleanup } = tempProject();
    cleanups.push(cleanup);
    const file = writeStackVariant(dir, "dev", () => {});
    const source = resolveEconomics(loadStackConfigFile(file), file, { projectDir: dir });
    expect(source.file).toBeNull();
    expect(source.warnings[0]).toContain("no policy config policies/config/dev.json");
  });
});

describe("the stack check's waivers", () => {
  /** The dev stack with support-chat's target owned share set (its waiver was granted for 10 %). */
  function stackCheckAt(targetOwnedPercent: number) {
    const { dir, file } = project((doc) => {
      const workloads = doc.config["gpu-inference:workloads"] as { name: string; rollout: { targetOwnedPercent: number } }[];
      workloads.find((w) => w.name === "support-chat")!.rollout.targetOwnedPercent = targetOwnedPercent;
    });
    const { config, source } = withResolvedEconomics(loadStackConfigFile(file), file, { projectDir: dir });
    return evaluateStack(config, "dev", { economicsSource: source, cheapestShape: false }).stackCheck;
  }

  it("leave out a workload its waiver covers at the share it is evaluated at, as the gate does", () => {
    expect(stackCheckAt(10).waived).toEqual(["support-chat"]);
  });

  it("do not leave out a workload evaluated above the share its waiver was granted for", () => {
    // The gate refuses support-chat at 60 % despite its 10 % pilot waiver; the CLI's stack total counts it too.
    const check = stackCheckAt(60);
    expect(check.waived).toEqual([]);
    expect(check.ownedMonthlyUsd).toBeGreaterThan(stackCheckAt(10).ownedMonthlyUsd);
  });
});

describe("an interactive queue target the autoscaler can never reach", () => {
  it("is refused as config, naming the key and the target that would work", () => {
    const { dir, file } = project((doc) => {
      const workloads = doc.config["gpu-inference:workloads"] as { serving: Record<string, unknown> }[];
      workloads[2]!.serving.targetQueueDepthPerReplica = 50;
    });
    const { config } = withResolvedEconomics(loadStackConfigFile(file), file, { projectDir: dir });
    const problems = problemsOf(() => evaluateStack(config, "dev", { cheapestShape: false, stackFile: file }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^Pulumi\.dev\.yaml: gpu-inference:workloads\[2\]\.serving\.targetQueueDepthPerReplica: 50 can never be reached .*; set it below \d+\.\d\d$/);
  });
});
