/**
 * The policy pack in its real analyzer process: `@pulumi/pulumi/cmd/run-policy-pack`, spoken to
 * over Pulumi's gRPC analyzer protocol with the stubs `@pulumi/pulumi` ships, fed resources encoded
 * as the engine encodes them (unknowns, secrets), configured per stack through Configure.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import fc from "fast-check";
import * as analyzerpb from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { namespaceValues } from "../../infra/config";
import {
  blockingDiagnostics,
  openPolicyPack,
  reconcilePolicyConfig,
  runPolicyPack,
  SECRET_SIG,
  SIG_KEY,
  UNKNOWN,
  type AnalyzerRun,
  type PolicyConfigFile,
  type PolicyPackSession,
} from "../../infra/policy/analyzer";
import { toAnalyzerResources, type RegisteredResource } from "../../infra/policy/resources";
import { eksVersionSupport } from "../../policies/eks-versions";
import { RULES } from "../../policies/rules/all";
import { toPolicy } from "../../policies/rules/internal/rule";
import { routedStack } from "../fixtures/resources/router-stack";
import { compliantStack, inputsOf, SECRET_TOKEN, setPath, STACK, without } from "../fixtures/resources/compliant-stack";
import { replaced, valuePaths } from "../fixtures/resources/mutations";
import { UNKNOWN_VARIANTS, VARIANTS, VERSION_DAY } from "../fixtures/resources/variants";
import { installPulumiMocks } from "../helpers/pulumi-mocks";

const ROOT = path.resolve(__dirname, "../..");
const readConfig = (name: string) => JSON.parse(fs.readFileSync(path.join(ROOT, "policies/config", name), "utf8")) as PolicyConfigFile;
/**
 * The shipped policy configs, judged on a fixed day: the pack's EKS table is dated, and the fixtures run its
 * newest version, which draws an advisory 60 days before its end of standard support. `cluster-hardening`'s
 * `today` pins the day, so these tests do not break with the calendar (the table's own dates are tested in
 * test/components/eks-versions.test.ts).
 */
const onVersionDay = (config: PolicyConfigFile): PolicyConfigFile => ({ ...config, "cluster-hardening": { today: VERSION_DAY } });
const PROD = onVersionDay(readConfig("prod.json"));
const DEV = onVersionDay(readConfig("dev.json"));
/** The fixtures carry a placeholder workload profile: the economics gate has its own tests. */

let session: PolicyPackSession;
beforeAll(async () => {
  session = await openPolicyPack();
}, 120_000);
afterAll(async () => {
  await session?.close();
});

/** As `npm run plan` sends a stack: AnalyzeStack only (the per-resource calls are compared with it below). */
const analyze = (stack: readonly RegisteredResource[], policyConfig: PolicyConfigFile) =>
  session.analyze({ stack: STACK, resources: toAnalyzerResources(stack, { stack: STACK }), policyConfig, analyzeEachResource: false });
const checkOf = (message: string) => /\[([a-z-]+\/[a-z-]+)\]/.exec(message)?.[1];

