/**
 * The weights stager (the staging Job's entrypoint) run for real with Python against a fake boto3 and a
 * fake huggingface_hub: it copies the files vLLM reads from an object-store path, at one commit, writes
 * its marker only after every file is stored, does nothing when the marker is there, and leaves no
 * marker when a copy fails (so the retry starts over).
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { STAGED_MARKER, STAGER_FILE, STAGER_PY } from "../../components/internal/weights-stager";

/** boto3 stand-in: S3 objects as files under FAKE_S3, every call appended to FAKE_CALLS. */
const FAKE_BOTO3 = String.raw`
import json, os, shutil
def _log(*call):
    with open(os.environ["FAKE_CALLS"], "a") as f: f.write(json.dumps(call) + "\n")
class _S3:
    def _path(self, bucket, key): return os.path.join(os.environ["FAKE_S3"], bucket, key)
    def list_objects_v2(self, Bucket, Prefix, MaxKeys):
        _log("list_objects_v2", Bucket, Prefix)
        root = os.path.join(os.environ["FAKE_S3"], Bucket)
        keys = []
        for d, _, files in os.walk(root):
            for f in files:
                key = os.path.relpath(os.path.join(d, f), root)
                if key.startswith(Prefix): keys.append(key)
        return {"Contents": [{"Key": k} for k in sorted(keys)[:MaxKeys]]} if keys else {}
    def upload_file(self, src, bucket, key):
        _log("upload_file", bucket, key)
        if os.environ.get("FAKE_UPLOAD_FAILS") and key.endswith(os.environ["FAKE_UPLOAD_FAILS"]): raise RuntimeError("upload failed")
        os.makedirs(os.path.dirname(self._path(bucket, key)), exist_ok=True); shutil.copyfile(src, self._path(bucket, key))
    def put_object(self, Bucket, Key, Body):
        _log("put_object", Bucket, Key)
        os.makedirs(os.path.dirname(self._path(Bucket, Key)), exist_ok=True)
        with open(self._path(Bucket, Key), "wb") as f: f.write(Body)
def client(name):
    assert name == "s3"
    return _S3()
`;

/** huggingface_hub stand-in: a repo with the usual files at one commit; downloads record the revision asked for. */
const FAKE_HUB = String.raw`
import json, os
FILES = ["config.json", "generation_config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
         "model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
         "README.md", ".gitattributes", "LICENSE", "pytorch_model.bin", "original/consolidated.00.pth", "original/params.json", "onnx/model.onnx"]
class _Sibling:
    def __init__(self, name): self.rfilename = name
class _Info:
    sha = "0123456789abcdef0123456789abcdef01234567"
    siblings = [_Sibling(n) for n in FILES]
class HfApi:
    def model_info(self, repo, revision=None):
        assert repo == os.environ["STAGE_MODEL_ID"] and revision == os.environ["STAGE_REVISION"]
        return _Info()
def hf_hub_download(repo, name, revision=None, local_dir=None):
    with open(os.environ["FAKE_CALLS"], "a") as f: f.write(json.dumps(["hf_hub_download", name, revision]) + "\n")
    path = os.path.join(local_dir, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f: f.write(name)
    return path
`;

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** The interpreter itself, resolved once: a version manager's `python3` shim costs a second per run. */
let interpreter: string | undefined;
function python(): string {
  try {
    interpreter ??= execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();
    return interpreter;
  } catch {
    throw new Error("python3 is not on PATH; the stager test runs the stager with it");
  }
}

const PREFIX = "search/models/meta-llama/Llama-3.1-8B-Instruct/main";

function setUp(): { dir: string; s3: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "weights-stager-"));
  dirs.push(dir);
  for (const [pkg, source] of [["boto3", FAKE_BOTO3], ["huggingface_hub", FAKE_HUB]] as const) {
    fs.mkdirSync(path.join(dir, "lib", pkg), { recursive: true });
    fs.writeFileSync(path.join(dir, "lib", pkg, "__init__.py"), source);
  }
  fs.writeFileSync(path.join(dir, STAGER_FILE), STAGER_PY);
  const s3 = path.join(dir, "s3");
  fs.mkdirSync(path.join(s3, "bkt"), { recursive: true });
  fs.mkdirSync(path.join(dir, "work"));
  return { dir, s3 };
}

