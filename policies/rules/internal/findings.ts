import { UnknownRead } from "./values";

/**
 * What a rule concludes, before any of it reaches the engine. Rules are pure functions from a
 * StackView and their config to a RuleResult, so they are tested without the analyzer.
 */

/** A check found the resource non-compliant. */
export interface Violation {
  readonly kind: "violation";
  /** Stable id `<policy>/<check>`, such as `pod-sandboxing/privileged`. */
  readonly check: string;
  readonly urn: string;
  /** What is wrong and how to fix it; names paths and resources, never property values. */
  readonly message: string;
}

/** A check could not decide because a value it reads is unknown at preview. */
export interface Unverified {
  readonly kind: "unverified";
  readonly check: string;
  readonly urn: string;
  readonly message: string;
}

/** A check found something a reviewer should see that does not block, such as a waived refusal. */
export interface Advisory {
  readonly kind: "advisory";
  readonly check: string;
  readonly urn: string;
  readonly message: string;
}

export type Finding = Violation | Unverified | Advisory;

export interface RuleResult {
  readonly findings: readonly Finding[];
  /** Set when nothing in the stack is subject to the rule: the reason, for the engine's not-applicable list. */
  readonly notApplicable?: string;
}

/** Collects findings for one rule; `check` ids are validated against the rule's declared checks. */
export class Findings {
  private readonly list: Finding[] = [];

  constructor(
    private readonly policy: string,
    private readonly checks: Readonly<Record<string, string>>,
  ) {}

  violation(check: string, urn: string, message: string): void {
    this.list.push({ kind: "violation", check: this.id(check), urn, message });
  }

  /** Reported at advisory level whatever the policy's enforcement, e.g. a refusal under a valid waiver. */
  advisory(check: string, urn: string, message: string): void {
    this.list.push({ kind: "advisory", check: this.id(check), urn, message });
  }

  /** `path` is the property path that was unknown; the message says the check runs again on `pulumi up`. */
  unverified(check: string, urn: string, what: string, path: string): void {
    this.list.push({
      kind: "unverified",
      check: this.id(check),
      urn,
      message: `cannot verify during preview: ${what} reads \`${path}\`, which is unknown until the update; the check runs again on \`pulumi up\`.`,
    });
  }

  /**
   * Run one check on one resource. A value the check reads through the readers of `values.ts` that
   * is unknown at preview ends the check with its "cannot verify" advisory (naming the check and
   * the property); findings the check made before from known values stand.
   */
  check(check: string, urn: string, what: string, body: () => void): void {
    try {
      body();
    } catch (error) {
      if (!(error instanceof UnknownRead)) throw error;
      this.unverified(check, urn, what, error.unknown.path);
    }
  }

  result(notApplicable?: string): RuleResult {
    return notApplicable !== undefined && this.list.length === 0 ? { findings: [], notApplicable } : { findings: [...this.list] };
  }

  private id(check: string): string {
    if (!(check in this.checks)) throw new Error(`${this.policy}: undeclared check "${check}"`);
    return `${this.policy}/${check}`;
  }
}
