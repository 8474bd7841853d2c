/**
 * The admission guard as a sidecar of the vLLM pod: the script (router-guard.mjs) in a ConfigMap,
 * mounted read-only into the official Node image, listening on GUARD_PORT in front of vLLM's port.
 * Stdlib only, so nothing is installed or built; the image is the Node.js Docker team's, pinned.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { AdmissionLimit } from "./router-admission";
import { CONTAINER_SECURITY_CONTEXT } from "./vllm-pod";

/** Official Node.js image, pinned (docker-library/official-images library/node: `26.13.0-alpine3.24`, the LTS line, read 2026-12-02). */
export const GUARD_IMAGE = "node:26.13.0-alpine3.24";
/** Port the guard listens on in the pod; the router's owned Backend calls the Service's `admission` port, which targets it. */
export const GUARD_PORT = 8001;
export const GUARD_PORT_NAME = "admission";
const SCRIPT = "router-guard.mjs";
const MOUNT = "/opt/router-guard";

/** The guard script's text, for the ConfigMap. */
export function guardScript(): string {
  return fs.readFileSync(path.join(__dirname, SCRIPT), "utf8");
}

/** ConfigMap data holding the script. */
export function guardConfigMapData(): Record<string, string> {
  return { [SCRIPT]: guardScript() };
}

/** The sidecar container; `configMapVolume` is the pod volume holding the script; `image` is GUARD_IMAGE or its cached copy. */
export function guardContainer(workload: string, limit: AdmissionLimit, enginePort: number, configMapVolume: string, image: pulumi.Input<string> = GUARD_IMAGE): k8s.types.input.core.v1.Container {
  const probe = (p: string, period: number) => ({ httpGet: { path: p, port: GUARD_PORT_NAME }, periodSeconds: period, timeoutSeconds: 3, failureThreshold: 3 });
  return {
    name: "admission-guard",
    image,
    command: ["node", `${MOUNT}/${SCRIPT}`],
    ports: [{ name: GUARD_PORT_NAME, containerPort: GUARD_PORT, protocol: "TCP" }],
    env: [
      { name: "GUARD_WORKLOAD", value: workload },
      { name: "GUARD_RUNNING_SLOTS", value: String(limit.runningSlots) },
      { name: "GUARD_QUEUE_ALLOWANCE", value: String(limit.queueAllowance) },
      { name: "GUARD_LISTEN_PORT", value: String(GUARD_PORT) },
      { name: "GUARD_ENGINE_PORT", value: String(enginePort) },
      // It runs in a GPU pod without a GPU limit: the NVIDIA runtime must expose no GPU to it.
      { name: "NVIDIA_VISIBLE_DEVICES", value: "void" },
    ],
    resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128Mi" } },
    volumeMounts: [{ name: configMapVolume, mountPath: MOUNT, readOnly: true }],
    // Ready only when vLLM is: /health passes through the guard to the engine.
    readinessProbe: probe("/health", 10),
    livenessProbe: probe("/livez", 20),
    // The same restricted context as the vLLM container it shares the pod with.
    securityContext: CONTAINER_SECURITY_CONTEXT,
  };
}
