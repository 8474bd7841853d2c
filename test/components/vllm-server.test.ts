import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { VLLM_IMAGE, VLLM_PORT } from "../../components/internal/vllm-flags";
import { RUNTIME_ENV, VLLM_ENV } from "../../components/internal/vllm-pod";
import { COLD_START_ANNOTATION, VLLM_SERVER_DEFAULTS, VllmServer, WORKLOAD_PROFILE_ANNOTATION, type VllmServerArgs } from "../../components/vllm-server";
import { servingPlan } from "../../infra/serving-plan";
import { workloadProfileSchema } from "../../policies/economics/schema";
import { placement, profileOf, servingStack, WEIGHT_GIB, workload } from "../fixtures/serving";
import { validateRecordedKubernetesObjects } from "../helpers/kubernetes-schemas";
import { find, installPulumiMocks, type RecordedResource } from "../helpers/pulumi-mocks";

const config = servingStack();
const chat = workload(config, "chat");
const plan = servingPlan(config, chat, WEIGHT_GIB);

function baseArgs(overrides: Partial<VllmServerArgs> = {}): VllmServerArgs {
  return { namespace: "search", serviceAccountName: "inference", plan, profile: profileOf(chat), placement, weightGiB: WEIGHT_GIB, ...overrides };
}

async function build(overrides: Partial<VllmServerArgs> = {}): Promise<{ recorded: RecordedResource[]; server: VllmServer }> {
  const recorded = installPulumiMocks();
  const server = new VllmServer("chat", baseArgs(overrides));
  await pulumi.runtime.disconnect();
  return { recorded, server };
}

type Obj = Record<string, unknown>;

/** Pulumi's wire marker of a secret value (`sdk/nodejs/runtime/rpc.ts` `specialSigKey` / `specialSecretSig`). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** The recorded inputs with secret markers replaced by their values, for schema validation. */
function revealSecrets(recorded: RecordedResource[]): RecordedResource[] {
  const reveal = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(reveal);
    if (v !== null && typeof v === "object") {
      const o = v as Obj;
      if (o[SECRET_SIG] === SECRET_SIG_VALUE) return reveal(o.value);
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, reveal(x)]));
    }
    return v;
  };
  return recorded.map((r) => ({ ...r, inputs: reveal(r.inputs) as Obj }));
}
const at = (o: unknown, ...path: (string | number)[]): unknown => path.reduce<unknown>((v, k) => (v as Obj | undefined)?.[k as string], o);
const container = (r: RecordedResource) => at(r.inputs, "spec", "template", "spec", "containers", 0) as Obj;

