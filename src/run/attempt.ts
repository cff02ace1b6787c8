import { forgetLoadedConfig } from "../infra/load-config.js";
import { withLock } from "../infra/lock.js";
import { say, style } from "../infra/log.js";
import type { Task } from "../plan/task.js";
import { mask } from "../security/mask.js";
import { attemptLogPath } from "./agent-log.js";
import { excludeCheckOutputs } from "./check-outputs.js";
import type { ActiveRun, AttemptOutcome, FinishedAttempt, TaskProgress } from "./engine.js";
import { guardAttempt } from "./evidence/attempt-guard.js";
import type { EvidenceInputs } from "./evidence/index.js";
import type { TestCounts } from "./evidence/test-counts.js";
import type { Violation } from "./evidence/violation.js";
import type { ExecutorReport } from "./executors/types.js";
import { readLive } from "./live.js";
import { checkCommands, type StartedAttempt, startAttempt } from "./prepare.js";
import { acceptAttempt, account, rejectAttempt } from "./record.js";
import { changesSince, fileHash, revertChanges, type TreeSnapshot } from "./tree.js";
import { isOwnFile, type Verification, verify } from "./verify.js";

/** How often a running attempt tells the journal it is alive (see recover.ts). */
const HEARTBEAT_MS = 1000;

/** One attempt: prompt, agent, verification and accounting. */
export async function runAttempt(run: ActiveRun, task: Task, progress: TaskProgress, attempt: number): Promise<AttemptOutcome> {
  const started = await startAttempt(run, task, progress, attempt);
  run.journal.heartbeat(started.attemptId);
  const beat = setInterval(() => {
    try {
      run.journal.heartbeat(started.attemptId);
    } catch {
      // the database is busy: the next beat will do
    }
  }, HEARTBEAT_MS);
  try {
    return await agentThenVerify(run, task, progress, started);
  } finally {
    clearInterval(beat);
  }
}

async function agentThenVerify(run: ActiveRun, task: Task, progress: TaskProgress, started: StartedAttempt): Promise<AttemptOutcome> {
  const { paths, config, journal } = run;
  const { attempt, attemptId, executorName, model, baseline } = started;
  const guard = guardAttempt(paths, {
    ownFiles: executorName !== "manual",
    ...(baseline.git ? { git: baseline.git } : {}),
    ...(baseline.own ? { own: baseline.own } : {}),
  });
  let agentPid: number | undefined;
  const maxTaskCost = run.options.maxTaskCost ?? config.run.maxTaskCost;
  const report = await run.executors(executorName).run({
    taskId: task.id,
    prompt: started.prompt.text,
    promptFile: started.promptFile,
    model,
    workdir: paths.root,
    timeoutMs: (config.executors[executorName]?.timeoutSeconds ?? config.run.timeoutSeconds) * 1000,
    idleTimeoutMs: config.run.idleTimeoutSeconds * 1000,
    checkCommands: checkCommands(config),
    logFile: attemptLogPath(paths.state, attemptId),
    ...(maxTaskCost !== undefined ? { maxBudgetUsd: Math.max(0.01, maxTaskCost - progress.cost) } : {}),
    onSpawn: (pid) => {
      agentPid = pid;
      journal.setAgentPid(attemptId, pid);
    },
  });
  // Under the project lock: a br command the user runs meanwhile has either written (and is kept) or waits.
  const restored = await withLock(
    paths.lock,
    () => {
      forgetLoadedConfig(paths); // the agent could have written it: the hook and what follows parse config.yaml again
      return guard(agentPid);
    },
    { what: "the project" },
  );
  const changed = agentChanges(run, attemptId, baseline);
  // A report of success stands even if the agent then lingered past the idle timeout.
  if (!report.success && report.failure && report.failure.class !== "task")
    return notTheTasksFailure(run, task, progress, { ...started, changed, report, restored });
  const verification = await verify(task, report, changed, config, paths.root, await evidenceInputs(run, restored, started.testsBefore));
  excludeCheckOutputs(paths.root, baseline, changed);
  const record = account(run, progress, report, model, verification);
  const finished: FinishedAttempt = { attempt, attemptId, baseline, changed, verification, record };
  if (!verification.passed) {
    rejectAttempt(run, progress, finished);
    return "failed";
  }
  return acceptAttempt(run, task, finished, progress);
}

/**
 * A setup or transient failure: recorded, undone, and not counted as the task's attempt. Setup
 * stops the run (exit 2, with the fix); transient is retried on the same tier after a pause.
 */
function notTheTasksFailure(
  run: ActiveRun,
  task: Task,
  progress: TaskProgress,
  attempt: StartedAttempt & { changed: string[]; report: ExecutorReport; restored: Violation[] },
): AttemptOutcome {
  const failure = attempt.report.failure as NonNullable<ExecutorReport["failure"]>;
  const message = mask(failure.message);
  const verification: Verification = {
    passed: false,
    reason: message,
    executor: { success: false, summary: mask(attempt.report.summary) },
    changedFiles: [],
    outOfScope: [],
    checks: [],
    violations: attempt.restored,
  };
  const record = account(run, progress, attempt.report, attempt.model, verification);
  run.journal.finishAttempt(attempt.attemptId, { ...record, outcome: failure.class === "setup" ? "setup" : "transient", reason: message });
  if (run.config.run.commit)
    revertChanges(
      run.paths.root,
      attempt.baseline,
      attempt.changed.filter((p) => !isOwnFile(p)),
    );
  progress.lastReason = message;
  if (failure.class === "setup") {
    say(`  ${style.red("✗")} the agent cannot run here: ${message}`);
    run.summary.setupFailure = { taskId: task.id, message, ...(failure.fix ? { fix: failure.fix } : {}) };
    run.summary.stoppedBecause = `the agent cannot run here (${message}); ${task.id} is left ready`;
    return "setup";
  }
  say(`  ${style.yellow("…")} ${message}`);
  if (failure.retryAfterMs !== undefined) progress.retryAfterMs = failure.retryAfterMs;
  else delete progress.retryAfterMs;
  return "transient";
}

async function evidenceInputs(run: ActiveRun, restored: Violation[], testsBefore: TestCounts | undefined): Promise<EvidenceInputs> {
  const { plan, registry } = await readLive(run.paths);
  return {
    plan: plan.tasks,
    featureNames: new Map(registry.features.map((f) => [f.id, f.name])),
    owners: run.journal.verifiedFiles(),
    restored,
    ...(testsBefore ? { testsBefore } : {}),
  };
}

/** The files the attempt changed (br's own files and the git state are already put back). */
function agentChanges(run: ActiveRun, attemptId: number, baseline: TreeSnapshot): string[] {
  const changed = changesSince(run.paths.root, baseline);
  // What the agent produced, recorded before the (possibly long) checks: if br dies during
  // them, the next run knows exactly which files to undo.
  run.journal.recordAgentChanges(
    attemptId,
    changed.filter((p) => !isOwnFile(p)).map((path) => ({ path, hash: fileHash(run.paths.root, path) })),
  );
  return changed;
}
