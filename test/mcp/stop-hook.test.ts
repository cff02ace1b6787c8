/**
 * `br verify --hook`, answering the Stop hook of an agent the user started, with the payloads
 * Claude Code and Codex send: it blocks the stop with the failing check while the started task's
 * work fails, allows it once the work passes, gives up after --max-blocks blocks in a row, stands
 * aside when br itself runs the agent, and never exits 2 (which the agent would take as a block).
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { project, tasks } from "../agent-project.ts";
import { br, brOk, tempRepo } from "../helpers.ts";
import { writeGreeting } from "./greeting.ts";

function stop(cwd: string, fields: Record<string, unknown>, args: string[] = [], env: Record<string, string> = {}) {
  const payload = { session_id: "s-1", transcript_path: "/tmp/t.jsonl", hook_event_name: "Stop", stop_hook_active: false, cwd, ...fields };
  return br(["verify", "--hook", ...args], { cwd, input: JSON.stringify(payload), env });
}

function decision(stdout: string): { decision: string; reason: string } {
  return JSON.parse(stdout) as { decision: string; reason: string };
}

describe("br verify --hook", () => {
  let cwd: string;
  before(() => {
    cwd = project().cwd;
  });

  it("allows a stop when no task was started through br here", () => {
    const result = stop(cwd, {});
    assert.deepEqual([result.code, result.stdout, result.stderr], [0, "", ""]);
  });

  it("blocks while the started task's test fails, with the failing check as the reason", () => {
    brOk(["tasks", "start", "greeting.core"], { cwd });
    writeGreeting(cwd, false);
    const result = stop(cwd, {}, ["--max-blocks", "2"]);
    assert.equal(result.code, 0, result.stderr);
    const answer = decision(result.stdout);
    assert.equal(answer.decision, "block");
    assert.match(answer.reason, /task greeting.core is not done yet/);
    assert.match(answer.reason, /The check "test" \(node --test\) failed/);
    assert.match(answer.reason, /greets/);
    assert.match(answer.reason, /block 1 of at most 2/);
  });

  it("counts blocks in a row with stop_hook_active, lets the agent go past --max-blocks, and starts again on a fresh stop", () => {
    assert.match(decision(stop(cwd, { stop_hook_active: true }, ["--max-blocks", "2"]).stdout).reason, /block 2 of at most 2/);
    const giveUp = stop(cwd, { stop_hook_active: true }, ["--max-blocks", "2"]);
    assert.deepEqual([giveUp.code, giveUp.stdout], [0, ""]);
    assert.match(giveUp.stderr, /still fails its verification after 2 blocked stops; letting the agent stop/);
    assert.match(decision(stop(cwd, { stop_hook_active: false }, ["--max-blocks", "2"]).stdout).reason, /block 1 of at most 2/);
    // Another session counts on its own.
    assert.match(decision(stop(cwd, { session_id: "s-2", stop_hook_active: true }, ["--max-blocks", "2"]).stdout).reason, /block 1 of/);
  });

  it("answers Codex in the same format, from a subfolder's cwd", () => {
    mkdirSync(join(cwd, "src", "deep"), { recursive: true });
    const result = stop(join(cwd, "src", "deep"), { turn_id: "t-1", model: "gpt-5" }, ["--agent", "codex"]);
    assert.equal(decision(result.stdout).decision, "block");
  });

  it("stands aside when br run is the agent's caller (BR_AGENT_ATTEMPT): br's own verification judges", () => {
    const result = stop(cwd, {}, [], { BR_AGENT_ATTEMPT: "greeting.core" });
    assert.deepEqual([result.code, result.stdout], [0, ""]);
  });

  it("allows the stop once the work passes, and leaves completing the task to br", () => {
    writeGreeting(cwd, true);
    const result = stop(cwd, { stop_hook_active: true });
    assert.deepEqual([result.code, result.stdout, result.stderr], [0, "", ""]);
    assert.equal(tasks(cwd).find((t) => t.id === "greeting.core")?.status, "running");
  });

  it("never exits 2: a payload that is not JSON, a bad flag or a broken config.yaml exit 1 and let the agent stop", () => {
    const garbage = br(["verify", "--hook"], { cwd, input: "not json" });
    assert.deepEqual([garbage.code, garbage.stdout], [1, ""]);
    assert.match(garbage.stderr, /not JSON/);
    const flag = stop(cwd, {}, ["--max-blocks", "none"]);
    assert.equal(flag.code, 1);
    assert.match(flag.stderr, /--max-blocks/);
    const agent = stop(cwd, {}, ["--agent", "aider"]);
    assert.equal(agent.code, 1);
    assert.equal(stop(cwd, {}, ["--a-flag-this-br-lacks"]).code, 1, "commander's own refusal too");
    const broken = project().cwd;
    brOk(["tasks", "start", "greeting.core"], { cwd: broken });
    writeFileSync(join(broken, ".buildrunner", "config.yaml"), "run: [unclosed\n");
    const config = stop(broken, {});
    assert.equal(config.code, 1);
    assert.match(config.stderr, /config\.yaml/);
  });

  it("outside a br project it allows the stop without a word", () => {
    const dir = tempRepo();
    const result = stop(dir, {});
    assert.deepEqual([result.code, result.stdout, result.stderr], [0, "", ""]);
  });
});
