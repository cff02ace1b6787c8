// Runs the test suite on each Node.js version br supports (pinned builds from the npm registry, see
// node-runtime.mjs), whatever Node runs npm itself, then prints one summary for all of them.
//
//   BR_TEST_NODES=24 npm test            only Node 24 (quicker while developing)
//   node scripts/test.mjs test/run.test.ts   only these files, on every Node
// Then br's own gates run on this repository (self-gates.mjs); the last lines sum everything up.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { NODE_VERSIONS, nodeBinary } from "./node-runtime.mjs";

const root = resolve(import.meta.dirname, "..");
const majors = (process.env.BR_TEST_NODES ?? Object.keys(NODE_VERSIONS).sort().reverse().join(",")).split(",");
const files = process.argv.slice(2).length > 0 ? process.argv.slice(2) : allTestFiles();
// A test that hangs fails after this, instead of holding CI until its own deadline.
const TEST_TIMEOUT_MS = 10 * 60_000;

function allTestFiles() {
  return readdirSync(join(root, "test"))
    .filter((name) => name.endsWith(".test.ts"))
    .sort()
    .map((name) => join("test", name));
}

/** Reads the counts from node's TAP summary (`# pass 12`), written beside the human-readable report. */
function summary(tapFile) {
  const text = readFileSync(tapFile, "utf8");
  const count = (name) => Number(text.match(new RegExp(`^# ${name} (\\d+)$`, "m"))?.[1] ?? Number.NaN);
  return { tests: count("tests"), pass: count("pass"), fail: count("fail"), cancelled: count("cancelled"), skipped: count("skipped") };
}

function runSuite(major, tapFile) {
  const binary = nodeBinary(major);
  // Commands the tests start (`node --test` in a sample project, agents) use the same Node.
  const env = { ...process.env, PATH: `${dirname(binary)}${delimiter}${process.env.PATH ?? ""}` };
  const reporters = [
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    "--test-reporter=tap",
    `--test-reporter-destination=${tapFile}`,
  ];
  const args = ["--import", "tsx", "--test", "--test-concurrency=2", `--test-timeout=${TEST_TIMEOUT_MS}`, ...reporters, ...files];
  console.log(`\n# Node.js ${NODE_VERSIONS[major]}: ${files.length} test files`);
  const result = spawnSync(binary, args, { cwd: root, env, stdio: "inherit" });
  return { major, status: result.status, ...summary(tapFile) };
}

const dir = mkdtempSync(join(tmpdir(), "br-test-"));
const results = [];
try {
  for (const major of majors) results.push(runSuite(major, join(dir, `node-${major}.tap`)));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
// br's own gates on this repository (scripts/self-gates.mjs), after the suites that prove br works.
const gates = spawnSync(nodeBinary(majors[0]), [join(root, "scripts", "self-gates.mjs")], { cwd: root, stdio: "inherit" });
const total = (key) => results.reduce((sum, r) => sum + (Number.isNaN(r[key]) ? 0 : r[key]), 0);
const broken = results.filter((r) => r.status !== 0 || Number.isNaN(r.fail) || r.fail > 0);
console.log("");
for (const r of results) console.log(`# node ${NODE_VERSIONS[r.major]}: tests ${r.tests} pass ${r.pass} fail ${r.fail} (exit ${r.status})`);
console.log(`# tests ${total("tests")}`);
console.log(`# pass ${total("pass")}`);
console.log(`# self-gates: ${gates.status === 0 ? "passed" : "FAILED"}`);
console.log(`# fail ${total("fail") + broken.filter((r) => !(r.fail > 0)).length + (gates.status === 0 ? 0 : 1)}`);
process.exit(broken.length === 0 && gates.status === 0 ? 0 : 1);
