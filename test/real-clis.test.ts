/**
 * Contract tests with the real agent CLIs (Claude Code, Codex, Gemini CLI, pinned in
 * scripts/agent-clis.mjs and installed from the npm registry) against model-API servers on
 * 127.0.0.1 that speak each provider's wire format (test/model-servers). For each CLI: a small
 * plan completes with `br run --auto`, with verified commits and a ledger that matches the usage
 * the server reported; and each API error shape ends, at the executor, with the right failure class.
 * Skipped, with the reason, only when the npm registry cannot be reached.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { claudeExecutor } from "../src/run/executors/claude.ts";
import { codexExecutor } from "../src/run/executors/codex.ts";
import { geminiExecutor } from "../src/run/executors/gemini.ts";
import type { Executor, ExecutorInput, FailureClass } from "../src/run/executors/types.ts";
import { claudeEnv, installed } from "./agent-clis.ts";
import { journal, tasks } from "./agent-project.ts";
import { BR, brOk, git, tempDir, tempRepo } from "./helpers.ts";
import { startAnthropicServer } from "./model-servers/anthropic.ts";
import type { Behaviour, ErrorShape, ModelServer } from "./model-servers/common.ts";
import { totalUsage } from "./model-servers/common.ts";
import { startGeminiServer } from "./model-servers/gemini.ts";
import { startOpenAiServer } from "./model-servers/openai.ts";

const RUN_DEADLINE_MS = 150_000;

interface Cli {
  name: "claude" | "codex" | "gemini";
  model: string;
  start: () => Promise<ModelServer>;
  executor: (command: string) => Executor;
  /** Files and variables that point the CLI at the server, in its own home. */
  setup: (home: string, server: ModelServer) => Record<string, string>;
}

const CLIS: Cli[] = [
  {
    name: "claude",
    model: "claude-sonnet-4-5",
    start: startAnthropicServer,
    executor: (command) => claudeExecutor({ command }),
    setup: claudeEnv,
  },
  {
    name: "codex",
    model: "gpt-5.5",
    start: startOpenAiServer,
    executor: (command) => codexExecutor({ command }),
    setup: (home, server) => {
      const codexHome = join(home, ".codex");
      mkdirSync(codexHome, { recursive: true });
      // A provider of its own: no WebSocket attempt first, and Codex's own retries turned off.
      writeFileSync(
        join(codexHome, "config.toml"),
        [
          'model_provider = "local"',
          "[model_providers.local]",
          'name = "local test server"',
          `base_url = "${server.url}/v1"`,
          'env_key = "OPENAI_API_KEY"',
          'wire_api = "responses"',
          "request_max_retries = 0",
          "stream_max_retries = 0",
          "",
        ].join("\n"),
      );
      return { HOME: home, CODEX_HOME: codexHome, OPENAI_API_KEY: "sk-test" };
    },
  },
  {
    name: "gemini",
    model: "gemini-2.5-pro",
    start: startGeminiServer,
    executor: (command) => geminiExecutor({ command }),
    setup: (home, server) => {
      mkdirSync(join(home, ".gemini"), { recursive: true });
      writeFileSync(
        join(home, ".gemini", "settings.json"),
        JSON.stringify({
          security: { auth: { selectedType: "gemini-api-key" } },
          // Gemini CLI retries 429/5xx itself (10 attempts, from 5 s apart): once is enough here.
          general: { maxAttempts: 1 },
          privacy: { usageStatisticsEnabled: false },
          telemetry: { enabled: false },
        }),
      );
      return { HOME: home, GOOGLE_GEMINI_BASE_URL: server.url, GEMINI_API_KEY: "test-key" };
    },
  },
];

/** A folder with a program named after the CLI that runs the pinned one with the server's settings. */
function wrapper(cli: Cli, command: string, env: Record<string, string>): { bin: string; program: string } {
  const bin = tempDir(`br-${cli.name}-bin-`);
  const program = join(bin, cli.name);
  const exports = Object.entries(env).map(([k, v]) => `export ${k}='${v}'`);
  writeFileSync(program, `#!/bin/sh\n${exports.join("\n")}\nexec ${command} "$@"\n`);
  chmodSync(program, 0o755);
  return { bin, program };
}

