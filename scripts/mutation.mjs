// Mutation testing of the deciding modules (stryker.config.json) on the pinned Node 24, whatever
// Node runs npm: StrykerJS runs the unit tests (test/unit) through its tap runner, which starts
// `node` from PATH, so Node 24's folder goes first. Then the score per file and overall is written
// to bench/mutation-score.json, and the run fails below the threshold.
//
//   npm run mutation
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { NODE_VERSIONS, nodeBinary } from "./node-runtime.mjs";

const root = resolve(import.meta.dirname, "..");
const THRESHOLD = 85;
const binary = nodeBinary("24");
const env = { ...process.env, PATH: `${dirname(binary)}${delimiter}${process.env.PATH ?? ""}` };
delete env.NODE_TEST_CONTEXT;
const started = Date.now();
const stryker = join(root, "node_modules", "@stryker-mutator", "core", "bin", "stryker.js");
const run = spawnSync(binary, [stryker, "run", ...process.argv.slice(2)], { cwd: root, env, stdio: "inherit" });
const seconds = Math.round((Date.now() - started) / 1000);
if (run.status !== 0) {
  console.error(`# stryker exited ${run.status ?? run.signal}`);
  process.exit(1);
}

const report = JSON.parse(readFileSync(join(root, "reports", "mutation", "mutation.json"), "utf8"));
const DETECTED = new Set(["Killed", "Timeout"]);
const UNDETECTED = new Set(["Survived", "NoCoverage"]);
const score = (mutants) => {
  const detected = mutants.filter((m) => DETECTED.has(m.status)).length;
  const valid = detected + mutants.filter((m) => UNDETECTED.has(m.status)).length;
  return {
    mutants: mutants.length,
    killed: detected,
    survived: valid - detected,
    score: valid === 0 ? 100 : Math.round((detected / valid) * 10000) / 100,
  };
};
const config = JSON.parse(readFileSync(join(root, "stryker.config.json"), "utf8"));
const files = Object.fromEntries(
  Object.entries(report.files)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([file, f]) => [file, score(f.mutants)]),
);
const all = score(Object.values(report.files).flatMap((f) => f.mutants));
const record = {
  date: new Date().toISOString().slice(0, 10),
  command: "npm run mutation",
  node: NODE_VERSIONS[24],
  durationSeconds: seconds,
  threshold: THRESHOLD,
  mutate: config.mutate,
  overall: all,
  files,
  survivors: Object.entries(report.files).flatMap(([file, f]) =>
    f.mutants
      .filter((m) => UNDETECTED.has(m.status))
      .map((m) => `${file}:${m.location.start.line} ${m.mutatorName} → ${JSON.stringify(m.replacement ?? "")} (${m.status})`),
  ),
};
writeFileSync(join(root, "bench", "mutation-score.json"), `${JSON.stringify(record, null, 2)}\n`);
console.log(
  `\n# mutation score ${all.score}% (${all.killed} of ${all.killed + all.survived}) in ${seconds} s; recorded in bench/mutation-score.json`,
);
for (const [file, s] of Object.entries(files)) console.log(`#   ${file}: ${s.score}% (${s.killed}/${s.killed + s.survived})`);
process.exit(all.score >= THRESHOLD ? 0 : 1);
