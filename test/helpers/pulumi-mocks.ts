/**
 * Pulumi mocks for component tests: every registered resource is recorded with its inputs,
 * so tests assert exact child types, names and inputs. One recorder per test file (vitest
 * runs files in separate processes).
 */
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
  /** Pulumi type token, such as `kubernetes:apps/v1:Deployment`. */
  readonly type: string;
  /** Logical name. */
  readonly name: string;
  /** Inputs as the engine received them (unknowns and secrets already resolved by the mock runtime). */
  readonly inputs: Record<string, unknown>;
  readonly provider?: string;
  /** URN the mock engine gave the resource (set once registration completes). */
  readonly urn?: string;
  /** URN of the parent resource; absent for resources registered without a parent. */
  readonly parent?: string;
}

export interface MockOptions {
  /** Stack config values, keyed `namespace:key`; objects are JSON-encoded the way the engine does. */
  readonly config?: Record<string, unknown>;
  /** Stack name. @default "test" */
  readonly stack?: string;
  /** Run with preview semantics (outputs the cloud computes stay unknown). @default false */
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

/**
 * Install mocks and return the live list of registered resources.
 * Call before importing or constructing anything that reads config.
 */
export function installPulumiMocks(options: MockOptions = {}): RecordedResource[] {
  const recorded: RecordedResource[] = [];
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.config ?? {})) {
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  pulumi.runtime.setAllConfig(config);
  void pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
        const entry: { -readonly [K in keyof RecordedResource]: RecordedResource[K] } = { type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown>, provider: args.provider };
        if (registering.parent !== "") entry.parent = registering.parent;
        registering.entry = entry;
        recorded.push(entry);
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type.startsWith("aws:")) state.arn = `arn:aws:mock:us-east-1:123456789012:${args.name}`;
        if (args.type === "aws:sqs/queue:Queue") state.url = `https://sqs.us-east-1.amazonaws.com/123456789012/${String(args.inputs.name ?? args.name)}`;
        return { id: `${args.name}-id`, state };
      },
      call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        return callResult(args.token, args.inputs as Record<string, unknown>);
      },
    },
    "gpu-inference",
    options.stack ?? "test",
    options.preview ?? false,
  );
  recordParentsAndUrns();
  return recorded;
}

/**
 * The request being registered: `MockResourceArgs` carries no parent, so the monitor's
 * `registerResource` is wrapped to note the request's parent before the mock's `newResource`
 * runs (synchronously, inside the call) and the URN once the mock engine answers.
 */
const registering: { parent: string; entry?: { urn?: string } } = { parent: "" };

interface RegisterRequest {
  getParent(): string;
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
    registering.entry = undefined;
    const slot: { entry?: { urn?: string } } = {};
    original(request, (error, response) => {
      if (error === null && response !== undefined && slot.entry !== undefined) slot.entry.urn = response.getUrn();
      callback(error, response);
    });
    // The mock's newResource ran synchronously inside the call; its answer comes later.
    slot.entry = registering.entry;
    registering.parent = "";
  };
}

/** The value of an Output, for assertions. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

/** Resources of one type token. */
export function ofType(recorded: readonly RecordedResource[], type: string): RecordedResource[] {
  return recorded.filter((r) => r.type === type);
}

/** The one resource of a type and name; fails loudly when absent. */
export function find(recorded: readonly RecordedResource[], type: string, name: string): RecordedResource {
  const match = recorded.find((r) => r.type === type && r.name === name);
  if (match === undefined) {
    const names = ofType(recorded, type).map((r) => r.name);
    throw new Error(`no ${type} named ${name}; registered: ${names.join(", ") || "none"}`);
  }
  return match;
}
