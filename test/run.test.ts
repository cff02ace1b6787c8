import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { calls, FAKE_AGENT, fakeAgentsOnPath, journal, project, SPEC, tasks } from "./agent-project.ts";
import { br, brAsync, brJson, brOk, brSpawn, git, snapshot, tempDir, tempRepo, waitFor } from "./helpers.ts";

interface Summary {
  done: string[];
  failed: { id: string; reason: string }[];
  attempts: number;
  costUsd: number;
  costByModel: Record<string, number>;
  tokens: { inputTokens: number; cacheReadTokens: number };
  stoppedBecause?: string;
  completedFeatures: string[];
  recovered: { retried: string[]; done: string[] };
}

describe("br run", () => {
  it("with an agent that does the work, completes the 5-feature plan: every task done and verified once, every feature complete", () => {
    const p = project("good");
    const result = br(["run", "--auto", "--json"], { cwd: p.cwd, env: p.env });
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as Summary;
    const all = tasks(p.cwd);
    assert.ok(all.length >= 10);
    assert.ok(
      all.every((t) => t.status === "done"),
      JSON.stringify(all.map((t) => t.status)),
    );
    assert.deepEqual(summary.done.sort(), all.map((t) => t.id).sort());
    const features = brJson<{ features: { status: string }[] }>(["features", "list"], { cwd: p.cwd }).features;
    assert.deepEqual(
      features.map((f) => f.status),
      ["complete", "complete", "complete", "complete", "complete"],
    );
    assert.equal(summary.completedFeatures.length, 5);
    const rows = journal(p.cwd);
    assert.equal(rows.length, all.length, "one attempt per task");
    assert.ok(rows.every((r) => r.outcome === "passed" && r.cost_source === "reported" && r.cost_usd > 0 && r.input_tokens > 0));
    assert.equal(calls(p).length, all.length, "the agent ran once per task");
    // Each verified task is its own commit.
    const log = git(p.cwd, "log", "--format=%s");
    for (const t of all) assert.match(log, new RegExp(`br: ${t.id.replace(".", "\\.")}:`));
    assert.equal(git(p.cwd, "status", "--porcelain"), "", "nothing left uncommitted");
    assert.ok(Math.abs(summary.costUsd - rows.reduce((s, r) => s + r.cost_usd, 0)) < 1e-9);
  });

  for (const [mode, reason] of [
    ["lazy", /changed no files/],
    ["breaker", /test failed \(`node --test`, exit 1\)/],
    ["is_error", /executor reported failure: Reached the maximum number of turns/],
  ] as const) {
    it(`never marks a task done for an agent that is ${mode}: retried, then failed with the reason`, () => {
      const p = project(mode);
      const result = br(["run", "--auto", "--max-tasks", "1"], { cwd: p.cwd, env: p.env });
      assert.equal(result.code, 1, result.stdout + result.stderr);
      const first = tasks(p.cwd).find((t) => t.id === "greeting.core");
      assert.equal(first?.status, "failed");
      assert.match(first?.failureReason ?? "", reason);
      assert.match(result.stdout, reason);
      assert.ok(!tasks(p.cwd).some((t) => t.status === "done"));
      const rows = journal(p.cwd);
      assert.deepEqual(
        rows.map((r) => [r.task_id, r.attempt, r.outcome]),
        [
          ["greeting.core", 1, "failed"],
          ["greeting.core", 2, "failed"],
        ],
      );
      assert.equal(rows[1]?.tier, "opus", "the retry escalates a tier");
      assert.equal(git(p.cwd, "status", "--porcelain", "--", "src", "test"), "", "a failed attempt's changes are reverted");
    });
  }

  it("judges by the agent's report, not its exit code: a good report with exit 1 passes", () => {
    const p = project("exit1");
    assert.equal(br(["run", "--auto", "--max-tasks", "1"], { cwd: p.cwd, env: p.env }).code, 0);
    assert.equal(tasks(p.cwd).find((t) => t.id === "greeting.core")?.status, "done");
  });

  it("stops an agent that hangs at the timeout and records why", () => {
    const p = project("hang");
    brOk(["config", "set", "executors.claude.timeoutSeconds", "2"], { cwd: p.cwd });
    brOk(["config", "set", "run.maxAttempts", "1"], { cwd: p.cwd });
    git(p.cwd, "commit", "-qam", "config");
    const started = Date.now();
    const result = br(["run", "--auto", "--max-tasks", "1"], { cwd: p.cwd, env: p.env });
    assert.equal(result.code, 1);
    assert.ok(Date.now() - started < 20_000);
    assert.match(tasks(p.cwd).find((t) => t.id === "greeting.core")?.failureReason ?? "", /timed out after 2 s/);
  });

  it("after kill -9 mid-run, a new run retries only the interrupted task and keeps the journal", async () => {
    const p = project("slow", { FAKE_AGENT_SLEEP: "1" });
    const child = brSpawn(["run", "--auto"], { cwd: p.cwd, env: p.env });
    const exited = new Promise((resolve) => child.on("close", resolve));
    // Let two tasks finish and the third start, then kill br without warning.
    await waitFor(() => calls(p).length >= 3, "the third agent call");
    child.kill("SIGKILL");
    await exited;
    const before = calls(p).map((c) => c.task);
    const interrupted = before.at(-1) as string;
    // The user starts their own work after the kill: resuming must neither revert nor commit it.
    // (Written "later" by its time stamp: br tells the user's edits from the agent's by when they were made.)
    writeFileSync(join(p.cwd, "notes.txt"), "mine\n");
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(p.cwd, "notes.txt"), later, later);
    const refused = await brAsync(["run", "--auto"], { cwd: p.cwd, env: { ...p.env, FAKE_AGENT_MODE: "good" } });
    assert.equal(refused.code, 2);
    assert.equal(readFileSync(join(p.cwd, "notes.txt"), "utf8"), "mine\n");
    rmSync(join(p.cwd, "notes.txt"));
    const second = await brAsync(["run", "--auto", "--json"], { cwd: p.cwd, env: { ...p.env, FAKE_AGENT_MODE: "good" } });
    assert.equal(second.code, 0, second.stderr);
    const summary = JSON.parse(second.stdout) as Summary;
    assert.deepEqual(summary.recovered.retried, [], "the refused run had already recovered it");
    const counts = new Map<string, number>();
    for (const c of calls(p)) counts.set(c.task, (counts.get(c.task) ?? 0) + 1);
    for (const id of before.slice(0, -1)) assert.equal(counts.get(id), 1, `${id} was verified before the kill and not run again`);
    assert.equal(counts.get(interrupted), 2, "the interrupted task was retried once");
    assert.ok(tasks(p.cwd).every((t) => t.status === "done"));
    const outcomes = journal(p.cwd).map((r) => r.outcome);
    assert.equal(outcomes.filter((o) => o === "interrupted").length, 1);
    assert.equal(outcomes.filter((o) => o === "passed").length, tasks(p.cwd).length);
  });

  it("kill -9 of br also ends the agent it was running: nothing works (or spends) unrecorded", async () => {
    const p = project("slow", { FAKE_AGENT_SLEEP: "2" });
    const child = brSpawn(["run", "--auto"], { cwd: p.cwd, env: p.env });
    const exited = new Promise((resolve) => child.on("close", resolve));
    await waitFor(() => calls(p).length >= 1, "the first agent call");
    const db = new DatabaseSync(join(p.cwd, ".buildrunner", "state", "state.db"), { readOnly: true });
    db.exec("PRAGMA busy_timeout = 10000"); // br, or a send it started, may be writing now
    const agentPid = () =>
      (db.prepare("SELECT agent_pid FROM attempts ORDER BY id DESC LIMIT 1").get() as { agent_pid: number | null } | undefined)?.agent_pid;
    await waitFor(() => !!agentPid(), "the agent's pid in the journal");
    const pid = agentPid() as number;
    db.close();
    child.kill("SIGKILL");
    await exited;
    // Gone, or a zombie no one has reaped yet (a container's init may not).
    const alive = () => {
      const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, "utf8") : "";
      return stat !== "" && !/^\d+ \(.*\) Z/.test(stat);
    };
    for (let i = 0; i < 40 && alive(); i++) await sleep(50);
    assert.ok(!alive(), "the agent ended with br");
    await sleep(2500); // past the moment the agent would have written its files
    assert.equal(git(p.cwd, "status", "--porcelain", "--untracked-files=all", "--", "src", "test"), "");
  });

  it("after kill -9 during the checks, the next run undoes exactly what the agent produced and retries", async () => {
    const p = project("good");
    brOk(["config", "set", "commands.test", "sleep 2 && node --test"], { cwd: p.cwd });
    git(p.cwd, "commit", "-qam", "slow checks");
    const child = brSpawn(["run", "--auto", "--max-tasks", "1"], { cwd: p.cwd, env: p.env });
    const exited = new Promise((resolve) => child.on("close", resolve));
    await waitFor(() => calls(p).length >= 1, "the first agent call");
    await sleep(700); // the agent is done; br is waiting for `sleep 2 && node --test`
    child.kill("SIGKILL");
    await exited;
    // The agent wrote src/greeting_core.js (in scope) and test/greeting_core.test.js (not in this task's scope).
    const second = await brAsync(["run", "--auto", "--max-tasks", "1", "--json"], { cwd: p.cwd, env: p.env });
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual((JSON.parse(second.stdout) as Summary).recovered.retried, ["greeting.core"]);
    assert.equal(calls(p).filter((c) => c.task === "greeting.core").length, 2);
    assert.equal(tasks(p.cwd).find((t) => t.id === "greeting.core")?.status, "done");
  });

  it("--max-cost stops before the budget would be exceeded", () => {
    const p = project("good");
    const result = br(["run", "--auto", "--max-cost", "0.05", "--json"], { cwd: p.cwd, env: p.env });
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as Summary;
    assert.ok(summary.costUsd <= 0.05, `spent ${summary.costUsd}`);
    assert.ok(summary.done.length >= 1 && summary.done.length < tasks(p.cwd).length);
    assert.match(summary.stoppedBecause ?? "", /--max-cost \$0\.05/);
  });

  it("--dry-run prints the prompts and changes nothing", () => {
    const p = project("good");
    const before = snapshot(p.cwd, [".git"]);
    const result = br(["run", "--dry-run", "--max-tasks", "2"], { cwd: p.cwd, env: p.env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /# Task greeting\.core: Greeting: Implementation/);
    assert.match(result.stdout, /# Task greeting\.tests/);
    assert.match(result.stdout, /## Acceptance criteria \(all must hold\)\n\n- It returns its own id/);
    assert.deepEqual(snapshot(p.cwd, [".git"]), before);
    assert.equal(calls(p).length, 0);
  });

  it("drives Codex through `codex exec --json`, splitting cached input from input", () => {
    const p = project("good");
    brOk(["config", "set", "executors.codex.model", "gpt-5-codex"], { cwd: p.cwd });
    git(p.cwd, "commit", "-qam", "config");
    const result = br(["run", "--auto", "--executor", "codex", "--max-tasks", "1", "--json"], { cwd: p.cwd, env: p.env });
    assert.equal(result.code, 0, result.stderr);
    const [row] = journal(p.cwd);
    assert.equal(row?.model, "gpt-5-codex");
    assert.equal(row?.cache_read_tokens, 3000);
    assert.equal(row?.cost_source, "priced");
    assert.deepEqual(
      calls(p).map((c) => [c.agent, c.model]),
      [["codex", "gpt-5-codex"]],
    );
  });

  it("reads Gemini CLI's JSON stats and aider's token and cost lines", () => {
    const p = project("good");
    brOk(["config", "set", "executors.gemini.model", "gemini-2.5-pro"], { cwd: p.cwd });
    brOk(["config", "set", "executors.aider.model", "claude-sonnet-4-5"], { cwd: p.cwd });
    git(p.cwd, "commit", "-qam", "config");
    assert.equal(br(["run", "--auto", "--executor", "gemini", "--max-tasks", "1"], { cwd: p.cwd, env: p.env }).code, 0);
    assert.equal(br(["run", "--auto", "--executor", "aider", "--max-tasks", "1"], { cwd: p.cwd, env: p.env }).code, 0);
    const [gemini, aider] = journal(p.cwd);
    assert.equal(gemini?.model, "gemini-2.5-pro");
    assert.equal(gemini?.cache_read_tokens, 500);
    assert.equal(gemini?.cost_source, "priced");
    assert.equal(aider?.input_tokens, 4200);
    assert.equal(aider?.output_tokens, 1100);
    assert.equal(aider?.cost_usd, 0.03);
    assert.equal(aider?.cost_source, "reported");
  });

  it("the manual executor waits for `br tasks done` from another terminal, then verifies", async () => {
    const p = project("good");
    const run = brAsync(["run", "--auto", "--executor", "manual", "--max-tasks", "1", "--json"], { cwd: p.cwd, env: p.env });
    const promptFile = join(p.cwd, ".buildrunner", "state", "prompts", "greeting.core.attempt-1.md");
    await waitFor(() => existsSync(promptFile), "the prompt file");
    // The human does the work (here, by running the fake agent by hand) and says so.
    mkdirSync(join(p.cwd, "src"), { recursive: true });
    writeFileSync(join(p.cwd, "src", "greeting.js"), "module.exports = 'hello';\n");
    brOk(["tasks", "done", "greeting.core"], { cwd: p.cwd });
    const result = await run;
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual((JSON.parse(result.stdout) as Summary).done, ["greeting.core"]);
    assert.match(git(p.cwd, "log", "-1", "--format=%s"), /br: (greeting\.core|update plan status)/);
    assert.match(git(p.cwd, "log", "--format=%s"), /br: greeting\.core: Greeting: Implementation/);
  });

  it("drives any agent through the command executor, with placeholders and BR_* variables", () => {
    const p = project("good");
    brOk(["config", "set", "executors.command.command", `"${process.execPath}" "${FAKE_AGENT}" command --model {model} --task {task_id}`], {
      cwd: p.cwd,
    });
    git(p.cwd, "commit", "-qam", "config");
    const result = br(["run", "--auto", "--executor", "command", "--max-tasks", "2", "--json"], { cwd: p.cwd, env: p.env });
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as Summary;
    assert.equal(summary.done.length, 2);
    assert.equal(summary.costUsd, 0.004);
  });

  it("never lets an agent's edit of the kept config outlive its attempt: the hook and later commands read config.yaml", () => {
    const p = project("good");
    const cacheFile = join(p.cwd, ".buildrunner", "state", "config-cache.json");
    const retention = () => brJson<{ retentionDays: number }>(["telemetry", "status"], { cwd: p.cwd }).retentionDays;
    assert.equal(retention(), 90);
    assert.ok(existsSync(cacheFile), "the validated config is kept");
    // The agent rewrites the kept config (retention 7, as if config.yaml said so), then does the work.
    const forge = join(tempDir(), "forge.mjs");
    writeFileSync(
      forge,
      `import { readFileSync, writeFileSync } from "node:fs";
const file = ${JSON.stringify(cacheFile)};
const entry = JSON.parse(readFileSync(file, "utf8"));
entry.loaded.config.telemetry.retentionDays = 7;
writeFileSync(file, JSON.stringify(entry));
`,
    );
    const command = `"${process.execPath}" "${forge}" && "${process.execPath}" "${FAKE_AGENT}" command --model {model} --task {task_id}`;
    brOk(["config", "set", "executors.command.command", command], { cwd: p.cwd });
    git(p.cwd, "commit", "-qam", "config");
    assert.equal(retention(), 90);
    const result = br(["run", "--auto", "--executor", "command", "--max-tasks", "1", "--json"], { cwd: p.cwd, env: p.env });
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as Summary).done.length, 1);
    assert.equal(retention(), 90, "the forged entry was dropped when the attempt ended");
  });

  it("masks secrets in prompts and packs context into the token budget, listing what was left out", () => {
    const p = project("good");
    mkdirSync(join(p.cwd, "src"), { recursive: true });
    const key = ["AKIA", "Z7QWERTY4ASDFGH2"].join("");
    writeFileSync(join(p.cwd, "src", "config.js"), `module.exports = { awsKey: "${key}" };\n`);
    writeFileSync(join(p.cwd, "src", "zz-big.js"), `${"// filler line with some words in it\n".repeat(2000)}`);
    git(p.cwd, "add", "-A");
    git(p.cwd, "commit", "-qm", "files");
    brOk(["config", "set", "run.contextTokens", "800"], { cwd: p.cwd });
    git(p.cwd, "commit", "-qam", "config");
    brOk(["run", "--auto", "--max-tasks", "1"], { cwd: p.cwd, env: p.env });
    const promptsDir = join(p.cwd, ".buildrunner", "state", "prompts");
    const prompt = readFileSync(join(promptsDir, readdirSync(promptsDir)[0] as string), "utf8");
    assert.ok(!prompt.includes(key), "the key is masked");
    assert.ok(prompt.includes("AKIA****"), "its first 4 characters are kept");
    assert.match(prompt, /## Left out to stay within the budget[\s\S]*- src\/zz-big\.js \(\d+ tokens\)/);
  });

  it("never writes a planted secret unmasked: not in output, prompts, the journal or the plan", () => {
    const key = ["AKIA", "Q4RT7YU2IZ5PA3SD"].join("");
    const p = project("is_error", { FAKE_AGENT_LEAK: key });
    mkdirSync(join(p.cwd, "src"), { recursive: true });
    writeFileSync(join(p.cwd, "src", "settings.js"), `module.exports = { aws: "${key}" }; // br:allow (planted)\n`);
    git(p.cwd, "add", "-A");
    git(p.cwd, "commit", "-qm", "settings");
    const outputs = [
      br(["run", "--auto", "--max-tasks", "1"], { cwd: p.cwd, env: p.env }),
      br(["run", "--dry-run", "--max-tasks", "1"], { cwd: p.cwd, env: p.env }),
      br(["tasks", "show", "greeting.core", "--json"], { cwd: p.cwd }),
      br(["security", "check", "--json"], { cwd: p.cwd }),
      br(["security", "check", "src/settings.js", "--format", "sarif", "--config", "/dev/null"], { cwd: p.cwd }),
    ];
    for (const out of outputs) assert.ok(!`${out.stdout}${out.stderr}`.includes(key), "no command prints it");
    assert.match(outputs[0]?.stdout ?? "", /AKIA\*{16}/, "the failure reason shows it masked");
    const written: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else written.push(full);
      }
    };
    walk(join(p.cwd, ".buildrunner"));
    assert.ok(written.some((f) => f.endsWith("state.db")) && written.some((f) => f.includes("prompts")));
    for (const file of written) assert.ok(!readFileSync(file).includes(key), `${file} holds no unmasked secret`);
  });

  it("refuses uncommitted changes, unknown executors and bad limits with exit 2", () => {
    const p = project("good");
    for (const [args, message] of [
      [["--executor", "skynet"], /Unknown executor "skynet"/],
      [["--executor", "codex"], /codex executor cannot run claude-haiku-4-5: the routing ladder.s haiku step names a Claude model/],
      [["--max-tasks", "1.5"], /--max-tasks takes a whole number above 0/],
      [["--max-cost", "lots"], /--max-cost takes a number above 0/],
      [["--dry-run", "--executor", "skynet"], /Unknown executor/],
    ] as const) {
      const result = br(["run", "--auto", ...args], { cwd: p.cwd, env: p.env });
      assert.equal(result.code, 2, args.join(" "));
      assert.match(result.stderr, message);
    }
    writeFileSync(join(p.cwd, "notes.txt"), "work in progress\n");
    const dirty = br(["run", "--auto"], { cwd: p.cwd, env: p.env });
    assert.equal(dirty.code, 2);
    assert.match(dirty.stderr, /uncommitted changes \(notes\.txt\)/);
    assert.equal(calls(p).length, 0);
  });

  it("feeds a failed attempt back into the next prompt, which then passes", () => {
    const p = project("fail-first");
    assert.equal(br(["run", "--auto", "--max-tasks", "1"], { cwd: p.cwd, env: p.env }).code, 0);
    const second = readFileSync(join(p.cwd, ".buildrunner", "state", "prompts", "greeting.core.attempt-2.md"), "utf8");
    assert.match(
      second,
      /## Earlier attempts \(fix what they got wrong\)\n\nAttempt 1 failed: the executor reported success but changed no files/,
    );
    assert.deepEqual(
      journal(p.cwd).map((r) => r.outcome),
      ["failed", "passed"],
    );
  });

  it("does not accept a task whose changes build SQL from input; the finding goes to the next attempt", () => {
    const p = project("sqli-first");
    assert.equal(br(["run", "--auto", "--max-tasks", "1"], { cwd: p.cwd, env: p.env }).code, 0);
    const second = readFileSync(join(p.cwd, ".buildrunner", "state", "prompts", "greeting.core.attempt-2.md"), "utf8");
    assert.match(
      second,
      /Attempt 1 failed: security: src\/greeting_core_db\.js:1: SQL built by concatenation from `id` reaches db\.query\(\)/,
    );
    assert.deepEqual(
      journal(p.cwd).map((r) => r.outcome),
      ["failed", "passed"],
    );
    assert.ok(!existsSync(join(p.cwd, "src", "greeting_core_db.js")), "the failed attempt's file was reverted");
  });

  it("judges a task by what it added: a finding already in a file it touched is not its doing", () => {
    const p = project("legacy-toucher");
    mkdirSync(join(p.cwd, "src"), { recursive: true });
    const branches = [1, 2, 3, 4, 5].map((n) => `  if (x === ${n}) return ${n};`).join("\n");
    writeFileSync(
      join(p.cwd, "src", "legacy.js"),
      `exports.find = (db, id) => db.query("SELECT * FROM t WHERE id = " + id);\nexports.pick = (x) => {\n${branches}\n  return 0;\n};\n`,
    );
    brOk(["config", "set", "gates.complexity", "4"], { cwd: p.cwd });
    git(p.cwd, "add", "-A");
    git(p.cwd, "commit", "-qm", "legacy");
    const run = br(["run", "--auto", "--max-tasks", "1"], { cwd: p.cwd, env: p.env });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.deepEqual(
      journal(p.cwd).map((r) => r.outcome),
      ["passed"],
    );
  });

  it("holds a task's change to the quality gates: a function above the complexity limit fails the attempt", () => {
    const p = project("complex-first");
    brOk(["config", "set", "gates.complexity", "4"], { cwd: p.cwd });
    git(p.cwd, "commit", "-qam", "gates");
    assert.equal(br(["run", "--auto", "--max-tasks", "1"], { cwd: p.cwd, env: p.env }).code, 0);
    const second = readFileSync(join(p.cwd, ".buildrunner", "state", "prompts", "greeting.core.attempt-2.md"), "utf8");
    assert.match(
      second,
      /Attempt 1 failed: the complexity gate failed: 6 against 4 \(src\/greeting_core_pick\.js:1 exports\.pick: complexity 6\)/,
    );
    assert.deepEqual(
      journal(p.cwd).map((r) => r.outcome),
      ["failed", "passed"],
    );
  });

  it("reverts a failed attempt's staged files, and fails an attempt that edits the plan, with the plan put back", () => {
    const staged = project("stage-breaker");
    assert.equal(br(["run", "--auto", "--max-tasks", "1"], { cwd: staged.cwd, env: staged.env }).code, 1);
    assert.equal(git(staged.cwd, "status", "--porcelain", "--", "src", "test"), "", "staged files are reverted too");
    const cheat = project("cheater");
    const result = br(["run", "--auto", "--max-tasks", "1", "--json"], { cwd: cheat.cwd, env: cheat.env });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /changed \.buildrunner\/tasks\.json \(br's own record; only br changes it\)/);
    assert.deepEqual(
      tasks(cheat.cwd)
        .filter((t) => t.status === "done")
        .map((t) => t.id),
      [],
    );
    assert.equal(tasks(cheat.cwd).find((t) => t.id === "greeting.core")?.status, "failed");
    assert.equal(git(cheat.cwd, "status", "--porcelain", "--", "src", "test"), "", "its work is reverted");
  });

  it("never counts, commits or reverts the user's own uncommitted work (--allow-dirty)", () => {
    const p = project("lazy");
    mkdirSync(join(p.cwd, "src"), { recursive: true });
    writeFileSync(join(p.cwd, "src", "wip.js"), "// my unfinished work\n");
    const result = br(["run", "--auto", "--allow-dirty", "--max-tasks", "1"], { cwd: p.cwd, env: p.env });
    assert.equal(result.code, 1, "a do-nothing agent does not get credit for the user's file");
    assert.match(tasks(p.cwd).find((t) => t.id === "greeting.core")?.failureReason ?? "", /changed no files/);
    assert.equal(readFileSync(join(p.cwd, "src", "wip.js"), "utf8"), "// my unfinished work\n", "and the file is left alone");
  });

  it("works in a project that is a subfolder of its repository", () => {
    const repo = tempRepo();
    const cwd = join(repo, "app");
    mkdirSync(cwd);
    writeFileSync(join(cwd, "package.json"), `${JSON.stringify({ name: "app", private: true })}\n`);
    writeFileSync(join(cwd, "PROJECT_SPEC.md"), SPEC);
    const log = join(tempDir("br-agent-log-"), "calls.jsonl");
    const env = { PATH: `${fakeAgentsOnPath()}:${process.env.PATH}`, FAKE_AGENT_MODE: "good", FAKE_AGENT_LOG: log };
    brOk(["init", "app"], { cwd });
    brOk(["config", "set", "commands.test", "node --test"], { cwd });
    brOk(["spec", "sync"], { cwd });
    brOk(["tasks", "generate"], { cwd });
    git(repo, "add", "-A");
    git(repo, "commit", "-qm", "plan");
    const result = br(["run", "--auto", "--max-tasks", "2"], { cwd, env });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(git(repo, "status", "--porcelain"), "");
    assert.ok(existsSync(join(cwd, "src", "greeting_core.js")));
  });
});
