/**
 * Claims: which stream works on which task. Taken under their own lock, on the one plan and the
 * one state database every worktree shares, so two workers never take the same task or two
 * overlapping ones; a claim whose worker died is given back by recovery (recover.ts).
 */
import { join } from "node:path";
import { withLock } from "../infra/lock.js";
import type { ProjectPaths } from "../infra/project.js";
import { transitionTask } from "../plan/scheduler.js";
import type { Task } from "../plan/task.js";
import { loadTasks } from "../plan/task-store.js";
import { stopReason } from "../run/control.js";
import { pickTask } from "./schedule.js";
import type { StreamStore } from "./store.js";

/** A task to work on, "wait" (work is running elsewhere that may free more), or "none" (nothing left for this stream). */
export type Claim = { task: Task; base: string } | "wait" | "none";

export async function claimTask(paths: ProjectPaths, store: StreamStore, stream: string, tip: () => string): Promise<Claim> {
  return withLock(
    join(paths.state, "claims.lock"),
    async () => {
      if (stopRequested(paths, store, stream)) return "none";
      const plan = await loadTasks(paths);
      const busy = plan.tasks.filter((t) => t.status === "running");
      const task = pickTask(plan, busy);
      if (!task) return busy.length > 0 || hasReady(plan.tasks) ? "wait" : "none";
      // The claim is recorded before the plan says running, so a kill between the two leaves nothing unowned.
      const base = tip();
      store.update(stream, {
        status: "working",
        task_id: task.id,
        base,
        commit_sha: null,
        combined: null,
        worker_pid: process.pid,
        last_result: null,
      });
      await transitionTask(paths, task.id, "start");
      return { task, base };
    },
    { what: "the task claims", timeoutMs: 5 * 60_000 },
  );
}

/** Whether the run this stream works for was asked to stop: then no stream takes more work. */
function stopRequested(paths: ProjectPaths, store: StreamStore, stream: string): boolean {
  const runId = store.get(stream)?.run_id;
  return runId !== null && runId !== undefined && stopReason(paths.state, runId) !== undefined;
}

function hasReady(tasks: readonly Task[]): boolean {
  return tasks.some((t) => t.status === "ready");
}
