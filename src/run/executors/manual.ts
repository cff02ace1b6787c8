/**
 * A human (or an agent you drive yourself) does the task: the prompt is written to a file and br
 * waits for evidence — `br tasks done <id>` from another terminal, or changes in the task's scope
 * that then stay quiet for a while. Verification still decides whether it is done.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { say, style } from "../../infra/log.js";
import type { ExecutorSettings } from "./settings.js";
import type { Executor, ExecutorInput, ExecutorReport } from "./types.js";

export type Evidence = "done" | { changed: string };

export function manualExecutor(_settings: ExecutorSettings, evidence: (taskId: string) => Evidence | undefined): Executor {
  const quietMs = 10_000;
  return {
    name: "manual",
    async run(input: ExecutorInput): Promise<ExecutorReport> {
      const started = Date.now();
      say(style.bold(`Task ${input.taskId} is yours: the prompt is in ${input.promptFile}`));
      say(`  When it is finished, run \`br tasks done ${input.taskId}\` (or just change its files; br notices).`);
      let lastChange: string | undefined;
      let quietSince = Date.now();
      while (Date.now() - started < input.timeoutMs) {
        if (input.signal?.aborted) break;
        const seen = evidence(input.taskId);
        if (seen === "done")
          return { success: true, summary: "marked done by hand", durationMs: Date.now() - started, exitCode: 0, timedOut: false };
        if (seen && seen.changed !== lastChange) {
          lastChange = seen.changed;
          quietSince = Date.now();
        } else if (seen && Date.now() - quietSince >= quietMs) {
          return {
            success: true,
            summary: "the task's files changed and then stayed quiet",
            durationMs: Date.now() - started,
            exitCode: 0,
            timedOut: false,
          };
        }
        await sleep(1000);
      }
      return {
        success: false,
        summary: `no evidence of completion within ${Math.round(input.timeoutMs / 1000)} s`,
        durationMs: Date.now() - started,
        exitCode: null,
        timedOut: true,
      };
    },
  };
}
