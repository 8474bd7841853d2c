/**
 * The router as the rules see it: Envoy AI Gateway's AIGatewayRoute rules, one per workload
 * alias, their weighted and prioritised backendRefs, and which backend is owned — read from the
 * resources, never from a number the program computed.
 *
 * A backendRef names an AIServiceBackend, which names an Envoy Gateway Backend; a Backend whose
 * endpoints are in-cluster Service names (`*.svc.cluster.local`) is the owned vLLM path, any
 * other is an API. Weights default to 1 and priorities to 0 (the CRD's defaults, Envoy AI Gateway
 * v1.1.0 api/v1beta1/ai_gateway_route.go); traffic splits by weight among priority 0, and a
 * higher priority is where failed attempts fall back to.
 */
import { ROLLOUT_PREVIOUS_OWNED_PERCENT_ANNOTATION, ROUTER_MODEL_HEADER } from "../../contract";
import { namespaceOf, objectName, type ResourceView, type StackView } from "./stack";
import { asArray, asCount, asString, at, isUnknown, Unknown, type Plain } from "./values";

export const ROUTER_TYPES = {
  route: "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute",
  serviceBackend: "kubernetes:aigateway.envoyproxy.io/v1beta1:AIServiceBackend",
  backend: "kubernetes:gateway.envoyproxy.io/v1alpha1:Backend",
} as const;

/** Host suffix of an in-cluster Service: a Backend pointing there is owned serving. */
const IN_CLUSTER_SUFFIX = ".svc.cluster.local";

export interface RouteBackend {
  readonly name: string;
  readonly weight: number;
  readonly priority: number;
  readonly kind: "owned" | "api" | "missing";
}

export interface WorkloadRoute {
  readonly alias: string;
  readonly route: ResourceView;
  /** Property path of the rule, for messages. */
  readonly path: string;
  readonly backends: readonly RouteBackend[];
  /** Owned share of priority-0 traffic, percent (0 when no weight at priority 0). */
  readonly ownedPercent: number;
  /** The step the route moved from, percent, when the route records it. */
  readonly previousOwnedPercent: number | Unknown | undefined;
}

export type RouteRead = { readonly kind: "route"; readonly route: WorkloadRoute } | { readonly kind: "unknown"; readonly path: string } | { readonly kind: "none" };

function byName(view: StackView, type: string, namespace: string, name: string): ResourceView | undefined {
  return view.ofType(type).find((r) => objectName(r) === name && namespaceOf(r) === namespace);
}

/** owned / api from the Backend the AIServiceBackend names; missing when either is not in the stack. */
function backendKind(view: StackView, namespace: string, serviceBackendName: string): RouteBackend["kind"] | Unknown {
  const serviceBackend = byName(view, ROUTER_TYPES.serviceBackend, namespace, serviceBackendName);
  if (serviceBackend === undefined) return "missing";
  const backendName = at(serviceBackend.props, "spec", "backendRef", "name");
  if (isUnknown(backendName)) return backendName;
  const backend = typeof backendName === "string" ? byName(view, ROUTER_TYPES.backend, namespace, backendName) : undefined;
  if (backend === undefined) return "missing";
  const endpoints = at(backend.props, "spec", "endpoints");
  if (isUnknown(endpoints)) return endpoints;
  const hosts = asArray(endpoints).map((e) => at(e, "fqdn", "hostname"));
  const unknown = hosts.find(isUnknown);
  if (unknown !== undefined) return unknown;
  return hosts.length > 0 && hosts.every((h) => typeof h === "string" && h.endsWith(IN_CLUSTER_SUFFIX)) ? "owned" : "api";
}

function ruleAliases(rule: Plain): (string | Unknown)[] {
  const out: (string | Unknown)[] = [];
  for (const match of asArray(at(rule, "matches"))) {
    for (const header of asArray(at(match, "headers"))) {
      const name = at(header, "name");
      const value = at(header, "value");
      if (isUnknown(value)) out.push(value);
      else if (asString(name)?.toLowerCase() === ROUTER_MODEL_HEADER && typeof value === "string") out.push(value);
    }
  }
  return out;
}

function numberOr(value: Plain | undefined, fallback: number): number | Unknown {
  const n = asCount(value);
  if (isUnknown(n)) return n;
  return n ?? fallback;
}

/** Every workload route in the stack (one per alias and rule); unknown parts reported by path. */
export function workloadRoutesOf(view: StackView): { routes: WorkloadRoute[]; unknown: { alias: string | undefined; path: string }[] } {
  const routes: WorkloadRoute[] = [];
  const unknown: { alias: string | undefined; path: string }[] = [];
  for (const route of view.ofType(ROUTER_TYPES.route)) {
    const namespace = namespaceOf(route);
    const rules = at(route.props, "spec", "rules");
    if (isUnknown(namespace) || isUnknown(rules)) {
      unknown.push({ alias: undefined, path: isUnknown(namespace) ? namespace.path : (rules as Unknown).path });
      continue;
    }
    const previousRaw = at(route.props, "metadata", "annotations", ROLLOUT_PREVIOUS_OWNED_PERCENT_ANNOTATION);
    const previousOwnedPercent = isUnknown(previousRaw) ? previousRaw : previousRaw === undefined ? undefined : (asCount(previousRaw) as number | undefined);
    asArray(rules).forEach((rule, index) => {
      const path = `spec.rules[${index}]`;
      for (const alias of ruleAliases(rule)) {
        if (isUnknown(alias)) {
          unknown.push({ alias: undefined, path: alias.path });
          continue;
        }
        const backends: RouteBackend[] = [];
        let unknownPath: string | undefined;
        for (const ref of asArray(at(rule, "backendRefs"))) {
          const name = at(ref, "name");
          const weight = numberOr(at(ref, "weight"), 1);
          const priority = numberOr(at(ref, "priority"), 0);
          const kind = typeof name === "string" ? backendKind(view, namespace, name) : "missing";
          const firstUnknown = [name, weight, priority, kind].find(isUnknown);
          if (firstUnknown !== undefined) {
            unknownPath = firstUnknown.path;
            break;
          }
          backends.push({ name: name as string, weight: weight as number, priority: priority as number, kind: kind as RouteBackend["kind"] });
        }
        if (unknownPath !== undefined) {
          unknown.push({ alias, path: unknownPath });
          continue;
        }
        const primary = backends.filter((b) => b.priority === 0);
        const total = primary.reduce((sum, b) => sum + b.weight, 0);
        const owned = primary.filter((b) => b.kind === "owned").reduce((sum, b) => sum + b.weight, 0);
        routes.push({ alias, route, path, backends, ownedPercent: total > 0 ? (100 * owned) / total : 0, previousOwnedPercent });
      }
    });
  }
  return { routes, unknown };
}

/** The route carrying `alias`: the owned share the gate must evaluate at. */
export function routeForAlias(view: StackView, alias: string): RouteRead {
  const { routes, unknown } = workloadRoutesOf(view);
  const route = routes.find((r) => r.alias === alias);
  if (route !== undefined) return { kind: "route", route };
  const pending = unknown.find((u) => u.alias === alias || u.alias === undefined);
  if (pending !== undefined) return { kind: "unknown", path: pending.path };
  return { kind: "none" };
}
