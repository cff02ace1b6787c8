/**
 * The process guard (src/infra/process.ts): one watchdog per br process, however many agents and
 * checks it starts, and everything still guarded ends with br however br ends (kill -9 included),
 * while what br let go is left alone.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { guardProcessGroup, isAlive, killProcessGroup, runShell, watchdogPid } from "../../src/infra/process.ts";

const T = { timeout: 30_000 };
const ROOT = resolve(import.meta.dirname, "..", "..");
const started: number[] = [];
const dirs: string[] = [];
after(() => {
  for (const pid of started) killProcessGroup(pid, "SIGKILL");
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A `sleep` in a process group of its own, as br starts agents and checks. */
function sleeper(): number {
  const child = spawn("sleep", ["300"], { detached: true, stdio: "ignore" });
  child.unref();
  started.push(child.pid as number);
  return child.pid as number;
}

async function until(ready: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!ready()) {
    if (Date.now() > end) throw new Error(`gave up after ${deadlineMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** The processes whose parent is `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * A process standing in for br: it guards `guard` sleepers, guards then releases `release` more,
 * prints their pids as JSON and waits to be killed.
 */
function brStandIn(guard: number, release: number): { child: ChildProcess; pids: Promise<{ guarded: number[]; released: number[] }> } {
  const dir = mkdtempSync(join(tmpdir(), "br-unit-process-"));
  dirs.push(dir);
  const script = join(dir, "stand-in.ts");
  writeFileSync(
    script,
    `import { spawn } from "node:child_process";
import { guardProcessGroup } from ${JSON.stringify(join(ROOT, "src", "infra", "process.ts"))};
const sleeper = () => { const c = spawn("sleep", ["300"], { detached: true, stdio: "ignore" }); c.unref(); return c.pid; };
const guarded = Array.from({ length: ${guard} }, () => { const pid = sleeper(); guardProcessGroup(pid); return pid; });
const released = Array.from({ length: ${release} }, () => { const pid = sleeper(); guardProcessGroup(pid).release(); return pid; });
console.log(JSON.stringify({ guarded, released }));
setInterval(() => {}, 1000);
`,
  );
  const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const pids = new Promise<{ guarded: number[]; released: number[] }>((resolvePids) => {
    let out = "";
    child.stdout?.on("data", (chunk) => {
      out += chunk;
      if (out.includes("\n")) resolvePids(JSON.parse(out) as { guarded: number[]; released: number[] });
    });
  });
  return { child, pids };
}

describe("the process guard", () => {
  it("is one watchdog for every group a br process guards, started once", T, async () => {
    const before = new Set(childrenOf(process.pid));
    const guards = Array.from({ length: 6 }, () => guardProcessGroup(sleeper()));
    const dog = watchdogPid();
    assert.ok(dog !== undefined, "a watchdog runs");
    // Checks through runShell are guarded by the same watchdog.
    for (let i = 0; i < 3; i++) assert.equal((await runShell("true", ROOT, 10_000)).exitCode, 0);
    assert.equal(watchdogPid(), dog, "the same watchdog throughout");
    const added = childrenOf(process.pid).filter((pid) => !before.has(pid));
    const watchdogs = added.filter((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("groups="));
    assert.deepEqual(watchdogs, [dog]);
    for (const guard of guards) guard.release();
  });

  it("ends every group still guarded when its br process is killed with kill -9, and leaves released ones alone", T, async () => {
    const { child, pids } = brStandIn(3, 2);
    const { guarded, released } = await pids;
    started.push(...guarded, ...released);
    for (const pid of [...guarded, ...released]) assert.ok(isAlive(pid), "the sleepers run");
    child.kill("SIGKILL");
    await until(() => guarded.every((pid) => !isAlive(pid)), "the guarded groups to end");
    assert.ok(
      released.every((pid) => isAlive(pid)),
      "a group br let go is not ended",
    );
  });

  it("ends the guarded groups when br ends on a plain SIGTERM too", T, async () => {
    const { child, pids } = brStandIn(1, 0);
    const { guarded } = await pids;
    started.push(...guarded);
    child.kill("SIGTERM");
    await until(() => guarded.every((pid) => !isAlive(pid)), "the guarded group to end");
  });
});