const FEATURES = ["Greeting", "Farewell"];
const SPEC = `# Two features\n\n## Features\n${FEATURES.map(
  (name, i) =>
    `\n### ${name}\n${i > 0 ? `Depends on: ${FEATURES[i - 1]}\n` : ""}Say something about ${name.toLowerCase()}.\nAcceptance criteria:\n- It returns its own id\nFiles: src/**, test/**\n`,
).join("")}`;

/** A git repository with a Node project whose test command really runs the written tests, and its plan. */
function planProject(cli: Cli): string {
  const cwd = tempRepo();
  writeFileSync(
    join(cwd, "package.json"),
    `${JSON.stringify({ name: "two", private: true, scripts: { test: "node --test" } }, null, 2)}\n`,
  );
  writeFileSync(join(cwd, "PROJECT_SPEC.md"), SPEC);
  brOk(["init", "two"], { cwd });
  brOk(["config", "set", "commands.test", "node --test"], { cwd });
  if (cli.name !== "claude") brOk(["config", "set", `executors.${cli.name}.model`, cli.model], { cwd });
  brOk(["spec", "sync"], { cwd });
  brOk(["tasks", "generate"], { cwd });
  git(cwd, "add", "-A");
  git(cwd, "commit", "-qm", "plan");
  return cwd;
}

/** The executor's input for task greeting.core in a fresh repository, asking `ask`. */
function taskInput(cli: Cli, ask: string, extra: Partial<ExecutorInput>): ExecutorInput {
  const cwd = tempRepo();
  return {
    taskId: "greeting.core",
    prompt: `# Task greeting.core: Greeting\n\n${ask}\n`,
    promptFile: join(cwd, ".prompt.md"),
    model: cli.model,
    workdir: cwd,
    timeoutMs: 60_000,
    ...extra,
  };
}

/** Runs br with a deadline: a hung run fails the test instead of holding the suite. */
function brRun(args: string[], cwd: string, path: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: path, NO_COLOR: "1", BR_TELEMETRY_DISABLED: "1" };
  delete env.NODE_TEST_CONTEXT;
  return new Promise((done) => {
    const child = spawn(process.execPath, [BR, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_DEADLINE_MS);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr: code === null ? `${stderr}\n(killed after ${RUN_DEADLINE_MS} ms)` : stderr });
    });
  });
}

const SHAPES: [string, Behaviour, FailureClass][] = [
  ...(
    [
      ["auth", "setup"],
      ["quota", "setup"],
      ["unknown-model", "setup"],
      ["rate-limit", "transient"],
      ["server", "transient"],
      ["overloaded", "transient"],
    ] as [ErrorShape, FailureClass][]
  ).map(([error, expected]): [string, Behaviour, FailureClass] => [error, { kind: "error", error }, expected]),
  ["dropped connection", { kind: "drop" }, "transient"],
  ["no answer (hang)", { kind: "hang" }, "transient"],
];

