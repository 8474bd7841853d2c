/**
 * What `npm run plan` prints: the resources a deploy would create (grouped by component), every
 * policy diagnostic, and the cost summary — as a table, a pull-request comment, or JSON.
 */
import Table from "cli-table3";
import type { BaseComparison, MonthlyTotals, WorkloadChange, WorkloadFigures } from "../plan/base-diff";
import type { RecordedResource } from "../plan/mock-engine";
import type { AnalyzerRun, PolicyDiagnostic } from "../policy/analyzer";
import type { StackEvaluation } from "../stack-economics";
import { costJson, costMarkdown, costTable } from "./cost-report";

export interface PlanResult {
  readonly stack: string;
  readonly policyConfigFile: string | null;
  readonly resources: readonly RecordedResource[];
  readonly analysis: AnalyzerRun;
  readonly cost: StackEvaluation;
  /** The cost change against the base branch, when `--base <ref>` was given. */
  readonly base?: BaseComparison;
}

/** Diagnostics that refuse the deploy: mandatory violations and mandatory checks that could not run. */
export function blocking(result: PlanResult): PolicyDiagnostic[] {
  return result.analysis.diagnostics.filter((d) => d.enforcementLevel === "mandatory" || d.downgradedMandatory);
}

interface Group {
  readonly component: string;
  readonly count: number;
  readonly byType: ReadonlyMap<string, number>;
}

/** Resources grouped under the top-level resource (usually a component) they descend from. */
export function groupByComponent(resources: readonly RecordedResource[]): Group[] {
  const byUrn = new Map(resources.filter((r) => r.urn !== undefined).map((r) => [r.urn!, r]));
  const root = (r: RecordedResource): RecordedResource => {
    let current = r;
    for (let parent = current.parent; parent !== undefined && byUrn.has(parent); parent = current.parent) current = byUrn.get(parent)!;
    return current;
  };
  const groups = new Map<string, { count: number; byType: Map<string, number> }>();
  for (const resource of resources) {
    const top = root(resource);
    const key = `${shortType(top.type)} ${top.name}`;
    const group = groups.get(key) ?? { count: 0, byType: new Map<string, number>() };
    group.count += 1;
    group.byType.set(resource.type, (group.byType.get(resource.type) ?? 0) + 1);
    groups.set(key, group);
  }
  return [...groups].map(([component, g]) => ({ component, count: g.count, byType: g.byType }));
}

function shortType(type: string): string {
  if (type.startsWith("pulumi:providers:")) return `provider:${type.slice("pulumi:providers:".length)}`;
  return type.split(":").pop() ?? type;
}

function typesLine(group: Group): string {
  return [...group.byType]
    .sort((a, b) => b[1] - a[1])
    .map(([type, n]) => `${shortType(type)}${n > 1 ? ` ×${n}` : ""}`)
    .join(", ");
}

function urnName(urn: string | undefined): string {
  if (urn === undefined) return "(stack)";
  const parts = urn.split("::");
  return `${shortType(parts[2] ?? "")} ${parts[3] ?? ""}`.trim();
}

function verdictLine(result: PlanResult): string {
  const refusals = blocking(result);
  return refusals.length === 0 ? "PASS: no mandatory policy violated" : `REFUSED: ${refusals.length} mandatory violation${refusals.length === 1 ? "" : "s"}`;
}

export function planJson(result: PlanResult): unknown {
  return {
    stack: result.stack,
    policyConfig: result.policyConfigFile,
    passed: blocking(result).length === 0,
    resources: result.resources.map((r) => ({ type: r.type, name: r.name, parent: r.parent ?? null })),
    diagnostics: result.analysis.diagnostics.map((d) => ({
      policy: d.policyName,
      enforcement: d.enforcementLevel,
      urn: d.urn ?? null,
      message: d.message,
      ...(d.downgradedMandatory ? { downgradedMandatory: true } : {}),
    })),
    cost: costJson(result.cost),
    ...(result.base !== undefined ? { base: result.base } : {}),
  };
}

export function planTable(result: PlanResult, options: { color?: boolean } = {}): string {
  const style = { head: options.color === true ? ["cyan"] : [], border: options.color === true ? ["grey"] : [] };
  const lines = [`Plan for stack ${result.stack} (offline preview: nothing is created; cloud-computed values are unknown)`, ""];
  const resources = new Table({ head: ["component", "resources", "types"], style, colWidths: [40, 11, 90], wordWrap: true });
  for (const group of groupByComponent(result.resources)) resources.push([group.component, String(group.count), typesLine(group)]);
  lines.push(`Resources to create: ${result.resources.length}`, resources.toString(), "");
  const pack = result.analysis.pack;
  lines.push(`Policies: pack ${pack.name} ${pack.version}, config ${result.policyConfigFile ?? "(pack defaults)"}`);
  if (result.analysis.diagnostics.length === 0) {
    lines.push("  no diagnostics");
  } else {
    const diagnostics = new Table({ head: ["policy", "level", "resource", "message"], style, colWidths: [26, 11, 36, 90], wordWrap: true });
    for (const d of result.analysis.diagnostics) diagnostics.push([d.policyName, d.downgradedMandatory ? "mandatory (could not run)" : d.enforcementLevel, urnName(d.urn), d.message]);
    lines.push(diagnostics.toString());
  }
  if (result.base !== undefined) lines.push(...baseDiffText(result.base), "");
  lines.push("", costTable(result.cost, options), "", verdictLine(result));
  return lines.join("\n");
}

