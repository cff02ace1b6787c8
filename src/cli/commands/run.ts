import type { Command } from "commander";
import { style } from "../../infra/log.js";
import type { ProjectPaths } from "../../infra/project.js";
import type { ParallelSummary } from "../../parallel/orchestrate.js";
import type { RunOptions, RunSummary } from "../../run/loop.js";
import { positiveNumber, project } from "../context.js";
import { action, setExitCode } from "../main.js";
import { emit } from "../output.js";
import { parallelLines, streamCount } from "./parallel.js";

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${s % 60}s`;
}

function renderPrompts(prompts: NonNullable<RunSummary["prompts"]>): string[] {
  return prompts.flatMap((p) => [
    style.bold(`──── ${p.taskId}: ${p.tokens} tokens${p.omitted.length ? `, left out: ${p.omitted.join(", ")}` : ""} ────`),
    p.text,
  ]);
}

function headline(summary: RunSummary): string {
  const mark = summary.failed.length ? style.red("✗") : style.green("✓");
  const ended = summary.stoppedBecause ? "stopped" : "finished";
  const counts = `${summary.done.length} done, ${summary.failed.length} failed, ${summary.skipped.length} skipped; ${summary.attempts} attempt(s)`;
  return `${mark} Run ${summary.runId ?? ""} (${summary.executor}) ${ended} in ${duration(summary.durationMs)}: ${counts}`;
}

function spendLines(summary: RunSummary): string[] {
  const t = summary.tokens;
  const byModel = Object.entries(summary.costByModel).map(([model, cost]) => `${model} $${cost.toFixed(4)}`);
  return [
    `  tokens: ${t.inputTokens} in, ${t.outputTokens} out, ${t.cacheWriteTokens} cache write, ${t.cacheReadTokens} cache read`,
    `  cost: $${summary.costUsd.toFixed(4)}${byModel.length ? ` (${byModel.join(", ")})` : ""}`,
  ];
}

function recoveryLines({ recovered }: RunSummary): string[] {
  if (!recovered.retried.length && !recovered.done.length) return [];
  const retried = recovered.retried.join(", ") || "none";
  const done = recovered.done.join(", ") || "none";
  const lines = [style.dim(`  resumed after an interruption: retried ${retried}; finished from the journal ${done}`)];
  if (recovered.keptCopies) lines.push(style.dim(`  copies of the interrupted attempt's files: ${recovered.keptCopies}`));
  return lines;
}

/** What the user does next when the run could not finish the plan. */
function nextStepLines(summary: RunSummary): string[] {
  const lines: string[] = [];
  if (summary.setupFailure) {
    lines.push(`  ${style.red("cannot run the agent")}: ${summary.setupFailure.message}`);
    if (summary.setupFailure.fix) lines.push(`  fix: ${summary.setupFailure.fix}`);
  }
  const earlier = summary.failedInPlan.filter((id) => !summary.failed.some((f) => f.id === id));
  if (earlier.length) lines.push(`  ${style.red("failed earlier")}: ${earlier.join(", ")}`);
  if (summary.failedInPlan.length)
    lines.push(`  ${summary.failedInPlan.length} failed task(s) block the plan: fix the cause, then \`br run --retry-failed\``);
  return lines;
}

function render(summary: RunSummary): string[] {
  if (summary.prompts) return renderPrompts(summary.prompts);
  const lines = [headline(summary)];
  if (summary.stoppedBecause) lines.push(`  stopped: ${summary.stoppedBecause}`);
  lines.push(...spendLines(summary));
  for (const f of summary.failed) lines.push(`  ${style.red("failed")} ${f.id}: ${f.reason}`);
  if (summary.completedFeatures.length) lines.push(`  features complete: ${summary.completedFeatures.join(", ")}`);
  lines.push(...recoveryLines(summary), ...nextStepLines(summary));
  if (summary.retriedFailed.length) lines.push(style.dim(`  retried failed tasks: ${summary.retriedFailed.join(", ")}`));
  if (summary.done.length === 0 && summary.failedInPlan.length === 0 && !summary.stoppedBecause)
    lines.push("  Nothing was ready to run (`br tasks next` explains why).");
  return lines;
}

