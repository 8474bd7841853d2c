import { describe, expect, it } from "vitest";
import { inferenceBreakEven } from "../../policies/rules/inference-break-even";
import { compliantStack } from "../fixtures/resources/compliant-stack";
import { VARIANTS } from "../fixtures/resources/variants";
import { evaluate } from "./helpers";
import { describePolicyCases } from "./policy-cases";

describePolicyCases(inferenceBreakEven, { today: "2026-11-27" });

describe("inference-break-even: what a reviewer reads", () => {
  const lowVolume = VARIANTS.find((v) => v.check === "inference-break-even/below-break-even")!;

  it("names the workload, both utilizations, both monthly costs and the fix", () => {
    const [finding] = evaluate(inferenceBreakEven, lowVolume.build(), lowVolume.config).findings;
    expect(finding!.kind).toBe("violation");
    expect(finding!.message).toMatch(/^workload "chat": modeled GPU utilization \d+\.\d% at 90\.0% owned share; /);
    expect(finding!.message).toMatch(/(it needs \d+\.\d% \(break-even \d+\.\d% \+ 15\.0% margin\)|there is no break-even)/);
    expect(finding!.message).toMatch(/Owning costs \$[\d,]+\/month against \$[\d,]+\/month on the API\./);
    expect(finding!.message).toContain("To fix:");
  });

  it("turns the refusal into an advisory under a valid waiver, quoting its reason and date", () => {
    const waived = VARIANTS.find((v) => v.check === "inference-break-even/waived")!;
    const findings = evaluate(inferenceBreakEven, waived.build(), waived.config).findings;
    expect(findings.map((f) => f.kind)).toEqual(["advisory"]);
    expect(findings[0]!.message).toContain("Waived until 2027-01-31 for up to 90% owned share: pilot: measuring real latency");
  });

  it("raises the bar with the margin of safety: a margin large enough refuses the compliant stack", () => {
    expect(evaluate(inferenceBreakEven, compliantStack(), { today: "2026-11-27" }).findings).toEqual([]);
    const strict = evaluate(inferenceBreakEven, compliantStack(), { today: "2026-11-27", economics: { marginOfSafety: 1, operations: { fte: 20, loadedAnnualCostUsd: 250_000 } } });
    expect(strict.findings.map((f) => f.check)).toContain("inference-break-even/below-break-even");
  });

  it("rejects an unknown config key instead of ignoring it", () => {
    const run = () => inferenceBreakEven.config.parse({ waviers: [] });
    expect(run).toThrow();
  });
});
