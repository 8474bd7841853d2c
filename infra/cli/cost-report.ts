/**
 * The words and tables people read about a stack's economics: table for terminals, markdown for
 * pull-request comments, JSON for machines. Numbers come from the economics, unchanged.
 */
import Table from "cli-table3";
import type { StackEvaluation } from "../stack-economics";

type WorkloadRow = StackEvaluation["workloads"][number];

const usd = (x: number) => {
  const rounded = Math.round(x);
  return `${rounded < 0 ? "-" : ""}$${Math.abs(rounded).toLocaleString("en-US")}`;
};
const pct = (x: number | null) => (x === null ? "none" : `${(x * 100).toFixed(1)}%`);
const perMillion = (x: number | null) => (x === null ? "n/a" : `$${x.toFixed(x < 1 ? 3 : 2)}`);
const months = (x: number | null) => (x === null ? "never" : x < 0.05 ? "<0.1" : x.toFixed(1));
const gate = (w: WorkloadRow) => (w.passesGate ? "pass" : "REFUSE");

/** The JSON a machine reads: the documented shape plus a few extra fields. */
export function costJson(evaluation: StackEvaluation): unknown {
  return {
    stack: evaluation.stack,
    catalogAsOf: evaluation.catalogAsOf,
    marginOfSafety: evaluation.marginOfSafety,
    economicsFile: evaluation.economicsFile,
    warnings: evaluation.warnings,
    workloads: evaluation.workloads.map((w) => ({
      name: w.name,
      tier: w.tier,
      verdict: w.verdict,
      targetOwnedShare: w.targetOwnedShare,
      modeledUtilization: w.modeledUtilization,
      breakEvenUtilization: w.breakEvenUtilization,
      requiredUtilization: w.requiredUtilization,
      passesGate: w.passesGate,
      ownedMonthlyUsd: w.ownedMonthlyUsd,
      apiMonthlyUsd: w.apiMonthlyUsd,
      savingsMonthlyUsd: w.savingsMonthlyUsd,
      paybackMonths: w.paybackMonths,
      gpuHoursPerMonth: w.gpuHoursPerMonth,
      replicaGpuHoursPerMonth: w.replicaGpuHoursPerMonth,
      nodeHoursPerMonth: w.nodeHoursPerMonth,
      nodesAtPeak: w.nodesAtPeak,
      fixedCostShare: w.fixedCostShare,
      refusal: w.refusal,
      backlog: w.backlog,
      queueTarget: w.queueTarget,
      tco: w.tco,
      replicaTokensPerSecond: w.replicaTokensPerSecond,
      costPerMillionTokensUsd: w.costPerMillionTokensUsd,
      ownedCostBreakdown: w.ownedCostBreakdown,
      instanceType: w.instanceType,
      replicaUsdPerHour: w.replicaUsdPerHour,
      overflowShare: w.simulation.overflowShare,
      meanReplicas: w.simulation.meanReplicas,
      peakReplicas: w.simulation.peakReplicas,
      capacityBasis: w.capacity.basis,
      cheapestShape: w.cheapestShape,
      reasons: w.reasons.map((r) => `${r.factor}: ${r.detail}`),
    })),
    totals: evaluation.totals,
    stackCheck: evaluation.stackCheck,
  };
}

const HEAD = ["workload", "tier", "verdict", "gate", "owned share", "utilization", "needed", "owned/mo", "API/mo", "savings/mo", "payback (mo)", "GPU-h/mo", "$/1M owned", "$/1M API"];

function row(w: WorkloadRow): string[] {
  return [
    w.name,
    w.tier,
    w.verdict,
    gate(w),
    pct(w.targetOwnedShare),
    pct(w.modeledUtilization),
    pct(w.requiredUtilization),
    usd(w.ownedMonthlyUsd),
    usd(w.apiMonthlyUsd),
    usd(w.savingsMonthlyUsd),
    months(w.paybackMonths),
    Math.round(w.gpuHoursPerMonth).toLocaleString("en-US"),
    perMillion(w.costPerMillionTokensUsd.owned),
    perMillion(w.costPerMillionTokensUsd.api),
  ];
}

/** Whole nodes at the group's peak, e.g. "2× g6e.12xlarge at peak". */
function nodesLine(w: WorkloadRow): string {
  const counts = new Map<string, number>();
  for (const type of w.nodesAtPeak) counts.set(type, (counts.get(type) ?? 0) + 1);
  const parts = [...counts.entries()].map(([type, n]) => `${n}× ${type}`);
  return parts.length > 0 ? `${parts.join(" + ")} at peak` : w.instanceType;
}

