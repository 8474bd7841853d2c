/**
 * The README's promises stay true: its quickstart commands exist, CI runs its test command, its
 * dev-stack figures are what `npm run cost` says, and every command in it and in the walkthrough
 * docs is runnable — each `npm run X -- flags` names a real script whose command accepts those
 * flags (parsed by the command's own commander definition, in-process, nothing run), and each
 * `pulumi` command names a stack file, the policy pack and a policy config that exist.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { loadStackConfigFile } from "../../infra/config";
import { withResolvedEconomics } from "../../infra/economics-source";
import { evaluateStack } from "../../infra/stack-economics";
import { DEV_STACK_FILE, REPO_ROOT } from "../fixtures/stack-files";

const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
const scripts = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

describe("README", () => {
  it("quickstart: every npm script it names exists, and CI runs its test command", () => {
    const named = [...readme.matchAll(/npm run ([a-z-]+)/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(0);
    for (const script of new Set(named)) expect(scripts, `npm run ${script}`).toHaveProperty(script);
    expect(readme).toContain("npm ci && npm run cost -- --stack dev");
    expect(fs.readFileSync(path.join(REPO_ROOT, ".ci", "run"), "utf8")).toMatch(/^npm test$/m);
  });

  it("shows the dev stack's verdicts, utilizations and monthly costs as npm run cost computes them", () => {
    const { config } = withResolvedEconomics(loadStackConfigFile(DEV_STACK_FILE), DEV_STACK_FILE, { projectDir: REPO_ROOT });
    const evaluation = evaluateStack(config, "dev", { cheapestShape: false });
    const pct = (x: number | null) => (x === null ? "none" : `${(x * 100).toFixed(1)}%`);
    const usd = (x: number) => `$${Math.round(x).toLocaleString("en-US")}`;
    for (const w of evaluation.workloads) {
      const row = readme.split("\n").find((line) => line.startsWith(`| ${w.name} (`));
      expect(row, w.name).toBeDefined();
      const cells = row!.split("|").map((c) => c.trim());
      expect(cells.slice(2, 8), w.name).toEqual([w.tier, w.verdict, pct(w.modeledUtilization), pct(w.requiredUtilization), usd(w.ownedMonthlyUsd), usd(w.apiMonthlyUsd)]);
    }
  });
});

/** The files whose commands a newcomer copies: the README and the walkthrough docs. */
const WALKTHROUGH = ["README.md", "docs/pull-requests.md", "docs/rollout.md", "docs/teardown.md"];

/** Shell words of one command line (quotes removed), stopping at a comment, `&&`, `;` or `|`. */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
    const word = m[1] ?? m[2] ?? m[3]!;
    if (m[3] !== undefined && (word.startsWith("#") || word === "&&" || word === ";" || word === "|")) break;
    out.push(word);
  }
  return out;
}

interface DocCommand {
  readonly file: string;
  readonly text: string;
  readonly argv: string[];
}

/** Every `npm run …` and `pulumi …` command in code blocks and inline code. */
function commandsIn(file: string): DocCommand[] {
  const text = fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
  const out: DocCommand[] = [];
  for (const m of text.matchAll(/(?:^\s*|`|&& )((?:npm run|pulumi) [^`\n]*)/gm)) {
    const line = m[1]!.replace(/\s+\\$/, "");
    if (line.includes("…")) continue; // an abbreviated mention in prose, not a command to copy
    const argv = words(line);
    out.push({ file, text: argv.join(" "), argv });
  }
  return out;
}

/**
 * The command a script runs, when it is one of our commander CLIs: `node bin/gpu-inference.js <name>`
 * loads `infra/cli/<name>.ts`'s `<name>Command()` (camel case), as the launcher does.
 */
async function cliFor(script: string): Promise<Command | undefined> {
  const match = /^node bin\/gpu-inference\.js ([a-z][a-z-]*)$/.exec(scripts[script] ?? "");
  if (match === null) return undefined;
  const name = match[1]!;
  const mod = (await import(path.join(REPO_ROOT, "infra", "cli", `${name}.ts`))) as Record<string, unknown>;
  const factory = mod[`${name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())}Command`];
  expect(typeof factory, `infra/cli/${name}.ts exports its …Command() factory`).toBe("function");
  return (factory as () => Command)();
}

