/**
 * `npm run clone -- --from dev --to team-b [--workload <name>] [--set key.path=value ...]`:
 * onboard a workload or team by cloning a stack file. The new `Pulumi.<to>.yaml` is validated
 * and its cost verdict printed before anyone runs `pulumi up`. It is written whole or not at all,
 * never over an existing file unless `--force`, and never with the source stack's secrets.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { isMap, isScalar, isSeq, parseDocument, type Document } from "yaml";
import { CONFIG_NAMESPACE, formatKeyPath, namespaceValues, parseStackConfig } from "../config";
import { withResolvedEconomics } from "../economics-source";
import { evaluateStack } from "../stack-economics";
import { EXIT, resolveStackFile, runCli, runCommand, UsageError } from "./common";
import { costTable } from "./cost-report";

interface CloneOptions {
  from: string;
  to: string;
  workload?: string;
  set: string[];
  force?: boolean;
  projectDir?: string;
}

/** One `--set` assignment: `workloads[0].traffic.requestsPerMonth=5000000`. */
export interface Assignment {
  readonly text: string;
  readonly keyPath: readonly (string | number)[];
  readonly value: unknown;
}

/** Parse `key.path[0].leaf=value`; the value is read as a YAML scalar (numbers, booleans, strings). */
export function parseAssignment(text: string): Assignment {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new UsageError(`--set ${text}: expected key.path=value`);
  const key = text.slice(0, eq).replace(new RegExp(`^${CONFIG_NAMESPACE}:`), "");
  const keyPath: (string | number)[] = [];
  for (const part of key.split(".")) {
    const match = /^([A-Za-z][\w-]*)((?:\[\d+\])*)$/.exec(part);
    if (match === null) throw new UsageError(`--set ${text}: "${part}" is not a key; expected names and [index]es such as workloads[0].traffic.requestsPerMonth`);
    keyPath.push(match[1]!);
    for (const index of match[2]!.matchAll(/\[(\d+)\]/g)) keyPath.push(Number(index[1]));
  }
  const raw = text.slice(eq + 1);
  const value = parseDocument(raw === "" ? '""' : raw).toJS() as unknown;
  return { text, keyPath, value };
}

/** Every key the source stack holds as a `secure:` value: encrypted with the source's key, so never copied. */
function dropSecrets(doc: Document): string[] {
  const config = doc.get("config");
  const dropped: string[] = [];
  if (!isMap(config)) return dropped;
  for (const item of [...config.items]) {
    const value = item.value;
    if (isMap(value) && value.has("secure")) {
      const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
      config.delete(item.key);
      dropped.push(key);
    }
  }
  doc.delete("encryptionsalt"); // per-stack; Pulumi makes a new one
  return dropped;
}

/** Apply an assignment where the path exists up to its parent; a missing parent is an error naming the path. */
function assign(doc: Document, assignment: Assignment): void {
  const [top, ...rest] = assignment.keyPath;
  const full = ["config", `${CONFIG_NAMESPACE}:${String(top)}`, ...rest];
  const parentPath = full.slice(0, -1);
  const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
  const leaf = full[full.length - 1]!;
  const shown = `${CONFIG_NAMESPACE}:${formatKeyPath(assignment.keyPath)}`;
  if (rest.length > 0 && !isMap(parent) && !isSeq(parent)) {
    throw new UsageError(`--set ${assignment.text}: ${shown} does not exist in the source stack (no ${CONFIG_NAMESPACE}:${formatKeyPath(assignment.keyPath.slice(0, -1))})`);
  }
  if (typeof leaf === "number" && (!isSeq(parent) || leaf > parent.items.length)) {
    throw new UsageError(`--set ${assignment.text}: ${shown} is past the end of the list`);
  }
  doc.setIn(full, assignment.value);
}

