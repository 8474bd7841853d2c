/**
 * credential-literals: a model-hub token or an API key never sits in a resource as a literal. A
 * Deployment's env, a ConfigMap or a tag is readable by anyone who can read the object (and is kept
 * in the Pulumi state); credentials belong in a Kubernetes Secret or AWS Secrets Manager, referenced
 * by name (`valueFrom.secretKeyRef`).
 */
import { z } from "zod";
import { Findings } from "./internal/findings";
import type { RuleDefinition } from "./internal/rule";
import { describe, type ResourceView } from "./internal/stack";
import { asArray, asString, at, isUnknown, known, type Plain } from "./internal/values";

/** Where a credential belongs: these types are the secret stores themselves. */
export const SECRET_STORE_TYPES: readonly string[] = [
  "kubernetes:core/v1:Secret",
  "kubernetes:core/v1:SecretPatch",
  "aws:secretsmanager/secretVersion:SecretVersion",
  "aws:ssm/parameter:Parameter",
];

/**
 * Shapes of well-known credentials (the providers' documented prefixes): Hugging Face user access
 * tokens `hf_`, OpenAI keys `sk-` / `sk-proj-`, Anthropic keys `sk-ant-`, AWS access key ids `AKIA`.
 */
const TOKEN_SHAPES: readonly { readonly name: string; readonly pattern: RegExp }[] = [
  { name: "a Hugging Face token", pattern: /\bhf_[A-Za-z0-9]{30,}\b/ },
  { name: "an Anthropic API key", pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/ },
  { name: "an OpenAI API key", pattern: /\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}/ },
  { name: "an AWS access key id", pattern: /\bAKIA[0-9A-Z]{16}\b/ },
];

const config = z.strictObject({
  /** Env var names (regular expressions, case-insensitive) that hold credentials. @default token, API key, secret and password names */
  credentialEnvNames: z.array(z.string().min(1)).default(["(^|_)(HF|HUGGING_FACE(_HUB)?|HUGGINGFACE)_TOKEN$", "(^|_)API_KEY$", "(^|_)(ACCESS_)?TOKEN$", "(^|_)SECRET(_ACCESS_KEY)?$", "(^|_)PASSWORD$"]),
});

const checks = {
  "known-token": "no property holds a string shaped like a Hugging Face token, an OpenAI or Anthropic API key, or an AWS access key id",
  "credential-env": "env vars named like credentials take their value from a Secret (`valueFrom`), never a literal `value`",
} as const;

export const credentialLiterals: RuleDefinition<typeof config> = {
  name: "credential-literals",
  description: "No Hugging Face token, API key or other credential sits in a resource as a literal value: credentials come from a Secret by reference.",
  remediation: "Put the credential in a Kubernetes Secret (or AWS Secrets Manager) created from a Pulumi secret, and reference it: env valueFrom.secretKeyRef, or envFrom.secretRef.",
  enforcementLevel: "mandatory",
  checks,
  config,
  evaluate(view, cfg) {
    const found = new Findings("credential-literals", checks);
    const envNames = cfg.credentialEnvNames.map((pattern) => new RegExp(pattern, "i"));
    let checked = 0;
    for (const resource of view.resources) {
      if (SECRET_STORE_TYPES.includes(resource.type)) continue;
      checked += 1;
      for (const { path, shape } of tokensIn(resource.props, "")) {
        found.violation("known-token", resource.urn, `${describe(resource)} holds ${shape} as a literal at \`${path}\`: anyone who can read the object (or the stack's state) can use it. Move it into a Secret and reference it.`);
      }
      for (const { path, entry } of envEntries(resource)) {
        const name = at(entry, "name");
        if (isUnknown(name) || !envNames.some((re) => re.test(asString(name) ?? ""))) continue;
        found.check("credential-env", resource.urn, `${describe(resource)}'s env check`, () => {
          const value = known(at(entry, "value"));
          if (typeof value === "string" && value.trim() !== "") {
            found.violation("credential-env", resource.urn, `${describe(resource)} sets credential env var \`${asString(name)}\` to a literal \`value\` at \`${path}\`: it is readable by anyone who can read the pod spec. Use \`valueFrom.secretKeyRef\`.`);
          }
        });
      }
    }
    return found.result(checked === 0 ? "no resources outside secret stores in the stack" : undefined);
  },
};

/** Every string leaf shaped like a credential, with its path; unknowns are computed values, not literals. */
function tokensIn(value: Plain | undefined, path: string): { path: string; shape: string }[] {
  if (typeof value === "string") {
    const shape = TOKEN_SHAPES.find((s) => s.pattern.test(value));
    return shape === undefined ? [] : [{ path: path || "(value)", shape: shape.name }];
  }
  if (value === null || value === undefined || typeof value !== "object" || isUnknown(value)) return [];
  if (Array.isArray(value)) return (value as readonly Plain[]).flatMap((v, i) => tokensIn(v, `${path}[${i}]`));
  return Object.entries(value).flatMap(([key, v]) => tokensIn(v, path === "" ? key : `${path}.${key}`));
}

/** Every `env` entry of every container anywhere in a resource (Deployments, Jobs, ScaledJobs, CRDs with pod templates). */
function envEntries(resource: ResourceView): { path: string; entry: Plain }[] {
  const out: { path: string; entry: Plain }[] = [];
  const walk = (value: Plain | undefined, path: string): void => {
    if (value === null || value === undefined || typeof value !== "object" || isUnknown(value)) return;
    if (Array.isArray(value)) {
      (value as readonly Plain[]).forEach((v, i) => walk(v, `${path}[${i}]`));
      return;
    }
    for (const [key, child] of Object.entries(value)) {
      const childPath = path === "" ? key : `${path}.${key}`;
      if (key === "env" && Array.isArray(child)) asArray(child).forEach((entry, i) => out.push({ path: `${childPath}[${i}]`, entry }));
      else walk(child, childPath);
    }
  };
  walk(resource.props, "");
  return out;
}
