/**
 * The cost chart: per workload, monthly cost against GPU utilization — the owned curve,
 * the API line, the break-even point and the modeled utilization — rendered to SVG with
 * Vega-Lite, headless.
 */
import { ownedMonthlyUsdAtUtilization } from "../../policies/economics/break-even";
import type { StackEvaluation } from "../stack-economics";

type WorkloadRow = StackEvaluation["workloads"][number];

interface Point {
  readonly workload: string;
  readonly utilization: number;
  readonly usd: number;
  readonly series: string;
}

/** Owned cost of the served work at each utilization, clipped where it dwarfs the API line. */
export function ownedCurve(w: WorkloadRow, samples = 99): Point[] {
  const work = w.simulation.servedTokens;
  if (work <= 0 || w.replicaTokensPerSecond <= 0) return [];
  const inputs = {
    workTokensPerMonth: work,
    replicaTokensPerSecond: w.replicaTokensPerSecond,
    replicaUsdPerHour: w.replicaUsdPerHour,
    fixedMonthlyUsd: w.ownedCostBreakdown.fixedUsd,
    apiMonthlyUsd: w.apiMonthlyUsd,
  };
  const ceiling = Math.max(w.apiMonthlyUsd, w.ownedCostBreakdown.fixedUsd) * 3;
  const points: Point[] = [];
  for (let i = 1; i <= samples + 1; i += 1) {
    const utilization = i / (samples + 1);
    const usd = ownedMonthlyUsdAtUtilization(inputs, utilization);
    if (usd <= ceiling) points.push({ workload: w.name, utilization, usd, series: "owned" });
  }
  return points;
}

/** The Vega-Lite spec; exported so tests can check what is drawn without rendering. */
export function costChartSpec(evaluation: StackEvaluation): Record<string, unknown> {
  const panels = evaluation.workloads.map((w) => {
    const curve = ownedCurve(w);
    const marks: Record<string, unknown>[] = [
      { workload: w.name, kind: "API", utilization: 0, usd: w.apiMonthlyUsd },
      { workload: w.name, kind: "API", utilization: 1, usd: w.apiMonthlyUsd },
    ];
    const x = { field: "utilization", type: "quantitative", title: "GPU utilization", axis: { format: "%" }, scale: { domain: [0, 1] } };
    const y = { field: "usd", type: "quantitative", title: "USD per month", axis: { format: "$,.0f" } };
    const layers: Record<string, unknown>[] = [
      { data: { values: curve }, mark: { type: "line", color: "#1f77b4", strokeWidth: 2 }, encoding: { x, y } },
      { data: { values: marks }, mark: { type: "line", color: "#d62728", strokeDash: [6, 4] }, encoding: { x, y } },
      {
        data: { values: [{ utilization: 0.98, usd: w.apiMonthlyUsd, label: `API ${money(w.apiMonthlyUsd)}` }] },
        mark: { type: "text", align: "right", dy: -8, color: "#d62728" },
        encoding: { x, y, text: { field: "label" } },
      },
    ];
    if (w.breakEvenUtilization !== null && w.breakEvenUtilization <= 1) {
      layers.push({
        data: { values: [{ utilization: w.breakEvenUtilization, usd: w.apiMonthlyUsd * (1 - w.simulation.overflowShare), label: `break-even ${percent(w.breakEvenUtilization)}` }] },
        mark: { type: "point", shape: "diamond", size: 120, filled: true, color: "#2ca02c" },
        encoding: { x, y, tooltip: { field: "label" } },
      });
      layers.push({
        data: { values: [{ utilization: w.breakEvenUtilization, usd: w.apiMonthlyUsd * (1 - w.simulation.overflowShare), label: `break-even ${percent(w.breakEvenUtilization)}` }] },
        mark: { type: "text", align: "left", dx: 8, dy: 12, color: "#2ca02c" },
        encoding: { x, y, text: { field: "label" } },
      });
    }
    layers.push(
      {
        data: { values: [{ utilization: Math.min(1, w.modeledUtilization) }] },
        mark: { type: "rule", color: w.passesGate ? "#2ca02c" : "#ff7f0e", strokeWidth: 2 },
        encoding: { x },
      },
      {
        data: { values: [{ utilization: Math.min(1, w.modeledUtilization), label: `modeled ${percent(w.modeledUtilization)}` }] },
        mark: { type: "text", align: "left", baseline: "top", dx: 4, dy: 4, y: 0, color: w.passesGate ? "#2ca02c" : "#ff7f0e" },
        encoding: { x, text: { field: "label" } },
      },
    );
    return {
      title: { text: `${w.name} (${w.tier}) — ${w.verdict}`, subtitle: [`owned ${money(w.ownedMonthlyUsd)}/mo vs API ${money(w.apiMonthlyUsd)}/mo at ${percent(w.targetOwnedShare)} owned`, breakEvenNote(w)].filter((line) => line !== "") },
      width: 520,
      height: 220,
      layer: layers,
    };
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: `Owned vs API monthly cost — stack ${evaluation.stack}`, subtitle: `blue: owned cost at each utilization · red: API · diamond: break-even · vertical rule: modeled utilization` },
    background: "white",
    padding: 16,
    vconcat: panels,
    config: { font: "sans-serif", view: { stroke: "#ddd" } },
  };
}

/** Render the chart to an SVG string. */
export async function renderCostChartSvg(evaluation: StackEvaluation): Promise<string> {
  const vegaLite = await import("vega-lite");
  const vega = await import("vega");
  const compiled = vegaLite.compile(costChartSpec(evaluation) as unknown as Parameters<typeof vegaLite.compile>[0]);
  const view = new vega.View(vega.parse(compiled.spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function breakEvenNote(w: WorkloadRow): string {
  if (!w.capacity.fits) return "the model does not fit this shape: nothing can be served";
  if (w.breakEvenUtilization === null) return "no break-even: fixed costs alone exceed the API bill";
  if (w.breakEvenUtilization > 1) return `no break-even: it would need ${percent(w.breakEvenUtilization)} utilization`;
  return "";
}

function money(x: number): string {
  return `$${Math.round(x).toLocaleString("en-US")}`;
}
function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
