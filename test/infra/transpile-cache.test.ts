/** The transpiled copies `npm run plan`, `npm run cost` and the analyzer run: faithful, reused while the sources are unchanged, rebuilt when they change. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { transpiledCopy } from "../../infra/build/transpile-cache";

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-inference-transpile-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function project(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(scratch, "src-"));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}

describe("transpiledCopy", () => {
  const files = {
    "pack/package.json": JSON.stringify({ name: "p", main: "index.ts" }),
    "pack/index.ts": 'import { rate } from "./lib/rate";\nimport * as fs from "node:fs";\nimport * as path from "node:path";\nexport const answer: number = rate(2);\nexport const data = fs.readFileSync(path.join(__dirname, "data", "prices.csv"), "utf8");\n',
    "pack/lib/rate.ts": "export function rate(x: number): number { return x * 21; }\n",
    "pack/data/prices.csv": "id,usd\na,1\n",
    "pack/types.d.ts": "declare const x: number;\n",
    "pack/tsconfig.json": "{}",
    "pack/node_modules/dep/index.js": "module.exports = 1;\n",
  };

  it("runs as the source would: TypeScript as JavaScript, data beside it, main pointed at the .js entry", () => {
    const root = project(files);
    const copy = transpiledCopy({ root, directories: ["pack"], cacheRoot: path.join(root, "cache"), name: "t", skipFiles: ["tsconfig.json"] });
    const manifest = JSON.parse(fs.readFileSync(path.join(copy, "pack", "package.json"), "utf8")) as { main: string };
    expect(manifest.main).toBe("index.js");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(copy, "pack", "index.js")) as { answer: number; data: string };
    expect(mod.answer).toBe(42);
    expect(mod.data).toBe("id,usd\na,1\n");
    expect(fs.existsSync(path.join(copy, "pack", "tsconfig.json"))).toBe(false);
    expect(fs.existsSync(path.join(copy, "pack", "types.d.ts"))).toBe(false);
    expect(fs.existsSync(path.join(copy, "pack", "node_modules"))).toBe(false);
  });

  it("is reused while nothing changes and rebuilt when any file does", () => {
    const root = project(files);
    const options = { root, directories: ["pack"], cacheRoot: path.join(root, "cache"), name: "t" };
    const first = transpiledCopy(options);
    expect(transpiledCopy(options)).toBe(first);
    fs.writeFileSync(path.join(root, "pack", "data", "prices.csv"), "id,usd\na,2\n");
    const second = transpiledCopy(options);
    expect(second).not.toBe(first);
    expect(fs.readFileSync(path.join(second, "pack", "data", "prices.csv"), "utf8")).toBe("id,usd\na,2\n");
  });

  it("refuses a syntax error naming the file, and leaves no half-built copy", () => {
    const root = project({ "pack/bad.ts": "export const = 1;\n" });
    const cacheRoot = path.join(root, "cache");
    expect(() => transpiledCopy({ root, directories: ["pack"], cacheRoot, name: "t" })).toThrow(/bad\.ts/);
    expect(fs.readdirSync(cacheRoot)).toEqual([]);
  });
});

describe("npm run cost", () => {
  it("loads no Pulumi SDK: its imports never reach @pulumi/* (the SDK costs ~2 s of start-up)", () => {
    const repo = path.resolve(__dirname, "..", "..");
    const seen = new Set<string>();
    const pulumiImports: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const ref of ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true).importedFiles) {
        const spec = ref.fileName;
        if (spec.startsWith("@pulumi/")) pulumiImports.push(`${path.relative(repo, file)} imports ${spec}`);
        if (!spec.startsWith(".")) continue;
        const base = path.resolve(path.dirname(file), spec);
        const target = [`${base}.ts`, path.join(base, "index.ts")].find((f) => fs.existsSync(f));
        if (target !== undefined) visit(target);
      }
    };
    visit(path.join(repo, "infra", "cli", "cost.ts"));
    expect(seen.size).toBeGreaterThan(10);
    expect(pulumiImports).toEqual([]);
  });
});
