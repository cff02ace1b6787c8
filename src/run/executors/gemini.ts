/**
 * Gemini CLI headless: the prompt on stdin, `gemini -p … --output-format json --model M --yolo
 * --skip-trust`. On success, one JSON object on stdout: `response`, `stats.models.<model>.tokens`
 * (prompt, which includes cached, candidates, cached, thoughts). On an API error, stdout is empty:
 * a stack trace and then `{"session_id","error":{"type","message","code"}}` go to stderr, and the
 * exit code is the HTTP status mod 256 (429 → 173). An untrusted folder exits 55 with one line on
 * stderr and no JSON at all.
 */
import type { Usage } from "../../routing/prices.js";
import { classifyApiError } from "./failure.js";
import type { ExecutorSettings } from "./settings.js";
import { type AgentProcessResult, exitDetails, notFoundReport, num, processFacts, runAgent, timedOutText } from "./spawn-agent.js";
import type { Executor, ExecutorInput, ExecutorReport, Failure } from "./types.js";

type Doc = Record<string, unknown>;

export function geminiExecutor(settings: ExecutorSettings): Executor {
  return {
    name: "gemini",
    async run(input: ExecutorInput): Promise<ExecutorReport> {
      // The prompt goes on stdin (Gemini CLI reads it as input before -p): no argument size limit, not in `ps`.
      // --skip-trust: headless Gemini CLI refuses to run in a folder it does not trust (exit 55).
      const args = [
        "-p",
        "Do the task described above.",
        "--output-format",
        "json",
        "--model",
        input.model,
        ...(settings.args ?? ["--yolo", "--skip-trust"]),
      ];
      const command = settings.command ?? "gemini";
      const result = await runAgent(command, args, input, { stdin: input.prompt });
      if (result.notFound) return notFoundReport(result, command, "Gemini CLI", "gemini");
      const doc = lastJson(result.stdout) ?? lastJson(result.stderr);
      return doc ? docReport(doc, result, input) : noJsonReport(result, input);
    },
  };
}

/** The report from Gemini CLI's JSON document: its response, or its error with the error's class. */
function docReport(doc: Doc, result: AgentProcessResult, input: ExecutorInput): ExecutorReport {
  const base = processFacts(result);
  const report: ExecutorReport = { ...base, success: false, summary: "", ...usageOf(doc, input.model) };
  const error = doc.error as Doc | undefined;
  if (error) {
    const { message, status } = errorOf(error);
    return { ...report, summary: message, failure: classifyApiError(message, status) };
  }
  report.success = !result.timedOut && typeof doc.response === "string";
  report.summary = typeof doc.response === "string" ? doc.response : `Gemini CLI gave no response (${exitDetails(result)})`;
  if (!report.success && base.failure) report.failure = base.failure;
  return report;
}

/** No JSON at all (an untrusted folder, a crash, a timeout): the exit code and what stderr says. */
function noJsonReport(result: AgentProcessResult, input: ExecutorInput): ExecutorReport {
  const base = processFacts(result);
  const why = result.timedOut || result.idle ? timedOutText(input, result) : "printed no JSON result";
  const cleaned = { ...result, stderr: meaningfulLines(result.stderr) };
  const summary = `Gemini CLI ${why} (${exitDetails(cleaned)})`;
  const failure = base.failure ?? (result.timedOut ? undefined : stderrFailure(cleaned.stderr));
  return { ...base, success: false, summary, ...(failure ? { failure } : {}) };
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/** Stderr without colours, stack frames and blank lines: what is left says what went wrong. */
export function meaningfulLines(stderr: string): string {
  return stderr
    .replace(ANSI, "")
    .split("\n")
    .filter((line) => line.trim() && !/^\s+at /.test(line))
    .join("\n");
}

/** A failure from words alone (no JSON): only a setup or transient cause it names; otherwise the task's. */
function stderrFailure(text: string): Failure | undefined {
  if (!text) return undefined;
  const failure = classifyApiError(text.split("\n").slice(-5).join("\n"));
  return failure.class === "task" ? undefined : failure;
}

/** The last top-level JSON object in the text (Gemini CLI prints it after its log lines and stack traces). */
export function lastJson(text: string): Doc | undefined {
  let end = text.length;
  while (end > 0) {
    const start = text.lastIndexOf("\n{", end - 1);
    const from = start === -1 ? text.indexOf("{") : start + 1;
    if (from === -1 || from >= end) return undefined;
    try {
      const doc = JSON.parse(text.slice(from)) as unknown;
      if (doc && typeof doc === "object" && !Array.isArray(doc)) return doc as Doc;
    } catch {
      // not the start of the object: look further back
    }
    if (start === -1) return undefined;
    end = start;
  }
  return undefined;
}

/** The error's own words and HTTP status; the message can itself be the API's JSON error. */
export function errorOf(error: Doc): { message: string; status?: number } {
  let message = String(error.message ?? "Gemini CLI reported an error");
  let code = typeof error.code === "number" ? error.code : undefined;
  try {
    const inner = (JSON.parse(message) as { error?: Doc }).error;
    if (inner && typeof inner.message === "string") {
      message = typeof inner.status === "string" ? `${inner.message} (${inner.status})` : inner.message;
      if (typeof inner.code === "number") code = inner.code;
    }
  } catch {
    // plain words
  }
  return code !== undefined && code >= 100 && code < 600 ? { message, status: code } : { message };
}

/** Usage summed over the models, each model's own in usageByModel when there are several. */
export function usageOf(doc: Doc, requested: string): { model: string; usage: Usage; usageByModel?: Record<string, Usage> } {
  const models = ((doc.stats ?? {}) as Doc).models as Record<string, { tokens?: Doc; api?: Doc }> | undefined;
  const usage: Usage = { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 };
  const byModel: Record<string, Usage> = {};
  let model = requested;
  let most = -1;
  for (const [name, stats] of Object.entries(models ?? {})) {
    const cached = num(stats.tokens?.cached);
    const each: Usage = {
      inputTokens: Math.max(0, num(stats.tokens?.prompt) - cached),
      outputTokens: num(stats.tokens?.candidates) + num(stats.tokens?.thoughts),
      cacheWriteTokens: 0,
      cacheReadTokens: cached,
    };
    byModel[name] = each;
    usage.inputTokens += each.inputTokens;
    usage.outputTokens += each.outputTokens;
    usage.cacheReadTokens += each.cacheReadTokens;
    // The model that did the work: the one asked for, else the one that answered most.
    const requests = name === requested ? Number.POSITIVE_INFINITY : num(stats.api?.totalRequests);
    if (requests > most) {
      most = requests;
      model = name;
    }
  }
  return Object.keys(byModel).length > 1 ? { model, usage, usageByModel: byModel } : { model, usage };
}
