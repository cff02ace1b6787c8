import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import sample from "../../data/demo/project.json" with { type: "json" };
import replay from "../../data/demo/replay.json" with { type: "json" };
import { failure, usageError } from "../infra/errors.js";
import { git } from "../infra/git.js";
import { say, style } from "../infra/log.js";

export function renderSpec(): string {
  const lines = [`# ${sample.project}`, "", "## Overview", sample.overview, "", "## Features"];
  for (const f of sample.features) {
    lines.push("", `### ${f.name}`, `Priority: ${f.priority}`);
    if (f.dependsOn.length > 0) lines.push(`Depends on: ${f.dependsOn.join(", ")}`);
    lines.push(f.description, "Acceptance criteria:", ...f.acceptance.map((a) => `- ${a}`), `Files: ${f.files.join(", ")}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The sample codebase: enough for `br attach` to detect, and a test that passes. */
const DEMO_IDENTITY = ["-c", "user.name=BuildRunner demo", "-c", "user.email=demo@example.invalid"];

function writeSkeleton(dir: string): void {
  const pkg = { name: sample.project, version: "0.1.0", private: true, type: "module", scripts: { test: "node --test" } };
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(
    join(dir, "package-lock.json"),
    `${JSON.stringify({ name: sample.project, lockfileVersion: 3, requires: true, packages: {} }, null, 2)}\n`,
  );
  writeFileSync(join(dir, "PROJECT_SPEC.md"), renderSpec());
  // What the agent did for each task, recorded, so the build loop runs offline.
  mkdirSync(join(dir, ".buildrunner", "replay"), { recursive: true });
  for (const [taskId, recording] of Object.entries(replay.recordings)) {
    writeFileSync(join(dir, ".buildrunner", "replay", `${taskId}.json`), `${JSON.stringify(recording, null, 2)}\n`);
  }
  mkdirSync(join(dir, "src"), { recursive: true });
  mkdirSync(join(dir, "test"), { recursive: true });
  writeFileSync(join(dir, "src", "index.js"), "export const name = 'notes-api';\n");
  writeFileSync(
    join(dir, "test", "index.test.js"),
    "import { test } from 'node:test';\nimport assert from 'node:assert';\nimport { name } from '../src/index.js';\n\ntest('name', () => assert.equal(name, 'notes-api'));\n",
  );
}

interface Step {
  args: string[];
  explain: string;
  /** The exit code this step must end with; the demo fails if it does not. */
  expect?: number;
  /** A git command instead of a br one. */
  git?: boolean;
}

function steps(): Step[] {
  return [
    { args: ["attach", "--name", sample.project], explain: "Attach BuildRunner to the codebase: detect its language and commands." },
    { args: ["spec", "sync"], explain: "Turn PROJECT_SPEC.md into features (priorities, dependencies, acceptance criteria)." },
    { args: ["tasks", "generate"], explain: "Decompose every feature into tasks of 1-2 hours, ordered by their dependencies." },
    { args: ["tasks", "list"], explain: "The plan: only tasks whose dependencies are done are ready." },
    {
      args: ["run", "--dry-run", "--max-tasks", "1"],
      explain: "The prompt the agent would get for the first task (budgeted, secrets masked).",
    },
    {
      args: ["features", "block", "markdown-export", "--reason", "waiting for the export format decision"],
      explain: "A feature is blocked, with a reason; its tasks wait.",
    },
    { args: ["add", "-A"], git: true, explain: "Commit the plan: br run verifies each task by what it changes." },
    { args: ["commit", "-qm", "Plan"], git: true, explain: "" },
    {
      args: ["run", "--auto", "--executor", "replay"],
      explain:
        "The build loop, with recorded agent changes (offline): each task is verified (changes in scope, tests pass) before it counts as done, then committed.",
    },
    {
      args: ["features", "complete", "markdown-export"],
      explain: "A blocked feature cannot be completed: the rules say what is allowed.",
      expect: 2,
    },
    { args: ["features", "list"], explain: "Every feature whose tasks were verified, and whose tests pass, is complete." },
    { args: ["log", "--oneline", "-8"], git: true, explain: "One commit per verified task." },
    { args: ["status"], explain: "Progress, tasks, and a fresh .buildrunner/STATUS.md." },
  ];
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/(["\\$`])/g, "\\$1")}"`;
}

function prepareDir(dir: string | undefined): string {
  if (dir === undefined) return mkdtempSync(join(tmpdir(), "br-demo-"));
  const target = resolve(dir);
  if (existsSync(target) && !statSync(target).isDirectory()) {
    throw usageError(`${target} is a file.`, { fix: "Name a new folder for the demo project." });
  }
  if (existsSync(target) && readdirSync(target).length > 0) {
    throw usageError(`${target} exists and is not empty.`, {
      fix: "Name a new folder, or leave the argument out to use a fresh temporary one.",
    });
  }
  mkdirSync(target, { recursive: true });
  return target;
}

/** Builds the sample project and walks it through every command that exists, as a user would run them. */
export async function runDemo(dir: string | undefined, brBinary: string): Promise<{ dir: string; steps: number }> {
  const target = prepareDir(dir);
  say(`${style.bold("BuildRunner demo")} in ${target}\n`);
  writeSkeleton(target);
  if (git(target, ["init", "-q"]).code !== 0)
    throw failure("git is needed for the demo (br run verifies work by what it changed).", { fix: "Install git." });
  git(target, [...DEMO_IDENTITY, "add", "-A"]);
  git(target, [...DEMO_IDENTITY, "commit", "-qm", "Sample project"]);
  const all = steps();
  for (const step of all) {
    if (step.explain) say(style.dim(`# ${step.explain}`));
    say(`${style.cyan("$")} ${step.git ? "git" : "br"} ${step.args.map(quote).join(" ")}`);
    const result = step.git
      ? spawnSync("git", [...DEMO_IDENTITY, ...step.args], { cwd: target, encoding: "utf8" })
      : spawnSync(process.execPath, [brBinary, ...step.args], { cwd: target, encoding: "utf8", env: { ...process.env, BR_DEMO: "1" } });
    const output = `${result.stdout}${result.stderr}`.trimEnd();
    if (output) say(output.replace(/^/gm, "  "));
    const expected = step.expect ?? 0;
    if (result.status !== expected) {
      throw failure(`Demo step \`br ${step.args.join(" ")}\` exited ${result.status}, expected ${expected}.`, {
        fix: "This is a bug in br; please report it with the output above.",
      });
    }
    if (expected !== 0) say(style.dim(`  (exit ${result.status}, as expected)`));
    say("");
  }
  say(`${style.green("✓")} Demo finished. Explore it: cd ${target} && br status`);
  say(style.dim("  Files to look at: PROJECT_SPEC.md, .buildrunner/STATUS.md, AGENTS.md, .buildrunner/config.yaml"));
  return { dir: target, steps: all.length };
}
