/**
 * Waivers of the break-even gate, as the policy config declares them: part of the pack's public
 * contract, so the gate and `npm run cost`'s stack check read the same waiver the same way.
 */
import { z } from "zod";
import { MIN_WAIVER_REASON_LENGTH } from "./contract";

export const waiverSchema = z.strictObject({
  /** Workload name, as in its profile. */
  workload: z.string().min(1),
  /** Owned share, percent, the waiver was granted for: it waives the workload only while the gate evaluates it at or below this share (a 10 % pilot's waiver does not cover 60 %). */
  ownedPercent: z.number().min(0).max(100),
  /** Why owning is worth it anyway; required — a waiver without a reason is itself a violation. */
  reason: z.string().optional(),
  /** Last day the waiver holds, ISO date `YYYY-MM-DD`. */
  expires: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: "expected an ISO date YYYY-MM-DD" }),
});

export type Waiver = z.output<typeof waiverSchema>;

/** Why a waiver does not hold today, or undefined when it does (a reason of enough length, an expiry not yet past). */
export function waiverProblem(waiver: Waiver, today: string): string | undefined {
  if ((waiver.reason ?? "").trim().length < MIN_WAIVER_REASON_LENGTH) {
    return `the waiver for workload "${waiver.workload}" gives no reason (at least ${MIN_WAIVER_REASON_LENGTH} characters): say why owning is worth it below break-even`;
  }
  if (waiver.expires < today) return `the waiver for workload "${waiver.workload}" expired on ${waiver.expires}: renew it with a new date and reason, or fix the economics`;
  return undefined;
}

/** Whether a valid waiver covers a workload evaluated at this owned share (0–1): only up to the share it was granted for. */
export function waiverCovers(waiver: Waiver, ownedShare: number): boolean {
  return ownedShare * 100 <= waiver.ownedPercent + 1e-9;
}

/** Today's date as the gate reads it: the config's `today`, else the current UTC date. */
export function gateToday(configured: string | undefined): string {
  return configured ?? new Date().toISOString().slice(0, 10);
}
