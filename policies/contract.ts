/**
 * The pack's public contract: annotation and label keys, metric names and env vars that the
 * serving components write and the rules read. Components import these constants (never the
 * rules' internals) so the writer and the reader cannot drift apart.
 */

/** On a GPU Deployment: seconds from a scale-up request to a serving replica (node + model load), a decimal string. */
export const COLD_START_ANNOTATION = "gpu-inference.dev/cold-start-seconds";

/** On a GPU Deployment: the workload profile (JSON of `workloadProfileSchema`), read by `inference-break-even`. */
export const WORKLOAD_PROFILE_ANNOTATION = "gpu-inference.dev/workload-profile";

/** The vLLM metric of requests waiting for a slot: the interactive tier's queue depth. */
export const VLLM_QUEUE_METRIC = "vllm:num_requests_waiting";

/** On a NodePool: how its capacity is priced (`on-demand`, `spot`, `reserved`). Karpenter is asked for on-demand when pricing is a commitment (`reserved`). */
export const CAPACITY_PRICING_ANNOTATION = "gpu-inference/capacity-pricing";

/** On a batch ScaledJob: requests in one batch file (one queue message), a decimal string; the gate turns `queueLength` files into requests with it. */
export const REQUESTS_PER_BATCH_FILE_ANNOTATION = "gpu-inference.dev/requests-per-batch-file";

/** Env var of the batch job: seconds the queue must stay empty before the job exits (its scale-down cooldown). */
export const BATCH_IDLE_SECONDS_ENV = "BATCH_IDLE_SECONDS";

/** Requests in one batch file when the ScaledJob does not say: OpenAI's batch-file limit. The config's default for `serving.requestsPerBatchFile`. */
export const DEFAULT_REQUESTS_PER_BATCH_FILE = 50_000;
/*
 * Router metrics: what the cluster's Prometheus scrapes to compare the achieved owned share, spill
 * and fallback with the modeled ones. Two processes export them:
 *
 * 1. The gateway — Envoy AI Gateway v1.1.0's external processor (the `ai-gateway-extproc` sidecar
 *    in each Envoy proxy pod of the `inference-router` namespace, `/metrics` on admin port 1064;
 *    names as its OpenTelemetry Prometheus exporter writes them). It records one series per
 *    upstream attempt, so a request that falls back counts once on the owned backend (with
 *    `error_type`) and once on the API backend. Labels: ROUTER_LABELS.
 * 2. The admission guard — the sidecar in front of each vLLM replica (components/internal/router-guard.ts),
 *    `/metrics` on its own port. It alone knows why an owned attempt was refused (a spill) rather
 *    than failed. Labels: GUARD_LABELS, plus the `namespace`/`pod` target labels Prometheus adds.
 */

/** Gateway histogram of request duration, seconds, per alias and backend; `_count` counts requests (attempts), `_bucket` gives latency quantiles. */
export const ROUTER_REQUEST_DURATION_METRIC = "gen_ai_server_request_duration_seconds";
/** Gateway histogram of tokens per request, per alias, backend and token type; `_sum` is tokens. */
export const ROUTER_TOKEN_USAGE_METRIC = "gen_ai_client_token_usage";
/** Gateway histogram of time to first token, seconds, per alias and backend (streaming requests). */
export const ROUTER_TIME_TO_FIRST_TOKEN_METRIC = "gen_ai_server_time_to_first_token_seconds";

/** Labels of the gateway metrics. */
export const ROUTER_LABELS = {
  /** The alias the app sent as `model`: the workload name, one per workload. */
  alias: "gen_ai_original_model",
  /** The model the chosen backend was asked for after `modelNameOverride`: the owned vLLM's served model name (the workload name) or the API's real model name — this tells the backends apart. */
  backendModel: "gen_ai_request_model",
  /** Provider of the backend's schema (`openai` for both vLLM and OpenAI-compatible APIs). */
  provider: "gen_ai_provider_name",
  /** `input` or `output` on ROUTER_TOKEN_USAGE_METRIC. */
  tokenType: "gen_ai_token_type",
  /** Present (value `_OTHER`) on attempts that failed: on the owned backend, each one is a fallback to the API. */
  errorType: "error_type",
} as const;

/** Guard counter of owned requests by outcome: `admitted`, `spilled` (refused with 429: the owned queue would wait past the SLO), `engine_error` (vLLM answered 5xx or was unreachable). */
export const GUARD_REQUESTS_METRIC = "inference_guard_requests_total";
/** Guard gauge: requests admitted and not yet finished on this replica. */
export const GUARD_IN_FLIGHT_METRIC = "inference_guard_in_flight_requests";
/** Guard gauge: the replica's admission limit (running slots + requests it clears within the wait SLO). Summed over ready replicas, the owned path's spill threshold. */
export const GUARD_ADMISSION_LIMIT_METRIC = "inference_guard_admission_limit";
/** Guard histogram of admitted requests' duration through the guard, seconds. */
export const GUARD_REQUEST_DURATION_METRIC = "inference_guard_request_duration_seconds";

/** Labels of the guard metrics. */
export const GUARD_LABELS = {
  /** The workload (= the router alias). */
  workload: "workload",
  /** On GUARD_REQUESTS_METRIC: `admitted`, `spilled` or `engine_error`. */
  outcome: "outcome",
} as const;

/** Response header the guard sets on a spill, naming the reason (`queue-wait-slo`), so a 429 from the guard is never mistaken for one from vLLM. */
export const GUARD_SPILL_HEADER = "x-gpu-inference-spill";
