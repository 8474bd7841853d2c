/**
 * From the resources a Pulumi program registered under mocks to the resources the engine
 * hands an analyzer: URNs, parents and providers filled in, unknowns as the engine's unknown
 * sentinel, secrets kept in their signature wrapper (the analyzer unwraps them for policies).
 */
import * as pulumi from "@pulumi/pulumi";
import type { RecordedResource } from "../plan/mock-engine";
import { SECRET_SIG, SIG_KEY, UNKNOWN, type AnalyzerResource } from "./analyzer";

/** A registration as the mock engine (`infra/plan/mock-engine.ts`) records it: type, name, inputs, provider, URN, parent. */
export type RegisteredResource = RecordedResource;

export interface ConversionOptions {
  readonly stack: string;
  /** @default "gpu-inference" */
  readonly project?: string;
}

/** Analyzer resources for every registration, in registration order. */
export function toAnalyzerResources(registered: readonly RegisteredResource[], options: ConversionOptions): AnalyzerResource[] {
  const project = options.project ?? "gpu-inference";
  const withUrns = registered.map((r) => ({ ...r, urn: r.urn ?? `urn:pulumi:${options.stack}::${project}::${r.type}::${r.name}` }));
  const byUrn = new Map(withUrns.map((r) => [r.urn, r]));
  // One provider object per provider URN, shared by every resource it manages (encoded once, here and in the analyzer driver).
  const providers = new Map<string, NonNullable<AnalyzerResource["provider"]>>();
  const providerOf = (providerUrn: string): NonNullable<AnalyzerResource["provider"]> => {
    const known = providers.get(providerUrn);
    if (known !== undefined) return known;
    const provider = byUrn.get(providerUrn);
    const entry = {
      urn: providerUrn,
      type: provider?.type ?? typeFromUrn(providerUrn),
      name: provider?.name ?? providerUrn.slice(providerUrn.lastIndexOf("::") + 2),
      properties: provider === undefined ? {} : encodeProperties(provider.inputs),
    };
    providers.set(providerUrn, entry);
    return entry;
  };
  return withUrns.map((r): AnalyzerResource => {
    const providerUrn = r.provider === undefined || r.provider === "" ? undefined : r.provider.slice(0, r.provider.lastIndexOf("::"));
    return {
      urn: r.urn,
      type: r.type,
      name: r.name,
      properties: encodeProperties(r.inputs),
      ...(r.parent !== undefined && r.parent !== "" ? { parent: r.parent } : {}),
      ...(providerUrn !== undefined ? { provider: providerOf(providerUrn) } : {}),
    };
  });
}

function typeFromUrn(urn: string): string {
  const qualified = urn.split("::")[2] ?? "";
  return qualified.slice(qualified.lastIndexOf("$") + 1);
}

export function encodeProperties(inputs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(inputs)) {
    const encoded = encodeValue(value);
    if (encoded !== undefined) out[key] = encoded;
  }
  return out;
}

/** One value as the engine marshals it for an analyzer (`KeepUnknowns`, `KeepSecrets`). */
export function encodeValue(value: unknown): unknown {
  if (value === undefined) return undefined;
  if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  // A preview-time unknown (the mock runtime's `unknown`), an unresolved Output or a resource
  // reference (its id is unknown at preview): the engine sends the unknown sentinel.
  if (pulumi.isUnknown(value) || pulumi.Output.isInstance(value) || pulumi.Resource.isInstance(value)) return UNKNOWN;
  if (pulumi.asset.Asset.isInstance(value) || pulumi.asset.Archive.isInstance(value)) return undefined;
  if (Array.isArray(value)) return (value as unknown[]).map((v) => encodeValue(v) ?? null);
  if (typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record[SIG_KEY] === SECRET_SIG) return { [SIG_KEY]: SECRET_SIG, value: encodeValue(record.value) ?? null };
    return encodeProperties(record);
  }
  return undefined;
}
