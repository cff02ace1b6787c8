import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import sample from "../../data/demo/project.json" with { type: "json" };
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
function writeSkeleton(dir: string): void {
  const pkg = { name: sample.project, version: "0.1.0", private: true, type: "module", scripts: { test: "node --test" } };
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(
    join(dir, "package-lock.json"),
    `${JSON.stringify({ name: sample.project, lockfileVersion: 3, requires: true, packages: {} }, null, 2)}\n`,
  );
  writeFileSync(join(dir, "PROJECT_SPEC.md"), renderSpec());
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
}

function steps(): Step[] {
  const walk = (id: string): Step[] => [
    { args: ["tasks", "start", id], explain: `An agent (or you) takes ${id}.` },
    { args: ["tasks", "done", id], explain: "It is finished." },
  ];
  return [
    { args: ["attach", "--name", sample.project], explain: "Attach BuildRunner to the codebase: detect its language and commands." },
    { args: ["spec", "sync"], explain: "Turn PROJECT_SPEC.md into features (priorities, dependencies, acceptance criteria)." },
    { args: ["features", "list"], explain: "The registry, highest priority first." },
    { args: ["tasks", "generate"], explain: "Decompose every feature into tasks of 1-2 hours, ordered by their dependencies." },
    { args: ["tasks", "list"], explain: "The plan: only tasks whose dependencies are done are ready." },
    { args: ["tasks", "next"], explain: "What to work on first: priority, then the longest critical path." },
    ...walk("data-model.data-model"),
    ...walk("data-model.tests"),
    { args: ["features", "show", "data-model"], explain: "With all its tasks done, the feature moved to testing by itself." },
    { args: ["features", "complete", "user-accounts"], explain: "Completing a feature nobody has worked on is refused.", expect: 2 },
    { args: ["features", "complete", "data-model"], explain: "The tested feature can be completed." },
    { args: ["tasks", "next"], explain: "The next ready task, now that the data model is done." },
    { args: ["tasks", "start", "user-accounts.core"], explain: "Starting a task starts its feature." },
    {
      args: ["features", "block", "markdown-export", "--reason", "waiting for the export format decision"],
      explain: "A feature is blocked, with a reason; its tasks wait.",
    },
    { args: ["tasks", "graph"], explain: "The plan as a Mermaid graph (paste it into any Markdown viewer)." },
    { args: ["status"], explain: "Progress, and a fresh .buildrunner/STATUS.md." },
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
  if (git(target, ["init", "-q"]).code === 0) {
    git(target, ["-c", "user.name=BuildRunner demo", "-c", "user.email=demo@example.invalid", "add", "-A"]);
    git(target, ["-c", "user.name=BuildRunner demo", "-c", "user.email=demo@example.invalid", "commit", "-qm", "Sample project"]);
  }
  const all = steps();
  for (const step of all) {
    say(style.dim(`# ${step.explain}`));
    say(`${style.cyan("$")} br ${step.args.map(quote).join(" ")}`);
    const result = spawnSync(process.execPath, [brBinary, ...step.args], {
      cwd: target,
      encoding: "utf8",
      env: { ...process.env, BR_DEMO: "1" },
    });
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
