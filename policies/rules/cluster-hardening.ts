/**
 * cluster-hardening: the EKS control plane that schedules every tenant's GPUs encrypts its
 * Secrets (model-hub tokens, API keys) with KMS, keeps an audit trail, and is not open to the
 * internet.
 */
import { z } from "zod";
import { Findings } from "./internal/findings";
import { TYPES } from "./internal/kubernetes";
import type { RuleDefinition } from "./internal/rule";
import { describe, namespaceOf, objectName, type ResourceView } from "./internal/stack";
import { asArray, asFlag, asString, at, isPresent, known } from "./internal/values";
import { EKS_SUPPORT_WARNING_DAYS, EKS_VERSIONS, eksVersionSupport, newestStandardSupportVersion, type EksVersion } from "../eks-versions";

const logType = z.enum(["api", "audit", "authenticator", "controllerManager", "scheduler"]);

const config = z.strictObject({
  /** Control-plane log types that must be enabled. @default ["api", "audit", "authenticator"] */
  requiredLogTypes: z.array(logType).default(["api", "audit", "authenticator"]),
  /** Allow a public endpoint restricted to listed CIDRs (never 0.0.0.0/0). @default true */
  allowRestrictedPublicEndpoint: z.boolean().default(true),
  /** Today's date for the Kubernetes version check, ISO `YYYY-MM-DD`; for reproducible checks. @default - the current UTC date */
  today: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: "expected an ISO date YYYY-MM-DD" }).optional(),
});

const checks = {
  "secrets-encryption": "Kubernetes Secrets are envelope-encrypted with a KMS key",
  "control-plane-logs": "the required control-plane log types are enabled",
  "endpoint-access": "the API endpoint is private, or public only to listed CIDRs (never 0.0.0.0/0)",
  "creator-admin": "the cluster creator is not granted cluster-admin implicitly (accessConfig.bootstrapClusterCreatorAdminPermissions: false)",
  "legacy-auth": "authentication uses EKS access entries only (accessConfig.authenticationMode: API), and no aws-auth ConfigMap is managed",
  "kubernetes-version": `the Kubernetes version is in EKS standard support (an advisory within ${EKS_SUPPORT_WARNING_DAYS} days of its end)`,
} as const;

/** The legacy IAM-to-RBAC mapping EKS reads under CONFIG_MAP authentication (EKS user guide, "Grant IAM users access to Kubernetes with a ConfigMap"). */
const AWS_AUTH = { namespace: "kube-system", name: "aws-auth" } as const;

