/**
 * Which catalog prices a stack's report used, and the warning lines for those older than the
 * configured age (`--max-price-age-days`). The age rule itself lives with the catalog
 * (policies/economics/catalog/freshness.ts) so every report can apply the same one.
 */
import { describeStalePrice, stalePrices, type PriceUse } from "../../policies/economics/catalog";
import type { StackConfig } from "../config";
import { workloadFacts, type StackEvaluation } from "../stack-economics";

/** The catalog prices behind each workload's figures: its instance's price for its capacity type, and its API's list price. */
export function priceUses(config: StackConfig, evaluation: StackEvaluation): PriceUse[] {
  const uses: PriceUse[] = [];
  config.workloads.forEach((workload, i) => {
    const evaluated = evaluation.workloads[i];
    if (evaluated === undefined) return;
    const facts = workloadFacts(config, workload);
    if (facts.hourlyPriceUsd === undefined) uses.push({ kind: "instance", id: evaluated.instanceType, capacityType: facts.capacityType });
    if (workload.api.pricePerMillion === undefined && workload.api.catalogId !== undefined) uses.push({ kind: "api", id: workload.api.catalogId });
  });
  return uses;
}

/** Warning lines, one per catalog price older than `maxAgeDays`; empty when all are fresh. */
export function priceAgeWarnings(config: StackConfig, evaluation: StackEvaluation, maxAgeDays: number, today: Date = new Date()): string[] {
  return stalePrices(priceUses(config, evaluation), { maxAgeDays, today, overrides: config.economics.priceOverrides }).map(describeStalePrice);
}
