/**
 * An ECR pull-through cache for the Docker Hub images the GPU pods run (vLLM, the admission guard's
 * Node.js). Without it every new node pulls them from Docker Hub through the NAT gateway, anonymously,
 * from one IP: Docker Hub allows 10 such pulls per hour, and a scale-out past that stalls in
 * ImagePullBackOff. Through the cache a node pulls from ECR in the region; ECR fetches from Docker Hub
 * once, authenticated with the stack's Docker Hub account.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyDocument } from "./iam";
import { GUARD_IMAGE } from "./router-guard-sidecar";
import { VLLM_IMAGE } from "./vllm-flags";

/**
 * Docker Hub's registry endpoint, as a pull-through cache rule's `upstreamRegistryUrl` must spell it.
 * Source: ECR API reference, CreatePullThroughCacheRule, `upstreamRegistryUrl` ("Docker Hub (docker-hub) –
 * registry-1.docker.io"), docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreatePullThroughCacheRule.html, as of 2026-12-02.
 */
export const DOCKER_HUB_UPSTREAM = "registry-1.docker.io";

/**
 * Docker Hub upstreams need credentials in Secrets Manager, in a secret whose name begins with this prefix
 * (the API's `credentialArn` pattern requires it), in the rule's account and region, holding the keys
 * `username` and `accessToken`. Source: ECR User Guide, "Creating a pull through cache rule" and "Storing your
 * upstream repository credentials in an AWS Secrets Manager secret"
 * (docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-creating-secret.html), as of 2026-12-02.
 */
export const PULL_THROUGH_SECRET_PREFIX = "ecr-pullthroughcache/";

/**
 * What the identity that pulls (the node role: kubelet pulls with it) needs beyond an ordinary ECR pull, which
 * the node role's AmazonEC2ContainerRegistryPullOnly grants. `ecr:BatchImportUpstreamImage` fetches the
 * upstream image into the cache; `ecr:CreateRepository` creates the cache's repository on the first pull of an
 * image. Source: ECR User Guide, "IAM permissions required to sync an upstream registry with an Amazon ECR
 * private registry" (docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html), as of 2026-12-02.
 */
export const PULL_THROUGH_PULLER_ACTIONS = ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"] as const;

/**
 * Docker Hub anonymous pulls allowed per hour from one IPv4 address (a NAT gateway's), the limit that stalls a
 * scale-out. Source: Docker docs, "Docker Hub usage and limits" (docs.docker.com/docker-hub/usage/; docker/docs
 * content/manuals/docker-hub/usage/_index.md: "Unauthenticated users: 10 per IPv4 address or IPv6 /64 subnet"), as of 2026-12-02.
 */
export const DOCKER_HUB_ANONYMOUS_PULLS_PER_HOUR = 10;

/** The images a GPU pod runs; a pull-through cache rewrites both. */
export interface ContainerImages {
  /** The vLLM engine image (serving Deployments and batch Jobs). */
  readonly vllm: pulumi.Input<string>;
  /** The admission guard sidecar's image. */
  readonly guard: pulumi.Input<string>;
}

/** The Docker Hub references, pulled directly (no cache). */
export const DOCKER_HUB_IMAGES: ContainerImages = Object.freeze({ vllm: VLLM_IMAGE, guard: GUARD_IMAGE });

/** Docker Hub images a GPU pod of each tier pulls: an interactive pod with its guard pulls two, a batch Job one. */
export const DOCKER_HUB_PULLS_PER_POD = { interactive: 2, batch: 1 } as const;

/**
 * An image's path in a Docker Hub cache: official images live under `library/` (Docker Hub's own
 * naming: `node:26` is `library/node:26`), everything else as written. Refuses references to other registries.
 */
export function dockerHubRepositoryPath(image: string): string {
  const [first, ...rest] = image.split("/");
  if (first === undefined || first === "") throw new Error(`image "${image}": expected a Docker Hub reference such as vllm/vllm-openai:v0.26.0`);
  if (rest.length > 0 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    if (first !== "docker.io" && first !== DOCKER_HUB_UPSTREAM) throw new Error(`image "${image}" is not on Docker Hub; a Docker Hub cache cannot serve it`);
    return dockerHubRepositoryPath(rest.join("/"));
  }
  return rest.length === 0 ? `library/${first}` : image;
}

