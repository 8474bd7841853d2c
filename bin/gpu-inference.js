#!/usr/bin/env node
// @ts-check
/**
 * `gpu-inference <command> [options]`: the operator CLIs (cost, plan, clone, ...) run as plain
 * JavaScript. The project's TypeScript (infra/, components/, policies/) is transpiled once into a
 * cache keyed by its content (infra/build/transpile-cache.js), then the command's module is loaded
 * from there: no TypeScript loader at start-up, no source-map work on every stack the Pulumi SDK
 * captures. `npm run <command>` calls this.
 */
"use strict";
const path = require("node:path");
// Before anything loads the Pulumi SDK: its parts no command uses load on first use (~0.9 s).
require("../infra/build/defer-sdk-modules").deferSdkModules();
const { transpiledCopy } = require("../infra/build/transpile-cache");

const PROJECT_ROOT = path.resolve(__dirname, "..");

/** `infra/cli/<command>.ts` exports `<command>Command()` (camel case): a commander Command. */
function factoryName(command) {
  return `${command.replace(/-([a-z])/g, (_, c) => c.toUpperCase())}Command`;
}

/** Commands: the modules of infra/cli that export their factory. Read only to print usage. */
function commands() {
  const fs = require("node:fs");
  const dir = path.join(PROJECT_ROOT, "infra", "cli");
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => f.slice(0, -3))
    .filter((name) => fs.readFileSync(path.join(dir, `${name}.ts`), "utf8").includes(`export function ${factoryName(name)}(`));
}

function main() {
  const [command, ...args] = process.argv.slice(2);
  const fs = require("node:fs");
  if (command === undefined || !/^[a-z][a-z-]*$/.test(command) || !fs.existsSync(path.join(PROJECT_ROOT, "infra", "cli", `${command}.ts`))) {
    process.stderr.write(`usage: gpu-inference <command> [options]\ncommands: ${commands().join(", ")}\n`);
    process.exitCode = 2;
    return;
  }
  const root = transpiledCopy({
    root: PROJECT_ROOT,
    directories: ["infra", "components", "policies"],
    cacheRoot: path.join(PROJECT_ROOT, "node_modules", ".cache", "gpu-inference"),
    name: "cli",
  });
  const factory = require(path.join(root, "infra", "cli", `${command}.js`))[factoryName(command)];
  if (typeof factory !== "function") {
    process.stderr.write(`usage: gpu-inference <command> [options]\ncommands: ${commands().join(", ")}\n`);
    process.exitCode = 2;
    return;
  }
  const { runCli } = require(path.join(root, "infra", "cli", "common.js"));
  // Commands that run another command (pr-check runs plan) start it through this launcher.
  process.env.GPU_INFERENCE_LAUNCHER = __filename;
  // commander reads the program name from argv[1].
  process.argv = [process.argv[0], path.join(PROJECT_ROOT, "infra", "cli", `${command}.ts`), ...args];
  void runCli(factory());
}

main();
