/**
 * The build loop's own cost (issue 19): `br run` through N trivial tasks with a trivial agent (a
 * shell script that writes a module and a test in the task's folder), against a shell loop doing
 * the same work with git: per task `git status` (is the tree clean?), the agent, `git status` (what
 * did it change?), `git add` and `git commit`. Both are timed as CPU (user + sys of the process and
 * every child it waited for: br waits for its query shell at the end, so the git queries it ran
 * are counted; only br's watchdog, a shell that ends after br, is not, ~1 ms a run). The agent's
 * own CPU, measured alone in the same run, is taken off both, so what is left is br's and git's.
 * A smaller run with a counting `git` first on PATH says how many git processes each starts per task.
 * Aim: under 0.1 s of CPU per task.
 * Run alone: `node scripts/node-runtime.mjs 24 --import tsx bench/run-loop.ts [features, default 20] [--keep]`
 * (each feature is two tasks: its implementation and its tests); BENCH_BR=<other checkout>/bin/br.js
 * measures another build the same way.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { BR as THIS_BR } from "./measure.ts";

/** The br measured: this checkout's, or another build's (BENCH_BR=/path/to/bin/br.js) for a before/after. */
const BR = process.env.BENCH_BR ?? THIS_BR;

const TIME = "/usr/bin/time";
const AIM_CPU_S = 0.1;

/**
 * The trivial agent: writes src/<feature>/<task>.js and test/<feature>/<task>.test.js, inside the
 * task's files (a task id is `<feature>.<n>`), and reports success.
 */
const TRIVIAL_AGENT = `t="$BR_TASK_ID"; f="\${t%%.*}"; s=$(printf %s "$t" | tr -c a-z0-9 _)
mkdir -p "src/$f" "test/$f"
echo "module.exports = \\"$t\\";" > "src/$f/$s.js"
echo "require(\\"../../src/$f/$s.js\\");" > "test/$f/$s.test.js"
`;

/** The agent's script, written once to a folder of its own (outside the projects). */
function agentScript(): string {
  const file = join(mkdtempSync(join(tmpdir(), "br-bench-agent-")), "agent.sh");
  writeFileSync(file, TRIVIAL_AGENT);
  return file;
}

function must(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.status}: ${result.stderr.slice(-2000)}`);
  return result.stdout;
}

// br as a user runs it: default settings (local telemetry on), only without colours.
const brEnv = (): NodeJS.ProcessEnv => ({ ...process.env, NO_COLOR: "1" });

/** A committed git project of `features` independent features, each owning src/<id>/** and test/<id>/**, with its plan. */
function runLoopProject(features: number, agent: string): string {
  const cwd = mkdtempSync(join(tmpdir(), "br-bench-run-"));
  must("git", ["init", "-q", "-b", "main"], cwd);
  must("git", ["config", "user.email", "bench@example.invalid"], cwd);
  must("git", ["config", "user.name", "Bench"], cwd);
  writeFileSync(join(cwd, "package.json"), `${JSON.stringify({ name: "loop", private: true })}\n`);
  const spec = Array.from(
    { length: features },
    (_, i) =>
      `\n### Feature ${i + 1}\nBuild part ${i + 1} of the product.\nAcceptance criteria:\n- It returns its own id\nFiles: src/feature-${i + 1}/**, test/feature-${i + 1}/**\n`,
  );
  writeFileSync(join(cwd, "PROJECT_SPEC.md"), `# Loop\n\n## Features\n${spec.join("")}`);
  const br = (...args: string[]) => must(process.execPath, [BR, ...args], cwd, brEnv());
  br("init", "loop");
  br("config", "set", "commands.test", "true");
  br("config", "set", "run.executor", "command");
  br("config", "set", "executors.command.command", `/bin/sh ${agent}`);
  br("spec", "sync");
  br("tasks", "generate");
  must("git", ["add", "-A"], cwd);
  must("git", ["commit", "-qm", "plan"], cwd);
  return cwd;
}

function taskIds(cwd: string): string[] {
  const plan = JSON.parse(readFileSync(join(cwd, ".buildrunner", "tasks.json"), "utf8")) as { tasks: { id: string }[] };
  return plan.tasks.map((t) => t.id);
}

interface Cpu {
  cpuS: number;
  wallS: number;
}

