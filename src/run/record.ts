import type { Config } from "../infra/config.js";
import { git, headCommit, tryCommitPaths } from "../infra/git.js";
import { say, style, warn } from "../infra/log.js";
import type { ProjectPaths } from "../infra/project.js";
import { transitionTask } from "../plan/scheduler.js";
import type { Task } from "../plan/task.js";
import { loadTasks } from "../plan/task-store.js";
import { updateFeature } from "../registry/features.js";
import { loadRegistry } from "../registry/store.js";
import { stepForAttempt } from "../routing/ladder.js";
import { mask } from "../security/mask.js";
import { recordTelemetry } from "../telemetry/store.js";
import { addUsage, attemptCost } from "./cost.js";
import type { ActiveRun, AttemptOutcome, AttemptRecord, FinishedAttempt, TaskOutcome, TaskProgress } from "./engine.js";
import { recordCounts } from "./evidence/counts-store.js";
import type { ExecutorReport } from "./executors/types.js";
import { type CommitOutcome, commitOwnWork } from "./start.js";
import { fileHash, revertChanges } from "./tree.js";
import { acceptanceCommand, isOwnFile, runCheck, type Verification } from "./verify.js";

/** When every task of a feature is done it is in testing; its acceptance commands and tests then complete it. */
export async function completeFeatureIfVerified(paths: ProjectPaths, config: Config, featureId: string): Promise<boolean> {
  const registry = await loadRegistry(paths);
  const feature = registry.features.find((f) => f.id === featureId);
  if (feature?.status !== "testing") return false;
  const commands = [config.commands.test, ...feature.acceptance.map(acceptanceCommand)].filter((c): c is string => !!c);
  for (const command of commands) {
    const result = await runCheck("feature acceptance", command, paths.root, config.run.checkTimeoutSeconds * 1000);
    if (!result.passed) {
      warn(`feature ${featureId} stays in testing: \`${command}\` failed`);
      return false;
    }
  }
  await updateFeature(paths, featureId, { status: "complete" });
  return true;
}

/** Adds the attempt's cost and usage to the run's and the task's totals; returns its journal record. */
export function account(
  run: ActiveRun,
  progress: TaskProgress,
  report: ExecutorReport,
  model: string,
  verification: Verification,
): AttemptRecord {
  const { summary } = run;
  const { cost, source } = attemptCost(report, model, run.config);
  summary.attempts++;
  summary.costUsd += cost;
  progress.cost += cost;
  const usedModel = report.model ?? model;
  summary.costByModel[usedModel] = (summary.costByModel[usedModel] ?? 0) + cost;
  addUsage(summary.tokens, report.usage);
  return {
    model: usedModel,
    costUsd: cost,
    costSource: source,
    durationMs: report.durationMs,
    verification,
    changedFiles: verification.changedFiles.map((path) => ({ path, hash: fileHash(run.paths.root, path) })),
    ...(report.usage ? { usage: report.usage } : {}),
  };
}

/**
 * Records the verified attempt and commits its work. A git hook that rejects the commit is evidence
 * too: the attempt fails with the hook's output, and its changes are undone like any failed attempt's.
 */
export async function acceptAttempt(
  run: ActiveRun,
  task: Task,
  finished: FinishedAttempt,
  progress: TaskProgress,
): Promise<AttemptOutcome> {
  const { paths, config } = run;
  const { verification } = finished;
  // Recorded before the commit: a kill in between is finished from the journal on resume.
  run.journal.finishAttempt(finished.attemptId, { ...finished.record, outcome: "passed" });
  // A stream's task is done once integrated into the target branch; until then it stays running.
  const current = (await loadTasks(paths)).tasks.find((t) => t.id === task.id);
  if (!run.stream && current?.status !== "done") await transitionTask(paths, task.id, "done", { force: true });
  if (config.run.commit) {
    const committed = commitAttempt(run, verification.changedFiles, `br: ${task.id}: ${task.title}`);
    if (!committed.ok) return refusedCommit(run, task, progress, finished, committed.output);
    // The verification ran the tests (when there are any) on exactly what was committed.
    if (config.commands.test) recordCounts(paths.state, committed.commit ?? headCommit(paths.root), verification.testCounts ?? null);
  }
  say(`  ${style.green("✓ verified")}: ${verification.changedFiles.length} file(s) changed, ${verification.checks.length} check(s) passed`);
  return "passed";
}

/** Commits the verified files: with br's own changes in the main checkout, alone on a stream's branch. */
function commitAttempt(run: ActiveRun, files: readonly string[], message: string): CommitOutcome {
  if (!run.stream) return commitOwnWork(run.paths, run.config, files, message);
  if (files.length === 0) return { ok: true };
  return tryCommitPaths(run.paths.root, files, message, { hooks: run.config.run.hooks });
}

