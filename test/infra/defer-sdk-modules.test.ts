/** The SDK parts offline commands never use load on first use, and still work when something does use them. */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFERRED_REQUIRES } from "../../infra/build/defer-sdk-modules";
import { REPO_ROOT } from "../fixtures/stack-files";

const SDK = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [REPO_ROOT] }));
const HOOK = path.join(REPO_ROOT, "infra", "build", "defer-sdk-modules.js");

/** Loads the SDK (with or without the hook) in a fresh process and reports what got loaded, then uses the deferred parts. */
function loadSdk(withHook: boolean): { typescriptLoaded: boolean; arboristLoaded: boolean; automationLoaded: boolean; workspaceIsClass: boolean; serialized: string } {
  const script = `
    ${withHook ? `require(${JSON.stringify(HOOK)}).deferSdkModules();` : ""}
    const pulumi = require("@pulumi/pulumi");
    const loaded = (part) => Object.keys(require.cache).some((file) => file.includes(part));
    const before = { typescriptLoaded: loaded("/typescript/lib/"), arboristLoaded: loaded("/@npmcli/arborist/"), automationLoaded: loaded("/@pulumi/pulumi/automation/") };
    const answer = 42;
    pulumi.runtime.serializeFunction(() => answer).then((s) => {
      process.stdout.write(JSON.stringify({ ...before, workspaceIsClass: typeof pulumi.automation.LocalWorkspace === "function", serialized: s.text }));
    });`;
  const run = spawnSync(process.execPath, ["-e", script], { cwd: REPO_ROOT, encoding: "utf8" });
  // (Closure serialization loads every Node builtin, so stderr carries their deprecation warnings.)
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as ReturnType<typeof loadSdk>;
}

describe("deferSdkModules", () => {
  it("names requires the pinned SDK really makes (an SDK upgrade that moves one fails here, not silently)", () => {
    for (const deferred of DEFERRED_REQUIRES) {
      const source = fs.readFileSync(path.join(SDK, deferred.from), "utf8");
      expect(source, deferred.from).toContain(`require(${JSON.stringify(deferred.request)})`);
    }
  });

  it("keeps the TypeScript compiler, arborist and the Automation API out of start-up; they still work on first use", () => {
    const plain = loadSdk(false);
    const deferred = loadSdk(true);
    expect(plain).toMatchObject({ typescriptLoaded: true, arboristLoaded: true, automationLoaded: true });
    expect(deferred).toMatchObject({ typescriptLoaded: false, arboristLoaded: false, automationLoaded: false, workspaceIsClass: true });
    // Closure serialization (which uses the compiler and arborist) gives the same code either way.
    expect(deferred.serialized).toContain("answer");
    expect(deferred.serialized).toBe(plain.serialized);
  });
});
