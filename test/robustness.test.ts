import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { br, brAsync, brJson, brOk, brSpawn, initializedRepo, readJson, snapshot, tempRepo } from "./helpers.ts";

const featuresPath = (cwd: string) => join(cwd, ".buildrunner", "features.json");
const lockPath = (cwd: string) => join(cwd, ".buildrunner", "state", "project.lock");

/**
 * Another process holding the project lock, as a br command in the middle of a write would: it
 * takes the lock the way br does (a write transaction on the lock file) and names itself.
 */
async function lockHolder(cwd: string): Promise<ChildProcess> {
  const script = `
    const { DatabaseSync } = require("node:sqlite");
    const db = new DatabaseSync(${JSON.stringify(lockPath(cwd))});
    db.exec("BEGIN IMMEDIATE");
    require("node:fs").writeFileSync(${JSON.stringify(`${lockPath(cwd)}.owner`)}, JSON.stringify({
      pid: process.pid, host: require("node:os").hostname(), acquiredAt: new Date().toISOString(), command: "br features add slow" }));
    process.stdout.write("held\\n");
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve) => child.stdout?.once("data", () => resolve()));
  return child;
}

describe("concurrent processes", () => {
  it("16 `br features add` started at once leave 16 features, none lost, file valid", async () => {
    const cwd = initializedRepo();
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => brAsync(["features", "add", `Feature ${i}`], { cwd })));
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    const registry = readJson<{ features: { id: string }[] }>(featuresPath(cwd));
    assert.equal(registry.features.length, 16);
    assert.deepEqual(new Set(registry.features.map((f) => f.id)), new Set(Array.from({ length: 16 }, (_, i) => `feature-${i}`)));
    assert.equal(brJson<{ counts: { planned: number } }>(["status"], { cwd }).counts.planned, 16);
  });

  it("concurrent `br init` runs: one wins, the rest refuse, and no acknowledged add is lost", async () => {
    const cwd = tempRepo();
    const inits = Array.from({ length: 6 }, () => brAsync(["init", "race"], { cwd }));
    await sleep(150);
    const adds = Array.from({ length: 8 }, (_, i) => brAsync(["features", "add", `Add ${i}`], { cwd }));
    const initResults = await Promise.all(inits);
    const addResults = await Promise.all(adds);
    assert.equal(initResults.filter((r) => r.code === 0).length, 1, "exactly one init succeeds");
    for (const r of initResults) if (r.code !== 0) assert.match(r.stderr, /already a BuildRunner project/);
    const acknowledged = addResults.map((r, i) => (r.code === 0 ? `add-${i}` : undefined)).filter(Boolean);
    const ids = readJson<{ features: { id: string }[] }>(featuresPath(cwd)).features.map((f) => f.id);
    for (const id of acknowledged) assert.ok(ids.includes(id as string), `${id} was acknowledged and is present`);
  });

  it("concurrent updates of different fields and features all survive", async () => {
    const cwd = initializedRepo();
    for (let i = 0; i < 4; i++) brOk(["features", "add", `F${i}`], { cwd });
    await Promise.all([
      ...Array.from({ length: 4 }, (_, i) => brAsync(["features", "start", `f${i}`], { cwd })),
      ...Array.from({ length: 4 }, (_, i) => brAsync(["features", "update", `f${i}`, "-p", "high"], { cwd })),
      brAsync(["config", "set", "run.maxAttempts", "5"], { cwd }),
    ]);
    const features = readJson<{ features: { status: string; priority: string }[] }>(featuresPath(cwd)).features;
    assert.ok(features.every((f) => f.status === "in_progress" && f.priority === "high"));
    assert.equal(brJson<{ value: number }>(["config", "get", "run.maxAttempts"], { cwd }).value, 5);
  });
});

describe("corrupted files", () => {
  const readers = [
    ["features", "list"],
    ["features", "show", "login"],
    ["features", "add", "Another"],
    ["features", "update", "login", "-p", "low"],
    ["features", "start", "login"],
    ["features", "remove", "login"],
    ["status"],
    ["status", "--json"],
    ["init", "--force"],
    ["attach", "--force"],
  ];

  function corruptedProject(corrupt: (text: string) => string): { cwd: string; bytes: Buffer } {
    const cwd = initializedRepo();
    brOk(["features", "add", "Login"], { cwd });
    brOk(["features", "add", "Signup", "--depends-on", "login"], { cwd });
    writeFileSync(featuresPath(cwd), corrupt(readFileSync(featuresPath(cwd), "utf8")));
    return { cwd, bytes: readFileSync(featuresPath(cwd)) };
  }

  const cases: { name: string; corrupt: (text: string) => string; place: (corrupted: string) => RegExp; message: RegExp }[] = [
    {
      name: "truncated",
      corrupt: (text) => text.slice(0, Math.floor(text.length / 2)),
      place: (corrupted) => new RegExp(`at: +line ${corrupted.trimEnd().split("\n").length}, column \\d+`),
      message: /features\.json is cut off: the JSON ends too early/,
    },
    {
      name: "wrong type in one feature",
      corrupt: (text) => {
        const data = JSON.parse(text) as { features: Record<string, unknown>[] };
        (data.features[1] as Record<string, unknown>).priority = 5;
        return JSON.stringify(data, null, 2);
      },
      place: (corrupted) => {
        const line = corrupted.split("\n").findIndex((l) => l.includes('"priority": 5')) + 1;
        return new RegExp(`at: +line ${line}, column 7 \\(features\\[1\\]\\.priority\\)`);
      },
      message: /features\[1\]\.priority must be one of "critical", "high", "medium", "low"; found number 5/,
    },
    {
      name: "dependency cycle",
      corrupt: (text) => {
        const data = JSON.parse(text) as { features: { dependsOn: string[] }[] };
        (data.features[0] as { dependsOn: string[] }).dependsOn = ["signup"];
        return JSON.stringify(data, null, 2);
      },
      place: () => /features\[0\]\.dependsOn/,
      message: /forms a dependency cycle: login → signup → login/,
    },
    {
      name: "unknown dependency",
      corrupt: (text) => text.replace('"login"\n', '"nobody"\n'),
      place: () => /features\[1\]\.dependsOn\[0\]/,
      message: /names no feature in the registry/,
    },
  ];

  for (const { name, corrupt, place, message } of cases) {
    it(`${name}: every command that reads it exits 2 naming file and place, and nothing changes`, () => {
      const { cwd, bytes } = corruptedProject(corrupt);
      const expectedPlace = place(bytes.toString("utf8"));
      const before = snapshot(cwd);
      for (const args of readers) {
        const result = br(args, { cwd });
        assert.equal(result.code, 2, `br ${args.join(" ")}: ${result.stderr}`);
        assert.match(result.stderr, /file: \.buildrunner\/features\.json/, args.join(" "));
        assert.match(result.stderr, expectedPlace, args.join(" "));
        assert.match(result.stderr, message, args.join(" "));
        assert.match(result.stderr, /fix: /);
        assert.ok(readFileSync(featuresPath(cwd)).equals(bytes), `${args.join(" ")} left features.json byte-for-byte unchanged`);
      }
      assert.deepEqual(snapshot(cwd), before, "no other file changed either");
    });
  }

  it("a malformed config.yaml exits 2 naming the line, for every command that reads it", () => {
    const cwd = initializedRepo();
    const configPath = join(cwd, ".buildrunner", "config.yaml");
    writeFileSync(configPath, "version: 1\nrun:\n  maxAttempts: many\n");
    const before = snapshot(cwd);
    for (const args of [
      ["features", "add", "X"],
      ["init", "--force"],
      ["config", "get", "run.maxAttempts"],
      ["config", "set", "gates.coverage", "90"],
    ]) {
      const result = br(args, { cwd });
      assert.equal(result.code, 2, args.join(" "));
      assert.match(result.stderr, /config\.yaml: run\.maxAttempts expected number, found the string "many"/);
      assert.match(result.stderr, /at: +line 3, column 16 \(run\.maxAttempts\)/);
    }
    writeFileSync(configPath, "version: 1\nrun: [unclosed\n");
    const syntax = br(["config", "list"], { cwd });
    assert.equal(syntax.code, 2);
    assert.match(syntax.stderr, /config\.yaml is not valid YAML/);
    assert.match(syntax.stderr, /at: +line \d+, column \d+/);
    writeFileSync(configPath, "version: 1\nrun:\n  maxAttempts: many\n");
    assert.deepEqual(snapshot(cwd), before);
  });
});

describe("interruption", () => {
  it("kill -9 at random moments never corrupts the registry or loses a completed add", async () => {
    const cwd = initializedRepo();
    const succeeded: string[] = [];
    for (let round = 0; round < 4; round++) {
      const children = Array.from({ length: 6 }, (_, i) => {
        const name = `r${round}-f${i}`;
        const child = brSpawn(["features", "add", name], { cwd });
        const done = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
        return { name, child, done };
      });
      // Kill half of them at random points of their run (start-up, lock wait, write).
      for (const [i, entry] of children.entries()) {
        if (i % 2 === 0) setTimeout(() => entry.child.kill("SIGKILL"), Math.random() * 250);
      }
      for (const entry of children) if ((await entry.done) === 0) succeeded.push(entry.name);
    }
    const listed = br(["features", "list", "--json"], { cwd });
    assert.equal(listed.code, 0, `registry still valid: ${listed.stderr}`);
    const ids = new Set((JSON.parse(listed.stdout) as { features: { id: string }[] }).features.map((f) => f.id));
    for (const name of succeeded) assert.ok(ids.has(name), `${name} reported success and is present`);
    // A lock left behind by a killed process does not block the next command.
    brOk(["features", "add", "after-the-storm"], { cwd, env: { BR_LOCK_TIMEOUT_MS: "5000" } });
  });

  it("a lock whose holder was killed with kill -9 is free at once", async () => {
    const cwd = initializedRepo();
    const holder = await lockHolder(cwd);
    holder.kill("SIGKILL");
    await new Promise((resolve) => holder.on("close", resolve));
    brOk(["features", "add", "Recovered"], { cwd, env: { BR_LOCK_TIMEOUT_MS: "2000" } });
  });

  it("waits for a live lock holder, then gives up with exit 1 naming the holder", async () => {
    const cwd = initializedRepo();
    const holder = await lockHolder(cwd);
    const before = snapshot(cwd);
    const result = await brAsync(["features", "add", "Blocked"], { cwd, env: { BR_LOCK_TIMEOUT_MS: "300" } });
    holder.kill();
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`held by process ${holder.pid} on .* \\(\`br features add slow\`, since`));
    assert.deepEqual(snapshot(cwd), before);
  });

  it("br status answers while another command holds the lock, when STATUS.md is current; it waits only to write", async () => {
    const cwd = initializedRepo();
    brOk(["features", "add", "Probe"], { cwd });
    brOk(["status"], { cwd });
    const holder = await lockHolder(cwd);
    try {
      const current = await brAsync(["status", "--json"], { cwd, env: { BR_LOCK_TIMEOUT_MS: "300" } });
      assert.equal(current.code, 0, current.stderr);
      assert.equal((JSON.parse(current.stdout) as { counts: { planned: number } }).counts.planned, 1);
      // A registry changed behind its back makes STATUS.md stale: writing it needs the lock.
      const registry = readJson<{ features: { name: string }[] }>(featuresPath(cwd));
      (registry.features[0] as { name: string }).name = "Renamed";
      writeFileSync(featuresPath(cwd), `${JSON.stringify(registry, null, 2)}\n`);
      const stale = await brAsync(["status"], { cwd, env: { BR_LOCK_TIMEOUT_MS: "300" } });
      assert.equal(stale.code, 1);
      assert.match(stale.stderr, /Timed out after 300 ms waiting for the lock/);
    } finally {
      holder.kill();
    }
  });

  it("rejects a BR_LOCK_TIMEOUT_MS that is not a number", () => {
    const cwd = initializedRepo();
    const result = br(["features", "add", "X"], { cwd, env: { BR_LOCK_TIMEOUT_MS: "soon" } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /BR_LOCK_TIMEOUT_MS must be a number/);
  });

  it("Ctrl-C exits 130 and changes nothing", async () => {
    const cwd = initializedRepo();
    const holder = await lockHolder(cwd);
    const before = snapshot(cwd);
    const child = brSpawn(["features", "add", "Interrupted"], { cwd, env: { BR_LOCK_TIMEOUT_MS: "20000" } });
    const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    // br says it is waiting once it has waited a second: by then its Ctrl-C handling is in place.
    let stderr = "";
    await new Promise<void>((resolve) => {
      child.stderr?.on("data", (d) => {
        stderr += d;
        if (stderr.includes("waiting for the lock")) resolve();
      });
      child.on("close", () => resolve());
    });
    assert.match(stderr, /waiting for the lock on .* held by process \d+/);
    child.kill("SIGINT");
    assert.equal(await exit, 130);
    holder.kill();
    assert.deepEqual(snapshot(cwd), before);
  });

  it("Ctrl-C during a check stops the command br started, not only br", async () => {
    const cwd = initializedRepo();
    const marker = `${40 + Math.floor(Math.random() * 9)}.${Math.floor(Math.random() * 90) + 10}`;
    brOk(["config", "set", "commands.test", `sleep ${marker}`], { cwd });
    const child = brSpawn(["quality", "check", "--only", "tests"], { cwd });
    const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    const running = () => spawnSync("pgrep", ["-f", `sleep ${marker}`]).status === 0;
    for (let i = 0; i < 50 && !running(); i++) await sleep(100);
    assert.ok(running(), "the test command started");
    child.kill("SIGINT");
    assert.equal(await exit, 130);
    await sleep(200);
    assert.ok(!running(), "the test command was stopped with br");
  });

  it("kill -9 during a check stops the command br started too", async () => {
    const cwd = initializedRepo();
    const marker = `${50 + Math.floor(Math.random() * 9)}.${Math.floor(Math.random() * 90) + 10}`;
    brOk(["config", "set", "commands.test", `sleep ${marker}`], { cwd });
    const child = brSpawn(["quality", "check", "--only", "tests"], { cwd });
    const exit = new Promise((resolve) => child.on("close", resolve));
    const running = () => spawnSync("pgrep", ["-f", `sleep ${marker}`]).status === 0;
    for (let i = 0; i < 50 && !running(); i++) await sleep(100);
    assert.ok(running(), "the test command started");
    child.kill("SIGKILL");
    await exit;
    for (let i = 0; i < 40 && running(); i++) await sleep(50);
    assert.ok(!running(), "the test command ended with br");
  });
});
