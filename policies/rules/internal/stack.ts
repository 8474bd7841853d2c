/**
 * The stack as rules see it: every resource the engine sent, with its properties as a plain
 * snapshot (unknowns explicit), indexed by type and URN.
 */
import type { PolicyResource } from "@pulumi/policy";
import { at, asString, isUnknown, snapshot, type Plain, type PlainRecord, type Unknown } from "./values";

export interface ResourceView {
  readonly urn: string;
  readonly type: string;
  /** Pulumi logical name: safe to print (it is part of the URN, not a property value). */
  readonly name: string;
  readonly props: PlainRecord;
  readonly parentUrn?: string;
  readonly providerUrn?: string;
  /** The provider's properties as the engine sent them with the resource. */
  readonly providerProps?: PlainRecord;
}

export class StackView {
  private readonly byType = new Map<string, ResourceView[]>();
  private readonly byUrnMap = new Map<string, ResourceView>();

  constructor(readonly resources: readonly ResourceView[]) {
    for (const resource of resources) {
      const list = this.byType.get(resource.type) ?? [];
      list.push(resource);
      this.byType.set(resource.type, list);
      this.byUrnMap.set(resource.urn, resource);
    }
  }

  ofType(...types: readonly string[]): ResourceView[] {
    return types.flatMap((type) => this.byType.get(type) ?? []);
  }

  byUrn(urn: string | undefined): ResourceView | undefined {
    return urn === undefined ? undefined : this.byUrnMap.get(urn);
  }
}

/** The shape rules need from a resource: what `@pulumi/policy` passes, or a test fixture. */
export interface ResourceInput {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
  readonly parent?: { readonly urn: string };
  readonly provider?: { readonly urn: string; readonly props?: Record<string, unknown> };
}

/** Snapshot the engine's resources (proxies with unknowns) into a StackView. */
export function stackViewOf(resources: readonly (ResourceInput | PolicyResource)[]): StackView {
  return new StackView(
    resources.map((resource) => {
      const props = snapshot(resource.props);
      return {
        urn: resource.urn,
        type: resource.type,
        name: resource.name,
        props: plainRecord(props),
        ...(resource.parent !== undefined ? { parentUrn: resource.parent.urn } : {}),
        ...(resource.provider !== undefined ? { providerUrn: resource.provider.urn, providerProps: plainRecord(snapshot(resource.provider.props)) } : {}),
      };
    }),
  );
}

function plainRecord(value: Plain): PlainRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !isUnknown(value) ? (value as PlainRecord) : {};
}

/** `metadata.name` of a Kubernetes object. */
export function objectName(resource: ResourceView): string | Unknown | undefined {
  const name = at(resource.props, "metadata", "name");
  return isUnknown(name) ? name : asString(name);
}

/** `metadata.namespace` of a namespaced Kubernetes object; Kubernetes' `default` when absent. */
export function namespaceOf(resource: ResourceView): string | Unknown {
  const namespace = at(resource.props, "metadata", "namespace");
  if (isUnknown(namespace)) return namespace;
  return asString(namespace) ?? "default";
}

/** Human label for a resource in messages: kind and Pulumi name, never a property value. */
export function describe(resource: ResourceView): string {
  const kind = resource.type.split(":").pop() ?? resource.type;
  return `${kind} "${resource.name}"`;
}

export type { Plain };
