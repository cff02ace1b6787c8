import { writeFileSync } from "node:fs";
import { type Command, Option } from "commander";
import { usageError } from "../../infra/errors.js";
import { style } from "../../infra/log.js";
import { isAlive } from "../../infra/process.js";
import type { ParallelSummary, StreamView } from "../../parallel/orchestrate.js";
import type { WorkerReport } from "../../parallel/worker.js";
import { checkedProject, positiveNumber, project } from "../context.js";
import { action, setExitCode } from "../main.js";
import { emit, table } from "../output.js";

export function streamCount(flag: string, value: unknown): number | undefined {
  if (value === undefined || value === true) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 32)
    throw usageError(`${flag} takes a whole number from 1 to 32, not "${String(value)}".`, { fix: `For example ${flag} 4.` });
  return n;
}

export function streamLines(streams: readonly StreamView[]): string[] {
  if (streams.length === 0) return ["  No streams (br run --parallel <n> or br orchestrate --parallel makes them)."];
  return table(
    ["stream", "status", "task", "port", "last result"],
    streams.map((s) => [s.name, `${s.status}${s.working ? " (worker running)" : ""}`, s.task ?? "-", String(s.port), s.lastResult ?? ""]),
  );
}

export function parallelLines(summary: ParallelSummary): string[] {
  const lines: string[] = [];
  for (const c of summary.conflicts)
    lines.push(
      `  ${style.red("conflict")} ${c.task} with ${c.tasks.slice(1).join(", ") || "the target"} in ${c.files.join(", ")}; kept on ${c.kept}`,
    );
  for (const w of summary.waiting)
    lines.push(`  ${style.yellow("waiting")} ${w.task} is verified but not integrated: ${w.reason}; fix that, then br merge --streams`);
  for (const r of summary.restarts) lines.push(style.dim(`  ${r.stream}'s worker died (${r.exit}); recovered and restarted`));
  const rec = summary.streamRecovery;
  if (rec.retried.length || rec.finished.length)
    lines.push(
      style.dim(
        `  streams recovered: retried ${rec.retried.join(", ") || "none"}; finished from the journal ${rec.finished.join(", ") || "none"}`,
      ),
    );
  if (summary.cleaned.length) lines.push(style.dim(`  worktrees removed: ${summary.cleaned.join(", ")}`));
  const left = summary.streams.filter((s) => !summary.cleaned.includes(s.name));
  if (left.length) lines.push(...streamLines(left).map((l) => `  ${l}`));
  return lines;
}

function workerLines(report: WorkerReport): string[] {
  const lines = [
    `${report.stream}: ${report.integrated.length} integrated, ${report.failed.length} failed, ${report.conflicts.length} conflict(s); ${report.attempts} attempt(s), $${report.costUsd.toFixed(4)}`,
  ];
  if (report.stoppedBecause) lines.push(`  stopped: ${report.stoppedBecause}`);
  for (const c of report.conflicts) lines.push(`  conflict: ${c.task} in ${c.files.join(", ")}; kept on ${c.kept}`);
  return lines;
}

function limits(options: Record<string, unknown>): { maxCost?: number; maxTaskCost?: number; maxTasks?: number } {
  const maxCost = positiveNumber("--max-cost", options.maxCost);
  const maxTaskCost = positiveNumber("--max-task-cost", options.maxTaskCost);
  const maxTasks = positiveNumber("--max-tasks", options.maxTasks, true);
  return {
    ...(maxCost !== undefined ? { maxCost } : {}),
    ...(maxTaskCost !== undefined ? { maxTaskCost } : {}),
    ...(maxTasks !== undefined ? { maxTasks } : {}),
  };
}

/** Ends a worker started by `br run --parallel` when that process dies: the next run recovers its stream. */
function followOrchestrator(): void {
  const parent = Number(process.env.BR_WORKER_OF);
  if (!parent) return;
  const timer = setInterval(() => {
    if (!isAlive(parent)) process.kill(process.pid, "SIGTERM");
  }, 500);
  timer.unref();
}

