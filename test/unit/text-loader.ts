/**
 * The secret rules (.toml) and the dashboard's page (.html) are files the build inlines as text
 * (scripts/build.mjs); for unit tests that import modules reaching them, this loader does the same. Import it before those modules
 * (with a dynamic import after it).
 */
import { register } from "node:module";

const FILES_AS_TEXT = `
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
export async function load(url, context, next) {
  if (!url.endsWith(".toml") && !url.endsWith(".html")) return next(url, context);
  const source = "export default " + JSON.stringify(readFileSync(fileURLToPath(url), "utf8")) + ";";
  return { format: "module", source, shortCircuit: true };
}`;
register(`data:text/javascript,${encodeURIComponent(FILES_AS_TEXT)}`);
