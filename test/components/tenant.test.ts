import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { TENANT_DEFAULTS, Tenant, type TenantArgs } from "../../components/tenant";
import type { TenantClusterRef } from "../../components/gpu-cluster";
import { recordedPolicies, wildcardProblems } from "../fixtures/iam-policies";
import { validateRecordedKubernetesObjects } from "../helpers/kubernetes-schemas";
import { find, installPulumiMocks, ofType, type RecordedResource, valueOf } from "../helpers/pulumi-mocks";

const BUCKET_ARN = "arn:aws:s3:::inference-dev-weights-123";
const KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/weights";

interface Built {
  recorded: RecordedResource[];
  tenant: Tenant;
  k8sProviderUrn: string;
  awsProviderUrn: string;
}

function clusterRef(kubernetesProvider: k8s.Provider): TenantClusterRef {
  return {
    clusterName: "inference-dev",
    region: "us-east-1",
    clusterArn: "arn:aws:eks:us-east-1:123456789012:cluster/inference-dev",
    accountId: "123456789012",
    partition: "aws",
    kubernetesProvider,
    weightsBucketArn: BUCKET_ARN,
    weightsKeyArn: KEY_ARN,
    prometheusNamespace: "monitoring",
    prometheusPodLabels: { "app.kubernetes.io/name": "prometheus" },
  };
}

async function build(args: Partial<Omit<TenantArgs, "cluster">> = {}): Promise<Built> {
  const recorded = installPulumiMocks();
  const kubernetesProvider = new k8s.Provider("k8s", { kubeconfig: "{}" });
  const awsProvider = new aws.Provider("aws", { region: "us-east-1" });
  const tenant = new Tenant("search", { name: "search", team: "search-team", gpuQuota: 6, ...args, cluster: clusterRef(kubernetesProvider) }, { providers: { aws: awsProvider } });
  const k8sProviderUrn = await valueOf(kubernetesProvider.urn);
  const awsProviderUrn = await valueOf(awsProvider.urn);
  await pulumi.runtime.disconnect();
  return { recorded, tenant, k8sProviderUrn, awsProviderUrn };
}

const spec = <T>(r: RecordedResource) => r.inputs.spec as T;

describe("Tenant children", () => {
  it("registers exactly a namespace, five NetworkPolicies, a quota, a LimitRange, a service account and its IAM", async () => {
    const { recorded, k8sProviderUrn, awsProviderUrn } = await build();
    const mine = recorded.filter((r) => !r.type.startsWith("pulumi:providers:"));
    expect(mine.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        "gpu-inference:tenant:Tenant search",
        "kubernetes:core/v1:Namespace search-ns",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy search-default-deny",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy search-allow-from-router",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy search-allow-prometheus",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy search-allow-dns",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy search-allow-egress",
        "kubernetes:core/v1:ResourceQuota search-gpu-quota",
        "kubernetes:core/v1:LimitRange search-limits",
        "kubernetes:core/v1:ServiceAccount search-sa",
        "aws:iam/role:Role search-role",
        "aws:iam/rolePolicy:RolePolicy search-role",
        "aws:eks/podIdentityAssociation:PodIdentityAssociation search-pod-identity",
      ].sort(),
    );
    for (const r of mine.filter((x) => x.type.startsWith("kubernetes:"))) expect(r.provider, r.name).toBe(`${k8sProviderUrn}::k8s-id`);
    for (const r of mine.filter((x) => x.type.startsWith("aws:"))) expect(r.provider, r.name).toBe(`${awsProviderUrn}::aws-id`);
  });

  it("validates every Kubernetes object against the real schemas", async () => {
    const { recorded } = await build();
    await expect(validateRecordedKubernetesObjects(recorded)).resolves.toBe(9);
  });

  it("exposes plain names for the serving components", async () => {
    const { tenant } = await build();
    expect([tenant.tenantName, tenant.namespaceName, tenant.serviceAccountName, tenant.gpuQuota, tenant.weightsPrefix, tenant.queueNamePrefix, tenant.servingPort]).toEqual([
      "search",
      "search",
      "inference",
      6,
      "search/",
      "inference-dev-search-",
      8000,
    ]);
    expect(await valueOf(tenant.roleArn)).toBe("arn:aws:mock:us-east-1:123456789012:search-role");
  });
});

