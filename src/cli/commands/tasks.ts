import type { Command } from "commander";
import { usageError } from "../../infra/errors.js";
import { style } from "../../infra/log.js";
import type { Task, TaskStatus } from "../../plan/task.js";
import { checkedProject, project } from "../context.js";
import { action } from "../main.js";
import { emit, table } from "../output.js";

const STATUSES = ["pending", "ready", "running", "done", "failed", "blocked", "skipped"];
const COLOR: Partial<Record<TaskStatus, (s: string) => string>> = {
  ready: style.cyan,
  running: style.yellow,
  done: style.green,
  failed: style.red,
  blocked: style.red,
};
const paint = (status: TaskStatus) => (COLOR[status] ?? ((s: string) => s))(status);

type Transition = "start" | "done" | "fail" | "reset";
const TRANSITIONS: [string, Transition, string][] = [
  ["start", "start", "mark a ready task running"],
  ["done", "done", "mark a task done"],
  ["fail", "fail", "mark a task failed (--reason says why)"],
  ["reset", "reset", "put a task back to pending/ready (--force for a done one)"],
];

function showTask(task: Task, extra: { criticalPathMinutes: number; waitingOn: string[]; dependents: string[] }): string[] {
  const lines = [
    `${style.bold(task.title)} ${style.dim(`(${task.id})`)}`,
    `  status:        ${paint(task.status)}${task.failureReason ? ` (${task.failureReason})` : ""}`,
    `  feature:       ${task.featureId}   priority: ${task.priority}   complexity: ${task.complexity}`,
    `  estimate:      ${task.estimateMinutes} min   critical path from here: ${extra.criticalPathMinutes} min`,
    `  depends on:    ${task.dependsOn.join(", ") || "nothing"}${extra.waitingOn.length ? style.yellow(`  (waiting on ${extra.waitingOn.join(", ")})`) : ""}`,
    `  needed by:     ${extra.dependents.join(", ") || "nothing"}`,
  ];
  if (task.files.length) lines.push(`  files:         ${task.files.join(", ")}`);
  lines.push("", ...task.description.split("\n").map((l) => `  ${l}`));
  if (task.acceptance.length) lines.push("", "  Acceptance criteria:", ...task.acceptance.map((a) => `  - ${a}`));
  return lines;
}

export function registerTasks(program: Command): void {
  const tasks = program.command("tasks").description("the task plan (.buildrunner/tasks.json)");
  registerTasksGenerate(tasks);
  registerTasksList(tasks);
  registerTasksShow(tasks);
  registerTasksNext(tasks);
  registerTasksGraph(tasks);
  for (const [name, transition, description] of TRANSITIONS) registerTaskTransition(tasks, name, transition, description);
}

function registerTasksGenerate(tasks: Command): void {
  tasks
    .command("generate")
    .description("decompose every feature that is not complete into tasks of about 1-2 hours")
    .option("--llm", "ask a model (Anthropic API, ANTHROPIC_API_KEY) to refine each feature's tasks; falls back to the deterministic plan")
    .option("--json", 'print { "tasks": [...], "summary": {...} }')
    .action(
      action<[]>(async (options) => {
        const { generatePlan } = await import("../../plan/generate.js");
        const paths = await checkedProject(options);
        let refine: Parameters<typeof generatePlan>[1] = {};
        if (options.llm) {
          const { loadConfig } = await import("../../infra/load-config.js");
          const { llmRefiner } = await import("../../plan/refine-llm.js");
          refine = { refine: llmRefiner({ model: (await loadConfig(paths)).config.routing.tiers.sonnet }) };
        }
        const result = await generatePlan(paths, refine);
        emit(options.json, result, () => {
          const s = result.summary;
          const minutes = result.tasks.filter((t) => t.status !== "done").reduce((sum, t) => sum + t.estimateMinutes, 0);
          const lines = [
            `${style.green("✓")} ${s.total} tasks (${s.added.length} new, ${s.kept.length} kept with their status, ${s.removed.length} removed); ${Math.round(minutes / 6) / 10} hours of work left`,
          ];
          if (s.refinedFeatures.length) lines.push(`  refined by the model: ${s.refinedFeatures.join(", ")}`);
          lines.push("  Next: `br tasks next`, or `br tasks graph` to see the plan.");
          return lines;
        });
      }),
    );
}

function registerTasksList(tasks: Command): void {
  tasks
    .command("list")
    .description("list tasks in plan order")
    .option("-s, --status <status>", STATUSES.join(" | "))
    .option("-f, --feature <id>", "only this feature's tasks")
    .option("--json", 'print { "tasks": [...] }')
    .action(
      action<[]>(async (options) => {
        const status = options.status as string | undefined;
        if (status !== undefined && !STATUSES.includes(status))
          throw usageError(`Unknown status "${status}".`, { fix: `Use one of: ${STATUSES.join(", ")}.` });
        const { loadTasks } = await import("../../plan/task-store.js");
        const plan = await loadTasks(await checkedProject(options));
        const list = plan.tasks.filter((t) => (!status || t.status === status) && (!options.feature || t.featureId === options.feature));
        emit(options.json, { tasks: list }, () =>
          list.length === 0
            ? plan.tasks.length === 0
              ? "No tasks yet. Run `br tasks generate`."
              : "No tasks match."
            : table(
                ["ID", "STATUS", "EST", "TITLE"],
                list.map((t) => [t.id, t.status, `${t.estimateMinutes}m`, t.title]),
              ),
        );
      }),
    );
}