/** The stack as a whole: totals, the stack-level check, TCO and where the economics came from. */
function totalsLines(evaluation: StackEvaluation): string[] {
  const t = evaluation.totals;
  const lines = [
    `Totals: owned ${usd(t.ownedMonthlyUsd)}/mo, API ${usd(t.apiMonthlyUsd)}/mo, savings ${usd(t.savingsMonthlyUsd)}/mo; payback ${months(t.paybackMonths)} months. Fixed costs ${usd(t.fixedMonthlyUsd)}/mo, once for the stack, shared by billed GPU-hours.`,
  ];
  const c = evaluation.stackCheck;
  const scope = c.waived.length > 0 ? `the workloads no waiver covers (waived: ${c.waived.join(", ")}), with all fixed costs,` : "everything, with all fixed costs,";
  lines.push(`Stack check: owning ${scope} ${c.passes ? "costs no more than" : "COSTS MORE than"} the API (${usd(c.ownedMonthlyUsd)} vs ${usd(c.apiMonthlyUsd)} per month)${c.passes ? "" : ": the gate refuses the stack"}.`);
  if (t.tco.length > 0) lines.push(`TCO (migration, parallel run, growth): ${t.tco.map((p) => `${p.months} mo owned ${usd(p.ownedUsd)} vs API ${usd(p.apiUsd)} (${usd(p.savingsUsd)})`).join("; ")}.`);
  lines.push(evaluation.economicsFile !== null ? `Economics assumptions from ${evaluation.economicsFile}.` : "Economics assumptions from the stack file or the defaults.");
  for (const warning of evaluation.warnings) lines.push(`warning: ${warning}`);
  return lines;
}

function shapeLine(w: WorkloadRow): string {
  const s = w.cheapestShape;
  if (s === null) return "no GPU shape in the catalog holds this model";
  return `cheapest shape: ${s.gpusPerReplica}× GPU of ${s.instanceType} (${Math.round(s.replicaTokensPerSecond)} tok/s per replica, up to ${s.maxReplicas} replicas) at ${usd(s.ownedMonthlyUsd)}/mo${s.cheaperThanApi ? "" : ", still dearer than the API"}`;
}

export function costTable(evaluation: StackEvaluation, options: { color?: boolean } = {}): string {
  const table = new Table({ head: HEAD, style: { head: options.color === true ? ["cyan"] : [], border: options.color === true ? ["grey"] : [] } });
  for (const w of evaluation.workloads) table.push(row(w));
  const lines = [`Stack ${evaluation.stack}: owned vs API, per month (730 h). Gate: utilization ≥ break-even × ${(1 + evaluation.marginOfSafety).toFixed(2)}.`, table.toString(), ""];
  for (const w of evaluation.workloads) {
    lines.push(`${w.name} — ${w.verdict.toUpperCase()} (${nodesLine(w)}, $${w.replicaUsdPerHour.toFixed(2)}/replica-h billed, ${Math.round(w.replicaTokensPerSecond)} tok/s per replica, ${w.capacity.basis})`);
    for (const r of w.reasons) lines.push(`  - ${r.factor}: ${r.detail}`);
    lines.push(`  - ${shapeLine(w)}`);
  }
  lines.push("", ...totalsLines(evaluation));
  lines.push(`Prices from the built-in catalog, as of ${evaluation.catalogAsOf.oldest} to ${evaluation.catalogAsOf.newest}; override them under economics.priceOverrides.`);
  return lines.join("\n");
}

export function costMarkdown(evaluation: StackEvaluation): string {
  const cells = (values: string[]) => `| ${values.map((v) => v.replace(/\|/g, "\\|")).join(" | ")} |`;
  const lines = [
    `### Inference economics — stack \`${evaluation.stack}\``,
    "",
    cells(HEAD),
    cells(HEAD.map(() => "---")),
    ...evaluation.workloads.map((w) => cells(row(w))),
    "",
  ];
  for (const w of evaluation.workloads) {
    lines.push(`<details><summary><b>${w.name}</b>: ${w.verdict} (${w.passesGate ? "passes" : "fails"} the break-even gate)</summary>`, "");
    for (const r of w.reasons) lines.push(`- **${r.factor}**: ${r.detail}`);
    lines.push(`- ${shapeLine(w)}`, "", "</details>", "");
  }
  lines.push(...totalsLines(evaluation).map((l) => `${l}  `), "");
  lines.push(`_Catalog prices as of ${evaluation.catalogAsOf.oldest} – ${evaluation.catalogAsOf.newest}; gate margin ${pct(evaluation.marginOfSafety)}._`);
  return lines.join("\n");
}
