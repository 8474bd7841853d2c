/**
 * One source of truth for the economics assumptions (fixed costs, staff, margin, price
 * overrides, TCO): the environment's policy config, `policies/config/<environment>.json`, under
 * `inference-break-even.economics` — owned by whoever owns the budget, so the author of a pull
 * request cannot quietly change what the gate enforces. `npm run cost`, `plan`, `clone` and the
 * gate all read it.
 *
 * A stack file may still carry `gpu-inference:economics` (older stacks did); a key there that
 * disagrees with the policy config refuses the run, naming both files and the key. A key that
 * agrees is accepted. Without a policy config for the environment the stack file's economics (or
 * the defaults) are used, with a warning that the gate will not see them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { economicsConfigSchema, type EconomicsConfig } from "../policies/economics/schema";
import { gateToday, waiverProblem, waiverSchema, type Waiver } from "../policies/waivers";
import { CONFIG_NAMESPACE, formatKeyPath, namespaceValues, StackConfigError, type StackConfig } from "./config";

/** Where the policy config keeps the economics. */
export const ECONOMICS_POLICY = "inference-break-even";

export interface EconomicsSource {
  readonly economics: EconomicsConfig;
  /** The policy config read, relative to the project; null when none exists for the environment. */
  readonly file: string | null;
  /** Things the user should know (no policy config). */
  readonly warnings: readonly string[];
  /** The policy config's waivers that hold today (a reason, not expired): the stack-level check leaves out a workload one covers at its evaluated share, as the gate does. */
  readonly waivers: readonly Waiver[];
}

export interface EconomicsSourceOptions {
  /** A policy config to read instead of `policies/config/<environment>.json` (plan's `--policy-config`). @default - the environment's */
  readonly policyConfigFile?: string;
  /** The project directory. @default process.cwd() */
  readonly projectDir?: string;
}

/** `policies/config/<environment>.json` of the project. */
export function policyConfigPath(environment: string, projectDir = process.cwd()): string {
  return path.join(projectDir, "policies", "config", `${environment}.json`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Leaf key paths of a plain object, with their values. */
function leaves(value: unknown, prefix: readonly (string | number)[] = []): [readonly (string | number)[], unknown][] {
  if (!isRecord(value)) return [[prefix, value]];
  const entries = Object.entries(value);
  if (entries.length === 0) return [[prefix, value]];
  return entries.flatMap(([key, child]) => leaves(child, [...prefix, key]));
}

function valueAt(value: unknown, keyPath: readonly (string | number)[]): unknown {
  let node = value;
  for (const key of keyPath) node = isRecord(node) ? node[key as string] : undefined;
  return node;
}

/**
 * The economics for this stack: the policy config's, refusing a stack file that sets a disagreeing value.
 *
 * @throws StackConfigError listing every disagreeing key (stack file and policy config both named),
 *   or the policy config's own problems
 */
export function resolveEconomics(config: StackConfig, stackFile: string, options: EconomicsSourceOptions = {}): EconomicsSource {
  const projectDir = options.projectDir ?? process.cwd();
  const policyFile = options.policyConfigFile !== undefined ? path.resolve(projectDir, options.policyConfigFile) : policyConfigPath(config.environment, projectDir);
  const shownStack = path.basename(stackFile);
  const shownPolicy = path.relative(projectDir, policyFile) || policyFile;
  if (!fs.existsSync(policyFile)) {
    return {
      economics: config.economics,
      file: null,
      warnings: [`no policy config ${shownPolicy}: economics from ${shownStack} or the defaults; the gate in \`pulumi preview\` will use the pack's defaults instead`],
      waivers: [],
    };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(policyFile, "utf8")) as unknown;
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code !== undefined ? `cannot read it (${(error as NodeJS.ErrnoException).code})` : "not valid JSON";
    throw new StackConfigError(shownPolicy, [`${shownPolicy}: ${why}`]);
  }
  if (!isRecord(raw)) throw new StackConfigError(shownPolicy, [`${shownPolicy}: expected a JSON object of policy names to enforcement levels or settings`]);
  const section = isRecord(raw) ? raw[ECONOMICS_POLICY] : undefined;
  const rawEconomics = isRecord(section) ? section.economics : undefined;
  const parsed = economicsConfigSchema.safeParse(rawEconomics ?? {});
  if (!parsed.success) {
    throw new StackConfigError(
      shownPolicy,
      parsed.error.issues.map((i) => `${shownPolicy}: ${ECONOMICS_POLICY}.economics${i.path.length > 0 ? `.${formatKeyPath(i.path)}` : ""}: ${i.message}`),
    );
  }
  const economics = parsed.data;
  const stackEconomics = readStackEconomics(stackFile);
  const problems: string[] = [];
  if (stackEconomics !== undefined) {
    for (const [keyPath, value] of leaves(stackEconomics)) {
      const enforced = valueAt(economics, keyPath);
      if (JSON.stringify(enforced) === JSON.stringify(value)) continue;
      const key = formatKeyPath(keyPath);
      problems.push(
        `${shownStack}: ${CONFIG_NAMESPACE}:economics.${key}: ${JSON.stringify(value)} disagrees with ${shownPolicy} ${ECONOMICS_POLICY}.economics.${key} = ${JSON.stringify(enforced ?? null)}; ` +
          `the economics assumptions live in the policy config (the gate enforces them): remove the key from ${shownStack}, or change the policy config through its owner`,
      );
    }
  }
  if (problems.length > 0) throw new StackConfigError(shownStack, problems);
  return { economics, file: shownPolicy, warnings: [], waivers: validWaivers(section) };
}

/** The waivers the policy config grants today (the gate's rule; the gate itself reports the malformed and expired ones). */
function validWaivers(section: unknown): Waiver[] {
  const waivers = isRecord(section) && Array.isArray(section.waivers) ? section.waivers : [];
  const today = gateToday(isRecord(section) && typeof section.today === "string" ? section.today : undefined);
  return waivers.flatMap((w: unknown) => {
    const parsed = waiverSchema.safeParse(w);
    return parsed.success && waiverProblem(parsed.data, today) === undefined ? [parsed.data] : [];
  });
}

/** The stack file's own `gpu-inference:economics`, as written (no defaults), or undefined. */
function readStackEconomics(stackFile: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(stackFile, "utf8");
  } catch {
    return undefined;
  }
  return namespaceValues(text, path.basename(stackFile)).economics;
}

/** The stack config with its economics taken from the one source. */
export function withResolvedEconomics(config: StackConfig, stackFile: string, options: EconomicsSourceOptions = {}): { config: StackConfig; source: EconomicsSource } {
  const source = resolveEconomics(config, stackFile, options);
  return { config: { ...config, economics: source.economics }, source };
}
