/**
 * The serving plan, for the program and the CLIs. It is defined in the components layer
 * (components/internal/serving-plan.ts) so components never import the program; this module
 * re-exports it for infra/ callers.
 */
export { servingPlan, resolvedMinReplicas, type ServingPlan, type ServedWorkload, type ServingStack } from "../components/internal/serving-plan";
