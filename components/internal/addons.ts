/**
 * In-cluster add-ons: the objects EKS Auto Mode leaves to the platform team (network policy
 * enforcement switch, an encrypted default StorageClass) and Helm releases pinned to chart versions
 * (KEDA, kube-prometheus-stack, NVIDIA DCGM exporter).
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GPU_TOLERATION, SCRAPE_NAMESPACE_LABEL_KEY } from "./cluster-contract";
import { podIdentityTrustPolicy, policyDocument } from "./iam";
import { KSM_NODE_LABELS_ALLOWLIST } from "./live-metrics";

/** Helm charts, pinned. Bump deliberately: a chart upgrade is a cluster change. */
export const ADDON_CHARTS = {
  keda: { chart: "keda", version: "2.20.2", repo: "https://kedacore.github.io/charts", namespace: "keda" },
  prometheus: {
    chart: "kube-prometheus-stack",
    version: "88.5.3",
    repo: "https://prometheus-community.github.io/helm-charts",
    namespace: "monitoring",
  },
  dcgmExporter: { chart: "dcgm-exporter", version: "4.8.2", repo: "https://nvidia.github.io/dcgm-exporter/helm-charts", namespace: "monitoring" },
} as const;

/**
 * Seconds Helm waits for a release's pods (`atomic` rolls back after it). A fresh Auto Mode
 * cluster has no nodes: the first pods wait for EC2 to launch and join one (minutes), well past
 * Helm's 300 s default.
 */
export const ADDON_RELEASE_TIMEOUT_SECONDS = 900;

/** kube-prometheus-stack `fullnameOverride`: the Prometheus Service is `<this>-prometheus`. */
const PROMETHEUS_FULLNAME = "kps";
/** The encrypted default StorageClass Auto Mode lacks. */
const STORAGE_CLASS = "gp3-encrypted";
/** Service account the KEDA chart creates for its operator (chart value `serviceAccount.operator.name`). */
export const KEDA_OPERATOR_SERVICE_ACCOUNT = "keda-operator";

export interface AddonSettings {
  readonly name: string;
  readonly clusterName: string;
  readonly accountId: pulumi.Input<string>;
  readonly partition: pulumi.Input<string>;
  readonly region: string;
  readonly clusterNameOutput: pulumi.Input<string>;
  readonly kubernetesVersion: string;
  readonly prometheusRetention: string;
  readonly prometheusStorageGiB: number;
}

export interface Addons {
  readonly prometheusUrl: string;
  readonly prometheusNamespace: string;
  readonly prometheusPodLabels: Readonly<Record<string, string>>;
  readonly kedaNamespace: string;
  readonly kedaOperatorRole: aws.iam.Role;
  /** The Helm releases, by add-on. */
  readonly releases: { readonly keda: k8s.helm.v3.Release; readonly prometheus: k8s.helm.v3.Release; readonly dcgmExporter: k8s.helm.v3.Release };
}

function psaLabels(enforce: "restricted" | "baseline" | "privileged", version: string): Record<string, string> {
  return {
    "pod-security.kubernetes.io/enforce": enforce,
    "pod-security.kubernetes.io/enforce-version": version,
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/audit-version": version,
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/warn-version": version,
  };
}

