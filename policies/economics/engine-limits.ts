/**
 * The limits vLLM is started with, from the memory facts the capacity model computes, so the
 * engine and the cost model assume the same batch and context:
 *
 *   --max-num-seqs   = the decode batch the capacity model assumes (KV-bound, SLO-bound, ≤ 256)
 *   --max-model-len  = the context asked for (or the model's own), refused when one sequence of it
 *                      does not fit the KV cache that is left after the weights
 *
 * vLLM's start-up check (vllm/v1/core/kv_cache_utils.py `check_enough_kv_cache_memory`) refuses to
 * start unless the KV cache, less the one block its BlockPool holds back, holds one sequence of
 * `max_model_len` tokens in whole blocks. The capacity model's KV budget is an estimate (vLLM profiles
 * its activation memory at start-up), so the context the engine is promised keeps KV_CONTEXT_HEADROOM
 * of it in reserve.
 */
import { replicaCapacity } from "./capacity";
import type { CapacityInput } from "./types";

/** vLLM's KV-cache block on CUDA, tokens (`--block-size` default). */
export const VLLM_BLOCK_TOKENS = 16;

/** Share of the modelled KV cache a single longest sequence may claim: the rest absorbs error in the runtime reserve. */
export const KV_CONTEXT_HEADROOM = 0.9;

/** Contexts are rounded down to a multiple of this many tokens (whole blocks, readable numbers). */
export const CONTEXT_ROUNDING_TOKENS = 256;

export interface EngineLimits {
  /** `--max-model-len`, tokens. */
  readonly maxModelLen: number;
  /** `--max-num-seqs`: the batch the cost model assumes. */
  readonly maxNumSeqs: number;
  /** KV-cache tokens the replica holds after weights and runtime reserve (the capacity model's figure). */
  readonly kvCacheTokens: number;
  /** Longest context that fits with the headroom, tokens. */
  readonly longestFittingContext: number;
}

export type EngineLimitsResult = { readonly fits: true; readonly limits: EngineLimits } | { readonly fits: false; readonly reason: string };

/**
 * Engine limits for a replica of `input`. `modelContextTokens` is the model's own context;
 * `requestedContextTokens` the context the workload asks for (unset: the model's, capped at what fits).
 */
export function engineLimits(input: CapacityInput, context: { readonly modelContextTokens: number; readonly requestedContextTokens?: number }): EngineLimitsResult {
  const capacity = replicaCapacity(input);
  if (!capacity.fits) return { fits: false, reason: capacity.reason ?? "the replica cannot hold the model" };
  const blocks = Math.floor((capacity.kvCacheTokens * KV_CONTEXT_HEADROOM) / VLLM_BLOCK_TOKENS) - 1; // less vLLM's null block
  const longestFittingContext = Math.max(0, Math.floor((blocks * VLLM_BLOCK_TOKENS) / CONTEXT_ROUNDING_TOKENS) * CONTEXT_ROUNDING_TOKENS);
  const sequence = Math.ceil(input.meanInputTokens + input.meanOutputTokens);
  const requested = context.requestedContextTokens;
  if (requested !== undefined && requested > context.modelContextTokens) {
    return { fits: false, reason: `a ${requested}-token context is longer than the model's own ${context.modelContextTokens} tokens` };
  }
  if (requested !== undefined && requested > longestFittingContext) {
    return {
      fits: false,
      reason:
        `one ${requested}-token sequence does not fit the KV cache left after the weights (${capacity.kvCacheTokens} tokens, ` +
        `${longestFittingContext} usable for one sequence); vLLM would refuse to start: ask for at most ${longestFittingContext} tokens, or use more or larger GPUs`,
    };
  }
  const maxModelLen = requested ?? Math.min(context.modelContextTokens, longestFittingContext);
  if (maxModelLen < sequence) {
    return {
      fits: false,
      reason: `the longest context that fits (${maxModelLen} tokens) is shorter than one mean request (${sequence} tokens): use more or larger GPUs, or a smaller precision`,
    };
  }
  return { fits: true, limits: { maxModelLen, maxNumSeqs: Math.max(1, capacity.concurrentSequences), kvCacheTokens: capacity.kvCacheTokens, longestFittingContext } };
}
