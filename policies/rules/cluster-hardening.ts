/**
 * cluster-hardening: the EKS control plane that schedules every tenant's GPUs encrypts its
 * Secrets (model-hub tokens, API keys) with KMS, keeps an audit trail, and is not open to the
 * internet.
 */
import { z } from "zod";
import { Findings } from "./internal/findings";
import { TYPES } from "./internal/kubernetes";
import type { RuleDefinition } from "./internal/rule";
import { describe } from "./internal/stack";
import { asArray, asString, at, isUnknown } from "./internal/values";

const logType = z.enum(["api", "audit", "authenticator", "controllerManager", "scheduler"]);

const config = z.strictObject({
  /** Control-plane log types that must be enabled. @default ["api", "audit", "authenticator"] */
  requiredLogTypes: z.array(logType).default(["api", "audit", "authenticator"]),
  /** Allow a public endpoint restricted to listed CIDRs (never 0.0.0.0/0). @default true */
  allowRestrictedPublicEndpoint: z.boolean().default(true),
});

const checks = {
  "secrets-encryption": "Kubernetes Secrets are envelope-encrypted with a KMS key",
  "control-plane-logs": "the required control-plane log types are enabled",
  "endpoint-access": "the API endpoint is private, or public only to listed CIDRs (never 0.0.0.0/0)",
} as const;

export const clusterHardening: RuleDefinition<typeof config> = {
  name: "cluster-hardening",
  description: "EKS clusters encrypt Secrets with KMS, ship control-plane logs, and restrict API endpoint access.",
  remediation:
    "On aws.eks.Cluster: encryptionConfig {provider.keyArn: <KMS key ARN>, resources: [secrets]}; enabledClusterLogTypes including api, audit, authenticator; vpcConfig endpointPrivateAccess: true and endpointPublicAccess: false (or publicAccessCidrs limited to your networks).",
  enforcementLevel: "mandatory",
  checks,
  config,
  evaluate(view, cfg) {
    const found = new Findings("cluster-hardening", checks);
    const clusters = view.ofType(TYPES.eksCluster);
    for (const cluster of clusters) {
      const urn = cluster.urn;
      const who = describe(cluster);
      const encryption = at(cluster.props, "encryptionConfig");
      const resources = at(encryption, "resources");
      // An unknown key ARN is fine (a KMS key created in the same deploy): only its presence matters.
      const keyArn = at(encryption, "provider", "keyArn");
      if (isUnknown(resources)) found.unverified("secrets-encryption", urn, `${who}'s secrets encryption check`, "encryptionConfig.resources");
      else if (!asArray(resources).some((r) => asString(r) === "secrets") || keyArn === undefined || keyArn === "") {
        found.violation("secrets-encryption", urn, `${who} does not envelope-encrypt Secrets: set \`encryptionConfig\` with \`resources: ["secrets"]\` and \`provider.keyArn\` of a KMS key.`);
      }

      const logs = at(cluster.props, "enabledClusterLogTypes");
      if (isUnknown(logs)) found.unverified("control-plane-logs", urn, `${who}'s control-plane log check`, "enabledClusterLogTypes");
      else {
        const enabled = asArray(logs).map(asString);
        const missing = cfg.requiredLogTypes.filter((t) => !enabled.includes(t));
        if (missing.length > 0) found.violation("control-plane-logs", urn, `${who} does not enable control-plane logs ${missing.join(", ")} (\`enabledClusterLogTypes\`): without them there is no audit trail of who changed a tenant. Enable them.`);
      }

      const vpc = at(cluster.props, "vpcConfig");
      const isPublic = at(vpc, "endpointPublicAccess");
      const cidrs = at(vpc, "publicAccessCidrs");
      if (isUnknown(isPublic)) found.unverified("endpoint-access", urn, `${who}'s endpoint access check`, "vpcConfig.endpointPublicAccess");
      else if (isPublic !== false) {
        // EKS defaults: public endpoint on, open to 0.0.0.0/0.
        if (isUnknown(cidrs)) found.unverified("endpoint-access", urn, `${who}'s endpoint access check`, "vpcConfig.publicAccessCidrs");
        else {
          const listed = asArray(cidrs).map(asString);
          const open = listed.length === 0 || listed.includes("0.0.0.0/0");
          if (open || !cfg.allowRestrictedPublicEndpoint) {
            found.violation("endpoint-access", urn, `${who}'s API endpoint is public${open ? " to the whole internet" : ""} (\`vpcConfig.endpointPublicAccess\`${open ? " with no or an open `publicAccessCidrs`" : ""}). Set endpointPublicAccess: false with endpointPrivateAccess: true${cfg.allowRestrictedPublicEndpoint ? ", or list your networks in publicAccessCidrs" : ""}.`);
          }
        }
      }
      if (at(vpc, "endpointPrivateAccess") === false && isPublic === false) {
        found.violation("endpoint-access", urn, `${who} disables both private and public endpoint access: nodes cannot join. Set \`vpcConfig.endpointPrivateAccess: true\`.`);
      }
    }
    return found.result(clusters.length === 0 ? `no ${TYPES.eksCluster} in the stack` : undefined);
  },
};
