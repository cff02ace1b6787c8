// Runs the test suite on each Node.js version br supports (pinned builds from the npm registry, see
// node-runtime.mjs), whatever Node runs npm itself: the whole suite on Node 24 and 22, and the
// suites of the state database, locking and start-up on the oldest supported Node (22.13). Then
// br's own gates run on this repository (self-gates.mjs), and the last lines sum everything up.
//
//   BR_TEST_NODES=24 npm test                 only Node 24 (quicker while developing)
//   node scripts/test.mjs test/run.test.ts    only these files, on every Node
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, normalize, resolve } from "node:path";
import { NODE_VERSIONS, nodeBinary } from "./node-runtime.mjs";

const root = resolve(import.meta.dirname, "..");
const chosen = process.argv.slice(2).map((file) => normalize(file));
/** The end-to-end tests (test/*.test.ts, test/mcp/*.test.ts) and the fast unit tests of the deciding modules (test/unit/*.test.ts). */
const testsIn = (dir) =>
  readdirSync(join(root, dir))
    .filter((name) => name.endsWith(".test.ts"))
    .sort()
    .map((name) => join(dir, name));
const ALL = [
  ...testsIn("test"),
  ...[join("test", "mcp"), join("test", "unit")].filter((dir) => existsSync(join(root, dir))).flatMap(testsIn),
];
/** What the oldest supported Node must pass: the state database, the lock, start-up, concurrency and kills. */
const MINIMUM_SUITE = ["test/state-db.test.ts", "test/platform.test.ts", "test/robustness.test.ts"];
const PLAN = [
  { key: "24", files: ALL },
  { key: "22", files: ALL },
  { key: "22.13", files: MINIMUM_SUITE },
];
/** With files named on the command line: those on the whole-suite Nodes, and any of them in a step's own list. */
const filesFor = (step) => {
  if (chosen.length === 0) return step.files;
  return step.files === ALL ? chosen : step.files.filter((file) => chosen.includes(file));
};
const only = process.env.BR_TEST_NODES?.split(",").map((key) => key.trim());
// A test that hangs fails after this, instead of holding CI until its own deadline.
const TEST_TIMEOUT_MS = 10 * 60_000;

/** The counts from node's TAP summary (the last `# pass 12` lines), written beside the readable report. */
function summary(tapFile) {
  const text = existsSync(tapFile) ? readFileSync(tapFile, "utf8") : "";
  const count = (name) => {
    const all = [...text.matchAll(new RegExp(`^# ${name} (\\d+)$`, "gm"))];
    return all.length > 0 ? Number(all.at(-1)[1]) : Number.NaN;
  };
  return { tests: count("tests"), pass: count("pass"), fail: count("fail") + (count("cancelled") || 0) };
}

function runSuite({ key, files }, tapFile) {
  const binary = nodeBinary(key);
  // Commands the tests start (`node --test` in a sample project, agents) use the same Node.
  const env = { ...process.env, PATH: `${dirname(binary)}${delimiter}${process.env.PATH ?? ""}` };
  const reporters = [
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    "--test-reporter=tap",
    `--test-reporter-destination=${tapFile}`,
  ];
  const args = ["--import", "tsx", "--test", "--test-concurrency=2", `--test-timeout=${TEST_TIMEOUT_MS}`, ...reporters, ...files];
  console.log(`\n# Node.js ${NODE_VERSIONS[key]}: ${files.length} test files`);
  const result = spawnSync(binary, args, { cwd: root, env, stdio: "inherit" });
  return { status: result.status, ...summary(tapFile) };
}

function attempt(run, label) {
  try {
    return run();
  } catch (error) {
    console.error(`# ${label} could not run: ${error.message}`);
    return { status: null, tests: Number.NaN, pass: Number.NaN, fail: Number.NaN };
  }
}

const dir = mkdtempSync(join(tmpdir(), "br-test-"));
const results = [];
try {
  for (const step of PLAN) {
    if (only && !only.includes(step.key)) continue;
    const files = filesFor(step);
    if (files.length === 0) continue;
    const outcome = attempt(() => runSuite({ key: step.key, files }, join(dir, `node-${step.key}.tap`)), `Node ${step.key}`);
    results.push({ key: step.key, ...outcome });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const gatesNode = only?.[0] ?? "24";
const gates = attempt(
  () =>
    spawnSync(nodeBinary(gatesNode), [join(root, "scripts", "self-gates.mjs")], {
      cwd: root,
      env: { ...process.env, BR_SELF_GATES_NODE: gatesNode },
      stdio: "inherit",
    }),
  "self-gates",
);
const ok = (r) => r.status === 0 && r.fail === 0;
const sum = (key) => results.reduce((total, r) => total + (Number.isNaN(r[key]) ? 0 : r[key]), 0);
console.log("");
for (const r of results) console.log(`# node ${NODE_VERSIONS[r.key]}: tests ${r.tests} pass ${r.pass} fail ${r.fail} (exit ${r.status})`);
console.log(`# self-gates: ${gates.status === 0 ? "passed" : "FAILED"}`);
console.log(`# tests ${sum("tests")}`);
console.log(`# pass ${sum("pass")}`);
// A suite that could not run or report counts as one failure, so the last line never says 0 wrongly.
const unreported = results.filter((r) => !ok(r) && !(r.fail > 0)).length;
console.log(`# fail ${sum("fail") + unreported + (gates.status === 0 ? 0 : 1)}`);
process.exit(results.length > 0 && results.every(ok) && gates.status === 0 ? 0 : 1);
