/**
 * What must hold before the first real `pulumi up` of a stack that no offline run can check: AWS
 * quotas, the way into the API endpoint, the Hugging Face token of gated models, placeholder values,
 * pinned zones, where images and weights come from. `npm run plan` prints these as advisories; the
 * program refuses placeholders on a real update.
 */
import { EKS_DISALLOWED_ZONE_IDS } from "../components/internal/availability-zones";
import { DOCKER_HUB_ANONYMOUS_PULLS_PER_HOUR, DOCKER_HUB_PULLS_PER_POD } from "../components/internal/image-cache";
import { ROLLING_UPDATE_SURGE_REPLICAS, servingPlan } from "../components/internal/serving-plan";
import { stagingTimeoutSeconds } from "../components/internal/weights-stager";
import { instanceById, natGatewayUsdPerGb } from "../policies/economics/catalog";
import { workloadWeightGiB } from "../policies/economics/evaluate";
import { gibToGb } from "../policies/economics/weights";
import type { StackConfig } from "./config";
import type { StackEvaluation } from "./stack-economics";

export interface ReadinessItem {
  /** Short topic: `quota`, `way in`, `token`, `placeholder`, `zones`, `images`, `egress`. */
  readonly topic: string;
  readonly message: string;
}

/**
 * EC2 vCPU quotas (Service Quotas, service `ec2`) that gate GPU instances, by instance family and purchase
 * option. Source: AWS Service Quotas console / docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html
 * ("Running On-Demand G and VT instances" L-DB2E81BA, "All G and VT Spot Instance Requests" L-3819A6DF,
 * "Running On-Demand P instances" L-417A185B, "All P Spot Instance Requests" L-7212CCBC), as of 2026-12-02.
 * New accounts often start at 0 for these.
 */
export const GPU_VCPU_QUOTAS: Readonly<Record<"G" | "P", { readonly onDemand: { code: string; name: string }; readonly spot: { code: string; name: string } }>> = {
  G: { onDemand: { code: "L-DB2E81BA", name: "Running On-Demand G and VT instances" }, spot: { code: "L-3819A6DF", name: "All G and VT Spot Instance Requests" } },
  P: { onDemand: { code: "L-417A185B", name: "Running On-Demand P instances" }, spot: { code: "L-7212CCBC", name: "All P Spot Instance Requests" } },
};

/** Hugging Face repositories that require an accepted licence and a token to download. */
export const GATED_MODEL_PREFIXES = ["meta-llama/", "mistralai/", "google/gemma"] as const;

/** Placeholder values of the example stacks: documentation ranges and ids that exist in no account. */
const PLACEHOLDERS: readonly { readonly pattern: RegExp; readonly what: string }[] = [
  { pattern: /\b123456789012\b/, what: "the example AWS account 123456789012" },
  { pattern: /^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+\/\d+$/, what: "a documentation CIDR (RFC 5737)" },
  { pattern: /^(vpc|subnet|sg)-0{8,}\d?$/, what: "a placeholder id" },
];

