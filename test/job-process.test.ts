/**
 * The process each queued task is built in: the worker's own event loop stays free for the
 * lease's heartbeats while the task's process is held (a slow commit hook, a long check).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BR, br, tempDir, waitFor } from "./helpers.ts";
import { callsOf } from "./parallel-project.ts";
import {
  assertIntegratedOnce,
  killQueueChildren,
  orchestrator,
  QUEUE_URL,
  queuedProject,
  startWorker,
  trackChild,
} from "./queue-project.ts";

after(killQueueChildren);

describe("a queued task's own process", { timeout: 300_000 }, () => {
  it("run by hand, without its worker's channel: exit 2, saying what to run instead", () => {
    const result = br(["worker", "--job-process"], { cwd: tempDir("br-job-hand-"), timeoutMs: 30_000 });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /started by br worker --queue[\s\S]*br worker --queue <url>/);
  });

  it("answers a job it cannot build with the reason, takes the next order, and ends when its worker's channel closes", async () => {
    const child = trackChild(
      spawn(process.execPath, [BR, "worker", "--job-process"], { cwd: tempDir("br-job-"), stdio: ["ignore", "ignore", "pipe", "ipc"] }),
    );
    const answers: { jobId: string; error?: string }[] = [];
    child.on("message", (m: { jobId: string; error?: string }) => answers.push(m));
    const order = (id: string) => ({
      job: { id, retryCount: 0, data: { runKey: "k", project: "p", base: "0".repeat(40), target: "main", task: { id: "t" } } },
      clone: join(tempDir("br-no-clone-"), "missing"),
      worker: "w",
    });
    child.send(order("job-1"));
    await waitFor(() => answers.length === 1, "the first answer", 30_000);
    child.send(order("job-2"));
    await waitFor(() => answers.length === 2, "the second answer", 30_000);
    assert.deepEqual(
      answers.map((a) => a.jobId),
      ["job-1", "job-2"],
    );
    assert.ok(
      answers.every((a) => typeof a.error === "string" && a.error.length > 0),
      JSON.stringify(answers),
    );
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    child.disconnect();
    assert.equal(await exited, 0, "an idle job process ends with its worker");
  });

  it("a commit hook that holds the worker 25 s (past the 10 s heartbeat) keeps the lease: each task is built once", async () => {
    const p = queuedProject(1);
    const hooks = tempDir("br-slow-hooks-");
    writeFileSync(join(hooks, "pre-commit"), "#!/bin/sh\nsleep 25\n", { mode: 0o755 });
    // Every git command of the worker (and of the task processes it starts) runs this hook on commit.
    const slowGit = { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "core.hooksPath", GIT_CONFIG_VALUE_0: hooks };
    const worker = startWorker(p, "slow", ["--until-idle", "10"], QUEUE_URL, slowGit);
    const run = await orchestrator(p, 1);
    assertIntegratedOnce(p, run, 2);
    const tasks = callsOf(p).map((c) => c.task);
    assert.deepEqual(tasks, [...new Set(tasks)], "no task was built twice (a lapsed lease would hand it out again)");
    assert.equal((await worker.ended).code, 0);
  });
});
