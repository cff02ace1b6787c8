/**
 * The process each queued task is built in: the worker's own event loop stays free for the
 * lease's heartbeats while the task's process is held (a slow commit hook, a long check).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { tempDir } from "./helpers.ts";
import { callsOf } from "./parallel-project.ts";
import { assertIntegratedOnce, killQueueChildren, orchestrator, QUEUE_URL, queuedProject, startWorker } from "./queue-project.ts";

after(killQueueChildren);

describe("a queued task's own process", { timeout: 300_000 }, () => {
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
