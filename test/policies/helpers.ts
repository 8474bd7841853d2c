/**
 * Run a rule in-process over fixture resources, the way `@pulumi/policy`'s server hands them to
 * a stack policy: encoded as the engine encodes them, secrets unwrapped, and every property
 * behind the unknown-checking proxy that throws on reading an unknown.
 */
import { unknownCheckingProxy } from "@pulumi/policy";
import type { z } from "zod";
import { SECRET_SIG, SIG_KEY } from "../../infra/policy/analyzer";
import { toAnalyzerResources, type RegisteredResource } from "../../infra/policy/resources";
import type { RuleResult } from "../../policies/rules/internal/findings";
import { runRule, runRuleOnView, type RuleDefinition } from "../../policies/rules/internal/rule";
import { stackViewOf } from "../../policies/rules/internal/stack";
import { STACK } from "../fixtures/resources/compliant-stack";

function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    if (record[SIG_KEY] === SECRET_SIG) return unwrapSecrets(record.value);
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

const proxied = (properties: Record<string, unknown>) => unknownCheckingProxy(unwrapSecrets(properties)) as Record<string, unknown>;

export function evaluate(rule: RuleDefinition<z.ZodObject>, stack: readonly RegisteredResource[], config: Record<string, unknown> = {}): RuleResult {
  return runRule(rule, engineResources(stack), config);
}

/** Every rule over one snapshot of the stack (what the engine does, without re-reading the proxies per rule). */
export function evaluateAll(rules: readonly RuleDefinition<z.ZodObject>[], stack: readonly RegisteredResource[], configs: Readonly<Record<string, Record<string, unknown>>> = {}): RuleResult[] {
  const view = stackViewOf(engineResources(stack));
  return rules.map((rule) => runRuleOnView(rule, view, configs[rule.name] ?? {}));
}

/** The stack as `@pulumi/policy` hands it to a stack policy: engine-encoded, secrets unwrapped, behind the unknown-checking proxy. */
function engineResources(stack: readonly RegisteredResource[]) {
  return toAnalyzerResources(stack, { stack: STACK }).map((r) => ({
    urn: r.urn,
    type: r.type,
    name: r.name,
    props: proxied(r.properties),
    ...(r.parent !== undefined ? { parent: { urn: r.parent } } : {}),
    ...(r.provider !== undefined ? { provider: { urn: r.provider.urn, props: proxied(r.provider.properties) } } : {}),
  }));
}

/** Distinct check ids of the violations, sorted. */
export function violated(result: RuleResult): string[] {
  return [...new Set(result.findings.filter((f) => f.kind === "violation").map((f) => f.check))].sort();
}

/** Distinct check ids of the unverified findings, sorted. */
export function unverified(result: RuleResult): string[] {
  return [...new Set(result.findings.filter((f) => f.kind === "unverified").map((f) => f.check))].sort();
}

/** Distinct check ids of violations and advisories (what a reviewer sees besides unverified checks), sorted. */
export function reported(result: RuleResult): string[] {
  return [...new Set(result.findings.filter((f) => f.kind !== "unverified").map((f) => f.check))].sort();
}