/** `key path: value` of every placeholder in the cluster config. */
export function placeholderValues(config: StackConfig): { readonly path: string; readonly value: string; readonly what: string }[] {
  const found: { path: string; value: string; what: string }[] = [];
  const visit = (value: unknown, path: string) => {
    if (typeof value === "string") {
      const hit = PLACEHOLDERS.find((p) => p.pattern.test(value));
      if (hit !== undefined) found.push({ path, value, what: hit.what });
    } else if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${path}[${i}]`));
    else if (typeof value === "object" && value !== null) for (const [k, v] of Object.entries(value)) visit(v, `${path}.${k}`);
  };
  visit(config.cluster, "cluster");
  return found;
}

/** Workloads whose model is gated on the Hugging Face hub. */
export function gatedWorkloads(config: StackConfig): string[] {
  return config.workloads.filter((w) => GATED_MODEL_PREFIXES.some((p) => w.model.id.startsWith(p))).map((w) => w.name);
}

/** vCPUs each GPU quota must allow with every workload at its max replicas plus the largest rollout surge, worst case over each pool's instance types. */
export function gpuVcpuNeeds(config: StackConfig): { readonly code: string; readonly name: string; readonly vcpus: number; readonly pools: readonly string[] }[] {
  const needs = new Map<string, { code: string; name: string; vcpus: number; pools: string[] }>();
  for (const pool of config.cluster.gpuPools) {
    const workloads = config.workloads.filter((w) => w.serving.gpuPool === pool.name);
    if (workloads.length === 0) continue;
    let worst = { vcpus: 0, family: "G" as "G" | "P" };
    for (const id of pool.instanceTypes) {
      const instance = instanceById(id);
      const nodesFor = (w: (typeof workloads)[number], replicas: number) => {
        const perInstance = Math.floor(instance.gpuCount / w.serving.gpusPerReplica);
        return perInstance === 0 ? 0 : Math.ceil(replicas / perInstance);
      };
      const atMax = workloads.reduce((sum, w) => sum + nodesFor(w, w.serving.maxReplicas), 0);
      // At full scale, an interactive rollout's surge replica may need an instance of its own (one rollout at a time).
      const surge = Math.max(0, ...workloads.filter((w) => w.tier === "interactive").map((w) => nodesFor(w, w.serving.maxReplicas + ROLLING_UPDATE_SURGE_REPLICAS) - nodesFor(w, w.serving.maxReplicas)));
      const instances = atMax + surge;
      // The NodePool's GPU limit caps what Karpenter launches.
      const capped = Math.min(instances, Math.ceil(pool.gpuLimit / instance.gpuCount));
      const vcpus = capped * instance.vcpu;
      if (vcpus > worst.vcpus) worst = { vcpus, family: id.startsWith("p") ? "P" : "G" };
    }
    const quota = GPU_VCPU_QUOTAS[worst.family][pool.capacityType === "spot" ? "spot" : "onDemand"];
    const entry = needs.get(quota.code) ?? { ...quota, vcpus: 0, pools: [] };
    entry.vcpus += worst.vcpus;
    entry.pools.push(pool.name);
    needs.set(quota.code, entry);
  }
  return [...needs.values()];
}

/**
 * Image pulls from Docker Hub when every workload scales out to its max replicas at once without a pull-through
 * cache: one per image per pod (a node caches an image, but a GPU pod usually gets a node of its own). 0 with a cache.
 */
export function anonymousDockerHubPulls(config: StackConfig): number {
  if (config.cluster.dockerHubCache !== undefined) return 0;
  return config.workloads.reduce((sum, w) => sum + w.serving.maxReplicas * DOCKER_HUB_PULLS_PER_POD[w.tier], 0);
}

/**
 * What a real `pulumi up` refuses about images: a scale-out that can pass Docker Hub's anonymous limit from the
 * NAT's one address (counted against one address: a scale-out may land in one zone, behind one NAT gateway), or a
 * configured cache without its token. Paths are below `gpu-inference:`.
 */
export function imagePullRefusals(config: StackConfig, options: { readonly dockerHubTokenSet: boolean }): { readonly path: string; readonly message: string }[] {
  const cache = config.cluster.dockerHubCache;
  if (cache !== undefined) {
    return options.dockerHubTokenSet
      ? []
      : [{ path: "dockerHubAccessToken", message: "cluster.dockerHubCache is set but the Docker Hub access token is not: pulumi config set --secret gpu-inference:dockerHubAccessToken <token>" }];
  }
  const pulls = anonymousDockerHubPulls(config);
  if (pulls <= DOCKER_HUB_ANONYMOUS_PULLS_PER_HOUR) return [];
  return [
    {
      path: "cluster.dockerHubCache",
      message: `workloads can pull up to ${pulls} images from Docker Hub anonymously at max replicas, past Docker Hub's ${DOCKER_HUB_ANONYMOUS_PULLS_PER_HOUR} pulls per hour per address; set cluster.dockerHubCache.username and the secret gpu-inference:dockerHubAccessToken to pull through ECR`,
    },
  ];
}

