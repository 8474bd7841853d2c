/** The repository stands alone: the test guard records any read outside it (see test/setup/stay-inside-repository.ts). */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { readsOutsideRepository, REPOSITORY_ROOT, takeOutsideReads } from "../setup/stay-inside-repository";

describe("reads outside the repository", () => {
  it("a sibling directory such as ../shared/data counts as outside; the repository, the temp dir and system files do not", () => {
    expect(readsOutsideRepository(path.join(REPOSITORY_ROOT, "..", "shared", "data", "vllm", "flags-v0.26.0.txt"))).toBe(true);
    expect(readsOutsideRepository(path.join(REPOSITORY_ROOT, "test", "fixtures", "vllm", "flags-v0.26.0.txt"))).toBe(false);
    expect(readsOutsideRepository(path.join(os.tmpdir(), "gpu-inference-x", "Pulumi.x.yaml"))).toBe(false);
    expect(readsOutsideRepository("/etc/ssl/certs/ca-certificates.crt")).toBe(false);
    expect(readsOutsideRepository(path.join(os.homedir(), ".pulumi", "credentials.json"))).toBe(false);
    expect(readsOutsideRepository(path.join(os.homedir(), "projects", "data.csv"))).toBe(true);
  });

  it("a test that reads ../shared is caught, whichever fs API it uses", async () => {
    takeOutsideReads();
    const sibling = path.join(REPOSITORY_ROOT, "..", "shared", "data", "vllm", "flags-v0.26.0.txt");
    try {
      fs.readFileSync(sibling, "utf8");
    } catch {
      // absent beside a clone: the guard still recorded the attempt
    }
    await fs.promises.readFile(sibling).catch(() => undefined);
    expect(takeOutsideReads()).toEqual([path.resolve(sibling), path.resolve(sibling)]);
  });

  it("the vLLM reference lists are vendored with their source line", () => {
    const dir = path.join(REPOSITORY_ROOT, "test", "fixtures", "vllm");
    for (const file of ["flags-v0.26.0.txt", "envs-v0.26.0.txt", "metrics-v0.26.0.tsv", "run-batch-flags-v0.26.0.txt"]) {
      expect(fs.readFileSync(path.join(dir, file), "utf8").split("\n")[0], file).toMatch(/^# vLLM v0\.26\.0 \(tag commit [0-9a-f]{40}\)/);
    }
    expect(fs.readFileSync(path.join(dir, "README.md"), "utf8")).toMatch(/copied on \d{4}-\d{2}-\d{2}/i);
  });
});
