/**
 * Multi-machine runs against the real PostgreSQL server (127.0.0.1:5432, database `test`): an
 * orchestrator (`br run --parallel` with BR_QUEUE_URL) and several `br worker --queue` processes,
 * each with its own clone of a bare "remote" repository, build a plan with the fake agent.
 */
import assert from "node:assert/strict";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { br, brSpawn, git, tempDir, waitFor } from "./helpers.ts";
import { callsOf } from "./parallel-project.ts";
import { PrivateServer } from "./pg-server.ts";
import {
  assertIntegratedOnce,
  killQueueChildren,
  orchestrator,
  orchestratorProcess,
  planStatuses,
  psql,
  QUEUE_URL,
  type QueuedProject,
  type QueueRunJson,
  queuedProject,
  startWorker,
  trackChild,
} from "./queue-project.ts";

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

interface Spend {
  cost: { calls: number; machines?: { machine: string; calls: number }[] };
}

/**
 * The journal on the orchestrator, and on another clone of the project that never ran anything,
 * holds every worker's attempts with its machine: br status and br model stats count them all.
 */
function assertEveryMachineSeen(p: QueuedProject, calls: number, reported: { tasks: unknown[]; attempts: number }[]): void {
  const env = { ...p.env, BR_QUEUE_URL: QUEUE_URL };
  const elsewhere = join(tempDir("br-elsewhere-"), "checkout");
  git(p.cwd, "clone", "-q", p.remote, elsewhere);
  for (const cwd of [p.cwd, elsewhere, elsewhere]) {
    const status = br(["status", "--json"], { cwd, env });
    assert.equal(status.code, 0, status.stderr);
    const spend = (JSON.parse(status.stdout) as Spend).cost;
    assert.equal(spend.calls, calls, `br status in ${cwd} counts every machine's calls once`);
    const worked = reported.filter((r) => r.attempts > 0).length;
    assert.equal(spend.machines?.length, worked, JSON.stringify(spend.machines));
    assert.ok(spend.machines?.every((m) => m.machine.startsWith("vm-")));
    const stats = br(["model", "stats", "--json"], { cwd, env });
    assert.equal(stats.code, 0, stats.stderr);
    assert.equal((JSON.parse(stats.stdout) as { calls: number }).calls, calls);
  }
}

/** The dashboard on a checkout that ran nothing shows a task's attempts, made on another machine. */
async function assertDashboardSeesEveryMachine(p: QueuedProject, task: string): Promise<void> {
  const checkout = join(tempDir("br-dashboard-"), "checkout");
  git(p.cwd, "clone", "-q", p.remote, checkout);
  const dashboard = brSpawn(["dashboard", "--port", "0", "--json"], { cwd: checkout, env: { ...p.env, BR_QUEUE_URL: QUEUE_URL } });
  trackChild(dashboard);
  let out = "";
  dashboard.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  await waitFor(() => out.includes("\n"), "the dashboard to listen", 30_000);
  const { url } = JSON.parse(out.split("\n")[0] as string) as { url: string };
  const api = `${url.split("#")[0]}api/tasks/${encodeURIComponent(task)}`;
  let attempts: unknown[] = [];
  const until = Date.now() + 30_000;
  while (attempts.length === 0 && Date.now() < until) {
    attempts = ((await (await fetch(api, { signal: AbortSignal.timeout(5000) })).json()) as { attempts: unknown[] }).attempts;
    if (attempts.length === 0) await new Promise((done) => setTimeout(done, 300));
  }
  dashboard.kill("SIGTERM");
  assert.ok(attempts.length >= 1, `the dashboard shows ${task}'s attempt from a worker's machine`);
}

after(killQueueChildren);

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
    assertEveryMachineSeen(p, calls, reported);
    await assertDashboardSeesEveryMachine(p, summary.integrated[0]?.task as string);
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

  it("kill -9 of the orchestrator: workers finish what they hold, br merge --streams integrates it, the next run builds only the rest", async () => {
    const p = queuedProject(3, { FAKE_AGENT_MODE: "slow", FAKE_AGENT_SLEEP: "2" });
    const workers = ["m", "n"].map((name) => startWorker(p, name, ["--until-idle", "8"]));
    const first = orchestratorProcess(p, 2);
    await waitFor(() => callsOf(p).length >= 1, "a worker's agent to start", 120_000);
    // A second conductor of the project, from another clone, is refused while the first one lives.
    const elsewhere = join(tempDir("br-second-"), "checkout");
    git(p.cwd, "clone", "-q", p.remote, elsewhere);
    const second = br(["run", "--parallel", "2", "--auto"], { cwd: elsewhere, env: { ...p.env, BR_QUEUE_URL: QUEUE_URL } });
    assert.equal(second.code, 2, second.stderr);
    assert.match(second.stderr, /Another br is conducting this project's queue: .* seen \d+ s ago/);
    assert.equal(git(elsewhere, "status", "--porcelain"), "", "the refused conductor changed nothing in its checkout");
    assert.equal(git(p.remote, "rev-parse", "main"), git(elsewhere, "rev-parse", "main"), "nor pushed anything");
    first.kill("SIGKILL");
    await Promise.all(workers.map((w) => w.ended));
    const built = new Set(callsOf(p).map((c) => c.task));
    assert.ok(built.size >= 1);
    const env = { ...p.env, BR_QUEUE_URL: QUEUE_URL };
    const merged = br(["merge", "--streams", "--json"], { cwd: p.cwd, env });
    assert.equal(merged.code, 0, `${merged.stdout}\n${merged.stderr}`);
    const mergedTasks = (JSON.parse(merged.stdout) as QueueRunJson).integrated.map((i) => i.task);
    assert.deepEqual(mergedTasks.sort(), [...built].sort(), "what the workers verified is integrated, nothing else");
    const again = br(["merge", "--streams", "--json"], { cwd: p.cwd, env });
    assert.deepEqual((JSON.parse(again.stdout) as QueueRunJson).integrated, [], "a second merge integrates nothing again");
    const rest = ["o", "q"].map((name) => startWorker(p, name, ["--until-idle", "15"]));
    const run = await orchestrator(p, 2);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const later = (JSON.parse(run.stdout) as QueueRunJson).integrated.map((i) => i.task);
    assert.deepEqual(planStatuses(p.cwd), [], "every task done");
    assert.deepEqual([...mergedTasks, ...later].sort(), [...new Set([...mergedTasks, ...later])].sort(), "no task integrated twice");
    assert.equal(mergedTasks.length + later.length, 6);
    for (const task of built) assert.equal(callsOf(p).filter((c) => c.task === task).length, 1, `${task} was built once`);
    await Promise.all(rest.map((w) => w.ended));
  });

  it("the PostgreSQL server stopped for 10 seconds mid-run: the orchestrator and the workers recover and the plan completes", async () => {
    const server = await PrivateServer.create();
    try {
      const p = queuedProject(4, { FAKE_AGENT_MODE: "slow", FAKE_AGENT_SLEEP: "1" });
      const workers = ["s", "t"].map((name) => startWorker(p, name, ["--until-idle", "25"], server.url()));
      const run = orchestrator(p, 2, server.url());
      await waitFor(() => callsOf(p).length >= 2, "two tasks to start", 120_000);
      server.stop();
      await new Promise((done) => setTimeout(done, 10_000));
      server.start();
      const result = await run;
      assertIntegratedOnce(p, result, 8);
      for (const worker of await Promise.all(workers.map((w) => w.ended))) assert.equal(worker.code, 0, worker.stderr);
    } finally {
      server.destroy();
    }
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
