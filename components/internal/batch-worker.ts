/**
 * The batch job's entrypoint, mounted from a ConfigMap into the vLLM image and run with its Python.
 *
 * One job takes messages one at a time until the queue has stayed empty for `BATCH_IDLE_SECONDS`
 * (the scale-down cooldown the cost model simulates), then exits: receive a message (its visibility
 * timeout hides it from other jobs), keep it hidden with a heartbeat while working, download the
 * OpenAI batch-format input from S3, run vLLM's own offline batch runner
 * (`python -m vllm.entrypoints.openai.run_batch -i <file> -o <file> --model ...`), upload the output,
 * confirm it is stored (HEAD), and only then delete the message. A job that dies at any step leaves
 * the message to reappear when its visibility lapses; after the queue's `maxReceiveCount` receives
 * it moves to the dead-letter queue. Nothing is lost. The runner loads the model once per file, so
 * big files (up to OpenAI's 50,000 requests) keep that reload small next to the work; the cost
 * model charges it per `requestsPerBatchFile`. Every run gets the same runner args, `--enable-metrics`
 * among them, so each file's runner serves vLLM's metrics on the pod's metrics port while it runs
 * (nothing between files, and counters from 0 in each run: the live rules use rate()).
 *
 * Message body (JSON): `{"input": "s3://bucket/<inputPrefix>/x.jsonl", "output": "s3://bucket/<outputPrefix>/x.jsonl"}`;
 * both must lie under the prefixes the job's IAM role is scoped to.
 * Uses boto3, which the vLLM OpenAI image ships for its S3 model loaders.
 */

/** Path the ConfigMap is mounted at. */
export const BATCH_WORKER_DIR = "/opt/gpu-inference";
export const BATCH_WORKER_FILE = "batch_worker.py";

export const BATCH_WORKER_PY = String.raw`"""Take batch jobs from SQS, run vLLM's offline batch runner, store outputs, then delete the message."""
import json
import os
import subprocess
import sys
import threading
import time

import boto3

QUEUE_URL = os.environ["BATCH_QUEUE_URL"]
INPUT_PREFIX = os.environ["BATCH_INPUT_PREFIX"]
OUTPUT_PREFIX = os.environ["BATCH_OUTPUT_PREFIX"]
VISIBILITY_SECONDS = int(os.environ.get("BATCH_VISIBILITY_SECONDS", "900"))
IDLE_SECONDS = int(os.environ.get("BATCH_IDLE_SECONDS", "0"))
WORK_DIR = os.environ.get("BATCH_WORK_DIR", "/tmp")
RUNNER = [sys.executable, "-m", "vllm.entrypoints.openai.run_batch"]


def split_s3(uri, prefix, what):
    if not uri.startswith(prefix) or ".." in uri or not uri.startswith("s3://"):
        raise ValueError(f"{what} {uri!r} is not under {prefix!r}")
    bucket, _, key = uri[len("s3://"):].partition("/")
    return bucket, key


class Heartbeat(threading.Thread):
    """Keeps the message invisible to other consumers while this job works on it."""

    def __init__(self, sqs, handle):
        super().__init__(daemon=True)
        self.sqs, self.handle, self.stopped = sqs, handle, threading.Event()

    def run(self):
        while not self.stopped.wait(VISIBILITY_SECONDS / 3):
            self.sqs.change_message_visibility(QueueUrl=QUEUE_URL, ReceiptHandle=self.handle, VisibilityTimeout=VISIBILITY_SECONDS)


def process(sqs, s3, message, engine_args):
    body = json.loads(message["Body"])
    in_bucket, in_key = split_s3(body["input"], INPUT_PREFIX, "input")
    out_bucket, out_key = split_s3(body["output"], OUTPUT_PREFIX, "output")
    local_in = os.path.join(WORK_DIR, "batch-input.jsonl")
    local_out = os.path.join(WORK_DIR, "batch-output.jsonl")
    for stale in (local_in, local_out):  # never upload the previous message's output
        if os.path.exists(stale):
            os.remove(stale)
    s3.download_file(in_bucket, in_key, local_in)
    result = subprocess.run([*RUNNER, "-i", local_in, "-o", local_out, *engine_args], check=False)
    if result.returncode != 0:
        raise RuntimeError(f"run_batch exited with {result.returncode}")
    s3.upload_file(local_out, out_bucket, out_key)
    s3.head_object(Bucket=out_bucket, Key=out_key)  # the output is stored before the message goes


def main(engine_args):
    sqs, s3 = boto3.client("sqs"), boto3.client("s3")
    idle_since = time.monotonic()
    while True:
        # Long polling, but never past the idle deadline.
        wait = max(0, min(20, int(IDLE_SECONDS - (time.monotonic() - idle_since))))
        received = sqs.receive_message(QueueUrl=QUEUE_URL, MaxNumberOfMessages=1, WaitTimeSeconds=wait, VisibilityTimeout=VISIBILITY_SECONDS)
        messages = received.get("Messages", [])
        if not messages:
            if time.monotonic() - idle_since >= IDLE_SECONDS:
                print(f"queue empty for {IDLE_SECONDS} s", flush=True)
                return 0
            continue
        message = messages[0]
        heartbeat = Heartbeat(sqs, message["ReceiptHandle"])
        heartbeat.start()
        try:
            process(sqs, s3, message, engine_args)
        finally:
            heartbeat.stopped.set()
        sqs.delete_message(QueueUrl=QUEUE_URL, ReceiptHandle=message["ReceiptHandle"])
        print(f"done {message['MessageId']}", flush=True)
        idle_since = time.monotonic()


if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(main(args[1:] if args[:1] == ["--"] else args))
`;
