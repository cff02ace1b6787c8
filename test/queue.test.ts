/**
 * `br queue status` and what a queue changes, or must not: without one, no connection to
 * PostgreSQL; with one, its password never printed nor stored in config.yaml.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { br, tempDir } from "./helpers.ts";
import { parallelProject } from "./parallel-project.ts";
import { planStatuses, queuedProject } from "./queue-project.ts";

describe("the queue's settings and status", { timeout: 300_000 }, () => {
  it("without queue.url or BR_QUEUE_URL, br run --parallel runs local streams and opens no connection to PostgreSQL", () => {
    const p = parallelProject(2);
    const hook = join(tempDir("br-net-hook-"), "hook.mjs");
    const log = join(tempDir("br-net-log-"), "connections.txt");
    // Every TCP connection any br process makes is noted (its port), whatever library makes it.
    writeFileSync(
      hook,
      `import net from "node:net"; import { appendFileSync } from "node:fs";
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const options = typeof args[0] === "object" ? args[0] : { port: args[0] };
  if (options && options.port !== undefined) appendFileSync(${JSON.stringify(log)}, String(options.port) + "\\n");
  return connect.apply(this, args);
};
`,
    );
    const env = { ...p.env, BR_QUEUE_URL: undefined, NODE_OPTIONS: `--import ${hook}` };
    const result = br(["run", "--parallel", "2", "--auto", "--json"], { cwd: p.cwd, env });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(planStatuses(p.cwd), []);
    // Nor do the commands that read other machines' work when a queue is set, nor merge.
    for (const args of [["status"], ["model", "stats"], ["merge", "--streams"]]) {
      const other = br(args, { cwd: p.cwd, env });
      assert.equal(other.code, 0, `${args.join(" ")}: ${other.stderr}`);
    }
    assert.ok(!existsSync(log) || !readFileSync(log, "utf8").split("\n").includes("5432"), "no connection to PostgreSQL's port");
    const status = br(["queue", "status"], { cwd: p.cwd, env });
    assert.equal(status.code, 2);
    assert.match(status.stderr, /No queue is configured/);
  });

  it("a password in the URL is never printed: a refused connection names the server with ***", () => {
    const p = queuedProject(1);
    const url = "postgres://someone:Sup3rSecretPw@127.0.0.1:1/test"; // br:allow (a made-up password: what br must hide)
    const result = br(["queue", "status"], { cwd: p.cwd, env: { BR_QUEUE_URL: url }, timeoutMs: 60_000 });
    assert.notEqual(result.code, 0);
    assert.doesNotMatch(result.stdout + result.stderr, /Sup3rSecretPw/);
    assert.match(result.stderr, /someone:\*\*\*@127\.0\.0\.1:1/);
    // br status still answers from this machine's journal, and says why the other machines' work is missing.
    const status = br(["status"], { cwd: p.cwd, env: { BR_QUEUE_URL: url }, timeoutMs: 60_000 });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stderr, /shared ledger could not be read \(.*someone:\*\*\*@127\.0\.0\.1:1.*\); showing this machine's work only/);
    assert.doesNotMatch(status.stdout + status.stderr, /Sup3rSecretPw/);
  });

  it("queue.url in config.yaml may not hold a password: br config set refuses it, a hand edit stops commands with exit 2", () => {
    const p = queuedProject(1);
    const file = join(p.cwd, ".buildrunner", "config.yaml");
    const before = readFileSync(file, "utf8");
    const set = br(["config", "set", "queue.url", "postgres://u:pw12345678@db.example.com/x"], { cwd: p.cwd }); // br:allow (a made-up password: what br must hide)
    assert.equal(set.code, 2);
    assert.doesNotMatch(set.stdout + set.stderr, /pw12345678/);
    assert.equal(readFileSync(file, "utf8"), before);
    assert.match(before, /^queue:$/m);
    writeFileSync(file, before.replace(/^queue:$/m, "queue:\n  url: postgres://u:pw12345678@db.example.com/x")); // br:allow (a made-up password: what br must hide)
    const status = br(["queue", "status"], { cwd: p.cwd });
    assert.equal(status.code, 2, status.stderr);
    assert.match(status.stderr, /queue\.url/);
    assert.match(status.stderr, /PGPASSWORD/);
    assert.doesNotMatch(status.stdout + status.stderr, /pw12345678/);
  });
});
