/**
 * Every test file runs with this guard: a read of a file outside the repository (say
 * `../shared/data/...`, which exists on the machine the test was written on and nowhere else)
 * fails the file, naming the path. A clone or an `actions/checkout` has only the repository, so
 * data a test needs is vendored under `test/fixtures/` with its source line.
 *
 * Allowed outside the repository: the temp dir (tests write stack variants there), system and
 * runtime locations (`/proc`, `/etc`, `/usr`, …) and tool caches in hidden directories of the home
 * directory (`~/.pulumi`, `~/.npm`, `~/.cache`).
 */
import { createRequire, syncBuiltinESMExports } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll } from "vitest";

// The CommonJS module object: its functions can be replaced (an ESM namespace is read-only), and
// syncBuiltinESMExports() then updates what `import * as fs from "node:fs"` sees.
const fs = createRequire(__filename)("node:fs") as typeof import("node:fs");

export const REPOSITORY_ROOT = path.resolve(__dirname, "..", "..");

const SYSTEM_ROOTS = ["/proc", "/sys", "/dev", "/etc", "/usr", "/lib", "/lib64", "/bin", "/sbin", "/opt", "/nix", "/snap", "/var/lib", "/run"];

function realpathOrSelf(p: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return p;
  }
}

const allowedRoots = [...new Set([REPOSITORY_ROOT, realpathOrSelf(REPOSITORY_ROOT), os.tmpdir(), realpathOrSelf(os.tmpdir()), path.dirname(process.execPath), ...SYSTEM_ROOTS])];

const temp = new Set([os.tmpdir(), realpathOrSelf(os.tmpdir())]);
const checkoutParents = [...new Set([path.dirname(REPOSITORY_ROOT), path.dirname(realpathOrSelf(REPOSITORY_ROOT))])].filter(
  // A checkout directly in the temp dir, the home dir or the filesystem root: its siblings are the tests' temp files, tool caches or the whole system.
  (parent) => !temp.has(parent) && parent !== os.homedir() && parent !== path.parse(parent).root,
);

const within = (file: string, root: string) => file === root || file.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

/** Whether reading `file` (relative paths resolve against the working directory) leaves the repository. */
export function readsOutsideRepository(file: string): boolean {
  const absolute = path.resolve(file);
  if (within(absolute, REPOSITORY_ROOT) || within(absolute, realpathOrSelf(REPOSITORY_ROOT))) return false;
  // A sibling of the checkout (../shared, say) is outside even when the checkout sits somewhere in
  // the temp dir, as a CI clone may (unless its parent is the temp dir itself, where siblings and
  // the tests' own temp files cannot be told apart).
  if (checkoutParents.some((parent) => within(absolute, parent))) return true;
  if (allowedRoots.some((root) => within(absolute, root))) return false;
  const home = os.homedir();
  if (within(absolute, home)) {
    const first = path.relative(home, absolute).split(path.sep)[0] ?? "";
    if (first.startsWith(".")) return false; // a tool's cache or config, not project data
  }
  return true;
}

const outsideReads: string[] = [];

/** The outside reads recorded so far, cleared: for the guard's own test. */
export function takeOutsideReads(): string[] {
  return outsideReads.splice(0, outsideReads.length);
}

function pathOf(target: unknown): string | undefined {
  if (typeof target === "string") return target;
  if (target instanceof URL && target.protocol === "file:") return target.pathname;
  if (Buffer.isBuffer(target)) return target.toString();
  return undefined; // a file descriptor: its open was checked
}

type AnyFunction = (...args: unknown[]) => unknown;

function watch<T extends object>(owner: T, names: readonly (keyof T & string)[]): void {
  for (const name of names) {
    const original = owner[name] as unknown as AnyFunction | undefined;
    if (typeof original !== "function") continue;
    const wrapped = function (this: unknown, ...args: unknown[]) {
      const file = pathOf(args[0]);
      if (file !== undefined && readsOutsideRepository(file)) outsideReads.push(path.resolve(file));
      return original.apply(this, args);
    };
    Object.defineProperty(wrapped, "name", { value: name });
    (owner as Record<string, unknown>)[name] = wrapped;
  }
}

watch(fs, ["readFileSync", "readFile", "openSync", "open", "createReadStream", "readdirSync", "readdir", "opendirSync"]);
watch(fs.promises, ["readFile", "open", "readdir", "opendir"]);
syncBuiltinESMExports();

afterAll(() => {
  const reads = [...new Set(takeOutsideReads())];
  if (reads.length > 0) {
    throw new Error(`this test file read outside the repository, which a clone does not have:\n${reads.map((r) => `  ${r}`).join("\n")}\nVendor the data into test/fixtures/ with its source line.`);
  }
});
