/**
 * Multi-machine runs against the real PostgreSQL server (127.0.0.1:5432, database `test`): an
 * orchestrator (`br run --parallel` with BR_QUEUE_URL) and several `br worker --queue` processes,
 * each with its own clone of a bare "remote" repository, build a plan with the fake agent.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type BrResult, br, brAsync, brSpawn, git, outputOf, tempDir, waitFor } from "./helpers.ts";
import { callsOf } from "./parallel-project.ts";
import { planStatuses, psql, QUEUE_URL, type QueuedProject, queuedProject } from "./queue-project.ts";

const children: ChildProcess[] = [];
after(() => {
  for (const child of children) child.kill("SIGKILL");
});

function startWorker(p: QueuedProject, name: string, extra: string[] = [], url = QUEUE_URL) {
  const home = tempDir(`br-worker-${name}-`);
  const child = brSpawn(["worker", "--queue", url, "--repo", p.remote, "--dir", join(home, "clone"), "--json", ...extra], {
    cwd: home,
    env: { ...p.env, BR_QUEUE_SUPERVISE_SECONDS: "2" },
    timeoutMs: 8 * 60_000,
  });
  children.push(child);
  const ended = outputOf(child);
  return { child, ended, home };
}

/**
 * A TCP relay to the PostgreSQL server that can be cut: every connection through it is dropped and
 * new ones are refused until it is restored, which is what a server outage looks like to br.
 */
class Relay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = tcpConnect(5432, "127.0.0.1");
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.sockets.add(a);
        a.on("error", () => b.destroy());
        a.on("close", () => {
          this.sockets.delete(a);
          b.destroy();
        });
        a.pipe(b);
      }
    });
    this.server = server;
    await new Promise<void>((done) => server.listen(this.port, "127.0.0.1", done));
    this.port = (server.address() as { port: number }).port;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((done) => server.close(done));
  }

  url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/test`;
  }
}

interface QueueRunJson {
  runKey: string;
  done: string[];
  failed: { id: string; reason: string }[];
  integrated: { task: string; worker: string }[];
  ledger: { attempts: number; costUsd: number; byMachine: { machine: string; attempts: number }[] };
}

/** The orchestrator: `br run --parallel n` with the queue, started now. */
function orchestrator(p: QueuedProject, parallel: number, url = QUEUE_URL) {
  return brAsync(["run", "--parallel", String(parallel), "--auto", "--json"], {
    cwd: p.cwd,
    env: { ...p.env, BR_QUEUE_URL: url, BR_QUEUE_SUPERVISE_SECONDS: "2" },
    timeoutMs: 8 * 60_000,
  });
}

/** The run succeeded, every task of the plan is done, and each was integrated exactly once. */
function assertIntegratedOnce(p: QueuedProject, run: BrResult, tasks: number): QueueRunJson {
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  const summary = JSON.parse(run.stdout) as QueueRunJson;
  assert.deepEqual(planStatuses(p.cwd), [], "every task done");
  const integrated = summary.integrated.map((i) => i.task);
  assert.equal(new Set(integrated).size, integrated.length, `each task integrated once: ${integrated.join(", ")}`);
  assert.equal(integrated.length, tasks);
  return summary;
}

describe("br run --parallel on a PostgreSQL queue", { timeout: 900_000 }, () => {
  it("an orchestrator and 3 workers complete a 12-feature plan: each task integrated once, the shared ledger equal to the agent's calls", async () => {
    const p = queuedProject(12);
    const workers = ["a", "b", "c"].map((name) => startWorker(p, name, ["--until-idle", "20"]));
    const run = await orchestrator(p, 3);
    const summary = assertIntegratedOnce(p, run, 24);
    const reports = await Promise.all(workers.map((w) => w.ended));
    const reported = reports.map((r) => JSON.parse(r.stdout) as { tasks: unknown[]; attempts: number });
    assert.ok(reported.filter((r) => r.tasks.length > 0).length >= 2, "the work was shared between workers");
    // The ledger in PostgreSQL holds one row per agent call, whichever machine made it.
    const calls = callsOf(p).length;
    assert.equal(summary.ledger.attempts, calls);
    assert.equal(
      reported.reduce((n, r) => n + r.attempts, 0),
      calls,
    );
    const rows = psql(`SELECT count(*) FROM br_shared.attempts WHERE run_key = '${summary.runKey}'`);
    assert.equal(Number(rows), calls);
    // The target on the remote holds every integration, and the plan's final status.
    assert.equal(git(p.remote, "rev-parse", "main"), git(p.cwd, "rev-parse", "main"));
    const status = br(["queue", "status", "--json"], { cwd: p.cwd, env: { BR_QUEUE_URL: QUEUE_URL } });
    assert.equal(status.code, 0, status.stderr);
    const parsed = JSON.parse(status.stdout) as { jobs: Record<string, number>; workers: unknown[]; url: string };
    assert.equal(parsed.jobs.completed, 24);
    assert.equal(parsed.workers.length, 3);
  });

  it("kill -9 of a worker mid-task: another worker runs its task once the lease lapses, and it is integrated once", async () => {
    const p = queuedProject(3, { FAKE_AGENT_MODE: "slow", FAKE_AGENT_SLEEP: "2" });
    const doomed = startWorker(p, "doomed");
    const run = orchestrator(p, 1);
    await waitFor(() => callsOf(p).some((c) => c.cwd?.startsWith(doomed.home)), "the first worker's agent to start", 120_000);
    const victim = callsOf(p).find((c) => c.cwd?.startsWith(doomed.home))?.task as string;
    doomed.child.kill("SIGKILL");
    const survivor = startWorker(p, "survivor", ["--until-idle", "15"]);
    const result = await run;
    assertIntegratedOnce(p, result, 6);
    const reruns = callsOf(p).filter((c) => c.task === victim);
    assert.ok(
      reruns.some((c) => c.cwd?.startsWith(survivor.home)),
      `${victim} was run again by the other worker`,
    );
    await survivor.ended;
  });

  it("PostgreSQL unreachable for 10 seconds mid-run: the orchestrator and the workers recover and the plan completes", async () => {
    const relay = new Relay();
    await relay.open();
    const p = queuedProject(4, { FAKE_AGENT_MODE: "slow", FAKE_AGENT_SLEEP: "1" });
    const workers = ["x", "y"].map((name) => startWorker(p, name, ["--until-idle", "25"], relay.url()));
    const run = orchestrator(p, 2, relay.url());
    await waitFor(() => callsOf(p).length >= 2, "two tasks to start", 120_000);
    await relay.cut();
    await new Promise((done) => setTimeout(done, 10_000));
    await relay.open();
    const result = await run;
    assertIntegratedOnce(p, result, 8);
    for (const worker of await Promise.all(workers.map((w) => w.ended))) assert.equal(worker.code, 0, worker.stderr);
    await relay.cut();
  });
});
