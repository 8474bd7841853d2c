/**
 * The parts of a vLLM pod shared by the interactive Deployment and the batch Job: volumes, a
 * non-root environment, the restricted security context and GPU placement.
 *
 * vLLM's image runs as root and writes to `~/.cache`; here every cache points at a writable
 * volume so the container runs as an unprivileged user with a read-only root filesystem, which a
 * `restricted` Pod Security namespace admits.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

type Input<T> = pulumi.Input<T>;

/** Where a GPU workload may run: the cluster's GPU pool target (plain values: the cost policy reads them at preview). */
export interface GpuPlacement {
  /** Node labels selecting the pool's nodes (maps to `spec.template.spec.nodeSelector`). */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** Tolerations for the pool's GPU taint (maps to `spec.template.spec.tolerations`). */
  readonly tolerations: readonly k8s.types.input.core.v1.Toleration[];
}

/** UID/GID the engine runs as: any non-zero id works, the image needs no passwd entry once `USER`/`HOME` are set. */
export const VLLM_RUN_AS = 1000;

/** Mount paths of the writable volumes. */
export const VLLM_PATHS = {
  /** Hugging Face hub cache: the downloaded weights (`HF_HOME`). */
  modelCache: "/models",
  /** vLLM, torch, Triton and FlashInfer compile caches, and `HOME`. */
  cache: "/cache",
  /** Scratch (`TMPDIR`, vLLM's IPC sockets). */
  tmp: "/tmp",
  /** Shared memory for the tensor-parallel workers' NCCL/IPC traffic. */
  shm: "/dev/shm",
} as const;

/** Name of the Kubernetes Secret key that holds the Hugging Face token. */
export const HF_TOKEN_SECRET_KEY = "HF_TOKEN";

/**
 * `VLLM_*` variables set on every engine container; each exists in vLLM v0.26.0's `vllm/envs.py`
 * (checked against `envs-v0.26.0.txt` by the flag tests).
 */
export const VLLM_ENV: Readonly<Record<string, string>> = {
  VLLM_CACHE_ROOT: `${VLLM_PATHS.cache}/vllm`,
  VLLM_CONFIG_ROOT: `${VLLM_PATHS.cache}/vllm-config`,
  VLLM_ASSETS_CACHE: `${VLLM_PATHS.cache}/vllm/assets`,
  VLLM_RPC_BASE_PATH: VLLM_PATHS.tmp,
  VLLM_NO_USAGE_STATS: "1",
  VLLM_DO_NOT_TRACK: "1",
};

/** Non-`VLLM_*` variables that keep libraries off the read-only root filesystem. */
export const RUNTIME_ENV: Readonly<Record<string, string>> = {
  HOME: `${VLLM_PATHS.cache}/home`,
  // torch's cache paths call getpass.getuser(), which fails for a UID without a passwd entry unless these are set.
  USER: "vllm",
  LOGNAME: "vllm",
  HF_HOME: `${VLLM_PATHS.modelCache}/hf`,
  HF_HUB_DISABLE_TELEMETRY: "1",
  XDG_CACHE_HOME: `${VLLM_PATHS.cache}/xdg`,
  XDG_CONFIG_HOME: `${VLLM_PATHS.cache}/xdg-config`,
  TRITON_CACHE_DIR: `${VLLM_PATHS.cache}/triton`,
  TORCHINDUCTOR_CACHE_DIR: `${VLLM_PATHS.cache}/torchinductor`,
  NUMBA_CACHE_DIR: `${VLLM_PATHS.cache}/numba`,
  TMPDIR: VLLM_PATHS.tmp,
};

export interface VllmPodOptions {
  /** GPUs per pod: the `nvidia.com/gpu` limit and vLLM's tensor parallel size. */
  readonly gpus: number;
  readonly placement: GpuPlacement;
  /** CPU cores requested. */
  readonly cpu: number;
  /** Memory requested and limited, GiB (includes the memory-backed `/dev/shm`). */
  readonly memoryGiB: number;
  /** Size of the memory-backed `/dev/shm`, GiB. */
  readonly shmSizeGiB: number;
  /** Size limit of the model cache volume, GiB. */
  readonly modelCacheGiB: number;
  /** Secret holding `HF_TOKEN`; unset when the weights need no token. */
  readonly hfTokenSecretName?: Input<string>;
  /** Weights streamed from S3: the bucket (the model path names it as `$(WEIGHTS_BUCKET)`) and its region. @default - weights from the hub */
  readonly s3Weights?: S3WeightsEnv;
}

/** Env of a container that streams weights from the weights bucket. */
export interface S3WeightsEnv {
  /** Bucket name, set as `WEIGHTS_BUCKET`; Kubernetes expands `$(WEIGHTS_BUCKET)` in the container's args from it. */
  readonly bucket: Input<string>;
  /** Region of the bucket (`AWS_REGION` for the streamer's S3 client). */
  readonly region: string;
}

/** Env var holding the weights bucket's name: the model path is `s3://$(WEIGHTS_BUCKET)/...`, known at preview though the bucket is not. */
export const WEIGHTS_BUCKET_ENV = "WEIGHTS_BUCKET";

