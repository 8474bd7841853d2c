/**
 * `npm run plan -- --stack <name>`: the pull-request check, offline. Runs the Pulumi program for
 * the stack under the mock engine with preview semantics, sends what it registers through the
 * policy pack in its real analyzer process, and reports resources, policy diagnostics and cost.
 * Exit 0 when nothing mandatory is violated, 1 when something is, 2 for invalid config.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { Listr } from "listr2";
import { CONFIG_NAMESPACE, type StackConfig } from "../config";
import { deployReadiness } from "../deploy-readiness";
import { BaseRefError, compareWithBase, readFileAtRef, type BaseComparison } from "../plan/base-diff";
import type { RecordedResource } from "../plan/mock-engine";
import { engineConfigOf, runProgramOffline } from "../plan/run-program";
import { openPolicyPack, type AnalyzerRun, type PolicyConfigFile, type PolicyPackSession } from "../policy/analyzer";
import { toAnalyzerResources } from "../policy/resources";
import type { EconomicsSource } from "../economics-source";
import { evaluateStack, type StackEvaluation } from "../stack-economics";
import { debugEnabled, EXIT, EXIT_CODES_HELP, loadSelectedStack, parseFormat, progressOptions, runCli, runCommand, UsageError, useColor, warnIfNoPolicyConfig } from "./common";
import { blocking, planJson, planMarkdown, planTable, type PlanResult } from "./plan-report";

interface PlanOptions {
  stack?: string;
  config?: string;
  policyConfig?: string;
  format: string;
  base?: string;
}

/** `policies/config/<environment>.json` beside the project, when it exists. */
export function defaultPolicyConfigFile(config: StackConfig, projectDir = process.cwd()): string | null {
  const file = path.join(projectDir, "policies", "config", `${config.environment}.json`);
  return fs.existsSync(file) ? file : null;
}

function readPolicyConfig(file: string): PolicyConfigFile {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new UsageError(`--policy-config ${file}: cannot read the file`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
    return parsed as PolicyConfigFile;
  } catch {
    throw new UsageError(`${path.basename(file)}: expected a JSON object of policy names to enforcement levels or settings`);
  }
}

/** A --base the repository cannot resolve is a usage mistake (exit 2). */
function asUsageError<T>(body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (error instanceof BaseRefError) throw new UsageError(error.message);
    throw error;
  }
}

interface Context {
  stack: string;
  file: string;
  config: StackConfig;
  economicsSource: EconomicsSource;
  policyConfigFile: string | null;
  policyConfig: PolicyConfigFile;
  resources: RecordedResource[];
  analysis: AnalyzerRun;
  cost: StackEvaluation;
  base?: BaseComparison;
}

/** What the report needs of an analysis (start-up and total times are the session's). */
function timedRun(session: PolicyPackSession, result: Omit<AnalyzerRun, "startupMs" | "totalMs">, started: number): AnalyzerRun {
  return { ...result, startupMs: session.startupMs, totalMs: Date.now() - started };
}

export function planCommand(): Command {
  return new Command("plan")
    .description("Offline preview of a stack for pull requests: resources, policy verdicts and cost, with no cloud credentials")
    .option("-s, --stack <name>", "stack name: reads Pulumi.<name>.yaml")
    .option("-c, --config <file>", "a stack file to read instead of Pulumi.<stack>.yaml")
    .option("-p, --policy-config <file>", "policy pack config (default: policies/config/<environment>.json)")
    .option("-f, --format <format>", "table | markdown | json", "table")
    .option("-b, --base <git-ref>", "also evaluate the stack file as it is at this git ref (read with git show, no checkout) and report the cost change per workload and in total")
    .addHelpText("after", `\n${EXIT_CODES_HELP} Refused: a mandatory policy violated.`)
    .exitOverride()
    .action(async (options: PlanOptions) => {
      await runCommand(async () => {
        const format = parseFormat(options.format);
        const ctx = {} as Context;
        // The analyzer's start-up (a second process) overlaps the program's run in this one.
        let session: Promise<PolicyPackSession> | undefined;
        const started = Date.now();
        // Progress on a terminal only, on stderr, so stdout stays the report.
        const stages = new Listr<Context>(
          [
            {
              title: "config: read and validate the stack file",
              task: (c) => {
                Object.assign(c, loadSelectedStack(options));
                c.policyConfigFile = options.policyConfig !== undefined ? path.resolve(options.policyConfig) : defaultPolicyConfigFile(c.config);
                c.policyConfig = c.policyConfigFile === null ? {} : readPolicyConfig(c.policyConfigFile);
                warnIfNoPolicyConfig(c.config.environment, c.policyConfigFile);
                if (options.base !== undefined) asUsageError(() => readFileAtRef(options.base!, c.file)); // a bad ref fails before the slow stages
                session = openPolicyPack();
                // Observed in the policies stage; an early failure elsewhere must not surface as unhandled.
                session.catch(() => undefined);
              },
            },
            {
              title: "program: register resources under the mock engine (preview)",
              task: async (c) => {
                c.resources = await runProgramOffline(c.stack, c.file, { stackTraces: debugEnabled() });
              },
            },
            {
              title: "policies: run the pack in its analyzer process",
              task: async (c) => {
                const open = await (session as Promise<PolicyPackSession>);
                const result = await open.analyze({
                  resources: toAnalyzerResources(c.resources, { stack: c.stack }),
                  policyConfig: c.policyConfig,
                  stack: c.stack,
                  dryRun: true,
                  // The project's pack has stack policies only: per-resource Analyze calls answer nothing.
                  analyzeEachResource: false,
                });
                c.analysis = timedRun(open, result, started);
              },
            },
            {
              title: "cost: evaluate the economics",
              task: (c) => {
                // The same economics source as npm run cost: its file is named and its waivers count in the stack check, as in the gate.
                c.cost = evaluateStack(c.config, c.stack, { economicsSource: c.economicsSource });
              },
            },
            {
              title: `base: the same stack file at ${options.base ?? "the base"}, evaluated the same way`,
              enabled: () => options.base !== undefined,
              task: (c) => {
                c.base = asUsageError(() => compareWithBase(options.base!, c.file, c.stack, c.cost, (config, stack) => evaluateStack(config, stack, { cheapestShape: false }), c.policyConfigFile));
              },
            },
          ],
          {
            ctx,
            exitOnError: true,
            ...progressOptions(),
          },
        );
        try {
          await stages.run();
        } finally {
          await session?.then((open) => open.close(), () => undefined);
        }
        const result: PlanResult = {
          stack: ctx.stack,
          policyConfigFile: ctx.policyConfigFile === null ? null : path.relative(process.cwd(), ctx.policyConfigFile),
          resources: ctx.resources,
          analysis: ctx.analysis,
          cost: ctx.cost,
          ...(ctx.base !== undefined ? { base: ctx.base } : {}),
          readiness: deployReadiness(ctx.config, {
            huggingFaceTokenSet: engineConfigOf(ctx.file).secretKeys.includes(`${CONFIG_NAMESPACE}:huggingFaceToken`),
            dockerHubTokenSet: engineConfigOf(ctx.file).secretKeys.includes(`${CONFIG_NAMESPACE}:dockerHubAccessToken`),
            cost: ctx.cost,
          }),
        };
        const out = format === "json" ? JSON.stringify(planJson(result), null, 2) : format === "markdown" ? planMarkdown(result) : planTable(result, { color: useColor(process.stdout) });
        process.stdout.write(`${out}\n`);
        return blocking(result).length === 0 ? EXIT.ok : EXIT.violation;
      });
    });
}

if (require.main === module) void runCli(planCommand());
