/**
 * The admission guard's limit: how many requests one owned replica accepts at once before it
 * spills to the API. Running slots (vLLM's `--max-num-seqs`) run at once; beyond them a request
 * waits, and a replica clears `requestsPerSecond × maxQueueWaitSeconds` waiting requests within
 * the wait SLO — the same per-replica queue limit the month simulation applies
 * (readyReplicas × K × maxQueueWaitSeconds tokens, policies/economics/simulation.ts).
 */

export interface AdmissionInputs {
  /** Sequences vLLM runs at once on one replica (`--max-num-seqs`). */
  readonly runningSlots: number;
  /** Requests per second one replica completes at this workload's mix (the capacity model's K / tokens per request). */
  readonly requestsPerSecond: number;
  /** Longest a request may wait before it goes to the API, seconds (`slo.maxQueueWaitSeconds`). */
  readonly maxQueueWaitSeconds: number;
}

export interface AdmissionLimit {
  readonly runningSlots: number;
  /** Waiting requests the replica clears within the wait SLO (rounded down: never admit one that would wait too long). */
  readonly queueAllowance: number;
  /** runningSlots + queueAllowance: requests one replica holds at once before it answers 429. */
  readonly perReplica: number;
}

/** The guard's per-replica limit; throws a RangeError naming the input that is not a finite positive number. */
export function admissionLimit(inputs: AdmissionInputs): AdmissionLimit {
  for (const [key, value] of Object.entries(inputs) as [keyof AdmissionInputs, number][]) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`admissionLimit: ${key} must be a finite positive number, got ${value}`);
  }
  if (!Number.isInteger(inputs.runningSlots)) throw new RangeError(`admissionLimit: runningSlots must be a whole number, got ${inputs.runningSlots}`);
  const queueAllowance = Math.floor(inputs.requestsPerSecond * inputs.maxQueueWaitSeconds + 1e-9);
  return { runningSlots: inputs.runningSlots, queueAllowance, perReplica: inputs.runningSlots + queueAllowance };
}
