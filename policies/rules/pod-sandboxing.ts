/**
 * pod-sandboxing: no container may reach the node. A GPU node runs several tenants' models
 * next to the NVIDIA driver; one privileged or host-mounted pod owns them all.
 */
import { z } from "zod";
import { Findings } from "./internal/findings";
import { containersOf, workloadLabel, workloadsOf } from "./internal/kubernetes";
import type { RuleDefinition } from "./internal/rule";
import { asArray, asString, at, isUnknown, type Plain } from "./internal/values";

const config = z.strictObject({
  /** Namespaces whose workloads are exempt (platform add-ons that must touch the node). @default ["kube-system"] */
  exemptNamespaces: z.array(z.string()).default(["kube-system"]),
});

const checks = {
  privileged: "no privileged containers",
  "host-namespaces": "no hostNetwork, hostPID or hostIPC",
  "host-path": "no hostPath volumes",
  "run-as-non-root": "pods or every container set runAsNonRoot: true, and no container runs as UID 0",
  "privilege-escalation": "every container sets allowPrivilegeEscalation: false",
  "capabilities-dropped": "every container drops ALL capabilities",
  "pinned-image": "every image is pinned by a tag other than latest, or by digest",
} as const;

/** `true`, `false`, or the Unknown when a boolean field is unknown. */
function flag(value: Plain | undefined): boolean | "unknown" {
  if (isUnknown(value)) return "unknown";
  return value === true;
}

export const podSandboxing: RuleDefinition<typeof config> = {
  name: "pod-sandboxing",
  description: "Containers stay sandboxed: not privileged, no host namespaces or hostPath, non-root, no privilege escalation, capabilities dropped, pinned images.",
  remediation:
    "Set securityContext on the pod (runAsNonRoot: true) and every container (allowPrivilegeEscalation: false, capabilities.drop: [ALL], privileged unset); remove hostNetwork/hostPID/hostIPC and hostPath volumes; pin images to a version tag or digest.",
  enforcementLevel: "mandatory",
  checks,
  config,
  evaluate(view, cfg) {
    const found = new Findings("pod-sandboxing", checks);
    const workloads = workloadsOf(view).filter((w) => !(typeof w.namespace === "string" && cfg.exemptNamespaces.includes(w.namespace)));
    for (const workload of workloads) {
      const urn = workload.resource.urn;
      const who = workloadLabel(workload);
      const spec = workload.podSpec;
      const specPath = `${workload.templatePath}.spec`;
      for (const field of ["hostNetwork", "hostPID", "hostIPC"] as const) {
        const value = flag(spec[field]);
        if (value === "unknown") found.unverified("host-namespaces", urn, `${who}'s ${field} check`, `${specPath}.${field}`);
        else if (value) found.violation("host-namespaces", urn, `${who} sets \`${specPath}.${field}\`: its pods share the node's ${field.slice(4)} namespace. Remove it.`);
      }
      asArray(spec.volumes).forEach((volume, i) => {
        const hostPath = at(volume, "hostPath");
        if (isUnknown(volume)) found.unverified("host-path", urn, `${who}'s volume check`, `${specPath}.volumes[${i}]`);
        else if (hostPath !== undefined) found.violation("host-path", urn, `${who} mounts a hostPath volume at \`${specPath}.volumes[${i}]\`. Use an emptyDir, a PVC or an image volume instead.`);
      });
      const podNonRoot = flag(at(spec, "securityContext", "runAsNonRoot"));
      const podUid = at(spec, "securityContext", "runAsUser");
      for (const { container, path, label } of containersOf(workload)) {
        const where = `${who} container ${label}`;
        const sc = at(container, "securityContext");
        const privileged = flag(at(sc, "privileged"));
        if (privileged === "unknown") found.unverified("privileged", urn, `${where}'s privileged check`, `${path}.securityContext.privileged`);
        else if (privileged) found.violation("privileged", urn, `${where} is privileged (\`${path}.securityContext.privileged\`). Remove it: the NVIDIA device plugin exposes GPUs without privileges.`);

        // A container's own setting overrides the pod's (Kubernetes SecurityContext precedence).
        const ownNonRoot = at(sc, "runAsNonRoot");
        const nonRoot = ownNonRoot !== undefined ? flag(ownNonRoot) : podNonRoot;
        const uid = at(sc, "runAsUser") ?? podUid;
        if (nonRoot === "unknown") {
          found.unverified("run-as-non-root", urn, `${where}'s non-root check`, `${path}.securityContext.runAsNonRoot`);
        } else if (isUnknown(uid)) {
          found.unverified("run-as-non-root", urn, `${where}'s non-root check`, `${path}.securityContext.runAsUser`);
        } else if (uid === 0) {
          found.violation("run-as-non-root", urn, `${where} runs as UID 0 (\`runAsUser\`). Run as a non-zero UID.`);
        } else if (ownNonRoot === false) {
          found.violation("run-as-non-root", urn, `${where} sets \`${path}.securityContext.runAsNonRoot: false\`, overriding the pod's setting: it may run as root. Remove it or set it to true.`);
        } else if (nonRoot !== true) {
          found.violation("run-as-non-root", urn, `${where} may run as root: set \`runAsNonRoot: true\` at \`${specPath}.securityContext\` or \`${path}.securityContext\`.`);
        }

        const escalation = at(sc, "allowPrivilegeEscalation");
        if (isUnknown(escalation)) found.unverified("privilege-escalation", urn, `${where}'s privilege-escalation check`, `${path}.securityContext.allowPrivilegeEscalation`);
        else if (escalation !== false) found.violation("privilege-escalation", urn, `${where} does not set \`${path}.securityContext.allowPrivilegeEscalation: false\`. Set it.`);

        const drop = at(sc, "capabilities", "drop");
        if (isUnknown(drop)) found.unverified("capabilities-dropped", urn, `${where}'s capabilities check`, `${path}.securityContext.capabilities.drop`);
        else if (!asArray(drop).some((c) => asString(c) === "ALL")) found.violation("capabilities-dropped", urn, `${where} does not drop all capabilities: set \`${path}.securityContext.capabilities.drop: ["ALL"]\`.`);

        const image = at(container, "image");
        if (isUnknown(image)) found.unverified("pinned-image", urn, `${where}'s image pin check`, `${path}.image`);
        else if (!isPinned(asString(image))) found.violation("pinned-image", urn, `${where}'s image (\`${path}.image\`) is not pinned: it has no tag, or the tag is \`latest\`. Pin a version tag or a digest.`);
      }
    }
    return found.result(workloads.length === 0 ? "no pod-creating workloads outside the exempt namespaces" : undefined);
  },
};

/** `repo:tag` (tag not `latest`) or `repo@sha256:...`. */
export function isPinned(image: string | undefined): boolean {
  if (image === undefined || image.trim() === "") return false;
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastSegment.lastIndexOf(":");
  if (colon < 0) return false;
  const tag = lastSegment.slice(colon + 1);
  return tag !== "" && tag !== "latest";
}