function run(dir: string, s3: string, env: Record<string, string> = {}): { status: number | null; stderr: string; calls: string[][] } {
  const calls = path.join(dir, "calls.jsonl");
  fs.rmSync(calls, { force: true });
  const result = spawnSync(python(), [path.join(dir, STAGER_FILE)], {
    encoding: "utf8",
    timeout: 30_000,
    env: {
      PATH: process.env.PATH ?? "",
      PYTHONPATH: path.join(dir, "lib"),
      FAKE_S3: s3,
      FAKE_CALLS: calls,
      STAGE_MODEL_ID: "meta-llama/Llama-3.1-8B-Instruct",
      STAGE_REVISION: "main",
      STAGE_PREFIX: PREFIX,
      STAGE_WORK_DIR: path.join(dir, "work"),
      WEIGHTS_BUCKET: "bkt",
      ...env,
    },
  });
  return { status: result.status, stderr: result.stderr, calls: fs.existsSync(calls) ? fs.readFileSync(calls, "utf8").trim().split("\n").map((l) => JSON.parse(l) as string[]) : [] };
}

const stored = (s3: string) =>
  fs.existsSync(path.join(s3, "bkt", PREFIX)) ? fs.readdirSync(path.join(s3, "bkt", PREFIX), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(path.join(s3, "bkt", PREFIX), path.join(e.parentPath, e.name))).sort() : [];

describe("weights stager", () => {
  it("copies the safetensors, index, configs and tokenizer at one commit, then writes the marker last", () => {
    const { dir, s3 } = setUp();
    const r = run(dir, s3);
    expect(r.status, r.stderr).toBe(0);
    expect(stored(s3)).toEqual(
      [
        STAGED_MARKER,
        "config.json",
        "generation_config.json",
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
        "model.safetensors.index.json",
        "special_tokens_map.json",
        "tokenizer.json",
        "tokenizer_config.json",
      ].sort(),
    );
    const downloads = r.calls.filter((c) => c[0] === "hf_hub_download");
    expect(new Set(downloads.map((c) => c[2]))).toEqual(new Set(["0123456789abcdef0123456789abcdef01234567"]));
    expect(r.calls.at(-1)).toEqual(["put_object", "bkt", `${PREFIX}/${STAGED_MARKER}`]);
    const marker = JSON.parse(fs.readFileSync(path.join(s3, "bkt", PREFIX, STAGED_MARKER), "utf8")) as { commit: string; files: string[] };
    expect(marker.commit).toBe("0123456789abcdef0123456789abcdef01234567");
    // One file on disk at a time: each is removed once uploaded.
    expect(fs.readdirSync(path.join(dir, "work", "stage")).filter((f) => !f.startsWith("."))).toEqual([]);
  });

  it("does nothing when the revision is already staged", () => {
    const { dir, s3 } = setUp();
    expect(run(dir, s3).status).toBe(0);
    const again = run(dir, s3);
    expect(again.status, again.stderr).toBe(0);
    expect(again.calls).toEqual([["list_objects_v2", "bkt", `${PREFIX}/${STAGED_MARKER}`]]);
  });

  it("leaves no marker when a copy fails, so the Job's retry starts over", () => {
    const { dir, s3 } = setUp();
    const r = run(dir, s3, { FAKE_UPLOAD_FAILS: "model-00002-of-00002.safetensors" });
    expect(r.status).not.toBe(0);
    expect(stored(s3)).not.toContain(STAGED_MARKER);
    expect(run(dir, s3).status).toBe(0);
    expect(stored(s3)).toContain(STAGED_MARKER);
  });
});
