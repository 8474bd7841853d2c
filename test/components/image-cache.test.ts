/**
 * The ECR pull-through cache for the Docker Hub images: the rule and its Secrets Manager secret as ECR
 * documents them, the node role granted exactly what a pull through the cache needs (checked against a
 * table of ECR's documented actions, scoped to the cache's repositories), the images rewritten to ECR,
 * the Docker Hub token kept a secret end to end; and, without a cache, the plan's advisory and the
 * real update's refusal once a scale-out can pass Docker Hub's anonymous pull limit.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it, vi } from "vitest";
import { GpuCluster, type GpuClusterArgs } from "../../components/gpu-cluster";
import {
  cachedImage,
  DOCKER_HUB_ANONYMOUS_PULLS_PER_HOUR,
  DOCKER_HUB_IMAGES,
  DOCKER_HUB_UPSTREAM,
  dockerHubRepositoryPath,
  PULL_THROUGH_PULLER_ACTIONS,
  PULL_THROUGH_SECRET_PREFIX,
} from "../../components/internal/image-cache";
import { loadStackConfigFile, namespaceValues, parseStackConfig, StackConfigError } from "../../infra/config";
import { anonymousDockerHubPulls, deployReadiness, imagePullRefusals } from "../../infra/deploy-readiness";
import type { PolicyDocumentJson } from "../fixtures/iam-policies";
import { find, installPulumiMocks, ofType, type RecordedResource, valueOf } from "../helpers/pulumi-mocks";

const TOKEN = "dckr_pat_doNotLeak0123456789abcdef";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const ROOT = path.resolve(__dirname, "../..");

/**
 * What a node's first pull of an image through a pull-through cache calls, and the IAM action each needs.
 * Source: ECR User Guide, "IAM permissions required to sync an upstream registry with an Amazon ECR private
 * registry" (docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html): BatchImportUpstreamImage
 * "to retrieve the external image and import it", CreateRepository "if the repository storing the cached images
 * doesn't already exist"; the ordinary pull (GetAuthorizationToken, BatchGetImage, GetDownloadUrlForLayer) comes
 * from the node role's AmazonEC2ContainerRegistryPullOnly, as of 2026-12-02.
 */
const FIRST_PULL_ACTIONS: readonly { readonly step: string; readonly action: string }[] = [
  { step: "import the upstream image into the cache", action: "ecr:BatchImportUpstreamImage" },
  { step: "create the cache repository on an image's first pull", action: "ecr:CreateRepository" },
];

const baseArgs: GpuClusterArgs = {
  clusterName: "inference-dev",
  environment: "dev",
  region: "us-east-1",
  availabilityZoneIds: ["use1-az1", "use1-az2"],
  gpuPools: [{ name: "l4", instanceTypes: ["g6.xlarge"], gpuLimit: 4 }],
};

async function build(args: Partial<GpuClusterArgs>): Promise<{ recorded: RecordedResource[]; cluster: GpuCluster }> {
  const recorded = installPulumiMocks();
  const cluster = new GpuCluster("gpu", { ...baseArgs, ...args }, { providers: { aws: new aws.Provider("aws", { region: "us-east-1" }) } });
  await pulumi.runtime.disconnect();
  return { recorded, cluster };
}

