/**
 * `br merge --streams` and `br streams clean`: integration and tidying by hand. Merging finishes
 * what a dead worker left verified, and accepts a conflict the user resolved (the kept commit is
 * now in the target); cleaning removes worktrees with nothing unintegrated on them.
 */
import { loadConfig } from "../infra/config.js";
import { git } from "../infra/git.js";
import { isAlive } from "../infra/process.js";
import type { ProjectPaths } from "../infra/project.js";
import { transitionTask } from "../plan/scheduler.js";
import { loadTasks } from "../plan/task-store.js";
import { Journal } from "../run/journal.js";
import { isAncestor, revParse } from "./integrate.js";
import { recoverStreams, type StreamRecovery } from "./recover.js";
import { type StreamRow, StreamStore } from "./store.js";
import { removeWorktree, runScript } from "./worktree.js";

export interface MergeReport extends StreamRecovery {
  /** Conflicted tasks whose kept commit the user merged into the target: now done. */
  resolvedByHand: string[];
  /** Conflicts still waiting: the task, its kept branch. */
  open: { task: string; branch: string }[];
}

function conflictBranches(root: string): { task: string; branch: string; commit: string }[] {
  const out = git(root, ["for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads/br/conflict/"]).stdout;
  return out
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [branch = "", commit = ""] = line.split(" ");
      return { task: branch.slice("br/conflict/".length), branch, commit };
    });
}

export async function mergeStreams(paths: ProjectPaths): Promise<MergeReport> {
  const config = (await loadConfig(paths)).config;
  const store = StreamStore.open(paths);
  const journal = Journal.open(paths);
  try {
    const recovery = await recoverStreams(paths, config, journal, store);
    const report: MergeReport = { ...recovery, resolvedByHand: [], open: [] };
    const tip = revParse(paths.root, "HEAD");
    const plan = await loadTasks(paths);
    for (const kept of conflictBranches(paths.root)) {
      const status = plan.tasks.find((t) => t.id === kept.task)?.status;
      if (tip && isAncestor(paths.root, kept.commit, tip)) {
        if (status !== "done") {
          await transitionTask(paths, kept.task, "done", { force: true });
          report.resolvedByHand.push(kept.task);
        }
        git(paths.root, ["branch", "-q", "-D", kept.branch]);
      } else if (status !== "done") report.open.push({ task: kept.task, branch: kept.branch });
    }
    return report;
  } finally {
    journal.close();
    store.close();
  }
}

/** Whether the stream holds nothing that is not in its target: its branch is merged, and no task is claimed. */
function finished(paths: ProjectPaths, row: StreamRow): boolean {
  if (row.status === "working" || row.status === "verified") return false;
  const tip = revParse(paths.root, `refs/heads/${row.branch}`);
  const target = revParse(paths.root, `refs/heads/${row.target}`);
  return !tip || (target !== undefined && isAncestor(paths.root, tip, target));
}

/** Removes finished streams (all of them with `all`, unless work on them is unintegrated); returns their names. */
export async function cleanStreams(
  paths: ProjectPaths,
  only?: readonly string[],
): Promise<{ cleaned: string[]; kept: { name: string; why: string }[] }> {
  const config = (await loadConfig(paths)).config;
  const store = StreamStore.open(paths);
  const cleaned: string[] = [];
  const kept: { name: string; why: string }[] = [];
  try {
    for (const row of store.list()) {
      if (only && !only.includes(row.name)) continue;
      if (row.worker_pid !== null && isAlive(row.worker_pid)) {
        kept.push({ name: row.name, why: `its worker (process ${row.worker_pid}) is running` });
        continue;
      }
      if (!finished(paths, row)) {
        kept.push({ name: row.name, why: `${row.branch} holds work not yet in ${row.target} (br merge --streams)` });
        continue;
      }
      if (config.parallel.cleanup) runScript("parallel.cleanup", config.parallel.cleanup, row, false);
      removeWorktree(paths.root, row.path);
      git(paths.root, ["branch", "-q", "-D", row.branch]);
      store.remove(row.name);
      cleaned.push(row.name);
    }
    return { cleaned, kept };
  } finally {
    store.close();
  }
}

/** Before a sequential run: streams a parallel run left (a kill) are settled, if there are any. */
export async function recoverLeftStreams(paths: ProjectPaths): Promise<void> {
  const store = StreamStore.open(paths);
  const journal = Journal.open(paths);
  try {
    if (store.list().length === 0) return;
    const config = (await loadConfig(paths)).config;
    await recoverStreams(paths, config, journal, store);
  } finally {
    journal.close();
    store.close();
  }
}
