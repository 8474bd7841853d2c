/**
 * The live-economics rules run in Prometheus' own rule engine: `promtool test rules` (Debian's
 * `prometheus` package) evaluates the exact rule groups the component deploys on synthetic series.
 *
 * - Utilization: fed the month the cost model simulated for a dev-stack workload (its served tokens
 *   and mean replicas, as steady series), the utilization rule equals the model's modeled
 *   utilization, and the cost-rate rules equal the model's owned and API monthly bills ÷ 730 h.
 * - Every alert fires when its condition holds long enough, and stays silent when it does not.
 *
 * All cases go to one promtool process; the files are generated here, in a temp dir, from the
 * same evaluation `npm run cost` and the gate run.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { KSM_POOL_LABEL, pythonBucketLabel } from "../../components/internal/live-metrics";
import { LIVE_ALERTS, LIVE_SERIES, liveRuleGroups, type LiveWorkloadTargets } from "../../components/internal/live-rules";
import { loadStackConfigFile } from "../../infra/config";
import { withResolvedEconomics } from "../../infra/economics-source";
import { liveTargets } from "../../infra/live-targets";
import { evaluateStack, type StackEvaluation } from "../../infra/stack-economics";
import { apiCostUsd, splitTokens } from "../../policies/economics/break-even";
import { HOURS_PER_MONTH } from "../../policies/economics/types";

const REPO = path.resolve(__dirname, "..", "..");
const MONTH_SECONDS = HOURS_PER_MONTH * 3600;
/** How often promtool evaluates the rules; the series are sampled every minute, as Prometheus scrapes. */
const EVALUATION_INTERVAL = "5m";

interface Series {
  readonly series: string;
  readonly values: string;
}
interface Check {
  readonly name: string;
  readonly expr: string;
  readonly evalTime: string;
  /** 1: the expression returns one series of value 1; null: it returns nothing. */
  readonly expect: 1 | null;
}
interface Case {
  readonly name: string;
  readonly series: readonly Series[];
  readonly checks: readonly Check[];
}

