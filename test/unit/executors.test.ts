/**
 * How the agent executors read their CLI's output (src/run/executors/claude.ts, codex.ts,
 * gemini.ts): event lines and error documents as Claude Code 2.1.332, Codex 0.171.0 and Gemini CLI
 * 0.61.0 print them (recorded against the model servers in test/model-servers, trimmed), without
 * starting a CLI. test/real-clis.test.ts runs the real CLIs.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { allowedCheckTools, claudeArgs, claudeExecutor, readClaudeEvents } from "../../src/run/executors/claude.ts";
import { codexExecutor, codexFailure, readTurns, statusIn } from "../../src/run/executors/codex.ts";
import { errorOf, geminiExecutor, lastJson, meaningfulLines, usageOf } from "../../src/run/executors/gemini.ts";
import { jsonLines } from "../../src/run/executors/spawn-agent.ts";
import type { ExecutorInput } from "../../src/run/executors/types.ts";

const dir = mkdtempSync(join(tmpdir(), "br-executors-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const input = (extra: Partial<ExecutorInput> = {}): ExecutorInput => ({
  taskId: "greeting.core",
  prompt: "# Task greeting.core: Greeting\n",
  promptFile: join(dir, "prompt.md"),
  model: "claude-sonnet-4-5",
  workdir: dir,
  timeoutMs: 20_000,
  ...extra,
});

/** A stand-in CLI that prints the recorded output and exits with the recorded code. */
function recorded(name: string, stdout: string, stderr: string, code: number): string {
  const file = join(dir, name);
  writeFileSync(join(dir, `${name}.out`), stdout);
  writeFileSync(join(dir, `${name}.err`), stderr);
  writeFileSync(file, `#!/bin/sh\ncat "${file}.out"\ncat "${file}.err" >&2\nexit ${code}\n`);
  chmodSync(file, 0o755);
  return file;
}

const lines = (...events: unknown[]) => events.map((e) => JSON.stringify(e)).join("\n");

const init = { type: "system", subtype: "init", model: "claude-sonnet-4-5", session_id: "s" };
const modelUsage = (inputTokens: number, costUSD: number) => ({
  "claude-sonnet-4-5": { inputTokens, outputTokens: 207, cacheReadInputTokens: 6100, cacheCreationInputTokens: 401, costUSD },
});