export const clusterHardening: RuleDefinition<typeof config> = {
  name: "cluster-hardening",
  description:
    "EKS clusters encrypt Secrets with KMS, ship control-plane logs, restrict API endpoint access, authenticate through access entries only with no implicit creator admin, and run a Kubernetes version in standard support.",
  remediation:
    "On aws.eks.Cluster: encryptionConfig {provider.keyArn: <KMS key ARN>, resources: [secrets]}; enabledClusterLogTypes including api, audit, authenticator; vpcConfig endpointPrivateAccess: true and endpointPublicAccess: false (or publicAccessCidrs limited to your networks); accessConfig {authenticationMode: API, bootstrapClusterCreatorAdminPermissions: false} with explicit access entries (and no aws-auth ConfigMap); a version in standard support (policies/eks-versions.ts).",
  enforcementLevel: "mandatory",
  checks,
  config,
  evaluate(view, cfg) {
    const found = new Findings("cluster-hardening", checks);
    const today = new Date(`${cfg.today ?? new Date().toISOString().slice(0, 10)}T00:00:00Z`);
    const clusters = view.ofType(TYPES.eksCluster);
    for (const cluster of clusters) {
      const urn = cluster.urn;
      const who = describe(cluster);
      found.check("secrets-encryption", urn, `${who}'s secrets encryption check`, () => {
        const encryption = at(cluster.props, "encryptionConfig");
        // An unknown key ARN is fine (a KMS key created in the same deploy): only its presence matters.
        const keyArn = at(encryption, "provider", "keyArn");
        if (!asArray(at(encryption, "resources")).some((r) => asString(r) === "secrets") || !isPresent(keyArn) || keyArn === "") {
          found.violation("secrets-encryption", urn, `${who} does not envelope-encrypt Secrets: set \`encryptionConfig\` with \`resources: ["secrets"]\` and \`provider.keyArn\` of a KMS key.`);
        }
      });

      found.check("control-plane-logs", urn, `${who}'s control-plane log check`, () => {
        const enabled = asArray(at(cluster.props, "enabledClusterLogTypes")).map(asString);
        const missing = cfg.requiredLogTypes.filter((t) => !enabled.includes(t));
        if (missing.length > 0) found.violation("control-plane-logs", urn, `${who} does not enable control-plane logs ${missing.join(", ")} (\`enabledClusterLogTypes\`): without them there is no audit trail of who changed a tenant. Enable them.`);
      });

      found.check("endpoint-access", urn, `${who}'s endpoint access check`, () => {
        const vpc = at(cluster.props, "vpcConfig");
        // EKS defaults: public endpoint on, open to 0.0.0.0/0; private endpoint off.
        const isPublic = asFlag(at(vpc, "endpointPublicAccess")) ?? true;
        if (isPublic) {
          const listed = asArray(at(vpc, "publicAccessCidrs")).map(asString);
          const open = listed.length === 0 || listed.includes("0.0.0.0/0");
          if (open || !cfg.allowRestrictedPublicEndpoint) {
            found.violation("endpoint-access", urn, `${who}'s API endpoint is public${open ? " to the whole internet" : ""} (\`vpcConfig.endpointPublicAccess\`${open ? " with no or an open `publicAccessCidrs`" : ""}). Set endpointPublicAccess: false with endpointPrivateAccess: true${cfg.allowRestrictedPublicEndpoint ? ", or list your networks in publicAccessCidrs" : ""}.`);
          }
        } else if (asFlag(at(vpc, "endpointPrivateAccess")) === false) {
          found.violation("endpoint-access", urn, `${who} disables both private and public endpoint access: nodes cannot join. Set \`vpcConfig.endpointPrivateAccess: true\`.`);
        }
      });

      found.check("creator-admin", urn, `${who}'s creator admin check`, () => {
        // EKS grants the creating principal cluster-admin unless told not to (CreateCluster accessConfig default true).
        if (asFlag(at(cluster.props, "accessConfig", "bootstrapClusterCreatorAdminPermissions")) !== false) {
          found.violation("creator-admin", urn, `${who} grants whoever runs \`pulumi up\` permanent, invisible cluster-admin (\`accessConfig.bootstrapClusterCreatorAdminPermissions\` is true or unset). Set it to false and grant admins explicit access entries.`);
        }
      });

      found.check("legacy-auth", urn, `${who}'s authentication mode check`, () => {
        // EKS's default when unset is CONFIG_MAP (CreateCluster API reference, accessConfig.authenticationMode).
        const mode = asString(at(cluster.props, "accessConfig", "authenticationMode")) ?? "CONFIG_MAP";
        if (mode !== "API") {
          found.violation("legacy-auth", urn, `${who} authenticates through the aws-auth ConfigMap (\`accessConfig.authenticationMode\` is ${mode === "CONFIG_MAP" ? "CONFIG_MAP or unset" : mode}): one bad edit locks everyone out, and its grants are invisible to IAM. Set it to API and use access entries.`);
        }
      });

      found.check("kubernetes-version", urn, `${who}'s Kubernetes version check`, () => checkVersion(cluster, today, found));
    }
    for (const configMap of view.ofType("kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:ConfigMapPatch")) {
      found.check("legacy-auth", configMap.urn, `${describe(configMap)}'s aws-auth check`, () => {
        if (known(objectName(configMap)) === AWS_AUTH.name && known(namespaceOf(configMap)) === AWS_AUTH.namespace) {
          found.violation("legacy-auth", configMap.urn, `${describe(configMap)} manages the legacy \`${AWS_AUTH.namespace}/${AWS_AUTH.name}\` ConfigMap: its IAM-to-RBAC grants bypass access entries and one bad edit locks everyone out. Grant access with aws.eks.AccessEntry instead.`);
        }
      });
    }
    return found.result(clusters.length === 0 ? `no ${TYPES.eksCluster} in the stack` : undefined);
  },
};

/** kubernetes-version: refused in extended support or past it; an advisory when standard support ends soon. */
function checkVersion(cluster: ResourceView, today: Date, found: Findings): void {
  const who = describe(cluster);
  const version = asString(at(cluster.props, "version"));
  // Unset: EKS creates the cluster on its current default version, which is in standard support.
  if (version === undefined) return;
  const support = eksVersionSupport(version, today);
  const newest = newestStandardSupportVersion(today);
  switch (support.status) {
    case "unknown": {
      const oldest = EKS_VERSIONS[EKS_VERSIONS.length - 1] as EksVersion;
      if (minorOf(version) < minorOf(oldest.version)) {
        found.violation("kubernetes-version", cluster.urn, `${who} runs Kubernetes ${version}, older than every version EKS still supports (${oldest.version} leaves extended support on ${oldest.endOfExtendedSupport}). Upgrade to ${newest}.`);
      } else {
        found.advisory("kubernetes-version", cluster.urn, `${who} runs Kubernetes ${version}, which the pack's EKS version table (policies/eks-versions.ts) does not list: its support dates cannot be checked. Add the row from the EKS release calendar.`);
      }
      return;
    }
    case "unsupported":
      found.violation("kubernetes-version", cluster.urn, `${who} runs Kubernetes ${version}, past the end of EKS extended support (${support.row.endOfExtendedSupport}): EKS upgrades it on its own schedule. Upgrade to ${newest}.`);
      return;
    case "extended":
      found.violation("kubernetes-version", cluster.urn, `${who} runs Kubernetes ${version}, which left EKS standard support on ${support.row.endOfStandardSupport}: extended support bills the control plane six times the standard rate until ${support.row.endOfExtendedSupport}. Upgrade to ${newest}.`);
      return;
    case "standard-ending":
      found.advisory("kubernetes-version", cluster.urn, `${who} runs Kubernetes ${version}, which leaves EKS standard support on ${support.row.endOfStandardSupport} (in ${support.daysLeft} days), after which extended support bills six times the standard rate. Plan the upgrade to ${newest}.`);
      return;
    default:
      return;
  }
}

function minorOf(version: string): number {
  const match = /^1\.(\d+)$/.exec(version.trim());
  return match === null ? Number.POSITIVE_INFINITY : Number(match[1]);
}
