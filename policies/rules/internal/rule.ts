/**
 * One shape for every rule (metadata apart from logic), and the adapter that turns it into a
 * `@pulumi/policy` stack policy. The adapter is the only code that talks to the engine:
 * violations are reported at the policy's configured enforcement level, unverifiable checks
 * as explicit advisories, and a stack with nothing to check as not applicable, with a reason.
 */
import type { EnforcementLevel, PolicyConfigSchema, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { z } from "zod";
import type { RuleResult } from "./findings";
import { stackViewOf, type StackView } from "./stack";
import { UnknownRead } from "./values";

export interface RuleDefinition<S extends z.ZodObject> {
  /** Stable kebab-case id; users reference it in policy config files. */
  readonly name: string;
  /** One sentence: what the policy guarantees. */
  readonly description: string;
  /** What to change when it fires. */
  readonly remediation: string;
  /** Level when the stack's policy config says nothing. */
  readonly enforcementLevel: EnforcementLevel;
  /** Check id → one-line summary; every finding names one of these. */
  readonly checks: Readonly<Record<string, string>>;
  /** The policy's config, validated in the pack (the Pulumi CLI also validates against its JSON schema). */
  readonly config: S;
  evaluate(view: StackView, config: z.output<S>): RuleResult;
}

/** The `@pulumi/policy` config schema of a zod object: `properties` and `required`, input side (defaults optional). */
export function policyConfigSchema(schema: z.ZodObject): PolicyConfigSchema {
  const json = z.toJSONSchema(schema, { io: "input", target: "draft-7" }) as {
    properties?: Record<string, unknown>;
    required?: string[];
  };
  return {
    properties: (json.properties ?? {}) as Record<string, PolicyConfigJSONSchema>,
    ...(json.required !== undefined && json.required.length > 0 ? { required: json.required } : {}),
  };
}

/** A violation the runtime files as advisory whatever the policy's level (supported by `@pulumi/policy` 1.21's reporter, not by its types). */
interface ViolationObject {
  readonly message: string;
  readonly urn?: string;
  readonly enforcementLevel: EnforcementLevel;
}

function reportAdvisory(report: ReportViolation, violation: ViolationObject): void {
  (report as unknown as (violation: ViolationObject) => void)(violation);
}

/** Prefix of the advisory a rule files when it cannot decide at preview. */
export const UNVERIFIED_PREFIX = "cannot verify during preview";

/** Human-readable zod issues: key paths and zod's words, never the offending value. */
export function describeConfigIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(config)"}: ${issue.message}`).join("; ");
}

/**
 * Validate the rule's config and evaluate it over the engine's resources. An invalid config is a
 * violation of check `<policy>/config` (naming key paths, never values), not an exception.
 */
export function runRule<S extends z.ZodObject>(rule: RuleDefinition<S>, resources: Parameters<typeof stackViewOf>[0], rawConfig: unknown): RuleResult {
  return runRuleOnView(rule, stackViewOf(resources), rawConfig);
}

/** `runRule` over a view already snapshotted (several rules can share one). */
export function runRuleOnView<S extends z.ZodObject>(rule: RuleDefinition<S>, view: StackView, rawConfig: unknown): RuleResult {
  const parsed = rule.config.safeParse(rawConfig);
  if (!parsed.success) {
    return {
      findings: [{ kind: "violation", check: `${rule.name}/config`, urn: "", message: `invalid policy config for "${rule.name}": ${describeConfigIssues(parsed.error)}. Fix the policy config file.` }],
    };
  }
  try {
    return rule.evaluate(view, parsed.data);
  } catch (error) {
    // A read outside any check's scope (a rule bug, caught by the unknown-value property tests): still never a refusal.
    if (!(error instanceof UnknownRead)) throw error;
    return {
      findings: [{ kind: "unverified", check: `${rule.name}/*`, urn: "", message: `${UNVERIFIED_PREFIX}: "${rule.name}" reads \`${error.unknown.path}\`, which is unknown until the update; its checks run again on \`pulumi up\`.` }],
    };
  }
}

export function toPolicy<S extends z.ZodObject>(rule: RuleDefinition<S>): StackValidationPolicy {
  return {
    name: rule.name,
    description: rule.description,
    enforcementLevel: rule.enforcementLevel,
    remediationSteps: rule.remediation,
    configSchema: policyConfigSchema(rule.config),
    validateStack: (args, report) => {
      const result = runRule(rule, args.resources, args.getConfig());
      if (result.notApplicable !== undefined && result.findings.length === 0) args.notApplicable(result.notApplicable);
      for (const finding of result.findings) {
        const message = `[${finding.check}] ${finding.message}`;
        const urn = finding.urn === "" ? undefined : finding.urn;
        if (finding.kind === "violation") report(message, urn);
        else if (finding.kind === "advisory") reportAdvisory(report, { message, ...(urn !== undefined ? { urn } : {}), enforcementLevel: "advisory" });
        else reportAdvisory(report, { message: `${rule.description}\n${message}`, ...(urn !== undefined ? { urn } : {}), enforcementLevel: "advisory" });
      }
    },
  };
}