function labelsOf(labels: Record<string, string>): string {
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(", ")}}`;
}
/** A counter rising by `perMinute` every minute for `minutes`. */
const counter = (perMinute: number, minutes: number) => `0+${perMinute}x${minutes}`;
/** A gauge holding `value` for `minutes`. */
const gauge = (value: number, minutes: number) => `${value}x${minutes}`;

const engineLabels = (w: LiveWorkloadTargets) => ({ job: "vllm-engine", namespace: w.namespace, model_name: w.servedModelName, engine: "0" });
const firing = (alert: string, labels: Record<string, string>) =>
  `count(ALERTS${labelsOf({ alertname: alert, alertstate: "firing", ...labels })})`;
/** 1 when |series − expected| is within a relative 1e-9, else 0; nothing when the series is absent. */
const equals = (series: string, expected: number) => `max(abs(${series} - ${expected}) <= bool ${Math.abs(expected) * 1e-9 + 1e-12})`;

let evaluation: StackEvaluation;
let targets: ReturnType<typeof liveTargets>;
let dir: string;
let cases: Case[];
let promtoolOutput = "";
let promtoolFailed = false;

function target(name: string): LiveWorkloadTargets {
  const found = targets.workloads.find((w) => w.workload === name);
  if (found === undefined) throw new Error(`no workload ${name} in the dev stack`);
  return found;
}

/** A running pod requesting `gpus` GPUs on `node` (kube-state-metrics' series). */
function gpuPod(namespace: string, pod: string, node: string, gpus: number, minutes: number, phase = "Running"): Series[] {
  return [
    { series: `kube_pod_container_resource_requests${labelsOf({ namespace, pod, container: "vllm", node, resource: "nvidia_com_gpu", unit: "integer" })}`, values: gauge(gpus, minutes) },
    ...["Pending", "Running", "Succeeded", "Failed", "Unknown"].map((p) => ({ series: `kube_pod_status_phase${labelsOf({ namespace, pod, uid: `uid-${pod}`, phase: p })}`, values: gauge(p === phase ? 1 : 0, minutes) })),
  ];
}
/** A node with `gpus` GPUs. */
const gpuNode = (node: string, gpus: number, minutes: number): Series => ({
  series: `kube_node_status_capacity${labelsOf({ node, resource: "nvidia_com_gpu", unit: "integer" })}`,
  values: gauge(gpus, minutes),
});
/** A pod name of the workload's Deployment or ScaledJob. */
const podOf = (w: LiveWorkloadTargets, i: number) => `${w.workloadObjectName}-${w.tier === "interactive" ? "7d9f8c6b5" : `j${i}x2k`}-p${i}q9z`;

/** The month the model simulated for `name`, replayed as steady series; checks the model's own numbers come back. */
function modelMonthCase(name: string): Case {
  const w = target(name);
  const e = evaluation.workloads.find((x) => x.name === name)!;
  const config = loadStackConfigFile(path.join(REPO, "Pulumi.dev.yaml")).workloads.find((x) => x.name === name)!;
  const { meanInputTokens: input, meanOutputTokens: output, prefixCacheHitRate } = config.traffic;
  const tokensPerSecond = e.simulation.servedTokens / MONTH_SECONDS;
  // The GPUs the model billed (whole nodes), on average over the month: one node of that many GPUs, all the workload's.
  const meanBilledGpus = e.gpuHoursPerMonth / HOURS_PER_MONTH;
  const minutes = 7 * 60;
  const promptPerMinute = (tokensPerSecond * 60 * input) / (input + output);
  const replicaSeries: Series[] = [gpuNode("ip-10-0-1-1", meanBilledGpus, minutes), ...gpuPod(w.namespace, podOf(w, 0), "ip-10-0-1-1", meanBilledGpus, minutes)];
  const volumes = splitTokens(e.simulation.servedTokens, input, output, prefixCacheHitRate);
  const apiPerHour = apiCostUsd(volumes, e.apiPricePerMillion) / HOURS_PER_MONTH;
  const ownedPerHour = (e.ownedCostBreakdown.fixedUsd + e.ownedCostBreakdown.gpuUsd) / HOURS_PER_MONTH;
  const sel = (series: string) => `${series}{workload="${name}"}`;
  return {
    name: `${name}: the model's month`,
    series: [
      { series: `vllm:prompt_tokens_total${labelsOf(engineLabels(w))}`, values: counter(promptPerMinute, minutes) },
      { series: `vllm:prompt_tokens_cached_total${labelsOf(engineLabels(w))}`, values: counter(promptPerMinute * prefixCacheHitRate, minutes) },
      { series: `vllm:generation_tokens_total${labelsOf(engineLabels(w))}`, values: counter(tokensPerSecond * 60 - promptPerMinute, minutes) },
      ...replicaSeries,
    ],
    checks: [
      { name: "utilization over the window = modeled utilization", expr: equals(sel(LIVE_SERIES.utilizationWindow), e.modeledUtilization), evalTime: "6h30m", expect: 1 },
      { name: "utilization over 5m = modeled utilization", expr: equals(sel(LIVE_SERIES.utilization), e.modeledUtilization), evalTime: "6h30m", expect: 1 },
      { name: "owned cost rate = model's owned bill ÷ 730 h", expr: equals(sel(LIVE_SERIES.ownedCostUsdPerHour), ownedPerHour), evalTime: "6h30m", expect: 1 },
      { name: "API cost rate = model's API bill for the served tokens ÷ 730 h", expr: equals(sel(LIVE_SERIES.apiCostUsdPerHour), apiPerHour), evalTime: "6h30m", expect: 1 },
      { name: "served tokens/s = the model's served work ÷ the month", expr: equals(sel(LIVE_SERIES.tokensServed), tokensPerSecond), evalTime: "6h30m", expect: 1 },
    ],
  };
}

/** Steady token series at utilization `u` of `w`'s capacity: two replicas, each alone on a node of its size. */
function atUtilization(w: LiveWorkloadTargets, u: number, minutes: number): Series[] {
  const replicas = 2;
  const perMinute = u * w.replicaTokensPerSecond * replicas * 60;
  const replicaSeries = [0, 1].flatMap((i) => [gpuNode(`ip-10-0-2-${i}`, w.gpusPerReplica, minutes), ...gpuPod(w.namespace, podOf(w, i), `ip-10-0-2-${i}`, w.gpusPerReplica, minutes)]);
  return [
    { series: `vllm:prompt_tokens_total${labelsOf(engineLabels(w))}`, values: counter(perMinute * 0.9, minutes) },
    { series: `vllm:generation_tokens_total${labelsOf(engineLabels(w))}`, values: counter(perMinute * 0.1, minutes) },
    ...replicaSeries,
  ];
}

/** A series from one value per minute; `null` is a minute with no sample (promtool's `_`). */
const perMinute = (values: readonly (number | null)[]) => values.map((v) => (v === null ? "_" : String(v))).join(" ");

/**
 * Batch jobs as they really run, scale-to-zero, over `cycles` hours: each hour a new job pod (its own
 * name) runs 30 minutes on a node of `nodeGpus` GPUs: 5 minutes loading the model (billed, no vLLM
 * series yet), 10 minutes on a first file, 5 minutes reloading for the next file (the runner exits
 * and restarts: no series), 10 minutes on the second file with every counter from 0 again (the same
 * series, reset), then the pod has Succeeded and nothing runs for 30 minutes. Tokens flow at
 * `tokensPerMinute` while a file runs. Segments start and end on the 5-minute evaluation grid.
 */
