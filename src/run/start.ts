/**
 * What `br run` settles before its first task: that the executor can run, that no other run is
 * live, that the repository is in a state to commit to, and which tasks to retry.
 */
import type { Config } from "../infra/config.js";
import { EXECUTORS } from "../infra/config-names.js";
import { usageError } from "../infra/errors.js";
import { tryCommitPaths, workingChanges } from "../infra/git.js";
import { withLock } from "../infra/lock.js";
import type { ProjectPaths } from "../infra/project.js";
import { readText } from "../infra/validation.js";
import { transitionTask } from "../plan/scheduler.js";
import type { TasksFile } from "../plan/task.js";
import { loadTasks } from "../plan/task-store.js";
import { ladderFor } from "../routing/ladder.js";
import { doctor } from "./doctor.js";
import type { Evidence } from "./executors/manual.js";
import type { Journal } from "./journal.js";
import { isOwnFile } from "./scope.js";

/** Where BuildRunner's own files are (see isOwnFile): git is asked about these paths only. */
const OWN_PATHS = [".buildrunner", "AGENTS.md", "CLAUDE.md"];

/** BuildRunner's own files that a run updates; committed with the work so the tree stays clean. */
export function ownChanges(paths: ProjectPaths): string[] {
  return workingChanges(paths.root, OWN_PATHS)
    .map((c) => c.path)
    .filter(isOwnFile);
}

/** A commit made (the new HEAD; none when there was nothing to commit) or refused (git's or a hook's words). */
export type CommitOutcome = { ok: true; commit?: string } | { ok: false; output: string };

/** Commits the files with br's own changes. */
export function commitOwnWork(paths: ProjectPaths, config: Config, files: readonly string[], message: string): CommitOutcome {
  const all = [...new Set([...files, ...ownChanges(paths)])];
  if (all.length === 0) return { ok: true };
  return tryCommitPaths(paths.root, all, message, { hooks: config.run.hooks });
}

/** Commits the files with br's own changes; a git hook's rejection comes back as its output. */
export function commitWork(paths: ProjectPaths, config: Config, files: readonly string[], message: string): string | undefined {
  const result = commitOwnWork(paths, config, files, message);
  return result.ok ? undefined : result.output;
}

export function checkExecutor(executorName: string, config: Config): void {
  if (!(EXECUTORS as readonly string[]).includes(executorName)) {
    throw usageError(`Unknown executor "${executorName}".`, { fix: `Use one of: ${EXECUTORS.join(", ")}.` });
  }
  // Codex and Gemini cannot run Claude models: a step they run needs their own model.
  for (const step of ladderFor(config, executorName)) {
    const { executor, model } = step;
    if ((executor === "codex" || executor === "gemini") && model.startsWith("claude")) {
      const own = executor === "codex" ? ["gpt-5-codex", "gpt-5-mini"] : ["gemini-2.5-pro", "gemini-2.5-flash"];
      throw usageError(`The ${executor} executor cannot run ${model}: the routing ladder's ${step.name} step names a Claude model.`, {
        fix: config.routing.ladder
          ? `Give that step an executor that runs it ({ executor: claude, model: ${model} }) or one of ${executor}'s models (${own.join(", ")}) in routing.ladder.`
          : `Pin one model (br config set executors.${executor}.model ${own[0]}), or route between the executor's models (br config set routing.tiers.haiku ${own[1]}, and opus likewise), or set routing.ladder with an executor per step.`,
      });
    }
  }
}

/** The distinct executors a run's ladder uses, the run's own first. */
export function ladderExecutors(config: Config, executorName: string): string[] {
  return [...new Set([executorName, ...ladderFor(config, executorName).map((s) => s.executor)])];
}

/**
 * Records this run as the project's live one, under the project lock, so two `br run` started at
 * the same moment cannot both pass the check.
 */
export async function claimRun(paths: ProjectPaths, journal: Journal, executorName: string, options: object): Promise<number> {
  return withLock(
    paths.lock,
    () => {
      const live = journal.liveRun();
      if (live)
        throw usageError(`Another br run (process ${live.pid}) is working in this project.`, {
          fix: "Wait for it, or stop it (its work is kept and resumed).",
        });
      return journal.startRun(executorName, { ...options });
    },
    { what: "the project" },
  );
}

/**
 * `br doctor`'s checks: a failing one stops the run before any task. Warnings (no credentials
 * visible, which a keychain login looks like) are left to `br doctor`: a bad key is caught as a
 * setup failure at the first attempt anyway.
 */
export function preflight(paths: ProjectPaths, config: Config, executorName: string): void {
  const checks = ladderExecutors(config, executorName).flatMap((executor) => doctor(paths, config, executor));
  const failed = checks.filter((c, i) => c.status === "fail" && checks.findIndex((d) => d.name === c.name) === i);
  if (failed.length === 0) return;
  const [first] = failed as [(typeof failed)[number]];
  throw usageError(`br run cannot start: ${failed.map((c) => `${c.name}: ${c.detail}`).join("; ")}.`, {
    fix: `${first.fix ?? "See br doctor."}${failed.length > 1 ? " (br doctor lists every problem.)" : ""}`,
  });
}

/** `--retry-failed`: failed tasks go back to ready (their dependents follow), with their attempts kept in the journal. */
export async function resetFailed(paths: ProjectPaths): Promise<string[]> {
  const failed = (await loadTasks(paths)).tasks.filter((t) => t.status === "failed").map((t) => t.id);
  for (const id of failed) await transitionTask(paths, id, "reset", { force: true });
  return failed;
}

export function requireCleanTree(paths: ProjectPaths): void {
  const dirty = workingChanges(paths.root).filter((c) => !isOwnFile(c.path));
  if (dirty.length === 0) return;
  throw usageError(
    `The working tree has uncommitted changes (${dirty
      .slice(0, 3)
      .map((c) => c.path)
      .join(", ")}${dirty.length > 3 ? ", …" : ""}).`,
    {
      fix: "Commit or stash them first: br run verifies each task by what it changed (or pass --allow-dirty).",
    },
  );
}

/** Evidence for the manual executor: `br tasks done` from another terminal, or changed files. */
export function manualEvidence(paths: ProjectPaths): (taskId: string) => Evidence | undefined {
  return (taskId) => {
    const status = (JSON.parse(readText(paths.tasks)) as TasksFile).tasks.find((t) => t.id === taskId)?.status;
    if (status === "done") return "done";
    const changed = workingChanges(paths.root).filter((c) => !isOwnFile(c.path));
    return changed.length > 0 ? { changed: changed.map((c) => `${c.status}${c.path}`).join("|") } : undefined;
  };
}
