/**
 * A real Prometheus (Debian's `prometheus`, installed by .ci/run) scrapes local endpoints serving
 * vLLM's exposition format, relabelled the way the engine PodMonitor relabels, and runs the
 * ScaledObject's exact query: the answer is the queue depth KEDA would act on.
 *
 * Targets (all on 127.0.0.1):
 *   engine-a  namespace search, model chat   waiting 5   (+ the per-reason breakdown, which must not be summed)
 *   engine-b  namespace search, model chat   waiting 2
 *   other-ns  namespace support, model chat  waiting 100  (same model name, other tenant)
 *   other-mdl namespace search, model other  waiting 50   (same namespace, other model)
 *   spoof     namespace evil, exposes its own namespace="search" label, model chat, waiting 70
 *   router    namespace search, scraped under the router's job, re-exports a look-alike chat series of 40
 * Expected: 5 + 2 = 7; then 0 when the queues drain (0, not "no data"); then no series at all once
 * the engines stop answering, which KEDA (ignoreNullValues "false") treats as an error, not as 0.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ModelDeployment } from "../../components/model-deployment";
import { batchCluster, placement, servingStack, WEIGHT_GIB, workload } from "../fixtures/serving";
import { find, installPulumiMocks } from "../helpers/pulumi-mocks";

const WAIT_MS = 30_000;

interface Target {
  readonly id: string;
  readonly job: "engine" | "router";
  readonly namespace: string;
  body: () => string;
  up: boolean;
}

const gauge = (model: string, value: number, extra = "") =>
  [
    "# HELP vllm:num_requests_waiting Number of requests waiting to be processed.",
    "# TYPE vllm:num_requests_waiting gauge",
    `vllm:num_requests_waiting{engine="0",model_name="${model}"${extra}} ${value.toFixed(1)}`,
    "# HELP vllm:num_requests_running Number of requests in model execution batches.",
    "# TYPE vllm:num_requests_running gauge",
    `vllm:num_requests_running{engine="0",model_name="${model}"${extra}} 3.0`,
  ].join("\n");

const waiting = { a: 5, b: 2 };
const targets: Target[] = [
  {
    id: "engine-a",
    job: "engine",
    namespace: "search",
    up: true,
    body: () =>
      [
        gauge("chat", waiting.a),
        "# HELP vllm:num_requests_waiting_by_reason Number of waiting requests by reason.",
        "# TYPE vllm:num_requests_waiting_by_reason gauge",
        `vllm:num_requests_waiting_by_reason{engine="0",model_name="chat",reason="capacity"} ${waiting.a.toFixed(1)}`,
        'vllm:num_requests_waiting_by_reason{engine="0",model_name="chat",reason="deferred"} 0.0',
      ].join("\n"),
  },
  { id: "engine-b", job: "engine", namespace: "search", up: true, body: () => gauge("chat", waiting.b) },
  { id: "other-ns", job: "engine", namespace: "support", up: true, body: () => gauge("chat", 100) },
  { id: "other-mdl", job: "engine", namespace: "search", up: true, body: () => gauge("other", 50) },
  { id: "spoof", job: "engine", namespace: "evil", up: true, body: () => gauge("chat", 70, ',namespace="search"') },
  { id: "router", job: "router", namespace: "search", up: true, body: () => gauge("chat", 40) },
];

let server: http.Server;
let prometheus: ChildProcess | undefined;
let prometheusLog = "";
let workDir: string;
let baseUrl: string;
let query: string;
let relabelings: { action: string; sourceLabels?: string[]; targetLabel: string; replacement?: string }[];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function poll<T>(what: string, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}; last error: ${String(last)}\nprometheus log:\n${prometheusLog.slice(-3000)}`);
}

async function getJson(url: string): Promise<{ status: string; data: unknown }> {
  const res = await fetch(url);
  return (await res.json()) as { status: string; data: unknown };
}

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

async function instant(promql: string): Promise<VectorSample[]> {
  const body = await getJson(`${baseUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  if (body.status !== "success") throw new Error(JSON.stringify(body));
  const data = body.data as { resultType: string; result: VectorSample[] };
  expect(data.resultType).toBe("vector");
  return data.result;
}

beforeAll(async () => {
  // The ScaledObject's exact query and the PodMonitor's exact relabelings, from the program under mocks.
  const config = servingStack();
  const recorded = installPulumiMocks();
  const w = workload(config, "chat");
  const md = new ModelDeployment("chat", { config, workload: w, weightGiB: WEIGHT_GIB, tenant: { namespace: w.tenant }, placement, cluster: batchCluster });
  await pulumi.runtime.disconnect();
  const so = find(recorded, "kubernetes:keda.sh/v1alpha1:ScaledObject", "chat-scaler").inputs as { spec: { triggers: { metadata: { query: string } }[] } };
  query = so.spec.triggers[0]!.metadata.query;
  expect(query).toBe(await new Promise((resolve) => md.autoscaler.query!.apply(resolve)));
  const pm = find(recorded, "kubernetes:monitoring.coreos.com/v1:PodMonitor", "chat-metrics").inputs as {
    spec: { podMetricsEndpoints: { path: string; honorLabels: boolean; relabelings: typeof relabelings }[] };
  };
  const endpoint = pm.spec.podMetricsEndpoints[0]!;
  relabelings = endpoint.relabelings;

  let binary: string;
  try {
    binary = execFileSync("sh", ["-c", "command -v prometheus"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("`prometheus` is not on PATH: install Debian's package (`apt-get install --no-install-recommends prometheus`), as .ci/run does");
  }

  server = http.createServer((req, res) => {
    const target = targets.find((t) => req.url === `/${t.id}${endpoint.path}`);
    if (target === undefined || !target.up) {
      res.writeHead(target === undefined ? 404 : 503).end();
      return;
    }
    res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" }).end(`${target.body()}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const metricsPort = (server.address() as net.AddressInfo).port;

  // One scrape job per pod, as prometheus-operator generates: the pod's namespace and name arrive as
  // `__meta_kubernetes_*` labels, then the PodMonitor's relabelings run; the router has its own job.
  const engineRelabel = relabelings.map((r) => ({
    action: r.action,
    ...(r.sourceLabels !== undefined ? { source_labels: r.sourceLabels } : {}),
    target_label: r.targetLabel,
    ...(r.replacement !== undefined ? { replacement: r.replacement } : {}),
  }));
  const scrapeConfigs = targets.map((t) => ({
    job_name: `${t.job}-${t.id}`,
    honor_labels: t.job === "engine" ? endpoint.honorLabels : false,
    metrics_path: `/${t.id}${endpoint.path}`,
    static_configs: [{ targets: [`127.0.0.1:${metricsPort}`], labels: { __meta_kubernetes_namespace: t.namespace, __meta_kubernetes_pod_name: `${t.id}-0` } }],
    relabel_configs:
      t.job === "engine"
        ? engineRelabel
        : [
            { action: "replace", source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
            { action: "replace", target_label: "job", replacement: "inference-router" },
          ],
  }));
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "prom-queue-depth-"));
  fs.writeFileSync(path.join(workDir, "prometheus.yml"), stringify({ global: { scrape_interval: "1s", scrape_timeout: "500ms" }, scrape_configs: scrapeConfigs }));

  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    binary,
    [
      `--config.file=${path.join(workDir, "prometheus.yml")}`,
      `--storage.tsdb.path=${path.join(workDir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  prometheus.stdout?.on("data", (d: Buffer) => (prometheusLog += d.toString()));
  prometheus.stderr?.on("data", (d: Buffer) => (prometheusLog += d.toString()));

  await poll("Prometheus ready", async () => ((await fetch(`${baseUrl}/-/ready`)).ok ? true : undefined));
  await poll("every target up", async () => {
    const body = (await getJson(`${baseUrl}/api/v1/targets?state=active`)).data as { activeTargets: { health: string }[] };
    return body.activeTargets.length === targets.length && body.activeTargets.every((t) => t.health === "up") ? true : undefined;
  });
}, 90_000);

afterAll(async () => {
  if (prometheus !== undefined && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus!.once("exit", resolve));
    prometheus.kill("SIGTERM");
    const timer = setTimeout(() => prometheus?.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
  await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
  if (workDir !== undefined) fs.rmSync(workDir, { recursive: true, force: true });
});

describe("the ScaledObject's query against a real Prometheus", () => {
  it("the PodMonitor's relabelings give every engine series its namespace and the engine job; a target's own namespace label is not trusted", async () => {
    const all = await poll("all look-alike series", async () => {
      const r = await instant("vllm:num_requests_waiting");
      return r.length === targets.length ? r : undefined;
    });
    const byPod = Object.fromEntries(all.map((s) => [s.metric.pod ?? s.metric.instance, s.metric]));
    expect(byPod["engine-a-0"]).toMatchObject({ namespace: "search", job: "vllm-engine", model_name: "chat", engine: "0" });
    expect(byPod["spoof-0"]).toMatchObject({ namespace: "evil", exported_namespace: "search", job: "vllm-engine" });
    expect(all.find((s) => s.metric.job === "inference-router")?.metric).toMatchObject({ namespace: "search", model_name: "chat" });
  });

  it("returns exactly the sum of this namespace's engines for this model: 5 + 2 = 7 (router, other tenants, other models, spoofers excluded)", async () => {
    const result = await poll("the queue depth", async () => {
      const r = await instant(query);
      return r.length === 1 && r[0]!.value[1] === "7" ? r : undefined;
    });
    expect(result).toHaveLength(1);
    expect(result[0]!.metric).toEqual({});
    expect(Number(result[0]!.value[1])).toBe(waiting.a + waiting.b);
    // KEDA divides this by the threshold (target queue per replica) to get the replica count.
    expect(Math.ceil(Number(result[0]!.value[1]) / 3)).toBe(3);
  });

  it("reports 0 (a value, not no data) when the queues drain", async () => {
    waiting.a = 0;
    waiting.b = 0;
    const result = await poll("a drained queue", async () => {
      const r = await instant(query);
      return r.length === 1 && r[0]!.value[1] === "0" ? r : undefined;
    });
    expect(result[0]!.value[1]).toBe("0");
  });

  it("returns no series at all once the engines stop answering, which KEDA must not read as 0", async () => {
    for (const t of targets) if (t.job === "engine" && t.namespace === "search") t.up = false;
    const result = await poll("the engine series to go stale", async () => {
      const r = await instant(query);
      return r.length === 0 ? r : undefined;
    });
    expect(result).toEqual([]);
  });
});
