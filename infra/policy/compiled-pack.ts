/**
 * The policy pack as the analyzer runs it offline: a transpiled copy, cached by content.
 *
 * `run-policy-pack` registers ts-node with `typeCheck: true` for every TypeScript pack, so a cold
 * analyzer start spends most of its time type-checking the pack (measured: 9.3–9.7 s of CPU to the
 * analyzer's port, against 2.3–2.8 s for the transpiled copy). The repository type-checks the pack
 * in `npm test`, so `npm run plan` and the tests run the copy; the published pack
 * (`pulumi preview --policy-pack policies`) is the TypeScript source, untouched.
 */
import * as path from "node:path";
import { transpiledCopy } from "../build/transpile-cache";

/** The `node_modules` the pack resolves `@pulumi/policy` from: the copy goes inside it, so it resolves the same dependencies. */
function dependencyRoot(packDir: string): string {
  const manifest = require.resolve("@pulumi/policy/package.json", { paths: [packDir] });
  // .../node_modules/@pulumi/policy/package.json → .../node_modules
  return path.resolve(path.dirname(manifest), "..", "..");
}

/**
 * The directory of a transpiled copy of `packDir`, built on first use. Without the pack's
 * tsconfig.json, ts-node (which the analyzer still registers) skips loading a project.
 */
export function compiledPackDir(packDir: string): string {
  const source = path.resolve(packDir);
  return transpiledCopy({
    root: source,
    directories: [""],
    cacheRoot: path.join(dependencyRoot(source), ".cache", "gpu-inference"),
    name: `pack-${path.basename(source)}`,
    skipFiles: ["tsconfig.json"],
  });
}
