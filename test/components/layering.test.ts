/**
 * The import graph is one-way: economics ← the pack's public contract ← components ← infra.
 * Read from the source itself (TypeScript's own import scanner), so a new back edge fails here
 * before it couples the components to the program or the pack's internals.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");

type Layer = "economics" | "contract" | "pack" | "components" | "infra";

/** Which layer a repository file belongs to; undefined for files outside the layered tree. */
function layerOf(file: string): Layer | undefined {
  const rel = path.relative(ROOT, file).split(path.sep).join("/");
  if (rel.startsWith("policies/economics/")) return "economics";
  if (rel.startsWith("policies/rules/") || rel === "policies/index.ts") return "pack";
  // The pack's public modules: policies/*.ts other than its entry point (contract.ts, eks-versions.ts, ...).
  if (/^policies\/[^/]+\.ts$/.test(rel)) return "contract";
  if (rel.startsWith("components/")) return "components";
  if (rel.startsWith("infra/")) return "infra";
  return undefined;
}

/** Layers each layer may import from. */
const ALLOWED: Readonly<Record<Layer, readonly Layer[]>> = {
  economics: ["economics"],
  contract: ["economics", "contract"],
  pack: ["economics", "contract", "pack"],
  components: ["economics", "contract", "components"],
  infra: ["economics", "contract", "pack", "components", "infra"],
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : sourceFiles(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

/** Relative imports of a file, resolved to repository paths (`.ts` or `/index.ts`). */
function relativeImports(file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith("."))
    .map((spec) => {
      const base = path.resolve(path.dirname(file), spec.replace(/\.js$/, ""));
      return [`${base}.ts`, path.join(base, "index.ts")].find((candidate) => fs.existsSync(candidate)) ?? base;
    });
}

const files = ["policies", "components", "infra"].flatMap((dir) => sourceFiles(path.join(ROOT, dir)));
const edges = files.flatMap((from) => relativeImports(from).map((to) => ({ from, to })));
const rel = (file: string) => path.relative(ROOT, file);

describe("the import graph", () => {
  it("reads the tree it checks", () => {
    expect(files.some((f) => layerOf(f) === "components")).toBe(true);
    expect(edges.some(({ from, to }) => layerOf(from) === "components" && layerOf(to) === "economics")).toBe(true);
  });

  it("has no back edge: each layer imports only itself and the layers below it", () => {
    const backEdges = edges
      .filter(({ from, to }) => {
        const a = layerOf(from);
        const b = layerOf(to);
        return a !== undefined && b !== undefined && !ALLOWED[a].includes(b);
      })
      .map(({ from, to }) => `${rel(from)} (${layerOf(from)}) imports ${rel(to)} (${layerOf(to)})`);
    expect(backEdges).toEqual([]);
  });

  it("keeps the pack's internals private: nothing outside policies/ imports policies/rules/internal", () => {
    const leaks = edges.filter(({ from, to }) => !rel(from).startsWith("policies/") && rel(to).startsWith(path.join("policies", "rules", "internal")));
    expect(leaks.map(({ from, to }) => `${rel(from)} imports ${rel(to)}`)).toEqual([]);
  });

  it("keeps the economics free of Pulumi, so the model runs anywhere the pack is published", () => {
    const pulumiInEconomics = files
      .filter((f) => layerOf(f) === "economics")
      .filter((f) => ts.preProcessFile(fs.readFileSync(f, "utf8"), true, true).importedFiles.some((i) => i.fileName.startsWith("@pulumi/")));
    expect(pulumiInEconomics.map(rel)).toEqual([]);
  });
});
