/**
 * The pack's contract on preview-time unknowns, as properties over the compliant stack: replacing
 * any subset of its values by unknowns yields no violation (only "cannot verify" advisories naming a
 * declared check and the property), and an unknown never hides what the known values show.
 * In-process through the same proxy `@pulumi/policy` hands policies; `analyzer.test.ts` runs a
 * sample of the same cases through the real analyzer process, and the secret property there.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UNKNOWN } from "../../infra/policy/analyzer";
import type { RegisteredResource } from "../../infra/policy/resources";
import { RULES } from "../../policies/rules/all";
import { gpuScheduling } from "../../policies/rules/gpu-scheduling";
import { inferenceBreakEven } from "../../policies/rules/inference-break-even";
import { podSandboxing } from "../../policies/rules/pod-sandboxing";
import { compliantStack, inputsOf, setPath } from "../fixtures/resources/compliant-stack";
import { PASSING_CONFIGS, replaced, valuePaths, type ValuePath } from "../fixtures/resources/mutations";
import { evaluate, evaluateAll, unverified, violated } from "./helpers";

const describePath = (stack: readonly RegisteredResource[], [index, ...keys]: ValuePath) => `${stack[index]?.type} ${stack[index]?.name}: ${keys.join(".")}`;

const PATHS = valuePaths(compliantStack());
const NON_ECONOMIC = RULES.filter((rule) => rule.name !== inferenceBreakEven.name);

describe("unknown values at preview", () => {
  it("the compliant stack has enough values to make the property mean something", () => {
    expect(PATHS.length).toBeGreaterThan(300);
  });

  it("no value of the compliant stack, replaced alone by an unknown, gives a violation (every rule but the gate)", () => {
    const refused: string[] = [];
    for (const path of PATHS) {
      const results = evaluateAll(NON_ECONOMIC, replaced(compliantStack(), [path], () => UNKNOWN), PASSING_CONFIGS);
      for (const result of results) {
        for (const finding of result.findings) {
          if (finding.kind !== "unverified") refused.push(`${describePath(compliantStack(), path)} → ${finding.kind} ${finding.check}`);
          else if (finding.check.endsWith("/*")) refused.push(`${describePath(compliantStack(), path)} → read outside a check: ${finding.message}`);
        }
      }
    }
    expect(refused).toEqual([]);
  });

  it("any subset of the compliant stack's values replaced by unknowns gives no violation, only advisories naming a declared check and the property", () => {
    fc.assert(
      fc.property(fc.subarray(PATHS, { minLength: 2, maxLength: 25 }), (paths) => {
        const results = evaluateAll(NON_ECONOMIC, replaced(compliantStack(), paths, () => UNKNOWN), PASSING_CONFIGS);
        results.forEach((result, i) => {
          const rule = NON_ECONOMIC[i]!;
          for (const finding of result.findings) {
            expect(finding.kind, `${finding.check}: ${finding.message}`).toBe("unverified");
            expect(Object.keys(rule.checks).map((c) => `${rule.name}/${c}`)).toContain(finding.check);
            expect(finding.message).toMatch(/^cannot verify during preview: .+ reads `[^`]+`/);
          }
        });
      }),
      { seed: 9, numRuns: 200 },
    );
  });

  it("the break-even gate: unknowns among the GPU workloads' facts give no violation", () => {
    const factTypes = new Set(["kubernetes:apps/v1:Deployment", "kubernetes:keda.sh/v1alpha1:ScaledObject", "kubernetes:keda.sh/v1alpha1:ScaledJob", "kubernetes:karpenter.sh/v1:NodePool", "aws:eks/cluster:Cluster"]);
    const stack = compliantStack();
    const factPaths = PATHS.filter(([index]) => factTypes.has(stack[index]!.type));
    fc.assert(
      fc.property(fc.subarray(factPaths, { minLength: 1, maxLength: 6 }), (paths) => {
        const result = evaluate(inferenceBreakEven, replaced(compliantStack(), paths, () => UNKNOWN), PASSING_CONFIGS["inference-break-even"]);
        expect(result.findings.filter((f) => f.kind !== "unverified").map((f) => `${f.check}: ${f.message}`)).toEqual([]);
      }),
      { seed: 9, numRuns: 25 },
    );
  });

  describe("unknown never means compliant", () => {
    const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

    it("an unknown pod template does not turn a GPU Deployment into a CPU one: every GPU check says it cannot verify", () => {
      const stack = compliantStack();
      setPath(inputsOf(stack, DEPLOYMENT, "chat"), ["spec", "template"], UNKNOWN);
      const result = evaluate(gpuScheduling, stack);
      expect(violated(result)).toEqual([]);
      const onChat = result.findings.filter((f) => f.urn.endsWith("Deployment::chat"));
      expect(new Set(onChat.map((f) => f.check))).toEqual(
        new Set(["gpu-limits", "gpu-toleration", "pool-selector", "shared-memory", "tensor-parallel", "gpu-less-sidecar", "startup-probe", "disruption-budget", "node-disk"].map((c) => `gpu-scheduling/${c}`)),
      );
      expect(onChat.every((f) => f.kind === "unverified" && f.message.includes("`spec.template`"))).toBe(true);
      // Nor does its pool count it out: the pool's headroom cannot be verified either.
      expect(result.findings.filter((f) => f.urn.endsWith("NodePool::l40s")).map((f) => `${f.kind} ${f.check}`)).toEqual(["unverified gpu-scheduling/pool-headroom"]);
      // The gate does not skip it either.
      expect(unverified(evaluate(inferenceBreakEven, stack, { today: "2026-11-27" }))).toEqual(["inference-break-even/economics-unknown"]);
    });

    it("an unknown volume list does not hide a hostPath: cannot verify, never a pass", () => {
      const stack = compliantStack();
      setPath(inputsOf(stack, DEPLOYMENT, "chat"), ["spec", "template", "spec", "volumes"], UNKNOWN);
      const result = evaluate(podSandboxing, stack);
      expect(violated(result)).toEqual([]);
      expect(unverified(result)).toEqual(["pod-sandboxing/host-path"]);
    });

    it("a known violation still shows next to an unknown", () => {
      const stack = compliantStack();
      const pod = inputsOf(stack, DEPLOYMENT, "chat");
      setPath(pod, ["spec", "template", "spec", "volumes", 0], UNKNOWN);
      setPath(pod, ["spec", "template", "spec", "hostNetwork"], true);
      const result = evaluate(podSandboxing, stack);
      expect(violated(result)).toEqual(["pod-sandboxing/host-namespaces"]);
    });
  });

  describe("the listed false refusals are advisories", () => {
    const cases: readonly [string, (stack: RegisteredResource[]) => void, string][] = [
      ["unknown provider defaultTags", (s) => setPath(inputsOf(s, "pulumi:providers:aws", "aws"), ["defaultTags"], UNKNOWN), "cost-allocation-tags/aws-tags"],
      ["an unknown volume list", (s) => setPath(inputsOf(s, "kubernetes:apps/v1:Deployment", "chat"), ["spec", "template", "spec", "volumes"], UNKNOWN), "pod-sandboxing/host-path"],
      ["an unknown namespace", (s) => setPath(inputsOf(s, "kubernetes:apps/v1:Deployment", "chat"), ["metadata", "namespace"], UNKNOWN), "queue-depth-autoscaling/keda-scaled"],
      ["unknown template labels", (s) => setPath(inputsOf(s, "kubernetes:apps/v1:Deployment", "chat"), ["spec", "template", "metadata", "labels"], UNKNOWN), "cost-allocation-tags/kubernetes-labels"],
      ["an unknown trigger type", (s) => setPath(inputsOf(s, "kubernetes:keda.sh/v1alpha1:ScaledObject", "chat-scaler"), ["spec", "triggers", 0, "type"], UNKNOWN), "queue-depth-autoscaling/queue-trigger"],
      ["unknown NodePool labels", (s) => setPath(inputsOf(s, "kubernetes:karpenter.sh/v1:NodePool", "l40s"), ["spec", "template", "metadata", "labels"], UNKNOWN), "inference-break-even/economics-unknown"],
    ];
    it.each(cases)("%s", (_what, change, check) => {
      const stack = compliantStack();
      change(stack);
      const results = evaluateAll(RULES, stack, PASSING_CONFIGS);
      expect(results.flatMap((r) => r.findings.filter((f) => f.kind !== "unverified").map((f) => f.check))).toEqual([]);
      expect(results.flatMap((r) => r.findings.map((f) => f.check))).toContain(check);
    });
  });
});
