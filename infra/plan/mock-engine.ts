/**
 * The Pulumi engine's stand-in for offline runs: the program registers its resources against
 * Pulumi's mock monitor, and every registration is recorded with its inputs, provider, parent
 * and URN. With preview semantics, what the cloud computes (ids, ARNs, URLs) stays unknown, as
 * in `pulumi preview`. `npm run plan` and the component tests both use it.
 */
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
  /** Pulumi type token, such as `kubernetes:apps/v1:Deployment`. */
  readonly type: string;
  /** Logical name. */
  readonly name: string;
  /** Inputs as the engine received them. */
  readonly inputs: Record<string, unknown>;
  /** Provider reference, `<provider URN>::<provider id>`. */
  readonly provider?: string;
  /** URN the mock engine gave the resource (set once registration completes). */
  readonly urn?: string;
  /** URN of the parent resource; absent for resources registered without a parent. */
  readonly parent?: string;
  /**
   * URNs the resource waits for, as the engine receives them: `dependsOn` (components expanded to
   * their children) and the resources its input Outputs came from. The provider is in `provider`.
   */
  readonly dependencies?: readonly string[];
}

export interface MockEngineOptions {
  /** Stack config values, keyed `namespace:key`; objects are JSON-encoded the way the engine does. */
  readonly config?: Record<string, unknown>;
  /** Config keys (`namespace:key`) whose values are secrets. @default [] */
  readonly secretKeys?: readonly string[];
  /** Stack name. @default "test" */
  readonly stack?: string;
  /** Project name. @default "gpu-inference" */
  readonly project?: string;
  /** Preview semantics: ids and cloud-computed attributes stay unknown. @default false */
  readonly preview?: boolean;
}

/** Fake results for the data-source calls the program makes. */
function callResult(token: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (token) {
    case "aws:index/getRegion:getRegion":
      return { name: "us-east-1", region: "us-east-1", id: "us-east-1" };
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: "123456789012", arn: "arn:aws:iam::123456789012:user/test", userId: "AIDTEST" };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
    case "aws:index/getAvailabilityZones:getAvailabilityZones":
      return { names: ["us-east-1a", "us-east-1b", "us-east-1c"], zoneIds: ["use1-az1", "use1-az2", "use1-az4"], id: "us-east-1" };
    default:
      return inputs;
  }
}

/** Attributes the cloud would compute, for runs with update (not preview) semantics. */
function computedState(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const state: Record<string, unknown> = { ...args.inputs };
  if (args.type.startsWith("aws:")) state.arn = `arn:aws:mock:us-east-1:123456789012:${args.name}`;
  // EKS creates the cluster security group; Auto Mode NodeClasses select it by id.
  if (args.type === "aws:eks/cluster:Cluster") state.vpcConfig = { ...(args.inputs.vpcConfig as Record<string, unknown>), clusterSecurityGroupId: `sg-${args.name}-cluster` };
  if (args.type === "aws:sqs/queue:Queue") state.url = `https://sqs.us-east-1.amazonaws.com/123456789012/${String(args.inputs.name ?? args.name)}`;
  return state;
}

/**
 * Install the mock engine and return the live list of registered resources.
 * Call before importing or constructing anything that reads config.
 */
export function installMockEngine(options: MockEngineOptions = {}): RecordedResource[] {
  const recorded: RecordedResource[] = [];
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.config ?? {})) {
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  pulumi.runtime.setAllConfig(config, [...(options.secretKeys ?? [])]);
  const preview = options.preview ?? false;
  void pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
        const entry: { -readonly [K in keyof RecordedResource]: RecordedResource[K] } = { type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown>, provider: args.provider };
        if (registering.parent !== "") entry.parent = registering.parent;
        entry.dependencies = registering.dependencies;
        registering.entry = entry;
        recorded.push(entry);
        // In a preview the engine knows only the inputs; ids and computed attributes are unknown.
        return preview ? { id: undefined, state: { ...args.inputs } } : { id: `${args.name}-id`, state: computedState(args) };
      },
      call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        return callResult(args.token, args.inputs as Record<string, unknown>);
      },
    },
    options.project ?? "gpu-inference",
    options.stack ?? "test",
    preview,
  );
  recordParentsAndUrns();
  return recorded;
}

/**
 * The request being registered: `MockResourceArgs` carries no parent, so the monitor's
 * `registerResource` is wrapped to note the request's parent before the mock's `newResource`
 * runs (synchronously, inside the call) and the URN once the mock engine answers.
 */
const registering: { parent: string; dependencies: readonly string[]; entry?: { urn?: string } } = { parent: "", dependencies: [] };

interface RegisterRequest {
  getParent(): string;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(callback: (value: { getUrnsList(): string[] }) => void): void };
}
interface RegisterResponse {
  getUrn(): string;
}
type RegisterCallback = (error: Error | null, response?: RegisterResponse) => void;
interface WrappableMonitor {
  registerResource(request: RegisterRequest, callback: RegisterCallback): void;
}

function recordParentsAndUrns(): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as WrappableMonitor | undefined;
  if (monitor === undefined) return;
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) => {
    registering.parent = request.getParent();
    const dependencies = new Set(request.getDependenciesList());
    request.getPropertydependenciesMap().forEach((value) => value.getUrnsList().forEach((urn) => dependencies.add(urn)));
    registering.dependencies = [...dependencies];
    registering.entry = undefined;
    const slot: { entry?: { urn?: string } } = {};
    original(request, (error, response) => {
      if (error === null && response !== undefined && slot.entry !== undefined) slot.entry.urn = response.getUrn();
      callback(error, response);
    });
    // The mock's newResource ran synchronously inside the call; its answer comes later.
    slot.entry = registering.entry;
    registering.parent = "";
    registering.dependencies = [];
  };
}
