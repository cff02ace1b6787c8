// br holds itself to its own gates: `br quality check` (complexity, lengths, duplication),
// `br security check` and `br gaps analyze` on this repository's working tree, with a ratchet.
// Fails when a count rises above .ci/gates-baseline.json or on any security finding; when a count
// falls, says to lower the baseline (`--update` writes it).
//
// The tree is measured in a temporary copy that `br attach` turns into a project, so this
// repository needs no .buildrunner/ of its own and uncommitted work is measured as it is.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { nodeBinary } from "./node-runtime.mjs";

const root = resolve(import.meta.dirname, "..");
const baselineFile = join(root, ".ci", "gates-baseline.json");
const node = nodeBinary(process.env.BR_SELF_GATES_NODE ?? "24");
const br = join(root, "bin", "br.js");

// Inside a git hook, GIT_DIR and friends would point every git command (ours and br's) at this
// repository instead of the temporary copy.
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("GIT_")));

function run(command, args, cwd, okCodes = [0]) {
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
  if (!okCodes.includes(result.status)) {
    throw new Error(`${command} ${args.join(" ")} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

function brJson(args, cwd) {
  const output = run(node, [br, ...args, "--json"], cwd, [0, 1]);
  try {
    return JSON.parse(output);
  } catch {
    throw new Error(`br ${args.join(" ")} --json printed no JSON:\n${output.slice(0, 2000)}`);
  }
}

/** The working tree as git sees it (tracked and new files, minus ignored ones), copied into a fresh repository. */
function copyOfWorkingTree() {
  const dir = mkdtempSync(join(tmpdir(), "br-self-gates-"));
  const files = run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], root).split("\0").filter(Boolean);
  // A nested repository is listed as "dir/": not this project's files.
  for (const file of files.filter((f) => !f.endsWith("/"))) {
    try {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      cpSync(join(root, file), join(dir, file));
    } catch (error) {
      if (error.code !== "ENOENT") throw error; // deleted but not yet staged
    }
  }
  run("git", ["init", "-q"], dir);
  run("git", ["add", "-A"], dir);
  const identity = ["-c", "user.name=self-gates", "-c", "user.email=self-gates@localhost", "-c", "commit.gpgsign=false"];
  run("git", [...identity, "-c", "core.hooksPath=/dev/null", "commit", "--no-verify", "-qm", "tree"], dir);
  run(node, [br, "attach"], dir);
  return dir;
}

function measure(dir) {
  const quality = brJson(["quality", "check", "--only", "complexity,function-length,file-length,duplication"], dir);
  const gate = (name) => quality.gates.find((g) => g.name === name);
  const security = brJson(["security", "check"], dir);
  const gaps = brJson(["gaps", "analyze"], dir);
  const bySeverity = {};
  for (const g of gaps.gaps) bySeverity[g.severity] = (bySeverity[g.severity] ?? 0) + 1;
  return {
    counts: {
      complexity: gate("complexity").over,
      functionLength: gate("function-length").over,
      fileLength: gate("file-length").over,
      securityFindings: security.findings.length,
      gapsCritical: bySeverity.critical ?? 0,
      gapsHigh: bySeverity.high ?? 0,
      gapsMedium: bySeverity.medium ?? 0,
      gapsLow: bySeverity.low ?? 0,
    },
    duplicationPassed: gate("duplication").passed,
    details: { quality, security, gaps },
  };
}

const dir = copyOfWorkingTree();
let result;
try {
  result = measure(dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const baseline = JSON.parse(readFileSync(baselineFile, "utf8"));
if (process.argv.includes("--update")) {
  // The ratchet only tightens: a count above the baseline stays a failure to fix, not a new normal.
  const lowered = Object.fromEntries(
    Object.entries(result.counts).map(([name, count]) => [name, Math.min(count, baseline[name] ?? count)]),
  );
  writeFileSync(baselineFile, `${JSON.stringify({ ...baseline, ...lowered }, null, 2)}\n`);
  console.log(`# self-gates: baseline written to ${baselineFile}`);
  process.exit(0);
}

const problems = [];
const lowered = [];
for (const [name, count] of Object.entries(result.counts)) {
  const allowed = name === "securityFindings" ? 0 : (baseline[name] ?? 0);
  if (count > allowed) problems.push(`${name}: ${count}, above the baseline of ${allowed}`);
  else if (count < allowed) lowered.push(`${name}: ${count} (baseline ${allowed})`);
}
if (!result.duplicationPassed) problems.push("duplication: above the duplication gate's threshold");

console.log(
  `# self-gates: ${Object.entries(result.counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")}`,
);
for (const finding of result.details.security.findings) console.log(`#   security: ${finding.file}:${finding.line} ${finding.rule}`);
// What is still over a limit, whether or not it fails: the ratchet's road to zero.
for (const gate of result.details.quality.gates.filter((g) => g.over > 0)) {
  for (const line of gate.details.slice(0, 12)) console.log(`#   ${gate.name}: ${line}`);
}
if (problems.length > 0) {
  for (const gap of result.details.gaps.gaps.filter((g) => ["critical", "high"].includes(g.severity))) {
    console.log(`#   gap ${gap.severity}: ${gap.file ?? gap.featureId ?? ""}${gap.line ? `:${gap.line}` : ""} ${gap.message}`);
  }
  for (const problem of problems) console.log(`# self-gates FAILED: ${problem}`);
  process.exit(1);
}
if (lowered.length > 0) {
  console.log(`# self-gates: lower than the baseline, well done: ${lowered.join(", ")}.`);
  console.log("#   Lower it for good: node scripts/self-gates.mjs --update, and commit .ci/gates-baseline.json.");
}
