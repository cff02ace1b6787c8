/**
 * What the dashboard's buttons do. Each is the same change a command makes (a pause or stop
 * request the run reads before its next task, `br tasks reset` for a retry), refused with a
 * reason when it does not apply, so the page never shows a success that did not happen.
 */
import type { ProjectPaths } from "../infra/project.js";
import { transitionTask } from "../plan/scheduler.js";
import { loadTasks } from "../plan/task-store.js";
import { requestStop, setPaused } from "../run/control.js";
import type { DashboardState } from "./snapshot.js";

export interface ActionResult {
  status: 200 | 404 | 409;
  body: { ok: boolean; message: string };
}

const done = (message: string): ActionResult => ({ status: 200, body: { ok: true, message } });
const refused = (status: 404 | 409, message: string): ActionResult => ({ status, body: { ok: false, message } });

export function pauseStream(paths: ProjectPaths, state: DashboardState, name: string, paused: boolean): ActionResult {
  const stream = state.streams.find((s) => s.name === name);
  if (!stream) return refused(404, `No stream named "${name}".`);
  if (stream.paused === paused) return refused(409, `${name} is already ${paused ? "paused" : "running"}.`);
  setPaused(paths.state, name, paused);
  return done(paused ? `${name} pauses after its current task.` : `${name} goes on.`);
}

export function stopRun(paths: ProjectPaths, state: DashboardState): ActionResult {
  const run = state.run;
  if (!run?.live) return refused(409, "No run is in progress.");
  if (run.stopRequested) return refused(409, `Run ${run.id} is already stopping.`);
  requestStop(paths.state, run.id, "stopped from the dashboard");
  return done(`Run ${run.id} stops after the attempts in flight.`);
}

export async function retryTask(paths: ProjectPaths, id: string): Promise<ActionResult> {
  const task = (await loadTasks(paths)).tasks.find((t) => t.id === id);
  if (!task) return refused(404, `No task "${id}" in the plan.`);
  if (task.status !== "failed") return refused(409, `${id} is ${task.status}; only a failed task can be retried.`);
  const after = await transitionTask(paths, id, "reset");
  return done(`${id} is ${after.status} again.`);
}
