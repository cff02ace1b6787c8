// The bound for a keyword-prefiltered secret scan: read every file of a folder as text and run one
// combined regex of every rule keyword (br's data/secret-rules.toml) over it, case-insensitive.
// Any scanner that reads the files and looks for the keywords does at least this much work.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "smol-toml";

const [folder] = process.argv.slice(2);
const rules = parse(readFileSync(resolve(import.meta.dirname, "../data/secret-rules.toml"), "utf8")).rules;
const keywords = [...new Set(rules.flatMap((r) => r.keywords ?? []))].sort((a, b) => b.length - a.length);
const combined = new RegExp(keywords.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "gi");
let files = 0;
let matches = 0;
for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile()) continue;
  const text = readFileSync(join(entry.parentPath, entry.name), "utf8");
  files++;
  for (combined.lastIndex = 0; combined.exec(text) !== null; ) matches++;
}
console.log(JSON.stringify({ files, matches }));
