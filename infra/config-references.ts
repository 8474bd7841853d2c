/**
 * Checks that span keys: workloads name tenants and pools that exist, names are unique, the
 * catalog can price and size what is named, replica bounds agree. They run over whichever
 * entries parsed, so a stack file with a bad field still gets every cross-reference problem
 * reported in the same run.
 */
import { API_PRICES, INSTANCE_TYPES, MODELS } from "../policies/economics/catalog";
import { PRICE_KEY } from "../policies/economics/catalog/instances";
import type { EconomicsConfig } from "../policies/economics/schema";
import { resolvedMinReplicas } from "../components/internal/serving-plan";

/** An entry of a list, at its index in the stack file. */
export type Indexed<T> = readonly [index: number, value: T];

/** What the checks read; the config types are structurally compatible. */
export interface ReferenceParts {
  readonly pools: readonly Indexed<{ name: string; instanceTypes: readonly string[]; capacityType: "on-demand" | "spot" | "reserved" }>[];
  /** Every pool parsed: a workload naming an unlisted pool is then really wrong. */
  readonly poolsComplete: boolean;
  readonly tenants: readonly Indexed<{ name: string }>[];
  readonly tenantsComplete: boolean;
  readonly workloads: readonly Indexed<ReferencedWorkload>[];
  readonly economics: EconomicsConfig;
}

export interface ReferencedWorkload {
  name: string;
  tier: "interactive" | "batch";
  tenant: string;
  model: { id: string; architecture?: unknown };
  api: { catalogId?: string; pricePerMillion?: unknown };
  serving: { gpuPool: string; gpusPerReplica: number; minReplicas?: number; maxReplicas: number; hourlyPriceUsd?: number };
}

export interface ReferenceProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** The replica floor a workload gets when `serving.minReplicas` is unset (defined with the serving plan). */
export { resolvedMinReplicas };

export function referenceProblems(parts: ReferenceParts): ReferenceProblem[] {
  const problems: ReferenceProblem[] = [];
  const add = (path: readonly (string | number)[], message: string) => problems.push({ path, message });
  const pools = new Map(parts.pools.map(([, pool]) => [pool.name, pool]));
  const tenants = new Set(parts.tenants.map(([, tenant]) => tenant.name));
  duplicates(parts.pools, ["cluster", "gpuPools"], add);
  duplicates(parts.tenants, ["tenants"], add);
  duplicates(parts.workloads, ["workloads"], add);
  catalogProblems(parts, add);
  for (const [i, workload] of parts.workloads) {
    const at = (...rest: (string | number)[]) => ["workloads", i, ...rest];
    if (parts.tenantsComplete && !tenants.has(workload.tenant)) add(at("tenant"), `no tenant named "${workload.tenant}"; expected one of ${[...tenants].join(", ")}`);
    if (parts.poolsComplete && !pools.has(workload.serving.gpuPool)) {
      add(at("serving", "gpuPool"), `no GPU pool named "${workload.serving.gpuPool}"; expected one of ${[...pools.keys()].join(", ")}`);
    }
    if (workload.name === "vllm") {
      // The workload's Service takes its name: Kubernetes would inject VLLM_PORT, which vLLM rejects.
      add(at("name"), 'a workload may not be named "vllm": its Service would make Kubernetes inject VLLM_PORT, which vLLM rejects');
    }
    const min = resolvedMinReplicas(workload);
    if (min > workload.serving.maxReplicas) add(at("serving", "minReplicas"), `expected at most maxReplicas (${workload.serving.maxReplicas})`);
    if (workload.tier === "interactive" && min < 1) {
      add(at("serving", "minReplicas"), "expected at least 1 for an interactive tier: a GPU cold start takes minutes, so scaling to zero breaks the SLO");
    }
  }
  return problems;
}

function duplicates(entries: readonly Indexed<{ name: string }>[], at: readonly (string | number)[], add: (path: readonly (string | number)[], message: string) => void): void {
  const seen = new Set<string>();
  for (const [i, { name }] of entries) {
    if (seen.has(name)) add([...at, i, "name"], `duplicate name "${name}"`);
    seen.add(name);
  }
}

/** Everything the cost model must look up exists in the catalog, or the config supplies it. */
function catalogProblems(parts: ReferenceParts, add: (path: readonly (string | number)[], message: string) => void): void {
  const instances = new Map(INSTANCE_TYPES.map((i) => [i.id, i]));
  const pricedByOverride = parts.economics.priceOverrides.instances;
  for (const [p, pool] of parts.pools) {
    pool.instanceTypes.forEach((id, t) => {
      const instance = instances.get(id);
      const at = ["cluster", "gpuPools", p, "instanceTypes", t];
      if (instance === undefined) {
        add(at, `"${id}" is not a GPU instance type in the catalog; expected one of ${[...instances.keys()].join(", ")}`);
        return;
      }
      const key = PRICE_KEY[pool.capacityType];
      const everyWorkloadPinsPrice = parts.workloads.filter(([, w]) => w.serving.gpuPool === pool.name).every(([, w]) => w.serving.hourlyPriceUsd !== undefined);
      if (instance.usdPerHour[key] === null && pricedByOverride[id]?.[key] === undefined && !everyWorkloadPinsPrice) {
        add(at, `the catalog has no ${pool.capacityType} price for ${id}; set economics.priceOverrides.instances["${id}"].${key} or serving.hourlyPriceUsd`);
      }
    });
  }
  const models = new Set(MODELS.map((m) => m.id));
  const apis = new Set(API_PRICES.map((a) => a.id));
  for (const [i, workload] of parts.workloads) {
    if (workload.model.architecture === undefined && !models.has(workload.model.id)) {
      add(
        ["workloads", i, "model", "id"],
        `"${workload.model.id}" is not in the built-in model catalog; add model.architecture (layers, hiddenSize, attentionHeads, kvHeads, parametersBillions, maxContextTokens) or use one of ${[...models].join(", ")}`,
      );
    }
    const { catalogId, pricePerMillion } = workload.api;
    if (catalogId !== undefined && pricePerMillion === undefined && !apis.has(catalogId) && parts.economics.priceOverrides.api[catalogId] === undefined) {
      add(["workloads", i, "api", "catalogId"], `"${catalogId}" is not in the API price catalog; give api.pricePerMillion or use a catalog id such as gpt-4.1-mini`);
    }
    const pool = parts.pools.find(([, candidate]) => candidate.name === workload.serving.gpuPool)?.[1];
    const widest = Math.max(0, ...(pool?.instanceTypes ?? []).map((id) => instances.get(id)?.gpuCount ?? 0));
    if (pool !== undefined && widest > 0 && workload.serving.gpusPerReplica > widest) {
      add(
        ["workloads", i, "serving", "gpusPerReplica"],
        `pool ${pool.name}'s largest instance has ${widest} GPU(s); a replica cannot span nodes, so use at most ${widest} or add a larger instance type`,
      );
    }
  }
}
