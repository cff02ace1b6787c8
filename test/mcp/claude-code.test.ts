/**
 * The real Claude Code CLI (pinned in scripts/agent-clis.mjs) with br as its MCP server and its
 * Stop hook, against a model-API server on 127.0.0.1 that speaks the Anthropic wire format and
 * plays a scripted model: it takes a task with br's start_task tool, writes work whose test fails
 * and tries to stop; `br verify --hook` blocks the stop with the failing test, the model reads the
 * reason and fixes the work, and the next stop is allowed. Everything is set up as a user would:
 * `br mcp install` and `br hooks install --agent claude`.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { claudeEnv, installed } from "../agent-clis.ts";
import { project, tasks } from "../agent-project.ts";
import { BR, br, brOk, git, tempDir } from "../helpers.ts";
import { type Message, startAnthropicServer } from "../model-servers/anthropic.ts";
import type { ModelServer } from "../model-servers/common.ts";

const DEADLINE_MS = 180_000;

const TEST_FILE =
  'const test = require("node:test");\nconst assert = require("node:assert");\nconst { greet } = require("../src/greeting.js");\ntest("greets", () => assert.equal(greet(), "hello"));\n';

function blocksOf(message: Message | undefined): { type: string; text?: string; tool_use_id?: string; content?: unknown }[] {
  if (!message) return [];
  return typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content;
}

const write = (id: string, path: string, content: string) => ({ type: "tool_use", id, name: "Write", input: { file_path: path, content } });
const say = (text: string) => ({ content: [{ type: "text", text }], stopReason: "end_turn" });

/** The scripted model: which answer each step of the conversation gets. */
function scriptFor(cwd: string) {
  const greeting = (word: string) => `module.exports = { greet: () => ${JSON.stringify(word)} };\n`;
  return (request: { messages: Message[] }) => {
    const last = blocksOf(request.messages.at(-1));
    const resultOf = (prefix: string) => last.some((b) => b.type === "tool_result" && b.tool_use_id?.startsWith(prefix));
    const feedback = last.some((b) => b.type === "text" && /Stop hook feedback/.test(b.text ?? ""));
    if (request.messages.length === 1)
      return {
        content: [{ type: "tool_use", id: "toolu_start", name: "mcp__br__start_task", input: { id: "greeting.core" } }],
        stopReason: "tool_use",
      };
    if (resultOf("toolu_start"))
      return {
        content: [
          write("toolu_bad_0", join(cwd, "src", "greeting.js"), greeting("helo")),
          write("toolu_bad_1", join(cwd, "test", "greeting.test.js"), TEST_FILE),
        ],
        stopReason: "tool_use",
      };
    if (resultOf("toolu_bad")) return say("Done: greeting.core is implemented.");
    if (feedback) return { content: [write("toolu_fix", join(cwd, "src", "greeting.js"), greeting("hello"))], stopReason: "tool_use" };
    if (resultOf("toolu_fix")) return say("Fixed the greeting; the test passes now.");
    return say("Done.");
  };
}

function run(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), DEADLINE_MS);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr: code === null ? `${stderr}\n(killed after ${DEADLINE_MS} ms)` : stderr });
    });
  });
}

const { command, skip } = installed("claude");

describe("Claude Code (the real CLI) with br's MCP server and Stop hook", { skip: skip ?? false }, () => {
  let server: ModelServer;
  let cwd: string;
  before(async () => {
    cwd = project().cwd;
    server = await startAnthropicServer(scriptFor(cwd));
  });
  after(() => server.close());

  it("calls a br tool; the Stop hook blocks while the test fails and allows the stop once it passes", async () => {
    // `br` on the agent's PATH, as a user who installed it has it.
    const bin = tempDir("br-bin-");
    writeFileSync(join(bin, "br"), `#!/bin/sh\nexec "${process.execPath}" "${BR}" "$@"\n`);
    chmodSync(join(bin, "br"), 0o755);
    brOk(["mcp", "install", "--client", "claude"], { cwd });
    brOk(["hooks", "install", "--agent", "claude", "--max-blocks", "3"], { cwd });
    git(cwd, "add", "-A");
    git(cwd, "commit", "-qm", "br for Claude Code");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...claudeEnv(tempDir("br-claude-home-"), server),
      PATH: `${bin}:${process.env.PATH}`,
      NO_COLOR: "1",
      BR_TELEMETRY_DISABLED: "1",
      // Wait for br's server before the first request (by default Claude Code gives servers ~2 s).
      MCP_CONNECTION_NONBLOCKING: "0",
      MCP_CONNECT_TIMEOUT_MS: "30000",
    };
    delete env.NODE_TEST_CONTEXT;
    const args = [
      "-p",
      "Take the next task with br and do it.",
      "--output-format",
      "stream-json",
      "--verbose",
      "--model",
      "claude-sonnet-4-5",
    ];
    const result = await run(
      command ?? "",
      [...args, "--permission-mode", "acceptEdits", "--allowedTools", "mcp__br__start_task"],
      cwd,
      env,
    );
    assert.equal(result.code, 0, `${result.stderr}\n${result.stdout.slice(-3000)}`);

    const bodies = server.requests.filter((r) => r.method === "POST").map((r) => r.body);
    // br's tool answered the call: its result (the task, started from HEAD) went back to the model.
    const started = bodies.find((b) => b.includes('"tool_use_id":"toolu_start"'));
    assert.ok(started, "a request carried start_task's result");
    assert.match(started, /greeting\.core/);
    assert.match(started, /startedFrom/);
    // The first stop was blocked with the failing test as the reason.
    const blocked = bodies.find((b) => b.includes("Stop hook feedback"));
    assert.ok(blocked, "a stop was blocked");
    assert.match(blocked, /task greeting.core is not done yet/);
    assert.match(blocked, /The check \\"test\\" \(node --test\) failed/);
    assert.equal(bodies.filter((b) => b.includes("Stop hook feedback")).length >= 1, true);
    // The fixed work ended the session: the last request is the one after the fix.
    assert.ok(bodies.at(-1)?.includes("toolu_fix"), "the model's last turn followed its fix");
    assert.match(readFileSync(join(cwd, "src", "greeting.js"), "utf8"), /"hello"/);
    assert.equal(tasks(cwd).find((t) => t.id === "greeting.core")?.status, "running", "the hook judges; it does not mark work done");
    const verify = br(["verify", "--json"], { cwd });
    assert.equal(verify.code, 0, verify.stdout);
  });
});