/** `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<path>`: where a node pulls a Docker Hub image through the cache. */
export function cachedImage(image: string, registryHost: string, ecrRepositoryPrefix: string): string {
  return `${registryHost}/${ecrRepositoryPrefix}/${dockerHubRepositoryPath(image)}`;
}

/** ECR's private registry host of an account and region (the `amazonaws.com` partition). */
export function ecrRegistryHost(accountId: string, region: string): string {
  return `${accountId}.dkr.ecr.${region}.amazonaws.com`;
}

/** Docker Hub credentials for the cache: a Pulumi secret end to end. */
export interface DockerHubCredentials {
  readonly username: string;
  readonly accessToken: string;
}

export interface DockerHubCacheSettings {
  /** Logical-name prefix of every child. */
  readonly name: string;
  readonly clusterName: string;
  readonly region: string;
  readonly accountId: pulumi.Input<string>;
  readonly partition: pulumi.Input<string>;
  /** Name of the role nodes pull images with (the Auto Mode node role). */
  readonly nodeRoleName: pulumi.Input<string>;
  /** Repository prefix of the cache in ECR (ECR: 2–30 characters). */
  readonly ecrRepositoryPrefix: string;
  /** Docker Hub username and access token; stored only in Secrets Manager, never in plain state. */
  readonly credentials: pulumi.Input<DockerHubCredentials>;
}

export interface DockerHubCache {
  readonly secret: aws.secretsmanager.Secret;
  readonly rule: aws.ecr.PullThroughCacheRule;
  readonly pullerPolicy: aws.iam.RolePolicy;
  /** The images rewritten to the cache; each carries the rule and the node grant as dependencies, so no pod pulls before both exist. */
  readonly images: ContainerImages;
}

/** The secret, the rule, the node role's grant, and the rewritten images. */
export function createDockerHubCache(settings: DockerHubCacheSettings, parent: pulumi.Resource): DockerHubCache {
  const { name } = settings;
  const opts = { parent };
  const secret = new aws.secretsmanager.Secret(`${name}-docker-hub`, {
    name: `${PULL_THROUGH_SECRET_PREFIX}${settings.clusterName}-docker-hub`,
    description: `${settings.clusterName}: Docker Hub credentials of the ECR pull-through cache`,
    // A deleted secret can be restored for 7 days; the name stays reserved that long.
    recoveryWindowInDays: 7,
  }, opts);
  new aws.secretsmanager.SecretVersion(`${name}-docker-hub`, {
    secretId: secret.id,
    // The keys ECR reads; the whole string is a Pulumi secret, encrypted in state and masked in logs.
    secretString: pulumi.secret(pulumi.output(settings.credentials).apply((c) => JSON.stringify({ username: c.username, accessToken: c.accessToken }))),
  }, opts);
  const rule = new aws.ecr.PullThroughCacheRule(`${name}-docker-hub`, {
    ecrRepositoryPrefix: settings.ecrRepositoryPrefix,
    upstreamRegistryUrl: DOCKER_HUB_UPSTREAM,
    credentialArn: secret.arn,
  }, opts);
  const pullerPolicy = new aws.iam.RolePolicy(`${name}-node-pull-through`, {
    role: settings.nodeRoleName,
    policy: policyDocument([
      {
        Sid: "PullThroughDockerHubCache",
        Effect: "Allow",
        Action: [...PULL_THROUGH_PULLER_ACTIONS],
        // Only the cache's repositories: `<prefix>/...`.
        Resource: pulumi.interpolate`arn:${settings.partition}:ecr:${settings.region}:${settings.accountId}:repository/${settings.ecrRepositoryPrefix}/*`,
      },
    ]),
  }, opts);
  // The rule's prefix and the grant's name are known at preview (they are inputs), so the images stay plain
  // strings for the policies while carrying both resources as dependencies of every pod that uses them.
  const rewrite = (image: string) =>
    pulumi.all([settings.accountId, rule.ecrRepositoryPrefix, pullerPolicy.name]).apply(([accountId, prefix]) => cachedImage(image, ecrRegistryHost(accountId, settings.region), prefix));
  return { secret, rule, pullerPolicy, images: { vllm: rewrite(VLLM_IMAGE), guard: rewrite(GUARD_IMAGE) } };
}
