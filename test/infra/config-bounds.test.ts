/**
 * The schema is the one place numbers are bounded: every value it refuses would have crashed the
 * model or printed nonsense, and every value it accepts — each bound included — gives finite figures.
 */
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { namespaceValues, parseStackConfig, SERVING_LIMITS, StackConfigError, type StackConfig } from "../../infra/config";
import { costJson, nonFiniteFigures } from "../../infra/cli/cost-report";
import { evaluateStack } from "../../infra/stack-economics";
import { MODEL_LIMITS } from "../../policies/economics/schema";
import { DEV_STACK_FILE } from "../fixtures/stack-files";

const DEV_VALUES = namespaceValues(fs.readFileSync(DEV_STACK_FILE, "utf8"), "Pulumi.dev.yaml");

type Path = readonly (string | number)[];

/** The dev stack's values with `value` set at each key path (parents created as needed). */
function devWith(...edits: (readonly [Path, unknown])[]): Record<string, unknown> {
  const values = structuredClone(DEV_VALUES) as Record<string | number, unknown>;
  for (const [path, value] of edits) {
    let node = values;
    for (const key of path.slice(0, -1)) {
      node[key] ??= {};
      node = node[key] as Record<string | number, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
  return values;
}

function problems(values: Record<string, unknown>): readonly string[] {
  try {
    parseStackConfig(values, "Pulumi.dev.yaml");
  } catch (error) {
    if (error instanceof StackConfigError) return error.problems;
    throw error;
  }
  return [];
}

function figures(config: StackConfig, options: { cheapestShape?: boolean } = { cheapestShape: false }): unknown {
  return costJson(evaluateStack(config, "bounds", options));
}

const BATCH = ["workloads", 0] as const; // ticket-classifier
const INTERACTIVE = ["workloads", 2] as const; // support-chat

describe("values the model cannot compute are refused by the schema, naming the key", () => {
  it.each([
    ["slo.maxWaitProbability 0 (Erlang C leaves no load: the simulation crashed)", [...INTERACTIVE, "slo", "maxWaitProbability"], 0, "gpu-inference:workloads[2].slo.maxWaitProbability: expected a probability of at least 0.001: at 0 no replica may take any load"],
    ["peakToMeanRatio 800 (the traffic model threw)", [...INTERACTIVE, "traffic", "peakToMeanRatio"], 800, "gpu-inference:workloads[2].traffic.peakToMeanRatio: expected a ratio of at most 100"],
    ["coldStartSeconds 1e12 (Invalid typed array length)", [...BATCH, "serving", "coldStartSeconds"], 1e12, "gpu-inference:workloads[0].serving.coldStartSeconds: expected a whole number of seconds, at most 86,400"],
    ["maxReplicas 3e9 (overflowed a 32-bit counter: utilization −54,821)", [...BATCH, "serving", "maxReplicas"], 3e9, "gpu-inference:workloads[0].serving.maxReplicas: expected a whole number of replicas, at least 1, at most 10,000"],
    ["operations.fte 1e308 (Infinity/NaN in every figure)", ["economics", "operations", "fte"], 1e308, "gpu-inference:economics.operations.fte: expected a number of full-time equivalents of at most 10,000"],
    ["scaleDownCooldownSeconds 1e12 (Invalid typed array length)", [...INTERACTIVE, "serving", "scaleDownCooldownSeconds"], 1e12, "gpu-inference:workloads[2].serving.scaleDownCooldownSeconds: expected a whole number of seconds, at most 86,400"],
    ["measuredTokensPerSecond 5e-324 ($Infinity per 1M tokens)", [...INTERACTIVE, "serving", "measuredTokensPerSecond"], 5e-324, "gpu-inference:workloads[2].serving.measuredTokensPerSecond: expected at least 1 token per second"],
    ["requestsPerMonth 1e-300 (a fraction of a request)", [...BATCH, "traffic", "requestsPerMonth"], 1e-300, "gpu-inference:workloads[0].traffic.requestsPerMonth: expected a number of requests of at least 1"],
    ["hourlyPriceUsd 1e308 (Infinity owned cost)", [...BATCH, "serving", "hourlyPriceUsd"], 1e308, "gpu-inference:workloads[0].serving.hourlyPriceUsd: expected a positive number of at most 10,000"],
    ["api.pricePerMillion.output 1e308 (Infinity API cost)", [...BATCH, "api", "pricePerMillion"], { input: 1, output: 1e308 }, "gpu-inference:workloads[0].api.pricePerMillion.output: expected a price in USD per 1M tokens of at most 10,000"],
  ] as const)("%s", (_, path, value, expected) => {
    expect(problems(devWith([path, value]))).toEqual([`Pulumi.dev.yaml: ${expected}`]);
  });

  it("refuses more workloads than a stack can evaluate in reasonable time", () => {
    const workloads = DEV_VALUES.workloads as { name: string }[];
    const many = Array.from({ length: SERVING_LIMITS.workloads + 1 }, (_, i) => ({ ...workloads[0]!, name: `w${i}` }));
    expect(problems(devWith([["workloads"], many]))).toContain("Pulumi.dev.yaml: gpu-inference:workloads: expected at most 500 workloads; split the stack");
  });
});

describe("every accepted value, each bound included, gives finite figures", () => {
  const architecture = (parametersBillions: number, size: number) => ({
    parametersBillions,
    layers: size,
    hiddenSize: size,
    attentionHeads: size,
    kvHeads: size,
    maxContextTokens: MODEL_LIMITS.contextTokens,
  });
  const cases: [string, ...(readonly [Path, unknown])[]][] = [];
  for (const at of [BATCH, INTERACTIVE]) {
    const tier = at === BATCH ? "batch" : "interactive";
    for (const [field, low, high] of [
      ["requestsPerMonth", 1, MODEL_LIMITS.requestsPerMonth],
      ["meanInputTokens", 1, MODEL_LIMITS.meanTokens],
      ["meanOutputTokens", 1, MODEL_LIMITS.meanTokens],
      ["peakToMeanRatio", 1, MODEL_LIMITS.peakToMeanRatio],
      ["prefixCacheHitRate", 0, 1],
      ["noiseCoefficientOfVariation", 0, 1],
    ] as const) {
      cases.push([`${tier} traffic.${field} at ${low}`, [[...at, "traffic", field], low]]);
      cases.push([`${tier} traffic.${field} at ${high}`, [[...at, "traffic", field], high]]);
    }
    for (const [field, low, high] of [
      ["maxReplicas", 2, SERVING_LIMITS.replicas],
      ["targetQueueDepthPerReplica", Number.MIN_VALUE, SERVING_LIMITS.queueDepth],
      ["scaleDownCooldownSeconds", 0, SERVING_LIMITS.seconds],
      ["coldStartSeconds", 1, SERVING_LIMITS.seconds],
      ["requestsPerBatchFile", 1, SERVING_LIMITS.requestsPerBatchFile],
      ["gpuMemoryUtilization", Number.MIN_VALUE, 1],
      ["measuredTokensPerSecond", 1, SERVING_LIMITS.tokensPerSecond],
      ["hourlyPriceUsd", Number.MIN_VALUE, MODEL_LIMITS.usdPerHour],
    ] as const) {
      cases.push([`${tier} serving.${field} at ${low}`, [[...at, "serving", field], low]]);
      cases.push([`${tier} serving.${field} at ${high}`, [[...at, "serving", field], high]]);
    }
    cases.push([`${tier} free API`, [[...at, "api"], { pricePerMillion: { input: 0, output: 0 } }]]);
    cases.push([`${tier} dearest API`, [[...at, "api"], { pricePerMillion: { input: 1e4, output: 1e4, cachedInput: 1e4 }, batchDiscount: 1 }]]);
    cases.push([`${tier} smallest model`, [[...at, "model", "architecture"], architecture(MODEL_LIMITS.minParametersBillions, 1)]]);
    cases.push([`${tier} largest model`, [[...at, "model", "architecture"], architecture(MODEL_LIMITS.parametersBillions, MODEL_LIMITS.architectureCount)]]);
  }
  for (const [field, low, high] of [
    ["maxWaitProbability", MODEL_LIMITS.minWaitProbability, 1],
    ["timePerOutputTokenMs", Number.MIN_VALUE, MODEL_LIMITS.timePerOutputTokenMs],
    ["maxQueueWaitSeconds", Number.MIN_VALUE, MODEL_LIMITS.queueWaitSeconds],
  ] as const) {
    cases.push([`slo.${field} at ${low}`, [[...INTERACTIVE, "slo", field], low]]);
    cases.push([`slo.${field} at ${high}`, [[...INTERACTIVE, "slo", field], high]]);
  }
  cases.push([
    "every economics figure at its largest",
    [["economics"], { operations: { fte: MODEL_LIMITS.fte, loadedAnnualCostUsd: MODEL_LIMITS.loadedAnnualCostUsd }, migrationCostUsd: MODEL_LIMITS.costUsd, fixedMonthlyUsd: MODEL_LIMITS.costUsd, marginOfSafety: 1 }],
  ]);
  cases.push(["free instances", [["economics", "priceOverrides"], { instances: { "g6.xlarge": { spot: 0 }, "g6.2xlarge": { spot: 0 } } }]]);
  cases.push([
    "largest volumes on the smallest replica at the dearest prices",
    [[...BATCH, "traffic"], { requestsPerMonth: MODEL_LIMITS.requestsPerMonth, meanInputTokens: MODEL_LIMITS.meanTokens, meanOutputTokens: MODEL_LIMITS.meanTokens, peakToMeanRatio: MODEL_LIMITS.peakToMeanRatio }],
    [[...BATCH, "serving", "measuredTokensPerSecond"], 1],
    [[...BATCH, "serving", "maxReplicas"], SERVING_LIMITS.replicas],
    [[...BATCH, "api", "pricePerMillion"], { input: 1e4, output: 1e4 }],
  ]);

  it.each(cases)("%s", (_, ...edits) => {
    const values = devWith(...edits);
    // Keep only the edited workload(s): the month simulation is the slow part.
    const edited = new Set(edits.filter(([path]) => path[0] === "workloads").map(([path]) => path[1]));
    if (edited.size > 0) values.workloads = (values.workloads as unknown[]).filter((_w, i) => edited.has(i));
    // Within the bounds a value either evaluates to finite figures or is refused for a reason the
    // config names (a model that does not fit the pool's GPUs, say) — never a crash.
    const refused = problems(values);
    for (const line of refused) expect(line).toMatch(/^Pulumi\.dev\.yaml: gpu-inference:\S+: /);
    if (refused.length === 0) expect(nonFiniteFigures(figures(parseStackConfig(values, "Pulumi.dev.yaml")))).toEqual([]);
  });

  it("prices a reserved pool whose replicas pin their hourly price (it threw \"no reserved price\")", () => {
    const values = devWith([["cluster", "gpuPools", 1, "capacityType"], "reserved"], [["workloads", 1, "serving", "hourlyPriceUsd"], 5], [["workloads", 2, "serving", "hourlyPriceUsd"], 9]);
    values.workloads = (values.workloads as unknown[]).slice(1);
    const report = figures(parseStackConfig(values, "Pulumi.dev.yaml"), { cheapestShape: true }) as { workloads: { replicaUsdPerHour: number; ownedMonthlyUsd: number }[] };
    // The pinned EC2 rate per replica, plus the Auto Mode fee on the node it shares.
    const [processing, chat] = report.workloads.map((w) => w.replicaUsdPerHour);
    expect(processing).toBeGreaterThanOrEqual(5);
    expect(processing).toBeLessThan(5 * 1.2);
    expect(chat).toBeGreaterThanOrEqual(9);
    expect(chat).toBeLessThan(9 * 1.2);
    expect(nonFiniteFigures(report)).toEqual([]);
  });
});
