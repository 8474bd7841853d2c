/**
 * Reading resource properties without tripping over preview-time unknowns.
 *
 * `@pulumi/policy` hands policies a proxy that throws `UnknownValueError` on reading an unknown
 * value, and turns that throw into a blanket advisory "can't run during preview" for the whole
 * policy. Rules instead take a plain snapshot in which every unknown is an explicit `Unknown`
 * marker carrying its path, and decide for themselves what an unknown means for each check.
 */
import { types } from "node:util";
import { UnknownValueError } from "@pulumi/policy";

/** The engine's unknown sentinels, one per type (`@pulumi/pulumi/runtime/rpc.ts`, `@pulumi/policy/proxy.ts`). */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string (the one the engine sends for computed outputs)
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
  "030794c1-ac77-496b-92df-f27374a8bd58", // asset
  "e48ece36-62e2-4504-bad9-02848725956a", // archive
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

/** A value that is not known until the cloud computes it. */
export class Unknown {
  constructor(
    /** Dotted property path, for messages (never the value: there is none). */
    readonly path: string,
    /** Set when this stands for a property below an unknown value: even whether it is present is unknown. */
    readonly belowUnknown = false,
  ) {}
}

export type Plain = null | boolean | number | string | Unknown | readonly Plain[] | { readonly [key: string]: Plain };
export type PlainRecord = { readonly [key: string]: Plain };

/**
 * The key on which `@pulumi/policy`'s unknown-checking proxy answers with the plain object it wraps
 * (`getSpecialProxyTarget` in `@pulumi/policy/proxy.ts`, 1.21). Reading the plain data directly
 * gives the same snapshot (the proxy's unknowns are exactly `UNKNOWN_SENTINELS`, checked here)
 * without a new proxy and a thrown error per property: the pack's 11 policies each snapshot every
 * resource of the stack.
 */
const PROXY_TARGET_KEY = "__getSpecialProxyTarget";

/** A plain copy of `value` with every unknown replaced by an `Unknown` marker. Never throws on unknowns. */
export function snapshot(value: unknown, path = ""): Plain {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return UNKNOWN_SENTINELS.has(value) ? new Unknown(path) : value;
  if (typeof value === "number" || typeof value === "boolean") return value;
  if (value instanceof Unknown) return value;
  // Only a real proxy: plain data (a label named like the key, say) is never taken for one.
  if (typeof value === "object" && types.isProxy(value)) {
    const target = readOrUnknown(() => (value as Record<string, unknown>)[PROXY_TARGET_KEY], path);
    if (typeof target === "object" && target !== null && !types.isProxy(target) && !(target instanceof Unknown)) return snapshot(target, path);
  }
  if (Array.isArray(value)) {
    const out: Plain[] = [];
    const length = readOrUnknown(() => (value as unknown[]).length, path);
    if (length instanceof Unknown || typeof length !== "number") return new Unknown(path);
    for (let i = 0; i < length; i += 1) {
      const childPath = `${path}[${i}]`;
      out.push(snapshot(readOrUnknown(() => (value as unknown[])[i], childPath), childPath));
    }
    return out;
  }
  if (typeof value === "object") {
    const out: Record<string, Plain> = {};
    for (const key of Object.keys(value)) {
      const childPath = path === "" ? key : `${path}.${key}`;
      const child = readOrUnknown(() => (value as Record<string, unknown>)[key], childPath);
      if (child === undefined) continue;
      out[key] = snapshot(child, childPath);
    }
    return out;
  }
  return null;
}

function readOrUnknown(read: () => unknown, path: string): unknown {
  try {
    return read();
  } catch (error) {
    if (error instanceof UnknownValueError) return new Unknown(path);
    throw error;
  }
}

export function isUnknown(value: unknown): value is Unknown {
  return value instanceof Unknown;
}

export function isRecord(value: Plain | undefined): value is PlainRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Unknown);
}

/**
 * The value at a path: `undefined` when absent, an `Unknown` when the path runs through an
 * unknown (the unknown found first), else the value.
 */