/** Environment of an engine container, token by reference only; with S3 weights, the bucket and region the streamer reads. */
export function vllmEnv(hfTokenSecretName: Input<string> | undefined, s3Weights?: S3WeightsEnv): k8s.types.input.core.v1.EnvVar[] {
  const env: k8s.types.input.core.v1.EnvVar[] = Object.entries({ ...RUNTIME_ENV, ...VLLM_ENV }).map(([name, value]) => ({ name, value }));
  if (s3Weights !== undefined) env.push({ name: WEIGHTS_BUCKET_ENV, value: s3Weights.bucket }, { name: "AWS_REGION", value: s3Weights.region });
  if (hfTokenSecretName !== undefined) {
    env.push({ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: hfTokenSecretName, key: HF_TOKEN_SECRET_KEY } } });
  }
  return env;
}

/** Writable volumes: model cache and caches on node-local disk, `/dev/shm` in memory. */
export function vllmVolumes(o: Pick<VllmPodOptions, "shmSizeGiB" | "modelCacheGiB">): k8s.types.input.core.v1.Volume[] {
  return [
    { name: "model-cache", emptyDir: { sizeLimit: `${o.modelCacheGiB}Gi` } },
    { name: "cache", emptyDir: { sizeLimit: `${SCRATCH_VOLUMES_GIB.cache}Gi` } },
    { name: "tmp", emptyDir: { sizeLimit: `${SCRATCH_VOLUMES_GIB.tmp}Gi` } },
    { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: `${o.shmSizeGiB}Gi` } },
  ];
}

export function vllmVolumeMounts(): k8s.types.input.core.v1.VolumeMount[] {
  return [
    { name: "model-cache", mountPath: VLLM_PATHS.modelCache },
    { name: "cache", mountPath: VLLM_PATHS.cache },
    { name: "tmp", mountPath: VLLM_PATHS.tmp },
    { name: "dshm", mountPath: VLLM_PATHS.shm },
  ];
}

/** Size limits of the writable node-disk volumes besides the model cache, GiB (`cache`, `tmp`). */
export const SCRATCH_VOLUMES_GIB = { cache: 20, tmp: 10 } as const;

/** Node disk a pod's volumes may fill, GiB: the model cache plus the scratch volumes. */
export function ephemeralStorageGiB(o: Pick<VllmPodOptions, "modelCacheGiB">): number {
  return o.modelCacheGiB + SCRATCH_VOLUMES_GIB.cache + SCRATCH_VOLUMES_GIB.tmp;
}

/**
 * Requests and limits: GPUs as a limit (extended resources must have request = limit), memory limited, CPU not throttled.
 * Node disk is requested for every writable volume, so a pod lands only on a node whose disk holds the checkpoint
 * (instead of being evicted when the download outgrows it).
 */
export function vllmResources(o: Pick<VllmPodOptions, "gpus" | "cpu" | "memoryGiB" | "modelCacheGiB">): k8s.types.input.core.v1.ResourceRequirements {
  return {
    requests: { cpu: String(o.cpu), memory: `${o.memoryGiB}Gi`, "nvidia.com/gpu": String(o.gpus), "ephemeral-storage": `${ephemeralStorageGiB(o)}Gi` },
    limits: { memory: `${o.memoryGiB}Gi`, "nvidia.com/gpu": String(o.gpus) },
  };
}

/** Container-level restricted security context. */
export const CONTAINER_SECURITY_CONTEXT: k8s.types.input.core.v1.SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  runAsUser: VLLM_RUN_AS,
  runAsGroup: VLLM_RUN_AS,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

/** Pod-level restricted security context. */
export const POD_SECURITY_CONTEXT: k8s.types.input.core.v1.PodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: VLLM_RUN_AS,
  runAsGroup: VLLM_RUN_AS,
  fsGroup: VLLM_RUN_AS,
  seccompProfile: { type: "RuntimeDefault" },
};

/** Validates the numbers a pod is built from; messages name the field, the value and what is allowed. */
export function validatePodOptions(o: VllmPodOptions, at: string): void {
  const problems: string[] = [];
  if (!Number.isInteger(o.gpus) || o.gpus < 1) problems.push(`${at}.gpus: expected a whole number of GPUs, at least 1; got ${o.gpus}`);
  if (!(o.cpu > 0)) problems.push(`${at}.cpu: expected a positive number of cores; got ${o.cpu}`);
  if (!(o.shmSizeGiB > 0)) problems.push(`${at}.shmSizeGiB: expected a positive size; got ${o.shmSizeGiB}`);
  if (!(o.memoryGiB > o.shmSizeGiB)) {
    problems.push(`${at}.memoryGiB: expected more than shmSizeGiB (${o.shmSizeGiB}): /dev/shm counts against the memory limit; got ${o.memoryGiB}`);
  }
  if (!(o.modelCacheGiB > 0)) problems.push(`${at}.modelCacheGiB: expected a positive size; got ${o.modelCacheGiB}`);
  if (problems.length > 0) throw new Error(problems.join("\n"));
}

/**
 * The Kubernetes Secret holding the Hugging Face token. The value enters as a Pulumi secret and
 * stays one (encrypted in state); pods read it through `secretKeyRef`, never as a literal.
 */
export function hfTokenSecret(
  name: string,
  namespace: Input<string>,
  labels: Readonly<Record<string, string>>,
  token: Input<string>,
  parent: pulumi.Resource,
): k8s.core.v1.Secret {
  return new k8s.core.v1.Secret(
    name,
    { metadata: { name, namespace, labels: { ...labels } }, type: "Opaque", stringData: { [HF_TOKEN_SECRET_KEY]: pulumi.secret(token) } },
    { parent, additionalSecretOutputs: ["data", "stringData"] },
  );
}