const globMatch = (pattern: string, value: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`).test(value);
const list = (x: string | string[] | undefined): string[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
const allows = (policy: PolicyDocumentJson, action: string, resource: string) =>
  policy.Statement.some((s) => s.Effect === "Allow" && list(s.Action).some((a) => globMatch(a, action)) && list(s.Resource).some((r) => globMatch(r, resource)));

describe("the Docker Hub pull-through cache", () => {
  const credentials = pulumi.secret({ username: "platformbot", accessToken: TOKEN });

  it("creates the rule for registry-1.docker.io with its credentials in an ecr-pullthroughcache/ secret holding username and accessToken", async () => {
    const { recorded } = await build({ dockerHubCache: { credentials } });
    const secret = find(recorded, "aws:secretsmanager/secret:Secret", "gpu-docker-hub");
    expect(secret.inputs.name).toBe(`${PULL_THROUGH_SECRET_PREFIX}inference-dev-docker-hub`);
    const rule = find(recorded, "aws:ecr/pullThroughCacheRule:PullThroughCacheRule", "gpu-docker-hub");
    expect(rule.inputs).toMatchObject({ ecrRepositoryPrefix: "docker-hub", upstreamRegistryUrl: DOCKER_HUB_UPSTREAM, credentialArn: "arn:aws:mock:us-east-1:123456789012:gpu-docker-hub" });
    const version = find(recorded, "aws:secretsmanager/secretVersion:SecretVersion", "gpu-docker-hub");
    const secretString = version.inputs.secretString as Record<string, unknown>;
    expect(secretString[SECRET_SIG]).toBeDefined(); // a Pulumi secret: encrypted in state, masked in output
    expect(JSON.parse(secretString.value as string)).toEqual({ username: "platformbot", accessToken: TOKEN });
  });

  it("grants the node role exactly what a first pull through the cache needs, on the cache's repositories only", async () => {
    const { recorded } = await build({ dockerHubCache: { credentials, ecrRepositoryPrefix: "hub" } });
    const grant = find(recorded, "aws:iam/rolePolicy:RolePolicy", "gpu-node-pull-through");
    expect(grant.inputs.role).toBe("inference-dev-node");
    const policy = JSON.parse(grant.inputs.policy as string) as PolicyDocumentJson;
    expect(policy.Statement.flatMap((s) => list(s.Action)).sort()).toEqual([...PULL_THROUGH_PULLER_ACTIONS].sort());
    expect(policy.Statement.flatMap((s) => list(s.Resource))).toEqual(["arn:aws:ecr:us-east-1:123456789012:repository/hub/*"]);
    const cacheRepository = "arn:aws:ecr:us-east-1:123456789012:repository/hub/vllm/vllm-openai";
    for (const { step, action } of FIRST_PULL_ACTIONS) expect(allows(policy, action, cacheRepository), step).toBe(true);
    expect(allows(policy, "ecr:CreateRepository", "arn:aws:ecr:us-east-1:123456789012:repository/team-app")).toBe(false);
    expect(allows(policy, "ecr:PutImage", cacheRepository)).toBe(false);
  });

  it("rewrites the vLLM and guard images to the cache, and leaves them on Docker Hub without one", async () => {
    const cached = await build({ dockerHubCache: { credentials } });
    expect(await valueOf(pulumi.output(cached.cluster.containerImages.vllm))).toBe("123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub/vllm/vllm-openai:v0.26.0");
    expect(await valueOf(pulumi.output(cached.cluster.containerImages.guard))).toBe("123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub/library/node:26.13.0-alpine3.24");
    const direct = await build({});
    expect(direct.cluster.containerImages).toEqual(DOCKER_HUB_IMAGES);
    expect(ofType(direct.recorded, "aws:ecr/pullThroughCacheRule:PullThroughCacheRule")).toEqual([]);
  });

  it("maps Docker Hub references to the cache's paths: official images under library/, others as written", () => {
    expect(dockerHubRepositoryPath("vllm/vllm-openai:v0.26.0")).toBe("vllm/vllm-openai:v0.26.0");
    expect(dockerHubRepositoryPath("node:26.13.0-alpine3.24")).toBe("library/node:26.13.0-alpine3.24");
    expect(dockerHubRepositoryPath("docker.io/library/node:26")).toBe("library/node:26");
    expect(cachedImage("vllm/vllm-openai:v0.26.0", "111122223333.dkr.ecr.eu-west-1.amazonaws.com", "hub")).toBe("111122223333.dkr.ecr.eu-west-1.amazonaws.com/hub/vllm/vllm-openai:v0.26.0");
    expect(() => dockerHubRepositoryPath("ghcr.io/org/image:1")).toThrow(/not on Docker Hub/);
  });

  it("refuses a repository prefix ECR would refuse", () => {
    installPulumiMocks();
    expect(() => new GpuCluster("bad", { ...baseArgs, dockerHubCache: { credentials, ecrRepositoryPrefix: "Docker Hub!" } })).toThrowError(
      'dockerHubCache.ecrRepositoryPrefix: got "Docker Hub!"; expected 2 to 30 lowercase letters, digits, ".", "_", "-" or "/" (ECR\'s repository prefix) such as docker-hub',
    );
  });
});

const devValues = namespaceValues(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8"), "Pulumi.dev.yaml");
const withCache = { ...devValues, cluster: { ...(devValues.cluster as object), dockerHubCache: { username: "platformbot" } } };

describe("the program with a Docker Hub cache", () => {
  it("points every GPU pod at the cache and keeps the token out of every other input and every output", async () => {
    vi.resetModules();
    const config = Object.fromEntries([["aws:region", "us-east-1"], ...Object.entries(withCache).map(([k, v]) => [`gpu-inference:${k}`, v]), ["gpu-inference:dockerHubAccessToken", TOKEN]]);
    const recorded = installPulumiMocks({ config, secretKeys: ["gpu-inference:dockerHubAccessToken"], stack: "dev" });
    const program = (await import("../../infra/index.js")) as Record<string, unknown>;
    await pulumi.runtime.disconnect();
    const images = recorded
      .filter((r) => ["kubernetes:apps/v1:Deployment", "kubernetes:keda.sh/v1alpha1:ScaledJob", "kubernetes:batch/v1:Job"].includes(r.type))
      .flatMap((r) => [...JSON.stringify(r.inputs).matchAll(/"image":"([^"]+)"/g)].map((m) => m[1]!));
    expect(images.length).toBeGreaterThanOrEqual(4); // 2 batch ScaledJobs, the chat engine and its guard (and any weights-staging Job)
    for (const image of images) expect(image).toMatch(/^123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/docker-hub\//);
    const version = find(recorded, "aws:secretsmanager/secretVersion:SecretVersion", "gpu-inference-dev-docker-hub");
    expect(recorded.filter((r) => r !== version).some((r) => JSON.stringify(r.inputs).includes(TOKEN))).toBe(false);
    for (const [name, output] of Object.entries(program)) {
      if (!pulumi.Output.isInstance(output)) continue;
      expect(JSON.stringify(await valueOf(output as pulumi.Output<unknown>)) ?? "", name).not.toContain(TOKEN);
    }
  });
});

describe("without a cache", () => {
  const dev = loadStackConfigFile(path.join(ROOT, "Pulumi.dev.yaml"));

  it("counts the anonymous Docker Hub pulls a scale-out to max replicas makes (hand arithmetic)", () => {
    // ticket-classifier 12 + document-processing 4 batch Jobs (1 image each) + support-chat 2 replicas × (vLLM + guard) = 20.
    expect(anonymousDockerHubPulls(dev)).toBe(20);
    expect(anonymousDockerHubPulls(parseStackConfig(withCache, "Pulumi.dev.yaml"))).toBe(0);
  });

  it("makes the plan say so before the first pulumi up, and a real pulumi up refuse past Docker Hub's limit", () => {
    const images = deployReadiness(dev, { huggingFaceTokenSet: true }).filter((item) => item.topic === "images");
    expect(images.map((item) => item.message)).toEqual([
      `up to 20 image pulls from Docker Hub at max replicas, anonymous, from the NAT gateway's address: Docker Hub allows ${DOCKER_HUB_ANONYMOUS_PULLS_PER_HOUR} per hour, so a scale-out stalls in ImagePullBackOff. ` +
        "Pull through ECR: set cluster.dockerHubCache.username and pulumi config set --secret gpu-inference:dockerHubAccessToken <token> (a real pulumi up refuses the stack without it)",
    ]);
    expect(imagePullRefusals(dev, { dockerHubTokenSet: false })).toEqual([
      {
        path: "cluster.dockerHubCache",
        message: `workloads can pull up to 20 images from Docker Hub anonymously at max replicas, past Docker Hub's ${DOCKER_HUB_ANONYMOUS_PULLS_PER_HOUR} pulls per hour per address; set cluster.dockerHubCache.username and the secret gpu-inference:dockerHubAccessToken to pull through ECR`,
      },
    ]);
    const small = { ...dev, workloads: dev.workloads.filter((w) => w.name === "support-chat") }; // 4 pulls: within the limit
    expect(imagePullRefusals(small, { dockerHubTokenSet: false })).toEqual([]);
  });

  it("needs the token once the cache is configured, and says which key", () => {
    const cached = parseStackConfig(withCache, "Pulumi.dev.yaml");
    expect(imagePullRefusals(cached, { dockerHubTokenSet: false })).toEqual([
      { path: "dockerHubAccessToken", message: "cluster.dockerHubCache is set but the Docker Hub access token is not: pulumi config set --secret gpu-inference:dockerHubAccessToken <token>" },
    ]);
    expect(imagePullRefusals(cached, { dockerHubTokenSet: true })).toEqual([]);
    const items = deployReadiness(cached, { huggingFaceTokenSet: true, dockerHubTokenSet: true }).filter((item) => item.topic === "images");
    expect(items.map((i) => i.message)).toEqual([
      "images come through the ECR pull-through cache docker-hub/ (Docker Hub account platformbot, token set): the first pull of each image fills it",
    ]);
  });

  it("refuses a Docker Hub token written in the stack file, naming the key and never the value", () => {
    const parse = () => parseStackConfig({ ...devValues, dockerHubAccessToken: TOKEN }, "Pulumi.dev.yaml");
    expect(parse).toThrow(StackConfigError);
    expect(parse).toThrow(/Pulumi\.dev\.yaml: gpu-inference:dockerHubAccessToken: a secret in plain text/);
    try {
      parse();
    } catch (error) {
      expect((error as Error).message).not.toContain(TOKEN);
    }
  });
});