function batchJobsComeAndGo(w: LiveWorkloadTargets, nodeGpus: number, tokensPerMinute: number, cycles: number, inputShare = 0.9): Series[] {
  const minutes = cycles * 60;
  const out: Series[] = [];
  for (let cycle = 0; cycle < cycles; cycle++) {
    const start = cycle * 60;
    const pod = `${w.workloadObjectName}-h${cycle}x2k-p${cycle}q9z`;
    const node = `ip-${w.workload}-${cycle}`;
    const during = (from: number, to: number, value: (m: number) => number | null) =>
      Array.from({ length: minutes + 1 }, (_, m) => (m >= from && m <= to ? value(m) : null));
    // A file's counter: 0 when the engine is up, rising until the runner exits at the segment's end.
    const tokens = (share: number) =>
      Array.from({ length: minutes + 1 }, (_, m) =>
        m >= start + 5 && m <= start + 15 ? (m - start - 5) * tokensPerMinute * share : m >= start + 20 && m <= start + 30 ? (m - start - 20) * tokensPerMinute * share : null,
      );
    const engine = { ...engineLabels(w), pod };
    out.push({ series: `vllm:prompt_tokens_total${labelsOf(engine)}`, values: perMinute(tokens(inputShare)) });
    out.push({ series: `vllm:generation_tokens_total${labelsOf(engine)}`, values: perMinute(tokens(1 - inputShare)) });
    // The engine's gauges exist while a runner has its engine up.
    out.push({ series: `vllm:kv_cache_usage_perc${labelsOf(engine)}`, values: perMinute(tokens(1).map((v) => (v === null ? null : 0.5))) });
    // kube-state-metrics: the pod and its node for the 30 minutes it runs, then Succeeded for 5 more minutes before the Job is cleaned up.
    const running = (m: number) => (m < start + 30 ? 1 : 0);
    out.push({ series: `kube_node_status_capacity${labelsOf({ node, resource: "nvidia_com_gpu", unit: "integer" })}`, values: perMinute(during(start, start + 35, () => nodeGpus)) });
    out.push({
      series: `kube_pod_container_resource_requests${labelsOf({ namespace: w.namespace, pod, container: "vllm", node, resource: "nvidia_com_gpu", unit: "integer" })}`,
      values: perMinute(during(start, start + 35, () => nodeGpus)),
    });
    out.push({ series: `kube_pod_status_phase${labelsOf({ namespace: w.namespace, pod, uid: `uid-${pod}`, phase: "Running" })}`, values: perMinute(during(start, start + 35, running)) });
    out.push({ series: `kube_pod_status_phase${labelsOf({ namespace: w.namespace, pod, uid: `uid-${pod}`, phase: "Succeeded" })}`, values: perMinute(during(start, start + 35, (m) => 1 - running(m))) });
  }
  return out;
}

/** Evaluation time whose 6 h window holds exactly six whole job cycles of `batchJobsComeAndGo` (it starts and ends idle). */
const SIX_CYCLES_EVAL = "6h45m";

/**
 * The model's month for a batch tier, replayed as jobs that come and go: half of every hour a job
 * pod is billed (loading, reloading and working), the other half nothing runs. Billed GPUs while a
 * job runs are twice the month's mean, tokens while a file runs three times the mean rate (files
 * run 20 of 60 minutes): the same tokens over the same billed GPU-hours as the model's month, so
 * the window utilization must come back as the model's number.
 */
function batchScaleToZeroMonthCase(names: readonly string[]): Case {
  const series: Series[] = [];
  const checks: Check[] = [];
  for (const name of names) {
    const w = target(name);
    const e = evaluation.workloads.find((x) => x.name === name)!;
    const tokensPerSecond = e.simulation.servedTokens / MONTH_SECONDS;
    const meanBilledGpus = e.gpuHoursPerMonth / HOURS_PER_MONTH;
    const sel = (recordedSeries: string) => `${recordedSeries}{workload="${name}"}`;
    series.push(...batchJobsComeAndGo(w, 2 * meanBilledGpus, tokensPerSecond * 60 * 3, 7));
    checks.push(
      { name: `${name}: utilization over the window = modeled utilization`, expr: equals(sel(LIVE_SERIES.utilizationWindow), e.modeledUtilization), evalTime: SIX_CYCLES_EVAL, expect: 1 },
      // Between jobs: no pods, no tokens, and both series read 0 (so the window average counts the idle time on both sides).
      { name: `${name}: idle, 0 tokens/s`, expr: equals(sel(LIVE_SERIES.tokensServed), 0), evalTime: SIX_CYCLES_EVAL, expect: 1 },
      { name: `${name}: idle, 0 GPUs billed`, expr: equals(sel(LIVE_SERIES.gpusBilled), 0), evalTime: SIX_CYCLES_EVAL, expect: 1 },
      { name: `${name}: idle, 0 replicas ready`, expr: equals(sel(LIVE_SERIES.replicasReady), 0), evalTime: SIX_CYCLES_EVAL, expect: 1 },
      { name: `${name}: a runner at work, 1 replica ready`, expr: equals(sel(LIVE_SERIES.replicasReady), 1), evalTime: "6h10m", expect: 1 },
    );
  }
  return { name: `${names.join(", ")}: the model's month, jobs coming and going`, series, checks };
}

