import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { isSqliteExperimentalWarning, loadSqlite } from "../src/infra/sqlite.ts";
import { BR, brOk, initializedRepo, tempDir } from "./helpers.ts";

/** Runs bin/br.js on this Node, told (through a preloaded module) that it is another version. */
function brAsIfNode(version: string, args: string[]) {
  const pretend = `Object.defineProperty(process, "versions", { value: { ...process.versions, node: ${JSON.stringify(version)} } });`;
  return spawnSync(process.execPath, ["--import", `data:text/javascript,${encodeURIComponent(pretend)}`, BR, ...args], {
    cwd: tempDir(),
    encoding: "utf8",
  });
}

describe("Node.js versions", () => {
  it("refuses a Node older than 22.13 with exit 2 and what to install, before loading anything", () => {
    for (const version of ["20.19.0", "22.12.0", "18.20.8", "23.3.0"]) {
      const result = brAsIfNode(version, ["--version"]);
      assert.equal(result.status, 2, `${version}: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`needs Node\\.js 22\\.13 or newer; this is Node\\.js ${version.replaceAll(".", "\\.")}`));
      assert.match(result.stderr, /fix: {2}Install Node\.js 24/);
      assert.equal(result.stdout, "");
    }
    for (const version of ["22.13.0", "23.4.0", "24.0.0", "25.1.0"]) assert.equal(brAsIfNode(version, ["--version"]).status, 0, version);
  });

  it("a system Node older than 22.13 gets the same message, not a crash", (t) => {
    const system = spawnSync("/usr/bin/node", ["-p", "process.versions.node"], { encoding: "utf8" });
    const [major = 0, minor = 0] = (system.stdout ?? "").trim().split(".").map(Number);
    if (system.status !== 0 || major > 22 || (major === 22 && minor >= 13)) return t.skip("no older system Node on this machine");
    const result = spawnSync("/usr/bin/node", [BR, "status"], { cwd: tempDir(), encoding: "utf8" });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /needs Node\.js 22\.13 or newer/);
    // From a checkout, the README's demo command still runs there, on the pinned Node 24.
    const demo = join(tempDir(), "demo");
    const script = join(import.meta.dirname, "..", "scripts", "demo.mjs");
    const ran = spawnSync("/usr/bin/node", [script, demo], { encoding: "utf8", timeout: 300_000, env: { ...process.env, NO_COLOR: "1" } });
    assert.equal(ran.status, 0, ran.stderr);
    assert.match(ran.stderr, /older than br supports \(22\.13\+\): running the demo on the pinned Node 24/);
    assert.match(ran.stdout + ran.stderr, /Demo finished/);
  });
});

describe("the state database on node:sqlite", () => {
  it("prints no ExperimentalWarning when br opens its database (Node 22 would)", () => {
    const cwd = initializedRepo();
    brOk(["features", "add", "Probe"], { cwd });
    for (const args of [["quality", "check", "--only", "complexity"], ["model", "stats"], ["status"]]) {
      const result = spawnSync(process.execPath, [BR, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
      assert.doesNotMatch(result.stderr, /ExperimentalWarning|experimental feature/, `br ${args.join(" ")}`);
    }
  });

  it("drops only SQLite's ExperimentalWarning, only while loading it", async () => {
    assert.equal(
      isSqliteExperimentalWarning("SQLite is an experimental feature and might change at any time", "ExperimentalWarning"),
      true,
    );
    assert.equal(isSqliteExperimentalWarning("SQLite is an experimental feature", { type: "ExperimentalWarning" }), true);
    const error = Object.assign(new Error("SQLite is an experimental feature"), { name: "ExperimentalWarning" });
    assert.equal(isSqliteExperimentalWarning(error, undefined), true);
    assert.equal(isSqliteExperimentalWarning("SQLite is an experimental feature", "DeprecationWarning"), false);
    assert.equal(isSqliteExperimentalWarning("WASI is an experimental feature", "ExperimentalWarning"), false);
    assert.equal(isSqliteExperimentalWarning("The SQLite file is locked", "Warning"), false);

    const original = process.emitWarning;
    const sqlite = loadSqlite();
    assert.equal(typeof sqlite.DatabaseSync, "function");
    assert.equal(process.emitWarning, original, "emitWarning is restored after loading");
    const seen: string[] = [];
    const listener = (warning: Error) => seen.push(warning.message);
    process.on("warning", listener);
    try {
      process.emitWarning("another experiment", "ExperimentalWarning");
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(seen, ["another experiment"], "other warnings still reach their listeners");
    } finally {
      process.off("warning", listener);
    }
  });
});
