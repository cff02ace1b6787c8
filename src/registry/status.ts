import { withLock } from "../infra/lock.js";
import type { ProjectPaths } from "../infra/project.js";
import { TASK_STATUSES, type Task, type TaskStatus } from "../plan/task.js";
import { loadTasks } from "../plan/task-store.js";
import { renderStatusMarkdown, statusFileMatches, writeStatusFile } from "./derived.js";
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

async function readStatus(paths: ProjectPaths): Promise<{ summary: ProjectStatus; registry: FeaturesFile }> {
  const registry = await loadRegistry(paths);
  const plan = await loadTasks(paths);
  const cost = projectSpend(paths);
  return { summary: { ...summarize(registry), ...taskCounts(plan.tasks), cost }, registry };
}

/**
 * Reads the registry, plan and ledger, regenerates STATUS.md when its content changed, returns the
 * summary. Files are replaced by atomic renames, so reading needs no lock; the lock is taken (and
 * everything read again under it) only when STATUS.md must be written.
 */
export async function projectStatus(
  paths: ProjectPaths,
): Promise<{ summary: ProjectStatus; registry: FeaturesFile; statusWritten: boolean }> {
  const unlocked = await readStatus(paths);
  if (statusFileMatches(paths, renderStatusMarkdown(unlocked.registry, unlocked.summary.cost))) {
    return { ...unlocked, statusWritten: false };
  }
  return withLock(
    paths.lock,
    async () => {
      const { summary, registry } = await readStatus(paths);
      // The registry itself did not change, so only STATUS.md is regenerated (and config.yaml,
      // which only the agent instruction files need, is not even read).
      const statusWritten = writeStatusFile(paths, registry, () => summary.cost);
      return { summary, registry, statusWritten };
    },
    { what: "the project" },
  );
}
