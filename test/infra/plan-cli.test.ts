/**
 * `npm run plan` end to end, as a pull request runs it: a child process, real stack and policy
 * config files in a temp dir, the policy pack in its real analyzer process.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { namespaceValues } from "../../infra/config";
import { eksVersionWarning } from "../../policies/eks-versions";
import { REPO_ROOT, tempProject, writeStackVariant } from "../fixtures/stack-files";

/** The product entrypoint `npm run <command>` calls. */
const LAUNCHER = path.join(REPO_ROOT, "bin", "gpu-inference.js");
const DEV_POLICY_CONFIG = path.join(REPO_ROOT, "policies", "config", "dev.json");
const PROD_POLICY_CONFIG = path.join(REPO_ROOT, "policies", "config", "prod.json");

function plan(args: string[], cwd = REPO_ROOT) {
  const run = spawnSync(process.execPath, [LAUNCHER, "plan", ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 180_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

interface PlanJson {
  stack: string;
  passed: boolean;
  resources: { type: string; name: string; parent: string | null }[];
  diagnostics: { policy: string; enforcement: string; urn: string | null; message: string }[];
  cost: {
    workloads: { name: string; verdict: string; passesGate: boolean; ownedMonthlyUsd: number; apiMonthlyUsd: number }[];
    economicsFile: string | null;
    stackCheck: { passes: boolean; waived: string[]; ownedMonthlyUsd: number; apiMonthlyUsd: number };
  };
}

const project = tempProject();
afterAll(() => project.cleanup());

describe("npm run plan", () => {
  it("passes the dev stack: resources by component, the waived refusal as an advisory, the same cost as npm run cost", () => {
    const run = plan(["--stack", "dev", "--format", "json"]);
    // Piped: no progress display. The one thing on stderr is the version warning, once the dev stack's Kubernetes
    // version is within 60 days of its end of standard support (the pack's dated table decides, on the real day).
    const devFile = path.join(REPO_ROOT, "Pulumi.dev.yaml");
    const devVersion = (namespaceValues(fs.readFileSync(devFile, "utf8"), devFile).cluster as { kubernetesVersion: string }).kubernetesVersion;
    const versionWarning = eksVersionWarning(devVersion, new Date());
    if (versionWarning === undefined) expect(run.stderr).toBe("");
    else expect(run.stderr.trim().split("\n")).toEqual([expect.stringContaining(versionWarning)]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as PlanJson;
    expect(report.stack).toBe("dev");
    expect(report.passed).toBe(true);
    const types = new Set(report.resources.map((r) => r.type));
    for (const type of ["aws:eks/cluster:Cluster", "kubernetes:apps/v1:Deployment", "kubernetes:keda.sh/v1alpha1:ScaledObject", "kubernetes:keda.sh/v1alpha1:ScaledJob", "kubernetes:karpenter.sh/v1:NodePool"]) {
      expect(types).toContain(type);
    }
    const cluster = report.resources.find((r) => r.type === "aws:eks/cluster:Cluster")!;
    expect(cluster.parent).toMatch(/GpuCluster::gpu-inference-dev$/);
    const waived = report.diagnostics.filter((d) => d.policy === "inference-break-even");
    expect(waived).toHaveLength(1);
    expect(waived[0]!.enforcement).toBe("advisory");
    expect(waived[0]!.message).toContain('workload "support-chat"');
    expect(waived[0]!.message).toContain("Waived until 2027-03-31");
    expect(report.diagnostics.every((d) => d.enforcement !== "mandatory")).toBe(true);

    const cost = spawnSync(process.execPath, [LAUNCHER, "cost", "--stack", "dev", "--format", "json"], { cwd: REPO_ROOT, encoding: "utf8" });
    const costReport = JSON.parse(cost.stdout) as PlanJson["cost"];
    expect(report.cost.workloads.map((w) => [w.name, w.verdict, w.ownedMonthlyUsd])).toEqual(costReport.workloads.map((w) => [w.name, w.verdict, w.ownedMonthlyUsd]));
    // The plan's economics come from the policy config, and its stack check leaves out the waived pilot, as the gate does.
    expect(report.cost.economicsFile).toBe(path.join("policies", "config", "dev.json"));
    expect(report.cost.stackCheck).toEqual(costReport.stackCheck);
    expect(report.cost.stackCheck).toMatchObject({ passes: true, waived: ["support-chat"] });
  });

  it("passes the prod stack under prod.json, where every policy is mandatory", () => {
    const run = plan(["--stack", "prod", "--format", "json"]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as PlanJson;
    expect(report.passed).toBe(true);
    expect(report.diagnostics.filter((d) => d.enforcement === "mandatory")).toEqual([]);
    expect(report.cost.workloads.every((w) => w.passesGate)).toBe(true);
  });

  it("refuses with exit 1 when a workload falls below break-even under mandatory enforcement, naming it and both costs", () => {
    // The prod policy config: mandatory everywhere and no waivers.
    const file = writeStackVariant(project.dir, "pilot", (doc) => {
      const workloads = doc.config["gpu-inference:workloads"] as { name: string }[];
      doc.config["gpu-inference:workloads"] = workloads.filter((w) => w.name === "support-chat");
    });
    const run = plan(["--config", file, "--policy-config", PROD_POLICY_CONFIG, "--format", "markdown"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^### ❌ Plan for stack `pilot` — REFUSED: \d+ mandatory violation/);
    // The reason leads the comment, before the tables a reviewer may not open.
    const reasons = run.stdout.slice(run.stdout.indexOf("**Refused because:**"), run.stdout.indexOf("<details>"));
    expect(reasons).toMatch(/^\*\*Refused because:\*\*\n\n- `inference-break-even` on Deployment support-chat: .*workload "support-chat"/m);
    const row = run.stdout.split("\n").find((line) => line.startsWith("| `inference-break-even` | **mandatory** |"));
    expect(row).toBeDefined();
    expect(row).toContain('workload "support-chat"');
    expect(row).toMatch(/Owning costs \$[\d,]+\/month against \$[\d,]+\/month on the API/);
    expect(run.stdout).toContain("### Inference economics — stack `pilot`");
  });

  it("exits 2 on an invalid stack, naming the file and key, before running anything", () => {
    const file = writeStackVariant(project.dir, "broken", (doc) => {
      (doc.config["gpu-inference:cluster"] as { gpuPools: { gpuLimit: number }[] }).gpuPools[0]!.gpuLimit = 0;
    });
    const run = plan(["--config", file, "--policy-config", DEV_POLICY_CONFIG]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Pulumi.broken.yaml: gpu-inference:cluster.gpuPools[0].gpuLimit: expected a whole number of GPUs, at least 1");
    expect(run.stdout).toBe("");
  });

  it("exits 2 on a --base git does not know, before the slow stages, naming the ref and the fix", () => {
    const run = plan(["--stack", "dev", "--base", "no-such-branch-xyz"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: --base no-such-branch-xyz: not a commit in this repository (fetch it first, e.g. `git fetch origin no-such-branch-xyz`)");
    expect(run.stdout).toBe("");
  });

  it("exits 2 on an unreadable policy config", () => {
    fs.writeFileSync(path.join(project.dir, "bad.json"), "{ not json");
    const run = plan(["--stack", "dev", "--policy-config", path.join(project.dir, "bad.json")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/bad\.json: not valid JSON/); // the economics are read from it first (infra/economics-source.ts)
  });
});
