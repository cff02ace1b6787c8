/**
 * The MCP server's tools: ten, each a thin call into a domain, with flat input schemas (no $ref,
 * nothing beyond what Gemini CLI's validator takes) and short descriptions, because every client
 * sends every definition with every request. Completion goes through verification: no tool marks
 * work done on the agent's word.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import * as z from "zod";
import type { ProjectPaths } from "../infra/project.js";
import { addTask } from "../plan/add-task.js";
import { nextTask } from "../plan/scheduler.js";
import { TASK_STATUSES, type Task, type TasksFile } from "../plan/task.js";
import { loadTasks } from "../plan/task-store.js";
import { projectStatus } from "../registry/status.js";
import { checkWork, completeWork, currentWork, startWork } from "../run/agent-work.js";
import { Journal } from "../run/journal.js";
import { attemptView, clip, taskDetail, taskSummary, verificationView } from "./views.js";

export interface ToolSpec {
  name: string;
  description: string;
  input: z.ZodObject;
  /** Changes the plan or the checkout: refused to an agent br run started, whose work br run judges. */
  writes?: boolean;
  /** The answer (serialised as JSON text); `failed` marks a refusal the agent must act on (isError). */
  run: (paths: ProjectPaths, args: Record<string, unknown>) => Promise<{ result: unknown; failed?: boolean }>;
}

const taskId = z.string().min(1).describe("task id, e.g. auth.api");

function waitingOn(plan: TasksFile, task: Task): string[] {
  const done = new Set(plan.tasks.filter((t) => t.status === "done" || t.status === "skipped").map((t) => t.id));
  return task.dependsOn.filter((d) => !done.has(d));
}

async function findTask(paths: ProjectPaths, id: string): Promise<{ plan: TasksFile; task: Task }> {
  const plan = await loadTasks(paths);
  const task = plan.tasks.find((t) => t.id === id);
  if (!task) {
    const { usageError } = await import("../infra/errors.js");
    throw usageError(`No task with id "${id}".`, { fix: "List the ids with the list_tasks tool (or `br tasks list`)." });
  }
  return { plan, task };
}

async function status(paths: ProjectPaths) {
  const { summary } = await projectStatus(paths);
  const plan = await loadTasks(paths);
  const running = plan.tasks.filter((t) => t.status === "running").map((t) => t.id);
  const current = await currentWork(paths);
  return {
    result: {
      project: summary.project,
      completion: summary.completion,
      features: summary.counts,
      ...(summary.tasks ? { tasks: summary.tasks } : {}),
      running: running.slice(0, 20),
      ...(current ? { current: current.id } : {}),
      spend: { calls: summary.cost.calls, costUsd: Math.round(summary.cost.costUsd * 100) / 100 },
    },
  };
}

async function listTasks(paths: ProjectPaths, args: Record<string, unknown>) {
  const plan = await loadTasks(paths);
  const matching = plan.tasks.filter(
    (t) => (args.status === undefined || t.status === args.status) && (args.feature === undefined || t.featureId === args.feature),
  );
  const offset = (args.offset as number | undefined) ?? 0;
  const limit = (args.limit as number | undefined) ?? 25;
  const page = matching.slice(offset, offset + limit);
  const next = offset + page.length < matching.length ? offset + page.length : undefined;
  return { result: { total: matching.length, offset, tasks: page.map(taskSummary), ...(next !== undefined ? { nextOffset: next } : {}) } };
}

async function getTask(paths: ProjectPaths, args: Record<string, unknown>) {
  const { plan, task } = await findTask(paths, args.id as string);
  return { result: taskDetail(task, waitingOn(plan, task)) };
}

async function next(paths: ProjectPaths) {
  const plan = await loadTasks(paths);
  const { task } = nextTask(plan);
  if (task) return { result: { task: taskDetail(task), start: `start_task {"id":"${task.id}"}` } };
  const running = plan.tasks.filter((t) => t.status === "running").map((t) => t.id);
  const stuck = plan.tasks.filter((t) => t.status === "failed" || t.status === "blocked").map((t) => t.id);
  return { result: { task: null, running: running.slice(0, 20), failedOrBlocked: stuck.slice(0, 20) } };
}

async function start(paths: ProjectPaths, args: Record<string, unknown>) {
  const { task, start } = await startWork(paths, args.id as string);
  const { loadConfig } = await import("../infra/load-config.js");
  const { checkCommands } = await import("../run/prepare.js");
  return {
    result: {
      task: taskDetail(task),
      startedFrom: start.head ?? null,
      judgedBy: checkCommands((await loadConfig(paths)).config),
      next: "Do the work and its tests within the task's files, then call complete_task; verify shows the checks' state at any time.",
    },
  };
}