/** Verified work a parallel run could not integrate (it stays on its stream's branch for br merge --streams). */
function waitingWork(summary: RunSummary): boolean {
  return "waiting" in summary && (summary as ParallelSummary).waiting.length > 0;
}

async function runParallelFrom(paths: ProjectPaths, options: RunOptions, flag: unknown): Promise<RunSummary> {
  const { runParallel } = await import("../../parallel/orchestrate.js");
  const { loadConfig } = await import("../../infra/config.js");
  const streams = streamCount("--parallel", flag) ?? (await loadConfig(paths)).config.parallel.streams;
  return runParallel(paths, { ...options, streams });
}

/** The sequential loop; streams a parallel run left behind are recovered first (their tasks are otherwise stuck running). */
async function runSequential(paths: ProjectPaths, options: RunOptions): Promise<RunSummary> {
  const { runLoop } = await import("../../run/loop.js");
  if (!options.dryRun) {
    const { recoverLeftStreams } = await import("../../parallel/merge.js");
    await recoverLeftStreams(paths);
  }
  return runLoop(paths, options);
}

export function registerRun(program: Command): void {
  const configure = (command: Command) =>
    command
      .option("--auto", "do not ask before each task")
      .option("-e, --executor <name>", "claude | codex | gemini | aider | command | manual | replay (default: run.executor)")
      .option("--max-tasks <n>", "stop after this many tasks")
      .option("--max-cost <usd>", "stop before the spend would exceed this many dollars")
      .option("--max-task-cost <usd>", "do not retry a task once it has spent this many dollars (default: run.maxTaskCost)")
      .option("--dry-run", "print the prompts that would be sent; change nothing")
      .option("--allow-dirty", "run on a working tree with uncommitted changes")
      .option("--retry-failed", "put failed tasks back to ready first (their earlier attempts stay in the journal)")
      .option("--parallel [n]", "run n streams at once, each in its own git worktree (default n: parallel.streams)")
      .option("--json", "print the run summary as JSON")
      .action(
        action<[]>(async (options) => {
          const maxTasks = positiveNumber("--max-tasks", options.maxTasks, true);
          const maxCost = positiveNumber("--max-cost", options.maxCost);
          const maxTaskCost = positiveNumber("--max-task-cost", options.maxTaskCost);
          const runOptions: RunOptions = {
            auto: options.auto === true,
            dryRun: options.dryRun === true,
            allowDirty: options.allowDirty === true,
            retryFailed: options.retryFailed === true,
            ...(typeof options.executor === "string" ? { executor: options.executor } : {}),
            ...(maxTasks !== undefined ? { maxTasks } : {}),
            ...(maxCost !== undefined ? { maxCost } : {}),
            ...(maxTaskCost !== undefined ? { maxTaskCost } : {}),
          };
          const paths = project(options);
          if (options.parallel !== undefined && !runOptions.dryRun) {
            const { runOnQueue } = await import("./queue.js");
            if (await runOnQueue(paths, runOptions, { name: "--parallel", value: options.parallel }, options.json)) return;
          }
          const summary =
            options.parallel !== undefined && !runOptions.dryRun
              ? await runParallelFrom(paths, runOptions, options.parallel)
              : await runSequential(paths, runOptions);
          emit(options.json, summary, () => [
            ...render(summary),
            ...("parallel" in summary ? parallelLines(summary as ParallelSummary) : []),
          ]);
          // 2: the agent cannot run here (nothing was attempted); 1: failed tasks block the plan, or an outage stopped it.
          if (summary.setupFailure) setExitCode(2);
          else if (summary.failedInPlan.length > 0 || summary.failed.length > 0 || summary.outage || waitingWork(summary)) setExitCode(1);
        }),
      );
  configure(program.command("run").description("drive the executor through the ready tasks, verifying each before it counts as done"));
  const build = program.command("build").description("alias group: `br build start` = `br run`");
  configure(build.command("start").description("same as br run"));
}