describe("the policy pack in its analyzer process", () => {
  it("starts from the pack directory and describes every rule", async () => {
    const run = await analyze([], {});
    expect(run.pack.name).toBe("gpu-inference");
    expect(run.pack.version).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, "policies/package.json"), "utf8")).version);
    const names = run.pack.policies.map((p) => p.name);
    for (const rule of RULES) {
      const info = run.pack.policies.find((p) => p.name === rule.name);
      expect(info, rule.name).toMatchObject({ description: rule.description, remediation: rule.remediation, enforcementLevel: rule.enforcementLevel });
    }
    expect(names).toEqual([...new Set(names)]);
    expect(session.startupMs).toBeLessThan(60_000);
  });

  it("passes the compliant fixture under prod.json", async () => {
    // With its router, so every policy applies (rollout-safety reads the routes).
    const run = await analyze(routedStack(), PROD);
    expect(run.diagnostics).toEqual([]);
    // prod.json declares no readiness scorecard: that advisory policy says so instead of passing silently.
    expect(run.notApplicable.filter((n) => n.policyName !== "inference-break-even")).toEqual([
      { policyName: "operational-readiness", reason: expect.stringContaining("no readiness scorecard") },
    ]);
  });

  it("refuses an opened tenant namespace: mandatory under prod.json, advisory under dev.json", async () => {
    const opened = without(compliantStack(), "kubernetes:networking.k8s.io/v1:NetworkPolicy", "team-a-default-deny");
    const prod = await analyze(opened, PROD);
    expect(prod.diagnostics).toEqual([
      expect.objectContaining({
        policyName: "tenant-isolation",
        policyPackName: "gpu-inference",
        enforcementLevel: "mandatory",
        urn: `urn:pulumi:${STACK}::gpu-inference::kubernetes:core/v1:Namespace::team-a`,
        downgradedMandatory: false,
      }),
    ]);
    expect(prod.diagnostics[0]?.message).toContain("[tenant-isolation/default-deny]");
    expect(blockingDiagnostics(prod)).toHaveLength(1);

    const dev = await analyze(opened, DEV);
    // dev.json's scorecard also grades yellow: an advisory of its own.
    expect(dev.diagnostics.map((d) => [d.policyName, d.enforcementLevel])).toEqual([
      ["tenant-isolation", "advisory"],
      ["operational-readiness", "advisory"],
    ]);
    expect(blockingDiagnostics(dev)).toEqual([]);
  });

  it("refuses a GPU workload whose queue trigger was dropped", async () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, "kubernetes:keda.sh/v1alpha1:ScaledObject", "chat-scaler"), ["spec", "triggers"], []);
    const run = await analyze(stack, PROD);
    expect(run.diagnostics.map((d) => [d.policyName, d.enforcementLevel, checkOf(d.message)])).toEqual([["queue-depth-autoscaling", "mandatory", "queue-depth-autoscaling/queue-trigger"]]);
    expect(run.diagnostics[0]?.message).toMatch(/add a prometheus trigger on vllm:num_requests_waiting/);
  });

  it.each(UNKNOWN_VARIANTS.map((v) => [v.check, v] as const))("an unknown value read by %s is an explicit advisory, never a refusal or a blanket downgrade", async (check, variant) => {
    const run = await analyze(variant.build(), PROD);
    expect(run.diagnostics.length).toBeGreaterThan(0);
    expect(run.diagnostics.map((d) => checkOf(d.message))).toContain(check);
    for (const d of run.diagnostics) {
      expect(d.enforcementLevel).toBe("advisory");
      expect(d.message).toContain("cannot verify during preview");
      expect(d.downgradedMandatory).toBe(false);
    }
    expect(blockingDiagnostics(run)).toEqual([]);
  });

  it("never echoes a secret value in a message", async () => {
    const stack = compliantStack();
    const secretImage = "registry.internal/hidden-team/vllm:latest";
    setPath(inputsOf(stack, "kubernetes:apps/v1:Deployment", "chat"), ["spec", "template", "spec", "containers", 0, "image"], { [SIG_KEY]: SECRET_SIG, value: secretImage });
    setPath(inputsOf(stack, "kubernetes:apps/v1:Deployment", "chat"), ["spec", "template", "spec", "containers", 0, "env", 1], { name: "API_KEY", value: { [SIG_KEY]: SECRET_SIG, value: SECRET_TOKEN } });
    const run = await analyze(stack, PROD);
    expect(run.diagnostics.map((d) => checkOf(d.message))).toContain("pod-sandboxing/pinned-image");
    for (const d of run.diagnostics) {
      expect(d.message).not.toContain(SECRET_TOKEN);
      expect(d.message).not.toContain("hidden-team");
    }
  });

  it("passes each policy's config from the stack's config file", async () => {
    const run = await analyze(compliantStack(), { ...PROD, "cost-allocation-tags": { requiredAwsTags: ["cost-center"] } });
    expect(run.diagnostics.length).toBeGreaterThan(0);
    for (const d of run.diagnostics) {
      // The AWS resources and the GPU nodes (through their NodeClass) both need the configured keys.
      expect([d.policyName, d.enforcementLevel]).toEqual(["cost-allocation-tags", "mandatory"]);
      expect(["cost-allocation-tags/aws-tags", "cost-allocation-tags/node-class-tags"]).toContain(checkOf(d.message));
      expect(d.message).toContain("cost-center");
    }
  });

  it("a config key the policy does not know is a violation naming it", async () => {
    const run = await analyze(compliantStack(), { ...PROD, "pod-sandboxing": { exemptNamespace: ["x"] } });
    expect(run.diagnostics.map((d) => [d.policyName, checkOf(d.message)])).toEqual([["pod-sandboxing", "pod-sandboxing/config"]]);
    expect(run.diagnostics[0]?.message).toContain("exemptNamespace");
  });
});

