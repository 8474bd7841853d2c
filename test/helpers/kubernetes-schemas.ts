/**
 * Validate a Kubernetes object against the real API schemas shipped by `kubernetes-models`
 * and its CRD packages (KEDA, Karpenter, prometheus-operator, Envoy Gateway, Gateway API); Envoy
 * AI Gateway objects against the zod schemas written from its CRDs (components/internal/router-crds.ts);
 * EKS Auto Mode NodeClasses against the zod schema written from AWS's NodeClass specification
 * (components/internal/node-class.ts).
 */
import { nodeClassProblems } from "../../components/internal/node-class";
import { aiGatewayProblems } from "../../components/internal/router-crds";
import type { RecordedResource } from "./pulumi-mocks";

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: Record<string, unknown>) => Validatable;

/** Where the model class of an API group lives. */
function modulePath(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "" || group === "core") return `kubernetes-models/${version}/${kind}`;
  if (group === "keda.sh" || group === "eventing.keda.sh") return `@kubernetes-models/keda/${group}/${version}/${kind}`;
  if (group === "karpenter.sh" || group === "karpenter.k8s.aws") return `@kubernetes-models/karpenter/${group}/${version}/${kind}`;
  if (group === "monitoring.coreos.com") return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  if (group === "gateway.envoyproxy.io") return `@kubernetes-models/envoy-gateway/${group}/${version}/${kind}`;
  if (group === "gateway.networking.k8s.io") return `@kubernetes-models/gateway-api/${group}/${version}/${kind}`;
  return `kubernetes-models/${group}/${version}/${kind}`;
}

/** `kubernetes:apps/v1:Deployment` → `{ apiVersion: "apps/v1", kind: "Deployment" }`; null for non-object types (Helm releases, providers). */
export function kubernetesTypeOf(type: string): { apiVersion: string; kind: string } | null {
  const match = /^kubernetes:([^:]+):([A-Za-z]+)$/.exec(type);
  if (match === null) return null;
  const [, groupVersion, kind] = match as unknown as [string, string, string];
  if (groupVersion.startsWith("helm.sh/") || groupVersion.startsWith("yaml/") || groupVersion === "index" || kind.endsWith("Patch")) return null;
  return { apiVersion: groupVersion.startsWith("core/") ? groupVersion.slice("core/".length) : groupVersion, kind };
}

/**
 * Throws with the schema's own message when the object does not validate.
 * `object` is the manifest (apiVersion and kind are filled in from the type when missing).
 */
export async function validateKubernetesObject(apiVersion: string, kind: string, object: Record<string, unknown>): Promise<void> {
  // Envoy AI Gateway's CRDs have no npm schema package: the zod schemas written from its v1.1.0 CRDs.
  if (apiVersion.startsWith("aigateway.envoyproxy.io/")) {
    const problems = aiGatewayProblems({ ...object, apiVersion, kind } as Parameters<typeof aiGatewayProblems>[0]);
    if (problems.length > 0) throw new Error(problems.join("; "));
    return;
  }
  // EKS Auto Mode's CRDs are not published: kubernetes-models has no eks.amazonaws.com package.
  if (apiVersion.startsWith("eks.amazonaws.com/")) {
    const problems = nodeClassProblems({ ...object, apiVersion, kind });
    if (problems.length > 0) throw new Error(problems.join("; "));
    return;
  }
  const module = (await import(modulePath(apiVersion, kind))) as Record<string, unknown>;
  const Model = module[kind] as ModelClass | undefined;
  if (Model === undefined) throw new Error(`no schema for ${apiVersion} ${kind}`);
  new Model({ ...object, apiVersion, kind }).validate();
}

/** Validate every Kubernetes object among the recorded resources; returns how many were checked. */
export async function validateRecordedKubernetesObjects(recorded: readonly RecordedResource[]): Promise<number> {
  let checked = 0;
  for (const resource of recorded) {
    const kube = kubernetesTypeOf(resource.type);
    if (kube === null) continue;
    const { apiVersion: _apiVersion, kind: _kind, ...object } = resource.inputs;
    try {
      await validateKubernetesObject(kube.apiVersion, kube.kind, object);
    } catch (error) {
      throw new Error(`${resource.type} ${resource.name}: ${(error as Error).message}`);
    }
    checked += 1;
  }
  return checked;
}