describe("VllmServer children", () => {
  it("registers exactly a Deployment, Service, PDB, NetworkPolicy and PodMonitor (no Secret without a token)", async () => {
    const { recorded } = await build();
    expect(recorded.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        "gpu-inference:serving:VllmServer chat",
        "kubernetes:apps/v1:Deployment chat",
        "kubernetes:core/v1:Service chat-svc",
        "kubernetes:monitoring.coreos.com/v1:PodMonitor chat-metrics",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy chat-ingress",
        "kubernetes:policy/v1:PodDisruptionBudget chat-pdb",
      ].sort(),
    );
  });

  it("every Kubernetes object validates against the real schemas (PodMonitor CRD included)", async () => {
    const { recorded } = await build({ huggingFaceToken: pulumi.secret("hf_test") });
    expect(await validateRecordedKubernetesObjects(revealSecrets(recorded))).toBe(6);
  });

  it("never sets spec.replicas, so KEDA's HPA owns the count", async () => {
    const { recorded } = await build();
    expect(at(find(recorded, "kubernetes:apps/v1:Deployment", "chat").inputs, "spec", "replicas")).toBeUndefined();
  });

  it("runs the pinned image with the model first, then flags; tensor parallel size equals the GPU limit from the plan", async () => {
    const { recorded } = await build();
    const c = container(find(recorded, "kubernetes:apps/v1:Deployment", "chat"));
    expect(c.image).toBe("vllm/vllm-openai:v0.26.0");
    expect(c.command).toBeUndefined();
    expect(c.args).toEqual([
      "meta-llama/Llama-3.1-8B-Instruct",
      "--served-model-name",
      "chat",
      "--tensor-parallel-size",
      "2",
      "--gpu-memory-utilization",
      "0.9",
      "--enable-prefix-caching",
      "--max-model-len",
      String(plan.engine.maxModelLen),
      "--max-num-seqs",
      String(plan.engine.maxNumSeqs),
      "--port",
      "8000",
      "--disable-uvicorn-access-log",
    ]);
    expect(at(c, "resources", "limits", "nvidia.com/gpu")).toBe(String(plan.gpusPerReplica));
    expect(at(c, "resources", "requests", "nvidia.com/gpu")).toBe("2");
  });

  it("schedules on the pool: node selector, GPU toleration, zone spread", async () => {
    const { recorded } = await build();
    const spec = at(find(recorded, "kubernetes:apps/v1:Deployment", "chat").inputs, "spec", "template", "spec") as Obj;
    expect(spec.nodeSelector).toEqual({ "gpu-inference/pool": "l40s" });
    expect(spec.tolerations).toEqual([{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
    expect(spec.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: { "app.kubernetes.io/instance": "chat", "app.kubernetes.io/component": "engine" } },
      },
    ]);
  });

  it("is restricted-PSS compliant and non-root, with every cache on a writable volume and /dev/shm in memory", async () => {
    const { recorded } = await build();
    const spec = at(find(recorded, "kubernetes:apps/v1:Deployment", "chat").inputs, "spec", "template", "spec") as Obj;
    expect(spec.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } });
    const c = (spec.containers as Obj[])[0] as Obj;
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(spec.enableServiceLinks).toBe(false);
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.serviceAccountName).toBe("inference");
    expect(spec.volumes).toEqual([
      { name: "model-cache", emptyDir: { sizeLimit: "23Gi" } },
      { name: "cache", emptyDir: { sizeLimit: "20Gi" } },
      { name: "tmp", emptyDir: { sizeLimit: "10Gi" } },
      { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "4Gi" } },
    ]);
    const mounts = new Map((c.volumeMounts as { name: string; mountPath: string }[]).map((m) => [m.mountPath, m.name]));
    const env = Object.fromEntries((c.env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
    expect(env).toEqual({ ...RUNTIME_ENV, ...VLLM_ENV });
    // Every path the environment points at lies on a mounted writable volume.
    for (const value of [env.HOME, env.HF_HOME, env.VLLM_CACHE_ROOT, env.VLLM_CONFIG_ROOT, env.VLLM_ASSETS_CACHE, env.XDG_CACHE_HOME, env.XDG_CONFIG_HOME, env.TRITON_CACHE_DIR, env.TORCHINDUCTOR_CACHE_DIR, env.NUMBA_CACHE_DIR, env.TMPDIR]) {
      expect([...mounts.keys()].some((m) => value === m || value?.startsWith(`${m}/`)), value).toBe(true);
    }
    expect(mounts.get("/dev/shm")).toBe("dshm");
  });

  it("probes /health with a startup budget of at least the cold start, and rolls without losing capacity", async () => {
    const { recorded } = await build();
    const d = find(recorded, "kubernetes:apps/v1:Deployment", "chat").inputs;
    const c = container(find(recorded, "kubernetes:apps/v1:Deployment", "chat"));
    const startup = c.startupProbe as { httpGet: Obj; periodSeconds: number; failureThreshold: number };
    expect(startup.httpGet).toEqual({ path: "/health", port: "http" });
    expect(startup.periodSeconds * startup.failureThreshold).toBeGreaterThanOrEqual(plan.coldStartSeconds);
    expect(startup.periodSeconds * startup.failureThreshold).toBe(Math.ceil(Math.max(600, 2 * plan.coldStartSeconds) / 10) * 10);
    expect(at(c, "readinessProbe", "httpGet", "path")).toBe("/health");
    expect(at(c, "livenessProbe", "httpGet", "path")).toBe("/health");
    expect(at(d, "spec", "strategy")).toEqual({ type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  });

  it("carries the workload profile as an annotation the economics schema accepts", async () => {
    const { recorded } = await build();
    const annotations = at(find(recorded, "kubernetes:apps/v1:Deployment", "chat").inputs, "metadata", "annotations") as Record<string, string>;
    const parsed = workloadProfileSchema.parse(JSON.parse(annotations[WORKLOAD_PROFILE_ANNOTATION] as string));
    expect(parsed).toEqual(workloadProfileSchema.parse(profileOf(chat)));
    expect(parsed.traffic.requestsPerMonth).toBe(30_000_000);
    // and its cold start, which the scheduling and cooldown policies compare probes and windows with
    expect(annotations[COLD_START_ANNOTATION]).toBe(String(plan.coldStartSeconds));
  });

  it("Service is not named vllm and targets the engine port; PDB keeps the plan's floor", async () => {
    const { recorded } = await build();
    const svc = find(recorded, "kubernetes:core/v1:Service", "chat-svc").inputs;
    expect(at(svc, "metadata", "name")).toBe("chat");
    expect(at(svc, "spec", "ports")).toEqual([{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }]);
    const pdb = find(recorded, "kubernetes:policy/v1:PodDisruptionBudget", "chat-pdb").inputs;
    expect(at(pdb, "spec", "minAvailable")).toBe(plan.minReplicas);
    expect(() => new VllmServer("vllm", baseArgs())).toThrow(/VLLM_PORT/);
  });

  it("admits traffic only from the router and Prometheus, on the engine port", async () => {
    const { recorded } = await build();
    const np = find(recorded, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "chat-ingress").inputs;
    expect(at(np, "spec", "policyTypes")).toEqual(["Ingress"]);
    expect(at(np, "spec", "ingress")).toEqual([
      { from: VLLM_SERVER_DEFAULTS.clients.router, ports: [{ protocol: "TCP", port: VLLM_PORT }] },
      { from: VLLM_SERVER_DEFAULTS.clients.prometheus, ports: [{ protocol: "TCP", port: VLLM_PORT }] },
    ]);
  });

  it("PodMonitor attaches namespace and the engine job label the autoscaler's query filters on", async () => {
    const { recorded } = await build();
    const pm = find(recorded, "kubernetes:monitoring.coreos.com/v1:PodMonitor", "chat-metrics").inputs;
    expect(at(pm, "spec", "podMetricsEndpoints", 0)).toEqual({
      port: "http",
      path: "/metrics",
      interval: "15s",
      honorLabels: false,
      relabelings: [
        { action: "replace", sourceLabels: ["__meta_kubernetes_namespace"], targetLabel: "namespace" },
        { action: "replace", sourceLabels: ["__meta_kubernetes_pod_name"], targetLabel: "pod" },
        { action: "replace", targetLabel: "job", replacement: "vllm-engine" },
      ],
    });
  });

  it("keeps the Hugging Face token out of the Deployment: a Secret, read by reference", async () => {
    const token = "hf_do_not_leak_0123456789";
    const { recorded } = await build({ huggingFaceToken: pulumi.secret(token) });
    const secret = find(recorded, "kubernetes:core/v1:Secret", "chat-hf-token");
    // The engine receives the token as a Pulumi secret (encrypted in state), not as plain text.
    expect(at(secret.inputs, "stringData")).toEqual({ [SECRET_SIG]: SECRET_SIG_VALUE, value: { HF_TOKEN: token } });
    const others = recorded.filter((r) => r !== secret);
    expect(others.some((r) => JSON.stringify(r.inputs).includes(token))).toBe(false);
    const env = container(find(recorded, "kubernetes:apps/v1:Deployment", "chat")).env as Obj[];
    expect(env.find((e) => e.name === "HF_TOKEN")).toEqual({ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "chat-hf-token", key: "HF_TOKEN" } } });
  });

  it("streams S3 weights with the Run:ai streamer", async () => {
    const { recorded } = await build({ weights: { kind: "s3", uri: "s3://inference-dev-weights/search/llama-3.1-8b/" } });
    const args = container(find(recorded, "kubernetes:apps/v1:Deployment", "chat")).args as string[];
    expect(args[0]).toBe("s3://inference-dev-weights/search/llama-3.1-8b/");
    expect(args.slice(args.indexOf("--load-format"), args.indexOf("--load-format") + 2)).toEqual(["--load-format", "runai_streamer"]);
  });
});