describe("isolation", () => {
  it("enforces, audits and warns Pod Security restricted on the namespace, labelled for scraping and cost", async () => {
    const { recorded } = await build();
    expect(find(recorded, "kubernetes:core/v1:Namespace", "search-ns").inputs.metadata).toEqual({
      name: "search",
      labels: {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "latest",
        "gpu-inference/tenant": "search",
        "gpu-inference/scrape": "true",
        team: "search-team",
      },
    });
  });

  it("denies all ingress and egress by default and allows only router, Prometheus, DNS, HTTPS and the Pod Identity agent", async () => {
    const { recorded } = await build();
    const policy = (name: string) => find(recorded, "kubernetes:networking.k8s.io/v1:NetworkPolicy", name);
    expect(policy("search-default-deny").inputs).toEqual({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "default-deny", namespace: "search" },
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    });
    expect(spec(policy("search-allow-from-router"))).toEqual({
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "inference-router" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "inference-router" } } }],
          ports: [{ protocol: "TCP", port: 8000 }],
        },
      ],
    });
    expect(spec(policy("search-allow-prometheus"))).toEqual({
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }],
          ports: [{ protocol: "TCP", port: 8000 }],
        },
      ],
    });
    expect(spec(policy("search-allow-dns"))).toEqual({
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [{ ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] }],
    });
    expect(spec(policy("search-allow-egress"))).toEqual({
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 443 }] },
        { to: [{ ipBlock: { cidr: "169.254.170.23/32" } }], ports: [{ protocol: "TCP", port: 80 }] },
      ],
    });
    // No ingress rule anywhere admits every source.
    for (const p of ofType(recorded, "kubernetes:networking.k8s.io/v1:NetworkPolicy")) {
      for (const rule of spec<{ ingress?: { from?: unknown[] }[] }>(p).ingress ?? []) expect(rule.from?.length, p.name).toBeGreaterThan(0);
    }
  });

  it("caps GPU requests at the tenant's quota and forbids LoadBalancer and NodePort services", async () => {
    const { recorded } = await build();
    expect(find(recorded, "kubernetes:core/v1:ResourceQuota", "search-gpu-quota").inputs).toMatchObject({
      metadata: { name: "gpu-quota", namespace: "search" },
      spec: { hard: { "requests.nvidia.com/gpu": "6", "services.loadbalancers": "0", "services.nodeports": "0" } },
    });
  });

  it("gives containers without requests sane defaults and caps GPUs per container", async () => {
    const { recorded } = await build();
    expect(spec(find(recorded, "kubernetes:core/v1:LimitRange", "search-limits"))).toEqual({
      limits: [{ type: "Container", defaultRequest: { cpu: "250m", memory: "512Mi" }, default: { memory: "2Gi" }, max: { "nvidia.com/gpu": "8" } }],
    });
  });
});

describe("identity", () => {
  it("binds the service account to its role through EKS Pod Identity, trusted only for this cluster, namespace and account", async () => {
    const { recorded } = await build();
    expect(find(recorded, "kubernetes:core/v1:ServiceAccount", "search-sa").inputs).toMatchObject({
      metadata: { name: "inference", namespace: "search" },
      automountServiceAccountToken: false,
    });
    expect(find(recorded, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "search-pod-identity").inputs).toEqual({
      clusterName: "inference-dev",
      namespace: "search",
      serviceAccount: "inference",
      roleArn: "arn:aws:mock:us-east-1:123456789012:search-role",
      tags: { team: "search-team" },
    });
    const role = find(recorded, "aws:iam/role:Role", "search-role").inputs;
    expect(role.name).toBe("inference-dev-search");
    expect(role.tags).toEqual({ team: "search-team" });
    expect(JSON.parse(role.assumeRolePolicy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AllowEksPodIdentity",
          Effect: "Allow",
          Principal: { Service: "pods.eks.amazonaws.com" },
          Action: ["sts:AssumeRole", "sts:TagSession"],
          Condition: {
            StringEquals: {
              "aws:SourceAccount": "123456789012",
              "aws:RequestTag/eks-cluster-name": "inference-dev",
              "aws:RequestTag/kubernetes-namespace": "search",
              "aws:RequestTag/kubernetes-service-account": "inference",
            },
          },
        },
      ],
    });
  });

  it("reaches only its own weights prefix, the weights key through S3, and its own queues", async () => {
    const { recorded } = await build();
    const policy = JSON.parse(find(recorded, "aws:iam/rolePolicy:RolePolicy", "search-role").inputs.policy as string) as { Statement: unknown[] };
    expect(policy.Statement).toEqual([
      { Sid: "ListOwnPrefix", Effect: "Allow", Action: ["s3:ListBucket"], Resource: BUCKET_ARN, Condition: { StringLike: { "s3:prefix": ["search/*"] } } },
      { Sid: "ReadOwnWeights", Effect: "Allow", Action: ["s3:GetObject"], Resource: `${BUCKET_ARN}/search/*` },
      { Sid: "WriteOwnBatchOutputs", Effect: "Allow", Action: ["s3:PutObject"], Resource: `${BUCKET_ARN}/search/batch/*` },
      {
        Sid: "UseWeightsKeyThroughS3",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: KEY_ARN,
        Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } },
      },
      {
        Sid: "UseOwnQueues",
        Effect: "Allow",
        Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"],
        Resource: "arn:aws:sqs:us-east-1:123456789012:inference-dev-search-*",
      },
    ]);
  });

  it("renders every policy document as valid JSON with no wildcard action or bare wildcard resource", async () => {
    const { recorded } = await build();
    const policies = recordedPolicies(recorded);
    expect(policies).toHaveLength(2);
    expect(policies.flatMap(wildcardProblems)).toEqual([]);
  });
});

