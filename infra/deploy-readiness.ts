/**
 * What must hold before the first real `pulumi up` of a stack that no offline run can check: AWS
 * quotas, the way into the API endpoint, the Hugging Face token of gated models, placeholder values,
 * pinned zones, where images and weights come from. `npm run plan` prints these as advisories; the
 * program refuses placeholders on a real update.
 */
import { servingPlan } from "../components/internal/serving-plan";
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

/** vCPUs each GPU quota must allow with every workload at its max replicas, worst case over each pool's instance types. */
export function gpuVcpuNeeds(config: StackConfig): { readonly code: string; readonly name: string; readonly vcpus: number; readonly pools: readonly string[] }[] {
  const needs = new Map<string, { code: string; name: string; vcpus: number; pools: string[] }>();
  for (const pool of config.cluster.gpuPools) {
    const workloads = config.workloads.filter((w) => w.serving.gpuPool === pool.name);
    if (workloads.length === 0) continue;
    let worst = { vcpus: 0, family: "G" as "G" | "P" };
    for (const id of pool.instanceTypes) {
      const instance = instanceById(id);
      const instances = workloads.reduce((sum, w) => {
        const perInstance = Math.floor(instance.gpuCount / w.serving.gpusPerReplica);
        return perInstance === 0 ? sum : sum + Math.ceil(w.serving.maxReplicas / perInstance);
      }, 0);
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

/** Everything a deployer must have in place before the first `pulumi up`, in the order docs/first-deploy.md follows. */
export function deployReadiness(
  config: StackConfig,
  options: {
    readonly huggingFaceTokenSet: boolean;
    /** The stack's evaluation (`npm run cost`), to quote what the cost model charges for weight downloads. @default - not quoted */
    readonly cost?: Pick<StackEvaluation, "workloads">;
  },
): ReadinessItem[] {
  const items: ReadinessItem[] = [];
  for (const need of gpuVcpuNeeds(config)) {
    items.push({
      topic: "quota",
      message: `EC2 quota ${need.code} "${need.name}" in ${config.cluster.region} must allow ${need.vcpus} vCPUs (pools ${need.pools.join(", ")} at max replicas); check: aws service-quotas get-service-quota --service-code ec2 --quota-code ${need.code}`,
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
  items.push({
    topic: "zones",
    message:
      c.existingVpc !== undefined
        ? `zones are pinned by the subnets of ${c.existingVpc.vpcId}: each must offer ${[...new Set(c.gpuPools.flatMap((p) => p.instanceTypes))].join(", ")}`
        : "zones are the region's first available ones, read on every run: check they offer the pools' instance types and that EKS supports them, or set cluster.existingVpc to pin them",
  });
  items.push({ topic: "images", message: "the vLLM image comes from Docker Hub through the NAT: anonymous pulls from one IP are rate-limited on scale-out; mirror it through an ECR pull-through cache" });
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

