/**
 * Every check of every rule fires at least once over the fixtures (kube-score's "was not
 * tested"), and the pack's files follow its layout: one file per rule, file name = policy name.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { RULES } from "../../policies/rules/all";
import { UNKNOWN_VARIANTS, VARIANTS } from "../fixtures/resources/variants";
import { evaluate, reported } from "./helpers";


describe("rule coverage", () => {
  const fired = new Set<string>();
  for (const variant of VARIANTS) {
    for (const rule of RULES) {
      const config = variant.check.startsWith(`${rule.name}/`) ? variant.config : undefined;
      for (const finding of evaluate(rule, variant.build(), config).findings) fired.add(finding.check);
    }
  }
  // Checks that only ever say "cannot verify during preview" fire on the unknown-value variants.
  for (const variant of UNKNOWN_VARIANTS) {
    for (const rule of RULES) for (const finding of evaluate(rule, variant.build()).findings) fired.add(finding.check);
  }

  const checks = (names: (name: string) => boolean) => RULES.filter((r) => names(r.name)).flatMap((rule) => Object.keys(rule.checks).map((check) => [`${rule.name}/${check}`]));
  it.each(checks(() => true))("%s fired on some fixture", (check) => {
    expect(fired.has(check)).toBe(true);
  });

  it("every variant fires the check it names", () => {
    const missing = VARIANTS.filter((v) => {
      const rule = RULES.find((r) => v.check.startsWith(`${r.name}/`));
      return rule !== undefined && !reported(evaluate(rule, v.build(), v.config)).includes(v.check);
    });
    expect(missing.map((v) => v.what)).toEqual([]);
  });

  it("docs/policies.md lists every check, and only those", () => {
    const docs = fs.readFileSync(path.resolve(__dirname, "../../docs/policies.md"), "utf8");
    const listed = [...docs.matchAll(/^\| `([a-z-]+\/[a-z-]+)` \|/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(checks(() => true).map(([c]) => c).sort());
  });

  it("one file per rule, named after the policy", () => {
    const dir = path.resolve(__dirname, "../../policies/rules");
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".ts") && f !== "all.ts").map((f) => f.slice(0, -3));
    for (const rule of RULES) expect(files, rule.name).toContain(rule.name);
    for (const rule of RULES) expect(rule.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });
});