export function at(value: Plain | undefined, ...path: readonly (string | number)[]): Plain | undefined {
  let current: Plain | undefined = value;
  for (const key of path) {
    if (current === undefined || current === null) return undefined;
    if (current instanceof Unknown) return current.belowUnknown ? current : new Unknown(current.path, true);
    if (typeof key === "number") {
      if (!Array.isArray(current)) return undefined;
      current = (current as readonly Plain[])[key];
    } else {
      if (!isRecord(current)) return undefined;
      current = Object.prototype.hasOwnProperty.call(current, key) ? current[key] : undefined;
    }
  }
  return current === null ? undefined : current;
}

/**
 * The one way a rule reads a value that may be unknown. Every reader below returns the known value
 * or throws `UnknownRead` carrying the unknown's path; `Findings.check` runs each check and turns
 * that throw into the check's "cannot verify" advisory, naming the check and the property. So an
 * unknown is never read as absent, empty or false: it can neither refuse nor pass a check.
 */
export class UnknownRead extends Error {
  constructor(readonly unknown: Unknown) {
    super(`unknown at preview: ${unknown.path || "(resource)"}`);
  }
}

/** A value that is either known (`T`) or an explicit `Unknown`. */
export type Known<T> = T | Unknown;

/** The known value; throws `UnknownRead` when it is unknown. */
export function known<T>(value: Known<T>): T {
  if (value instanceof Unknown) throw new UnknownRead(value);
  return value;
}

/** A string; `undefined` when absent or not a string. */
export function asString(value: Plain | undefined): string | undefined {
  return typeof known(value) === "string" ? (value as string) : undefined;
}

/** A list; `[]` when absent or not a list. Its entries may still be unknown: read them with these readers too. */
export function asArray(value: Plain | undefined): readonly Plain[] {
  return Array.isArray(known(value)) ? (value as readonly Plain[]) : [];
}

/** An object; `{}` when absent or not an object. */
export function asRecord(value: Plain | undefined): PlainRecord {
  return isRecord(known(value)) ? (value as PlainRecord) : {};
}

/** `true`/`false`; `undefined` when absent. Kubernetes booleans sometimes arrive as strings. */
export function asFlag(value: Plain | undefined): boolean | undefined {
  const v = known(value);
  if (typeof v === "boolean") return v;
  if (typeof v === "string" && (v === "true" || v === "false")) return v === "true";
  return undefined;
}

/** A finite number from a number or a decimal string; `undefined` when absent or not a number. */
export function asNumber(value: Plain | undefined): number | undefined {
  const v = known(value);
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Whether a value is set. An unknown value is set (its value is what is unknown, not its
 * presence); a property below an unknown object may or may not be: that throws `UnknownRead`.
 */
export function isPresent(value: Plain | undefined): boolean {
  if (value instanceof Unknown && value.belowUnknown) throw new UnknownRead(value);
  return value !== undefined && value !== null;
}

/**
 * A whole, non-negative count from a number or a Kubernetes quantity string ("4"); `undefined`
 * when absent or not a plain count.
 */
export function asCount(value: Plain | undefined): number | undefined {
  const v = known(value);
  if (typeof v === "number" && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === "string" && /^\d+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

/** String map (labels, annotations, tags); entries that are unknown are kept as `Unknown` (read them with `entryOf`). */
export function stringMap(value: Plain | undefined): ReadonlyMap<string, string | Unknown> {
  const out = new Map<string, string | Unknown>();
  for (const [key, entry] of Object.entries(asRecord(value))) {
    if (entry instanceof Unknown) out.set(key, entry);
    else if (typeof entry === "string") out.set(key, entry);
    else if (typeof entry === "number" || typeof entry === "boolean") out.set(key, String(entry));
  }
  return out;
}

/** One entry of a string map; throws `UnknownRead` when that entry is unknown. */
export function entryOf(map: ReadonlyMap<string, string | Unknown>, key: string): string | undefined {
  const value = map.get(key);
  return value === undefined ? undefined : known(value);
}

/** `read()`'s result, or the `Unknown` it ran into: for a check that weighs several values before deciding. */
export function attempt<T>(read: () => T): Known<T> {
  try {
    return read();
  } catch (error) {
    if (error instanceof UnknownRead) return error.unknown;
    throw error;
  }
}