/** The new stack file's text and what the user must still do; throws StackConfigError when invalid. */
export function cloneStackText(sourceText: string, sourceFile: string, options: Pick<CloneOptions, "from" | "to" | "workload" | "set">): {
  text: string;
  secretsToSet: string[];
} {
  const doc = parseDocument(sourceText);
  const secretsToSet = dropSecrets(doc);
  if (options.workload !== undefined) {
    const workloads = doc.getIn(["config", `${CONFIG_NAMESPACE}:workloads`]);
    if (!isSeq(workloads)) throw new UsageError(`--workload ${options.workload}: ${sourceFile} has no workloads`);
    const names = workloads.items.map((item) => (isMap(item) ? String(item.get("name")) : ""));
    if (!names.includes(options.workload)) throw new UsageError(`--workload ${options.workload}: no such workload in ${sourceFile}; expected one of ${names.join(", ")}`);
    workloads.items = workloads.items.filter((_, i) => names[i] === options.workload);
  }
  const assignments = options.set.map(parseAssignment);
  // Two stacks must not fight over one EKS cluster: rename it unless the user sets it.
  const renamesCluster = assignments.some((a) => a.keyPath[0] === "cluster" && a.keyPath[1] === "name");
  const clusterName = doc.getIn(["config", `${CONFIG_NAMESPACE}:cluster`, "name"]);
  if (!renamesCluster && typeof clusterName === "string") {
    const base = clusterName.endsWith(`-${options.from}`) ? clusterName.slice(0, -options.from.length - 1) : clusterName;
    doc.setIn(["config", `${CONFIG_NAMESPACE}:cluster`, "name"], `${base}-${options.to}`.slice(0, 40));
  }
  for (const assignment of assignments) assign(doc, assignment);
  doc.commentBefore = ` Cloned from ${path.basename(sourceFile)} by \`npm run clone\`.${doc.commentBefore ? `\n${doc.commentBefore}` : ""}`;
  const text = doc.toString();
  const target = `Pulumi.${options.to}.yaml`;
  parseStackConfig(namespaceValues(text, target), target); // every problem, naming the new file
  return { text, secretsToSet };
}

export function cloneCommand(): Command {
  return new Command("clone")
    .description("Write Pulumi.<to>.yaml from another stack, apply settings, validate it and print its cost verdict")
    .requiredOption("--from <stack>", "source stack name (reads Pulumi.<from>.yaml)")
    .requiredOption("--to <stack>", "new stack name (writes Pulumi.<to>.yaml)")
    .option("--workload <name>", "keep only this workload")
    .option("--set <key.path=value>", "set a config value, e.g. workloads[0].traffic.requestsPerMonth=5000000 (repeatable)", (v: string, all: string[]) => [...all, v], [] as string[])
    .option("--force", "overwrite an existing stack file")
    .addHelpText("after", "\nExit codes: 0 written, 2 invalid config, bad --set path, or an existing file without --force.")
    .exitOverride()
    .action(async (options: CloneOptions) => {
      await runCommand(() => {
        if (!/^[A-Za-z0-9_.-]+$/.test(options.to)) throw new UsageError(`--to ${options.to}: a stack name is letters, digits, '-', '_' and '.'`);
        const { file: source } = resolveStackFile({ stack: options.from });
        const { file: target } = resolveStackFile({ stack: options.to });
        if (!fs.existsSync(source)) throw new UsageError(`--from ${options.from}: no stack file ${path.basename(source)}`);
        if (fs.existsSync(target) && options.force !== true) throw new UsageError(`${path.basename(target)} exists; pass --force to overwrite it`);
        const { text, secretsToSet } = cloneStackText(fs.readFileSync(source, "utf8"), source, options);
        // Write beside, then rename: a failure never leaves half a stack file.
        const partial = `${target}.partial-${process.pid}`;
        fs.writeFileSync(partial, text);
        fs.renameSync(partial, target);
        const { config, source: economicsSource } = withResolvedEconomics(parseStackConfig(namespaceValues(text, path.basename(target)), path.basename(target)), target);
        process.stdout.write(`Wrote ${path.basename(target)} (from ${path.basename(source)}).\n\n`);
        process.stdout.write(`${costTable(evaluateStack(config, options.to, { economicsSource }), { color: process.stdout.isTTY === true })}\n`);
        if (secretsToSet.length > 0) {
          process.stdout.write(`\nSecrets are not copied. Set them for the new stack:\n`);
          for (const key of secretsToSet) process.stdout.write(`  pulumi config set --secret ${key} --stack ${options.to}\n`);
        }
        return EXIT.ok;
      });
    });
}

if (require.main === module) void runCli(cloneCommand());
