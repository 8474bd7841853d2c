/**
 * Spill with real processes on loopback: slow fake engines (OpenAI-compatible, streaming, a fixed
 * number of running slots, FIFO waiting like vLLM) each behind the real admission guard
 * (components/internal/router-guard.mjs, spawned with node), a fake API, and a client that does
 * what the gateway does: pick a replica round-robin, and on 429/5xx/connection failure send the
 * request to the API backend (the AIGatewayRoute's priority-1 fallback).
 *
 * Load is a steady arrival rate above owned capacity. The share that reaches the API must match
 * the month simulation (simulateArrivals) fed the same run — the arrivals as they were really
 * sent, the engines' measured service rate, the guard's queue allowance, the same ready replicas —
 * within SHARE_TOLERANCE. Measured rather than nominal rates keep the comparison honest on a loaded
 * machine, where timers stretch. No request is lost, every stream arrives whole and in order, no
 * engine ever queues more than the guard's allowance (so none waits past the SLO at the engine's
 * rate), and the threshold doubles with the replicas (1 replica → 2).
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { admissionLimit } from "../../components/internal/router-admission";
import { GUARD_SPILL_HEADER } from "../../policies/contract";
import { simulateArrivals } from "../../policies/economics/simulation";

const GUARD = path.join(__dirname, "../../components/internal/router-guard.mjs");
const FAKE = path.join(__dirname, "../fixtures/router/fake-openai.mjs");

/** Engine: 2 sequences at once, 400 ms each → 5 requests/s per replica. */
const SLOTS = 2;
const SERVICE_MS = 400;
const CHUNKS = 4;
const REQUESTS_PER_SECOND_PER_REPLICA = SLOTS / (SERVICE_MS / 1000);
const MAX_QUEUE_WAIT_SECONDS = 0.4;
/** Offered load: 20 requests/s for 3 s, evenly spaced (4× one replica, 2× two). */
const ARRIVALS_PER_SECOND = 20;
const DURATION_SECONDS = 3;
/** Measured API share vs the simulation's overflow share, absolute. Timer jitter on a shared 2-core machine is the main error. */
const SHARE_TOLERANCE = 0.08;

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill("SIGTERM");
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function start(script: string, env: Record<string, string>, readyWord: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [script], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start`)), 5_000);
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on("data", (d: Buffer) => {
      if (d.toString().includes(readyWord)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code}: ${stderr}`)));
  });
  return child;
}

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

function post(port: number, body: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(
      { host: "127.0.0.1", port, method: "POST", path: "/v1/chat/completions", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data) }, agent: false },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(data);
  });
}

async function getText(port: number, urlPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path: urlPath, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve(text));
    }).on("error", reject);
  });
}

/** The SSE chunks' contents, in order, and whether the stream ended with [DONE]. */
function streamContents(body: string): { contents: string[]; done: boolean } {
  const events = body.split("\n\n").filter((e) => e.startsWith("data: "));
  const done = events.at(-1) === "data: [DONE]";
  const contents = events
    .filter((e) => e !== "data: [DONE]")
    .map((e) => (JSON.parse(e.slice("data: ".length)) as { choices: { delta: { content: string } }[] }).choices[0]!.delta.content);
  return { contents, done };
}

interface Outcome {
  readonly id: number;
  readonly servedBy: "owned" | "api";
  readonly spilled: boolean;
  readonly reply: Reply;
}

/** What the gateway does: the owned backend first (round-robin over replicas), the API on 429, 5xx or a failed connection. */
async function routeLikeTheGateway(id: number, guardPorts: readonly number[], apiPort: number): Promise<Outcome> {
  const body = { model: "support-chat", stream: true, metadata: { id: String(id) }, messages: [{ role: "user", content: "hi" }] };
  const guardPort = guardPorts[id % guardPorts.length]!;
  let spilled = false;
  try {
    const owned = await post(guardPort, body);
    if (owned.status < 500 && owned.status !== 429) return { id, servedBy: "owned", spilled, reply: owned };
    spilled = owned.status === 429 && owned.headers[GUARD_SPILL_HEADER] === "queue-wait-slo";
  } catch {
    // connection failure: fall back like retryOn connect-failure
  }
  const api = await post(apiPort, { ...body, model: "gpt-4.1-mini" });
  return { id, servedBy: "api", spilled, reply: api };
}

