/**
 * What every br command loads before it knows which command it is: the static import graph of the
 * CLI's entry (esbuild's metafile of the same bundle scripts/build.mjs makes). Commands load their
 * domain code in their actions; one static import of a heavy module (the config schema with zod and
 * yaml, SQLite, a parser) would make every command, `br --version` and the git hook included,
 * pay for it at start.
 */
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { build } from "esbuild";

const ROOT = resolve(import.meta.dirname, "..", "..");

async function staticGraph(): Promise<Set<string>> {
  const result = await build({
    entryPoints: [resolve(ROOT, "src/cli/bin.ts")],
    absWorkingDir: ROOT,
    write: false,
    metafile: true,
    bundle: true,
    splitting: true,
    outdir: "out",
    format: "esm",
    platform: "node",
    external: ["js-tiktoken", "oxc-parser"],
    mainFields: ["module", "main"],
    loader: { ".toml": "text", ".html": "text" },
    logLevel: "silent",
  });
  const { inputs } = result.metafile;
  const seen = new Set<string>();
  const queue = ["src/cli/bin.ts"];
  for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
    if (seen.has(path)) continue;
    seen.add(path);
    for (const imported of inputs[path]?.imports ?? []) if (imported.kind !== "dynamic-import") queue.push(imported.path);
  }
  return seen;
}

describe("the CLI's start", () => {
  it("loads no config schema, validation library, YAML parser, database, code parser or node:crypto before a command runs", {
    timeout: 60_000,
  }, async () => {
    const graph = [...(await staticGraph())];
    assert.ok(graph.includes("src/cli/main.ts") && graph.length > 10, `${graph.length} modules`);
    const heavyModule =
      /^src\/infra\/(config|sqlite|state-db|lock|syntax)\.ts$|node_modules\/(zod|yaml|@lezer|smol-toml)\/|^node:(sqlite|crypto)$/;
    const heavy = graph.filter((path) => heavyModule.test(path));
    assert.deepEqual(heavy, []);
  });
});
