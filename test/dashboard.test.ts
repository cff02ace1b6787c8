/**
 * `br dashboard` over HTTP, as a browser or an attacker's page would reach it: the guard's
 * refusals (403, nothing changed), the command's bad input (exit 2), a live sequential run with
 * its masked agent log, and the event stream's replay after Last-Event-ID.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { calls, commandProject, statusOf } from "./agent-project.ts";
import { type Dashboard, readEvents, request, type SseEvent, startDashboard } from "./dashboard-server.ts";
import { br, brAsync, brOk, snapshot, tempDir } from "./helpers.ts";

const KEY = ["AKIA", "W3RT7YU2IZ5PA9KD"].join("");

async function withDashboard<T>(cwd: string, work: (d: Dashboard) => Promise<T>, extra: string[] = []): Promise<T> {
  const dashboard = await startDashboard(cwd, {}, extra);
  try {
    return await work(dashboard);
  } finally {
    await dashboard.stop();
  }
}

/** This machine's IPv4 addresses other than loopback. */
function otherAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((i) => i !== undefined && i.family === "IPv4" && !i.internal)
    .map((i) => (i as { address: string }).address);
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const json = (token?: string, origin?: string) => ({
  "content-type": "application/json",
  ...(token ? { "x-br-token": token } : {}),
  ...(origin ? { origin } : {}),
});