describe("Claude Code's stream-json", () => {
  it("takes usage and cost from the last result's running totals, not the sum of results (result_index)", () => {
    // Two results from one process (2.1.332): `usage` is each one's own turns, modelUsage and
    // total_cost_usd are the session's running totals.
    const events = jsonLines(
      lines(
        init,
        {
          type: "result",
          subtype: "success",
          is_error: false,
          result: "first",
          result_index: 0,
          total_cost_usd: 0.016,
          usage: { input_tokens: 3060, output_tokens: 235 },
          modelUsage: modelUsage(3060, 0.016),
        },
        {
          type: "result",
          subtype: "success",
          is_error: false,
          result: "second",
          result_index: 1,
          total_cost_usd: 0.032,
          usage: { input_tokens: 2741, output_tokens: 263 },
          modelUsage: modelUsage(5801, 0.032),
        },
      ),
    );
    const report = readClaudeEvents(events, "claude-sonnet-4-5");
    assert.equal(report?.success, true);
    assert.equal(report?.summary, "second");
    assert.equal(report?.costUsd, 0.032);
    assert.deepEqual(report?.usage, { inputTokens: 5801, outputTokens: 207, cacheWriteTokens: 401, cacheReadTokens: 6100 });
    assert.equal(report?.usageByModel, undefined, "one model: no split");
  });

  it("without modelUsage (older versions), sums each result's own usage", () => {
    const result = (n: number) => ({
      type: "result",
      subtype: "success",
      is_error: false,
      result: "ok",
      usage: { input_tokens: n, output_tokens: 1 },
    });
    const report = readClaudeEvents(jsonLines(lines(init, result(10), result(20))), "claude-sonnet-4-5");
    assert.equal(report?.usage?.inputTokens, 30);
  });

  it("splits usage by model when a second model answered (a side request on a small model)", () => {
    const events = jsonLines(
      lines(init, {
        type: "result",
        subtype: "success",
        is_error: false,
        result: "ok",
        total_cost_usd: 0.02,
        modelUsage: { ...modelUsage(100, 0.019), "claude-haiku-4-5": { inputTokens: 50, outputTokens: 5, costUSD: 0.001 } },
      }),
    );
    const report = readClaudeEvents(events, "claude-sonnet-4-5");
    assert.equal(report?.usage?.inputTokens, 150);
    assert.deepEqual(Object.keys(report?.usageByModel ?? {}).sort(), ["claude-haiku-4-5", "claude-sonnet-4-5"]);
  });

  it("an is_error result that is no API error (no status, no api_error terminal reason) is the task's failure", () => {
    const events = jsonLines(
      lines(init, { type: "result", subtype: "success", is_error: true, result: "Reached the maximum number of turns", usage: {} }),
    );
    const report = readClaudeEvents(events, "claude-sonnet-4-5");
    assert.equal(report?.success, false);
    assert.notEqual(report?.failure?.class, "transient");
    assert.notEqual(report?.failure?.class, "setup");
  });

  const apiError = (status: number | null, type: string | null, result: string) =>
    jsonLines(
      lines(init, {
        type: "result",
        subtype: "success",
        is_error: true,
        api_error_status: status,
        api_error_type: type,
        terminal_reason: "api_error",
        result,
        total_cost_usd: 0,
        modelUsage: {},
        usage: { input_tokens: 0, output_tokens: 0 },
      }),
    );
  for (const [status, type, result, expected] of [
    [401, "authentication_error", "Invalid API key · Fix external API key", "setup"],
    [400, "invalid_request_error", "Credit balance is too low", "setup"],
    [
      404,
      "not_found_error",
      "There's an issue with the selected model (claude-sonnet-4-5). It may not exist or you may not have access to it. Run --model to pick a different model.",
      "setup",
    ],
    [429, "rate_limit_error", "API Error: Request rejected (429) · This request would exceed the rate limit", "transient"],
    [529, "overloaded_error", "API Error: 529 Overloaded. This is a server-side issue, usually temporary", "transient"],
    [500, "api_error", "API Error: 500 Internal server error.", "transient"],
    [null, null, "API Error: Connection dropped (ECONNRESET). Check the gateway set in ANTHROPIC_BASE_URL, then try again.", "transient"],
    [400, "invalid_request_error", "API Error: 400 prompt is too long", "task"],
    [null, null, "Request timed out.", "transient"],
  ] as const) {
    it(`sorts an API error reported as success with is_error (${status ?? "no status"}, ${type}) as ${expected}`, () => {
      const report = readClaudeEvents(apiError(status, type, result), "claude-sonnet-4-5");
      assert.equal(report?.success, false);
      assert.equal(report?.summary, result);
      assert.equal(report?.failure?.class, expected);
      assert.equal(report?.failure?.message, result);
    });
  }

  it("records permission denials and says so in the summary; a budget stop is the task's failure with its words", () => {
    const denied = readClaudeEvents(
      jsonLines(
        lines(init, {
          type: "result",
          subtype: "success",
          is_error: false,
          result: "Done.",
          permission_denials: [
            { tool_name: "Bash", tool_use_id: "t1", tool_input: { command: "npm test", description: "Run the checks" } },
          ],
        }),
      ),
      "m",
    );
    assert.deepEqual(denied?.permissionDenials, ["Bash: npm test"]);
    assert.match(denied?.summary ?? "", /permission denied: Bash: npm test/);
    const budget = readClaudeEvents(
      jsonLines(
        lines(init, {
          type: "result",
          subtype: "error_max_budget_usd",
          is_error: true,
          result: null,
          errors: ["Reached maximum budget ($0.001)"],
          terminal_reason: "budget_exhausted",
        }),
      ),
      "m",
    );
    assert.equal(budget?.summary, "Reached maximum budget ($0.001)");
    assert.equal(budget?.failure, undefined);
  });

  it("allows the check commands as Bash prefix rules, each part of a compound command on its own", () => {
    assert.deepEqual(allowedCheckTools(["npm test", "npm run lint && npx tsc --noEmit", "npm test"]), [
      "Bash(npm test:*)",
      "Bash(npm run lint:*)",
      "Bash(npx tsc --noEmit:*)",
    ]);
    const args = claudeArgs({}, input({ checkCommands: ["npm test"], maxBudgetUsd: 0.5 }));
    assert.deepEqual(args.slice(6), ["--permission-mode", "acceptEdits", "--allowedTools", "Bash(npm test:*)", "--max-budget-usd", "0.5"]);
    const custom = claudeArgs({ args: ["--permission-mode", "bypassPermissions"] }, input({ checkCommands: ["npm test"] }));
    assert.deepEqual(custom.slice(6), ["--permission-mode", "bypassPermissions"], "the user's args replace br's defaults");
  });

  it("a process that ended without a result says its exit code and stderr, and a retried API error's class", async () => {
    const retrying = lines(init, {
      type: "system",
      subtype: "api_retry",
      attempt: 3,
      max_retries: 10,
      retry_delay_ms: 2385,
      error_status: 529,
      error: "overloaded",
    });
    const command = recorded("claude-dies", retrying, "fatal: out of memory\n", 3);
    const report = await claudeExecutor({ command }).run(input());
    assert.equal(report.success, false);
    assert.match(report.summary, /exited 3: fatal: out of memory/);
    assert.equal(report.failure?.class, "transient");
  });

  it("a missing binary is a setup failure", async () => {
    const report = await claudeExecutor({ command: join(dir, "no-such-claude") }).run(input());
    assert.equal(report.failure?.class, "setup");
    assert.match(report.failure?.fix ?? "", /Install Claude Code/);
  });
});

