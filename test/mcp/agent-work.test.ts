/**
 * Work an agent does outside br run, judged like br run's own attempts: completion through the MCP
 * tool cannot be gamed by a protected change, work the agent committed as it went is measured from
 * where it began (its commits kept), and `br verify` / `br tasks start` give the same judgement on
 * the command line.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { project, tasks } from "../agent-project.ts";
import { br, brOk, git } from "../helpers.ts";
import { connectBr } from "./client.ts";
import { writeGreeting } from "./greeting.ts";

const statusOf = (cwd: string, id: string) => tasks(cwd).find((t) => t.id === id)?.status;

describe("completion cannot be gamed", () => {
  it("a protected change (the test script neutered) is refused, though every check then passes", async () => {
    const { cwd } = project();
    const mcp = await connectBr(cwd);
    try {
      await mcp.call("start_task", { id: "greeting.core" });
      writeGreeting(cwd, false);
      const pkg = JSON.parse(readFileSync(join(cwd, "package.json"), "utf8")) as { scripts: Record<string, string> };
      pkg.scripts.test = "exit 0";
      writeFileSync(join(cwd, "package.json"), JSON.stringify(pkg));
      brOk(["config", "set", "commands.test", "npm test"], { cwd });
      const reply = await mcp.call("complete_task", { id: "greeting.core" });
      assert.equal(reply.isError, true, reply.text);
      assert.equal(reply.json.done, false);
      assert.equal(statusOf(cwd, "greeting.core"), "running");
    } finally {
      await mcp.close();
    }
  });

  it("a protected change the agent committed itself is still seen: committing does not launder it", async () => {
    const { cwd } = project();
    brOk(["config", "set", "commands.test", "npm test"], { cwd });
    git(cwd, "commit", "-qam", "npm test");
    const mcp = await connectBr(cwd);
    try {
      await mcp.call("start_task", { id: "greeting.core" });
      mkdirSync(join(cwd, "src"), { recursive: true });
      writeFileSync(join(cwd, "src", "greeting.js"), "module.exports = { greet: () => 'helo' };\n");
      const pkg = JSON.parse(readFileSync(join(cwd, "package.json"), "utf8")) as { scripts: Record<string, string> };
      pkg.scripts.test = "exit 0";
      writeFileSync(join(cwd, "package.json"), JSON.stringify(pkg));
      git(cwd, "add", "-A");
      git(cwd, "commit", "-qm", "agent: greeting");
      const reply = await mcp.call("complete_task", { id: "greeting.core" });
      assert.equal(reply.isError, true, reply.text);
      assert.match(String((reply.json.verification as { reason: string }).reason), /package\.json/);
      assert.equal(statusOf(cwd, "greeting.core"), "running");
    } finally {
      await mcp.close();
    }
  });

  it("work that changes while it is verified is not committed: what is done is exactly what passed", async () => {
    const { cwd } = project();
    brOk(["config", "set", "commands.test", "node --test && echo '// late edit' >> src/greeting.js"], { cwd });
    git(cwd, "commit", "-qam", "a check that races the commit");
    const mcp = await connectBr(cwd);
    try {
      await mcp.call("start_task", { id: "greeting.core" });
      writeGreeting(cwd, true);
      const reply = await mcp.call("complete_task", { id: "greeting.core" });
      assert.equal(reply.isError, true, reply.text);
      assert.match(
        String((reply.json.verification as { reason: string }).reason),
        /the work changed while it was verified \(src\/greeting\.js\)/,
      );
      assert.equal(statusOf(cwd, "greeting.core"), "running");
      assert.equal(git(cwd, "log", "-1", "--format=%s").trim(), "a check that races the commit");
    } finally {
      await mcp.close();
    }
  });

  it("work the agent committed as it went is judged from where it began, and its commits are kept", async () => {
    const { cwd } = project();
    const mcp = await connectBr(cwd);
    try {
      await mcp.call("start_task", { id: "greeting.core" });
      const base = git(cwd, "rev-parse", "HEAD").trim();
      writeGreeting(cwd, false);
      git(cwd, "add", "-A");
      git(cwd, "commit", "-qm", "agent: greeting, first go");
      const failing = await mcp.call("complete_task", { id: "greeting.core" });
      assert.equal(failing.isError, true, "the committed work is still judged");
      assert.deepEqual((failing.json.verification as { changedFiles: string[] }).changedFiles, [
        "src/greeting.js",
        "test/greeting.test.js",
      ]);
      writeGreeting(cwd, true);
      git(cwd, "commit", "-qam", "agent: greeting, fixed");
      const done = await mcp.call("complete_task", { id: "greeting.core" });
      assert.equal(done.json.done, true, done.text);
      const log = git(cwd, "log", "--format=%s", `${base}..HEAD`).trim().split("\n");
      assert.ok(log.includes("agent: greeting, first go") && log.includes("agent: greeting, fixed"), log.join(" | "));
      assert.equal(statusOf(cwd, "greeting.core"), "done");
    } finally {
      await mcp.close();
    }
  });
});

describe("br verify and br tasks start on the command line", () => {
  it("br tasks start records where the work begins; br verify judges the work since, exit 1 while it fails", () => {
    const { cwd } = project();
    const none = br(["verify"], { cwd });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /No task is started here/);
    brOk(["tasks", "start", "greeting.core"], { cwd });
    writeGreeting(cwd, false);
    const failing = br(["verify", "--json"], { cwd });
    assert.equal(failing.code, 1);
    const report = JSON.parse(failing.stdout) as { task: string; passed: boolean; checks: { name: string; passed: boolean }[] };
    assert.equal(report.task, "greeting.core");
    assert.equal(report.passed, false);
    assert.equal(report.checks.find((c) => c.name === "test")?.passed, false);
    writeGreeting(cwd, true);
    const passing = br(["verify", "greeting.core"], { cwd });
    assert.equal(passing.code, 0, passing.stderr);
    assert.match(passing.stdout, /greeting.core: the work passes its verification/);
    assert.equal(statusOf(cwd, "greeting.core"), "running", "verifying changes nothing");
    assert.equal(br(["verify", "nope"], { cwd }).code, 2);
  });
});