describe("br dashboard", () => {
  it("refuses a foreign Host, a cross-site post and a post without the token with 403, changing nothing", async () => {
    const p = commandProject("good");
    const id = JSON.parse(readFileSync(join(p.cwd, ".buildrunner", "tasks.json"), "utf8")).tasks[0].id as string;
    brOk(["tasks", "fail", id, "--reason", "the tests broke"], { cwd: p.cwd });
    const before = snapshot(p.cwd);
    await withDashboard(p.cwd, async ({ port, token, url }) => {
      const own = `http://127.0.0.1:${port}`;
      assert.ok(url.startsWith(`${own}/#token=`), url);
      // Bound to loopback: this machine's other addresses do not answer.
      for (const address of otherAddresses()) assert.equal(await reachable(address, port), false, `${address}:${port}`);
      for (const host of [`evil.example:${port}`, `127.0.0.1:${port + 1}`, "localhost", `localhost.evil.example:${port}`]) {
        const reply = await request(port, "/api/state", { headers: { host } });
        assert.equal(reply.status, 403, `Host ${host}`);
        assert.match(reply.body, /not this dashboard/);
      }
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`])
        assert.equal((await request(port, "/api/state", { headers: { host } })).status, 200, `Host ${host}`);
      const retry = `/api/tasks/${id}/retry`;
      const body = JSON.stringify({ confirm: true });
      const refused = [
        { what: "a cross-site text/plain post", headers: { "content-type": "text/plain", origin: "http://evil.example" } },
        { what: "a form post with the token", headers: { "content-type": "application/x-www-form-urlencoded", "x-br-token": token } },
        { what: "JSON without the token", headers: json(undefined, own) },
        { what: "JSON with a wrong token", headers: json(`${token}x`, own) },
        { what: "JSON with the token from another origin", headers: json(token, "http://evil.example") },
        { what: "a foreign Host with everything else right", headers: { ...json(token, own), host: `evil.example:${port}` } },
      ];
      for (const attempt of refused) {
        const reply = await request(port, retry, { method: "POST", headers: attempt.headers, body });
        assert.equal(reply.status, 403, attempt.what);
        assert.equal(reply.headers["access-control-allow-origin"], undefined, attempt.what);
      }
      const preflight = await request(port, retry, {
        method: "OPTIONS",
        headers: { origin: "http://evil.example", "access-control-request-method": "POST", "access-control-request-headers": "x-br-token" },
      });
      assert.equal(preflight.status, 403, "no CORS preflight is granted");
      assert.equal(preflight.headers["access-control-allow-origin"], undefined);
      assert.deepEqual(snapshot(p.cwd), before, "nothing changed on disk");
      assert.equal(statusOf(p.cwd, id), "failed");

      const unconfirmed = await request(port, retry, { method: "POST", headers: json(token, own), body: "{}" });
      assert.equal(unconfirmed.status, 400, "an action must be confirmed");
      const done = await request(port, retry, { method: "POST", headers: json(token, own), body });
      assert.equal(done.status, 200, done.body);
      assert.notEqual(statusOf(p.cwd, id), "failed", "the retry reset the task");
      const again = await request(port, retry, { method: "POST", headers: json(token, own), body });
      assert.equal(again.status, 409, "a task that is not failed cannot be retried");
      assert.equal(
        (await request(port, "/api/run/stop", { method: "POST", headers: json(token, own), body })).status,
        409,
        "no run to stop",
      );

      const page = await request(port, "/");
      assert.equal(page.status, 200);
      assert.match(String(page.headers["content-security-policy"]), /default-src 'none'; script-src 'sha256-/);
      assert.equal(page.headers["x-frame-options"], "DENY");
      assert.doesNotMatch(page.body, new RegExp(token), "the page itself does not carry the token");
    });
  });

  it("exits 2 on a busy port, a bad port and a public address without --token; --port 0 picks a free port", async () => {
    const p = commandProject("good");
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const inUse = br(["dashboard", "--port", String(port)], { cwd: p.cwd, timeoutMs: 30_000 });
      assert.equal(inUse.code, 2, inUse.stderr);
      assert.match(inUse.stderr, new RegExp(`Port ${port} on 127.0.0.1 is already in use[\\s\\S]*--port 0`));
    } finally {
      busy.close();
    }
    for (const [args, message] of [
      [["--port", "http"], /--port takes a whole number from 0 to 65535/],
      [["--port", "70000"], /--port takes a whole number/],
      [["--host", "0.0.0.0"], /--host 0\.0\.0\.0 lets other machines reach the dashboard, so it needs --token/],
      [["--host", "0.0.0.0", "--token", "short"], /--token must be at least 16/],
    ] as const) {
      const result = br(["dashboard", ...args], { cwd: p.cwd, timeoutMs: 30_000 });
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
    const token = "t".repeat(24);
    await withDashboard(
      p.cwd,
      async (d) => {
        assert.ok(d.port > 0);
        assert.equal(d.token, token);
        assert.equal((await request(d.port, "/api/state")).status, 403, "beyond loopback, reading needs the token");
        assert.equal((await request(d.port, `/api/state?token=${token}`)).status, 200);
        assert.equal((await request(d.port, "/api/state", { headers: { "x-br-token": token } })).status, 200);
      },
      ["--host", "0.0.0.0", "--token", token],
    );
  });

  it("shows a sequential run live with the agent's log masked, and replays what a page missed after Last-Event-ID", async () => {
    const p = commandProject("slow", { FAKE_AGENT_SLEEP: "3", FAKE_AGENT_CHATTER: "40", FAKE_AGENT_LEAK: KEY });
    await withDashboard(p.cwd, async ({ port }) => {
      const run = brAsync(["run", "--auto", "--max-tasks", "1", "--json"], { cwd: p.cwd, env: p.env });
      const live = await readEvents(
        port,
        (events) =>
          events.some((e) => e.event === "state" && JSON.parse(e.data).streams.some((s: { attempt: unknown }) => s.attempt)) &&
          events.filter((e) => e.event === "log").flatMap((e) => JSON.parse(e.data).lines as string[]).length >= 20,
        { deadlineMs: 60_000 },
      );
      const state = JSON.parse(live.findLast((e) => e.event === "state")?.data ?? "{}");
      const main = state.streams.find((s: { name: string }) => s.name === "main");
      assert.ok(main?.attempt, `the sequential run shows as stream "main": ${JSON.stringify(state.streams)}`);
      assert.equal(main.attempt.attempt, 1);
      assert.ok(state.board.running.length + state.board.verifying.length === 1, "its task is on the board as running");
      const lines = live.filter((e) => e.event === "log").flatMap((e) => JSON.parse(e.data).lines as string[]);
      assert.ok(
        lines.some((l) => /step \d+ at=\d+/.test(l)),
        lines.slice(0, 3).join("\n"),
      );
      assert.ok(
        lines.some((l) => l.includes("AKIA****")),
        "the secret the agent printed is shown masked",
      );
      const last = live.findLast((e) => e.id !== undefined) as SseEvent;

      const result = await run;
      assert.equal(result.code, 0, result.stderr);
      // What happened while no page listened: the run ended, the task is done.
      const missed = await readEvents(
        port,
        (events) => events.some((e) => e.event === "state" && JSON.parse(e.data).board.done.length === 1),
        { lastEventId: last.id as string },
      );
      const [launch, seen] = (last.id as string).split("-");
      assert.equal(missed[0]?.id, `${launch}-${Number(seen) + 1}`, "the stream goes on right after the last event seen, no reset");
      for (const lastEventId of ["99999999", `${launch === "00000000" ? "11111111" : "00000000"}-1`, `${launch}-99999999`]) {
        const stale = await readEvents(port, (events) => events.length > 0, { lastEventId });
        assert.equal(stale[0]?.event, "state", `${lastEventId}: an id this server never gave gets the whole state`);
      }

      const doneTask = JSON.parse(missed.findLast((e) => e.event === "state")?.data ?? "{}").board.done[0].id as string;
      const attempts = JSON.parse((await request(port, `/api/tasks/${doneTask}`)).body).attempts as { id: number; outcome: string }[];
      assert.equal(attempts[0]?.outcome, "passed", "the task's attempts come with their outcome");
      const attemptId = attempts[0]?.id;
      const log = await request(port, `/api/attempts/${attemptId}/log?lines=1000`);
      assert.equal(log.status, 200);
      assert.ok((JSON.parse(log.body).lines as string[]).length >= 20, "the log stays readable after the attempt");
      for (const text of [...live, ...missed].map((e) => e.data).concat(log.body))
        assert.ok(!text.includes(KEY), "no response carries the secret in clear");
      const logsDir = join(p.cwd, ".buildrunner", "state", "logs");
      assert.ok(existsSync(logsDir));
      for (const file of readdirSync(logsDir)) assert.ok(!readFileSync(join(logsDir, file), "utf8").includes(KEY), `${file} is masked`);
    });
  });

  it("stops a run from its page: the attempt in flight finishes, no retry starts, and the task stays ready", async () => {
    const gate = join(tempDir("br-gate-"), "go");
    const p = commandProject("fail-first", { FAKE_AGENT_WAIT_FOR: gate });
    await withDashboard(p.cwd, async ({ port, token }) => {
      const run = brAsync(["run", "--auto", "--json"], { cwd: p.cwd, env: p.env });
      await readEvents(
        port,
        (events) => events.some((e) => e.event === "state" && JSON.parse(e.data).streams.some((s: { attempt: unknown }) => s.attempt)),
        { deadlineMs: 60_000 },
      );
      const stop = await request(port, "/api/run/stop", {
        method: "POST",
        headers: json(token, `http://127.0.0.1:${port}`),
        body: JSON.stringify({ confirm: true }),
      });
      assert.equal(stop.status, 200, stop.body);
      writeFileSync(gate, "go");
      const result = await run;
      const summary = JSON.parse(result.stdout) as { stoppedBecause?: string; attempts: number; failed: unknown[] };
      assert.match(summary.stoppedBecause ?? "", /stopped from the dashboard/);
      assert.equal(summary.attempts, 1, "the failed first attempt is not retried after the stop");
      const first = calls(p)[0]?.task as string;
      assert.equal(calls(p).length, 1);
      assert.equal(statusOf(p.cwd, first), "ready", "the task is left for the next run");
    });
  });
});
