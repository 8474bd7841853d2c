/**
 * The batch worker (the ScaledJob's entrypoint) run for real with Python against a fake boto3 and a
 * fake `vllm.entrypoints.openai.run_batch`: a message is deleted only after its output is stored,
 * and every failure leaves it on the queue for redelivery (then the dead-letter queue).
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BATCH_WORKER_FILE, BATCH_WORKER_PY } from "../../components/internal/batch-worker";
import { renderRunBatchArgs } from "../../components/internal/vllm-flags";

/** boto3 stand-in: SQS and S3 state in a JSON file, S3 objects as files. */
const FAKE_BOTO3 = String.raw`
import json, os, shutil
STATE = os.environ["FAKE_STATE"]
def _load():
    with open(STATE) as f: return json.load(f)
def _save(s):
    with open(STATE, "w") as f: json.dump(s, f)
class _Sqs:
    def receive_message(self, QueueUrl, MaxNumberOfMessages, WaitTimeSeconds, VisibilityTimeout):
        s = _load()
        assert QueueUrl == s["queue_url"] and MaxNumberOfMessages == 1 and VisibilityTimeout > 0
        visible = [m for m in s["messages"] if m["ReceiptHandle"] not in s["received"]]
        if not visible: return {}
        m = visible[0]; s["received"].append(m["ReceiptHandle"]); _save(s)
        return {"Messages": [m]}
    def change_message_visibility(self, QueueUrl, ReceiptHandle, VisibilityTimeout):
        pass
    def delete_message(self, QueueUrl, ReceiptHandle):
        s = _load(); s["deleted"].append(ReceiptHandle); _save(s)
class _S3:
    def _path(self, bucket, key): return os.path.join(os.environ["FAKE_S3"], bucket, key)
    def download_file(self, bucket, key, dest): shutil.copyfile(self._path(bucket, key), dest)
    def upload_file(self, src, bucket, key):
        if os.environ.get("FAKE_UPLOAD_FAILS"): raise RuntimeError("upload failed")
        os.makedirs(os.path.dirname(self._path(bucket, key)), exist_ok=True); shutil.copyfile(src, self._path(bucket, key))
    def head_object(self, Bucket, Key):
        if not os.path.exists(self._path(Bucket, Key)): raise RuntimeError("404")
        return {}
def client(name):
    return {"sqs": _Sqs, "s3": _S3}[name]()
`;

/** vLLM's runner stand-in: same -i/-o contract, records its argv, echoes each request as a response. */
const FAKE_RUN_BATCH = String.raw`
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_ARGV"], "a") as f: f.write(json.dumps(args) + "\n")
if os.environ.get("FAKE_RUNNER_FAILS"): sys.exit(3)
src, dst = args[args.index("-i") + 1], args[args.index("-o") + 1]
with open(src) as i, open(dst, "w") as o:
    for line in i:
        req = json.loads(line)
        o.write(json.dumps({"custom_id": req["custom_id"], "response": {"status_code": 200}}) + "\n")
`;

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function python(): string {
  try {
    return execFileSync("sh", ["-c", "command -v python3"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("python3 is not on PATH; the batch worker test runs the worker with it");
  }
}

interface Run {
  status: number | null;
  stderr: string;
  state: { received: string[]; deleted: string[] };
  runnerCalls: string[][];
  s3: string;
}

const ENGINE_ARGS = ["--model", "Qwen/Qwen2.5-7B-Instruct", "--tensor-parallel-size", "1"];

function run(messages: { input: string; output: string }[], env: Record<string, string> = {}, runnerArgs: readonly string[] = ENGINE_ARGS): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "batch-worker-"));
  dirs.push(dir);
  const lib = path.join(dir, "lib");
  fs.mkdirSync(path.join(lib, "boto3"), { recursive: true });
  fs.writeFileSync(path.join(lib, "boto3", "__init__.py"), FAKE_BOTO3);
  const pkg = path.join(lib, "vllm", "entrypoints", "openai");
  fs.mkdirSync(pkg, { recursive: true });
  for (const p of ["vllm", "vllm/entrypoints", "vllm/entrypoints/openai"]) fs.writeFileSync(path.join(lib, p, "__init__.py"), "");
  fs.writeFileSync(path.join(pkg, "run_batch.py"), FAKE_RUN_BATCH);
  fs.writeFileSync(path.join(dir, BATCH_WORKER_FILE), BATCH_WORKER_PY);
  const s3 = path.join(dir, "s3");
  fs.mkdirSync(path.join(s3, "bkt", "support", "batch", "summaries", "input"), { recursive: true });
  fs.writeFileSync(path.join(s3, "bkt", "support", "batch", "summaries", "input", "a.jsonl"), '{"custom_id":"r1"}\n{"custom_id":"r2"}\n');
  fs.writeFileSync(path.join(s3, "bkt", "support", "batch", "summaries", "input", "b.jsonl"), '{"custom_id":"r3"}\n');
  fs.writeFileSync(path.join(s3, "bkt", "support", "batch", "summaries", "input", "c.jsonl"), '{"custom_id":"r4"}\n');
  const queueUrl = "https://sqs.us-east-1.amazonaws.com/123456789012/inference-dev-support-summaries";
  const state = path.join(dir, "state.json");
  fs.writeFileSync(
    state,
    JSON.stringify({ queue_url: queueUrl, received: [], deleted: [], messages: messages.map((m, i) => ({ MessageId: `m${i}`, ReceiptHandle: `h${i}`, Body: JSON.stringify(m) })) }),
  );
  const work = path.join(dir, "work");
  fs.mkdirSync(work);
  const result = spawnSync(python(), [path.join(dir, BATCH_WORKER_FILE), "--", ...runnerArgs], {
    encoding: "utf8",
    timeout: 30_000,
    env: {
      PATH: process.env.PATH ?? "",
      PYTHONPATH: lib,
      FAKE_STATE: state,
      FAKE_S3: s3,
      FAKE_ARGV: path.join(dir, "argv.jsonl"),
      BATCH_QUEUE_URL: queueUrl,
      BATCH_INPUT_PREFIX: "s3://bkt/support/batch/summaries/input/",
      BATCH_OUTPUT_PREFIX: "s3://bkt/support/batch/summaries/output/",
      BATCH_VISIBILITY_SECONDS: "900",
      BATCH_IDLE_SECONDS: "0",
      BATCH_WORK_DIR: work,
      ...env,
    },
  });
  const argvFile = path.join(dir, "argv.jsonl");
  return {
    status: result.status,
    stderr: result.stderr,
    state: JSON.parse(fs.readFileSync(state, "utf8")) as Run["state"],
    runnerCalls: fs.existsSync(argvFile) ? fs.readFileSync(argvFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as string[]) : [],
    s3,
  };
}

