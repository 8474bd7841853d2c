/**
 * A policy pack transpiled to JavaScript once and cached by content, so the analyzer starts
 * without type-checking the pack.
 *
 * `run-policy-pack` registers ts-node with `typeCheck: true` for every TypeScript pack, which makes
 * a cold analyzer start spend most of its time type-checking (measured: ~74 % of 11–18 s on two
 * cores). The repository type-checks the pack in `npm test` (`tsc --noEmit`), so the offline plan
 * and the tests run a transpiled copy instead: every `.ts` file transpiled one-to-one with esbuild
 * (no bundling, so `__dirname`-relative data files and `require` of JSON keep working), every other
 * file copied, `main` pointed at the `.js` entry. The copy lives under the nearest `node_modules`
 * that holds the pack's dependencies, in a directory named by a hash of the pack's files, so any
 * edit makes a new copy and two processes racing to build it agree. The published pack
 * (`pulumi preview --policy-pack policies`) is the TypeScript source, untouched.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { transformSync, version as esbuildVersion } from "esbuild";

/** Directories of a pack that are never part of it. */
const SKIPPED_DIRECTORIES = new Set(["node_modules", ".git", "bin", "dist"]);

/** Every file of the pack, relative to its directory, sorted (the hash must not depend on readdir order). */
function packFiles(packDir: string): string[] {
  const files: string[] = [];
  const walk = (relative: string) => {
    for (const entry of fs.readdirSync(path.join(packDir, relative), { withFileTypes: true })) {
      const child = path.join(relative, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name)) walk(child);
      } else if (entry.isFile()) {
        files.push(child);
      }
    }
  };
  walk("");
  return files.sort();
}

/** The `node_modules` directory the pack resolves `@pulumi/policy` from: the cache goes inside it so the copy resolves the same dependencies. */
function dependencyRoot(packDir: string): string {
  const manifest = require.resolve("@pulumi/policy/package.json", { paths: [packDir] });
  // .../node_modules/@pulumi/policy/package.json → .../node_modules
  return path.resolve(path.dirname(manifest), "..", "..");
}

/** The cache key: esbuild's version and every file's path and bytes. */
export function packContentHash(packDir: string): string {
  const hash = createHash("sha256");
  hash.update(`esbuild ${esbuildVersion}\n`);
  for (const file of packFiles(packDir)) {
    hash.update(`${file}\n`);
    hash.update(fs.readFileSync(path.join(packDir, file)));
    hash.update("\n");
  }
  return hash.digest("hex").slice(0, 16);
}

/**
 * The directory of a transpiled copy of `packDir`, built on first use. Throws with the file name
 * on a syntax error (type errors are `tsc`'s job, not this one's).
 */
export function compiledPackDir(packDir: string): string {
  const source = path.resolve(packDir);
  const cacheRoot = path.join(dependencyRoot(source), ".cache", "gpu-inference-policy-pack");
  const target = path.join(cacheRoot, `${path.basename(source)}-${packContentHash(source)}`);
  if (fs.existsSync(path.join(target, "package.json"))) return target;

  fs.mkdirSync(cacheRoot, { recursive: true });
  const staging = fs.mkdtempSync(path.join(cacheRoot, ".staging-"));
  try {
    for (const file of packFiles(source)) {
      const from = path.join(source, file);
      if (file === "tsconfig.json") continue; // without it ts-node is told to skip project loading
      if (file.endsWith(".ts") && !file.endsWith(".d.ts")) {
        const out = path.join(staging, file.replace(/\.ts$/, ".js"));
        fs.mkdirSync(path.dirname(out), { recursive: true });
        const { code } = transformSync(fs.readFileSync(from, "utf8"), { loader: "ts", format: "cjs", platform: "node", target: "node20", sourcefile: from });
        fs.writeFileSync(out, code);
      } else if (file === "package.json") {
        const manifest = JSON.parse(fs.readFileSync(from, "utf8")) as { main?: string };
        manifest.main = (manifest.main ?? "index.js").replace(/\.ts$/, ".js");
        fs.writeFileSync(path.join(staging, file), `${JSON.stringify(manifest, null, 2)}\n`);
      } else if (!file.endsWith(".d.ts")) {
        fs.mkdirSync(path.dirname(path.join(staging, file)), { recursive: true });
        fs.copyFileSync(from, path.join(staging, file));
      }
    }
    // A pack with its own dependencies (not hoisted) keeps resolving them.
    const ownModules = path.join(source, "node_modules");
    if (fs.existsSync(ownModules)) fs.symlinkSync(ownModules, path.join(staging, "node_modules"), "dir");
    try {
      fs.renameSync(staging, target);
    } catch (error) {
      // Another process built the same content first: its copy is identical.
      if (!fs.existsSync(path.join(target, "package.json"))) throw error;
      fs.rmSync(staging, { recursive: true, force: true });
    }
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return target;
}
