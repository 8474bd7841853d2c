/** `npm run clone` end to end: a child process in a temp project, real stack files. */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { loadStackConfigFile } from "../../infra/config";
import { DEV_STACK_FILE, REPO_ROOT, tempProject } from "../fixtures/stack-files";

/** The product entrypoint `npm run <command>` calls. */
const LAUNCHER = path.join(REPO_ROOT, "bin", "gpu-inference.js");
const SECRET_CIPHERTEXT = "v1:Zm9yLXRlc3RzLW9ubHk=:c2VjcmV0LWNpcGhlcnRleHQ=";

let project: ReturnType<typeof tempProject>;
beforeEach(() => {
  project = tempProject();
  // The dev stack as a user has it: with an encrypted secret and the stack's encryption salt.
  const text = fs.readFileSync(DEV_STACK_FILE, "utf8").replace("config:\n", `encryptionsalt: v1:c2FsdA==:abc\nconfig:\n  gpu-inference:huggingFaceToken:\n    secure: ${SECRET_CIPHERTEXT}\n`);
  fs.writeFileSync(path.join(project.dir, "Pulumi.dev.yaml"), text);
});
afterEach(() => project.cleanup());

function clone(args: string[]) {
  const run = spawnSync(process.execPath, [LAUNCHER, "clone", ...args], { cwd: project.dir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}
const target = (name: string) => path.join(project.dir, `Pulumi.${name}.yaml`);

describe("npm run clone", () => {
  it("writes a validated stack for one workload with the settings applied, and prints its verdict", () => {
    const run = clone(["--from", "dev", "--to", "team-b", "--workload", "document-processing", "--set", "workloads[0].traffic.requestsPerMonth=8000000", "--set", "tenants[1].gpuQuota=6"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Wrote Pulumi.team-b.yaml (from Pulumi.dev.yaml).");
    expect(run.stdout).toMatch(/│ document-processing │ batch\s+│ (own|api|hybrid)/);
    const config = loadStackConfigFile(target("team-b"));
    expect(config.workloads.map((w) => w.name)).toEqual(["document-processing"]);
    expect(config.workloads[0]!.traffic.requestsPerMonth).toBe(8_000_000);
    expect(config.tenants[1]!.gpuQuota).toBe(6);
    expect(config.cluster.name).toBe("gpu-inference-team-b"); // two stacks never share one cluster
    expect(fs.readFileSync(target("team-b"), "utf8")).toContain("# the office VPN's egress; replace with yours"); // comments survive
  });

  it("never copies secrets or the encryption salt, and says which secrets to set", () => {
    const run = clone(["--from", "dev", "--to", "team-b"]);
    expect(run.code).toBe(0);
    const text = fs.readFileSync(target("team-b"), "utf8");
    expect(text).not.toContain(SECRET_CIPHERTEXT);
    expect(text).not.toContain("huggingFaceToken");
    expect(parseDocument(text).toJS()).not.toHaveProperty("encryptionsalt");
    expect(run.stdout).toContain("pulumi config set --secret gpu-inference:huggingFaceToken --stack team-b");
  });

  it("refuses to overwrite an existing stack file unless told to", () => {
    fs.writeFileSync(target("team-b"), "config: {}\n");
    const refused = clone(["--from", "dev", "--to", "team-b"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("Pulumi.team-b.yaml exists; pass --force to overwrite it");
    expect(fs.readFileSync(target("team-b"), "utf8")).toBe("config: {}\n");
    expect(clone(["--from", "dev", "--to", "team-b", "--force"]).code).toBe(0);
    expect(loadStackConfigFile(target("team-b")).workloads).toHaveLength(3);
  });

  it("names a bad --set path and writes nothing", () => {
    const run = clone(["--from", "dev", "--to", "team-c", "--set", "workloads[0].trafic.requestsPerMonth=1"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("gpu-inference:workloads[0].trafic.requestsPerMonth does not exist in the source stack");
    expect(fs.existsSync(target("team-c"))).toBe(false);
  });

  it("refuses a value the schema rejects, naming the new file and key, and writes nothing", () => {
    const run = clone(["--from", "dev", "--to", "team-c", "--set", "workloads[2].serving.minReplicas=0"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Pulumi.team-c.yaml: gpu-inference:workloads[2].serving.minReplicas: expected at least 1 for an interactive tier");
    expect(fs.readdirSync(project.dir).filter((f) => f.startsWith("Pulumi.team-c"))).toEqual([]);
  });

  it("refuses an unknown workload and a missing source stack", () => {
    const unknown = clone(["--from", "dev", "--to", "team-d", "--workload", "nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no such workload in");
    expect(clone(["--from", "staging", "--to", "team-d"]).code).toBe(2);
  });

  it("refuses a source stack with a plain-text token and writes nothing", () => {
    const token = "hf_abcdefghijklmnopqrstuvwxyz012345";
    const source = path.join(project.dir, "Pulumi.dev.yaml");
    fs.writeFileSync(source, fs.readFileSync(source, "utf8").replace(/ {2}gpu-inference:huggingFaceToken:\n {4}secure: .*\n/, `  gpu-inference:huggingFaceToken: ${token}\n`));
    const run = clone(["--from", "dev", "--to", "team-b"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Pulumi.dev.yaml: gpu-inference:huggingFaceToken: a secret in plain text");
    expect(run.stderr + run.stdout).not.toContain(token);
    expect(fs.existsSync(target("team-b"))).toBe(false);
  });
});
