/**
 * Every rule of the pack, listed explicitly, in report order. `index.ts` turns them into
 * policies; tests import this list (importing `index.ts` would start the analyzer server).
 */
import type { z } from "zod";
import { awsHardening } from "./aws-hardening";
import { clusterHardening } from "./cluster-hardening";
import { costAllocationTags } from "./cost-allocation-tags";
import { credentialLiterals } from "./credential-literals";
import { gpuScheduling } from "./gpu-scheduling";
import { inferenceBreakEven } from "./inference-break-even";
import type { RuleDefinition } from "./internal/rule";
import { operationalReadiness } from "./operational-readiness";
import { podSandboxing } from "./pod-sandboxing";
import { queueDepthAutoscaling } from "./queue-depth-autoscaling";
import { rolloutSafety } from "./rollout-safety";
import { tenantIsolation } from "./tenant-isolation";

export const RULES: readonly RuleDefinition<z.ZodObject>[] = [
  inferenceBreakEven,
  rolloutSafety,
  queueDepthAutoscaling,
  gpuScheduling,
  tenantIsolation,
  podSandboxing,
  clusterHardening,
  awsHardening,
  credentialLiterals,
  costAllocationTags,
  operationalReadiness,
];
