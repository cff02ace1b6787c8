// `npm run schema`: regenerates schemas/config.schema.json from `br config schema`, replacing the
// file only when br succeeded (a shell redirect would empty it on any failure).
import { spawnSync } from "node:child_process";
import { renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { nodeBinary } from "./node-runtime.mjs";

const root = resolve(import.meta.dirname, "..");
const target = join(root, "schemas", "config.schema.json");
const result = spawnSync(nodeBinary("24"), [join(root, "bin", "br.js"), "config", "schema"], { encoding: "utf8", timeout: 60_000 });
if (result.status !== 0) {
  console.error(`br config schema failed (exit ${result.status}):\n${result.stderr}`);
  process.exit(1);
}
JSON.parse(result.stdout); // a schema that is not JSON is not written
writeFileSync(`${target}.tmp`, result.stdout);
renameSync(`${target}.tmp`, target);
console.log(`wrote ${target}`);
