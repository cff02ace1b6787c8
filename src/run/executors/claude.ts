/**
 * Claude Code in headless mode: `claude -p --output-format stream-json --verbose --model M`, the
 * prompt on stdin. Judged by the `result` events: `is_error`, `subtype`, `usage`, `modelUsage`,
 * `total_cost_usd`, `permission_denials`. An API error arrives as subtype "success" with is_error
 * true and `api_error_status` (the HTTP status, null for a dropped connection). While it retries a
 * failed request it prints `system`/`api_retry` events (attempt, error_status, error).
 *
 * Several `result` events can come from one process (2.1.332 numbers them `result_index`): each
 * one's `usage` counts only the turns since the previous result, while `total_cost_usd` and
 * `modelUsage` are the session's running totals. So the last result's totals are the attempt's
 * (summing them would count early turns twice); without `modelUsage`, the `usage`s are summed.
 */
import type { Usage } from "../../routing/prices.js";
import { classifyApiError } from "./failure.js";
import type { ExecutorSettings } from "./settings.js";
import { exitDetails, jsonLines, notFoundReport, num, processFacts, runAgent, timedOutText } from "./spawn-agent.js";
import type { Executor, ExecutorInput, ExecutorReport, Failure } from "./types.js";

type Event = Record<string, unknown>;

export function claudeExecutor(settings: ExecutorSettings): Executor {
  return {
    name: "claude",
    async run(input: ExecutorInput): Promise<ExecutorReport> {
      const command = settings.command ?? "claude";
      const result = await runAgent(command, claudeArgs(settings, input), input, { stdin: input.prompt });
      if (result.notFound) return notFoundReport(result, command, "Claude Code", "claude");
      const base = processFacts(result);
      const events = jsonLines(result.stdout);
      const report = readClaudeEvents(events, input.model);
      if (!report) {
        const why = result.timedOut || result.idle ? timedOutText(input, result) : "ended without a result event";
        const summary = `Claude Code ${why} (${exitDetails(result)})`;
        // Stopped for silence, or while its last word was a retry: the provider's fault.
        const failure = base.failure ?? retryFailure(events);
        return { ...base, success: false, summary, ...orFailure(failure) };
      }
      const facts = { ...base };
      delete facts.failure; // the idle timeout after a result: the result stands
      const success = report.success && !result.timedOut;
      return { ...facts, ...report, success, ...(success ? {} : orFailure(report.failure ?? base.failure)) };
    },
  };
}

function orFailure(failure: Failure | undefined): { failure?: Failure } {
  return failure ? { failure } : {};
}

/**
 * The arguments: br's own (headless, events, model), then the user's `settings.args` or br's
 * defaults: edits accepted, and the project's check commands allowed so the agent can run them.
 */
export function claudeArgs(settings: ExecutorSettings, input: ExecutorInput): string[] {
  const args = ["-p", "--output-format", "stream-json", "--verbose", "--model", input.model];
  if (settings.args) args.push(...settings.args);
  else {
    args.push("--permission-mode", "acceptEdits");
    const allowed = allowedCheckTools(input.checkCommands ?? []);
    if (allowed.length > 0) args.push("--allowedTools", ...allowed);
  }
  if (input.maxBudgetUsd !== undefined && input.maxBudgetUsd > 0 && !args.includes("--max-budget-usd"))
    args.push("--max-budget-usd", String(input.maxBudgetUsd));
  return args;
}

/**
 * Claude Code permission rules for the check commands: `Bash(npm test:*)` allows `npm test` and
 * `npm test <more>`. A prefix rule never allows a compound command, so each part of
 * `a && b` gets its own rule.
 */
export function allowedCheckTools(commands: readonly string[]): string[] {
  const rules = new Set<string>();
  for (const command of commands)
    for (const part of command.split(/&&|\|\||;|\|/)) {
      const trimmed = part.trim().replace(/\s+/g, " ");
      if (trimmed && !/[()]/.test(trimmed)) rules.add(`Bash(${trimmed}:*)`);
    }
  return [...rules];
}

/** What the events say of the attempt, or undefined when there is no `result` event. */
export function readClaudeEvents(
  events: Event[],
  requestedModel: string,
): Omit<ExecutorReport, "durationMs" | "exitCode" | "timedOut"> | undefined {
  const results = events.filter((e) => e.type === "result");
  const final = results.at(-1);
  if (!final) return undefined;
  const init = events.find((e) => e.type === "system" && e.subtype === "init");
  const model = typeof init?.model === "string" ? init.model : requestedModel;
  const success = final.is_error !== true && final.subtype === "success";
  const denials = permissionDenials(results);
  let summary = typeof final.result === "string" && final.result ? final.result : errorsOf(final);
  if (!summary) summary = `Claude Code reported ${String(final.subtype)}`;
  if (denials.length > 0) summary += ` (permission denied: ${denials.join("; ")})`;
  const report: Omit<ExecutorReport, "durationMs" | "exitCode" | "timedOut"> = { success, summary, model, ...usageOf(results, model) };
  if (typeof final.total_cost_usd === "number") report.costUsd = final.total_cost_usd;
  if (denials.length > 0) report.permissionDenials = denials;
  if (!success) {
    const failure = resultFailure(final, summary);
    if (failure) report.failure = failure;
  }
  return report;
}

