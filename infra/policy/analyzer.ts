/**
 * Run a CrossGuard policy pack the way the Pulumi CLI does, without the CLI: spawn the pack in
 * its real analyzer process (`@pulumi/pulumi/cmd/run-policy-pack`, which loads the TypeScript
 * pack through the ts-node that `@pulumi/pulumi` vendors), read the port it prints, and speak
 * Pulumi's gRPC analyzer protocol with the stubs `@pulumi/pulumi` ships: GetAnalyzerInfo,
 * Configure (the stack's policy config, reconciled with the pack's defaults as the CLI does),
 * ConfigureStack, Analyze for each resource (optional: see `analyzeEachResource`), AnalyzeStack for
 * the whole stack.
 *
 * Resource properties are encoded as the engine encodes them: a google.protobuf.Struct with the
 * unknown sentinel for preview-time unknowns and the secret signature object for secrets.
 * Used by the policy tests and by `npm run plan`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct, type JavaScriptValue } from "google-protobuf/google/protobuf/struct_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerpb from "@pulumi/pulumi/proto/analyzer_pb";
import { compiledPackDir } from "./compiled-pack";

/** Preload for the analyzer process (plain JavaScript; the transpiled copy of infra/ carries it too). */
const DEFER_SDK_MODULES = path.resolve(__dirname, "..", "build", "defer-sdk-modules-preload.js");

/** The engine's sentinel for a value unknown until the update (`@pulumi/pulumi/runtime/rpc.ts` `unknownValue`). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** Key and value marking a secret (`specialSigKey`, `specialSecretSig`). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** A secret property value, encoded as the engine encodes it. */
export function secret<T>(value: T): { [SIG_KEY]: string; value: T } {
  return { [SIG_KEY]: SECRET_SIG, value };
}

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";

/** One resource as the engine hands it to an analyzer. */
export interface AnalyzerResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** JSON-like values; `UNKNOWN` for unknowns, `secret(...)` for secrets. */
  readonly properties: Record<string, unknown>;
  /** Parent URN (components); absent for the stack's direct children. */
  readonly parent?: string;
  readonly provider?: { readonly urn: string; readonly type: string; readonly name: string; readonly properties: Record<string, unknown> };
  readonly dependencies?: readonly string[];
  readonly protect?: boolean;
}

/** A policy config file as `pulumi up --policy-pack-config <file>` reads it. */
export type PolicyConfigFile = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

export interface RunPolicyPackOptions {
  /** The pack directory (holds PulumiPolicy.yaml and package.json). @default - `policies/` of this repository */
  readonly packDir?: string;
  readonly resources: readonly AnalyzerResource[];
  /** The stack's policy config (contents of `policies/config/<env>.json`). @default {} (the pack's own levels) */
  readonly policyConfig?: PolicyConfigFile;
  readonly stack: string;
  /** @default "gpu-inference" */
  readonly project?: string;
  /** Preview (`true`) or update. @default true */
  readonly dryRun?: boolean;
  /**
   * Send every resource to `Analyze`, one call each, before `AnalyzeStack`, as the Pulumi CLI does.
   * Only resource policies answer those calls; a pack of stack policies only (this project's: every
   * rule goes through `toPolicy`, a stack policy) answers each with nothing, so `npm run plan` skips
   * them (908 round trips at 50 workloads). @default true
   */
  readonly analyzeEachResource?: boolean;
  /** Kill the analyzer and fail after this long. @default 120000 */
  readonly timeoutMs?: number;
  /**
   * Run a transpiled copy of the pack (cached by content, see `compiled-pack.ts`) instead of letting
   * the analyzer type-check the TypeScript source at every start. @default true
   */
  readonly transpile?: boolean;
}

