/**
 * A month of the queue-depth autoscaler against the workload's traffic: how many replica-hours
 * it keeps, how much of the work they serve, and how much spills to the API.
 *
 * Fluid and step-based (default 60 s steps, 43,800 per 730-hour month). Work is counted in
 * tokens (a request is meanInput + meanOutput tokens); each serving replica does
 * `replica.tokensPerSecond` (K). In each step:
 *
 * 1. Replicas whose cold start has finished begin serving.
 * 2. The autoscaler acts on the metric observed at the end of the previous step — the requests
 *    waiting (backlog that could not start; vLLM `vllm:num_requests_waiting` for interactive
 *    tiers, the queue's depth for batch):
 *    - KEDA + HPA with an `AverageValue` target: desired = ceil(waiting / targetQueuePerReplica),
 *      unless waiting / (target × current) is within HPA's 10 % tolerance of 1 (then no change);
 *      clamped to [minReplicas, maxReplicas]. From zero replicas (batch, minReplicas 0), KEDA
 *      activates on any waiting request (activation threshold 0) and asks for at least one.
 *    - Scale-up acts at once (HPA's default scale-up stabilization is 0); new replicas are billed
 *      from that moment but serve only after `scaleUpDelaySeconds` (node provisioning + model
 *      load), rounded up to whole steps.
 *    - Scale-down follows HPA's stabilization window = `scaleDownCooldownSeconds`: the count
 *      falls only to the highest desired count of the window's steps, so load must stay low for
 *      the whole window. Replicas still loading are removed first (the ReplicaSet deletes
 *      not-ready pods first). The same window stands in for KEDA's cooldownPeriod before
 *      scaling to zero.
 * 3. Serving: backlog + arrivals, up to readyReplicas × K × step, is served; the rest waits.
 * 4. Interactive tiers only: backlog beyond what the ready replicas clear within
 *    `maxQueueWaitSeconds` (readyReplicas × K × maxQueueWaitSeconds tokens) goes to the API as
 *    overflow — the newest requests, as the router would send them. Batch tiers only queue.
 *
 * Behaviour worth knowing (modeled, not smoothed away):
 * - A waiting-only metric reads zero whenever the running replicas keep up, so at a steady load
 *   above what minReplicas can carry the count saw-tooths: the backlog builds, the autoscaler
 *   scales up (overshooting, as the backlog during the cold start is large), the backlog drains,
 *   the metric drops to zero, and after the cooldown the count falls back to minReplicas — and
 *   the cycle repeats. Each cycle bills a cold start and a cooldown of extra replicas. For
 *   batch tiers with minReplicas 0 the same happens around zero.
 * - Interactive overflow caps the backlog at readyReplicas × K × maxQueueWaitSeconds tokens, so
 *   if targetQueuePerReplica is above K × maxQueueWaitSeconds / tokensPerRequest the metric can
 *   never reach the target: the autoscaler never scales up and the excess all goes to the API.
 * - An interactive group at zero replicas never wakes: with no replica to queue at, every request
 *   overflows to the API and nothing ever waits (vLLM's metric comes from the pods themselves).
 *   Interactive tiers want minReplicas ≥ 1.
 * - Because the metric counts only waiting work, a lower minReplicas can bill *more* replica-hours
 *   than a higher one (bigger backlogs, bigger overshoots, each held through the cooldown).
 *
 * `replica.concurrentSequences` does not enter the fluid model: by Little's law a replica running
 * at utilization ρ holds ρ × concurrentSequences requests in its batch, all of them running, so
 * only backlog beyond the ready replicas' throughput counts as waiting.
 *
 * Not modeled: HPA scale-up rate limits (default 100 % or 4 pods per 15 s — rarely binding for
 * GPU replicas with minutes of cold start), metric scrape/poll lag below one step, stochastic
 * queueing within a step (see `queueing.ts` for the Erlang C headroom). Node packing is priced
 * afterwards from `secondsAtReplicaCount` (see `node-packing.ts`).
 *
 * Cost: one pass over typed arrays, no allocation per step; the traffic series is generated once.
 */
import { sloSchema } from "./schema";
import { checkStepSeconds, sharedRequestsPerStep } from "./traffic";
import type { SimulationInput, SimulationResult } from "./types";