export function planMarkdown(result: PlanResult): string {
  const refusals = blocking(result);
  const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const lines = [`### ${refusals.length === 0 ? "✅" : "❌"} Plan for stack \`${result.stack}\` — ${verdictLine(result)}`, ""];
  // The reason comes first, in the comment itself: a reviewer should not need the job log.
  if (refusals.length > 0) {
    lines.push("**Refused because:**", "");
    for (const d of refusals) lines.push(`- \`${d.policyName}\` on ${urnName(d.urn)}: ${d.message.replace(/\n/g, " ")}`);
    lines.push("");
  }
  if (result.base !== undefined) lines.push(...baseDiffMarkdown(result.base), "");
  lines.push(`<details><summary>${result.resources.length} resources to create</summary>`, "", "| component | resources | types |", "| --- | --- | --- |");
  for (const group of groupByComponent(result.resources)) lines.push(`| ${cell(group.component)} | ${group.count} | ${cell(typesLine(group))} |`);
  lines.push("", "</details>", "");
  const pack = result.analysis.pack;
  lines.push(`**Policies** (pack \`${pack.name}\` ${pack.version}, config \`${result.policyConfigFile ?? "pack defaults"}\`)`, "");
  if (result.analysis.diagnostics.length === 0) {
    lines.push("No diagnostics.");
  } else {
    lines.push("| policy | level | resource | message |", "| --- | --- | --- | --- |");
    for (const d of result.analysis.diagnostics) {
      lines.push(`| \`${d.policyName}\` | ${d.downgradedMandatory ? "**mandatory, could not run**" : d.enforcementLevel === "mandatory" ? "**mandatory**" : d.enforcementLevel} | ${cell(urnName(d.urn))} | ${cell(d.message)} |`);
    }
  }
  lines.push("", costMarkdown(result.cost));
  return lines.join("\n");
}

// ---- the cost change against the base branch ------------------------------------------------

const dollars = (x: number) => {
  const whole = Math.round(x);
  return `${whole < 0 ? "-" : ""}$${Math.abs(whole).toLocaleString("en-US")}`;
};
const signedDollars = (x: number) => {
  const whole = Math.round(x);
  return whole === 0 ? "±$0" : `${whole > 0 ? "+" : "-"}$${Math.abs(whole).toLocaleString("en-US")}`;
};
const percent = (x: number | null) => (x === null ? "none" : `${(x * 100).toFixed(1)}%`);
const gateWord = (f: WorkloadFigures) => (f.passesGate ? "pass" : "REFUSE");

/** `a → b (+d)` when the whole-dollar figures differ, else the one figure. */
function moneyCell(before: number | undefined, after: number | undefined): string {
  if (before === undefined) return after === undefined ? "" : dollars(after);
  if (after === undefined) return `~~${dollars(before)}~~`;
  return Math.round(before) === Math.round(after) ? dollars(after) : `${dollars(before)} → ${dollars(after)} (${signedDollars(after - before)})`;
}

function textCell(before: string | undefined, after: string | undefined): string {
  if (before === undefined) return after ?? "";
  if (after === undefined) return `~~${before}~~`;
  return before === after ? after : `${before} → ${after}`;
}

function sides(c: WorkloadChange): { before?: WorkloadFigures; after?: WorkloadFigures } {
  return c.change === "added" ? { after: c.head } : c.change === "removed" ? { before: c.base } : { before: c.base, after: c.head };
}

function utilizationCell(before?: WorkloadFigures, after?: WorkloadFigures): string {
  const one = (f?: WorkloadFigures) => (f === undefined ? undefined : `${percent(f.modeledUtilization)} (${f.requiredUtilization === null ? "no break-even" : `needs ${percent(f.requiredUtilization)}`})`);
  return textCell(one(before), one(after));
}

interface DiffRow {
  readonly name: string;
  readonly change: WorkloadChange["change"];
  readonly cells: readonly string[];
}

const DIFF_HEAD = ["workload", "change", "owned share", "owned/mo", "API/mo", "savings/mo", "utilization", "verdict", "gate"];

