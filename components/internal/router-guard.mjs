/* global process */
/*
 * Admission guard: a sidecar in each vLLM pod, in front of vLLM's port. It admits at most
 * GUARD_RUNNING_SLOTS (vLLM's --max-num-seqs) + GUARD_QUEUE_ALLOWANCE (the requests this replica
 * clears within the wait SLO) requests at once and answers 429 beyond that, with a header naming
 * the reason, so the gateway's fallback sends the request to the API. Because every ready replica
 * brings its own guard, the owned path's total spill threshold follows the autoscaler.
 *
 * Node standard library only: the ConfigMap mounts this one file into a pinned official node image.
 * Responses (SSE streams included) are piped through byte for byte as vLLM writes them.
 *
 * Env: GUARD_WORKLOAD (metric label), GUARD_RUNNING_SLOTS, GUARD_QUEUE_ALLOWANCE,
 * GUARD_LISTEN_PORT (default 8001), GUARD_LISTEN_HOST (default 0.0.0.0),
 * GUARD_ENGINE_PORT (default 8000, on 127.0.0.1: the engine in the same pod).
 * Own endpoints: GET /metrics (Prometheus text), GET /livez. Everything else is proxied.
 */
import * as http from "node:http";

function wholeNumber(name, fallback) {
  const raw = process.env[name] ?? fallback;
  const value = Number(raw);
  if (raw === undefined || !Number.isInteger(value) || value < 0) {
    process.stderr.write(`router-guard: env ${name} must be a whole number of at least 0, got ${JSON.stringify(raw ?? null)}\n`);
    process.exit(2);
  }
  return value;
}

const workload = process.env.GUARD_WORKLOAD ?? "";
if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(workload)) {
  process.stderr.write(`router-guard: env GUARD_WORKLOAD must be a DNS-1123 label, got ${JSON.stringify(workload)}\n`);
  process.exit(2);
}
const limit = wholeNumber("GUARD_RUNNING_SLOTS") + wholeNumber("GUARD_QUEUE_ALLOWANCE");
const listenPort = wholeNumber("GUARD_LISTEN_PORT", "8001");
const enginePort = wholeNumber("GUARD_ENGINE_PORT", "8000");
const listenHost = process.env.GUARD_LISTEN_HOST ?? "0.0.0.0";
const SPILL_HEADER = "x-gpu-inference-spill";
const BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

let inFlight = 0;
const outcomes = { admitted: 0, spilled: 0, engine_error: 0 };
const bucketCounts = BUCKETS.map(() => 0);
let durationSum = 0;
let durationCount = 0;

function observe(seconds) {
  BUCKETS.forEach((le, i) => {
    if (seconds <= le) bucketCounts[i] += 1;
  });
  durationSum += seconds;
  durationCount += 1;
}

function metrics() {
  const l = `workload="${workload}"`;
  const lines = [
    "# HELP inference_guard_requests_total Owned requests by outcome, counted once when they end.",
    "# TYPE inference_guard_requests_total counter",
    ...Object.entries(outcomes).map(([outcome, n]) => `inference_guard_requests_total{${l},outcome="${outcome}"} ${n}`),
    "# HELP inference_guard_in_flight_requests Requests admitted and not yet finished.",
    "# TYPE inference_guard_in_flight_requests gauge",
    `inference_guard_in_flight_requests{${l}} ${inFlight}`,
    "# HELP inference_guard_admission_limit Running slots plus the requests this replica clears within the wait SLO.",
    "# TYPE inference_guard_admission_limit gauge",
    `inference_guard_admission_limit{${l}} ${limit}`,
    "# HELP inference_guard_request_duration_seconds Duration of admitted requests through the guard.",
    "# TYPE inference_guard_request_duration_seconds histogram",
    ...BUCKETS.map((le, i) => `inference_guard_request_duration_seconds_bucket{${l},le="${le}"} ${bucketCounts[i]}`),
    `inference_guard_request_duration_seconds_bucket{${l},le="+Inf"} ${durationCount}`,
    `inference_guard_request_duration_seconds_sum{${l}} ${durationSum}`,
    `inference_guard_request_duration_seconds_count{${l}} ${durationCount}`,
  ];
  return `${lines.join("\n")}\n`;
}

/** Inference calls are admitted against the limit; model lists and health checks pass freely. */
const isInference = (req) => req.method === "POST" && (req.url ?? "").startsWith("/v1/");

function refuse(req, res, status, reason) {
  req.resume();
  res.writeHead(status, { "content-type": "application/json", [SPILL_HEADER]: reason });
  res.end(JSON.stringify({ error: { message: `owned replica refused the request: ${reason}`, type: reason, code: status } }));
}

function proxy(req, res, admitted) {
  const started = process.hrtime.bigint();
  let finished = false;
  const finish = (outcome) => {
    if (finished) return;
    finished = true;
    if (!admitted) return;
    inFlight -= 1;
    outcomes[outcome] += 1;
    observe(Number(process.hrtime.bigint() - started) / 1e9);
  };
  const upstream = http.request(
    { host: "127.0.0.1", port: enginePort, method: req.method, path: req.url, headers: req.headers },
    (engineRes) => {
      const outcome = (engineRes.statusCode ?? 502) >= 500 ? "engine_error" : "admitted";
      res.writeHead(engineRes.statusCode ?? 502, engineRes.rawHeaders);
      res.flushHeaders();
      engineRes.pipe(res);
      engineRes.on("end", () => finish(outcome));
      engineRes.on("error", () => finish("engine_error"));
    },
  );
  upstream.on("error", () => {
    finish("engine_error");
    if (!res.headersSent) refuse(req, res, 503, "engine-unreachable");
    else res.destroy();
  });
  // A client that goes away frees its slot and cancels the engine's work.
  res.on("close", () => {
    if (!res.writableFinished) upstream.destroy();
    finish(res.writableFinished ? "admitted" : "engine_error");
  });
  req.pipe(upstream);
}

const server = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/metrics") {
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    res.end(metrics());
    return;
  }
  if (req.method === "GET" && req.url === "/livez") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok\n");
    return;
  }
  if (!isInference(req)) {
    proxy(req, res, false);
    return;
  }
  if (inFlight >= limit) {
    outcomes.spilled += 1;
    refuse(req, res, 429, "queue-wait-slo");
    return;
  }
  inFlight += 1;
  proxy(req, res, true);
});
// Streams may run for minutes; Node's default 5-minute request timeout would cut them.
server.requestTimeout = 0;
server.listen(listenPort, listenHost, () => process.stdout.write(`router-guard: ${workload} limit ${limit} on ${listenHost}:${listenPort} -> 127.0.0.1:${enginePort}\n`));
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