/** Runs a command under /usr/bin/time: its CPU and its children's (those it waited for), and the wall time. */
function timed(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Cpu & { stdout: string } {
  const started = process.hrtime.bigint();
  const result = spawnSync(TIME, ["-f", "%U %S", command, ...args], { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.status}: ${result.stderr.slice(-2000)}`);
  const [user, sys] = (result.stderr.trim().split("\n").at(-1) ?? "").split(" ").map(Number);
  return { cpuS: (user ?? Number.NaN) + (sys ?? Number.NaN), wallS, stdout: result.stdout };
}

/** The agent alone, once per task, in a scratch folder: what both loops pay for it. */
function agentAlone(agent: string, ids: string[]): Cpu {
  const dir = mkdtempSync(join(tmpdir(), "br-bench-scratch-"));
  try {
    const script = `for BR_TASK_ID in ${ids.join(" ")}; do export BR_TASK_ID; /bin/sh ${agent}; done`;
    return timed("/bin/sh", ["-c", script], dir, process.env);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The shell loop: per task `git status` (is the tree clean?), the agent, `git status` for what it changed, `git add` and `git commit`. */
function shellScript(agent: string, ids: string[]): string {
  return `for BR_TASK_ID in ${ids.join(" ")}; do export BR_TASK_ID; git status --porcelain >/dev/null; /bin/sh ${agent}; git status --porcelain >/dev/null; git add -A; git commit -qm "task $BR_TASK_ID"; done`;
}

function shellLoop(cwd: string, agent: string, ids: string[]): Cpu {
  return timed("/bin/sh", ["-c", shellScript(agent, ids)], cwd, process.env);
}

function brRun(cwd: string, tasks: number): Cpu {
  const run = timed(process.execPath, [BR, "run", "--auto", "--json"], cwd, brEnv());
  const summary = JSON.parse(run.stdout) as { done: string[]; failed: { id: string; reason: string }[] };
  if (summary.done.length !== tasks)
    throw new Error(`br run did ${summary.done.length} of ${tasks} tasks: ${JSON.stringify(summary.failed.slice(0, 3))}`);
  return run;
}

/**
 * How many git processes each loop starts per task, counted by a `git` first on PATH that notes
 * each call and hands it to the real one (a separate, smaller run: the counting costs CPU itself).
 */
function gitProcessesPerTask(agent: string, features: number): { shell: number; br: number } {
  const shim = mkdtempSync(join(tmpdir(), "br-bench-git-"));
  const realGit = must("/bin/sh", ["-c", "command -v git"], shim).trim();
  const count = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").length : 0);
  writeFileSync(join(shim, "git"), `#!/bin/sh\nprintf . >> "$BENCH_GIT_CALLS"\nexec "${realGit}" "$@"\n`, { mode: 0o755 });
  const brProject = runLoopProject(features, agent);
  const shellProject = runLoopProject(features, agent);
  try {
    const ids = taskIds(brProject);
    const env = (calls: string) => ({ ...brEnv(), PATH: `${shim}:${process.env.PATH}`, BENCH_GIT_CALLS: join(shim, calls) });
    must("/bin/sh", ["-c", shellScript(agent, ids)], shellProject, env("shell"));
    const summary = JSON.parse(must(process.execPath, [BR, "run", "--auto", "--json"], brProject, env("br"))) as { done: string[] };
    if (summary.done.length !== ids.length) throw new Error(`br run did ${summary.done.length} of ${ids.length} tasks`);
    return { shell: count(join(shim, "shell")) / ids.length, br: count(join(shim, "br")) / ids.length };
  } finally {
    for (const dir of [shim, brProject, shellProject]) rmSync(dir, { recursive: true, force: true });
  }
}

function printResults(n: number, shell: Cpu, agentOnly: Cpu, br: Cpu, calls: { shell: number; br: number }): boolean {
  const brPerTask = Math.max(0, br.cpuS - agentOnly.cpuS) / n;
  const shellPerTask = Math.max(0.001, shell.cpuS - agentOnly.cpuS) / n;
  const met = brPerTask < AIM_CPU_S;
  const ms = (seconds: number) => `${(seconds * 1000).toFixed(1)} ms`;
  console.log(`\n## The build loop's own cost: br run through ${n} trivial tasks, against a shell loop doing the same git work\n`);
  console.log("| loop | CPU per task (agent excluded) | wall per task | git processes per task | ratio (CPU) |");
  console.log("| --- | --- | --- | --- | --- |");
  console.log(`| shell + git | ${ms(shellPerTask)} | ${ms(shell.wallS / n)} | ${calls.shell.toFixed(1)} | 1.00× |`);
  console.log(`| br run | ${ms(brPerTask)} | ${ms(br.wallS / n)} | ${calls.br.toFixed(1)} | ${(brPerTask / shellPerTask).toFixed(2)}× |`);
  console.log(`\nthe agent alone: ${ms(agentOnly.cpuS / n)} of CPU per task (taken off both)`);
  console.log(`Aim: under ${AIM_CPU_S} s of CPU per task: ${met ? "met" : "NOT met"}`);
  return met;
}

export function runLoopBenchmark(features = 20, keep = false): boolean {
  if (!existsSync(TIME)) {
    console.log("\n## The build loop's own cost: skipped (needs /usr/bin/time)");
    return true;
  }
  const agent = agentScript();
  const brProject = runLoopProject(features, agent);
  const shellProject = runLoopProject(features, agent);
  try {
    const ids = taskIds(brProject);
    const shell = shellLoop(shellProject, agent, ids);
    const agentOnly = agentAlone(agent, ids);
    const br = brRun(brProject, ids.length);
    const calls = gitProcessesPerTask(agent, Math.min(features, 5));
    if (keep) console.log(`projects kept: ${brProject} (br), ${shellProject} (shell)`);
    return printResults(ids.length, shell, agentOnly, br, calls);
  } finally {
    if (!keep) for (const dir of [brProject, shellProject, dirname(agent)]) rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const features = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 20);
  process.exitCode = runLoopBenchmark(features, process.argv.includes("--keep")) ? 0 : 1;
}
