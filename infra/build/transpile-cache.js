// @ts-check
/**
 * A JavaScript copy of TypeScript directories, transpiled once and cached by content.
 *
 * Plain JavaScript on purpose: the CLI launcher (`bin/gpu-inference.js`) needs it before anything
 * can load TypeScript. Every `.ts` file is transpiled one-to-one with esbuild (no bundling, no type
 * check: `npm test` type-checks with tsc), so `__dirname`-relative data files and `require` of JSON
 * behave as in the source tree; every other file is copied; a `package.json` whose `main` is a
 * `.ts` file points at the `.js` one. The copy lives in `node_modules/.cache/gpu-inference/` of the
 * project, named by a hash of esbuild's version and every file's path and bytes, so any edit makes
 * a new copy and concurrent builders of the same content agree (the first rename wins).
 */
"use strict";
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const esbuild = require("esbuild");

/** Directory names that are never part of a copy. */
const SKIPPED_DIRECTORIES = new Set(["node_modules", ".git", "dist", "coverage"]);

/**
 * Every file under `root`'s `directories`, relative to `root`, sorted (the hash must not depend
 * on readdir order).
 * @param {string} root
 * @param {readonly string[]} directories
 * @returns {string[]}
 */
function filesOf(root, directories) {
  /** @type {string[]} */
  const files = [];
  /** @param {string} relative */
  const walk = (relative) => {
    for (const entry of fs.readdirSync(path.join(root, relative), { withFileTypes: true })) {
      const child = relative === "" ? entry.name : path.join(relative, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) walk(child);
      } else if (entry.isFile()) {
        files.push(child);
      }
    }
  };
  for (const directory of directories) walk(directory);
  return files.sort();
}

/**
 * The cache key of `directories` under `root`.
 * @param {string} root
 * @param {readonly string[]} directories
 */
function contentHash(root, directories) {
  const hash = createHash("sha256");
  hash.update(`esbuild ${esbuild.version}\n`);
  for (const file of filesOf(root, directories)) {
    hash.update(`${file}\n`);
    hash.update(fs.readFileSync(path.join(root, file)));
    hash.update("\n");
  }
  return hash.digest("hex").slice(0, 16);
}

/**
 * The root of a transpiled copy of `directories` (relative to `root`; `[""]` for all of `root`),
 * built on first use under `cacheRoot`. A syntax error names its file.
 * @param {{ root: string, directories: readonly string[], cacheRoot: string, name: string, skipFiles?: readonly string[] }} options
 * @returns {string}
 */
function transpiledCopy(options) {
  const root = path.resolve(options.root);
  const skip = new Set(options.skipFiles ?? []);
  const target = path.join(options.cacheRoot, `${options.name}-${contentHash(root, options.directories)}`);
  if (fs.existsSync(path.join(target, ".complete"))) return target;

  fs.mkdirSync(options.cacheRoot, { recursive: true });
  const staging = fs.mkdtempSync(path.join(options.cacheRoot, ".staging-"));
  try {
    /** @type {string[]} */
    const typescript = [];
    for (const file of filesOf(root, options.directories)) {
      if (skip.has(path.basename(file)) || file.endsWith(".d.ts")) continue;
      const from = path.join(root, file);
      const to = path.join(staging, file);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      if (file.endsWith(".ts")) {
        typescript.push(from);
      } else if (path.basename(file) === "package.json") {
        const manifest = JSON.parse(fs.readFileSync(from, "utf8"));
        if (typeof manifest.main === "string") manifest.main = manifest.main.replace(/\.ts$/, ".js");
        fs.writeFileSync(to, `${JSON.stringify(manifest, null, 2)}\n`);
      } else {
        fs.copyFileSync(from, to);
      }
    }
    // One esbuild call for every file (it transpiles them in parallel), each still one-to-one: no bundling,
    // and no tsconfig read (`tsconfigRaw`), so the output is what a per-file transform gives.
    if (typescript.length > 0) {
      esbuild.buildSync({ entryPoints: typescript, outbase: root, outdir: staging, bundle: false, format: "cjs", platform: "node", target: "node20", tsconfigRaw: {}, logLevel: "silent" });
    }
    fs.writeFileSync(path.join(staging, ".complete"), "");
    try {
      fs.renameSync(staging, target);
    } catch (error) {
      // Another process built the same content first: its copy is identical.
      if (!fs.existsSync(path.join(target, ".complete"))) throw error;
      fs.rmSync(staging, { recursive: true, force: true });
    }
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return target;
}

module.exports = { transpiledCopy, contentHash };
