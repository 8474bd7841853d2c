/**
 * pod-sandboxing: no container may reach the node. A GPU node runs several tenants' models
 * next to the NVIDIA driver; one privileged or host-mounted pod owns them all.
 */
import { z } from "zod";
import { Findings } from "./internal/findings";
import { containersOf, workloadLabel, workloadsOf } from "./internal/kubernetes";
import type { RuleDefinition } from "./internal/rule";
import { asArray, asFlag, asNumber, asString, at, attempt, isPresent, known } from "./internal/values";

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
    let checked = 0;
    for (const workload of workloadsOf(view)) {
      const urn = workload.resource.urn;
      const who = workloadLabel(workload);
      // An unknown namespace may be an exempt one: every check is unverified rather than guessed.
      const exempt = attempt(() => cfg.exemptNamespaces.includes(known(workload.namespace)));
      if (exempt === true) continue;
      checked += 1;
      const check = (id: keyof typeof checks, what: string, body: () => void) =>
        found.check(id, urn, `${who}'s ${what}`, () => {
          known(exempt);
          body();
        });
      const specPath = `${workload.templatePath}.spec`;

      check("host-namespaces", "host namespace check", () => {
        for (const field of ["hostNetwork", "hostPID", "hostIPC"] as const) {
          if (asFlag(workload.podSpec[field]) === true) found.violation("host-namespaces", urn, `${who} sets \`${specPath}.${field}\`: its pods share the node's ${field.slice(4)} namespace. Remove it.`);
        }
      });
      check("host-path", "volume check", () => {
        asArray(workload.podSpec.volumes).forEach((volume, i) => {
          if (isPresent(at(volume, "hostPath"))) found.violation("host-path", urn, `${who} mounts a hostPath volume at \`${specPath}.volumes[${i}]\`. Use an emptyDir, a PVC or an image volume instead.`);
        });
      });
      check("privileged", "privileged check", () => {
        for (const { container, path, label } of containersOf(workload)) {
          if (asFlag(at(container, "securityContext", "privileged")) === true) {
            found.violation("privileged", urn, `${who} container ${label} is privileged (\`${path}.securityContext.privileged\`). Remove it: the NVIDIA device plugin exposes GPUs without privileges.`);
          }
        }
      });
      check("run-as-non-root", "non-root check", () => {
        const podContext = at(workload.podSpec, "securityContext");
        for (const { container, path, label } of containersOf(workload)) {
          const where = `${who} container ${label}`;
          const sc = at(container, "securityContext");
          // A container's own setting overrides the pod's (Kubernetes SecurityContext precedence).
          const ownNonRoot = asFlag(at(sc, "runAsNonRoot"));
          const nonRoot = ownNonRoot ?? asFlag(at(podContext, "runAsNonRoot"));
          const uid = asNumber(at(sc, "runAsUser") ?? at(podContext, "runAsUser"));
          if (uid === 0) found.violation("run-as-non-root", urn, `${where} runs as UID 0 (\`runAsUser\`). Run as a non-zero UID.`);
          else if (ownNonRoot === false) {
            found.violation("run-as-non-root", urn, `${where} sets \`${path}.securityContext.runAsNonRoot: false\`, overriding the pod's setting: it may run as root. Remove it or set it to true.`);
          } else if (nonRoot !== true) {
            found.violation("run-as-non-root", urn, `${where} may run as root: set \`runAsNonRoot: true\` at \`${specPath}.securityContext\` or \`${path}.securityContext\`.`);
          }
        }
      });
      check("privilege-escalation", "privilege-escalation check", () => {
        for (const { container, path, label } of containersOf(workload)) {
          if (asFlag(at(container, "securityContext", "allowPrivilegeEscalation")) !== false) {
            found.violation("privilege-escalation", urn, `${who} container ${label} does not set \`${path}.securityContext.allowPrivilegeEscalation: false\`. Set it.`);
          }
        }
      });
      check("capabilities-dropped", "capabilities check", () => {
        for (const { container, path, label } of containersOf(workload)) {
          if (!asArray(at(container, "securityContext", "capabilities", "drop")).some((c) => asString(c) === "ALL")) {
            found.violation("capabilities-dropped", urn, `${who} container ${label} does not drop all capabilities: set \`${path}.securityContext.capabilities.drop: ["ALL"]\`.`);
          }
        }
      });
      check("pinned-image", "image pin check", () => {
        for (const { container, path, label } of containersOf(workload)) {
          if (!isPinned(asString(at(container, "image")))) {
            found.violation("pinned-image", urn, `${who} container ${label}'s image (\`${path}.image\`) is not pinned: it has no tag, or the tag is \`latest\`. Pin a version tag or a digest.`);
          }
        }
      });
    }
    return found.result(checked === 0 ? "no pod-creating workloads outside the exempt namespaces" : undefined);
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
