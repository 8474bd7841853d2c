/**
 * The words and tables people read about a stack's economics: table for terminals, markdown for
 * pull-request comments, JSON for machines. Numbers come from the economics, unchanged.
 */
import Table from "cli-table3";
import type { StackEvaluation } from "../stack-economics";

type WorkloadRow = StackEvaluation["workloads"][number];

/** Whole dollars with the sign before the symbol: `-$11,804`, never `$-11,804`. */
export const usd = (x: number) => {
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
      replicaStartsPerMonth: w.replicaStartsPerMonth,
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

/**
 * Key paths of every number in a report that is not finite (NaN or ±Infinity print as nonsense and
 * JSON turns them into null). The schema's bounds should make this empty; the CLIs check anyway
 * and stop with an error naming the figure rather than print it.
 */
export function nonFiniteFigures(report: unknown): string[] {
  const found: string[] = [];
  const stack: [unknown, string][] = [[report, ""]];
  while (stack.length > 0) {
    const [value, at] = stack.pop()!;
    if (typeof value === "number") {
      if (!Number.isFinite(value)) found.push(at);
    } else if (Array.isArray(value)) value.forEach((item, i) => stack.push([item, `${at}[${i}]`]));
    else if (typeof value === "object" && value !== null) for (const [key, item] of Object.entries(value)) stack.push([item, at === "" ? key : `${at}.${key}`]);
  }
  return found.sort();
}

const HEAD = ["workload", "tier", "verdict", "gate", "owned share", "utilization", "needed", "owned/mo", "API/mo", "savings/mo", "payback (mo)", "GPU-h/mo", "$/1M owned", "$/1M API"];

/**
 * Columns dropped, in this order, until the table fits the terminal: detail first, the verdict and
 * the money last. Indexes into HEAD.
 */
const DROP_ORDER = [13, 12, 11, 10, 4, 6, 1].map((i) => HEAD[i]!);

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

/** Width a compact cli-table3 table of these cells takes: borders, one space of padding each side. */
function tableWidth(columns: readonly (readonly string[])[]): number {
  return 1 + columns.reduce((sum, cells) => sum + Math.max(...cells.map((c) => [...c].length)) + 3, 0);
}

/** The columns kept so the table fits `width`, in HEAD order. */
function fittingColumns(rows: readonly string[][], width: number): { keep: number[]; dropped: string[] } {
  const keep = HEAD.map((_, i) => i);
  const dropped: string[] = [];
  const widthOf = (indexes: number[]) => tableWidth(indexes.map((i) => [HEAD[i]!, ...rows.map((r) => r[i]!)]));
  for (const name of DROP_ORDER) {
    if (widthOf(keep) <= width) break;
    keep.splice(keep.indexOf(HEAD.indexOf(name)), 1);
    dropped.push(name);
  }
  return { keep, dropped };
}

/** Words of `text` on lines of at most `width` characters, continuation lines indented by `indent`. */
export function wrap(text: string, width: number, indent: string): string[] {
  if (!Number.isFinite(width) || [...text].length <= width) return [text];
  const lead = /^ */.exec(text)![0];
  const lines: string[] = [];
  let line = lead;
  for (const word of text.slice(lead.length).split(" ")) {
    const next = line.trim() === "" ? `${line}${word}` : `${line} ${word}`;
    if ([...next].length > width && line.trim() !== "") {
      lines.push(line);
      line = `${indent}${word}`;
    } else line = next;
  }
  lines.push(line);
  return lines;
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

/** The NAT gateway's share of the owned cost: weights downloaded from the hub on every replica start. */
function natLine(w: WorkloadRow): string | null {
  const nat = w.ownedCostBreakdown.natEgressUsd;
  if (!(nat > 0)) return null;
  return (
    `NAT egress: ${Math.round(w.replicaStartsPerMonth).toLocaleString("en-US")} replica starts a month each download the weights from the Hugging Face hub through the NAT gateway: ` +
    `${usd(nat)}/month, in the owned cost (serving.weightsSource: s3 stages them once and streams them through the S3 gateway endpoint, at no per-GB charge)`
  );
}

function shapeLine(w: WorkloadRow): string {
  const s = w.cheapestShape;
  if (s === null) return "no GPU shape in the catalog holds this model";
  return `cheapest shape: ${s.gpusPerReplica}× GPU of ${s.instanceType} (${Math.round(s.replicaTokensPerSecond)} tok/s per replica, up to ${s.maxReplicas} replicas) at ${usd(s.ownedMonthlyUsd)}/mo${s.cheaperThanApi ? "" : ", still dearer than the API"}`;
}

/** How the table is drawn for a terminal. */
export interface TableOptions {
  /** ANSI colour in headers and borders. @default false */
  color?: boolean;
  /** Columns the output may take; columns are dropped (least important first) and prose wrapped to fit. @default 120 */
  width?: number;
  /** Every column, whatever the width (`--wide`). @default false */
  wide?: boolean;
}

/** The default width: a 120-column terminal. */
export const DEFAULT_TABLE_WIDTH = 120;

export function costTable(evaluation: StackEvaluation, options: TableOptions = {}): string {
  const width = options.wide === true ? Number.POSITIVE_INFINITY : (options.width ?? DEFAULT_TABLE_WIDTH);
  const rows = evaluation.workloads.map(row);
  const { keep, dropped } = fittingColumns(rows, width);
  const table = new Table({
    head: keep.map((i) => HEAD[i]!),
    style: { head: options.color === true ? ["cyan"] : [], border: options.color === true ? ["grey"] : [], compact: true },
  });
  for (const cells of rows) table.push(keep.map((i) => cells[i]!));
  const lines = [...wrap(`Stack ${evaluation.stack}: owned vs API, per month (730 h). Gate: utilization ≥ break-even × ${(1 + evaluation.marginOfSafety).toFixed(2)}.`, width, ""), table.toString()];
  if (dropped.length > 0) lines.push(`(${dropped.length} column${dropped.length === 1 ? "" : "s"} hidden to fit ${width} columns: ${dropped.join(", ")}; --wide shows all)`);
  lines.push("");
  for (const w of evaluation.workloads) {
    lines.push(...wrap(`${w.name} — ${w.verdict.toUpperCase()} (${nodesLine(w)}, $${w.replicaUsdPerHour.toFixed(2)}/replica-h billed, ${Math.round(w.replicaTokensPerSecond)} tok/s per replica, ${w.capacity.basis})`, width, "  "));
    for (const r of w.reasons) lines.push(...wrap(`  - ${r.factor}: ${r.detail}`, width, "    "));
    const nat = natLine(w);
    if (nat !== null) lines.push(...wrap(`  - ${nat}`, width, "    "));
    lines.push(...wrap(`  - ${shapeLine(w)}`, width, "    "));
  }
  lines.push("", ...totalsLines(evaluation).flatMap((line) => wrap(line, width, "  ")));
  lines.push(...wrap(`Prices from the built-in catalog, as of ${evaluation.catalogAsOf.oldest} to ${evaluation.catalogAsOf.newest}; override them under economics.priceOverrides.`, width, "  "));
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
    const nat = natLine(w);
    if (nat !== null) lines.push(`- ${nat}`);
    lines.push(`- ${shapeLine(w)}`, "", "</details>", "");
  }
  lines.push(...totalsLines(evaluation).map((l) => `${l}  `), "");
  lines.push(`_Catalog prices as of ${evaluation.catalogAsOf.oldest} – ${evaluation.catalogAsOf.newest}; gate margin ${pct(evaluation.marginOfSafety)}._`);
  return lines.join("\n");
}
