/**
 * `br mcp serve` as a server: what every client pays for it. The definitions of all tools together
 * and every answer on a 2,000-task plan are counted with br's own tokenizer (the one its prompt
 * budgets use); a project that is not one, and calls the protocol refuses, fail clearly.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import { loadTokenizer } from "../../src/run/tokens.ts";
import { project } from "../agent-project.ts";
import { br, git, tempRepo } from "../helpers.ts";
import { type BrMcp, connectBr } from "./client.ts";
import { writeGreeting } from "./greeting.ts";

const TOOL_NAMES = ["status", "list_tasks", "get_task", "next_task", "start_task", "complete_task", "verify", "add_task", "streams", "log"];
const FEATURES = ["greeting", "farewell", "weather-report", "joke-teller", "summary"];
const LONG = "Handle the case where the caller passes an empty or malformed value, and say so in the error. ".repeat(40);

/** A plan of `count` tasks with long titles, descriptions and criteria, half of them done. */
function bigPlan(cwd: string, count: number): void {
  const tasks = Array.from({ length: count }, (_, i) => {
    const feature = FEATURES[i % FEATURES.length] as string;
    return {
      id: `${feature}.t${i}`,
      featureId: feature,
      title: `Task ${i}: ${"implement the part of the feature that reads, checks and stores the input ".repeat(3)}`.slice(0, 200),
      description: LONG.repeat(2),
      status: i < count / 2 ? "done" : i < count / 2 + 5 ? "ready" : "pending",
      dependsOn: i >= FEATURES.length ? [`${FEATURES[(i - FEATURES.length) % FEATURES.length]}.t${i - FEATURES.length}`] : [],
      priority: "medium",
      complexity: "moderate",
      estimateMinutes: 60,
      files: Array.from({ length: 40 }, (_, f) => `src/${feature}/part-${f}/**`),
      acceptance: Array.from({ length: 25 }, (_, a) => `Criterion ${a}: ${LONG.slice(0, 400)}`),
    };
  });
  writeFileSync(join(cwd, ".buildrunner", "tasks.json"), `${JSON.stringify({ schemaVersion: 1, tasks }, null, 2)}\n`);
  git(cwd, "add", "-A");
  git(cwd, "commit", "-qm", "a big plan");
}

/** Copies the journal's latest attempt `times` times with a long reason: a long history for log. */
function longHistory(cwd: string, times: number): void {
  const db = new DatabaseSync(join(cwd, ".buildrunner", "state", "state.db"));
  try {
    const copy = db.prepare(
      `INSERT INTO attempts (run_id, task_id, feature_id, attempt, executor, model, tier, started_at, finished_at, outcome, reason, cost_usd)
       SELECT run_id, task_id, feature_id, attempt, executor, model, tier, started_at, finished_at, outcome, ?, cost_usd
         FROM attempts ORDER BY id DESC LIMIT 1`,
    );
    for (let i = 0; i < times; i++) copy.run(`attempt ${i} failed: ${LONG}`);
  } finally {
    db.close();
  }
}

