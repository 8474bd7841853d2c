/**
 * Every PromQL query the program emits parses with Prometheus' own grammar and names only metrics
 * vLLM v0.26.0 exports (test/fixtures/vllm/metrics-v0.26.0.tsv, vendored with its source).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parser } from "@prometheus-io/lezer-promql";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ENGINE_SCRAPE_JOB, promqlString, QUEUE_DEPTH_METRIC, queueDepthQuery } from "../../components/internal/promql";

const dataDir = path.resolve(__dirname, "..", "fixtures", "vllm");
const METRICS = new Map(
  fs
    .readFileSync(path.join(dataDir, "metrics-v0.26.0.tsv"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("#") && !l.startsWith("name\t"))
    .map((l) => {
      const [name, type, labels] = l.split("\t") as [string, string, string];
      return [name, { type, labels: labels.split(",") }] as const;
    }),
);

interface Parsed {
  errors: number;
  metrics: string[];
  matchers: { label: string; op: string; value: string }[];
  aggregation: string | null;
}

/** Walk the lezer tree: error nodes, metric names, label matchers (string literals decoded). */
function analyse(query: string): Parsed {
  const out: Parsed = { errors: 0, metrics: [], matchers: [], aggregation: null };
  const cursor = parser.parse(query).cursor();
  do {
    if (cursor.type.isError) out.errors += 1;
    if (cursor.name === "AggregateOp" && out.aggregation === null) out.aggregation = query.slice(cursor.from, cursor.to);
    if (cursor.name === "Identifier" && cursor.node.parent?.name === "VectorSelector") out.metrics.push(query.slice(cursor.from, cursor.to));
    if (cursor.name === "UnquotedLabelMatcher") {
      const node = cursor.node;
      const text = (name: string) => {
        const child = node.getChild(name);
        return child === null ? "" : query.slice(child.from, child.to);
      };
      const literal = text("StringLiteral");
      out.matchers.push({ label: text("LabelName"), op: text("MatchOp"), value: literal === "" ? "" : (JSON.parse(literal) as string) });
    }
  } while (cursor.next());
  return out;
}

describe("queue-depth query", () => {
  it("the metric it sums is a vLLM v0.26.0 gauge carrying model_name", () => {
    expect(METRICS.get(QUEUE_DEPTH_METRIC)).toEqual({ type: "gauge", labels: ["model_name", "engine"] });
  });

  it("parses without error nodes, sums one metric vLLM exports, and matches exactly job, namespace and model_name", () => {
    const q = queueDepthQuery({ namespace: "search", servedModelName: "chat" });
    expect(q).toBe('sum(vllm:num_requests_waiting{job="vllm-engine", namespace="search", model_name="chat"})');
    const parsed = analyse(q);
    expect(parsed.errors).toBe(0);
    expect(parsed.aggregation).toBe("sum");
    expect(parsed.metrics).toEqual(["vllm:num_requests_waiting"]);
    expect(parsed.metrics.every((m) => METRICS.has(m))).toBe(true);
    expect(parsed.matchers).toEqual([
      { label: "job", op: "=", value: ENGINE_SCRAPE_JOB },
      { label: "namespace", op: "=", value: "search" },
      { label: "model_name", op: "=", value: "chat" },
    ]);
  });

  it("stays one valid selector whatever the served model name holds (quotes, backslashes, newlines are escaped)", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/), fc.string({ minLength: 1, maxLength: 40 }), (namespace, servedModelName) => {
        const parsed = analyse(queueDepthQuery({ namespace, servedModelName }));
        expect(parsed.errors).toBe(0);
        expect(parsed.metrics).toEqual([QUEUE_DEPTH_METRIC]);
        expect(parsed.matchers.map((m) => m.value)).toEqual([ENGINE_SCRAPE_JOB, namespace, servedModelName]);
      }),
      { numRuns: 300 },
    );
    const parsed = analyse(queueDepthQuery({ namespace: "search", servedModelName: 'a"b\\c\nd' }));
    expect(parsed.errors).toBe(0);
    expect(parsed.matchers[2]?.value).toBe('a"b\\c\nd');
  });

  it("the grammar check can fail: a broken query has error nodes", () => {
    expect(analyse("sum(vllm:num_requests_waiting{namespace=").errors).toBeGreaterThan(0);
    expect(promqlString('a"b\\c')).toBe('"a\\"b\\\\c"');
  });
});