/**
 * Each file runs in a new runner process, so vLLM's counters restart at 0. A restart between two
 * scrapes: the counter drops from 1000 to 100 (the new process served 100 since); rate() reads the
 * drop as a reset, so the tokens served stay the steady 100 + 20 a minute.
 */
function counterResetCase(): Case {
  const w = target("ticket-classifier");
  const engine = { ...engineLabels(w), pod: `${w.workloadObjectName}-r0x2k-p0q9z` };
  const restarted = (perMinuteTokens: number) => perMinute(Array.from({ length: 21 }, (_, m) => (m <= 10 ? m : m - 10) * perMinuteTokens));
  return {
    name: "batch: a counter reset between two files",
    series: [
      { series: `vllm:prompt_tokens_total${labelsOf(engine)}`, values: restarted(100) },
      { series: `vllm:generation_tokens_total${labelsOf(engine)}`, values: restarted(20) },
    ],
    checks: [{ name: "tokens served across the reset = the steady rate", expr: equals(`${LIVE_SERIES.tokensServed}{workload="${w.workload}"}`, 120 / 60), evalTime: "15m", expect: 1 }],
  };
}

function alertCases(): Case[] {
  const batch = target("ticket-classifier");
  const chat = target("support-chat");
  const wl = (w: LiveWorkloadTargets) => ({ workload: w.workload });
  const out: Case[] = [];
  const pair = (alert: string, labels: Record<string, string>, evalTime: string, fires: readonly Series[], silent: readonly Series[]) => {
    out.push({ name: `${alert} fires`, series: fires, checks: [{ name: "firing", expr: firing(alert, labels), evalTime, expect: 1 }] });
    out.push({ name: `${alert} stays silent`, series: silent, checks: [{ name: "silent", expr: firing(alert, labels), evalTime, expect: null }] });
  };

  // Below break-even: half the break-even utilization for 2 h fires (window average, then `for: 1h`); twice the required does not.
  pair(LIVE_ALERTS.belowBreakEven, wl(batch), "2h", atUtilization(batch, 0.5 * batch.breakEvenUtilization!, 150), atUtilization(batch, 2 * batch.requiredUtilization!, 150));
  // ... and it does not fire before the `for` has passed.
  out.push({
    name: `${LIVE_ALERTS.belowBreakEven} waits out its for`,
    series: atUtilization(batch, 0.5 * batch.breakEvenUtilization!, 150),
    checks: [{ name: "pending only", expr: firing(LIVE_ALERTS.belowBreakEven, wl(batch)), evalTime: "40m", expect: null }],
  });
  // Batch jobs that come and go (scale to zero, model reloads, counters reset per file): under break-even they alarm,
  // at twice the required utilization they do not. Two batch workloads share each case (one promtool group each, for speed).
  const documents = target("document-processing");
  const comeAndGo = (w: LiveWorkloadTargets, u: number) => {
    const nodeGpus = w.gpusPerReplica;
    // Tokens per minute while a file runs, so tokens over the billed GPU-hours of each hour is u of capacity (files run 20 of the 30 billed minutes).
    const perMinuteTokens = (u * (w.replicaTokensPerSecond / w.gpusPerReplica) * nodeGpus * 60 * 30) / 20;
    return batchJobsComeAndGo(w, nodeGpus, perMinuteTokens, 7);
  };
  out.push({
    name: `${LIVE_ALERTS.belowBreakEven} fires under break-even and stays silent above it, for batch jobs that come and go`,
    series: [...comeAndGo(batch, 0.5 * batch.breakEvenUtilization!), ...comeAndGo(documents, 2 * documents.requiredUtilization!)],
    checks: [
      { name: "firing under break-even", expr: firing(LIVE_ALERTS.belowBreakEven, wl(batch)), evalTime: SIX_CYCLES_EVAL, expect: 1 },
      { name: "silent above the required utilization", expr: firing(LIVE_ALERTS.belowBreakEven, wl(documents)), evalTime: SIX_CYCLES_EVAL, expect: null },
    ],
  });
  // Jobs billed for hours while their runners export no tokens at all (stuck loading, or failing every file): owning loses money.
  // A month with no jobs: 0 tokens over 0 billed GPU-hours is no utilization at all, not a utilization of 0.
  out.push({
    name: `${LIVE_ALERTS.belowBreakEven} fires for batch jobs that serve nothing and stays silent for an idle batch workload`,
    series: batchJobsComeAndGo(documents, documents.gpusPerReplica, 0, 7).filter((x) => !x.series.startsWith("vllm:")),
    checks: [
      { name: "firing: jobs serve nothing", expr: firing(LIVE_ALERTS.belowBreakEven, wl(documents)), evalTime: SIX_CYCLES_EVAL, expect: 1 },
      { name: "silent: idle", expr: firing(LIVE_ALERTS.belowBreakEven, wl(batch)), evalTime: SIX_CYCLES_EVAL, expect: null },
      { name: "idle: no window utilization", expr: `count(${LIVE_SERIES.utilizationWindow}{workload="${batch.workload}"})`, evalTime: SIX_CYCLES_EVAL, expect: null },
      { name: "idle: 0 tokens/s", expr: equals(`${LIVE_SERIES.tokensServed}{workload="${batch.workload}"}`, 0), evalTime: SIX_CYCLES_EVAL, expect: 1 },
    ],
  });

  // Capacity ceiling: interactive queue at 2.5× target per replica with replicas at max fires; below max it is the autoscaler's job.
  const waiting = (perReplica: number, replicas: number) => ({ series: `vllm:num_requests_waiting${labelsOf(engineLabels(chat))}`, values: gauge(perReplica * replicas, 40) });
  const deployment = (replicas: number) => ({ series: `kube_deployment_status_replicas${labelsOf({ namespace: chat.namespace, deployment: chat.workloadObjectName })}`, values: gauge(replicas, 40) });
  pair(
    LIVE_ALERTS.capacityCeiling,
    wl(chat),
    "30m",
    [waiting(2.5 * chat.targetQueuePerReplica, chat.maxReplicas), deployment(chat.maxReplicas)],
    [waiting(2.5 * chat.targetQueuePerReplica, chat.maxReplicas - 1), deployment(chat.maxReplicas - 1)],
  );
  // Batch: SQS files × requests per file against the target, jobs at max.
  const files = (n: number) => ({ series: `keda_scaler_metrics_value${labelsOf({ namespace: "keda", exported_namespace: batch.namespace, scaledObject: batch.workloadObjectName, type: "scaledjob", scaler: "awsSqsQueueScaler", metric: "s0-aws-sqs-queue", triggerIndex: "0" })}`, values: gauge(n, 40) });
  const jobs = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ series: `kube_job_status_active${labelsOf({ namespace: batch.namespace, job_name: `${batch.workloadObjectName}-q${i}zzz` })}`, values: gauge(1, 40) }));
  const filesAbove = Math.ceil((2 * batch.targetQueuePerReplica * batch.maxReplicas) / batch.requestsPerBatchFile!);
  pair(LIVE_ALERTS.capacityCeiling, wl(batch), "30m", [files(filesAbove), ...jobs(batch.maxReplicas)], [files(filesAbove), ...jobs(batch.maxReplicas - 1)]);

  // SLO burn: half the requests miss the objective's bucket; silent when all meet it.
  for (const [alert, histogram, objective] of [
    [LIVE_ALERTS.ttftSloBurn, "vllm:time_to_first_token_seconds", "2.5"],
    [LIVE_ALERTS.tpotSloBurn, "vllm:request_time_per_output_token_seconds", pythonBucketLabel(0.075)],
  ] as const) {
    const histogramSeries = (withinPerMinute: number) => [
      { series: `${histogram}_bucket${labelsOf({ ...engineLabels(chat), le: objective })}`, values: counter(withinPerMinute, 40) },
      { series: `${histogram}_bucket${labelsOf({ ...engineLabels(chat), le: "+Inf" })}`, values: counter(10, 40) },
      { series: `${histogram}_count${labelsOf(engineLabels(chat))}`, values: counter(10, 40) },
    ];
    pair(alert, wl(chat), "30m", histogramSeries(5), histogramSeries(10));
  }

  // Engine metrics missing (interactive): GPU pods billed and ready while no engine series is scraped (PodMonitor broken,
  // port renamed, NetworkPolicy): the utilization rule has no tokens, so the break-even alert cannot fire; this one must.
  // Prometheus writes stale markers when a scrape fails or its target goes: the engine's series end at once (`stale`).
  const chatReplicas = (minutes: readonly { pods: number; ready: number }[]): Series[] => {
    const node = (i: number) => `ip-10-0-3-${i}`;
    const podSeries = [0, 1].flatMap((i) => {
      const pod = podOf(chat, i);
      const present = (value: number) => perMinute(minutes.map((m) => (i < m.pods ? value : null)));
      return [
        { series: `kube_node_status_capacity${labelsOf({ node: node(i), resource: "nvidia_com_gpu", unit: "integer" })}`, values: present(chat.gpusPerReplica) },
        { series: `kube_pod_container_resource_requests${labelsOf({ namespace: chat.namespace, pod, container: "vllm", node: node(i), resource: "nvidia_com_gpu", unit: "integer" })}`, values: present(chat.gpusPerReplica) },
        { series: `kube_pod_status_phase${labelsOf({ namespace: chat.namespace, pod, uid: `uid-${pod}`, phase: "Running" })}`, values: present(1) },
      ];
    });
    const deployment = labelsOf({ namespace: chat.namespace, deployment: chat.workloadObjectName });
    return [
      ...podSeries,
      { series: `kube_deployment_status_replicas${deployment}`, values: perMinute(minutes.map((m) => m.pods)) },
      { series: `kube_deployment_status_replicas_ready${deployment}`, values: perMinute(minutes.map((m) => m.ready)) },
    ];
  };
  /** vLLM's queue gauge of the engine, scraped in the minutes `scraped` says, stale (scrape failed, target gone) after. */
  const engineScraped = (minutes: number, scraped: (m: number) => boolean): Series => ({
    series: `vllm:num_requests_waiting${labelsOf(engineLabels(chat))}`,
    values: Array.from({ length: minutes + 1 }, (_, m) => (scraped(m) ? "0" : m > 0 && scraped(m - 1) ? "stale" : "_")).join(" "),
  });
  const minutesOf = (count: number, at: (m: number) => { pods: number; ready: number }) => Array.from({ length: count + 1 }, (_, m) => at(m));
  out.push({
    name: `${LIVE_ALERTS.engineMetricsMissing} fires`,
    series: [...chatReplicas(minutesOf(40, () => ({ pods: 2, ready: 2 }))), engineScraped(40, (m) => m < 10)],
    checks: [
      { name: "pending while the for runs", expr: firing(LIVE_ALERTS.engineMetricsMissing, wl(chat)), evalTime: "15m", expect: null },
      { name: "firing: two ready replicas billed, no engine series for 20 minutes", expr: firing(LIVE_ALERTS.engineMetricsMissing, wl(chat)), evalTime: "30m", expect: 1 },
      { name: "the break-even alert has nothing to read", expr: `count(${LIVE_SERIES.utilizationWindow}{workload="${chat.workload}"})`, evalTime: "30m", expect: null },
    ],
  });
  // Silent: engine scraped while its replicas run (0-30 min); scaled to zero, nothing billed and nothing scraped (31-60);
  // one replica billed while it loads the model, not ready yet, its engine not serving metrics (61-90).
  const phases = minutesOf(90, (m) => (m <= 30 ? { pods: 2, ready: 2 } : m <= 60 ? { pods: 0, ready: 0 } : { pods: 1, ready: 0 }));
  out.push({
    name: `${LIVE_ALERTS.engineMetricsMissing} stays silent`,
    series: [...chatReplicas(phases), engineScraped(90, (m) => m <= 30)],
    checks: [
      { name: "silent: replicas billed and engine scraped", expr: firing(LIVE_ALERTS.engineMetricsMissing, wl(chat)), evalTime: "30m", expect: null },
      { name: "silent: scaled to zero, no pods", expr: firing(LIVE_ALERTS.engineMetricsMissing, wl(chat)), evalTime: "60m", expect: null },
      { name: "silent: a replica billed while it loads, not ready", expr: firing(LIVE_ALERTS.engineMetricsMissing, wl(chat)), evalTime: "90m", expect: null },
      { name: "the loading replica is billed", expr: equals(`${LIVE_SERIES.gpusBilled}{workload="${chat.workload}"}`, chat.gpusPerReplica), evalTime: "90m", expect: 1 },
    ],
  });

  // Spill and fallback: shares of the guard's owned attempts.
  const guard = (outcome: string, perMinute: number) => ({
    series: `inference_guard_requests_total${labelsOf({ job: "admission-guard", workload: chat.workload, outcome, namespace: chat.namespace, pod: "support-chat-7d9f-abcde" })}`,
    values: counter(perMinute, 40),
  });
  pair(LIVE_ALERTS.spillHigh, wl(chat), "30m", [guard("admitted", 80), guard("spilled", 20)], [guard("admitted", 99), guard("spilled", 1)]);
  pair(LIVE_ALERTS.fallbackHigh, wl(chat), "30m", [guard("admitted", 90), guard("engine_error", 10)], [guard("admitted", 995), guard("engine_error", 5)]);

  // Owned share: the gateway's tokens on the owned backend over all the alias's tokens (another alias never counts).
  const tokens = (alias: string, backendModel: string, perMinute: number) => ({
    series: `gen_ai_client_token_usage_sum${labelsOf({ gen_ai_original_model: alias, gen_ai_request_model: backendModel, gen_ai_provider_name: "openai", gen_ai_token_type: "input" })}`,
    values: counter(perMinute, 40),
  });
  out.push({
    name: "owned share of the router's tokens",
    series: [tokens(chat.workload, chat.servedModelName, 900), tokens(chat.workload, "Llama-3.3-70B-Instruct-Turbo", 100), tokens("other-alias", chat.servedModelName, 5000)],
    checks: [{ name: "0.9 owned", expr: equals(`${LIVE_SERIES.ownedShare}{workload="${chat.workload}"}`, 0.9), evalTime: "30m", expect: 1 }],
  });

  // Whole nodes: a 1-GPU pod alone on a 4-GPU node is billed 4 GPUs; on a node shared with another workload's 3 GPUs
  // it is billed its share (1 of 4); a finished pod still listed on a node bills nothing.
  const other = "other-team";
  const billed = (series: Series[], expected: number, name: string): Case => ({
    name,
    series,
    checks: [{ name: `${expected} GPUs billed`, expr: equals(`${LIVE_SERIES.gpusBilled}{workload="${chat.workload}"}`, expected), evalTime: "10m", expect: 1 }],
  });
  out.push(billed([gpuNode("n-alone", 4, 20), ...gpuPod(chat.namespace, podOf(chat, 0), "n-alone", 1, 20)], 4, "whole nodes: alone on a node, billed all its GPUs"));
  out.push(
    billed(
      [gpuNode("n-shared", 4, 20), ...gpuPod(chat.namespace, podOf(chat, 0), "n-shared", 1, 20), ...gpuPod(other, "batch-job-abcde-fghij", "n-shared", 3, 20)],
      1,
      "whole nodes: sharing a node, billed its share of the requests",
    ),
  );
  out.push(
    billed(
      [gpuNode("n-a", 4, 20), gpuNode("n-b", 4, 20), ...gpuPod(chat.namespace, podOf(chat, 0), "n-a", 1, 20), ...gpuPod(chat.namespace, podOf(chat, 1), "n-b", 1, 20, "Succeeded"), ...gpuPod(other, "x-1-2", "n-b", 2, 20)],
      4,
      "whole nodes: a finished pod bills nothing",
    ),
  );
  // A pod still Pending on its node (pulling the multi-GB vLLM image) already bills the node, as the model bills a replica
  // from the scale-up; a Pending pod no node has taken yet bills nothing (no instance runs for it).
  out.push(billed([gpuNode("n-pull", 4, 20), ...gpuPod(chat.namespace, podOf(chat, 0), "n-pull", 1, 20, "Pending")], 4, "whole nodes: a pod pulling its image on a node bills the node"));
  const unscheduled = podOf(batch, 0);
  out.push({
    name: "whole nodes: a job pod waiting for a node bills nothing",
    series: [
      gpuNode("n-other", 4, 20),
      { series: `kube_pod_container_resource_requests${labelsOf({ namespace: batch.namespace, pod: unscheduled, container: "vllm", resource: "nvidia_com_gpu", unit: "integer" })}`, values: gauge(1, 20) },
      { series: `kube_pod_status_phase${labelsOf({ namespace: batch.namespace, pod: unscheduled, uid: "uid-u", phase: "Pending" })}`, values: gauge(1, 20) },
    ],
    checks: [{ name: "0 GPUs billed", expr: equals(`${LIVE_SERIES.gpusBilled}{workload="${batch.workload}"}`, 0), evalTime: "10m", expect: 1 }],
  });

  // GPU busy: DCGM's utilization of the workload's pods (as the chart's ServiceMonitor stores them: exported_*), not of a
  // workload whose name merely starts with this one's.
  const dcgm = (pod: string, gpu: string, percent: number) => ({
    series: `DCGM_FI_DEV_GPU_UTIL${labelsOf({ namespace: "monitoring", pod: "dcgm-exporter-x2x9z", gpu, UUID: `GPU-${gpu}`, exported_namespace: chat.namespace, exported_pod: pod })}`,
    values: gauge(percent, 40),
  });
  out.push({
    name: "GPU busy of the workload's pods from DCGM",
    series: [dcgm("support-chat-7d9f8c6b5-abcde", "0", 50), dcgm("support-chat-7d9f8c6b5-fghij", "1", 70), dcgm("support-chat-v2-5c4b7d9f8-klmno", "2", 5)],
    checks: [{ name: "0.6 busy", expr: equals(`${LIVE_SERIES.gpuBusy}{workload="${chat.workload}"}`, 0.6), evalTime: "30m", expect: 1 }],
  });

  // GPU pool at its limit: nodes of the pool whose GPUs reach the NodePool limit; one node fewer is under it.
  const pool = targets.pools[0]!;
  const nodes = (count: number) =>
    Array.from({ length: count }, (_, i) => [
      { series: `kube_node_status_capacity${labelsOf({ node: `ip-10-0-0-${i}`, resource: "nvidia_com_gpu", unit: "integer" })}`, values: gauge(pool.gpuLimit / 2, 40) },
      { series: `kube_node_labels${labelsOf({ node: `ip-10-0-0-${i}`, [KSM_POOL_LABEL]: pool.name })}`, values: gauge(1, 40) },
    ]).flat();
  // A node of another pool never counts toward this one.
  const otherPool = [
    { series: `kube_node_status_capacity${labelsOf({ node: "ip-10-9-9-9", resource: "nvidia_com_gpu", unit: "integer" })}`, values: gauge(pool.gpuLimit, 40) },
    { series: `kube_node_labels${labelsOf({ node: "ip-10-9-9-9", [KSM_POOL_LABEL]: "some-other-pool" })}`, values: gauge(1, 40) },
  ];
  pair(LIVE_ALERTS.poolAtLimit, { pool: pool.name }, "30m", nodes(2), [...nodes(1), ...otherPool]);
  return out;
}

