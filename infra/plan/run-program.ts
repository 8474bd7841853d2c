/**
 * Run the Pulumi program for a stack file offline: the engine is the mock engine with preview
 * semantics, so what the cloud would compute is unknown, and secrets stay secrets (their values
 * are not in the stack file in the clear, so a placeholder stands in, marked secret).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parseDocument } from "yaml";
import { installMockEngine, type RecordedResource } from "./mock-engine";

/** Stands in for a secret's value offline; policies see it only wrapped as a secret. */
export const SECRET_PLACEHOLDER = "[secret]";

/** The last stack file parsed here: plan reads it twice (the program's config, then the readiness checks). */
let lastParsed: { readonly text: string; readonly doc: { config?: Record<string, unknown> } | null } | undefined;

/** The stack file's whole `config:` map as the engine would hand it to the program. */
export function engineConfigOf(stackFile: string): { config: Record<string, unknown>; secretKeys: string[] } {
  const text = fs.readFileSync(stackFile, "utf8");
  if (lastParsed?.text !== text) lastParsed = { text, doc: parseDocument(text).toJS() as { config?: Record<string, unknown> } | null };
  const doc = structuredClone(lastParsed.doc);
  const config: Record<string, unknown> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(doc?.config ?? {})) {
    if (typeof value === "object" && value !== null && "secure" in value) {
      config[key] = SECRET_PLACEHOLDER;
      secretKeys.push(key);
    } else {
      config[key] = value;
    }
  }
  return { config, secretKeys };
}

/**
 * Run `body` with no stack traces built: `Error.stackTraceLimit` 0, and `Resource.callsites`
 * (which the SDK calls for every resource, at unlimited depth, to send the engine the declaring
 * source position) answering no frames. The SDK also captures a stack for every promise it
 * creates. The mock engine ignores all of it; at 50 workloads building it costs ~1.5 s of CPU
 * (measured, program run 5.5–6.0 s → 4.1 s). Both are restored afterwards, also on failure.
 */
export async function withoutStackTraces<T>(body: () => Promise<T>): Promise<T> {
  const limit = Error.stackTraceLimit;
  const callsites = Object.getOwnPropertyDescriptor(pulumi.Resource, "callsites") as PropertyDescriptor;
  Error.stackTraceLimit = 0;
  Object.defineProperty(pulumi.Resource, "callsites", { ...callsites, value: () => [] });
  try {
    return await body();
  } finally {
    Error.stackTraceLimit = limit;
    Object.defineProperty(pulumi.Resource, "callsites", callsites);
  }
}

export interface RunProgramOptions {
  /** The program's module, without extension. @default - `infra/index` beside this file */
  readonly programModule?: string;
  /** Build stack traces while the program runs (for DEBUG=1: an error's stack). @default false */
  readonly stackTraces?: boolean;
}

/**
 * Register the program's resources for `stack` and return them. Runs the program module once:
 * call it once per process (Pulumi's runtime state is global).
 */
export async function runProgramOffline(stack: string, stackFile: string, options: RunProgramOptions = {}): Promise<RecordedResource[]> {
  const programModule = options.programModule ?? path.resolve(__dirname, "..", "index");
  const { config, secretKeys } = engineConfigOf(stackFile);
  const recorded = installMockEngine({ config, secretKeys, stack, preview: true });
  // The transpiled CLI (bin/gpu-inference.js) runs `.js`; tests and tsx run the `.ts` source. A
  // native import() needs the file's extension.
  const file = [".js", ".ts"].map((ext) => `${programModule}${ext}`).find((candidate) => fs.existsSync(candidate)) ?? programModule;
  const run = async () => {
    await import(file);
    // Wait for every outstanding registration and apply.
    await pulumi.runtime.disconnect();
    return recorded;
  };
  return options.stackTraces === true ? run() : withoutStackTraces(run);
}
