/**
 * Reading the catalog's data files (`./data/*.json`): each is validated with zod when the catalog
 * loads, and a broken file fails with every problem at once, naming the file and the key.
 * The files ship inside the policy pack, so `pulumi policy publish` carries them.
 */
import { z } from "zod";

/** ISO date (`2026-11-09`) or month (`2026-01`): when the source was current. */
export const asOfSchema = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$/, { error: "expected an ISO date (YYYY-MM-DD) or month (YYYY-MM)" });

/** Where a figure comes from; at least a few words. */
export const sourceSchema = z.string().min(10, { error: "expected a source: a URL or a repository path and commit" });

/** A catalog data file's problems, one line per key. */
export class CatalogDataError extends Error {
  override name = "CatalogDataError";
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid catalog data in ${file}:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
}

function keyPath(path: readonly PropertyKey[], rows: unknown): string {
  // Name a row by its id when it has one: `rows[3] (p5.48xlarge).prices.onDemand`.
  const [head, index, ...rest] = path;
  if (head === "rows" && typeof index === "number" && Array.isArray(rows)) {
    const id = (rows[index] as { id?: unknown } | undefined)?.id;
    const label = typeof id === "string" ? `rows[${index}] (${id})` : `rows[${index}]`;
    return [label, ...rest.map(String)].join(".");
  }
  return path.map(String).join(".") || "(file)";
}

/** Parse one data file's content with its schema; throws a CatalogDataError listing every problem. */
export function parseDataFile<S extends z.ZodType>(file: string, content: unknown, schema: S): z.infer<S> {
  const result = schema.safeParse(content);
  if (result.success) return result.data;
  const rows = (content as { rows?: unknown } | null)?.rows;
  throw new CatalogDataError(
    file,
    result.error.issues.map((issue) => `${keyPath(issue.path, rows)}: ${issue.message}`),
  );
}

/** Ids that occur more than once, for a uniqueness check with a clear message. */
export function duplicateIds(rows: readonly { readonly id: string }[]): string[] {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const { id } of rows) (seen.has(id) ? duplicates : seen).add(id);
  return [...duplicates];
}

/** Deep-freeze plain data, so no caller can change a shared table. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const inner of Object.values(value as object)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