export interface PolicyDiagnostic {
  readonly policyName: string;
  readonly policyPackName: string;
  readonly policyPackVersion: string;
  readonly enforcementLevel: EnforcementLevel;
  readonly urn?: string;
  readonly message: string;
  readonly description: string;
  /**
   * `@pulumi/policy` turned a policy configured mandatory into an advisory "can't run ... during
   * preview" because it read an unknown value: the mandatory check did not run. `npm run plan`
   * counts it as a failure.
   */
  readonly downgradedMandatory: boolean;
}

export interface PolicyInfo {
  readonly name: string;
  readonly description: string;
  /** Level after reconciling the pack's default with the policy config. */
  readonly enforcementLevel: EnforcementLevel;
  readonly remediation: string;
}

export interface AnalyzerRun {
  readonly pack: { readonly name: string; readonly version: string; readonly policies: readonly PolicyInfo[] };
  readonly diagnostics: readonly PolicyDiagnostic[];
  readonly notApplicable: readonly { readonly policyName: string; readonly reason: string }[];
  /** Milliseconds from spawn to the port being printed (the pack's load and compile time). */
  readonly startupMs: number;
  readonly totalMs: number;
}

/** Diagnostics that refuse the deploy: mandatory violations, and mandatory checks that could not run. */
export function blockingDiagnostics(run: Pick<AnalyzerRun, "diagnostics">): PolicyDiagnostic[] {
  return run.diagnostics.filter((d) => d.enforcementLevel === "mandatory" || d.downgradedMandatory);
}

export const DEFAULT_PACK_DIR = path.resolve(__dirname, "..", "..", "policies");

const LEVELS: Record<analyzerpb.EnforcementLevel, EnforcementLevel> = {
  [analyzerpb.EnforcementLevel.ADVISORY]: "advisory",
  [analyzerpb.EnforcementLevel.MANDATORY]: "mandatory",
  [analyzerpb.EnforcementLevel.DISABLED]: "disabled",
  [analyzerpb.EnforcementLevel.REMEDIATE]: "remediate",
};
const LEVEL_CODES: Record<EnforcementLevel, analyzerpb.EnforcementLevel> = {
  advisory: analyzerpb.EnforcementLevel.ADVISORY,
  mandatory: analyzerpb.EnforcementLevel.MANDATORY,
  disabled: analyzerpb.EnforcementLevel.DISABLED,
  remediate: analyzerpb.EnforcementLevel.REMEDIATE,
};

/** What one analysis needs besides the running analyzer. */
export type AnalysisRequest = Omit<RunPolicyPackOptions, "packDir" | "timeoutMs" | "transpile">;

/** A running analyzer: analyze several stacks (or configs) without paying its start-up again. */
export interface PolicyPackSession {
  /** Process id of the analyzer (gone once `close` resolves). */
  readonly pid: number | undefined;
  /** Milliseconds from spawn to the port being printed (the pack's load and type-check). */
  readonly startupMs: number;
  analyze(request: AnalysisRequest): Promise<Omit<AnalyzerRun, "startupMs" | "totalMs">>;
  /** Stop the analyzer process; safe to call twice. */
  close(): Promise<void>;
}

/** Spawn the pack's analyzer and connect to it. Close the session (in a `finally`) to stop the process. */
export async function openPolicyPack(options: Pick<RunPolicyPackOptions, "packDir" | "timeoutMs" | "transpile"> = {}): Promise<PolicyPackSession> {
  const packDir = path.resolve(options.packDir ?? DEFAULT_PACK_DIR);
  const timeoutMs = options.timeoutMs ?? 120_000;
  const started = Date.now();
  const analyzer = startAnalyzer(options.transpile === false ? packDir : compiledPackDir(packDir));
  const within = <T>(work: Promise<T>, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`policy pack ${packDir}: ${what} took longer than ${timeoutMs} ms${analyzer.stderrTail()}`)), timeoutMs);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  };
  let port: number;
  try {
    port = await within(analyzer.port, "start-up");
  } catch (error) {
    await analyzer.stop();
    throw error;
  }
  const startupMs = Date.now() - started;
  const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    client.close();
    await analyzer.stop();
  };
  return {
    pid: analyzer.pid,
    startupMs,
    analyze: async (request) => {
      if (closed) throw new Error("policy pack session is closed");
      try {
        return await within(converse(client, request, analyzer), "analysis");
      } catch (error) {
        await close();
        throw error;
      }
    },
    close,
  };
}

