import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Nothing may read outside the repository: a clone has no ../shared. The SDK's unused parts load on first use, as in the CLI.
    setupFiles: ["test/setup/stay-inside-repository.ts", "test/setup/defer-sdk-modules.ts"],
    // Two cores on CI: forks isolate Pulumi's global mock state between files.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
