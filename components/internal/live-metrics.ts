/**
 * Names of the metrics the live-economics rules read, by exporter and pinned version, and the
 * histogram buckets the SLO rules depend on. `test/fixtures/exported-metrics.tsv` lists each with
 * where it was read; `test/components/live-rules.test.ts` checks every query names only these.
 */
import { VLLM_QUEUE_METRIC } from "../../policies/contract";
import { GPU_POOL_LABEL_KEY } from "./cluster-contract";

/** vLLM v0.26.0 engine metrics (`vllm/v1/metrics/loggers.py`), all labelled `model_name` and `engine`. */
export const VLLM_METRICS = {
  /** Counter of prompt tokens processed, cached or not. */
  promptTokens: "vllm:prompt_tokens_total",
  /** Counter of prompt tokens served from the prefix cache. */
  cachedPromptTokens: "vllm:prompt_tokens_cached_total",
  /** Counter of generated tokens. */
  generationTokens: "vllm:generation_tokens_total",
  /** Gauge of requests waiting for a batch slot. */
  waitingRequests: VLLM_QUEUE_METRIC,
  /** Gauge of the KV cache in use, a share 0–1 (despite the name). */
  kvCacheUsage: "vllm:kv_cache_usage_perc",
  /** Histogram of time to first token, seconds. */
  timeToFirstToken: "vllm:time_to_first_token_seconds",
  /** Histogram of each request's mean time per output token, seconds. */
  timePerOutputToken: "vllm:request_time_per_output_token_seconds",
} as const;

/** Bucket bounds of `vllm:time_to_first_token_seconds` in vLLM v0.26.0, seconds. */
export const VLLM_TTFT_BUCKETS_SECONDS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0,
] as const;

/** Bucket bounds of `vllm:request_time_per_output_token_seconds` in vLLM v0.26.0, seconds. */
export const VLLM_TPOT_BUCKETS_SECONDS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0] as const;

/** kube-state-metrics (bundled with kube-prometheus-stack), stable metrics. */
export const KUBE_STATE_METRICS = {
  /** Pods a Deployment has created, ready or not: the replicas being billed. Labels `namespace`, `deployment`. */
  deploymentReplicas: "kube_deployment_status_replicas",
  /** Ready pods of a Deployment. */
  deploymentReadyReplicas: "kube_deployment_status_replicas_ready",
  /** Active pods of a Job. Labels `namespace`, `job_name`. */
  jobActive: "kube_job_status_active",
  /** A node's capacity per resource. Labels `node`, `resource` (`nvidia_com_gpu`), `unit`. */
  nodeCapacity: "kube_node_status_capacity",
  /** A node's labels, as `label_<sanitized key>` for keys in `--metric-labels-allowlist`. */
  nodeLabels: "kube_node_labels",
} as const;

/** KEDA operator gauge of each scaler's current metric value. Labels `namespace`, `scaledObject` (also for ScaledJobs), `type`. */
export const KEDA_SCALER_METRIC = "keda_scaler_metrics_value";

/** DCGM exporter gauge of GPU utilization, percent, with the `namespace`/`pod` of the pod using the GPU. */
export const DCGM_GPU_UTILIZATION_METRIC = "DCGM_FI_DEV_GPU_UTIL";

/** The resource name kube-state-metrics writes for `nvidia.com/gpu`. */
export const KSM_GPU_RESOURCE = "nvidia_com_gpu";

/** kube-state-metrics' label for a Kubernetes label key: `label_` + the key with every character outside [a-zA-Z0-9_] as `_`. */
export function kubeStateMetricsLabel(key: string): string {
  return `label_${key.replace(/[^a-zA-Z0-9_]/g, "_")}`;
}

/** The node label that names a node's GPU pool, as kube-state-metrics exports it (once allow-listed). */
export const KSM_POOL_LABEL = kubeStateMetricsLabel(GPU_POOL_LABEL_KEY);

/** `--metric-labels-allowlist` entry kube-state-metrics needs so `kube_node_labels` carries the pool label. */
export const KSM_NODE_LABELS_ALLOWLIST = `nodes=[${GPU_POOL_LABEL_KEY}]`;

/**
 * A histogram bound as vLLM's Python client writes it in the `le` label (`floatToGoString`):
 * whole numbers keep `.0` (`1.0`, `10.0`), others print as the shortest decimal (`0.05`).
 */
export function pythonBucketLabel(bound: number): string {
  return Number.isInteger(bound) ? `${bound}.0` : String(bound);
}

/** The smallest bucket bound at or above `seconds`; the last bound when none is. */
export function bucketAtOrAbove(buckets: readonly number[], seconds: number): number {
  return buckets.find((b) => b >= seconds - 1e-12) ?? buckets[buckets.length - 1]!;
}
