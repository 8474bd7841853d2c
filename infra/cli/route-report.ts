/**
 * The router's routes as `npm run plan` shows them: per alias, the share each backend gets at
 * priority 0 (the rollout weight) and where failed or spilled requests fall back — read from the
 * AIGatewayRoutes the program registers, the objects the gate reads too.
 */
import { ROUTER_MODEL_HEADER } from "../../policies/contract";
import type { RecordedResource } from "../plan/mock-engine";

export interface RouteRow {
  readonly alias: string;
  /** `backend (model)` and its share of priority-0 traffic, percent, in route order; weight-0 backends left out. */
  readonly split: readonly { readonly backend: string; readonly model: string; readonly percent: number }[];
  /** Backends at a higher priority: where a refused or failed attempt goes. */
  readonly fallback: readonly string[];
  /** Whether the Secret the API backend's BackendSecurityPolicy reads is part of the stack (`routerApiKeys.<provider>` set). */
  readonly apiKeySet: boolean;
}

interface Ref {
  readonly name?: unknown;
  readonly weight?: unknown;
  readonly priority?: unknown;
  readonly modelNameOverride?: unknown;
}

const num = (v: unknown, fallback: number) => (typeof v === "number" && Number.isFinite(v) ? v : fallback);

/** Whether every BackendSecurityPolicy targeting these backends reads a Secret that is part of the stack. */
function apiKeyIsSet(resources: readonly RecordedResource[], backends: readonly string[]): boolean {
  const secrets = new Set(resources.filter((r) => r.type === "kubernetes:core/v1:Secret").map((r) => (r.inputs.metadata as { name?: unknown } | undefined)?.name));
  const policies = resources.filter((r) => r.type === "kubernetes:aigateway.envoyproxy.io/v1beta1:BackendSecurityPolicy");
  const refs = policies.flatMap((p) => {
    const spec = p.inputs.spec as { targetRefs?: { name?: unknown }[]; apiKey?: { secretRef?: { name?: unknown } } } | undefined;
    return (spec?.targetRefs ?? []).some((t) => backends.includes(String(t.name))) ? [spec?.apiKey?.secretRef?.name] : [];
  });
  return refs.length > 0 && refs.every((name) => secrets.has(name));
}

/** One row per alias of every AIGatewayRoute among the resources. */
export function routeRows(resources: readonly RecordedResource[]): RouteRow[] {
  const rows: RouteRow[] = [];
  for (const route of resources.filter((r) => r.type === "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute")) {
    const rules = ((route.inputs.spec as { rules?: unknown } | undefined)?.rules ?? []) as { matches?: { headers?: { name?: string; value?: unknown }[] }[]; backendRefs?: Ref[] }[];
    for (const rule of rules) {
      const alias = rule.matches?.flatMap((m) => m.headers ?? []).find((h) => h.name === ROUTER_MODEL_HEADER)?.value;
      const refs = rule.backendRefs ?? [];
      const primary = refs.filter((r) => num(r.priority, 0) === 0);
      const total = primary.reduce((sum, r) => sum + num(r.weight, 1), 0);
      rows.push({
        alias: typeof alias === "string" ? alias : "(unknown)",
        split: primary
          .filter((r) => num(r.weight, 1) > 0)
          .map((r) => ({ backend: String(r.name), model: typeof r.modelNameOverride === "string" ? r.modelNameOverride : "(as requested)", percent: total > 0 ? (100 * num(r.weight, 1)) / total : 0 })),
        fallback: refs.filter((r) => num(r.priority, 0) > 0).map((r) => `${String(r.name)} (priority ${num(r.priority, 0)})`),
        apiKeySet: apiKeyIsSet(resources, refs.map((r) => String(r.name))),
      });
    }
  }
  return rows.sort((a, b) => a.alias.localeCompare(b.alias));
}

const splitText = (row: RouteRow) =>
  row.split.map((s) => `${s.percent.toFixed(0)}% → ${s.backend} (${s.model})`).join(", ") + (row.apiKeySet ? "" : " [API key not set: pulumi config set --secret --path 'gpu-inference:routerApiKeys.<provider>']");

/** Plain-text section; empty when the stack has no router. */
export function routeSection(resources: readonly RecordedResource[]): string[] {
  const rows = routeRows(resources);
  if (rows.length === 0) return [];
  return ["Routes (alias → backends at their rollout weights; fallback for spilled or failed requests):", ...rows.map((r) => `  ${r.alias}: ${splitText(r)}; fallback ${r.fallback.join(", ") || "none"}`), ""];
}

/** Markdown section for the pull-request comment; empty when the stack has no router. */
export function routeMarkdown(resources: readonly RecordedResource[]): string[] {
  const rows = routeRows(resources);
  if (rows.length === 0) return [];
  const cell = (s: string) => s.replace(/\|/g, "\\|");
  return ["**Routes**", "", "| alias | split (rollout weight) | fallback |", "| --- | --- | --- |", ...rows.map((r) => `| \`${r.alias}\` | ${cell(splitText(r))} | ${cell(r.fallback.join(", ") || "none")} |`), ""];
}
