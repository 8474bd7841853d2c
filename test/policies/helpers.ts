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
import { runRule, type RuleDefinition } from "../../policies/rules/internal/rule";
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
  const resources = toAnalyzerResources(stack, { stack: STACK }).map((r) => ({
    urn: r.urn,
    type: r.type,
    name: r.name,
    props: proxied(r.properties),
    ...(r.parent !== undefined ? { parent: { urn: r.parent } } : {}),
    ...(r.provider !== undefined ? { provider: { urn: r.provider.urn, props: proxied(r.provider.properties) } } : {}),
  }));
  return runRule(rule, resources, config);
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