describe("br mcp serve: what it costs a client", () => {
  let count: (text: string) => number;
  before(async () => {
    count = await loadTokenizer();
  });

  it("ten tools with flat input schemas (no $ref), their definitions under 3,000 tokens together", async () => {
    const mcp = await connectBr(project().cwd);
    try {
      const { tools } = await mcp.client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), [...TOOL_NAMES].sort());
      const definitions = JSON.stringify(tools);
      assert.ok(!definitions.includes("$ref") && !definitions.includes("$defs"), "no references in the schemas");
      for (const tool of tools) assert.equal(tool.inputSchema.type, "object", tool.name);
      const tokens = count(definitions);
      console.log(`tool definitions: ${tokens} tokens (${definitions.length} characters)`);
      assert.ok(tokens < 3000, `${tokens} tokens`);
    } finally {
      await mcp.close();
    }
  });

  describe("on a 2,000-task plan, no answer exceeds 5,000 tokens", () => {
    let cwd: string;
    let mcp: BrMcp;
    const sizes: [string, number][] = [];
    before(async () => {
      cwd = project().cwd;
      bigPlan(cwd, 2000);
      mcp = await connectBr(cwd);
    });
    after(async () => {
      await mcp.close();
      console.log(`answers on 2,000 tasks (tokens): ${sizes.map(([name, n]) => `${name} ${n}`).join(", ")}`);
    });

    const measured = async (label: string, name: string, args: Record<string, unknown> = {}) => {
      const reply = await mcp.call(name, args);
      const tokens = count(reply.text);
      sizes.push([label, tokens]);
      assert.ok(tokens < 5000, `${label}: ${tokens} tokens`);
      return reply;
    };

    it("every tool, at its largest", async () => {
      const status = await measured("status", "status");
      assert.equal((status.json.tasks as { total: number }).total, 2000);
      const page = await measured("list_tasks (limit 50)", "list_tasks", { limit: 50 });
      assert.equal((page.json.tasks as unknown[]).length, 50);
      assert.equal(page.json.nextOffset, 50);
      await measured("list_tasks (default)", "list_tasks");
      const last = await measured("list_tasks (last page)", "list_tasks", { offset: 1990, limit: 50 });
      assert.equal((last.json.tasks as unknown[]).length, 10);
      const task = await measured("get_task", "get_task", { id: "greeting.t1500" });
      assert.match(String(task.json.description), /more characters\)$/, "a long description is cut, saying so");
      assert.equal(task.json.moreAcceptance, 5);
      const next = await measured("next_task", "next_task");
      const id = (next.json.task as { id: string }).id;
      await measured("start_task", "start_task", { id });
      writeGreeting(cwd, false);
      for (let i = 0; i < 40; i++) writeFileSync(join(cwd, "src", `extra-${i}.js`), `module.exports = ${i};\n`);
      const verify = await measured("verify", "verify");
      assert.equal(verify.json.passed, false);
      assert.equal(verify.json.moreChangedFiles, 2);
      await measured("complete_task", "complete_task", { id });
      await measured("add_task", "add_task", { feature: "greeting", title: "One more", description: LONG.slice(0, 8000) });
      await measured("streams", "streams");
      longHistory(cwd, 60);
      const log = await measured("log (limit 30)", "log", { limit: 30 });
      assert.equal((log.json.attempts as unknown[]).length, 30);
    });
  });

  it("outside a project, br mcp serve exits 2 with the fix before serving", () => {
    const result = br(["mcp", "serve"], { cwd: tempRepo(), input: "" });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /No BuildRunner project/);
    assert.match(result.stderr, /br init/);
    assert.equal(result.stdout, "", "nothing on the protocol's stream");
  });

  it("an unknown tool is a protocol error; the server keeps serving", async () => {
    const mcp = await connectBr(project().cwd);
    try {
      await assert.rejects(mcp.client.callTool({ name: "mark_done", arguments: { id: "greeting.core" } }), /mark_done/);
      assert.equal((await mcp.call("status")).isError, false);
    } finally {
      await mcp.close();
    }
  });

  it("what br serves is masked: a key in a task's text never reaches the client in clear", async () => {
    const { cwd } = project();
    const key = `ghp_${"a1B2c3D4e5F6g7H8i9J0".repeat(2).slice(0, 36)}`;
    const file = join(cwd, ".buildrunner", "tasks.json");
    const plan = JSON.parse(readFileSync(file, "utf8")) as { tasks: { id: string; description: string }[] };
    const first = plan.tasks[0] as { description: string };
    first.description = `Use the token ${key} to call the API.`;
    writeFileSync(file, JSON.stringify(plan, null, 2));
    const mcp = await connectBr(cwd);
    try {
      const reply = await mcp.call("get_task", { id: "greeting.core" });
      assert.ok(!reply.text.includes(key), reply.text);
      assert.match(reply.text, /Use the token/);
    } finally {
      await mcp.close();
    }
  });
});