export function createAddons(settings: AddonSettings, provider: k8s.Provider, parent: pulumi.Resource): Addons {
  const { name } = settings;
  const k8sOpts: pulumi.CustomResourceOptions = { parent, provider };
  const psaVersion = `v${settings.kubernetesVersion}`;

  // EKS Auto Mode enforces NetworkPolicies only once this switch is on (the built-in `default`
  // NodeClass already has `networkPolicy: DefaultAllow`). A Patch (server-side apply) creates the
  // ConfigMap when absent and otherwise owns just this key, where a plain ConfigMap would fail with
  // AlreadyExists (the provider creates client-side since 4.29) and delete the whole object on destroy.
  new k8s.core.v1.ConfigMapPatch(`${name}-network-policy`, {
    metadata: { name: "amazon-vpc-cni", namespace: "kube-system" },
    data: { "enable-network-policy-controller": "true" },
  }, k8sOpts);

  // Auto Mode ships no StorageClass; this one is encrypted and the default.
  const storageClass = new k8s.storage.v1.StorageClass(`${name}-gp3`, {
    metadata: { name: STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
    provisioner: "ebs.csi.eks.amazonaws.com",
    volumeBindingMode: "WaitForFirstConsumer",
    reclaimPolicy: "Delete",
    allowVolumeExpansion: true,
    parameters: { type: "gp3", encrypted: "true" },
  }, k8sOpts);

  // KEDA: its operator reads queue depth of the cluster's SQS queues through EKS Pod Identity.
  const kedaNamespace = new k8s.core.v1.Namespace(`${name}-keda`, {
    metadata: { name: ADDON_CHARTS.keda.namespace, labels: { ...psaLabels("restricted", psaVersion), [SCRAPE_NAMESPACE_LABEL_KEY]: "true" } },
  }, k8sOpts);
  const kedaOperatorRole = new aws.iam.Role(`${name}-keda-operator`, {
    name: `${settings.clusterName}-keda-operator`,
    description: "KEDA operator: reads queue depth of this cluster's SQS queues",
    assumeRolePolicy: podIdentityTrustPolicy({
      accountId: settings.accountId,
      clusterName: settings.clusterName,
      namespace: ADDON_CHARTS.keda.namespace,
      serviceAccount: KEDA_OPERATOR_SERVICE_ACCOUNT,
    }),
  }, { parent });
  new aws.iam.RolePolicy(`${name}-keda-operator`, {
    role: kedaOperatorRole.name,
    policy: policyDocument([
      {
        Sid: "ReadClusterQueueDepth",
        Effect: "Allow",
        Action: ["sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
        Resource: pulumi.interpolate`arn:${settings.partition}:sqs:${settings.region}:${settings.accountId}:${settings.clusterName}-*`,
      },
    ]),
  }, { parent });
  // The Pod Identity webhook gives a pod credentials when it is admitted: the association must exist before KEDA's pods start.
  const kedaPodIdentity = new aws.eks.PodIdentityAssociation(`${name}-keda-operator`, {
    clusterName: settings.clusterNameOutput,
    namespace: ADDON_CHARTS.keda.namespace,
    serviceAccount: KEDA_OPERATOR_SERVICE_ACCOUNT,
    roleArn: kedaOperatorRole.arn,
  }, { parent });

  // Prometheus (kube-prometheus-stack): scrapes vLLM through PodMonitors/ServiceMonitors in any
  // namespace labelled for scraping (tenant namespaces and its own); KEDA queries it.
  const monitoringNamespace = new k8s.core.v1.Namespace(`${name}-monitoring`, {
    metadata: {
      name: ADDON_CHARTS.prometheus.namespace,
      // node-exporter needs the host's network and PID namespaces, DCGM exporter SYS_ADMIN.
      labels: { ...psaLabels("privileged", psaVersion), [SCRAPE_NAMESPACE_LABEL_KEY]: "true" },
    },
  }, k8sOpts);
  const scrapeSelector = { matchLabels: { [SCRAPE_NAMESPACE_LABEL_KEY]: "true" } };
  const prometheus = new k8s.helm.v3.Release(`${name}-prometheus`, {
    name: "kube-prometheus-stack",
    chart: ADDON_CHARTS.prometheus.chart,
    version: ADDON_CHARTS.prometheus.version,
    repositoryOpts: { repo: ADDON_CHARTS.prometheus.repo },
    namespace: ADDON_CHARTS.prometheus.namespace,
    createNamespace: false,
    atomic: true,
    timeout: ADDON_RELEASE_TIMEOUT_SECONDS,
    values: {
      fullnameOverride: PROMETHEUS_FULLNAME,
      crds: { enabled: true },
      // Grafana shows the live-economics dashboard (components/live-economics.ts), found by its sidecar:
      // ConfigMaps labelled grafana_dashboard: "1" in this namespace. An empty adminPassword makes the
      // Grafana chart generate one and keep it in its Secret, instead of the chart's well-known default.
      grafana: { enabled: true, adminPassword: "", sidecar: { dashboards: { enabled: true, label: "grafana_dashboard", labelValue: "1" } } },
      // The live GPU-pool rules join node capacity with the pool label; kube-state-metrics exports only allow-listed labels.
      "kube-state-metrics": { metricLabelsAllowlist: [KSM_NODE_LABELS_ALLOWLIST] },
      // Managed control plane: these endpoints are not reachable on EKS; Auto Mode runs no kube-proxy pods.
      kubeControllerManager: { enabled: false },
      kubeScheduler: { enabled: false },
      kubeEtcd: { enabled: false },
      kubeProxy: { enabled: false },
      prometheus: {
        prometheusSpec: {
          podMonitorSelectorNilUsesHelmValues: false,
          serviceMonitorSelectorNilUsesHelmValues: false,
          podMonitorSelector: {},
          serviceMonitorSelector: {},
          podMonitorNamespaceSelector: scrapeSelector,
          serviceMonitorNamespaceSelector: scrapeSelector,
          retention: settings.prometheusRetention,
          storageSpec: {
            volumeClaimTemplate: {
              spec: {
                storageClassName: STORAGE_CLASS,
                accessModes: ["ReadWriteOnce"],
                resources: { requests: { storage: `${settings.prometheusStorageGiB}Gi` } },
              },
            },
          },
        },
      },
    },
  }, { ...k8sOpts, dependsOn: [monitoringNamespace, storageClass] });

  const keda = new k8s.helm.v3.Release(`${name}-keda`, {
    name: "keda",
    chart: ADDON_CHARTS.keda.chart,
    version: ADDON_CHARTS.keda.version,
    repositoryOpts: { repo: ADDON_CHARTS.keda.repo },
    namespace: ADDON_CHARTS.keda.namespace,
    createNamespace: false,
    atomic: true,
    timeout: ADDON_RELEASE_TIMEOUT_SECONDS,
    values: {
      serviceAccount: { operator: { name: KEDA_OPERATOR_SERVICE_ACCOUNT } },
      prometheus: { operator: { enabled: true, podMonitor: { enabled: true } }, metricServer: { enabled: true, podMonitor: { enabled: true } } },
      enableServiceLinks: false,
    },
    // After kube-prometheus-stack: the chart's PodMonitors need its CRDs.
  }, { ...k8sOpts, dependsOn: [kedaNamespace, prometheus, kedaPodIdentity] });

  // DCGM exporter: GPU utilization and memory from every NVIDIA node, scraped via its ServiceMonitor.
  const dcgm = new k8s.helm.v3.Release(`${name}-dcgm-exporter`, {
    name: "dcgm-exporter",
    chart: ADDON_CHARTS.dcgmExporter.chart,
    version: ADDON_CHARTS.dcgmExporter.version,
    repositoryOpts: { repo: ADDON_CHARTS.dcgmExporter.repo },
    namespace: ADDON_CHARTS.prometheus.namespace,
    createNamespace: false,
    atomic: true,
    timeout: ADDON_RELEASE_TIMEOUT_SECONDS,
    values: {
      nodeSelector: { "eks.amazonaws.com/instance-gpu-manufacturer": "nvidia" },
      tolerations: [{ ...GPU_TOLERATION }],
      serviceMonitor: { enabled: true },
      // Auto Mode nodes run Bottlerocket, where DCGM cannot initialize NVML from an unprivileged
      // container (NVIDIA/dcgm-exporter#279). Privileged implies escalation, which the chart's default forbids.
      securityContext: { privileged: true, allowPrivilegeEscalation: true },
    },
  }, { ...k8sOpts, dependsOn: [prometheus] });

  return {
    prometheusUrl: `http://${PROMETHEUS_FULLNAME}-prometheus.${ADDON_CHARTS.prometheus.namespace}.svc:9090`,
    prometheusNamespace: ADDON_CHARTS.prometheus.namespace,
    prometheusPodLabels: { "app.kubernetes.io/name": "prometheus" },
    kedaNamespace: ADDON_CHARTS.keda.namespace,
    kedaOperatorRole,
    releases: { keda, prometheus, dcgmExporter: dcgm },
  };
}