async function complete(paths: ProjectPaths, args: Record<string, unknown>) {
  const outcome = await completeWork(paths, args.id as string);
  return {
    result: {
      task: outcome.task.id,
      done: outcome.done,
      ...(outcome.commit ? { commit: outcome.commit } : {}),
      verification: verificationView(outcome.verification),
      ...(outcome.done ? {} : { next: "Fix what failed (never by weakening tests or checks) and call complete_task again." }),
    },
    failed: !outcome.done,
  };
}

async function verifyNow(paths: ProjectPaths, args: Record<string, unknown>) {
  const id = (args.id as string | undefined) ?? (await currentWork(paths))?.id;
  if (!id) {
    const { usageError } = await import("../infra/errors.js");
    throw usageError("No task is started here, so there is nothing to verify.", {
      fix: 'Name one: verify {"id": "…"}, or start_task first.',
    });
  }
  const check = await checkWork(paths, id);
  return { result: { task: id, ...verificationView(check.verification) }, failed: !check.verification.passed };
}

async function add(paths: ProjectPaths, args: Record<string, unknown>) {
  const task = await addTask(paths, {
    featureId: args.feature as string,
    title: args.title as string,
    ...(args.description !== undefined ? { description: args.description as string } : {}),
    ...(args.dependsOn !== undefined ? { dependsOn: args.dependsOn as string[] } : {}),
    ...(args.files !== undefined ? { files: args.files as string[] } : {}),
    ...(args.acceptance !== undefined ? { acceptance: args.acceptance as string[] } : {}),
  });
  return { result: { task: taskSummary(task) } };
}

async function streams(paths: ProjectPaths) {
  if (!existsSync(join(paths.state, "state.db"))) return { result: { streams: [] } };
  const { StreamStore } = await import("../parallel/store.js");
  const { view } = await import("../parallel/orchestrate.js");
  const store = StreamStore.open(paths);
  try {
    const rows = store.list().map(view);
    return {
      result: {
        streams: rows.slice(0, 30).map((s) => ({
          name: s.name,
          status: s.status,
          task: s.task,
          working: s.working,
          ...(s.lastResult ? { lastResult: clip(s.lastResult, 200) } : {}),
        })),
      },
    };
  } finally {
    store.close();
  }
}

async function log(paths: ProjectPaths, args: Record<string, unknown>) {
  if (!existsSync(join(paths.state, "state.db"))) return { result: { attempts: [] } };
  const limit = (args.limit as number | undefined) ?? 10;
  const journal = Journal.open(paths);
  try {
    const rows = journal.recentAttempts(args.task ? 500 : limit).filter((r) => !args.task || r.task_id === args.task);
    return { result: { attempts: rows.slice(0, limit).map(attemptView) } };
  } finally {
    journal.close();
  }
}

const ids = z.array(z.string());

export const TOOLS: ToolSpec[] = [
  { name: "status", description: "Project progress: features, task counts, running tasks, spend.", input: z.object({}), run: status },
  {
    name: "list_tasks",
    description: "Task summaries in plan order, paginated.",
    input: z.object({
      status: z.enum(TASK_STATUSES).optional(),
      feature: z.string().optional().describe("feature id"),
      offset: z.number().int().min(0).optional(),
      limit: z.number().int().min(1).max(50).optional().describe("default 25"),
    }),
    run: listTasks,
  },
  { name: "get_task", description: "One task in full.", input: z.object({ id: taskId }), run: getTask },
  { name: "next_task", description: "The ready task to do next, or why none is ready.", input: z.object({}), run: next },
  {
    name: "start_task",
    writes: true,
    description: "Start a ready task: marks it running and records where its work begins.",
    input: z.object({ id: taskId }),
    run: start,
  },
  {
    name: "complete_task",
    writes: true,
    description: "Verify the started task's work (checks, tests, evidence rules); done and committed only if it passes.",
    input: z.object({ id: taskId }),
    run: complete,
  },
  {
    name: "verify",
    description: "Run the task's checks on the current work without completing it.",
    input: z.object({ id: taskId.optional().describe("default: the task started here") }),
    run: verifyNow,
  },
  {
    name: "add_task",
    writes: true,
    description: "Add a task to a feature's plan.",
    input: z.object({
      feature: z.string().min(1).describe("feature id"),
      title: z.string().min(1).max(200),
      description: z.string().max(8000).optional(),
      dependsOn: ids.optional().describe("task ids"),
      files: ids.optional().describe("globs it may change"),
      acceptance: ids.optional().describe("criteria"),
    }),
    run: add,
  },
  { name: "streams", description: "Parallel build streams and what each is doing.", input: z.object({}), run: streams },
  {
    name: "log",
    description: "Recent attempts: outcome, reason, cost.",
    input: z.object({ task: z.string().optional().describe("only this task"), limit: z.number().int().min(1).max(30).optional() }),
    run: log,
  },
];
