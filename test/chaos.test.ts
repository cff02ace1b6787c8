/**
 * Chaos: `br run` on a 10-task plan, killed with kill -9 or Ctrl-C (SIGINT) at random moments
 * (while the agent works, while the checks run, while a git hook holds the commit), each time
 * followed by another `br run --auto`, as a user would. The plan must complete with no verified
 * task run twice, every verified task's files committed, a clean tree, and no run that refused to
 * go on (which would need the user's help). The seed is printed, and CHAOS_SEED replays a run.
 */
import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
// Seeded, so a failing sequence of kills can be replayed.
import { seededRandom as random } from "../src/infra/random.ts";
import { FAKE_AGENT, journal, project, tasks } from "./agent-project.ts";
import { brAsync, brOk, brSpawn, git } from "./helpers.ts";

const KILLS = 20;

/** Starts br run, kills it after `delayMs` unless it ended first; says how it ended. */
async function runAndKill(cwd: string, env: Record<string, string>, delayMs: number, signal: NodeJS.Signals) {
  const child = brSpawn(["run", "--auto"], { cwd, env, timeoutMs: 120_000 });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const first = await Promise.race([exited.then(() => "exited" as const), sleep(delayMs).then(() => "due" as const)]);
  if (first === "due") child.kill(signal);
  const code = await exited;
  return { killed: first === "due", code, stderr };
}

describe("chaos", () => {
  it(`br run killed at ${KILLS} random moments (kill -9 or Ctrl-C) finishes the plan: nothing run twice, lost or left`, async () => {
    const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
    const next = random(seed);
    const p = project("slow", { FAKE_AGENT_SLEEP: "0.4", FAKE_AGENT_WRITE_FIRST: "1" });
    brOk(["config", "set", "run.executor", "command"], { cwd: p.cwd });
    brOk(["config", "set", "executors.command.command", `"${process.execPath}" "${FAKE_AGENT}" command --model {model}`], { cwd: p.cwd });
    brOk(["config", "set", "commands.test", "sleep 0.3 && node --test"], { cwd: p.cwd });
    git(p.cwd, "commit", "-qam", "chaos settings");
    // A hook that takes a moment, so some kills land while git is committing.
    const hook = join(p.cwd, ".git", "hooks", "pre-commit");
    writeFileSync(hook, "#!/bin/sh\nsleep 0.2\n");
    chmodSync(hook, 0o755);
    const total = tasks(p.cwd).length;
    assert.equal(total, 10);

    const refusals: string[] = [];
    let kills = 0;
    for (let round = 0; round < KILLS * 2 && kills < KILLS; round++) {
      const delay = 150 + Math.floor(next() * 2500);
      const signal = next() < 0.5 ? "SIGKILL" : "SIGINT";
      const outcome = await runAndKill(p.cwd, p.env, delay, signal);
      if (outcome.killed) kills++;
      else if (outcome.code !== 0) refusals.push(`round ${round}: exit ${outcome.code}: ${outcome.stderr.slice(-400)}`);
      if (!outcome.killed && tasks(p.cwd).every((t) => t.status === "done")) break;
    }
    const last = await brAsync(["run", "--auto"], { cwd: p.cwd, env: p.env, timeoutMs: 180_000 });
    const context = `seed ${seed} (CHAOS_SEED=${seed} replays it), ${kills} kills`;
    assert.equal(last.code, 0, `${context}\n${last.stderr}`);
    assert.deepEqual(refusals, [], `${context}: a run stopped on its own and would have needed help`);

    const all = tasks(p.cwd);
    assert.ok(
      all.every((t) => t.status === "done"),
      `${context}: ${JSON.stringify(all.map((t) => [t.id, t.status]))}`,
    );
    const rows = journal(p.cwd);
    for (const task of all) {
      const mine = rows.filter((r) => r.task_id === task.id);
      assert.equal(mine.filter((r) => r.outcome === "passed").length, 1, `${context}: ${task.id} verified once`);
      assert.equal(mine.at(-1)?.outcome, "passed", `${context}: no attempt of ${task.id} after it was verified`);
    }
    const committed = git(p.cwd, "ls-files");
    for (const task of all) {
      const slug = task.id.replace(/[^a-z0-9]+/g, "_");
      assert.match(committed, new RegExp(`^src/${slug}\\.js$`, "m"), `${context}: ${task.id}'s files are committed`);
    }
    assert.equal(git(p.cwd, "status", "--porcelain", "--untracked-files=all"), "", `${context}: the tree is clean`);
  });
});