/** An API error's class; other failures (turn or budget limits, a failed tool) are the task's. */
function resultFailure(final: Event, summary: string): Failure | undefined {
  const status = typeof final.api_error_status === "number" ? final.api_error_status : undefined;
  const apiError =
    status !== undefined || final.terminal_reason === "api_error" || (final.subtype === "success" && final.is_error === true);
  if (!apiError) return undefined;
  const words = typeof final.api_error_type === "string" ? `${summary} (${final.api_error_type})` : summary;
  const failure = { ...classifyApiError(words, status), message: summary };
  // An API error whose status is null never got an answer from the API (a timeout, a dropped connection).
  const unanswered = final.api_error_status === null || (status === undefined && final.terminal_reason === "api_error");
  return unanswered && failure.class === "task" ? { ...failure, class: "transient" } : failure;
}

/**
 * The `api_retry` event's error, for a process that ended while it was still retrying: only when
 * that retry is the last thing it printed (an old blip followed by real work says nothing).
 */
function retryFailure(events: Event[]): Failure | undefined {
  const retry = events.at(-1);
  if (retry?.type !== "system" || retry.subtype !== "api_retry") return undefined;
  const status = typeof retry.error_status === "number" ? retry.error_status : undefined;
  const message = `the API request kept failing (${status ?? String(retry.error ?? "no status")}), retry ${num(retry.attempt)} of ${num(retry.max_retries)}`;
  const failure = classifyApiError(`${message} ${String(retry.error ?? "")}`, status);
  // A request that failed without a status and was being retried is the network's fault.
  return { ...failure, class: failure.class === "task" ? "transient" : failure.class, message };
}

function errorsOf(final: Event): string {
  return Array.isArray(final.errors) ? final.errors.map(String).join("; ") : "";
}

/** `Bash: npm test`, `Write: src/a.js`: what the CLI refused, from every result. */
function permissionDenials(results: Event[]): string[] {
  const out = new Set<string>();
  for (const result of results) {
    if (!Array.isArray(result.permission_denials)) continue;
    for (const denial of result.permission_denials as Event[]) {
      const tool = String(denial.tool_name ?? "tool");
      const toolInput = (denial.tool_input ?? {}) as Event;
      const what = toolInput.command ?? toolInput.file_path ?? toolInput.path ?? toolInput.url;
      out.add(typeof what === "string" ? `${tool}: ${what}` : tool);
    }
  }
  return [...out];
}

const zero = (): Usage => ({ inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 });

/** The attempt's usage: the last result's per-model running totals, else the sum of each result's own turns. */
function usageOf(results: Event[], model: string): { usage: Usage; usageByModel?: Record<string, Usage> } {
  const modelUsage = results.at(-1)?.modelUsage as Record<string, Event> | undefined;
  if (modelUsage && Object.keys(modelUsage).length > 0) {
    const byModel: Record<string, Usage> = {};
    const usage = zero();
    for (const [name, u] of Object.entries(modelUsage)) {
      const each = {
        inputTokens: num(u.inputTokens),
        outputTokens: num(u.outputTokens),
        cacheWriteTokens: num(u.cacheCreationInputTokens),
        cacheReadTokens: num(u.cacheReadInputTokens),
      };
      byModel[name] = each;
      addUsage(usage, each);
    }
    return Object.keys(byModel).length > 1 || !byModel[model] ? { usage, usageByModel: byModel } : { usage };
  }
  const usage = zero();
  for (const result of results) {
    const u = (result.usage ?? {}) as Event;
    addUsage(usage, {
      inputTokens: num(u.input_tokens),
      outputTokens: num(u.output_tokens),
      cacheWriteTokens: num(u.cache_creation_input_tokens),
      cacheReadTokens: num(u.cache_read_input_tokens),
    });
  }
  return { usage };
}

function addUsage(sum: Usage, u: Usage): void {
  sum.inputTokens += u.inputTokens;
  sum.outputTokens += u.outputTokens;
  sum.cacheWriteTokens += u.cacheWriteTokens;
  sum.cacheReadTokens += u.cacheReadTokens;
}
