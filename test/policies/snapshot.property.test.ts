/**
 * Rules snapshot what `@pulumi/policy` hands them by reading the plain data behind its
 * unknown-checking proxy: the snapshot must be the one a walk through the proxy gives (every
 * unknown an `Unknown` at its path), and plain data that merely names the proxy's keys is data.
 */
import { unknownCheckingProxy, UnknownValueError } from "@pulumi/policy";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { snapshot, Unknown, UNKNOWN_SENTINELS, type Plain } from "../../policies/rules/internal/values";

/** The reference: every read through the proxy, an unknown read as the proxy reports it (a throw). */
function read(get: () => unknown, path: string): unknown {
  try {
    return get();
  } catch (error) {
    if (error instanceof UnknownValueError) return new Unknown(path);
    throw error;
  }
}
function throughProxy(value: unknown, path = ""): Plain {
  if (value === null || value === undefined) return null;
  if (value instanceof Unknown) return value;
  if (typeof value === "string") return UNKNOWN_SENTINELS.has(value) ? new Unknown(path) : value;
  if (typeof value === "number" || typeof value === "boolean") return value;
  if (Array.isArray(value)) return Array.from({ length: value.length }, (_, i) => throughProxy(read(() => (value as unknown[])[i], `${path}[${i}]`), `${path}[${i}]`));
  const out: Record<string, Plain> = {};
  for (const key of Object.keys(value as object)) {
    const childPath = path === "" ? key : `${path}.${key}`;
    const child = read(() => (value as Record<string, unknown>)[key], childPath);
    if (child !== undefined) out[key] = throughProxy(child, childPath);
  }
  return out;
}

const sentinel = fc.constantFrom(...UNKNOWN_SENTINELS);
const leaf = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), sentinel);
const properties = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 8 }),
  fc.letrec((tie) => ({ value: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("value"), { maxLength: 4 }), fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), tie("value"), { maxKeys: 4 })) })).value,
);

describe("snapshot of @pulumi/policy's proxied properties", () => {
  it("equals a walk through the proxy, unknowns at their paths", () => {
    fc.assert(
      fc.property(properties, (props) => {
        const proxied = unknownCheckingProxy(props);
        expect(snapshot(proxied)).toEqual(throughProxy(proxied));
      }),
      { numRuns: 300 },
    );
  });

  it("takes plain data that names the proxy's keys for data, not for a proxy", () => {
    const labels = { __isSpecialProxy: true, __getSpecialProxyTarget: { team: "x" }, secret: "kept" };
    expect(snapshot(unknownCheckingProxy({ metadata: { labels } }))).toEqual({ metadata: { labels } });
  });
});
