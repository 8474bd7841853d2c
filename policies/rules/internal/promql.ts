/**
 * Just enough PromQL to read a KEDA Prometheus trigger: the label matchers attached to each
 * use of a metric. (The pack stays self-contained, so no PromQL parser dependency; the program's
 * queries are also checked against Prometheus' own grammar in the component tests.)
 */

export interface LabelMatcher {
  readonly label: string;
  readonly op: "=" | "!=" | "=~" | "!~";
  readonly value: string;
}

/** Matchers of every selector of `metric` in `query`; an empty list for a bare use. `[]` overall when the metric is absent. */
export function selectorsOf(query: string, metric: string): LabelMatcher[][] {
  const out: LabelMatcher[][] = [];
  const escaped = metric.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const use = new RegExp(`(?<![A-Za-z0-9_:])${escaped}(?![A-Za-z0-9_:])\\s*(\\{([^}]*)\\})?`, "g");
  for (const match of query.matchAll(use)) out.push(parseMatchers(match[2] ?? ""));
  return out;
}

function parseMatchers(body: string): LabelMatcher[] {
  const matchers: LabelMatcher[] = [];
  const pattern = /([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g;
  for (const match of body.matchAll(pattern)) {
    matchers.push({ label: match[1] as string, op: match[2] as LabelMatcher["op"], value: (match[3] as string).replace(/\\(.)/g, "$1") });
  }
  return matchers;
}

/** The name a Kubernetes pod label gets as a Prometheus label (`labelmap` sanitizing: invalid characters → `_`). */
export function prometheusLabelName(kubernetesLabel: string): string {
  return kubernetesLabel.replace(/[^A-Za-z0-9_]/g, "_");
}

/** Whether the query turns "no data" into a number (`or vector(0)`, `absent(...)`-style fallbacks). */
export function fillsMissingWithZero(query: string): boolean {
  return /\bor\s+vector\s*\(/.test(query) || /\bor\s+on\s*\(\s*\)\s*vector\s*\(/.test(query);
}