describe("Codex's exec --json", () => {
  const started = [{ type: "thread.started", thread_id: "t" }, { type: "turn.started" }];
  it("reads a completed turn: usage with cached input (and cache writes) kept apart from input", () => {
    const turns = readTurns(
      jsonLines(
        lines(
          ...started,
          { type: "error", message: "Reconnecting... 2/5 (stream disconnected before completion: error sending request)" },
          { type: "item.completed", item: { id: "item_0", type: "error", message: "Falling back from WebSockets to HTTPS transport." } },
          { type: "item.completed", item: { id: "item_1", type: "agent_message", text: "Done." } },
          {
            type: "turn.completed",
            usage: {
              input_tokens: 9597,
              cached_input_tokens: 6100,
              cache_write_input_tokens: 0,
              output_tokens: 207,
              reasoning_output_tokens: 0,
            },
          },
        ),
      ),
    );
    assert.equal(turns.completed, true);
    assert.equal(turns.failure, undefined);
    assert.equal(turns.lastMessage, "Done.");
    assert.deepEqual(turns.usage, { inputTokens: 3497, outputTokens: 207, cacheWriteTokens: 0, cacheReadTokens: 6100 });
  });

  for (const [message, status, expected] of [
    [
      "unexpected status 401 Unauthorized: Incorrect API key provided: sk-test. You can find your API key at https://platform.openai.com/account/api-keys., url: http://127.0.0.1:1/v1/responses",
      401,
      "setup",
    ],
    ["Quota exceeded. Check your plan and billing details.", undefined, "setup"],
    ["The model `gpt-nonexistent-9` does not exist or you do not have access to it.", undefined, "setup"],
    ["exceeded retry limit, last status: 429 Too Many Requests", 429, "transient"],
    [
      "unexpected status 503 Service Unavailable: The engine is currently overloaded, please try again later., url: http://x",
      503,
      "transient",
    ],
    ["We’re currently experiencing high demand, which may cause temporary errors.", undefined, "transient"],
    ["stream disconnected before completion: error sending request", undefined, "transient"],
    ["Reconnecting... waiting for network (Connection failed: error sending request)", undefined, "transient"],
  ] as const) {
    it(`sorts "${message.slice(0, 50)}…" as ${expected}`, () => {
      assert.equal(statusIn(message), status);
      assert.equal(codexFailure(message).class, expected);
    });
  }

  it("a turn.failed run is a failure with the class; a run stopped while reconnecting is transient", async () => {
    const failed = lines(
      ...started,
      { type: "error", message: "Quota exceeded. Check your plan and billing details." },
      { type: "turn.failed", error: { message: "Quota exceeded. Check your plan and billing details." } },
    );
    const report = await codexExecutor({ command: recorded("codex-quota", failed, "", 1) }).run(input({ model: "gpt-5.5" }));
    assert.equal(report.success, false);
    assert.equal(report.summary, "Quota exceeded. Check your plan and billing details.");
    assert.equal(report.failure?.class, "setup");
    const stuck = lines(...started, {
      type: "error",
      message: "Reconnecting... waiting for network (Connection failed: error sending request)",
    });
    const file = recorded("codex-offline", stuck, "", 0);
    writeFileSync(file, `#!/bin/sh\ncat "${file}.out"\nsleep 30\n`);
    const offline = await codexExecutor({ command: file }).run(input({ model: "gpt-5.5", timeoutMs: 1500 }));
    assert.equal(offline.timedOut, true);
    assert.equal(offline.failure?.class, "transient");
    assert.match(offline.summary, /waiting for network/);
  });

  it("an old reconnect notice followed by real work does not make a later timeout an outage", async () => {
    const blip = lines(
      ...started,
      { type: "error", message: "Reconnecting... 1/5 (stream disconnected before completion)" },
      { type: "item.completed", item: { id: "i1", type: "command_execution", command: "npm test", exit_code: 0 } },
    );
    const file = recorded("codex-blip", blip, "", 0);
    writeFileSync(file, `#!/bin/sh\ncat "${file}.out"\nsleep 30\n`);
    const report = await codexExecutor({ command: file }).run(input({ model: "gpt-5.5", timeoutMs: 1500 }));
    assert.equal(report.timedOut, true);
    assert.equal(report.failure, undefined, "the task's failure: it was working, not waiting for the network");
  });
});

