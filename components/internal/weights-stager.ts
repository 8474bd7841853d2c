/**
 * The weights-staging Job's entrypoint, mounted from a ConfigMap into the vLLM image and run with its
 * Python (the image ships `huggingface_hub`, a vLLM requirement, and boto3 with `runai-model-streamer[s3,gcs]`:
 * vllm-project/vllm docker/Dockerfile, stage `vllm-openai-base`, read at commit dead20ba; the v0.26.0 tag itself
 * was not in the stored sources, and earlier and later Dockerfiles install the same packages).
 *
 * Copies one revision of a Hugging Face checkpoint into `s3://$WEIGHTS_BUCKET/$STAGE_PREFIX/`, once:
 * a `.staged` marker object, written last, records the commit and files, and a Job that finds it exits at
 * once (a re-run after `pulumi refresh`, or a retry, costs nothing). Files go one at a time (download, upload,
 * delete), so the Job's disk holds only the largest file. It copies what vLLM reads from an object-store
 * path: the safetensors shards and index, the configs, the tokenizer, the chat template; never `.bin`/`.pt`
 * duplicates or `original/` folders. `HF_TOKEN` (from the Secret, for gated models) is read by
 * huggingface_hub itself.
 */

import { COLD_START } from "../../policies/economics/capacity";
import { gibToGb } from "../../policies/economics/weights";

/** Seconds beyond the modeled transfer before pulumi up gives up on the staging Job: a node to launch, the image to pull, slow hub periods. */
export const STAGING_TIMEOUT_MARGIN_SECONDS = 900;

/**
 * Seconds the staging Job may take: a node, the image, then every GB down from the hub and up to S3, both at the
 * hub's rate (the slower one; a small CPU node uploads no faster), plus a margin. Pure, so `npm run plan` quotes it
 * without loading Pulumi.
 */
export function stagingTimeoutSeconds(downloadGiB: number): number {
  const c = COLD_START;
  const gb = gibToGb(downloadGiB);
  return Math.ceil(c.nodeProvisioningSeconds + c.imagePullSeconds + (2 * gb) / c.hubDownloadGBps + STAGING_TIMEOUT_MARGIN_SECONDS);
}

/** Path the ConfigMap is mounted at. */
export const STAGER_DIR = "/opt/gpu-inference";
export const STAGER_FILE = "stage_weights.py";
/** Marker object written after every file is stored, under the staged prefix. */
export const STAGED_MARKER = ".staged";

export const STAGER_PY = String.raw`"""Copy one Hugging Face checkpoint revision into S3, once."""
import json
import os
import sys

import boto3
from huggingface_hub import HfApi, hf_hub_download

REPO = os.environ["STAGE_MODEL_ID"]
REVISION = os.environ["STAGE_REVISION"]
BUCKET = os.environ["WEIGHTS_BUCKET"]
PREFIX = os.environ["STAGE_PREFIX"].rstrip("/")
WORK_DIR = os.environ.get("STAGE_WORK_DIR", "/tmp")
MARKER = PREFIX + "/${STAGED_MARKER}"
WANTED_SUFFIXES = (".safetensors", ".json", ".model", ".tiktoken", ".txt", ".jinja")


def wanted(name):
    if "/" in name:
        return False  # original/ (Meta's consolidated .pth copy), onnx/ and other folders vLLM does not read
    return name.endswith(WANTED_SUFFIXES)


def staged(s3):
    # A listing, not HeadObject: the role may list only this prefix, and a missing key must read as "not staged".
    found = s3.list_objects_v2(Bucket=BUCKET, Prefix=MARKER, MaxKeys=1)
    return any(item["Key"] == MARKER for item in found.get("Contents", []))


def main():
    s3 = boto3.client("s3")
    if staged(s3):
        print(f"s3://{BUCKET}/{PREFIX} is already staged", flush=True)
        return 0
    info = HfApi().model_info(REPO, revision=REVISION)
    files = sorted(s.rfilename for s in info.siblings if wanted(s.rfilename))
    if not any(name.endswith(".safetensors") for name in files):
        print(f"{REPO}@{REVISION} has no safetensors weights: the Run:ai streamer reads only safetensors", file=sys.stderr)
        return 2
    local_dir = os.path.join(WORK_DIR, "stage")
    for name in files:
        # The commit, not the branch: every file comes from the same snapshot even if the branch moves meanwhile.
        local = hf_hub_download(REPO, name, revision=info.sha, local_dir=local_dir)
        s3.upload_file(local, BUCKET, f"{PREFIX}/{name}")
        os.remove(local)
        print(f"staged {name}", flush=True)
    record = {"repo": REPO, "revision": REVISION, "commit": info.sha, "files": files}
    s3.put_object(Bucket=BUCKET, Key=MARKER, Body=json.dumps(record).encode())
    print(f"staged {len(files)} files of {REPO}@{info.sha} at s3://{BUCKET}/{PREFIX}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
`;
