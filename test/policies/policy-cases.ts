/**
 * The cases every policy gets: the compliant stack passes, each of its variants is refused with
 * exactly the checks it names (violations, or advisories for advisory-only grades), an empty stack is not applicable with a reason, and no message
 * contains a property value that was a secret.
 */
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import type { RuleDefinition } from "../../policies/rules/internal/rule";
import { compliantStack, SECRET_TOKEN } from "../fixtures/resources/compliant-stack";
import { UNKNOWN_VARIANTS, variantsOf } from "../fixtures/resources/variants";
import { evaluate, reported } from "./helpers";

/** `config` is the policy config under which the compliant stack passes. @default {} */
export function describePolicyCases(rule: RuleDefinition<z.ZodObject>, config: Record<string, unknown> = {}): void {
  describe(`${rule.name}: shared cases`, () => {
    it("passes the compliant stack", () => {
      const result = evaluate(rule, compliantStack(), config);
      expect(result.findings).toEqual([]);
      expect(result.notApplicable).toBeUndefined();
    });

    it("is not applicable to a stack without what it checks, and says why", () => {
      const result = evaluate(rule, [], config);
      expect(result.findings).toEqual([]);
      expect(result.notApplicable).toMatch(/^no /);
    });

    const variants = variantsOf(rule.name);
    it("has at least one non-compliant variant per declared check", () => {
      // A check that can only say "cannot verify during preview" is covered by an unknown-value variant.
      const covered = new Set([...variants, ...UNKNOWN_VARIANTS].map((v) => v.check));
      expect(Object.keys(rule.checks).map((c) => `${rule.name}/${c}`).filter((c) => !covered.has(c))).toEqual([]);
    });

    it.each(variants.map((v) => [v.what, v] as const))("refuses: %s", (_what, variant) => {
      const result = evaluate(rule, variant.build(), variant.config);
      expect(reported(result)).toEqual([...new Set([variant.check, ...(variant.alsoFires ?? [])])].sort());
      for (const finding of result.findings) {
        expect(finding.message).not.toContain(SECRET_TOKEN);
        expect(finding.message.length).toBeGreaterThan(40);
      }
    });
  });
}
