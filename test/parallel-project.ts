/** A plan whose features own separate folders, for the parallel-build tests and benchmark. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FAKE_AGENT } from "./agent-project.ts";
import { brOk, git, tempDir, tempRepo } from "./helpers.ts";

export interface ParallelProject {
  cwd: string;
  env: Record<string, string>;
  log: string;
  streamsDir: string;
}

/** Feature N depends on N−2 and, every third one, on N−1 too: cross-feature chains and fan-in. */
export function defaultDependencies(n: number): number[] {
  return [n > 2 ? n - 2 : 0, n % 3 === 0 ? n - 1 : 0].filter((d) => d > 0);
}

export interface ParallelProjectOptions {
  dependsOn?: (n: number) => number[];
  testCommand?: string;
}

/** A committed project of `count` features (src/feature-N/**, test/feature-N/**) and its plan, worked by the fake agent. */
export function parallelProject(count: number, env: Record<string, string> = {}, options: ParallelProjectOptions = {}): ParallelProject {
  const dependsOn = options.dependsOn ?? defaultDependencies;
  const cwd = tempRepo();
  git(cwd, "checkout", "-q", "-b", "main");
  writeFileSync(join(cwd, "package.json"), `${JSON.stringify({ name: "par", private: true, scripts: { test: "node --test" } })}\n`);
  const features = Array.from({ length: count }, (_, index) => {
    const n = index + 1;
    const deps = dependsOn(n).map((d) => `Feature ${d}`);
    return `\n### Feature ${n}\n${deps.length ? `Depends on: ${deps.join(", ")}\n` : ""}Build part ${n} of the product.\nAcceptance criteria:\n- It returns its own id\nFiles: src/feature-${n}/**, test/feature-${n}/**\n`;
  });
  writeFileSync(join(cwd, "PROJECT_SPEC.md"), `# Parallel\n\n## Features\n${features.join("")}`);
  const log = join(tempDir("br-agent-log-"), "calls.jsonl");
  const streamsDir = join(tempDir("br-streams-"), "streams");
  brOk(["init", "par"], { cwd });
  for (const [key, value] of [
    ["commands.test", options.testCommand ?? "node --test"],
    ["run.executor", "command"],
    ["executors.command.command", `"${process.execPath}" "${FAKE_AGENT}" command --model {model}`],
    ["parallel.worktreeDir", streamsDir],
  ] as const)
    brOk(["config", "set", key, value], { cwd });
  brOk(["spec", "sync"], { cwd });
  brOk(["tasks", "generate"], { cwd });
  git(cwd, "add", "-A");
  git(cwd, "commit", "-qm", "plan");
  return { cwd, log, streamsDir, env: { FAKE_AGENT_LOG: log, FAKE_AGENT_FEATURE_DIRS: "1", ...env } };
}

/** The fake agent's invocations, with the stream, port and folder each ran in. */
export const callsOf = (p: ParallelProject) =>
  existsSync(p.log)
    ? readFileSync(p.log, "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { task: string; stream?: string; port?: string; cwd?: string })
    : [];