const ok = (name: string) => ({ input: `s3://bkt/support/batch/summaries/input/${name}.jsonl`, output: `s3://bkt/support/batch/summaries/output/${name}.jsonl` });

describe("batch worker", () => {
  it("takes files until the queue is empty for BATCH_IDLE_SECONDS: runs vLLM's runner per file, stores each output, then deletes each message", () => {
    const r = run([ok("a"), ok("b"), ok("c")]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.state.received).toEqual(["h0", "h1", "h2"]);
    expect(r.state.deleted).toEqual(["h0", "h1", "h2"]);
    expect(fs.readFileSync(path.join(r.s3, "bkt/support/batch/summaries/output/a.jsonl"), "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { custom_id: string }).custom_id)).toEqual(["r1", "r2"]);
    expect(r.runnerCalls).toHaveLength(3);
    expect(r.runnerCalls[0]!.slice(4)).toEqual(ENGINE_ARGS);
    expect([r.runnerCalls[0]![0], r.runnerCalls[0]![2]]).toEqual(["-i", "-o"]);
  });

  it("starts every file's runner with the ScaledJob's metrics flags, so each run serves /metrics while it works", () => {
    const runnerArgs = renderRunBatchArgs({ weights: { kind: "huggingface", modelId: "Qwen/Qwen2.5-7B-Instruct" }, servedModelName: "summaries", tensorParallelSize: 1, gpuMemoryUtilization: 0.9, enablePrefixCaching: true });
    const r = run([ok("a"), ok("b")], {}, runnerArgs);
    expect(r.status, r.stderr).toBe(0);
    expect(r.runnerCalls).toHaveLength(2);
    for (const call of r.runnerCalls) {
      expect(call.slice(4)).toEqual(runnerArgs);
      expect(call).toEqual(expect.arrayContaining(["--enable-metrics", "--host", "0.0.0.0", "--port", "8000"]));
    }
  });

  it("exits 0 without touching anything when the queue is empty", () => {
    const r = run([]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.runnerCalls).toEqual([]);
    expect(r.state.deleted).toEqual([]);
  });

  it("keeps the message when the runner fails", () => {
    const r = run([ok("a")], { FAKE_RUNNER_FAILS: "1" });
    expect(r.status).not.toBe(0);
    expect(r.state.received).toEqual(["h0"]);
    expect(r.state.deleted).toEqual([]);
    expect(r.stderr).toContain("run_batch exited with 3");
  });

  it("keeps the message when the output cannot be stored", () => {
    const r = run([ok("a")], { FAKE_UPLOAD_FAILS: "1" });
    expect(r.status).not.toBe(0);
    expect(r.state.deleted).toEqual([]);
    expect(r.stderr).toContain("upload failed");
  });

  it("refuses files outside its prefixes (and keeps the message for the dead-letter queue)", () => {
    const r = run([{ input: "s3://bkt/search/secret.jsonl", output: "s3://bkt/support/batch/summaries/output/x.jsonl" }]);
    expect(r.status).not.toBe(0);
    expect(r.runnerCalls).toEqual([]);
    expect(r.state.deleted).toEqual([]);
    expect(r.stderr).toContain("is not under");
    const back = run([{ input: "s3://bkt/support/batch/summaries/input/../../../search/x.jsonl", output: "s3://bkt/support/batch/summaries/output/y.jsonl" }]);
    expect(back.status).not.toBe(0);
    expect(back.state.deleted).toEqual([]);
  });
});
