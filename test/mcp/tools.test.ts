/**
 * Each of br's MCP tools, called by the official SDK's client as Claude Code, Codex or Gemini CLI
 * call them, with good and bad arguments: reading the plan, starting a task, completion only on
 * verified evidence (calling the tool does not make work done), adding tasks, streams and the log.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { journal, project, tasks } from "../agent-project.ts";
import { brOk, git } from "../helpers.ts";
import { type BrMcp, connectBr } from "./client.ts";
import { writeGreeting } from "./greeting.ts";

const statusOf = (cwd: string, id: string) => tasks(cwd).find((t) => t.id === id)?.status;

describe("br mcp serve (the official SDK's client)", () => {
  let cwd: string;
  let mcp: BrMcp;
  before(async () => {
    cwd = project().cwd;
    mcp = await connectBr(cwd);
  });
  after(() => mcp.close());

  it("status, list_tasks, get_task and next_task read the plan; bad arguments are tool errors with the CLI's words", async () => {
    const status = await mcp.call("status");
    assert.equal(status.isError, false);
    assert.equal((status.json.tasks as { total: number }).total, 10);
    const page = await mcp.call("list_tasks", { limit: 3 });
    assert.equal((page.json.tasks as unknown[]).length, 3);
    assert.equal(page.json.nextOffset, 3);
    assert.equal(page.json.total, 10);
    const rest = await mcp.call("list_tasks", { offset: 9, limit: 3 });
    assert.equal((rest.json.tasks as unknown[]).length, 1);
    assert.equal(rest.json.nextOffset, undefined);
    const ready = await mcp.call("list_tasks", { status: "ready" });
    assert.deepEqual(
      (ready.json.tasks as { id: string }[]).map((t) => t.id),
      ["greeting.core"],
    );
    for (const bad of [{ limit: 0 }, { limit: "ten" }, { status: "finished" }, { offset: -1 }]) {
      const reply = await mcp.call("list_tasks", bad);
      assert.equal(reply.isError, true, JSON.stringify(bad));
      assert.match(reply.text, /Invalid/i);
    }
    const task = await mcp.call("get_task", { id: "farewell.core" });
    assert.equal(task.json.id, "farewell.core");
    assert.deepEqual(
      task.json.waitingOn,
      ["greeting.core", "greeting.tests"].filter((d) => (task.json.dependsOn as string[]).includes(d)),
    );
    const missing = await mcp.call("get_task", { id: "nope" });
    assert.equal(missing.isError, true);
    assert.deepEqual(missing.json, {
      error: 'No task with id "nope".',
      fix: "List the ids with the list_tasks tool (or `br tasks list`).",
    });
    assert.equal((await mcp.call("get_task", {})).isError, true, "id is required");
    const next = await mcp.call("next_task");
    assert.equal((next.json.task as { id: string }).id, "greeting.core");
  });

  it("start_task refuses a task that waits on others, and starts a ready one from HEAD", async () => {
    const waiting = await mcp.call("start_task", { id: "farewell.core" });
    assert.equal(waiting.isError, true);
    assert.match(String(waiting.json.error), /Cannot start task "farewell.core": it is pending, waiting on greeting/);
    assert.equal(statusOf(cwd, "farewell.core"), "pending");
    const started = await mcp.call("start_task", { id: "greeting.core" });
    assert.equal(started.isError, false, started.text);
    assert.equal(started.json.startedFrom, git(cwd, "rev-parse", "HEAD").trim());
    assert.deepEqual(started.json.judgedBy, ["node --test"]);
    assert.equal(statusOf(cwd, "greeting.core"), "running");
  });

  it("complete_task on no work, or on failing work, is refused with the failing check; the task stays running", async () => {
    const nothing = await mcp.call("complete_task", { id: "greeting.core" });
    assert.equal(nothing.isError, true);
    assert.equal(nothing.json.done, false);
    assert.match(JSON.stringify(nothing.json), /changed no files/);
    writeGreeting(cwd, false);
    const verify = await mcp.call("verify");
    assert.equal(verify.isError, true);
    assert.equal(verify.json.passed, false);
    const failing = await mcp.call("complete_task", { id: "greeting.core" });
    assert.equal(failing.isError, true);
    const checks = (failing.json.verification as { checks: { name: string; passed: boolean; output?: string }[] }).checks;
    const test = checks.find((c) => c.name === "test");
    assert.equal(test?.passed, false);
    assert.match(test?.output ?? "", /greets/);
    assert.equal(statusOf(cwd, "greeting.core"), "running");
    assert.notEqual(git(cwd, "status", "--porcelain"), "", "nothing was committed");
  });

  it("complete_task on passing work commits it and marks the task done; the journal holds each attempt", async () => {
    writeGreeting(cwd, true);
    const verify = await mcp.call("verify", { id: "greeting.core" });
    assert.equal(verify.json.passed, true, verify.text);
    const done = await mcp.call("complete_task", { id: "greeting.core" });
    assert.equal(done.isError, false, done.text);
    assert.equal(done.json.done, true);
    assert.equal(done.json.commit, git(cwd, "rev-parse", "HEAD").trim());
    assert.equal(git(cwd, "log", "-1", "--format=%s").trim(), "br: greeting.core: Greeting: Implementation");
    assert.equal(git(cwd, "status", "--porcelain"), "");
    assert.equal(statusOf(cwd, "greeting.core"), "done");
    const again = await mcp.call("complete_task", { id: "greeting.core" });
    assert.equal(again.isError, true);
    assert.match(String(again.json.error), /already done/);
    const rows = journal(cwd).filter((a) => a.task_id === "greeting.core");
    assert.deepEqual(
      rows.map((a) => a.outcome),
      ["failed", "failed", "passed"],
    );
    const log = await mcp.call("log", { task: "greeting.core" });
    assert.deepEqual(
      (log.json.attempts as { outcome: string; executor: string }[]).map((a) => [a.executor, a.outcome]),
      [
        ["agent", "passed"],
        ["agent", "failed"],
        ["agent", "failed"],
      ],
    );
    assert.equal((await mcp.call("log", { limit: 31 })).isError, true);
  });

  it("add_task adds a task that br tasks generate keeps; unknown features and dependencies are refused", async () => {
    const added = await mcp.call("add_task", {
      feature: "greeting",
      title: "Document the greeting",
      dependsOn: ["greeting.core"],
      acceptance: ["README mentions greet()"],
    });
    assert.equal(added.isError, false, added.text);
    assert.deepEqual(added.json.task, {
      id: "greeting.added.document-the-greeting",
      status: "ready",
      title: "Document the greeting",
      feature: "greeting",
    });
    brOk(["tasks", "generate"], { cwd });
    assert.equal(statusOf(cwd, "greeting.added.document-the-greeting"), "ready");
    const twice = await mcp.call("add_task", { feature: "greeting", title: "Document the greeting" });
    assert.equal((twice.json.task as { id: string }).id, "greeting.added.document-the-greeting-2");
    const noFeature = await mcp.call("add_task", { feature: "nope", title: "x" });
    assert.equal(noFeature.isError, true);
    assert.match(String(noFeature.json.error), /No feature with id "nope"/);
    const noDependency = await mcp.call("add_task", { feature: "greeting", title: "y", dependsOn: ["ghost.task"] });
    assert.equal(noDependency.isError, true);
    assert.match(String(noDependency.json.error), /ghost\.task/);
    assert.equal((await mcp.call("add_task", { feature: "greeting", title: "" })).isError, true);
  });

  it("streams lists the parallel streams once br orchestrate made them", async () => {
    assert.deepEqual((await mcp.call("streams")).json, { streams: [] });
    git(cwd, "add", "-A");
    git(cwd, "commit", "-qm", "added tasks");
    brOk(["orchestrate", "--streams", "2"], { cwd });
    const streams = (await mcp.call("streams")).json.streams as { name: string; status: string }[];
    assert.ok(streams.length >= 1, JSON.stringify(streams));
  });

  it("an agent br run started may read the plan but not start, complete or add tasks: br run judges its work", async () => {
    const inside = await connectBr(cwd, { BR_AGENT_ATTEMPT: "farewell.core" });
    try {
      assert.equal((await inside.call("status")).isError, false);
      for (const [name, args] of [
        ["start_task", { id: "farewell.core" }],
        ["complete_task", { id: "farewell.core" }],
        ["add_task", { feature: "greeting", title: "x" }],
      ] as const) {
        const reply = await inside.call(name, args);
        assert.equal(reply.isError, true, name);
        assert.match(String(reply.json.error), /br run started this agent for task farewell\.core/);
      }
    } finally {
      await inside.close();
    }
  });
});