function registerWorker(program: Command): void {
  program
    .command("worker")
    .description(
      "run one stream's loop (--stream), or work tasks from the shared queue on any machine (--queue): build and verify each, then integrate it or push it for the orchestrator",
    )
    .option("--stream <name>", "the stream to work (br streams list)")
    .option("--queue [url]", "take tasks from the PostgreSQL queue (default url: BR_QUEUE_URL, then queue.url)")
    .option("--repo <git url>", "with --queue: the shared remote to clone (default: this repository's origin)")
    .option("--dir <path>", "with --queue: where this worker's clone goes (default: ~/.cache/buildrunner/workers/…)")
    .option("--concurrency <n>", "with --queue: how many tasks at once, each in its own clone (default 1)")
    .option("--until-idle <seconds>", "with --queue: end after this long without a task (CI runners)")
    .option("--auto", "do not ask before each task (workers never ask)")
    .option("-e, --executor <name>", "the executor (default: run.executor)")
    .option("--max-cost <usd>", "one budget for the whole run")
    .option("--max-task-cost <usd>", "do not retry a task past this spend")
    .option("--max-tasks <n>", "stop taking tasks once the run has finished this many")
    .option("--run <id>", "join this run (set by br run --parallel)")
    .option("--report <file>", "also write the report to this file (set by br run --parallel)")
    .option("--json", "print the report as JSON")
    // A queue worker's process for one task (started by br worker --queue, never by hand).
    .addOption(new Option("--job-process").hideHelp())
    .action(
      action<[]>(async (options) => {
        if (options.jobProcess === true) {
          const { runJobProcess } = await import("../../parallel/queue/job-process.js");
          return runJobProcess();
        }
        if (options.queue !== undefined) {
          if (options.stream !== undefined)
            throw usageError("br worker takes --stream or --queue, not both.", {
              fix: "--stream <name> works a local stream of br orchestrate; --queue works tasks from the shared queue.",
            });
          const { queueWorker } = await import("./queue.js");
          return queueWorker(options);
        }
        if (typeof options.stream !== "string")
          throw usageError("br worker needs --stream <name> (a local stream) or --queue [url] (the shared queue).", {
            fix: "br streams list shows the local streams; br worker --queue postgres://… works the shared queue.",
          });
        const { runWorker } = await import("../../parallel/worker.js");
        followOrchestrator();
        const runId = options.run === undefined ? undefined : Number(options.run);
        const report = await runWorker(project(options), {
          stream: String(options.stream),
          auto: true,
          dryRun: false,
          ...(typeof options.executor === "string" ? { executor: options.executor } : {}),
          ...limits(options),
          ...(runId !== undefined && Number.isInteger(runId) ? { runId } : {}),
        });
        if (typeof options.report === "string") writeFileSync(options.report, JSON.stringify(report));
        emit(options.json, report, () => workerLines(report));
        if (report.setupFailure) setExitCode(2);
        else if (report.failed.length || report.conflicts.length) setExitCode(1);
      }),
    );
}

function registerOrchestrate(program: Command): void {
  program
    .command("orchestrate")
    .description("split ready work into streams, each its own git worktree and branch (then br worker --stream <name> in each)")
    .option("--parallel", "use parallel streams (the only mode)")
    .option("--streams <n>", "how many streams (default: parallel.streams)")
    .option("--json", "print the streams as JSON")
    .action(
      action<[]>(async (options) => {
        const paths = project(options);
        // With a queue, this machine conducts the run and workers anywhere build it.
        const queued = { auto: true, dryRun: false, allowDirty: false, retryFailed: false };
        const { runOnQueue } = await import("./queue.js");
        if (await runOnQueue(paths, queued, { name: "--streams", value: options.streams }, options.json)) return;
        const { orchestrate } = await import("../../parallel/orchestrate.js");
        const { loadConfig } = await import("../../infra/config.js");
        const count = streamCount("--streams", options.streams) ?? (await loadConfig(paths)).config.parallel.streams;
        const result = await orchestrate(paths, count);
        emit(options.json, result, () => [
          `${result.streams.length} stream(s) into ${result.target}:`,
          ...streamLines(result.streams).map((l) => `  ${l}`),
          result.firstWave.length
            ? `First tasks: ${result.firstWave.map((w) => `${w.stream} → ${w.task}`).join(", ")}`
            : "No ready task to start (br tasks next explains why).",
          `Start one worker per stream: ${result.streams.map((s) => `br worker --stream ${s.name}`).join("; ")}. Or run it all with br run --parallel ${count}.`,
        ]);
      }),
    );
}

