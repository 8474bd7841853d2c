/** The cold start a serving component declares on its workload, read by several rules. */
import { COLD_START_ANNOTATION } from "../../contract";
import type { Workload } from "./kubernetes";
import { at, known } from "./values";

export type ColdStart = { readonly seconds: number } | { readonly malformed: true } | undefined;

/**
 * From `metadata.annotations` of the workload, else of its pod template; `undefined` when absent.
 * Throws `UnknownRead` when the annotation is unknown.
 */
export function declaredColdStart(workload: Workload): ColdStart {
  const value = known(
    at(workload.resource.props, "metadata", "annotations", COLD_START_ANNOTATION) ??
      at(workload.resource.props, ...workload.templatePath.split("."), "metadata", "annotations", COLD_START_ANNOTATION),
  );
  if (value === undefined) return undefined;
  const seconds = typeof value === "number" ? value : typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isFinite(seconds) && seconds > 0 ? { seconds } : { malformed: true };
}
