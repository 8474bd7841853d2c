/**
 * Hostile and careless stack files: each ends in a short, clear StackConfigError naming the file,
 * in bounded time and bounded output — never a hang, a crash, or a terminal full of binary.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadStackConfigFile, MAX_LISTED_PROBLEMS, StackConfigError } from "../../infra/config";
import { DEV_STACK_FILE, tempProject } from "../fixtures/stack-files";
import { mulberry32 } from "../../policies/economics/traffic";

const project = tempProject();
afterAll(() => project.cleanup());

function write(name: string, content: string | Uint8Array): string {
  const file = path.join(project.dir, name);
  fs.writeFileSync(file, content);
  return file;
}

/** The error a load ends in, with how long it took. */
function failure(file: string): { error: StackConfigError; ms: number } {
  const start = performance.now();
  try {
    loadStackConfigFile(file);
  } catch (error) {
    if (error instanceof StackConfigError) return { error, ms: performance.now() - start };
    throw error;
  }
  throw new Error(`expected ${file} to be refused`);
}

/** Nine levels of nine aliases: 9^9 strings once expanded, from a file of a few hundred bytes. */
function aliasBomb(): string {
  const anchors = "abcdefghi";
  const lines = ["config:", "  x:a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]"];
  for (let i = 1; i < anchors.length; i++) lines.push(`  x:${anchors[i]}: &${anchors[i]} [${Array.from({ length: 9 }, () => `*${anchors[i - 1]}`).join(",")}]`);
  lines.push("  gpu-inference:environment: *i");
  return `${lines.join("\n")}\n`;
}

function randomBytes(count: number, seed: number): Uint8Array {
  const random = mulberry32(seed);
  const bytes = new Uint8Array(count);
  for (let i = 0; i < count; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

/** Every line a user would read: the file named first, short, no control characters. */
function expectReadable(error: StackConfigError, display: string): void {
  expect(error.problems.length).toBeGreaterThan(0);
  expect(error.problems.length).toBeLessThanOrEqual(MAX_LISTED_PROBLEMS + 1);
  for (const line of error.problems) {
    expect(line.startsWith(display)).toBe(true);
    expect(line.length).toBeLessThanOrEqual(300);
    // eslint-disable-next-line no-control-regex
    expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f\ufffd]/);
  }
}