/** HPA's default tolerance (`--horizontal-pod-autoscaler-tolerance`). */
export const HPA_TOLERANCE = 0.1;
/** Simulation step when the input gives none, seconds. */
export const DEFAULT_STEP_SECONDS = 60;
/** Queue wait after which interactive requests go to the API, when the input gives none: the SLO default. */
export const DEFAULT_MAX_QUEUE_WAIT_SECONDS: number = sloSchema.parse({}).maxQueueWaitSeconds;

/** The month's outcome plus how often the autoscaler acted. */
export interface MonthSimulation extends SimulationResult {
  /** Steps in which the replica count rose. */
  readonly scaleUps: number;
  /** Steps in which the replica count fell. */
  readonly scaleDowns: number;
  /**
   * Replicas started over the month (the sum of every scale-up's added replicas, including any removed
   * again while still loading): each is a cold start that downloads the weights. Batch tiers: one per Job.
   * The replicas the month starts with are not counted (they were started before it).
   */
  readonly replicaStarts: number;
  /**
   * Seconds the group spent at each billed replica count (serving + loading), index 0…maxReplicas:
   * what whole-node billing prices, since the nodes a count needs do not scale linearly with it.
   */
  readonly secondsAtReplicaCount: Float64Array;
}

/** Optional per-step record, filled in place when passed (arrays of length `steps`). */
export interface SimulationTrace {
  /** Replicas billed (serving + loading) during each step. */
  readonly replicas?: Int32Array;
  /** Replicas serving during each step. */
  readonly readyReplicas?: Int32Array;
  /** Tokens waiting at the end of each step. */
  readonly queuedTokens?: Float64Array;
}

function fail(path: string, value: number, allowed: string): never {
  throw new RangeError(`simulateMonth: ${path} must be ${allowed}, got ${value}`);
}

function checkInput(input: SimulationInput): void {
  const finiteAtLeast = (path: string, v: number, min: number) => {
    if (!Number.isFinite(v) || v < min) fail(path, v, `a finite number of at least ${min}`);
  };
  finiteAtLeast("requestsPerMonth", input.requestsPerMonth, 0);
  finiteAtLeast("meanInputTokens", input.meanInputTokens, 0);
  finiteAtLeast("meanOutputTokens", input.meanOutputTokens, 0);
  if (!(input.meanInputTokens + input.meanOutputTokens > 0)) fail("meanInputTokens + meanOutputTokens", 0, "positive");
  if (!Number.isFinite(input.replica.tokensPerSecond) || input.replica.tokensPerSecond <= 0) {
    fail("replica.tokensPerSecond", input.replica.tokensPerSecond, "a finite positive number");
  }
  if (!Number.isFinite(input.gpusPerReplica) || input.gpusPerReplica <= 0) fail("gpusPerReplica", input.gpusPerReplica, "a finite positive number");
  const a = input.autoscaler;
  if (!Number.isInteger(a.minReplicas) || a.minReplicas < 0) fail("autoscaler.minReplicas", a.minReplicas, "a whole number of at least 0");
  if (!Number.isInteger(a.maxReplicas) || a.maxReplicas < Math.max(1, a.minReplicas)) {
    fail("autoscaler.maxReplicas", a.maxReplicas, `a whole number of at least max(1, minReplicas = ${a.minReplicas})`);
  }
  if (!Number.isFinite(a.targetQueuePerReplica) || a.targetQueuePerReplica <= 0) {
    fail("autoscaler.targetQueuePerReplica", a.targetQueuePerReplica, "a finite positive number of requests");
  }
  finiteAtLeast("autoscaler.scaleUpDelaySeconds", a.scaleUpDelaySeconds, 0);
  finiteAtLeast("autoscaler.scaleDownCooldownSeconds", a.scaleDownCooldownSeconds, 0);
  if (input.maxQueueWaitSeconds !== undefined && (!Number.isFinite(input.maxQueueWaitSeconds) || input.maxQueueWaitSeconds <= 0)) {
    fail("maxQueueWaitSeconds", input.maxQueueWaitSeconds, "a finite positive number of seconds");
  }
}