/** Parse argv with the command's own definition, every action replaced by a no-op. */
async function parseOnly(command: Command, argv: string[]): Promise<string | null> {
  const errors: string[] = [];
  const neutralize = (c: Command) => {
    c.exitOverride().configureOutput({ writeOut: () => undefined, writeErr: (s) => void errors.push(s) });
    c.action(() => undefined);
    c.commands.forEach(neutralize);
  };
  neutralize(command);
  try {
    await command.parseAsync(argv, { from: "user" });
    return null;
  } catch (error) {
    return `${(error as Error).message} ${errors.join("")}`.trim();
  }
}

describe("every command in the README and the walkthrough docs runs", () => {
  const commands = WALKTHROUGH.flatMap(commandsIn);

  it("finds the commands a newcomer copies", () => {
    const texts = commands.map((c) => c.text);
    expect(texts).toContain("npm run cost -- --stack dev");
    expect(texts).toContain("npm run plan -- --stack dev --base origin/main");
    expect(texts.some((t) => t.startsWith("pulumi destroy --stack prod"))).toBe(true);
    for (const file of WALKTHROUGH) expect(commands.some((c) => c.file === file), file).toBe(true);
  });

  it("npm run X -- flags: a real script, and its command accepts the flags", { timeout: 120_000 }, async () => {
    const problems: string[] = [];
    for (const c of commands.filter((c) => c.argv[0] === "npm")) {
      const [, , script, separator, ...rest] = c.argv;
      if (scripts[script!] === undefined) {
        problems.push(`${c.file}: \`${c.text}\`: no npm script "${script}"`);
        continue;
      }
      const args = separator === "--" ? rest : separator === undefined ? [] : [separator, ...rest];
      const cli = await cliFor(script!);
      if (args.length === 0) continue; // `npm run clone` named in prose: the script exists, that is the claim
      if (cli === undefined) {
        if (args.length > 0) problems.push(`${c.file}: \`${c.text}\`: "${script}" takes no flags`);
        continue;
      }
      const error = await parseOnly(cli, args);
      if (error !== null) problems.push(`${c.file}: \`${c.text}\`: ${error}`);
    }
    expect(problems).toEqual([]);
  });

  it("pulumi commands: the stack file, the policy pack and its config exist", () => {
    const problems: string[] = [];
    for (const c of commands.filter((c) => c.argv[0] === "pulumi")) {
      const flag = (name: string) => {
        const at = c.argv.indexOf(name);
        return at === -1 ? undefined : c.argv[at + 1];
      };
      const stack = flag("--stack") ?? (c.argv[1] === "stack" && c.argv[2] === "rm" ? c.argv[3] : undefined);
      if (stack !== undefined && !fs.existsSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`))) problems.push(`${c.file}: \`${c.text}\`: no Pulumi.${stack}.yaml`);
      const pack = flag("--policy-pack");
      if (pack !== undefined && !fs.existsSync(path.join(REPO_ROOT, pack, "PulumiPolicy.yaml"))) problems.push(`${c.file}: \`${c.text}\`: no policy pack at ${pack}`);
      const config = flag("--policy-pack-config");
      if (config !== undefined && !fs.existsSync(path.join(REPO_ROOT, config))) problems.push(`${c.file}: \`${c.text}\`: no ${config}`);
    }
    expect(problems).toEqual([]);
  });

  it("a misspelt flag is caught (the check is not vacuous)", async () => {
    expect(await parseOnly((await cliFor("plan"))!, ["--stack", "dev", "--bsae", "origin/main"])).toMatch(/unknown option '--bsae'/);
    expect(await parseOnly((await cliFor("pr-check"))!, ["comment", "--out", "x.md"])).toMatch(/required option '-b, --base <git-ref>' not specified/);
  }, 120_000);

  it("every relative link of the README leads to a file", () => {
    const pending: string[] = [];
    const links = [...readme.matchAll(/\]\(([^)#]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
    expect(links.length).toBeGreaterThan(5);
    const missing = links.filter((l) => !fs.existsSync(path.join(REPO_ROOT, l)) && !pending.includes(l));
    expect(missing).toEqual([]);
  });
});
