/**
 * Plumbing shared by the operator commands: which stack file to read, and how failures reach
 * the user — every problem listed, no stack trace, a documented exit code.
 */
import * as path from "node:path";
import { CommanderError, type Command } from "commander";
import { loadStackConfigFile, stackFilePath, StackConfigError, type StackConfig } from "../config";
import { withResolvedEconomics, type EconomicsSource } from "../economics-source";

export const EXIT = { ok: 0, violation: 1, invalidConfig: 2 } as const;

export const FORMATS = ["table", "markdown", "json"] as const;
export type Format = (typeof FORMATS)[number];

export interface StackSelection {
  readonly stack?: string;
  readonly config?: string;
  /** A policy config to take the economics from instead of `policies/config/<environment>.json`. */
  readonly policyConfig?: string;
}

/** The stack name and file a command reads: `--config <file>` wins over `--stack <name>`. */
export function resolveStackFile(selection: StackSelection, projectDir = process.cwd()): { stack: string; file: string } {
  if (selection.config !== undefined) {
    const file = path.resolve(projectDir, selection.config);
    const match = /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file));
    return { stack: selection.stack ?? match?.[1] ?? path.basename(file), file };
  }
  if (selection.stack === undefined) throw new UsageError("name a stack with --stack <name> or a stack file with --config <file>");
  return { stack: selection.stack, file: stackFilePath(selection.stack, projectDir) };
}

/** The stack file, validated, with its economics from the one source every command reads (`economics-source.ts`). */
export function loadSelectedStack(selection: StackSelection): { stack: string; file: string; config: StackConfig; economicsSource: EconomicsSource } {
  const { stack, file } = resolveStackFile(selection);
  const { config, source } = withResolvedEconomics(loadStackConfigFile(file), file, selection.policyConfig !== undefined ? { policyConfigFile: selection.policyConfig } : {});
  return { stack, file, config, economicsSource: source };
}

/** A mistake in how the command was called. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Run a command's body and turn failures into the documented exit codes:
 * 2 for invalid config or usage, 1 for anything unexpected (message only, no stack trace).
 */
export async function runCommand(body: () => Promise<number> | number): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (error) {
    if (error instanceof StackConfigError) {
      process.stderr.write(`error: invalid stack config\n${error.problems.map((p) => `  ${p}`).join("\n")}\n`);
      process.exitCode = EXIT.invalidConfig;
    } else if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = EXIT.invalidConfig;
    } else {
      process.stderr.write(`error: ${(error as Error).message ?? String(error)}\n`);
      process.exitCode = EXIT.violation;
    }
  }
}

export function parseFormat(value: string): Format {
  if (!(FORMATS as readonly string[]).includes(value)) throw new UsageError(`--format must be one of ${FORMATS.join(", ")}, got "${value}"`);
  return value as Format;
}

/** Parse argv with a command and map commander's own usage errors (already printed) to exit 2. */
export async function runCli(command: Command, argv: string[] = process.argv): Promise<void> {
  try {
    await command.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.invalidConfig;
      return;
    }
    process.stderr.write(`error: ${(error as Error).message ?? String(error)}\n`);
    process.exitCode = EXIT.violation;
  }
}
