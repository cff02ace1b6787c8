/** Resuming after br was killed: the next `br run` finishes or undoes what was in flight, without help. */
import assert from "node:assert/strict";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { calls, commandProject, statusOf, summaryOf } from "./agent-project.ts";
import { BR, br, brSpawn, git, tempDir, waitFor } from "./helpers.ts";

describe("resume without help", () => {
  it("after kill -9 while the agent works, the next run undoes its files (keeping copies) and retries it", async () => {
    const p = commandProject("slow", { FAKE_AGENT_SLEEP: "3", FAKE_AGENT_WRITE_FIRST: "1" });
    const child = brSpawn(["run", "--auto"], { cwd: p.cwd, env: p.env });
    const exited = new Promise((resolve) => child.on("close", resolve));
    await waitFor(() => existsSync(join(p.cwd, "src", "greeting_core.js")), "the agent's first file");
    child.kill("SIGKILL");
    await exited;
    const next = br(["run", "--auto", "--max-tasks", "1", "--json"], { cwd: p.cwd, env: { ...p.env, FAKE_AGENT_MODE: "good" } });
    assert.equal(next.code, 0, next.stderr);
    const summary = summaryOf(next.stdout);
    assert.deepEqual(summary.recovered.retried, ["greeting.core"]);
    assert.ok(summary.recovered.keptCopies && existsSync(join(summary.recovered.keptCopies, "src", "greeting_core.js")));
    assert.deepEqual(summary.done, ["greeting.core"]);
    assert.equal(git(p.cwd, "status", "--porcelain"), "");
  });

  it("a kill between verification and the commit: the next run commits the verified work from the journal", async () => {
    const p = commandProject("good");
    // A one-shot pre-commit hook that kills br the first time br commits: the nearest br above git
    // (git's parent is br's query shell, or br itself when br spawned git).
    const hook = join(p.cwd, ".git", "hooks", "pre-commit");
    writeFileSync(
      hook,
      `#!/bin/sh\nrm -f "$0"\np=$PPID\nwhile [ "$p" -gt 1 ]; do\n  case "$(ps -o args= -p "$p")" in *bin/br.js*) kill -9 "$p"; break ;; esac\n  p=$(ps -o ppid= -p "$p" | tr -d ' ')\ndone\nexit 1\n`,
    );
    chmodSync(hook, 0o755);
    const killed = br(["run", "--auto", "--max-tasks", "1"], { cwd: p.cwd, env: p.env });
    assert.equal(killed.code, null, "br was killed");
    await waitFor(() => !existsSync(join(p.cwd, ".git", "index.lock")), "git to finish after the hook");
    assert.equal(statusOf(p.cwd, "greeting.core"), "done");
    assert.notEqual(git(p.cwd, "status", "--porcelain", "--", "src"), "", "verified but not committed");
    const next = br(["run", "--auto", "--max-tasks", "1", "--json"], { cwd: p.cwd, env: p.env });
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(summaryOf(next.stdout).recovered.done, ["greeting.core"]);
    assert.match(git(p.cwd, "log", "--format=%s"), /br: greeting\.core:/);
    assert.equal(calls(p).filter((c) => c.task === "greeting.core").length, 1, "not run again");
    assert.equal(git(p.cwd, "status", "--porcelain"), "");
  });
});

describe("resume and br's own record", () => {
  it("an agent's edit of br's record survives no kill: the next run puts it back", async () => {
    const never = join(tempDir("br-never-"), "go");
    const p = commandProject("br-caller", { FAKE_AGENT_BR: BR, FAKE_AGENT_WAIT_FOR: never });
    const features = join(p.cwd, ".buildrunner", "features.json");
    const child = brSpawn(["run", "--auto"], { cwd: p.cwd, env: p.env });
    const exited = new Promise((resolve) => child.on("close", resolve));
    await waitFor(() => readFileSync(features, "utf8").includes("Sneaky"), "the agent's br features add");
    child.kill("SIGKILL");
    await exited;
    const next = br(["run", "--auto", "--max-tasks", "1"], {
      cwd: p.cwd,
      env: { ...p.env, FAKE_AGENT_MODE: "good", FAKE_AGENT_WAIT_FOR: "" },
    });
    assert.equal(next.code, 0, next.stderr);
    assert.doesNotMatch(readFileSync(features, "utf8"), /Sneaky/);
    assert.doesNotMatch(git(p.cwd, "log", "-p", "--", ".buildrunner/features.json"), /Sneaky/, "never committed");
  });
});
