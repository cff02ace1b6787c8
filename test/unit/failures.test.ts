/**
 * The decisions behind the build loop's resilience: how a failure is classed, where an attempt
 * escalates, whose write to br's record it was, and which program a check command needs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type OwnWrite, writtenByAgent } from "../../src/infra/own-writes.ts";
import { firstProgram } from "../../src/infra/programs.ts";
import { classifyApiError, classOfStatus } from "../../src/run/executors/failure.ts";

describe("classifyApiError", () => {
  it("an HTTP status alone: 401/403 setup; 408, 409, 429, 5xx transient; others undecided", () => {
    assert.equal(classOfStatus(401), "setup");
    assert.equal(classOfStatus(403), "setup");
    for (const status of [408, 409, 429, 500, 502, 503, 529]) assert.equal(classOfStatus(status), "transient", String(status));
    for (const status of [400, 404, 422, undefined]) assert.equal(classOfStatus(status), undefined, String(status));
  });

  it("words win where they are more precise than the status", () => {
    assert.equal(classifyApiError("You exceeded your current quota, please check your plan and billing details.", 429).class, "setup");
    assert.equal(classifyApiError("model_not_found: The model `gpt-9` does not exist", 404).class, "setup");
    assert.equal(classifyApiError("Credit balance is too low", 400).class, "setup");
    assert.equal(classifyApiError("Invalid API key · Please run /login").class, "setup");
  });

  it("a server error or a per-minute limit is an outage whatever its words", () => {
    assert.equal(classifyApiError("authentication service unavailable", 503).class, "transient");
    assert.equal(classifyApiError("Quota exceeded for quota metric 'Generate Content API requests per minute'", 429).class, "transient");
    assert.equal(classifyApiError("You exceeded your current quota. Please retry in 27.5s.", 429).class, "transient");
  });

  it("outages by status or by words", () => {
    assert.equal(classifyApiError("Overloaded").class, "transient");
    assert.equal(classifyApiError("anything", 503).class, "transient");
    assert.equal(classifyApiError("stream disconnected before completion: error sending request").class, "transient");
    assert.equal(classifyApiError("fetch failed sending request: ECONNREFUSED").class, "transient");
  });

  it("everything else is the task's failure, and a setup failure names its fix", () => {
    assert.equal(classifyApiError("Reached the maximum number of turns").class, "task");
    assert.equal(classifyApiError("prompt is too long", 400).class, "task");
    const auth = classifyApiError("who are you", 401);
    assert.equal(auth.class, "setup");
    assert.match(auth.fix ?? "", /credentials|API key/);
    assert.match(classifyApiError("Gemini CLI is not running in a trusted directory").fix ?? "", /--skip-trust/);
  });
});

describe("writtenByAgent", () => {
  const write = (extra: Partial<OwnWrite>): OwnWrite => ({
    file: "features.json",
    sha: "x",
    at: 0,
    pid: 500,
    ancestors: [400, 1],
    ...extra,
  });

  it("a write from the agent's process tree, its session or with the attempt marker is the agent's", () => {
    assert.equal(writtenByAgent(write({ ancestors: [450, 300, 1] }), 300), true);
    assert.equal(writtenByAgent(write({ sid: 300 }), 300), true);
    assert.equal(writtenByAgent(write({ pid: 300 }), 300), true);
    assert.equal(writtenByAgent(write({ agentAttempt: "greeting.core" }), undefined), true);
  });

  it("a write from elsewhere (another terminal) is not", () => {
    assert.equal(writtenByAgent(write({ sid: 200 }), 300), false);
    assert.equal(writtenByAgent(write({}), undefined), false);
  });
});

describe("firstProgram", () => {
  it("finds the program past variable assignments, without its quotes", () => {
    assert.equal(firstProgram("npm test"), "npm");
    assert.equal(firstProgram("CI=1 FOO=bar pytest -q"), "pytest");
    assert.equal(firstProgram(`"/opt/my agent/bin/node" run.js`), "/opt/my agent/bin/node");
    assert.equal(firstProgram("'./gradlew' test"), "./gradlew");
    assert.equal(firstProgram("   "), undefined);
  });
});