/**
 * Simulates one 730-hour month of the autoscaled replica group against the workload's traffic
 * (`requestsPerStep` of the input's shape, seed and step).
 *
 * Conserves work: demandTokens = servedTokens + overflowTokens + queuedTokensAtEnd (to
 * floating-point rounding). The group starts the month with minReplicas serving and no backlog.
 *
 * @throws RangeError on an invalid input (negative volumes, a step that does not divide the
 *   month, replica bounds out of order, …), naming the field
 */
export function simulateMonth(input: SimulationInput, trace?: SimulationTrace): MonthSimulation {
  checkInput(input);
  const dt = input.stepSeconds ?? DEFAULT_STEP_SECONDS;
  checkStepSeconds(dt);
  const arrivals = sharedRequestsPerStep(
    {
      requestsPerMonth: input.requestsPerMonth,
      peakToMeanRatio: input.peakToMeanRatio,
      noiseCoefficientOfVariation: input.noiseCoefficientOfVariation,
      seed: input.seed ?? 1,
    },
    dt,
  );
  return runSimulation(input, dt, arrivals, trace);
}

/**
 * The same autoscaler and serving model against an explicit arrival series: `arrivals[i]`
 * requests arrive during step i of `input.stepSeconds` (default 60) seconds. The traffic fields
 * of the input (volume, peak-to-mean, noise, seed) are ignored. For what-if runs (a burst, an
 * outage) and for measuring the loop on its own.
 */
export function simulateArrivals(input: SimulationInput, arrivals: Float64Array, trace?: SimulationTrace): MonthSimulation {
  checkInput(input);
  const dt = input.stepSeconds ?? DEFAULT_STEP_SECONDS;
  if (!Number.isFinite(dt) || dt <= 0) fail("stepSeconds", dt, "a finite positive number of seconds");
  for (let i = 0; i < arrivals.length; i++) {
    const v = arrivals[i] as number;
    if (!Number.isFinite(v) || v < 0) fail(`arrivals[${i}]`, v, "a finite number of requests of at least 0");
  }
  return runSimulation(input, dt, arrivals, trace);
}