interface Run {
  readonly outcomes: Outcome[];
  readonly guardPorts: number[];
  readonly enginePorts: number[];
  /** When each request was really sent, seconds after the first. */
  readonly sentAtSeconds: number[];
}

async function runLoad(replicas: number): Promise<Run> {
  const limit = admissionLimit({ runningSlots: SLOTS, requestsPerSecond: REQUESTS_PER_SECOND_PER_REPLICA, maxQueueWaitSeconds: MAX_QUEUE_WAIT_SECONDS });
  const apiPort = await freePort();
  await start(FAKE, { FAKE_ROLE: "api", FAKE_PORT: String(apiPort), FAKE_CHUNKS: String(CHUNKS) }, "listening");
  const guardPorts: number[] = [];
  const enginePorts: number[] = [];
  for (let r = 0; r < replicas; r++) {
    const enginePort = await freePort();
    await start(FAKE, { FAKE_ROLE: "engine", FAKE_PORT: String(enginePort), FAKE_SLOTS: String(SLOTS), FAKE_SERVICE_MS: String(SERVICE_MS), FAKE_CHUNKS: String(CHUNKS) }, "listening");
    const guardPort = await freePort();
    await start(
      GUARD,
      {
        GUARD_WORKLOAD: "support-chat",
        GUARD_RUNNING_SLOTS: String(limit.runningSlots),
        GUARD_QUEUE_ALLOWANCE: String(limit.queueAllowance),
        GUARD_LISTEN_HOST: "127.0.0.1",
        GUARD_LISTEN_PORT: String(guardPort),
        GUARD_ENGINE_PORT: String(enginePort),
      },
      "router-guard:",
    );
    guardPorts.push(guardPort);
    enginePorts.push(enginePort);
  }
  const total = ARRIVALS_PER_SECOND * DURATION_SECONDS;
  const gapMs = 1000 / ARRIVALS_PER_SECOND;
  const t0 = performance.now();
  const pending: Promise<Outcome>[] = [];
  const sentAtSeconds: number[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + i * gapMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sentAtSeconds.push((performance.now() - t0) / 1000);
    pending.push(routeLikeTheGateway(i, guardPorts, apiPort));
  }
  return { outcomes: await Promise.all(pending), guardPorts, enginePorts, sentAtSeconds };
}

/**
 * The month simulation's overflow share for the run's real arrivals, the engines' measured rate
 * (`requestsPerSecondPerReplica`) and the guard's queue allowance (requests a replica may hold
 * waiting), at a fixed replica count.
 */
function simulatedApiShare(replicas: number, sentAtSeconds: readonly number[], requestsPerSecondPerReplica: number, queueAllowance: number): number {
  const stepSeconds = 0.05;
  const steps = Math.ceil((Math.max(...sentAtSeconds) + stepSeconds) / stepSeconds);
  const arrivals = new Float64Array(steps);
  for (const t of sentAtSeconds) arrivals[Math.floor(t / stepSeconds)]! += 1;
  const tokensPerRequest = CHUNKS;
  const result = simulateArrivals(
    {
      tier: "interactive",
      requestsPerMonth: ARRIVALS_PER_SECOND * DURATION_SECONDS,
      meanInputTokens: 0,
      meanOutputTokens: tokensPerRequest,
      peakToMeanRatio: 1,
      noiseCoefficientOfVariation: 0,
      replica: { tokensPerSecond: requestsPerSecondPerReplica * tokensPerRequest, concurrentSequences: SLOTS },
      gpusPerReplica: 1,
      autoscaler: { minReplicas: replicas, maxReplicas: replicas, targetQueuePerReplica: 1, scaleUpDelaySeconds: 0, scaleDownCooldownSeconds: 0 },
      // The queue the guard allows, as the time the replica takes to clear it.
      maxQueueWaitSeconds: queueAllowance / requestsPerSecondPerReplica,
      stepSeconds,
    },
    arrivals,
  );
  return result.overflowShare;
}

function guardCounter(metrics: string, outcome: string): number {
  const line = metrics.split("\n").find((l) => l.startsWith(`inference_guard_requests_total{workload="support-chat",outcome="${outcome}"}`));
  return Number(line?.split(" ").at(-1));
}

