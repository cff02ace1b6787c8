// Bundles the CLI into dist/ with esbuild. Commands load their domain code on first use
// (code splitting), so `br --version` parses and runs only what it needs.
import { rmSync } from "node:fs";
import { build } from "esbuild";

rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { cli: "src/cli/bin.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20.19",
  sourcemap: true,
  minify: true,
  chunkNames: "chunks/[name]-[hash]",
  // Native addon: must stay a runtime require.
  external: ["better-sqlite3"],
  // Prefer ESM builds: some packages (jsonc-parser) ship a UMD "main" that cannot be bundled.
  mainFields: ["module", "main"],
  banner: { js: "import { createRequire as __brCreateRequire } from 'node:module'; const require = __brCreateRequire(import.meta.url);" },
  logLevel: "warning",
});
