// Bundles the CLI into dist/ with esbuild. Commands load their domain code on first use
// (code splitting), so `br --version` parses and runs only what it needs.
//
// Files are replaced one by one with atomic renames, and stale ones removed afterwards, because a
// rebuild can happen while br runs (`npm test` or `npm run demo` in one terminal, br in another).
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "..");
const outdir = join(root, "dist");
const SECRET_RULES = join(root, "data", "secret-rules.toml");

/** data/secret-rules.toml as a module: its text, and its rules compiled (undefined while compiling them). */
function secretRulesAs(compiled) {
  return {
    name: "secret-rules",
    setup(on) {
      on.onLoad({ filter: /[\\/]data[\\/]secret-rules\.toml$/ }, () => ({
        contents: `export default ${JSON.stringify(readFileSync(SECRET_RULES, "utf8"))};\nexport const compiled = ${JSON.stringify(compiled)};\n`,
        loader: "js",
      }));
    },
  };
}

/**
 * The default secret rules compiled once, here (TOML read, schema checked, Go's regex dialect
 * translated), by br's own code bundled on its own: shipped beside the text, so br starts without
 * compiling them (src/security/secrets/compiled-rules.ts).
 */
async function compiledSecretRules() {
  const bundled = await build({
    stdin: { contents: 'export { compiledDefaults } from "./src/security/secrets/rules.ts";', resolveDir: root, loader: "ts" },
    write: false,
    bundle: true,
    format: "esm",
    platform: "node",
    plugins: [secretRulesAs(undefined)],
    logLevel: "warning",
  });
  const dir = mkdtempSync(join(tmpdir(), "br-build-"));
  try {
    const file = join(dir, "rules.mjs");
    writeFileSync(file, bundled.outputFiles[0].contents);
    return (await import(pathToFileURL(file).href)).compiledDefaults();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const secretRules = { compiled: await compiledSecretRules() };

/**
 * What this build was made from: the sources, the data files and the locked dependencies. Caches
 * of derived results (src/infra/load-config.ts) are valid only for the build that wrote them.
 */
function buildId() {
  const hash = createHash("sha256");
  const files = ["package.json", "package-lock.json"];
  for (const dir of ["src", "data"]) {
    for (const entry of readdirSync(join(root, dir), { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) files.push(relative(root, join(entry.parentPath, entry.name)));
    }
  }
  for (const file of files.sort())
    hash
      .update(`${file}\0`)
      .update(readFileSync(join(root, file)))
      .update("\0");
  return hash.digest("hex").slice(0, 16);
}

const result = await build({
  // The scan worker is its own entry: a worker thread starts from a file.
  entryPoints: { cli: join(root, "src/cli/bin.ts"), "scan-worker": join(root, "src/security/scan-worker.ts") },
  outdir,
  write: false,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node22.13",
  sourcemap: true,
  minify: process.env.BR_BUILD_NO_MINIFY !== "1",
  chunkNames: "chunks/[name]-[hash]",
  // Loaded at run time from node_modules: a tokenizer whose 1 MB rank table only `br run` needs, and
  // oxc's parser, whose native binary (one npm package per platform) cannot be bundled, and the
  // Lezer grammars, loaded on a first parse (Python, or a file oxc rejects) rather than at start-up,
  // and pg-boss, which only a configured queue loads (its driver's optional native binding cannot be bundled).
  external: ["js-tiktoken", "oxc-parser", "@lezer/javascript", "@lezer/python", "pg-boss"],
  // Prefer ESM builds: some packages (jsonc-parser) ship a UMD "main" that cannot be bundled.
  mainFields: ["module", "main"],
  // Rule files are data in their own format (gitleaks TOML), bundled as text.
  loader: { ".toml": "text", ".html": "text" },
  banner: { js: "import { createRequire as __brCreateRequire } from 'node:module'; const require = __brCreateRequire(import.meta.url);" },
  plugins: [secretRulesAs(secretRules.compiled)],
  define: { __BR_BUILD_ID__: JSON.stringify(buildId()) },
  logLevel: "warning",
});

const written = new Set();
for (const file of result.outputFiles) {
  mkdirSync(dirname(file.path), { recursive: true });
  const temp = `${file.path}.${process.pid}.tmp`;
  writeFileSync(temp, file.contents);
  renameSync(temp, file.path);
  written.add(relative(outdir, file.path));
}

function removeStale(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) removeStale(path);
    else if (!written.has(relative(outdir, path))) rmSync(path, { force: true });
  }
}
removeStale(outdir);
