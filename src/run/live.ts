/**
 * The plan and the registry as they are now, read once per step of an attempt from the one place
 * they live (the main checkout's .buildrunner/, which every stream shares): a user's `br` command
 * in another terminal is seen at the next step, and no step reads them twice.
 */
import type { ProjectPaths } from "../infra/project.js";
import type { TasksFile } from "../plan/task.js";
import { loadTasks } from "../plan/task-store.js";
import type { FeaturesFile } from "../registry/feature.js";
import { loadRegistry } from "../registry/store.js";

export interface LiveState {
  plan: TasksFile;
  registry: FeaturesFile;
}

export async function readLive(paths: ProjectPaths): Promise<LiveState> {
  return { plan: await loadTasks(paths), registry: await loadRegistry(paths) };
}