describe("VllmServer defaults", () => {
  it("applies every documented @default", async () => {
    const d = VLLM_SERVER_DEFAULTS;
    expect(d.enablePrefixCaching).toBe(true);
    expect([d.cpuPerGpu, d.memoryGiBPerGpu, d.shmSizeGiB, d.modelCacheMinGiB, d.modelCacheOverWeights, d.startupMinSeconds, d.startupOverColdStart]).toEqual([2, 12, 4, 20, 1.5, 600, 2]);
    const recorded = installPulumiMocks();
    const args = baseArgs();
    delete (args as { serviceAccountName?: unknown }).serviceAccountName;
    new VllmServer("chat", args);
    await pulumi.runtime.disconnect();
    const c = container(find(recorded, "kubernetes:apps/v1:Deployment", "chat"));
    const spec = at(find(recorded, "kubernetes:apps/v1:Deployment", "chat").inputs, "spec", "template", "spec") as Obj;
    expect(spec.serviceAccountName).toBeUndefined();
    expect(c.args).toContain("--enable-prefix-caching");
    // maxModelLen / maxNumSeqs: the plan's engine limits (what fits, and the cost model's batch).
    expect(c.args).toEqual(expect.arrayContaining(["--max-model-len", String(plan.engine.maxModelLen), "--max-num-seqs", String(plan.engine.maxNumSeqs)]));
    expect(c.args).not.toContain("--quantization");
    expect(c.args).not.toContain("--kv-cache-dtype");
    expect(at(c, "args", 2)).toBe("chat"); // served model name = workload name
    expect(at(c, "args", 0)).toBe(chat.model.id); // weights from the hub
    expect(c.resources).toEqual({ requests: { cpu: "4", memory: "24Gi", "nvidia.com/gpu": "2" }, limits: { memory: "24Gi", "nvidia.com/gpu": "2" } });
    expect(at(spec, "volumes", 0)).toEqual({ name: "model-cache", emptyDir: { sizeLimit: `${Math.max(20, Math.ceil(1.5 * WEIGHT_GIB))}Gi` } });
    expect(at(spec, "volumes", 3)).toEqual({ name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "4Gi" } });
    const startup = c.startupProbe as { periodSeconds: number; failureThreshold: number };
    expect(startup).toMatchObject({ periodSeconds: 10, failureThreshold: Math.ceil(Math.max(600, 2 * plan.coldStartSeconds) / 10) });
    const np = find(recorded, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "chat-ingress").inputs;
    expect(at(np, "spec", "ingress", 0, "from")).toEqual([
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "inference-router" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "inference-router" } } },
    ]);
    expect(at(np, "spec", "ingress", 1, "from")).toEqual([
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } },
    ]);
    const pm = find(recorded, "kubernetes:monitoring.coreos.com/v1:PodMonitor", "chat-metrics").inputs;
    expect(at(pm, "spec", "podMetricsEndpoints", 0, "interval")).toBe("15s");
    expect(Object.keys(at(pm, "metadata", "labels") as Obj).sort()).toEqual(
      ["app.kubernetes.io/component", "app.kubernetes.io/instance", "app.kubernetes.io/name", "app.kubernetes.io/part-of", "gpu-inference.dev/workload"],
    );
    expect(VLLM_IMAGE).toBe("vllm/vllm-openai:v0.26.0");
  });

  it("renders the profile's fp8 precisions and the plan's context (capped at the model's own) as vLLM flags", async () => {
    const model = { id: chat.model.id, weightPrecision: "fp8" as const, kvCachePrecision: "fp8" as const, architecture: { parametersBillions: 8, layers: 32, hiddenSize: 4096, attentionHeads: 32, kvHeads: 8, maxContextTokens: 32768 } };
    const fp8Plan = servingPlan(config, { ...chat, model }, WEIGHT_GIB);
    expect(fp8Plan.engine.maxModelLen).toBe(32768);
    const { recorded } = await build({ plan: fp8Plan, profile: { ...profileOf(chat), model } });
    const args = container(find(recorded, "kubernetes:apps/v1:Deployment", "chat")).args as string[];
    expect(args).toEqual(expect.arrayContaining(["--quantization", "fp8", "--kv-cache-dtype", "fp8", "--max-model-len", "32768"]));
  });
});

describe("VllmServer validation", () => {
  it("refuses a batch profile, a replica floor of 0, a startup budget under the cold start, and a KV precision vLLM lacks", () => {
    installPulumiMocks();
    expect(() => new VllmServer("chat", baseArgs({ profile: { ...profileOf(chat), tier: "batch" } }))).toThrow(/batch tiers run as KEDA ScaledJobs/);
    expect(() => new VllmServer("chat", baseArgs({ plan: { ...plan, minReplicas: 0 } }))).toThrow(/minReplicas is 0; expected at least 1/);
    expect(() => new VllmServer("chat", baseArgs({ startupTimeoutSeconds: plan.coldStartSeconds - 1 }))).toThrow(/at least the cold start/);
    expect(() => new VllmServer("chat", baseArgs({ profile: { ...profileOf(chat), model: { id: "x/y", kvCachePrecision: "int8" } } }))).toThrow(/kvCachePrecision: "int8"/);
    expect(() => new VllmServer("chat", baseArgs({ memoryGiB: 4, shmSizeGiB: 4 }))).toThrow(/memoryGiB: expected more than shmSizeGiB/);
  });
});