function writeFiles(): string {
  const groups = liveRuleGroups(targets.workloads, targets.pools);
  fs.writeFileSync(path.join(dir, "rules.yaml"), stringify({ groups }));
  const tests = cases.map((c) => ({
    name: c.name,
    interval: "1m",
    input_series: c.series.map((s) => ({ series: s.series, values: s.values })),
    promql_expr_test: c.checks.map((check) => ({
      expr: check.expr,
      eval_time: check.evalTime,
      exp_samples: check.expect === 1 ? [{ labels: "{}", value: 1 }] : [],
    })),
  }));
  const file = path.join(dir, "tests.yaml");
  fs.writeFileSync(file, stringify({ rule_files: ["rules.yaml"], evaluation_interval: EVALUATION_INTERVAL, tests }));
  return file;
}

beforeAll(() => {
  const stackFile = path.join(REPO, "Pulumi.dev.yaml");
  const { config } = withResolvedEconomics(loadStackConfigFile(stackFile), stackFile, { projectDir: REPO });
  evaluation = evaluateStack(config, "dev", { cheapestShape: false });
  targets = liveTargets(config, evaluation);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "promtool-live-"));
  cases = [
    modelMonthCase("ticket-classifier"),
    modelMonthCase("document-processing"),
    modelMonthCase("support-chat"),
    batchScaleToZeroMonthCase(["ticket-classifier", "document-processing"]),
    counterResetCase(),
    ...alertCases(),
  ];
  const file = writeFiles();
  try {
    promtoolOutput = execFileSync("promtool", ["test", "rules", file], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    promtoolFailed = true;
    promtoolOutput = `${e.stdout ?? ""}${e.stderr ?? ""}`;
  }
}, 120_000);

