/**
 * The PromQL the interactive autoscaler runs, and the scrape labels it relies on.
 * Pure functions, no Pulumi; `test/components/promql.test.ts` parses every query with
 * Prometheus' own grammar and checks every metric name against vLLM v0.26.0's list.
 */

import { VLLM_QUEUE_METRIC } from "../../policies/contract";

/** vLLM's queue-depth gauge: requests waiting for a batch slot, per engine, labelled `model_name` and `engine` (the name the policies check for). */
export const QUEUE_DEPTH_METRIC = VLLM_QUEUE_METRIC;

/**
 * Value of the `job` label the engine PodMonitor writes on every series it scrapes. A router that
 * re-exports a `vllm:num_requests_waiting` look-alike is scraped by another monitor, under another job,
 * so it never enters the autoscaler's sum.
 */
export const ENGINE_SCRAPE_JOB = "vllm-engine";

/** Which series the autoscaler sums. */
export interface QueueDepthSelector {
  /** Namespace the engine pods run in (the `namespace` target label the PodMonitor attaches). */
  readonly namespace: string;
  /** vLLM's `--served-model-name` (the `model_name` label vLLM puts on the metric). */
  readonly servedModelName: string;
}

/** A PromQL string literal, with the escapes PromQL's double-quoted strings take. */
export function promqlString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/**
 * Total waiting requests across every engine replica of one served model in one namespace: the one
 * number KEDA divides by the per-replica threshold. `sum` always yields a single series (or none),
 * which is what KEDA's Prometheus scaler requires.
 */
export function queueDepthQuery(selector: QueueDepthSelector): string {
  const matchers = [
    `job=${promqlString(ENGINE_SCRAPE_JOB)}`,
    `namespace=${promqlString(selector.namespace)}`,
    `model_name=${promqlString(selector.servedModelName)}`,
  ];
  return `sum(${QUEUE_DEPTH_METRIC}{${matchers.join(", ")}})`;
}