function registerMerge(program: Command): void {
  program
    .command("merge")
    .description("integrate verified streams into the target branch, predicting conflicts first; accept conflicts resolved by hand")
    .option("--streams", "merge the streams (the only mode)")
    .option("--json", "print the report as JSON")
    .action(
      action<[]>(async (options) => {
        const paths = project(options);
        const queued = { auto: true, dryRun: false, allowDirty: false, retryFailed: false, mergeOnly: true };
        const { runOnQueue } = await import("./queue.js");
        if (await runOnQueue(paths, queued, { name: "--streams", value: undefined }, options.json)) return;
        const { mergeStreams } = await import("../../parallel/merge.js");
        const report = await mergeStreams(paths);
        emit(options.json, report, () => {
          const lines = [
            `${report.integrations.length} integration(s): ${report.integrations.map((i) => `${i.task} ${i.result.kind}`).join(", ") || "none waiting"}`,
          ];
          if (report.resolvedByHand.length) lines.push(`resolved by hand, now done: ${report.resolvedByHand.join(", ")}`);
          if (report.retried.length) lines.push(`interrupted, back to ready: ${report.retried.join(", ")}`);
          for (const c of report.open)
            lines.push(
              `${style.red("conflict")} ${c.task}: merge ${c.branch} into your branch and run br merge --streams, or br run --retry-failed`,
            );
          return lines;
        });
        if (report.open.length || report.integrations.some((i) => i.result.kind === "conflict")) setExitCode(1);
      }),
    );
}

function registerStreams(program: Command): void {
  const streams = program.command("streams").description("show and remove parallel streams");
  const list = async (options: Record<string, unknown>, only?: string) => {
    const { StreamStore } = await import("../../parallel/store.js");
    const { view } = await import("../../parallel/orchestrate.js");
    const store = StreamStore.open(await checkedProject(options));
    try {
      const rows = store.list().map(view);
      const shown = only ? rows.filter((r) => r.name === only) : rows;
      if (only && shown.length === 0) throw usageError(`No stream named "${only}".`, { fix: "br streams list shows them." });
      emit(options.json as boolean | undefined, only ? shown[0] : shown, () =>
        only ? Object.entries(shown[0] as StreamView).map(([k, v]) => `${k}: ${String(v)}`) : streamLines(shown),
      );
    } finally {
      store.close();
    }
  };
  streams
    .command("list", { isDefault: true })
    .description("every stream: status, task, port, last result")
    .option("--json")
    .action(action<[]>((o) => list(o)));
  streams
    .command("show <name>")
    .description("one stream: worktree, branch, task and last result")
    .option("--json")
    .action(action<[string]>((name, o) => list(o, name)));
  streams
    .command("clean [names...]")
    .description("remove finished streams' worktrees and branches (never one holding unintegrated work)")
    .option("--json")
    .action(
      action<[string[]]>(async (names, options) => {
        const { cleanStreams } = await import("../../parallel/merge.js");
        const result = await cleanStreams(await checkedProject(options), names.length ? names : undefined);
        emit(options.json, result, () => [
          `removed: ${result.cleaned.join(", ") || "none"}`,
          ...result.kept.map((k) => `kept ${k.name}: ${k.why}`),
        ]);
      }),
    );
}

export function registerParallel(program: Command): void {
  registerOrchestrate(program);
  registerWorker(program);
  registerMerge(program);
  registerStreams(program);
}