/** Spawn the pack's analyzer, run the whole protocol once, and always stop the process. */
export async function runPolicyPack(options: RunPolicyPackOptions): Promise<AnalyzerRun> {
  const started = Date.now();
  const session = await openPolicyPack(options);
  try {
    const result = await session.analyze(options);
    return { ...result, startupMs: session.startupMs, totalMs: Date.now() - started };
  } finally {
    await session.close();
  }
}

async function converse(client: AnalyzerClient, options: AnalysisRequest, analyzer: Analyzer): Promise<Omit<AnalyzerRun, "startupMs" | "totalMs">> {
  const unary = <Res>(method: string, invoke: (callback: (error: grpc.ServiceError | null, response: Res) => void) => unknown): Promise<Res> =>
    new Promise((resolve, reject) => {
      invoke((error, response) => (error ? reject(new Error(`analyzer ${method}: ${error.details || error.message}${analyzer.stderrTail()}`)) : resolve(response)));
    });

  const info = await unary<analyzerpb.AnalyzerInfo>("GetAnalyzerInfo", (cb) => client.getAnalyzerInfo(new Empty(), cb));
  const config = reconcilePolicyConfig(info, options.policyConfig ?? {});
  const configure = new analyzerpb.ConfigureAnalyzerRequest();
  for (const [policy, entry] of Object.entries(config)) {
    const pc = new analyzerpb.PolicyConfig();
    pc.setEnforcementlevel(LEVEL_CODES[entry.enforcementLevel]);
    pc.setProperties(Struct.fromJavaScript(entry.properties as Record<string, JavaScriptValue>));
    configure.getPolicyconfigMap().set(policy, pc);
  }
  await unary<Empty>("Configure", (cb) => client.configure(configure, cb));

  const stackReq = new analyzerpb.AnalyzerStackConfigureRequest();
  stackReq.setStack(options.stack);
  stackReq.setProject(options.project ?? "gpu-inference");
  stackReq.setOrganization("organization");
  stackReq.setDryRun(options.dryRun ?? true);
  await unary<analyzerpb.AnalyzerStackConfigureResponse>("ConfigureStack", (cb) => client.configureStack(stackReq, cb));

  const responses: analyzerpb.AnalyzeResponse[] = [];
  // Each resource's properties are encoded once, for Analyze and AnalyzeStack alike, and each provider once (many resources share one).
  const providers = new Map<NonNullable<AnalyzerResource["provider"]>, analyzerpb.AnalyzerProviderResource>();
  const encodedProvider = (provider: NonNullable<AnalyzerResource["provider"]>) => {
    const known = providers.get(provider);
    if (known !== undefined) return known;
    const encoded = providerResource(provider);
    providers.set(provider, encoded);
    return encoded;
  };
  const encoded = options.resources.map((resource) => ({
    resource,
    properties: toStruct(resource.properties),
    provider: resource.provider === undefined ? undefined : encodedProvider(resource.provider),
  }));
  if (options.analyzeEachResource ?? true) {
    for (const { resource, properties, provider } of encoded) {
      const req = new analyzerpb.AnalyzeRequest();
      req.setUrn(resource.urn);
      req.setType(resource.type);
      req.setName(resource.name);
      req.setProperties(properties);
      req.setOptions(resourceOptions(resource));
      if (provider !== undefined) req.setProvider(provider);
      responses.push(await unary<analyzerpb.AnalyzeResponse>("Analyze", (cb) => client.analyze(req, cb)));
    }
  }
  const stackRequest = new analyzerpb.AnalyzeStackRequest();
  stackRequest.setResourcesList(encoded.map(({ resource, properties, provider }) => encodeResource(resource, properties, provider)));
  responses.push(await unary<analyzerpb.AnalyzeResponse>("AnalyzeStack", (cb) => client.analyzeStack(stackRequest, cb)));

  const levels = new Map(Object.entries(config).map(([name, entry]) => [name, entry.enforcementLevel]));
  const diagnostics = responses.flatMap((response) =>
    response.getDiagnosticsList().map((d): PolicyDiagnostic => {
      const policyName = d.getPolicyname();
      const message = d.getMessage();
      return {
        policyName,
        policyPackName: d.getPolicypackname(),
        policyPackVersion: d.getPolicypackversion(),
        enforcementLevel: LEVELS[d.getEnforcementlevel()],
        ...(d.getUrn() !== "" ? { urn: d.getUrn() } : {}),
        message,
        description: d.getDescription(),
        downgradedMandatory: levels.get(policyName) === "mandatory" && /^can't run policy '[^']+' from policy pack .* during preview:/.test(message),
      };
    }),
  );
  const notApplicable = responses.flatMap((r) => r.getNotApplicableList().map((n) => ({ policyName: n.getPolicyName(), reason: n.getReason() })));
  const uniqueNotApplicable = [...new Map(notApplicable.map((n) => [`${n.policyName}\u0000${n.reason}`, n])).values()];
  return {
    pack: {
      name: info.getName(),
      version: info.getVersion(),
      policies: info.getPoliciesList().map((p) => ({
        name: p.getName(),
        description: p.getDescription(),
        enforcementLevel: config[p.getName()]?.enforcementLevel ?? LEVELS[p.getEnforcementlevel()],
        remediation: p.getRemediationSteps(),
      })),
    },
    diagnostics,
    notApplicable: uniqueNotApplicable,
  };
}

interface ReconciledPolicyConfig {
  readonly enforcementLevel: EnforcementLevel;
  readonly properties: Record<string, unknown>;
}

/**
 * What the Pulumi CLI sends in Configure (pkg/resource/analyzer/config.go `ReconcilePolicyPackConfig`):
 * every policy's level and schema defaults, then `all`, then per-policy entries from the file.
 * Unknown policy names and invalid levels are refused, as the CLI refuses them.
 */
export function reconcilePolicyConfig(info: analyzerpb.AnalyzerInfo, file: PolicyConfigFile): Record<string, ReconciledPolicyConfig> {
  const result: Record<string, ReconciledPolicyConfig> = {};
  const known = new Set<string>();
  for (const policy of info.getPoliciesList()) {
    known.add(policy.getName());
    const properties: Record<string, unknown> = {};
    const schema = policy.getConfigschema()?.getProperties()?.toJavaScript() ?? {};
    for (const [key, value] of Object.entries(schema)) {
      if (typeof value === "object" && value !== null && !Array.isArray(value) && "default" in value) properties[key] = (value as Record<string, unknown>).default;
    }
    result[policy.getName()] = { enforcementLevel: LEVELS[policy.getEnforcementlevel()], properties };
  }
  const parsed = Object.entries(file).map(([name, entry]) => {
    if (typeof entry === "string") return { name, level: checkLevel(name, entry), properties: {} };
    const { enforcementLevel, ...properties } = entry;
    return { name, level: enforcementLevel === undefined ? undefined : checkLevel(name, enforcementLevel), properties };
  });
  const all = parsed.find((p) => p.name === "all");
  if (all?.level !== undefined) for (const name of Object.keys(result)) result[name] = { ...(result[name] as ReconciledPolicyConfig), enforcementLevel: all.level };
  for (const entry of parsed) {
    if (entry.name === "all") continue;
    if (!known.has(entry.name)) throw new Error(`policy config: no policy named "${entry.name}" in pack ${info.getName()}; expected one of ${[...known].join(", ")}`);
    const current = result[entry.name] as ReconciledPolicyConfig;
    result[entry.name] = { enforcementLevel: entry.level ?? current.enforcementLevel, properties: { ...current.properties, ...entry.properties } };
  }
  return result;
}

function checkLevel(policy: string, level: unknown): EnforcementLevel {
  if (typeof level === "string" && level in LEVEL_CODES) return level as EnforcementLevel;
  throw new Error(`policy config: "${policy}": expected an enforcement level (advisory, mandatory, remediate, disabled)`);
}

function toStruct(properties: Record<string, unknown>): Struct {
  return Struct.fromJavaScript(jsonClean(properties) as Record<string, JavaScriptValue>);
}

/** Drop undefined entries (Struct has no representation for them; the engine omits them). */
function jsonClean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : jsonClean(v)));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = jsonClean(v);
    return out;
  }
  return value;
}

