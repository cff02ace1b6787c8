import { join } from "node:path";
import { writeFileAtomic } from "../infra/atomic-file.js";
import type { Config } from "../infra/config.js";
import { listProjectFiles } from "../infra/git.js";
import { say, style } from "../infra/log.js";
import { transitionTask } from "../plan/scheduler.js";
import type { Task } from "../plan/task.js";
import { loadTasks } from "../plan/task-store.js";
import type { FeaturesFile } from "../registry/feature.js";
import { stepForAttempt } from "../routing/ladder.js";
import { prepareLogs } from "./agent-log.js";
import { excludeCheckOutputs } from "./check-outputs.js";
import type { ActiveRun, RunContext, TaskProgress } from "./engine.js";
import { countsAt, recordCounts } from "./evidence/counts-store.js";
import { captureGitState } from "./evidence/git-state.js";
import { snapshotOwnFiles } from "./evidence/own-files.js";
import type { TestCounts } from "./evidence/test-counts.js";
import { readLive } from "./live.js";
import { type BuiltPrompt, buildPrompt, type EarlierAttempt } from "./prompt.js";
import type { AttemptBaseline } from "./recover.js";
import { snapshotTree } from "./tree.js";
import { runCheck } from "./verify.js";

function promptFor(run: RunContext, task: Task, attempts: EarlierAttempt[], registry: FeaturesFile): BuiltPrompt {
  const { paths, config, countTokens } = run;
  return buildPrompt({
    task,
    feature: registry.features.find((f) => f.id === task.featureId),
    attempts,
    config,
    paths,
    tree: listProjectFiles(paths.root) ?? [],
    countTokens,
  });
}

/** The configured check commands, which the agent is told to run and so must be allowed to. */
export function checkCommands(config: Config): string[] {
  const { test, build, lint, typecheck } = config.commands;
  return [test, build, lint, typecheck].filter((c): c is string => typeof c === "string");
}

/** An attempt up to the moment the agent is started: its model, prompt, baseline and journal row. */
export interface StartedAttempt {
  attempt: number;
  attemptId: number;
  /** The ladder step's executor and model. */
  executorName: string;
  model: string;
  promptFile: string;
  prompt: BuiltPrompt;
  baseline: AttemptBaseline;
  testsBefore: TestCounts | undefined;
}

export async function startAttempt(run: ActiveRun, task: Task, progress: TaskProgress, attempt: number): Promise<StartedAttempt> {
  const { paths, config, journal } = run;
  const { step, reason: tierReason } = stepForAttempt(progress.routed, attempt);
  const { executor: executorName, model, name: tier } = step;
  const live = await readLive(paths);
  const prompt = promptFor(run, task, progress.earlier, live.registry);
  const promptFile = join(run.promptsDir, `${task.id}.attempt-${attempt}.md`);
  prepareLogs(paths.state);
  // Measured before the snapshot, so what the test command writes (a coverage report) is not taken for the agent's work.
  const beforeTests = snapshotTree(paths.root);
  const tests = await testsAtStart(run, beforeTests.head);
  if (tests.ran) excludeCheckOutputs(paths.root, beforeTests, []);
  // The snapshot comes before the prompt: whoever reads the prompt (a human, with the manual
  // executor) may start changing files the moment it appears. The git state is kept with it, so
  // an interrupted attempt can be undone entirely on resume. Without a test run in between, the
  // tree is as it was a moment ago.
  const baseline: AttemptBaseline = {
    ...(tests.ran ? snapshotTree(paths.root) : beforeTests),
    git: captureGitState(paths.root, run.stream?.ignoredBranches),
    ...(executorName === "manual" ? {} : { own: { files: snapshotOwnFiles(paths.dir, paths.state), at: Date.now() } }),
  };
  writeFileAtomic(promptFile, prompt.text);
  // A human's `br tasks done` from an earlier, rejected attempt must not count for this one.
  const current = (await loadTasks(paths)).tasks.find((t) => t.id === task.id);
  if (current && current.status !== "running") await transitionTask(paths, task.id, "start", { force: true });
  const attemptId = journal.startAttempt({
    runId: run.runId,
    taskId: task.id,
    featureId: task.featureId,
    attempt,
    executor: executorName,
    model,
    tier,
    route: { score: progress.routed.score, reason: tierReason },
    promptTokens: prompt.tokens,
    baseline,
    ...(run.stream ? { stream: run.stream.name } : {}),
  });
  say(
    style.dim(
      `  attempt ${attempt}/${config.run.maxAttempts}: ${executorName}, ${model} (${tier}: ${tierReason}), prompt ${prompt.tokens} tokens`,
    ),
  );
  return { attempt, attemptId, executorName, model, promptFile, prompt, baseline, testsBefore: tests.counts };
}

/**
 * The test runner's counts at the commit the attempt starts from: recorded after br's last commit,
 * or measured now when there is no record (the first attempt, or the user committed since). A
 * test run whose output br cannot count is recorded too, so it is not run again for nothing.
 */
async function testsAtStart(run: ActiveRun, head: string | undefined): Promise<{ counts: TestCounts | undefined; ran: boolean }> {
  const { paths, config } = run;
  const known = countsAt(paths.state, head);
  if (known !== undefined || !config.commands.test || !config.run.commit) return { counts: known ?? undefined, ran: false };
  say(style.dim("  measuring the tests before the attempt (no record for this commit)"));
  const result = await runCheck("test", config.commands.test, paths.root, config.run.checkTimeoutSeconds * 1000);
  recordCounts(paths.state, head, result.counts ?? null);
  return { counts: result.counts, ran: true };
}