afterAll(() => {
  if (dir !== undefined && process.env.KEEP_PROMTOOL_DIR === undefined) fs.rmSync(dir, { recursive: true, force: true });
});

describe("promtool test rules on the live-economics rules", () => {
  it("every case passes in one promtool run", () => {
    expect(promtoolFailed, promtoolOutput).toBe(false);
    expect(promtoolOutput).toContain("SUCCESS");
  });

  it("covers every alert firing and staying silent, and each tier's model month", () => {
    const names = cases.map((c) => c.name);
    for (const alert of Object.values(LIVE_ALERTS)) {
      expect(names).toContain(`${alert} fires`);
      expect(names).toContain(`${alert} stays silent`);
    }
    expect(new Set(targets.workloads.filter((w) => names.includes(`${w.workload}: the model's month`)).map((w) => w.tier))).toEqual(new Set(["batch", "interactive"]));
  });

  it("the checks can fail: a wrong expectation makes promtool exit non-zero", () => {
    const broken = cases[0]!;
    const wrong = { ...broken, checks: [{ ...broken.checks[0]!, expr: equals(`${LIVE_SERIES.utilizationWindow}{workload="${broken.name.split(":")[0]}"}`, 0.123) }] };
    const saved = cases;
    cases = [wrong];
    const file = writeFiles();
    cases = saved;
    expect(() => execFileSync("promtool", ["test", "rules", file], { cwd: dir, stdio: "pipe" })).toThrow();
  });
});