function runSimulation(input: SimulationInput, dt: number, arrivals: Float64Array, trace: SimulationTrace | undefined): MonthSimulation {
  const steps = arrivals.length;

  const { minReplicas, maxReplicas, targetQueuePerReplica, scaleUpDelaySeconds, scaleDownCooldownSeconds } = input.autoscaler;
  const tokensPerRequest = input.meanInputTokens + input.meanOutputTokens;
  const k = input.replica.tokensPerSecond;
  const capacityPerReplicaStep = k * dt;
  const overflows = input.tier === "interactive";
  const queueLimitPerReplica = k * (input.maxQueueWaitSeconds ?? DEFAULT_MAX_QUEUE_WAIT_SECONDS);

  // Replicas still loading, by the step they start serving: a ring of delaySteps + 1 slots.
  const delaySteps = Math.ceil(scaleUpDelaySeconds / dt);
  const ringLength = delaySteps + 1;
  const pending = new Int32Array(ringLength);
  // Sliding-window maximum of desired counts over the stabilization window (monotonic deque).
  const windowSteps = Math.max(1, Math.ceil(scaleDownCooldownSeconds / dt));
  const dequeCapacity = windowSteps + 1;
  const dequeStep = new Int32Array(dequeCapacity);
  const dequeValue = new Int32Array(dequeCapacity);
  let dequeHead = 0;
  let dequeSize = 0;

  for (const [name, array] of [
    ["replicas", trace?.replicas],
    ["readyReplicas", trace?.readyReplicas],
    ["queuedTokens", trace?.queuedTokens],
  ] as const) {
    if (array !== undefined && array.length < steps) fail(`trace.${name}.length`, array.length, `at least the ${steps} steps`);
  }
  const traceReplicas = trace?.replicas;
  const traceReady = trace?.readyReplicas;
  const traceQueue = trace?.queuedTokens;

  let ready = minReplicas;
  let total = minReplicas;
  let queue = 0;
  let demand = 0;
  let served = 0;
  let overflow = 0;
  let replicaSeconds = 0;
  let peak = total;
  let scaleUps = 0;
  let scaleDowns = 0;
  let replicaStarts = 0;
  const secondsAtCount = new Float64Array(maxReplicas + 1);

  for (let s = 0; s < steps; s++) {
    // 1. Cold starts that finish now.
    if (delaySteps > 0) {
      const slot = s % ringLength;
      const arriving = pending[slot] as number;
      if (arriving !== 0) {
        ready += arriving;
        pending[slot] = 0;
      }
    }

    // 2. The autoscaler, on the backlog observed at the end of the previous step.
    const waiting = queue / tokensPerRequest;
    let desired: number;
    if (total === 0) {
      desired = waiting > 0 ? Math.max(1, Math.ceil(waiting / targetQueuePerReplica)) : 0;
    } else {
      const usageRatio = waiting / (targetQueuePerReplica * total);
      desired = Math.abs(usageRatio - 1) <= HPA_TOLERANCE ? total : Math.ceil(waiting / targetQueuePerReplica);
    }
    if (desired < minReplicas) desired = minReplicas;
    else if (desired > maxReplicas) desired = maxReplicas;

    while (dequeSize > 0 && (dequeStep[dequeHead] as number) <= s - windowSteps) {
      dequeHead = dequeHead + 1 === dequeCapacity ? 0 : dequeHead + 1;
      dequeSize--;
    }
    while (dequeSize > 0) {
      const lastIndex = (dequeHead + dequeSize - 1) % dequeCapacity;
      if ((dequeValue[lastIndex] as number) > desired) break;
      dequeSize--;
    }
    const tail = (dequeHead + dequeSize) % dequeCapacity;
    dequeStep[tail] = s;
    dequeValue[tail] = desired;
    dequeSize++;
    const windowMax = dequeValue[dequeHead] as number;

    if (desired > total) {
      const added = desired - total;
      if (delaySteps === 0) ready += added;
      else {
        const slot = (s + delaySteps) % ringLength;
        pending[slot] = (pending[slot] as number) + added;
      }
      total = desired;
      scaleUps++;
      replicaStarts += added;
    } else if (windowMax < total) {
      let remove = total - windowMax;
      total = windowMax;
      // Loading replicas go first, the most recently requested first.
      for (let ahead = delaySteps; ahead >= 1 && remove > 0; ahead--) {
        const slot = (s + ahead) % ringLength;
        const loading = pending[slot] as number;
        if (loading > 0) {
          const taken = loading < remove ? loading : remove;
          pending[slot] = loading - taken;
          remove -= taken;
        }
      }
      ready -= remove;
      scaleDowns++;
    }
    if (total > peak) peak = total;

    // 3. Serve.
    const arriving = (arrivals[s] as number) * tokensPerRequest;
    demand += arriving;
    const available = queue + arriving;
    const capacity = ready * capacityPerReplicaStep;
    const done = available < capacity ? available : capacity;
    served += done;
    queue = available - done;

    // 4. Interactive overflow beyond the wait the SLO allows.
    if (overflows) {
      const limit = ready * queueLimitPerReplica;
      if (queue > limit) {
        overflow += queue - limit;
        queue = limit;
      }
    }

    replicaSeconds += total * dt;
    secondsAtCount[total] = (secondsAtCount[total] as number) + dt;
    if (traceReplicas !== undefined) traceReplicas[s] = total;
    if (traceReady !== undefined) traceReady[s] = ready;
    if (traceQueue !== undefined) traceQueue[s] = queue;
  }

  const provisionedTokens = replicaSeconds * k;
  return {
    steps,
    demandTokens: demand,
    servedTokens: served,
    overflowTokens: overflow,
    queuedTokensAtEnd: queue,
    replicaSeconds,
    gpuHours: (replicaSeconds * input.gpusPerReplica) / 3600,
    meanReplicas: steps > 0 ? replicaSeconds / (steps * dt) : 0,
    peakReplicas: peak,
    modeledUtilization: provisionedTokens > 0 ? served / provisionedTokens : 0,
    overflowShare: demand > 0 ? overflow / demand : 0,
    scaleUps,
    scaleDowns,
    replicaStarts,
    secondsAtReplicaCount: secondsAtCount,
  };
}
