import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { EventRing } from "../../src/dashboard/events.ts";
import { LogTail, lastLines, MAX_LINES_PER_BATCH } from "../../src/dashboard/tail.ts";
import { flushablePrefix, KEEP_LOGS, MAX_LOG_BYTES, openAgentLog, prepareLogs } from "../../src/run/agent-log.ts";

const dir = () => {
  const path = join(tmpdir(), `br-unit-${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(path, { recursive: true });
  return path;
};

describe("the dashboard's event ring", () => {
  it("numbers events and gives what came after an id", () => {
    const ring = new EventRing({ maxEvents: 10, maxBytes: 1000 });
    assert.equal(ring.lastId, 0);
    assert.deepEqual(ring.after(0), []);
    for (const n of [1, 2, 3]) ring.push("log", `e${n}`);
    assert.deepEqual(
      ring.after(1)?.map((e) => e.data),
      ["e2", "e3"],
    );
    assert.deepEqual(ring.after(3), []);
    assert.equal(ring.after(4), undefined, "an id it never gave means start again");
    assert.equal(ring.after(-1), undefined);
  });

  it("drops the oldest past its count or byte limit, and says so to a reader that fell behind", () => {
    const ring = new EventRing({ maxEvents: 3, maxBytes: 1000 });
    for (const n of [1, 2, 3, 4, 5]) ring.push("log", `e${n}`);
    assert.equal(ring.size.events, 3);
    assert.equal(ring.after(1), undefined, "e2 is gone");
    assert.deepEqual(
      ring.after(2)?.map((e) => e.id),
      [3, 4, 5],
    );
    const bytes = new EventRing({ maxEvents: 100, maxBytes: 10 });
    for (let i = 0; i < 3; i++) bytes.push("log", "12345");
    assert.ok(bytes.size.bytes <= 10);
    assert.equal(bytes.size.events, 2);
    bytes.push("log", "x".repeat(50));
    assert.equal(bytes.size.events, 1, "one event larger than the limit is still kept (the newest)");
  });

  it("wakes a waiting reader at the next push, or after its timeout, and forgets it either way", async () => {
    const ring = new EventRing();
    const started = Date.now();
    const waiting = ring.next(5000);
    assert.equal(ring.size.waiting, 1);
    ring.push("state", "{}");
    await waiting;
    assert.ok(Date.now() - started < 1000);
    assert.equal(ring.size.waiting, 0);
    const other = ring.next(60_000);
    await ring.next(20);
    assert.equal(ring.size.waiting, 1, "a reader whose wait timed out is not kept");
    ring.push("state", "{}");
    await other;
  });

  it("keeps 2,000 events and 8 MiB by default", () => {
    const ring = new EventRing();
    for (let i = 0; i < 2001; i++) ring.push("log", "x");
    assert.equal(ring.size.events, 2000);
    const big = new EventRing();
    for (let i = 0; i < 9; i++) big.push("log", "y".repeat(1024 * 1024));
    assert.equal(big.size.events, 8);
    assert.equal(big.size.bytes, 8 * 1024 * 1024);
  });
});

describe("following agent logs", () => {
  it("reads whole new lines, keeps a partial line for later, and cuts a burst to its newest lines", () => {
    const path = join(dir(), "1.log");
    writeFileSync(path, "old line\n");
    const tail = new LogTail();
    tail.follow(1, path);
    assert.deepEqual(tail.poll()[0]?.lines, ["old line"], "what was printed before following is sent once");
    assert.deepEqual(tail.poll(), [], "and not repeated");
    appendFileSync(path, "one\ntwo\nthr");
    assert.deepEqual(tail.poll(), [{ attemptId: 1, lines: ["one", "two"], skipped: 0 }]);
    appendFileSync(path, "ee\n");
    assert.deepEqual(tail.poll()[0]?.lines, ["three"]);
    appendFileSync(path, Array.from({ length: MAX_LINES_PER_BATCH + 50 }, (_, i) => `l${i}`).join("\n") + "\n");
    const burst = tail.poll()[0];
    assert.equal(burst?.lines.length, MAX_LINES_PER_BATCH);
    assert.equal(burst?.skipped, 50);
    assert.equal(burst?.lines.at(-1), `l${MAX_LINES_PER_BATCH + 49}`);
    tail.follow(1, path);
    assert.deepEqual(tail.poll(), [], "following again does not start over");
    tail.follow(7, join(dir(), "7.log"));
    tail.retain(new Set([7]));
    assert.deepEqual(tail.following, [7]);
    tail.retain(new Set());
    assert.deepEqual(tail.following, []);
  });

  it("starts over in a log that was replaced by a shorter one", () => {
    const path = join(dir(), "6.log");
    writeFileSync(path, "a long first line\n");
    const tail = new LogTail();
    tail.follow(6, path);
    assert.deepEqual(tail.poll()[0]?.lines, ["a long first line"]);
    writeFileSync(path, "new\n");
    assert.deepEqual(tail.poll()[0]?.lines, ["new"]);
  });

  it("skips ahead in a log that grew too much between looks, counting what it left out", () => {
    const path = join(dir(), "2.log");
    writeFileSync(path, "");
    const tail = new LogTail();
    tail.follow(2, path);
    appendFileSync(path, `${"x".repeat(99)}\n`.repeat(5000));
    const batch = tail.poll()[0];
    assert.ok(batch && batch.skipped > 2000, `skipped ${batch?.skipped}`);
    assert.ok(
      batch.lines.every((l) => l === "x".repeat(99)),
      "no broken line",
    );
  });

  it("gives the last lines of a log, and nothing for a missing one", () => {
    const path = join(dir(), "3.log");
    writeFileSync(path, "a\nb\nc\n");
    assert.deepEqual(lastLines(path, 2), ["b", "c"]);
    assert.deepEqual(lastLines(path, 10), ["a", "b", "c"]);
    assert.deepEqual(lastLines(join(dir(), "none.log"), 5), []);
    const long = join(dir(), "8.log");
    writeFileSync(long, `${"z".repeat(300 * 1024)}\nend\n`);
    assert.deepEqual(lastLines(long, 5), ["end"], "a line cut by the read window is left out");
  });
});

describe("the agent log writer", () => {
  it("keeps only the newest logs", () => {
    const state = dir();
    mkdirSync(join(state, "logs"));
    for (let id = 1; id <= KEEP_LOGS + 5; id++) writeFileSync(join(state, "logs", `${id}.log`), "x\n");
    writeFileSync(join(state, "logs", "notes.txt"), "kept\n");
    prepareLogs(state);
    const left = readdirSync(join(state, "logs"));
    assert.equal(left.length, KEEP_LOGS + 1);
    assert.ok(!left.includes("5.log") && left.includes("6.log") && left.includes(`${KEEP_LOGS + 5}.log`) && left.includes("notes.txt"));
  });

  it("masks secrets line by line, even when a line arrives in pieces", () => {
    const path = join(dir(), "4.log");
    const log = openAgentLog(path);
    const key = ["AKIA", "Q4RT7YU2IZ5PA3SD"].join("");
    log.write("stdout", `using ${key.slice(0, 8)}`);
    log.write("stdout", `${key.slice(8)} now\nnext`);
    log.write("stderr", "warn\n");
    log.close();
    const text = readFileSync(path, "utf8");
    assert.ok(!text.includes(key), text);
    assert.match(text, /using AKIA\*+ now\n/);
    assert.match(text, /warn\n/);
    assert.match(text, /next\n$/, "the last partial line is written at close");
  });

  it("masks a private key printed over several chunks, and cuts an endless line at a space", () => {
    const path = join(dir(), "9.log");
    const log = openAgentLog(path);
    const body = "MIIEowIBAAKCAQEA7bq9Xm1vQx3kL8pT2nW5yR6uH4sJ0cV9fG3aD8eK1lZ7oP2";
    log.write("stdout", "reading the deploy key\n-----BEGIN RSA PRIVATE KEY-----\n");
    log.write("stdout", `${body}\n`);
    assert.equal(readFileSync(path, "utf8"), "reading the deploy key\n", "the open block waits for its end");
    log.write("stdout", "-----END RSA PRIVATE KEY-----\ndone\n");
    log.close();
    const text = readFileSync(path, "utf8");
    assert.ok(!text.includes(body), text);
    assert.match(text, /done\n$/);
    assert.equal(flushablePrefix(`${"a".repeat(60_000)} ${"b".repeat(10_000)}`), 60_001, "a line past 64 KiB is cut after a space");
    assert.equal(flushablePrefix("x".repeat(70_000)), 70_000);
    assert.equal(flushablePrefix("one\ntwo"), 4);
  });

  it("stops at its size limit with a note", () => {
    const path = join(dir(), "5.log");
    const log = openAgentLog(path, 10 * 1024);
    const line = `${"y".repeat(1023)}\n`;
    for (let i = 0; i < 10; i++) log.write("stdout", line);
    assert.equal(readFileSync(path, "utf8").length, 10 * 1024, "exactly full is not cut");
    for (let i = 0; i < 10; i++) log.write("stdout", line);
    log.close();
    const text = readFileSync(path, "utf8");
    assert.ok(text.length <= 10 * 1024 + 100, `${text.length}`);
    assert.match(text, /\[br: log cut at 10240 bytes\]\n$/);
    assert.ok(MAX_LOG_BYTES >= 1024 * 1024, "a real log keeps at least a megabyte");
  });
});