describe("Gemini CLI's JSON output", () => {
  const stackThenJson = [
    "YOLO mode is enabled. All tool calls will be automatically approved.",
    'Error when talking to Gemini API Full report available at: /tmp/gemini-client-error.json _ApiError: {"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}',
    "    at throwErrorIfNotOK (file:///gemini/bundle/chunk.js:267833:24)",
    "  status: 400",
    "}",
    JSON.stringify(
      {
        session_id: "s",
        error: {
          type: "Error",
          message: '{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}',
          code: 400,
        },
      },
      null,
      2,
    ),
    "",
  ].join("\n");

  it("finds the error document after the stack trace on stderr and unwraps the API's own error", () => {
    const doc = lastJson(stackThenJson);
    assert.ok(doc?.error);
    assert.deepEqual(errorOf(doc.error as Record<string, unknown>), {
      message: "API key not valid. Please pass a valid API key. (INVALID_ARGUMENT)",
      status: 400,
    });
    assert.deepEqual(errorOf({ type: "Error", message: "models/gemini-x is not found for API version v1beta", code: 1 }), {
      message: "models/gemini-x is not found for API version v1beta",
    });
  });

  for (const [name, stderr, code, expected] of [
    ["a bad key (exit 144)", stackThenJson, 144, "setup"],
    [
      "a rate limit (exit 173)",
      `Attempt 1 failed: Resource has been exhausted (e.g. check quota).. Max attempts reached\n${JSON.stringify({ session_id: "s", error: { type: "Error", message: "Resource has been exhausted (e.g. check quota).", code: 429 } }, null, 2)}\n`,
      173,
      "transient",
    ],
    [
      "an unknown model (exit 1)",
      `${JSON.stringify({ session_id: "s", error: { type: "Error", message: "models/gemini-nonexistent-9 is not found for API version v1beta, or is not supported for generateContent.", code: 1 } }, null, 2)}\n`,
      1,
      "setup",
    ],
    [
      "a dropped connection (exit 1)",
      `${JSON.stringify({ session_id: "s", error: { type: "Error", message: "exception TypeError: fetch failed sending request", code: 1 } }, null, 2)}\n`,
      1,
      "transient",
    ],
    [
      "no API key (exit 41, Gemini CLI's own auth error code)",
      `${JSON.stringify({ session_id: "s", error: { type: "Error", message: "When using Gemini API, you must specify the GEMINI_API_KEY environment variable.\nUpdate your environment and try again (no reload needed if using .env)!", code: 41 } }, null, 2)}\n`,
      41,
      "setup",
    ],
    [
      "an untrusted folder (exit 55, no JSON)",
      'Approval mode overridden to "default" because the current folder is not trusted.\n\u001b[31mGemini CLI is not running in a trusted directory. To proceed, either use `--skip-trust`, set the `GEMINI_CLI_TRUST_WORKSPACE=true` environment variable, or trust this directory in interactive mode.\u001b[0m\n',
      55,
      "setup",
    ],
  ] as const) {
    it(`reads ${name} from stderr with nothing on stdout: ${expected}, the whole message kept`, async () => {
      const report = await geminiExecutor({ command: recorded(`gemini-${code}`, "", stderr, code) }).run(
        input({ model: "gemini-2.5-pro" }),
      );
      assert.equal(report.success, false);
      assert.equal(report.exitCode, code);
      assert.equal(report.failure?.class, expected);
      if (code === 55) assert.match(report.summary, /exited 55: .*not running in a trusted directory/s);
      assert.ok(!report.summary.includes(String.fromCharCode(27)), "no colour codes");
      assert.doesNotMatch(report.summary, /^\s+at /m);
    });
  }

  it("prices each model's tokens at its own model: usage by model, the requested model first", () => {
    const doc = {
      response: "ok",
      stats: {
        models: {
          "gemini-2.5-flash-lite": { api: { totalRequests: 3 }, tokens: { prompt: 900, candidates: 30, cached: 0, thoughts: 0 } },
          "gemini-2.5-pro": { api: { totalRequests: 2 }, tokens: { prompt: 9437, candidates: 207, cached: 6100, thoughts: 50 } },
        },
      },
    };
    const { model, usage, usageByModel } = usageOf(doc, "gemini-2.5-pro");
    assert.equal(model, "gemini-2.5-pro");
    assert.deepEqual(usage, { inputTokens: 4237, outputTokens: 287, cacheWriteTokens: 0, cacheReadTokens: 6100 });
    assert.deepEqual(usageByModel?.["gemini-2.5-pro"], {
      inputTokens: 3337,
      outputTokens: 257,
      cacheWriteTokens: 0,
      cacheReadTokens: 6100,
    });
    assert.equal(meaningfulLines("a\n    at x (y:1)\n\n\u001b[31mb\u001b[0m"), "a\nb");
  });

  it("passes --output-format stream-json --yolo --skip-trust by default, and reads the streamed answer", async () => {
    const file = join(dir, "gemini-args");
    writeFileSync(
      file,
      `#!/bin/sh\necho '{"type":"init","model":"gemini-2.5-pro"}'\necho "{\\"type\\":\\"message\\",\\"role\\":\\"assistant\\",\\"content\\":\\"$*\\"}"\necho '{"type":"result","status":"success","stats":{"models":{"gemini-2.5-pro":{"input_tokens":900,"cached":100,"output_tokens":40}}}}'\n`,
    );
    chmodSync(file, 0o755);
    const report = await geminiExecutor({ command: file }).run(input({ model: "gemini-2.5-pro" }));
    assert.equal(report.success, true);
    assert.match(report.summary, /--output-format stream-json --model gemini-2.5-pro --yolo --skip-trust$/);
    assert.deepEqual(report.usage, { inputTokens: 800, outputTokens: 40, cacheWriteTokens: 0, cacheReadTokens: 100 });
  });

  it("reads an API error from the stream's result event, with the status from the exit code", async () => {
    const file = join(dir, "gemini-error");
    const result = {
      type: "result",
      status: "error",
      error: { type: "unknown", message: "[API Error: The model is overloaded. Please try again later.]" },
      stats: { models: { "gemini-2.5-pro": { input_tokens: 0, cached: 0, output_tokens: 0 } } },
    };
    writeFileSync(file, `#!/bin/sh\necho '${JSON.stringify(result)}'\nexit 247\n`);
    chmodSync(file, 0o755);
    const report = await geminiExecutor({ command: file }).run(input({ model: "gemini-2.5-pro" }));
    assert.equal(report.success, false);
    assert.equal(report.summary, "The model is overloaded. Please try again later.");
    assert.equal(report.failure?.class, "transient");
    const auth = {
      ...result,
      error: {
        type: "unknown",
        message:
          '[API Error: {"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}]',
      },
    };
    writeFileSync(file, `#!/bin/sh\necho '${JSON.stringify(auth)}'\nexit 144\n`);
    const bad = await geminiExecutor({ command: file }).run(input({ model: "gemini-2.5-pro" }));
    assert.equal(bad.failure?.class, "setup");
    assert.match(bad.summary, /API key not valid/);
  });
});
