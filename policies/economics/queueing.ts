/**
 * M/M/c queueing (Erlang C): the chance a request waits, how long it waits, and how much load a
 * replica group can take before waiting gets too likely. Used to size interactive headroom.
 *
 * Terms: `servers` is c, the number of identical parallel servers (for LLM serving: replicas, or
 * decode slots, as the caller decides); `offeredLoadErlangs` is a = arrival rate × mean service
 * time, the average number of servers the traffic would keep busy.
 *
 * Numerics: Erlang B by its recursion B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)), which never
 * forms a^c or c! and so stays accurate for thousands of servers; then
 * C = B / (1 − (a/c)·(1 − B)).
 */

function checkServers(fn: string, servers: number): void {
  if (!Number.isInteger(servers) || servers < 1) {
    throw new RangeError(`${fn}: servers must be a whole number of at least 1, got ${servers}`);
  }
}

function checkLoad(fn: string, offeredLoadErlangs: number): void {
  if (!Number.isFinite(offeredLoadErlangs) || offeredLoadErlangs < 0) {
    throw new RangeError(`${fn}: offered load must be a finite number of erlangs of at least 0, got ${offeredLoadErlangs}`);
  }
}

/** Erlang B: the probability an arrival finds all `servers` busy when blocked arrivals are lost. */
export function erlangB(servers: number, offeredLoadErlangs: number): number {
  checkServers("erlangB", servers);
  checkLoad("erlangB", offeredLoadErlangs);
  return erlangBUnchecked(servers, offeredLoadErlangs);
}

function erlangBUnchecked(servers: number, a: number): number {
  let b = 1;
  for (let k = 1; k <= servers; k++) {
    const ab = a * b;
    b = ab / (k + ab);
  }
  return b;
}

function erlangCUnchecked(servers: number, a: number): number {
  if (a >= servers) return 1;
  if (a === 0) return 0;
  const b = erlangBUnchecked(servers, a);
  const c = b / (1 - (a / servers) * (1 - b));
  return Math.min(1, c);
}

/**
 * Erlang C: the probability that an arrival to an M/M/c queue has to wait.
 *
 * @param servers whole number of servers, at least 1
 * @param offeredLoadErlangs arrival rate × mean service time, at least 0
 * @returns a probability in [0, 1]; 1 when the load reaches or exceeds the servers (the queue
 *   grows without bound, so every arrival eventually waits)
 * @throws RangeError when servers is not a whole number ≥ 1 or the load is negative or not finite
 */
export function erlangC(servers: number, offeredLoadErlangs: number): number {
  checkServers("erlangC", servers);
  checkLoad("erlangC", offeredLoadErlangs);
  return erlangCUnchecked(servers, offeredLoadErlangs);
}

/**
 * Mean time an arrival spends waiting in the queue (all arrivals, waiting or not), seconds:
 * W_q = C(c, a) · S / (c − a).
 *
 * @returns `Infinity` when the load reaches or exceeds the servers
 */
export function meanWaitSeconds(servers: number, offeredLoadErlangs: number, serviceSeconds: number): number {
  checkServers("meanWaitSeconds", servers);
  checkLoad("meanWaitSeconds", offeredLoadErlangs);
  checkServiceSeconds("meanWaitSeconds", serviceSeconds);
  if (offeredLoadErlangs >= servers) return Number.POSITIVE_INFINITY;
  return (erlangCUnchecked(servers, offeredLoadErlangs) * serviceSeconds) / (servers - offeredLoadErlangs);
}

/**
 * Probability that an arrival waits longer than `waitSeconds`:
 * P(W > t) = C(c, a) · exp(−(c − a) · t / S). One minus this is the call-centre "service level".
 *
 * @returns 1 when the load reaches or exceeds the servers
 */
export function probabilityWaitExceeds(servers: number, offeredLoadErlangs: number, serviceSeconds: number, waitSeconds: number): number {
  checkServers("probabilityWaitExceeds", servers);
  checkLoad("probabilityWaitExceeds", offeredLoadErlangs);
  checkServiceSeconds("probabilityWaitExceeds", serviceSeconds);
  if (!Number.isFinite(waitSeconds) || waitSeconds < 0) {
    throw new RangeError(`probabilityWaitExceeds: waitSeconds must be a finite number of seconds of at least 0, got ${waitSeconds}`);
  }
  if (offeredLoadErlangs >= servers) return 1;
  const c = erlangCUnchecked(servers, offeredLoadErlangs);
  return c * Math.exp((-(servers - offeredLoadErlangs) * waitSeconds) / serviceSeconds);
}

function checkServiceSeconds(fn: string, serviceSeconds: number): void {
  if (!Number.isFinite(serviceSeconds) || serviceSeconds <= 0) {
    throw new RangeError(`${fn}: serviceSeconds must be a finite positive number of seconds, got ${serviceSeconds}`);
  }
}

/**
 * The largest offered load a (erlangs) that `servers` can carry while the probability of waiting
 * stays at or below `maxWaitProbability`: max { a : C(servers, a) ≤ p }, found by bisection
 * (C is continuous and strictly increasing in a on [0, servers)).
 *
 * Divide by `servers` for the utilization each server may run at; it rises with the number of
 * servers (pooling), which is why one big replica group needs less headroom than many small ones.
 *
 * @param maxWaitProbability in [0, 1]; 0 gives 0, 1 gives `servers` (any stable load)
 * @returns a load in [0, servers] with C(servers, result) ≤ maxWaitProbability, within 1e-9 relative
 */
export function maxOfferedLoadForWaitProbability(servers: number, maxWaitProbability: number): number {
  checkServers("maxOfferedLoadForWaitProbability", servers);
  if (!Number.isFinite(maxWaitProbability) || maxWaitProbability < 0 || maxWaitProbability > 1) {
    throw new RangeError(`maxOfferedLoadForWaitProbability: maxWaitProbability must be between 0 and 1, got ${maxWaitProbability}`);
  }
  if (maxWaitProbability === 0) return 0;
  if (maxWaitProbability === 1) return servers;
  let lo = 0;
  let hi = servers;
  while (hi - lo > 1e-9 * servers) {
    const mid = (lo + hi) / 2;
    if (erlangCUnchecked(servers, mid) <= maxWaitProbability) lo = mid;
    else hi = mid;
  }
  return lo;
}