function resourceOptions(resource: AnalyzerResource): analyzerpb.AnalyzerResourceOptions {
  const opts = new analyzerpb.AnalyzerResourceOptions();
  opts.setProtect(resource.protect ?? false);
  if (resource.parent !== undefined) opts.setParent(resource.parent);
  return opts;
}

function providerResource(provider: NonNullable<AnalyzerResource["provider"]>): analyzerpb.AnalyzerProviderResource {
  const p = new analyzerpb.AnalyzerProviderResource();
  p.setUrn(provider.urn);
  p.setType(provider.type);
  p.setName(provider.name);
  p.setProperties(toStruct(provider.properties));
  return p;
}

function encodeResource(resource: AnalyzerResource, properties: Struct, provider: analyzerpb.AnalyzerProviderResource | undefined): analyzerpb.AnalyzerResource {
  const r = new analyzerpb.AnalyzerResource();
  r.setUrn(resource.urn);
  r.setType(resource.type);
  r.setName(resource.name);
  r.setProperties(properties);
  r.setOptions(resourceOptions(resource));
  if (resource.parent !== undefined) r.setParent(resource.parent);
  if (provider !== undefined) r.setProvider(provider);
  r.setDependenciesList([...(resource.dependencies ?? [])]);
  return r;
}

interface Analyzer {
  readonly pid: number | undefined;
  readonly port: Promise<number>;
  stderrTail(): string;
  stop(): Promise<void>;
}