/** Signing that cannot work here: no retry of the agent will change it. */
const SIGNING_FAILURE = /gpg failed|failed to sign|signing failed|cannot run gpg|error: .*ssh-keygen/i;

/**
 * A commit git refused. A hook's objection to the work fails the attempt with the hook's words,
 * like a failed check. The same objection twice, or signing that cannot work, is no fault of the
 * agent's: the run stops (exit 2) with the fix, instead of paying for attempts that cannot pass.
 */
async function refusedCommit(
  run: ActiveRun,
  task: Task,
  progress: TaskProgress,
  finished: FinishedAttempt,
  output: string,
): Promise<AttemptOutcome> {
  const { paths } = run;
  await transitionTask(paths, task.id, "start", { force: true });
  const words = mask(output).slice(-1500);
  const reason = `a git hook rejected the commit: ${words}`;
  const same = progress.earlier.some((e) => e.reason === reason);
  rejectAttempt(run, progress, { ...finished, verification: { ...finished.verification, passed: false, reason } });
  git(paths.root, ["reset", "-q"]);
  if (!same && !SIGNING_FAILURE.test(output)) return "failed";
  run.summary.setupFailure = {
    taskId: task.id,
    message: `git refused br's commit the same way twice (or cannot sign it): ${words}`,
    fix: "If the hook or the signing setup is at fault, fix it or let br commit without hooks (br config set run.hooks false); if the hook is right about the work, run br run again: the task is left ready.",
  };
  run.summary.stoppedBecause = `git refuses br's commits; ${task.id} is left ready`;
  return "setup";
}

/** Records the failure, keeps its reason for the next attempt's prompt, and undoes the attempt's changes. */
export function rejectAttempt(run: ActiveRun, progress: TaskProgress, finished: FinishedAttempt): void {
  const { verification } = finished;
  progress.lastReason = verification.reason ?? "verification failed";
  run.journal.finishAttempt(finished.attemptId, { ...finished.record, outcome: "failed", reason: progress.lastReason });
  say(`  ${style.red("✗")} ${progress.lastReason}`);
  const failedCheck = verification.checks.find((c) => !c.passed);
  progress.earlier.push({
    attempt: finished.attempt,
    reason: progress.lastReason,
    ...(failedCheck ? { details: failedCheck.output } : {}),
  });
  if (!run.config.run.commit) return;
  const kept = revertChanges(
    run.paths.root,
    finished.baseline,
    finished.changed.filter((p) => !isOwnFile(p)),
  );
  if (kept.length > 0) warn(`not reverted (they had uncommitted edits before the attempt): ${kept.join(", ")}`);
}

/** The task's end: done (perhaps completing its feature), back to ready when the run stopped for another reason, or failed. */
export async function settleTask(run: ActiveRun, task: Task, outcome: TaskOutcome, progress: TaskProgress): Promise<void> {
  recordFinished(run, task, outcome, progress);
  const { paths, config, summary } = run;
  if (outcome === "passed") {
    if (run.stream) return; // integration makes it done
    summary.done.push(task.id);
    if (await completeFeatureIfVerified(paths, config, task.featureId)) summary.completedFeatures.push(task.featureId);
  } else if (outcome === "stopped" || (summary.stoppedBecause && progress.earlier.length < config.run.maxAttempts)) {
    // Stopped by setup, an outage or the budget with attempts to spare: the task is not failed, it waits.
    await transitionTask(paths, task.id, "reset", { force: true });
    summary.skipped.push(task.id);
  } else {
    await transitionTask(paths, task.id, "fail", { force: true, reason: mask(progress.lastReason).slice(0, 500) });
    summary.failed.push({ id: task.id, reason: progress.lastReason });
  }
}

/** The task's telemetry event: its kind, the step and model it ended on, attempts, outcome, cost and time (never its text). */
function recordFinished(run: ActiveRun, task: Task, outcome: TaskOutcome, progress: TaskProgress): void {
  const attempts = progress.earlier.length + (outcome === "passed" ? 1 : 0);
  const { step } = stepForAttempt(progress.routed, Math.max(1, attempts));
  recordTelemetry(run.paths, run.config, "task.finished", {
    kind: task.kind,
    tier: step.name,
    model: step.model,
    attempts,
    outcome: outcome === "passed" ? "done" : outcome,
    costUsd: Math.round(progress.cost * 1e6) / 1e6,
    durationMs: Date.now() - progress.startedAt,
  });
}