/** Everything a deployer must have in place before the first `pulumi up`, in the order docs/first-deploy.md follows. */
export function deployReadiness(
  config: StackConfig,
  options: {
    readonly huggingFaceTokenSet: boolean;
    /** Whether the secret `dockerHubAccessToken` is set (names only; the value is never read here). @default false */
    readonly dockerHubTokenSet?: boolean;
    /** The stack's evaluation (`npm run cost`), to quote what the cost model charges for weight downloads. @default - not quoted */
    readonly cost?: Pick<StackEvaluation, "workloads">;
  },
): ReadinessItem[] {
  const items: ReadinessItem[] = [];
  for (const need of gpuVcpuNeeds(config)) {
    items.push({
      topic: "quota",
      message: `EC2 quota ${need.code} "${need.name}" in ${config.cluster.region} must allow ${need.vcpus} vCPUs (pools ${need.pools.join(", ")} at max replicas, rollout surge included); check: aws service-quotas get-service-quota --service-code ec2 --quota-code ${need.code}`,
    });
  }
  const c = config.cluster;
  if (c.endpointPublicAccessCidrs.length > 0) {
    items.push({ topic: "way in", message: `the API endpoint is public to ${c.endpointPublicAccessCidrs.join(", ")}: run pulumi up from one of them` });
  } else {
    const access = c.endpointPrivateAccess;
    items.push({
      topic: "way in",
      message: `the API endpoint is private in ${c.existingVpc?.vpcId ?? "(no VPC)"}: run pulumi up from ${[...(access?.cidrs ?? []), ...(access?.securityGroupIds ?? [])].join(", ") || "(nobody admitted)"}, which must route into that VPC`,
    });
  }
  if (c.adminRoleArns.length === 0) items.push({ topic: "way in", message: "cluster.adminRoleArns is empty: add the role pulumi up runs as, or it cannot apply the Kubernetes objects" });
  const gated = gatedWorkloads(config);
  if (gated.length > 0) {
    items.push({
      topic: "token",
      message: options.huggingFaceTokenSet
        ? `gated models (${gated.join(", ")}): gpu-inference:huggingFaceToken is set; its account must have accepted each model's licence`
        : `gated models (${gated.join(", ")}) need a Hugging Face token whose account accepted their licence: pulumi config set --secret gpu-inference:huggingFaceToken <token> (a real pulumi up refuses to start without it)`,
    });
  }
  for (const p of placeholderValues(config)) {
    items.push({ topic: "placeholder", message: `cluster key ${p.path.replace(/^cluster\./, "")} is ${p.what} (${p.value}): replace it; a real pulumi up refuses it` });
  }
  const instanceTypes = [...new Set(c.gpuPools.flatMap((p) => p.instanceTypes))].join(",");
  items.push({
    topic: "zones",
    message:
      c.existingVpc !== undefined
        ? `zones are pinned by the subnets of ${c.existingVpc.vpcId}: each subnet's zone must offer ${instanceTypes} and not be one EKS refuses (${EKS_DISALLOWED_ZONE_IDS.map((row) => row.zoneId).join(", ")})`
        : `zones are pinned to ${(c.availabilityZoneIds ?? []).join(", ")}: check each offers ${instanceTypes}: aws ec2 describe-instance-type-offerings --region ${c.region} --location-type availability-zone-id --filters Name=location,Values=${(c.availabilityZoneIds ?? []).join(",")} Name=instance-type,Values=${instanceTypes}`,
  });
  const cache = c.dockerHubCache;
  if (cache !== undefined) {
    items.push({
      topic: "images",
      message: options.dockerHubTokenSet === true
        ? `images come through the ECR pull-through cache ${cache.ecrRepositoryPrefix}/ (Docker Hub account ${cache.username}, token set): the first pull of each image fills it`
        : `images come through the ECR pull-through cache ${cache.ecrRepositoryPrefix}/ (Docker Hub account ${cache.username}); its token is not set: pulumi config set --secret gpu-inference:dockerHubAccessToken <token> (a real pulumi up refuses to start without it)`,
    });
  } else {
    const pulls = anonymousDockerHubPulls(config);
    items.push({
      topic: "images",
      message:
        `up to ${pulls} image pulls from Docker Hub at max replicas, anonymous, from the NAT gateway's address: Docker Hub allows ${DOCKER_HUB_ANONYMOUS_PULLS_PER_HOUR} per hour, ` +
        (pulls > DOCKER_HUB_ANONYMOUS_PULLS_PER_HOUR ? "so a scale-out stalls in ImagePullBackOff. " : "enough for now, not for growth. ") +
        "Pull through ECR: set cluster.dockerHubCache.username and pulumi config set --secret gpu-inference:dockerHubAccessToken <token>" +
        (pulls > DOCKER_HUB_ANONYMOUS_PULLS_PER_HOUR ? " (a real pulumi up refuses the stack without it)" : ""),
    });
  }
  for (const w of config.workloads) {
    const evaluation = options.cost?.workloads.find((e) => e.name === w.name);
    const { tenant: _t, serving: _s, ...profile } = w;
    const plan = servingPlan(config, w, workloadWeightGiB(profile));
    const gb = gibToGb(plan.downloadGiB);
    const usdPerGb = natGatewayUsdPerGb(c.region, config.economics.priceOverrides);
    if (plan.weightsSource === "s3") {
      items.push({
        topic: "egress",
        message: `${w.name} stages its ${gb.toFixed(0)} GB checkpoint (${w.model.id}@${plan.modelRevision}) once through the NAT ($${(gb * usdPerGb).toFixed(2)}), then streams it through the S3 gateway endpoint; the first pulumi up waits up to ${stagingTimeoutSeconds(plan.downloadGiB)} s for the staging Job${gatedWorkloads(config).includes(w.name) ? ", which needs the Hugging Face token" : ""}`,
      });
      continue;
    }
    const charged =
      evaluation !== undefined
        ? `the cost model charges ${Math.round(evaluation.replicaStartsPerMonth).toLocaleString("en-US")} modeled replica starts a month: $${Math.round(evaluation.ownedCostBreakdown.natEgressUsd).toLocaleString("en-US")}/month, in its owned cost`
        : "the cost model charges it for every modeled replica start, in the owned cost";
    items.push({
      topic: "egress",
      message: `${w.name} downloads ${gb.toFixed(0)} GB of weights per cold start from the Hugging Face hub through the NAT ($${(gb * usdPerGb).toFixed(2)} of NAT processing each at $${usdPerGb}/GB in ${c.region}); ${charged}. With serving.weightsSource: s3 they are staged once and read through the S3 gateway endpoint at no per-GB charge`,
    });
  }
  return items;
}