function registerTasksShow(tasks: Command): void {
  tasks
    .command("show <id>")
    .description("show one task, what it waits on and what waits on it")
    .option("--json", 'print { "task", "criticalPathMinutes", "waitingOn", "dependents" }')
    .action(
      action<[string]>(async (id, options) => {
        const { loadTasks } = await import("../../plan/task-store.js");
        const { analyze } = await import("../../plan/graph.js");
        const plan = await loadTasks(await checkedProject(options));
        const task = plan.tasks.find((t) => t.id === id);
        if (!task) throw usageError(`No task with id "${id}".`, { fix: "List the ids with `br tasks list`." });
        const graph = analyze(plan.tasks);
        const extra = {
          criticalPathMinutes: graph.criticalPath.get(id) ?? 0,
          waitingOn: task.dependsOn.filter((d) => !["done", "skipped"].includes(plan.tasks.find((t) => t.id === d)?.status ?? "")),
          dependents: graph.dependents.get(id) ?? [],
        };
        emit(options.json, { task, ...extra }, () => showTask(task, extra));
      }),
    );
}

function registerTasksNext(tasks: Command): void {
  tasks
    .command("next")
    .description("the ready task to run next (priority, then critical path, then id)")
    .option("--json", 'print { "task": Task | null }')
    .action(
      action<[]>(async (options) => {
        const { loadTasks } = await import("../../plan/task-store.js");
        const { nextTask } = await import("../../plan/scheduler.js");
        const plan = await loadTasks(await checkedProject(options));
        const { task, criticalPathMinutes } = nextTask(plan);
        emit(options.json, { task }, () => {
          if (task)
            return [
              `${task.id}  ${style.bold(task.title)}`,
              style.dim(
                `  ${task.estimateMinutes} min; critical path from here ${criticalPathMinutes} min. Start it: br tasks start ${task.id}`,
              ),
            ];
          const open = plan.tasks.filter((t) => t.status !== "done" && t.status !== "skipped");
          if (plan.tasks.length === 0) return "No tasks yet. Run `br tasks generate`.";
          if (open.length === 0) return `${style.green("✓")} Every task is done.`;
          const running = open.filter((t) => t.status === "running").map((t) => t.id);
          const stuck = open.filter((t) => t.status === "failed" || t.status === "blocked").map((t) => t.id);
          return [
            "No task is ready.",
            ...(running.length ? [`  running: ${running.join(", ")}`] : []),
            ...(stuck.length ? [`  failed or blocked: ${stuck.join(", ")} (\`br tasks reset <id>\` to retry)`] : []),
          ];
        });
      }),
    );
}

function registerTasksGraph(tasks: Command): void {
  tasks
    .command("graph")
    .description("the dependency graph as Mermaid, Graphviz dot, or JSON (with order and critical paths)")
    .option("--format <format>", "mermaid | dot | json", "mermaid")
    .option("--json", "same as --format json")
    .action(
      action<[]>(async (options) => {
        const format = options.json ? "json" : String(options.format);
        if (!["mermaid", "dot", "json"].includes(format))
          throw usageError(`Unknown graph format "${format}".`, { fix: "Use mermaid, dot or json." });
        const { loadTasks } = await import("../../plan/task-store.js");
        const graph = await import("../../plan/graph.js");
        const plan = await loadTasks(await checkedProject(options));
        if (format === "mermaid") process.stdout.write(`${graph.toMermaid(plan.tasks)}\n`);
        else if (format === "dot") process.stdout.write(`${graph.toDot(plan.tasks)}\n`);
        else {
          const analysis = graph.analyze(plan.tasks);
          const doc = {
            nodes: plan.tasks.map((t) => ({
              id: t.id,
              featureId: t.featureId,
              title: t.title,
              status: t.status,
              estimateMinutes: t.estimateMinutes,
              criticalPathMinutes: analysis.criticalPath.get(t.id) ?? 0,
            })),
            edges: plan.tasks.flatMap((t) => t.dependsOn.map((from) => ({ from, to: t.id }))),
            order: analysis.order,
            criticalPath: graph.longestChain(plan.tasks, analysis),
          };
          process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
        }
      }),
    );
}

/** `br tasks start|done|fail|reset <id>`: one status change each. */
function registerTaskTransition(tasks: Command, name: string, transition: Transition, description: string): void {
  const command = tasks.command(`${name} <id>`).description(description);
  if (transition === "fail") command.option("--reason <text>", "why it failed");
  command
    .option("--force", "allow the change from any status")
    .option("--json", 'print { "task": Task }')
    .action(
      action<[string]>(async (id, options) => {
        const { transitionTask } = await import("../../plan/scheduler.js");
        const paths = project(options);
        const task = await transitionTask(paths, id, transition, {
          force: options.force === true,
          ...(typeof options.reason === "string" ? { reason: options.reason } : {}),
        });
        // An agent the user runs works on it from here: br verify and the Stop hook measure from this point.
        if (transition === "start") {
          const { recordWorkStart } = await import("../../run/work-start.js");
          const { measureTestsAtStart } = await import("../../run/agent-work.js");
          await measureTestsAtStart(paths, recordWorkStart(paths, id));
        }
        emit(options.json, { task }, () => `${style.green("✓")} ${task.id}: ${paint(task.status)}`);
      }),
    );
}
