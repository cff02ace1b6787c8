/**
 * Any agent behind a command line: a template with {prompt_file}, {model}, {workdir}, {task_id},
 * run through the shell in the project, with the same values in BR_PROMPT_FILE, BR_MODEL,
 * BR_WORKDIR and BR_TASK_ID. Exit 0 means the agent reports success. A last output line that is a
 * JSON object with `usage` ({input_tokens, output_tokens, …}) and `cost_usd` is read as its report;
 * `error` ({message, status}) in it says the provider failed, which is sorted into setup, transient
 * or task like the CLIs' own errors.
 */
import { usageError } from "../../infra/errors.js";
import { findProgram, firstProgram } from "../../infra/programs.js";
import { classifyApiError } from "./failure.js";
import type { ExecutorSettings } from "./settings.js";
import { type AgentProcessResult, exitDetails, jsonLines, num, processFacts, runAgent, tail, timedOutText } from "./spawn-agent.js";
import type { Executor, ExecutorInput, ExecutorReport, Failure } from "./types.js";

/** A failed agent's last words: its exit code, then the end of what it printed (stderr last). */
function failureText(result: AgentProcessResult): string {
  const printed = tail(`${result.stdout}\n${result.stderr}`.trim(), 10);
  return `${exitDetails({ ...result, stderr: "" })}${printed ? `\n${printed}` : ""}`;
}

/**
 * Why the agent failed, where it said: the shell's 127 or 126 (its program is missing or cannot be
 * executed), or an `error` in its report line.
 */
function failureOf(
  result: AgentProcessResult,
  last: Record<string, unknown> | undefined,
  template: string,
  workdir: string,
): Failure | undefined {
  // 127 from a program the agent itself ran (a missing test tool) is the task's: only the agent's own program missing is setup.
  const program = firstProgram(template);
  const agentMissing = program !== undefined && findProgram(program, workdir) === undefined;
  if ((result.exitCode === 127 || result.exitCode === 126) && agentMissing)
    return {
      class: "setup",
      message: `the agent command could not be started: ${tail(result.stderr, 3).trim() || `exit ${result.exitCode}`}`,
      fix: "Install the agent, or fix executors.command.command (br config get executors.command.command).",
    };
  const error = last?.error as { message?: unknown; status?: unknown } | undefined;
  if (!error || typeof error.message !== "string") return undefined;
  return classifyApiError(error.message, typeof error.status === "number" ? error.status : undefined);
}

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
      const success = result.exitCode === 0 && !result.timedOut && !result.idle;
      const report: ExecutorReport = {
        ...base,
        success,
        summary: result.timedOut || result.idle ? timedOutText(input, result) : success ? tail(result.stdout, 10) : failureText(result),
        model: typeof last?.model === "string" ? last.model : input.model,
      };
      const failure = success ? undefined : failureOf(result, last, template, input.workdir);
      if (failure) report.failure = failure;
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