describe("hostile stack files", () => {
  it("stops a 400-byte YAML alias bomb with a message naming the file", () => {
    const text = aliasBomb();
    expect(text.length).toBeLessThan(450);
    const { error, ms } = failure(write("Pulumi.bomb.yaml", text));
    expect(error.problems).toEqual([expect.stringMatching(/^Pulumi\.bomb\.yaml: YAML aliases expand past 100 references/)]);
    expect(ms).toBeLessThan(5_000);
  });

  it("ends on a recursive YAML alias (a value that contains itself) with a refusal naming the key", () => {
    const text = fs.readFileSync(DEV_STACK_FILE, "utf8").replace("    team: platform\n", "    team: &self { loop: *self }\n");
    const { error, ms } = failure(write("Pulumi.loop.yaml", text));
    expect(error.problems).toEqual([expect.stringMatching(/^Pulumi\.loop\.yaml: gpu-inference:cluster\.team: /)]);
    expect(ms).toBeLessThan(5_000);
  });

  it("summarizes 5 MB of random bytes in one line instead of echoing them", () => {
    const { error, ms } = failure(write("Pulumi.noise.yaml", randomBytes(5 * 1024 * 1024, 7)));
    expect(error.problems).toEqual(["Pulumi.noise.yaml: the file is 5.0 MiB; a stack file is at most 2.0 MiB (is this the right file?)"]);
    expect(error.message.length).toBeLessThan(400);
    expect(ms).toBeLessThan(1_000);
  });

  it("refuses binary under the size limit as not being text, without echoing it", () => {
    const { error } = failure(write("Pulumi.bin.yaml", randomBytes(1024 * 1024, 11)));
    expect(error.problems).toEqual(["Pulumi.bin.yaml: not UTF-8 text (1.0 MiB of binary data?); a stack file is YAML"]);
  });

  it("lists at most a screenful of YAML errors for text that is not YAML, escaping control characters", () => {
    const random = mulberry32(3);
    // Printable-ish garbage: valid UTF-8 with tabs, quotes, brackets and control characters the parser trips on.
    const alphabet = "abc: -[]{}\"'&*!|>#%@`\t\u0001\u0007\u001b\n";
    const text = Array.from({ length: 400_000 }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
    const { error, ms } = failure(write("Pulumi.garbage.yaml", text));
    expectReadable(error, "Pulumi.garbage.yaml");
    expect(error.message.length).toBeLessThan(8_000);
    expect(ms).toBeLessThan(15_000);
  });

  it("parses a stack file with 120,000 keys in linear time and lists a bounded summary", () => {
    // yaml's own duplicate-key check compares every key with every earlier one: minutes at this size.
    const lines = ["config:", "  gpu-inference:environment: dev", "  gpu-inference:cluster:"];
    for (let i = 0; i < 120_000; i++) lines.push(`    k${i}: 1`);
    const { error, ms } = failure(write("Pulumi.keys.yaml", `${lines.join("\n")}\n`));
    expectReadable(error, "Pulumi.keys.yaml");
    expect(error.problems.some((p) => /gpu-inference:cluster: unknown keys "k0", "k1", .* and 119990 more/.test(p))).toBe(true);
    expect(ms).toBeLessThan(45_000); // ~2 s on an idle core; quadratic took minutes
  });

  it("still finds a duplicate key, with its line", () => {
    const file = write("Pulumi.dup.yaml", "config:\n  gpu-inference:environment: dev\n  gpu-inference:environment: prod\n");
    expect(failure(file).error.problems).toEqual(['Pulumi.dup.yaml:3: duplicate key "gpu-inference:environment"']);
  });
});

describe("stack files that would be silently wrong", () => {
  const devText = fs.readFileSync(DEV_STACK_FILE, "utf8");

  it("refuses keys without the gpu-inference: namespace instead of reading zero workloads", () => {
    const file = write("Pulumi.bare.yaml", devText.replace(/^ {2}gpu-inference:/gm, "  "));
    const { error } = failure(file);
    expect(error.problems).toEqual([
      'Pulumi.bare.yaml: config keys without a namespace: "environment", "cluster", "tenants", "workloads"; write them as "gpu-inference:environment"',
    ]);
  });

  it("refuses a plain-text Hugging Face token and never echoes it", () => {
    const token = "hf_abcdefghijklmnopqrstuvwxyz012345";
    const file = write("Pulumi.leak.yaml", devText.replace("  gpu-inference:environment: dev\n", `  gpu-inference:environment: dev\n  gpu-inference:huggingFaceToken: ${token}\n`));
    const { error } = failure(file);
    expect(error.problems).toEqual([
      "Pulumi.leak.yaml: gpu-inference:huggingFaceToken: a secret in plain text; delete the line and run `pulumi config set --secret huggingFaceToken` (then rotate the token: it may be in version control)",
    ]);
    expect(error.message).not.toContain(token);
  });

  it("accepts the token as a secure: ciphertext", () => {
    const file = write("Pulumi.sealed.yaml", devText.replace("  gpu-inference:environment: dev\n", "  gpu-inference:environment: dev\n  gpu-inference:huggingFaceToken:\n    secure: v1:AAAABBBBCCCC\n"));
    expect(loadStackConfigFile(file).environment).toBe("dev");
  });

  it("refuses a token pasted under another key", () => {
    const token = "hf_abcdefghijklmnopqrstuvwxyz012345";
    const file = write("Pulumi.pasted.yaml", devText.replace("team: support\n", `team: ${token}\n`));
    const { error } = failure(file);
    expect(error.problems).toEqual([
      "Pulumi.pasted.yaml: gpu-inference:tenants[0].team: looks like an access token in plain text; secrets go in `pulumi config set --secret`, never in the stack file",
    ]);
    expect(error.message).not.toContain(token);
  });

  it("refuses a misspelt priceOverrides key instead of using the list price", () => {
    const file = write("Pulumi.typo.yaml", `${devText}  gpu-inference:economics:\n    priceOverrides:\n      instances:\n        "g6e.12xlarg": { onDemand: 5 }\n      api:\n        gpt-4.1-mni: { input: 0.1, output: 0.4 }\n`);
    const problems = failure(file).error.problems.map((p) => p.split("; expected")[0]);
    expect(problems).toEqual([
      'Pulumi.typo.yaml: gpu-inference:economics.priceOverrides.instances["g6e.12xlarg"]: "g6e.12xlarg" is not an instance type in the catalog, so this override would price nothing',
      'Pulumi.typo.yaml: gpu-inference:economics.priceOverrides.api["gpt-4.1-mni"]: "gpt-4.1-mni" is not an API catalog id, so this override would price nothing',
    ]);
  });

  it("refuses a region the catalog does not price, naming the regions it does", () => {
    const file = write("Pulumi.eu.yaml", devText.replace("    region: us-east-1\n", "    region: eu-west-1\n"));
    expect(failure(file).error.problems).toEqual([
      "Pulumi.eu.yaml: gpu-inference:cluster.region: the price catalog covers us-east-1 only, so the cost model cannot price eu-west-1; use one of those regions",
      // The pinned zones belong to the region too: moving regions means picking its zones.
      'Pulumi.eu.yaml: gpu-inference:cluster.availabilityZoneIds[0]: "use1-az1" is not a zone of eu-west-1 (its zone IDs start with euw1-)',
      'Pulumi.eu.yaml: gpu-inference:cluster.availabilityZoneIds[1]: "use1-az2" is not a zone of eu-west-1 (its zone IDs start with euw1-)',
    ]);
  });
});
