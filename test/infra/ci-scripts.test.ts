/**
 * The test command needs no manual step: `npm test` runs .ci/ensure-prometheus first, which
 * installs Prometheus where apt-get is usable and otherwise stops with the instruction — never a
 * silent skip. Run against a PATH of stubs, so nothing is installed here.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../fixtures/stack-files";

const SCRIPT = path.join(REPO_ROOT, ".ci", "ensure-prometheus");
const BASH = "/bin/bash";
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A bin dir holding only the tools the script uses, plus stubs written by the test. */
function stubPath(stubs: Record<string, string>): { bin: string; log: string } {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "ensure-prometheus-"));
  dirs.push(bin);
  for (const tool of ["env", "sed", "cat", "chmod"]) {
    const real = spawnSync(BASH, ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
    fs.symlinkSync(real, path.join(bin, tool));
  }
  const log = path.join(bin, "calls.log");
  for (const [name, body] of Object.entries(stubs)) {
    fs.writeFileSync(path.join(bin, name), `#!${BASH}\necho "${name} $*" >> ${log}\n${body}\n`, { mode: 0o755 });
  }
  return { bin, log };
}

const run = (bin: string) => spawnSync(BASH, [SCRIPT], { encoding: "utf8", env: { PATH: bin, HOME: os.tmpdir() } });
const calls = (log: string) => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []);
const FAKE_PROMETHEUS = (bin: string) => `[ "$1" = install ] && printf '#!${BASH}\\necho "prometheus, version 2.53.3"\\n' > ${bin}/prometheus && chmod +x ${bin}/prometheus; true`;

describe(".ci/ensure-prometheus (npm test's pretest)", () => {
  it("does nothing when prometheus is on PATH", () => {
    const { bin, log } = stubPath({ prometheus: "true", "apt-get": "exit 1", id: "echo 0" });
    const result = run(bin);
    expect(result.status).toBe(0);
    expect(calls(log)).toEqual([]);
  });

  it("as root with apt-get: installs Debian's package, then goes on", () => {
    const { bin, log } = stubPath({ id: "echo 0" });
    fs.writeFileSync(path.join(bin, "apt-get"), `#!${BASH}\necho "apt-get $*" >> ${log}\n${FAKE_PROMETHEUS(bin)}\n`, { mode: 0o755 });
    const result = run(bin);
    expect(result.status, result.stderr).toBe(0);
    expect(calls(log)).toEqual(["id -u", "apt-get update -q", "apt-get install -y -q --no-install-recommends prometheus"]);
    expect(result.stderr).toContain("prometheus, version 2.53.3");
  });

  it("as a user with password-less sudo (GitHub's runners): installs through sudo", () => {
    const { bin, log } = stubPath({ id: "echo 1001", sudo: '[ "$1" = -n ] && [ "$2" = true ] && exit 0; exec "$@"' });
    fs.writeFileSync(path.join(bin, "apt-get"), `#!${BASH}\necho "apt-get $*" >> ${log}\n${FAKE_PROMETHEUS(bin)}\n`, { mode: 0o755 });
    const result = run(bin);
    expect(result.status, result.stderr).toBe(0);
    expect(calls(log)).toContain("sudo env apt-get install -y -q --no-install-recommends prometheus");
  });

  it("without a way to install: exit 1 with the instruction, before any test runs", () => {
    const { bin } = stubPath({ id: "echo 1001" });
    const result = run(bin);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("error: npm test needs the `prometheus` binary on PATH");
    expect(result.stderr).toContain("sudo apt-get install --no-install-recommends prometheus");
    expect(result.stderr).toContain("brew install prometheus");
  });

  it("npm test runs it first, and .ci/run runs exactly npm test", () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    expect(scripts.pretest).toBe("bash .ci/ensure-prometheus");
    const ci = fs.readFileSync(path.join(REPO_ROOT, ".ci", "run"), "utf8");
    expect(ci.split("\n").filter((l) => /^npm /.test(l))).toEqual(["npm ci --no-audit --no-fund", "npm test"]);
  });
});