describe("properties through the analyzer process (one session)", () => {
  const paths = valuePaths(compliantStack());

  it("any subset of the compliant stack's values replaced by unknowns gives no mandatory diagnostic, only explicit advisories", async () => {
    await fc.assert(
      fc.asyncProperty(fc.subarray(paths, { minLength: 1, maxLength: 15 }), async (subset) => {
        const run = await analyze(replaced(compliantStack(), subset, () => UNKNOWN), PROD);
        expect(blockingDiagnostics(run)).toEqual([]);
        for (const d of run.diagnostics) {
          expect(d.enforcementLevel).toBe("advisory");
          expect(d.message).toContain("cannot verify during preview");
        }
      }),
      { seed: 9, numRuns: 12 },
    );
  }, 300_000);

  it("any subset of a stack's values replaced by secrets changes no diagnostic", async () => {
    // Non-compliant stacks too, so there are diagnostics to compare.
    const bases = [compliantStack, ...VARIANTS.filter((v) => v.config === undefined).slice(0, 40).map((v) => v.build)];
    const plain = new Map<number, AnalyzerRun["diagnostics"]>();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: bases.length - 1 }), fc.subarray(paths, { minLength: 1, maxLength: 30 }), async (base, subset) => {
        if (!plain.has(base)) plain.set(base, (await analyze(bases[base]!(), PROD)).diagnostics);
        const valid = subset.filter(([index, ...keys]) => pathExists(bases[base]!(), index, keys));
        const run = await analyze(replaced(bases[base]!(), valid, (value) => ({ [SIG_KEY]: SECRET_SIG, value })), PROD);
        expect(run.diagnostics).toEqual(plain.get(base));
      }),
      { seed: 9, numRuns: 10 },
    );
  }, 300_000);
});

/** Whether a value path exists in this stack (variants remove or add resources and keys). */
function pathExists(stack: readonly RegisteredResource[], index: number, keys: readonly (string | number)[]): boolean {
  let current: unknown = stack[index]?.inputs;
  for (const key of keys) {
    if (typeof current !== "object" || current === null || !(key in current)) return false;
    current = (current as Record<string | number, unknown>)[key];
  }
  return true;
}

