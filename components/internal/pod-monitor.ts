/**
 * The scrape endpoint every engine PodMonitor uses (the interactive server's, its guard's and the
 * batch jobs'), so the series of both tiers carry the same `namespace`, `pod` and `job` labels and
 * the live rules select them the same way. Plain data, no Pulumi.
 */

/**
 * One `PodMonitor.spec.podMetricsEndpoints[]` entry on a named container port. A `namespace` label
 * the target exposes itself is kept as `exported_namespace` (`honorLabels: false`), never trusted;
 * `job` is fixed, so look-alike series from another monitor never enter a sum.
 */
export function podMetricsEndpoint(port: string, job: string, interval: string) {
  return {
    port,
    path: "/metrics",
    interval,
    honorLabels: false,
    relabelings: [
      { action: "replace", sourceLabels: ["__meta_kubernetes_namespace"], targetLabel: "namespace" },
      { action: "replace", sourceLabels: ["__meta_kubernetes_pod_name"], targetLabel: "pod" },
      { action: "replace", targetLabel: "job", replacement: job },
    ],
  };
}
