import { withLock } from "../infra/lock.js";
import type { ProjectPaths } from "../infra/project.js";
import { TASK_STATUSES, type Task, type TaskStatus } from "../plan/task.js";
import { loadTasks } from "../plan/task-store.js";
import { writeStatusFile } from "./derived.js";
import type { FeaturesFile } from "./feature.js";
import { type ProjectSpend, projectSpend } from "./spend.js";
import { loadRegistry } from "./store.js";
import { type StatusSummary, summarize } from "./summary.js";

export interface ProjectStatus extends StatusSummary {
  /** Task counts by status, once a plan exists. */
  tasks?: Record<TaskStatus, number> & { total: number };
  /** The contract's `cost`: what the executor calls cost so far, from this machine's ledger. */
  cost: ProjectSpend;
}

function taskCounts(tasks: readonly Task[]): Pick<ProjectStatus, "tasks"> {
  if (tasks.length === 0) return {};
  const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
  for (const task of tasks) counts[task.status]++;
  return { tasks: { ...counts, total: tasks.length } };
}

/** Reads the registry, plan and ledger, regenerates STATUS.md when its content changed, returns the summary. */
export async function projectStatus(
  paths: ProjectPaths,
): Promise<{ summary: ProjectStatus; registry: FeaturesFile; statusWritten: boolean }> {
  return withLock(
    paths.lock,
    async () => {
      const registry = await loadRegistry(paths);
      const plan = await loadTasks(paths);
      const spend = projectSpend(paths);
      // The registry itself did not change, so only STATUS.md is regenerated (and config.yaml,
      // which only the agent instruction files need, is not even read).
      const statusWritten = writeStatusFile(paths, registry, () => spend);
      const summary: ProjectStatus = { ...summarize(registry), ...taskCounts(plan.tasks), cost: spend };
      return { summary, registry, statusWritten };
    },
    { what: "the project" },
  );
}