describe("the dev stack's program under mocks", () => {
  let resources: ReturnType<typeof toAnalyzerResources>;
  beforeAll(async () => {
    const values = namespaceValues(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8"), "Pulumi.dev.yaml");
    const config = Object.fromEntries([["aws:region", "us-east-1"], ...Object.entries(values).map(([k, v]) => [`gpu-inference:${k}`, v])]);
    vi.resetModules();
    const recorded = installPulumiMocks({ config, stack: "dev", preview: true });
    await import("../../infra/index.js");
    await pulumi.runtime.disconnect();
    resources = toAnalyzerResources(recorded, { stack: "dev" });
  }, 120_000);

  it("converts every registration, with parents, providers and preview-time unknowns", () => {
    expect(resources.length).toBeGreaterThan(20);
    expect(resources.filter((r) => r.parent !== undefined).length).toBeGreaterThan(resources.length / 2);
    expect(resources.some((r) => r.provider?.type === "pulumi:providers:aws")).toBe(true);
    expect(JSON.stringify(resources)).toContain("04da6b54-80e4-46f7-96ec-b56ff0331ba9");
  });

  it("answers the same without per-resource Analyze calls (as npm run plan sends it): every policy of the pack is a stack policy", async () => {
    for (const rule of RULES) {
      const policy = toPolicy(rule) as { validateStack?: unknown; validateResource?: unknown };
      expect(policy.validateResource, rule.name).toBeUndefined();
      expect(typeof policy.validateStack, rule.name).toBe("function");
    }
    for (const policyConfig of [DEV, PROD]) {
      const each = await session.analyze({ stack: "dev", resources, policyConfig });
      const once = await session.analyze({ stack: "dev", resources, policyConfig, analyzeEachResource: false });
      expect(once.diagnostics).toEqual(each.diagnostics);
      expect(once.notApplicable).toEqual(each.notApplicable);
    }
  });

  it("passes dev.json with nothing mandatory, and prod.json's non-economic policies with nothing but preview advisories", async () => {
    const dev = await session.analyze({ stack: "dev", resources, policyConfig: DEV, analyzeEachResource: false });
    expect(blockingDiagnostics(dev)).toEqual([]);
    const prod = await session.analyze({ stack: "dev", resources, policyConfig: PROD, analyzeEachResource: false });
    const nonEconomic = prod.diagnostics.filter((d) => d.policyName !== "inference-break-even");
    // Policy documents that interpolate ARNs are unknown at preview: explicit advisories, never refusals.
    const preview = nonEconomic.filter((d) => d.message.includes("cannot verify during preview"));
    expect(preview.every((d) => d.enforcementLevel === "advisory" && !d.downgradedMandatory)).toBe(true);
    // The dev stack's Kubernetes version is judged by the pack's dated EKS table, on the pinned day.
    const version = String(resources.find((r) => r.type === "aws:eks/cluster:Cluster")?.properties.version);
    const status = eksVersionSupport(version, new Date(`${VERSION_DAY}T00:00:00Z`)).status;
    const versionChecks = status === "standard" ? [] : ["cluster-hardening/kubernetes-version"];
    expect(nonEconomic.filter((d) => !preview.includes(d)).map((d) => checkOf(d.message))).toEqual(versionChecks);
    // The checks ran on the program's GPU workloads, not "not applicable" to an empty stack.
    const ran = RULES.map((r) => r.name).filter((name) => !prod.notApplicable.some((n) => n.policyName === name));
    expect(ran).toEqual(expect.arrayContaining(["queue-depth-autoscaling", "gpu-scheduling", "tenant-isolation", "pod-sandboxing", "cluster-hardening", "cost-allocation-tags"]));
  });
});

describe("the driver", () => {
  it("flags @pulumi/policy's blanket downgrade of a mandatory policy as blocking", async () => {
    const stack = compliantStack();
    setPath(inputsOf(stack, "kubernetes:apps/v1:Deployment", "chat"), ["spec", "template", "spec", "containers", 0, "image"], "04da6b54-80e4-46f7-96ec-b56ff0331ba9");
    const run: AnalyzerRun = await runPolicyPack({
      packDir: path.join(ROOT, "test/fixtures/policy-packs/reads-unknown"),
      stack: STACK,
      resources: toAnalyzerResources(stack, { stack: STACK }),
    });
    expect(run.diagnostics).toEqual([expect.objectContaining({ policyName: "image-is-set", enforcementLevel: "advisory", downgradedMandatory: true })]);
    expect(blockingDiagnostics(run)).toHaveLength(1);
  }, 120_000);

  it("reports a pack that fails to load with its own error, and leaves no process", async () => {
    await expect(runPolicyPack({ packDir: path.join(ROOT, "test/fixtures/policy-packs/broken"), stack: STACK, resources: [] })).rejects.toThrow(
      /exited .* before serving[\s\S]*fails to load on purpose/,
    );
  }, 120_000);

  it("stops the analyzer process when the session closes", async () => {
    const own = await openPolicyPack({ packDir: path.join(ROOT, "test/fixtures/policy-packs/reads-unknown") });
    const pid = own.pid as number;
    expect(() => process.kill(pid, 0)).not.toThrow();
    await own.close();
    expect(() => process.kill(pid, 0)).toThrow();
  }, 120_000);

  it("reconciles policy config as the CLI does: schema defaults, then all, then per policy; unknown names refused", () => {
    const info = new analyzerpb.AnalyzerInfo();
    info.setName("pack");
    const policy = new analyzerpb.PolicyInfo();
    policy.setName("p");
    policy.setEnforcementlevel(analyzerpb.EnforcementLevel.MANDATORY);
    const schema = new analyzerpb.PolicyConfigSchema();
    schema.setProperties(Struct.fromJavaScript({ limit: { type: "number", default: 3 }, names: { type: "array" } }));
    policy.setConfigschema(schema);
    info.setPoliciesList([policy]);
    expect(reconcilePolicyConfig(info, {})).toEqual({ p: { enforcementLevel: "mandatory", properties: { limit: 3 } } });
    expect(reconcilePolicyConfig(info, { all: "advisory" })).toEqual({ p: { enforcementLevel: "advisory", properties: { limit: 3 } } });
    expect(reconcilePolicyConfig(info, { all: "advisory", p: { enforcementLevel: "disabled", names: ["a"] } })).toEqual({
      p: { enforcementLevel: "disabled", properties: { limit: 3, names: ["a"] } },
    });
    expect(() => reconcilePolicyConfig(info, { q: "advisory" })).toThrow(/no policy named "q"/);
    expect(() => reconcilePolicyConfig(info, { p: "strict" as never })).toThrow(/expected an enforcement level/);
  });
});
