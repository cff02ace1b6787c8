/**
 * Any agent behind a command line: a template with {prompt_file}, {model}, {workdir}, {task_id},
 * run through the shell in the project, with the same values in BR_PROMPT_FILE, BR_MODEL,
 * BR_WORKDIR and BR_TASK_ID. Exit 0 means the agent reports success. A last output line that is a
 * JSON object with `usage` ({input_tokens, output_tokens, …}) and `cost_usd` is read as its report.
 */
import { usageError } from "../../infra/errors.js";
import type { ExecutorSettings } from "./settings.js";
import { jsonLines, num, processFacts, runAgent, tail, timedOutText } from "./spawn-agent.js";
import type { Executor, ExecutorInput, ExecutorReport } from "./types.js";

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`;
}

export function commandExecutor(settings: ExecutorSettings): Executor {
  if (!settings.command) {
    throw usageError("The command executor needs a command line.", {
      file: ".buildrunner/config.yaml",
      fix: 'br config set executors.command.command "my-agent --prompt-file {prompt_file} --model {model}"',
    });
  }
  const template = settings.command;
  return {
    name: "command",
    async run(input: ExecutorInput): Promise<ExecutorReport> {
      const values: Record<string, string> = {
        prompt_file: input.promptFile,
        model: input.model,
        workdir: input.workdir,
        task_id: input.taskId,
      };
      const line = template.replace(/\{(prompt_file|model|workdir|task_id)\}/g, (_, key: string) => shellQuote(values[key] ?? ""));
      const result = await runAgent("/bin/sh", ["-c", line], input, {
        env: { BR_PROMPT_FILE: input.promptFile, BR_MODEL: input.model, BR_WORKDIR: input.workdir, BR_TASK_ID: input.taskId },
      });
      const base = processFacts(result);
      const last = jsonLines(result.stdout).at(-1);
      const usage = last?.usage as Record<string, unknown> | undefined;
      const success = result.exitCode === 0 && !result.timedOut;
      const report: ExecutorReport = {
        ...base,
        success,
        summary: result.timedOut ? timedOutText(input) : tail(success ? result.stdout : `${result.stdout}\n${result.stderr}`, 10),
        model: typeof last?.model === "string" ? last.model : input.model,
      };
      if (usage) {
        report.usage = {
          inputTokens: num(usage.input_tokens),
          outputTokens: num(usage.output_tokens),
          cacheWriteTokens: num(usage.cache_creation_input_tokens),
          cacheReadTokens: num(usage.cache_read_input_tokens),
        };
      }
      if (typeof last?.cost_usd === "number") report.costUsd = last.cost_usd;
      return report;
    },
  };
}
