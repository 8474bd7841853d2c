/**
 * The gpu-inference CrossGuard policy pack: the Pulumi CLI (and `infra/policy/analyzer.ts`)
 * runs this file in the analyzer process; constructing the PolicyPack starts its gRPC server.
 *
 *   pulumi up --policy-pack policies --policy-pack-config policies/config/prod.json
 *
 * Policies are listed explicitly; each lives in `rules/<policy-name>.ts`.
 */
import { PolicyPack } from "@pulumi/policy";
import { RULES } from "./rules/all";
import { toPolicy } from "./rules/internal/rule";

/** Name the engine reports in every diagnostic (`policyPackName`). */
export const POLICY_PACK_NAME = "gpu-inference";

new PolicyPack(POLICY_PACK_NAME, {
  description:
    "Refuses GPU inference deploys below break-even, and guards what makes owning GPUs safe: autoscaling, scheduling, tenant isolation, sandboxing, cluster hardening, cost allocation.",
  enforcementLevel: "mandatory",
  // inference-break-even (mandatory), the economics gate, is first in RULES.
  policies: RULES.map((rule) => toPolicy(rule)),
});