/**
 * `node run-policy-pack <engine-address> <pack-dir>` in the pack directory, as the Pulumi CLI's
 * Node.js language host launches an analyzer. The pack's own `@pulumi/pulumi` provides the
 * entrypoint; it registers ts-node for the TypeScript pack. The analyzer never dials the engine
 * address; a closed local port stands in for it.
 */
function startAnalyzer(packDir: string): Analyzer {
  const entrypoint = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
  const env = { ...process.env };
  // Loaders the calling process runs under (tsx, vitest) are not the analyzer's business.
  delete env.NODE_OPTIONS;
  // The SDK parts the analyzer never uses (the TypeScript compiler, arborist, the Automation API) load on first use.
  const child: ChildProcess = spawn(process.execPath, ["--require", DEFER_SDK_MODULES, entrypoint, "127.0.0.1:1", packDir], { cwd: packDir, env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let stdout = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = new Promise<number>((resolve, reject) => {
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      stdout += chunk;
      const line = /^(\d+)\s*$/m.exec(stdout);
      if (line !== null) resolve(Number(line[1]));
    });
    child.once("error", (error) => reject(new Error(`cannot start the policy pack analyzer: ${error.message}`)));
    child.once("exit", (code, signal) => reject(new Error(`policy pack analyzer exited (${signal ?? `code ${code}`}) before serving${tail()}`)));
  });
  const tail = () => (stderr.trim() === "" ? "" : `\n--- analyzer stderr ---\n${stderr.trim()}`);
  return {
    pid: child.pid,
    port,
    stderrTail: tail,
    async stop() {
      port.catch(() => undefined);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 2000);
      await exited;
      clearTimeout(killer);
    },
  };
}
