/**
 * What `npm run plan` prints: the resources a deploy would create (grouped by component), every
 * policy diagnostic, and the cost summary — as a table, a pull-request comment, or JSON.
 */
import Table from "cli-table3";
import type { AnalyzerRun, PolicyDiagnostic } from "../policy/analyzer";
import type { RecordedResource } from "../plan/mock-engine";
import type { StackEvaluation } from "../stack-economics";
import { costJson, costMarkdown, costTable } from "./cost-report";
import { routeMarkdown, routeRows, routeSection } from "./route-report";

export interface PlanResult {
  readonly stack: string;
  readonly policyConfigFile: string | null;
  readonly resources: readonly RecordedResource[];
  readonly analysis: AnalyzerRun;
  readonly cost: StackEvaluation;
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
    routes: routeRows(result.resources),
  };
}

export function planTable(result: PlanResult, options: { color?: boolean } = {}): string {
  const style = { head: options.color === true ? ["cyan"] : [], border: options.color === true ? ["grey"] : [] };
  const lines = [`Plan for stack ${result.stack} (offline preview: nothing is created; cloud-computed values are unknown)`, ""];
  const resources = new Table({ head: ["component", "resources", "types"], style, colWidths: [40, 11, 90], wordWrap: true });
  for (const group of groupByComponent(result.resources)) resources.push([group.component, String(group.count), typesLine(group)]);
  lines.push(`Resources to create: ${result.resources.length}`, resources.toString(), "", ...routeSection(result.resources));
  const pack = result.analysis.pack;
  lines.push(`Policies: pack ${pack.name} ${pack.version}, config ${result.policyConfigFile ?? "(pack defaults)"}`);
  if (result.analysis.diagnostics.length === 0) {
    lines.push("  no diagnostics");
  } else {
    const diagnostics = new Table({ head: ["policy", "level", "resource", "message"], style, colWidths: [26, 11, 36, 90], wordWrap: true });
    for (const d of result.analysis.diagnostics) diagnostics.push([d.policyName, d.downgradedMandatory ? "mandatory (could not run)" : d.enforcementLevel, urnName(d.urn), d.message]);
    lines.push(diagnostics.toString());
  }
  lines.push("", costTable(result.cost, options), "", verdictLine(result));
  return lines.join("\n");
}

export function planMarkdown(result: PlanResult): string {
  const refusals = blocking(result);
  const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const lines = [`### ${refusals.length === 0 ? "✅" : "❌"} Plan for stack \`${result.stack}\` — ${verdictLine(result)}`, ""];
  lines.push(`<details><summary>${result.resources.length} resources to create</summary>`, "", "| component | resources | types |", "| --- | --- | --- |");
  for (const group of groupByComponent(result.resources)) lines.push(`| ${cell(group.component)} | ${group.count} | ${cell(typesLine(group))} |`);
  lines.push("", "</details>", "", ...routeMarkdown(result.resources));
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
