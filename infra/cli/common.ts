/**
 * Plumbing shared by the operator commands: which stack file to read, and how failures reach
 * the user — every problem listed, no stack trace, a documented exit code.
 */
import * as path from "node:path";
import { CommanderError, type Command } from "commander";
import { ListrLogger, ProcessOutput } from "listr2";
import { loadStackConfigFile, stackFilePath, StackConfigError, type StackConfig } from "../config";
import { DEFAULT_TABLE_WIDTH, type TableOptions } from "./cost-report";
import { withResolvedEconomics, type EconomicsSource } from "../economics-source";

/**
 * Exit codes every command documents: 0 success, 1 a refusal (a mandatory policy or the gate said
 * no), 2 invalid input (config, usage), 3 a crash — a bug, reported with its message; the stack
 * trace only with DEBUG set.
 */
export const EXIT = { ok: 0, violation: 1, invalidConfig: 2, crash: 3 } as const;

/** The exit-code line of every command's --help. */
export const EXIT_CODES_HELP = "Exit codes: 0 success, 1 refused, 2 invalid config or usage, 3 internal error (set DEBUG=1 for its stack trace).";

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

/**
 * Say so on stderr when an environment has no policy config: the pack then enforces its defaults
 * (advisory levels, default economics), which nobody chose for this environment.
 */
export function warnIfNoPolicyConfig(environment: string, file: string | null): void {
  if (file !== null) return;
  process.stderr.write(
    `warning: no policies/config/${environment}.json: the policy pack will enforce its built-in defaults for the ${environment} environment; add that file to choose enforcement levels, economics and waivers\n`,
  );
}

/** A mistake in how the command was called. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A system outside the project failed or had no answer (a Prometheus query, say): exit 1 with its message, not a crash. */
export class ExternalError extends Error {
  override name = "ExternalError";
}

/**
 * Run a command's body and turn failures into the documented exit codes: 2 for invalid config or
 * usage, 1 when a system outside the project failed, 3 for anything unexpected (message only; the
 * stack trace with DEBUG set).
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
    } else if (error instanceof ExternalError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = EXIT.violation;
    } else {
      reportCrash(error);
    }
  }
}

/** An unexpected error: its message (and, with DEBUG set, its stack), exit 3. */
export function reportCrash(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error: internal error: ${message}\n`);
  if (debugEnabled() && error instanceof Error && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
  else process.stderr.write("  (a bug: please report it with the command you ran; DEBUG=1 shows the stack trace)\n");
  process.exitCode = EXIT.crash;
}

/** DEBUG is set (and not "0" or "false"): show stack traces. */
export function debugEnabled(): boolean {
  const value = process.env.DEBUG;
  return value !== undefined && value !== "" && value !== "0" && value !== "false";
}

export function parseFormat(value: string): Format {
  if (!(FORMATS as readonly string[]).includes(value)) throw new UsageError(`--format must be one of ${FORMATS.join(", ")}, got "${value}"`);
  return value as Format;
}

/**
 * Whether to colour what goes to `stream`: never when NO_COLOR is set (no-color.org), always when
 * FORCE_COLOR is set to anything but 0, else only on a terminal — so piped output has no escape codes.
 */
export function useColor(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "false";
  return stream.isTTY === true;
}

/** Columns a table may take on `stream`: the terminal's width, or DEFAULT_TABLE_WIDTH when piped. */
export function outputWidth(stream: NodeJS.WriteStream = process.stdout): number {
  return stream.isTTY === true && typeof stream.columns === "number" && stream.columns > 0 ? stream.columns : DEFAULT_TABLE_WIDTH;
}

/** How a command draws its tables: colour and width from stdout, every column with `--wide`. */
export function tableOptions(wide: boolean | undefined): TableOptions {
  return { color: useColor(process.stdout), width: outputWidth(process.stdout), wide: wide === true };
}

/**
 * listr2 options that keep progress on stderr, on a terminal only: both its renderer and its
 * fallback (which otherwise writes to stdout and would corrupt `--format json`).
 */
export function progressOptions() {
  const logger = new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) });
  return {
    silentRendererCondition: process.stderr.isTTY !== true,
    rendererOptions: { logger },
    fallbackRendererOptions: { logger },
  };
}

/**
 * A reader closing the pipe (`npm run cost | head -1`) ends the command quietly: no EPIPE stack
 * trace, no error message, the exit code already set.
 */
export function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(process.exitCode ?? EXIT.ok);
      throw error;
    });
  }
}

/** Parse argv with a command and map commander's own usage errors (already printed) to exit 2. */
export async function runCli(command: Command, argv: string[] = process.argv): Promise<void> {
  endQuietlyOnClosedPipe();
  try {
    await command.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.invalidConfig;
      return;
    }
    reportCrash(error);
  }
}