function diffRows(changes: readonly WorkloadChange[]): DiffRow[] {
  return changes
    .filter((c) => c.change !== "unchanged")
    .map((c) => {
      const { before, after } = sides(c);
      return {
        name: c.name,
        change: c.change,
        cells: [
          textCell(before === undefined ? undefined : percent(before.targetOwnedShare), after === undefined ? undefined : percent(after.targetOwnedShare)),
          moneyCell(before?.ownedMonthlyUsd, after?.ownedMonthlyUsd),
          moneyCell(before?.apiMonthlyUsd, after?.apiMonthlyUsd),
          moneyCell(before?.savingsMonthlyUsd, after?.savingsMonthlyUsd),
          utilizationCell(before, after),
          textCell(before?.verdict, after?.verdict),
          textCell(before === undefined ? undefined : gateWord(before), after === undefined ? undefined : gateWord(after)),
        ],
      };
    });
}

function totalsRows(totals: { base: MonthlyTotals; head: MonthlyTotals }): string[][] {
  const row = (label: string, key: keyof MonthlyTotals) => [label, dollars(totals.base[key]), dollars(totals.head[key]), signedDollars(totals.head[key] - totals.base[key])];
  return [row("owned", "ownedMonthlyUsd"), row("API", "apiMonthlyUsd"), row("savings (API − owned)", "savingsMonthlyUsd")];
}

/** One line: what changed, and every verdict or gate that flips. */
function changeSummary(changes: readonly WorkloadChange[]): string {
  const count = (kind: WorkloadChange["change"]) => changes.filter((c) => c.change === kind).length;
  const flips = changes.flatMap((c) => {
    const { before, after } = sides(c);
    if (before === undefined || after === undefined) return [];
    const out: string[] = [];
    if (before.verdict !== after.verdict) out.push(`${c.name} verdict ${before.verdict} → ${after.verdict}`);
    if (before.passesGate !== after.passesGate) out.push(`${c.name} gate ${gateWord(before)} → ${gateWord(after)}`);
    return out;
  });
  const parts = [`${count("added")} added`, `${count("changed")} changed`, `${count("removed")} removed`, `${count("unchanged")} unchanged`];
  return `${parts.join(", ")}${flips.length > 0 ? `; ${flips.join("; ")}` : "; no verdict changes"}`;
}

function baseTitle(base: BaseComparison): string {
  return `against base \`${base.ref}\` (${base.commit.slice(0, 7)})`;
}

export function baseDiffMarkdown(base: BaseComparison): string[] {
  const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  if (base.status === "base-invalid") {
    return [`#### Cost change ${baseTitle(base)}`, "", "Not compared: the stack file at the base does not pass today's schema:", "", ...base.problems.map((p) => `- ${cell(p)}`)];
  }
  const lines = [`#### Monthly cost change ${baseTitle(base)}${base.status === "new-stack" ? " — a new stack" : ""}`, "", changeSummary(base.workloads), ""];
  lines.push("| total | base | this change | difference |", "| --- | ---: | ---: | ---: |");
  for (const r of totalsRows(base.totals)) lines.push(`| ${r.join(" | ")} |`);
  const rows = diffRows(base.workloads);
  if (rows.length > 0) {
    lines.push("", `| ${DIFF_HEAD.join(" | ")} |`, `| ${DIFF_HEAD.map(() => "---").join(" | ")} |`);
    for (const r of rows) lines.push(`| \`${cell(r.name)}\` | ${r.change === "changed" ? "changed" : `**${r.change}**`} | ${r.cells.map(cell).join(" | ")} |`);
  }
  const unchanged = base.workloads.filter((c) => c.change === "unchanged").map((c) => `\`${c.name}\``);
  if (unchanged.length > 0) lines.push("", `Unchanged: ${unchanged.join(", ")}.`);
  return lines;
}

export function baseDiffText(base: BaseComparison): string[] {
  const plain = baseTitle(base).replace(/`/g, "");
  if (base.status === "base-invalid") return [`Cost change ${plain}: not compared, the stack file at the base does not pass today's schema:`, ...base.problems.map((p) => `  ${p}`)];
  const lines = [`Monthly cost change ${plain}${base.status === "new-stack" ? " (a new stack)" : ""}: ${changeSummary(base.workloads)}`];
  const totals = new Table({ head: ["total", "base", "this change", "difference"], style: { head: [], border: [] } });
  for (const r of totalsRows(base.totals)) totals.push(r);
  lines.push(totals.toString());
  const rows = diffRows(base.workloads);
  if (rows.length > 0) {
    const table = new Table({ head: DIFF_HEAD, style: { head: [], border: [] }, wordWrap: true, wrapOnWordBoundary: false, colWidths: [20, 9, 8, 13, 13, 13, 16, 9, 8] });
    for (const r of rows) table.push([r.name, r.change, ...r.cells.map((c) => c.replace(/~~/g, ""))]);
    lines.push(table.toString());
  }
  return lines;
}
