import { describe, expect, it } from "vitest";
import { UNKNOWN } from "../../infra/policy/analyzer";
import type { RegisteredResource } from "../../infra/policy/resources";
import { WORKLOAD_PROFILE_ANNOTATION } from "../../policies/contract";
import { inferenceBreakEven } from "../../policies/rules/inference-break-even";
import { rolloutSafety } from "../../policies/rules/rollout-safety";
import { CHAT_PROFILE, compliantStack, inputsOf, SECRET_TOKEN, setPath } from "../fixtures/resources/compliant-stack";
import { routedStack } from "../fixtures/resources/router-stack";
import { lowVolumeRoutedStack, ROLLOUT_UNKNOWN_VARIANTS, ROLLOUT_VARIANTS } from "../fixtures/resources/router-variants";
import { evaluate, reported, unverified, violated } from "./helpers";

describe("rollout-safety: compliant rollouts pass", () => {
  it("passes the stack whose route moved one rung (30 → 60 %) with the API as fallback", () => {
    const result = evaluate(rolloutSafety, routedStack(60, "30"));
    expect(result.findings).toEqual([]);
    expect(result.notApplicable).toBeUndefined();
  });

  it.each([
    ["the first step of a new route, 0 → 10", 10, null],
    ["10 → 30", 30, "10"],
    ["90 → 100", 100, "90"],
    ["route-back 60 → 0 in one step", 0, "60"],
    ["90 → 30, down two rungs", 30, "90"],
    ["no change, 60 → 60", 60, "60"],
  ] as const)("allows %s", (_what, ownedPercent, previous) => {
    expect(evaluate(rolloutSafety, routedStack(ownedPercent, previous)).findings).toEqual([]);
  });

  it("lets a stack adopting the router mid-rollout skip rungs when configured", () => {
    expect(violated(evaluate(rolloutSafety, routedStack(90, "30")))).toEqual(["rollout-safety/skipped-step"]);
    expect(evaluate(rolloutSafety, routedStack(90, "30"), { allowSkippingSteps: true }).findings).toEqual([]);
  });

  it("follows a configured ladder", () => {
    expect(evaluate(rolloutSafety, routedStack(60, "30"), { ladderPercent: [0, 30, 60, 100] }).findings).toEqual([]);
    expect(violated(evaluate(rolloutSafety, routedStack(60, "30"), { ladderPercent: [0, 50, 100] }))).toEqual(["rollout-safety/off-ladder"]);
  });

  it("lets a workload whose verdict is api keep its alias at 0 % owned", () => {
    expect(evaluate(rolloutSafety, lowVolumeRoutedStack(0)).findings).toEqual([]);
  });

  it("is not applicable to a stack without a router, and says why", () => {
    const result = evaluate(rolloutSafety, compliantStack());
    expect(result.findings).toEqual([]);
    expect(result.notApplicable).toBe("no AIGatewayRoute in this stack");
  });
});

describe("rollout-safety: non-compliant rollouts are refused", () => {
  it.each(ROLLOUT_VARIANTS.map((v) => [v.what, v] as const))("refuses: %s", (_what, variant) => {
    const result = evaluate(rolloutSafety, variant.build(), variant.config);
    expect(reported(result)).toEqual([...new Set([variant.check, ...(variant.alsoFires ?? [])])].sort());
    for (const finding of result.findings) {
      expect(finding.message).not.toContain(SECRET_TOKEN);
      expect(finding.message).toMatch(/AIGatewayRoute "chat-route" \(alias "chat"\)/);
    }
  });

  it("names the next rung when a step skips the ladder", () => {
    const [finding] = evaluate(rolloutSafety, routedStack(90, "30")).findings;
    expect(finding!.message).toContain("jumps to 90% owned from the deployed 30%, skipping the ladder; the next step is 60%");
  });

  it("says cannot verify, never pass or refuse, when the deployed weight is unknown at preview", () => {
    for (const variant of ROLLOUT_UNKNOWN_VARIANTS) {
      const result = evaluate(rolloutSafety, variant.build());
      expect(unverified(result)).toEqual([variant.check]);
      expect(violated(result)).toEqual([]);
    }
  });

  it("rejects an unknown config key and a ladder that does not start at 0", () => {
    expect(violated(evaluate(rolloutSafety, routedStack(), { ladder: [0, 10] }))).toEqual(["rollout-safety/config"]);
    expect(violated(evaluate(rolloutSafety, routedStack(), { ladderPercent: [10, 30] }))).toEqual(["rollout-safety/config"]);
  });
});

describe("inference-break-even reads the owned share from the deployed route", () => {
  const today = { today: "2026-11-27" };
  const shareIn = (message: string) => /at (\d+\.\d)% owned share/.exec(message)?.[1];
  /** chat at 4M requests a month: clears the gate at 90 % owned, not at 10 %. */
  const atFourMillion = (stack: RegisteredResource[]) => {
    setPath(inputsOf(stack, "kubernetes:apps/v1:Deployment", "chat"), ["metadata", "annotations", WORKLOAD_PROFILE_ANNOTATION], JSON.stringify({ ...CHAT_PROFILE, rollout: { currentOwnedPercent: 90, targetOwnedPercent: 90 }, traffic: { ...CHAT_PROFILE.traffic, requestsPerMonth: 4_000_000 } }));
    return stack;
  };

  it("evaluates at the route's weight when it disagrees with the workload profile", () => {
    // The profile says 90 % owned; the deployed route carries 10 %: the gate refuses at 10 %.
    const routed = evaluate(inferenceBreakEven, atFourMillion(routedStack(10, "0")), today);
    expect(violated(routed)).toEqual(["inference-break-even/below-break-even"]);
    expect(shareIn(routed.findings[0]!.message)).toBe("10.0");
    // The same workload without a router is evaluated at the profile's 90 %, and passes.
    expect(evaluate(inferenceBreakEven, atFourMillion(compliantStack()), today).findings).toEqual([]);
    // And at a route weight of 90 % it passes too.
    expect(evaluate(inferenceBreakEven, atFourMillion(routedStack(90, "60")), today).findings).toEqual([]);
  });

  it("says cannot verify when the route's weights are unknown at preview", () => {
    const stack = routedStack();
    const route = stack.find((r) => r.type.endsWith(":AIGatewayRoute"))!;
    (route.inputs.spec as { rules: { backendRefs: Record<string, unknown>[] }[] }).rules[0]!.backendRefs[0]!.weight = UNKNOWN;
    const result = evaluate(inferenceBreakEven, stack, today);
    expect(unverified(result)).toEqual(["inference-break-even/economics-unknown"]);
    expect(violated(result)).toEqual([]);
  });
});
