import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Two cores on CI: forks isolate Pulumi's global mock state between files.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
