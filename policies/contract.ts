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
