import { writeFileAtomic } from "../infra/atomic-file.js";
import { withLock } from "../infra/lock.js";
import type { ProjectPaths } from "../infra/project.js";
import { TASK_STATUSES, type TaskStatus } from "../plan/task.js";
import { loadTasks } from "../plan/task-store.js";
import { bestEffort, renderStatusMarkdown } from "./derived.js";
import type { FeaturesFile } from "./feature.js";
import { loadRegistry } from "./store.js";
import { type StatusSummary, summarize } from "./summary.js";

export interface ProjectStatus extends StatusSummary {
  /** Task counts by status, once a plan exists. */
  tasks?: Record<TaskStatus, number> & { total: number };
}

/** Reads the registry and plan, regenerates STATUS.md, returns the summary. */
export async function projectStatus(paths: ProjectPaths): Promise<{ summary: ProjectStatus; registry: FeaturesFile }> {
  return withLock(
    paths.lock,
    async () => {
      const registry = await loadRegistry(paths);
      const plan = await loadTasks(paths);
      // The registry itself did not change, so only STATUS.md is regenerated (and config.yaml,
      // which only the agent instruction files need, is not even read).
      bestEffort(paths, paths.status, () => writeFileAtomic(paths.status, renderStatusMarkdown(registry)));
      const summary: ProjectStatus = summarize(registry);
      if (plan.tasks.length > 0) {
        const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
        for (const task of plan.tasks) counts[task.status]++;
        summary.tasks = { ...counts, total: plan.tasks.length };
      }
      return { summary, registry };
    },
    { what: "the project" },
  );
}