async function checkRun(run: Run, replicas: number): Promise<{ measured: number; predicted: number; serviceMs: number }> {
  const { outcomes } = run;
  // Nothing lost: every request answered 200 with its whole stream, in order, ending in [DONE].
  expect(outcomes).toHaveLength(ARRIVALS_PER_SECOND * DURATION_SECONDS);
  for (const o of outcomes) {
    expect(o.reply.status).toBe(200);
    const role = o.servedBy === "owned" ? "engine" : "api";
    expect(streamContents(o.reply.body)).toEqual({ contents: Array.from({ length: CHUNKS }, (_, i) => `${role}:${o.id}:${i}`), done: true });
  }
  // Every API request was a spill the guard named, and the guard's counters agree with the client.
  const api = outcomes.filter((o) => o.servedBy === "api");
  expect(api.every((o) => o.spilled)).toBe(true);
  let spilled = 0;
  let served = 0;
  let engineFinished = 0;
  let serviceMsTotal = 0;
  const limit = admissionLimit({ runningSlots: SLOTS, requestsPerSecond: REQUESTS_PER_SECOND_PER_REPLICA, maxQueueWaitSeconds: MAX_QUEUE_WAIT_SECONDS });
  for (let r = 0; r < replicas; r++) {
    const metrics = await getText(run.guardPorts[r]!, "/metrics");
    spilled += guardCounter(metrics, "spilled");
    served += guardCounter(metrics, "admitted");
    expect(guardCounter(metrics, "engine_error")).toBe(0);
    expect(metrics).toContain(`inference_guard_in_flight_requests{workload="support-chat"} 0`);
    const stats = JSON.parse(await getText(run.enginePorts[r]!, "/stats")) as { finished: number; maxWaiting: number; serviceMsTotal: number };
    engineFinished += stats.finished;
    serviceMsTotal += stats.serviceMsTotal;
    // Admitted requests never queue deeper than the allowance: at the engine's rate, none waits past the SLO.
    expect(stats.maxWaiting).toBeLessThanOrEqual(limit.queueAllowance);
  }
  expect(spilled).toBe(api.length);
  expect(served).toBe(outcomes.length - api.length);
  expect(engineFinished).toBe(served);
  const serviceMs = serviceMsTotal / engineFinished;
  const measured = api.length / outcomes.length;
  const predicted = simulatedApiShare(replicas, run.sentAtSeconds, SLOTS / (serviceMs / 1000), limit.queueAllowance);
  expect(Math.abs(measured - predicted)).toBeLessThanOrEqual(SHARE_TOLERANCE);
  return { measured, predicted, serviceMs };
}

describe("spill to the API when owned is full (real guard processes on loopback)", () => {
  it("the guard's limit is the running slots plus the requests a replica clears within the wait SLO", () => {
    expect(admissionLimit({ runningSlots: SLOTS, requestsPerSecond: REQUESTS_PER_SECOND_PER_REPLICA, maxQueueWaitSeconds: MAX_QUEUE_WAIT_SECONDS })).toEqual({
      runningSlots: 2,
      queueAllowance: 2,
      perReplica: 4,
    });
    expect(() => admissionLimit({ runningSlots: 2, requestsPerSecond: Number.NaN, maxQueueWaitSeconds: 2 })).toThrow(/requestsPerSecond/);
  });

  it("spills the share the simulation predicts, and the threshold follows the ready replicas", async () => {
    const one = await checkRun(await runLoad(1), 1);
    const two = await checkRun(await runLoad(2), 2);
    console.log(
      `API share, 1 replica: measured ${one.measured.toFixed(3)} vs simulated ${one.predicted.toFixed(3)} (service ${one.serviceMs.toFixed(0)} ms); ` +
        `2 replicas: measured ${two.measured.toFixed(3)} vs simulated ${two.predicted.toFixed(3)} (service ${two.serviceMs.toFixed(0)} ms)`,
    );
    // Twice the replicas carry twice the owned work: the spill threshold scaled.
    expect(1 - two.measured).toBeGreaterThan(1.6 * (1 - one.measured));
  }, 20_000);
});
