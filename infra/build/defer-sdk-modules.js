// @ts-check
/**
 * Loads three parts of `@pulumi/pulumi` on first use instead of at start-up.
 *
 * Requiring the SDK's index loads, eagerly, the TypeScript compiler (8.9 MB, for closure
 * serialization), npm's arborist with pacote and sigstore (for the same), and the Automation API.
 * The offline commands and the policy pack's analyzer use none of them; loading them costs
 * ~0.9 s of CPU in every process that loads the SDK (measured: the SDK's index takes 1.2–1.4 s to
 * load, 0.35 s with these deferred). Each is replaced by a stand-in that loads the real module
 * the first time anything reads from it, so code that does use them (`pulumi.automation`,
 * `pulumi.runtime.serializeFunction`) still works, one load later.
 *
 * Nothing in node_modules changes: this is a hook on Node's module loader in the processes the
 * project starts (the CLI launcher and, through `--require`, the analyzer). `pulumi up` runs the
 * program through the Pulumi CLI, without it.
 */
"use strict";
const Module = require("node:module");
const path = require("node:path");

/**
 * Each deferred `require`: the SDK file that makes it (relative to the `@pulumi/pulumi` package)
 * and the exact request string in that file (`@pulumi/pulumi` 3.248.0; a test checks both still
 * occur there, so an SDK upgrade that moves them is noticed instead of silently loading them again).
 */
const DEFERRED_REQUIRES = Object.freeze([
  Object.freeze({ from: "index.js", request: "./automation" }),
  Object.freeze({ from: path.join("runtime", "closure", "parseFunction.js"), request: "../../typescript-shim" }),
  Object.freeze({ from: path.join("runtime", "closure", "codePaths.js"), request: "@npmcli/arborist" }),
]);

const SDK_DIRECTORY = `${path.sep}${path.join("node_modules", "@pulumi", "pulumi")}${path.sep}`;

/**
 * A stand-in for a module's exports that loads the module on first use. It answers
 * `__esModule` itself (true), so TypeScript's `__importStar` helper, which the SDK wraps these
 * requires in, returns the stand-in instead of copying every key (which would load the module).
 * @param {() => any} load
 */
function deferredExports(load) {
  /** @type {any} */
  let loaded;
  const real = () => (loaded ??= load());
  return new Proxy(Object.create(null), {
    get: (_, key) => (key === "__esModule" ? true : Reflect.get(real(), key)),
    set: (_, key, value) => Reflect.set(real(), key, value),
    has: (_, key) => key === "__esModule" || Reflect.has(real(), key),
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(real(), key);
      // A proxy may not report a non-configurable property its (empty) target lacks.
      return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
    },
  });
}

let installed = false;

/** Install the hook in this process (idempotent). Call before anything loads `@pulumi/pulumi`. */
function deferSdkModules() {
  if (installed) return;
  installed = true;
  /** @type {(request: string, parent: NodeJS.Module | undefined, isMain: boolean) => any} */
  // @ts-expect-error Module._load is internal to Node and untyped; it is the loader's entry point for every require.
  const load = Module._load;
  // @ts-expect-error see above
  Module._load = function deferringLoad(request, parent, isMain) {
    const from = parent?.filename;
    if (from !== undefined && from !== null) {
      const at = from.lastIndexOf(SDK_DIRECTORY);
      if (at !== -1) {
        const relative = from.slice(at + SDK_DIRECTORY.length);
        if (DEFERRED_REQUIRES.some((d) => d.from === relative && d.request === request)) {
          return deferredExports(() => load.call(this, request, parent, isMain));
        }
      }
    }
    return load.call(this, request, parent, isMain);
  };
}

module.exports = { deferSdkModules, DEFERRED_REQUIRES };