for (const cli of CLIS) {
  const { command, skip } = installed(cli.name);
  describe(`${cli.name} (the real CLI)`, { skip: skip ?? false }, () => {
    let server: ModelServer;
    let program: string;
    let bin: string;
    before(async () => {
      server = await cli.start();
      ({ program, bin } = wrapper(cli, command ?? "", cli.setup(tempDir(`br-${cli.name}-home-`), server)));
    });
    after(() => server?.close());

    it("completes a 2-feature plan with br run --auto: verified commits, and the ledger holds the usage the server reported", async () => {
      server.behaviour = { kind: "work" };
      server.usage.length = 0;
      const cwd = planProject(cli);
      const result = await brRun(["run", "--auto", "--executor", cli.name, "--json"], cwd, `${bin}:${process.env.PATH}`);
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      const all = tasks(cwd);
      assert.ok(all.length >= 2);
      assert.ok(
        all.every((t) => t.status === "done"),
        JSON.stringify(all),
      );
      const log = git(cwd, "log", "--format=%s");
      for (const t of all) assert.match(log, new RegExp(`br: ${t.id.replace(".", "\\.")}:`));
      assert.equal(git(cwd, "status", "--porcelain"), "", "nothing left uncommitted");
      const rows = journal(cwd);
      const served = totalUsage(server.usage);
      const ledger = {
        inputTokens: rows.reduce((s, r) => s + r.input_tokens, 0),
        outputTokens: rows.reduce((s, r) => s + r.output_tokens, 0),
        cacheWriteTokens: rows.reduce((s, r) => s + r.cache_write_tokens, 0),
        cacheReadTokens: rows.reduce((s, r) => s + r.cache_read_tokens, 0),
      };
      assert.deepEqual(ledger, served);
      assert.ok(rows.every((r) => r.cost_usd > 0));
      if (cli.name === "claude") assert.ok(rows.every((r) => r.cost_source === "reported"));
    });

    /** A fresh plan with the loop's outage handling made quick: retries without pauses. */
    const outageProject = (settings: [string, string][]) => {
      const cwd = planProject(cli);
      for (const [key, value] of [["run.retryDelaySeconds", "0"], ...settings] as [string, string][])
        brOk(["config", "set", key, value], { cwd });
      git(cwd, "commit", "-qam", "outage settings");
      return cwd;
    };
    const path = () => `${bin}:${process.env.PATH}`;

    it("a bad key stops br run within seconds: exit 2 with the fix, no attempt counted, the task left ready", async () => {
      server.behaviour = { kind: "error", error: "auth" };
      const cwd = outageProject([]);
      const started = Date.now();
      const result = await brRun(["run", "--auto", "--executor", cli.name, "--json"], cwd, path());
      assert.equal(result.code, 2, `${result.stdout}\n${result.stderr}`);
      assert.ok(Date.now() - started < 60_000, "in seconds, not after retries");
      assert.match(JSON.parse(result.stdout).setupFailure.fix, /credentials|key/i);
      assert.deepEqual(
        journal(cwd).map((r) => r.outcome),
        ["setup"],
      );
      assert.ok(tasks(cwd).every((t) => t.status === "ready" || t.status === "pending"));
      assert.equal(git(cwd, "status", "--porcelain"), "");
    });

    it("an outage (529/503) is retried on the same tier; when it outlasts the retries the run stops, the task ready", async () => {
      server.behaviour = { kind: "error", error: "overloaded" };
      const cwd = outageProject([["run.transientRetries", "1"]]);
      const result = await brRun(["run", "--auto", "--executor", cli.name, "--json"], cwd, path());
      assert.equal(result.code, 1, `${result.stdout}\n${result.stderr}`);
      const rows = journal(cwd);
      assert.deepEqual(
        rows.map((r) => [r.outcome, r.attempt, r.model, r.tier]),
        [
          ["transient", 1, rows[0]?.model, rows[0]?.tier],
          ["transient", 1, rows[0]?.model, rows[0]?.tier],
        ],
        "nothing escalates on an outage",
      );
      assert.equal(tasks(cwd).find((t) => t.id === rows[0]?.task_id)?.status, "ready");
      server.behaviour = { kind: "work" };
      const resumed = await brRun(["run", "--auto", "--executor", cli.name], cwd, path());
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.ok(tasks(cwd).every((t) => t.status === "done"));
    });

    it("a provider that never answers (no network) is stopped by the idle timeout and handled as an outage", async () => {
      server.behaviour = { kind: "hang" };
      const cwd = outageProject([
        ["run.transientRetries", "0"],
        // Long enough for a CLI to start on a loaded machine (Gemini CLI takes seconds to print its first event).
        ["run.idleTimeoutSeconds", "15"],
      ]);
      const started = Date.now();
      const result = await brRun(["run", "--auto", "--executor", cli.name, "--json"], cwd, path());
      assert.equal(result.code, 1, `${result.stdout}\n${result.stderr}`);
      assert.ok(Date.now() - started < 90_000);
      assert.deepEqual(
        journal(cwd).map((r) => r.outcome),
        ["transient"],
      );
      assert.match(JSON.parse(result.stdout).outage, /printed nothing|stream|network|disconnect|timed out/i);
    });

    if (cli.name === "codex")
      it("while Codex reconnects after dropped streams, its notices on stdout do not keep it alive past the idle timeout", async () => {
        // Every stream is dropped: Codex prints `error` events ("Reconnecting… 2/5") 1–5 s apart
        // for about 30 s, which without care would look like progress to the idle timeout.
        server.behaviour = { kind: "drop" };
        const home = tempDir("br-codex-reconnecting-");
        const retrying = cli.setup(home, server);
        // The built-in provider pointed at the server, as a gateway user would (openai_base_url):
        // Codex's own retries stay at their defaults and report themselves on stdout.
        writeFileSync(join(home, ".codex", "config.toml"), `openai_base_url = "${server.url}/v1"\n`);
        const retryingBin = wrapper(cli, command ?? "", retrying).bin;
        const cwd = outageProject([
          ["run.transientRetries", "0"],
          ["run.idleTimeoutSeconds", "8"],
        ]);
        const started = Date.now();
        const result = await brRun(["run", "--auto", "--executor", "codex", "--json"], cwd, `${retryingBin}:${process.env.PATH}`);
        assert.equal(result.code, 1, `${result.stdout}\n${result.stderr}`);
        // Codex would go on reconnecting for about 30 s.
        assert.ok(Date.now() - started < 25_000, `stopped after ${Date.now() - started} ms`);
        assert.deepEqual(
          journal(cwd).map((r) => r.outcome),
          ["transient"],
        );
        assert.match(JSON.parse(result.stdout).outage, /printed nothing/);
      });

    if (cli.name === "gemini")
      it("an untrusted folder (custom args without --skip-trust) stops br run with exit 2 and says how to trust it", async () => {
        server.behaviour = { kind: "work" };
        const cwd = outageProject([["executors.gemini.args", '["--yolo"]']]);
        const result = await brRun(["run", "--auto", "--executor", "gemini", "--json"], cwd, path());
        assert.equal(result.code, 2, `${result.stdout}\n${result.stderr}`);
        assert.match(JSON.parse(result.stdout).setupFailure.fix, /--skip-trust/);
        assert.deepEqual(
          journal(cwd).map((r) => r.outcome),
          ["setup"],
        );
      });

    if (cli.name === "claude")
      it("may run the project's check commands (--allowedTools from checkCommands); without them the denial is reported", async () => {
        server.behaviour = { kind: "work", run: "node --test" };
        const run = async (checkCommands?: string[]) =>
          cli.executor(program).run(taskInput(cli, "Write it and run the tests.", checkCommands ? { checkCommands } : {}));
        const allowed = await run(["node --test"]);
        assert.equal(allowed.success, true, allowed.summary);
        assert.equal(allowed.permissionDenials, undefined);
        const denied = await run();
        assert.deepEqual(denied.permissionDenials, ["Bash: node --test"]);
        assert.match(denied.summary, /permission denied: Bash: node --test/);
      });

    for (const [name, behaviour, expected] of SHAPES) {
      it(`an API answer of ${name} ends the attempt as a ${expected} failure`, async () => {
        server.behaviour = behaviour;
        // Only the hang needs an idle timeout; long enough for a CLI to start on a loaded machine.
        const input = taskInput(cli, "Write it.", behaviour.kind === "hang" ? { idleTimeoutMs: 15_000 } : {});
        const report = await cli.executor(program).run(input);
        assert.equal(report.success, false, report.summary);
        assert.equal(report.failure?.class, expected, `${report.summary} (exit ${report.exitCode})`);
        assert.ok(report.summary.length > 0 && !/no details/.test(report.summary));
        if (name === "no answer (hang)") assert.equal(report.idle, true);
      });
    }
  });
}