describe("defaults", () => {
  it("applies every documented default of TenantArgs", async () => {
    const { recorded, tenant } = await build({ team: undefined });
    expect(TENANT_DEFAULTS).toEqual({
      router: { namespace: "inference-router", podLabels: { "app.kubernetes.io/name": "inference-router" } },
      servingPort: 8000,
      serviceAccountName: "inference",
      podSecurityVersion: "latest",
      defaultCpuRequest: "250m",
      defaultMemoryRequest: "512Mi",
      defaultMemoryLimit: "2Gi",
      maxGpusPerContainer: 8,
    });
    const labels = (find(recorded, "kubernetes:core/v1:Namespace", "search-ns").inputs.metadata as { labels: Record<string, string> }).labels;
    expect(labels.team).toBe("search"); // team: the tenant name
    expect(labels["pod-security.kubernetes.io/enforce-version"]).toBe("latest");
    expect(find(recorded, "aws:iam/role:Role", "search-role").inputs.tags).toEqual({ team: "search" });
    const router = spec<{ ingress: { from: unknown[]; ports: unknown[] }[] }>(find(recorded, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "search-allow-from-router")).ingress[0];
    expect(router?.from).toEqual([{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "inference-router" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "inference-router" } } }]);
    expect(router?.ports).toEqual([{ protocol: "TCP", port: 8000 }]);
    expect(tenant.serviceAccountName).toBe("inference");
    expect(spec(find(recorded, "kubernetes:core/v1:LimitRange", "search-limits"))).toEqual({
      limits: [{ type: "Container", defaultRequest: { cpu: "250m", memory: "512Mi" }, default: { memory: "2Gi" }, max: { "nvidia.com/gpu": "8" } }],
    });
  });

  it("uses the given router, port, service account and limits instead", async () => {
    const { recorded, tenant } = await build({
      router: { namespace: "gateway", podLabels: { app: "router" } },
      servingPort: 9000,
      serviceAccountName: "vllm",
      maxGpusPerContainer: 4,
      gpuQuota: 0,
    });
    const router = spec<{ ingress: { from: unknown[]; ports: unknown[] }[] }>(find(recorded, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "search-allow-from-router")).ingress[0];
    expect(router).toEqual({ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "gateway" } }, podSelector: { matchLabels: { app: "router" } } }], ports: [{ protocol: "TCP", port: 9000 }] });
    expect(tenant.serviceAccountName).toBe("vllm");
    expect(find(recorded, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "search-pod-identity").inputs.serviceAccount).toBe("vllm");
    expect((spec<{ hard: Record<string, string> }>(find(recorded, "kubernetes:core/v1:ResourceQuota", "search-gpu-quota"))).hard["requests.nvidia.com/gpu"]).toBe("0");
  });
});

describe("validation", () => {
  it("refuses bad arguments with every problem and its path", () => {
    installPulumiMocks();
    const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
    const make = (args: Partial<TenantArgs>) => () => new Tenant("t", { name: "t", gpuQuota: 1, cluster: clusterRef(provider), ...args });
    expect(make({ name: "monitoring", gpuQuota: -1, servingPort: 70000, router: { namespace: "r", podLabels: {} } })).toThrowError(
      [
        "Tenant t: 4 invalid arguments",
        '  name: "monitoring" is a system, router or monitoring namespace; pick a tenant name of its own',
        "  gpuQuota: got -1; expected a whole number from 0 up",
        "  servingPort: got 70000; expected a whole number from 1 to 65535",
        "  router.podLabels: expected at least one label: an empty selector would admit every pod of the router namespace",
      ].join("\n"),
    );
    expect(make({ name: "Bad_Name", gpuQuota: 1.5 })).toThrowError(/name: got "Bad_Name"; expected a DNS-1123 label[\s\S]*gpuQuota: got 1.5/);
  });
});
