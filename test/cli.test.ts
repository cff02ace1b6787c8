import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { br, brOk, initializedRepo, tempDir, tempRepo } from "./helpers.ts";

const pkg = JSON.parse(readFileSync(join(import.meta.dirname, "..", "package.json"), "utf8")) as { version: string };

const ESC = "\u001b[";

describe("command-line conventions", () => {
  it("prints the version and help, exit 0", () => {
    const cwd = tempDir();
    assert.equal(brOk(["--version"], { cwd }).stdout.trim(), pkg.version);
    const help = brOk(["--help"], { cwd }).stdout;
    for (const command of ["init", "attach", "features", "status", "spec", "tasks", "run", "build", "config", "demo"]) {
      assert.match(help, new RegExp(`\\b${command}\\b`));
    }
  });

  it("gives every command and subcommand a --help", () => {
    const cwd = tempDir();
    const commands = [
      ["init"],
      ["attach"],
      ["status"],
      ["demo"],
      ["features"],
      ...["add", "list", "show", "update", "start", "complete", "block", "remove"].map((c) => ["features", c]),
      ["config"],
      ...["get", "set", "unset", "list", "schema"].map((c) => ["config", c]),
      ["spec"],
      ["spec", "sync"],
      ["tasks"],
      ...["generate", "list", "show", "next", "graph", "start", "done", "fail", "reset"].map((c) => ["tasks", c]),
      ["run"],
      ["build", "start"],
      ["security", "check"],
      ["security", "baseline"],
      ["quality", "check"],
      ["quality", "report"],
      ["gaps", "analyze"],
      ["gaps", "fix"],
      ["model", "route"],
      ["model", "prices"],
      ["model", "stats"],
      ...["install", "status", "uninstall"].map((c) => ["hooks", c]),
    ];
    for (const command of commands) {
      const result = br([...command, "--help"], { cwd });
      assert.equal(result.code, 0, `br ${command.join(" ")} --help`);
      assert.match(result.stdout, /Usage: br/);
    }
  });

  it("exits 2 on unknown commands, unknown flags and missing arguments, without a stack trace", () => {
    const cwd = initializedRepo();
    for (const args of [["bogus"], ["status", "--bogus"], ["features", "add"], ["features", "list", "--status", "nope"]]) {
      const result = br(args, { cwd });
      assert.equal(result.code, 2, `br ${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, /error/i);
      assert.doesNotMatch(result.stderr, /\n\s+at .+:\d+:\d+/, "no stack trace");
    }
  });

  it("a usage error with --json still prints one JSON document", () => {
    const cwd = initializedRepo();
    const result = br(["features", "list", "--bogus", "--json"], { cwd });
    assert.equal(result.code, 2);
    assert.deepEqual(JSON.parse(result.stdout), { error: { message: "unknown option '--bogus'", exitCode: 2 } });
  });

  it("--cwd must name an existing folder", () => {
    const cwd = tempDir();
    for (const args of [
      ["init", "--cwd", join(cwd, "missing", "deep")],
      ["status", "--cwd", join(import.meta.dirname, "helpers.ts")],
    ]) {
      const result = br(args, { cwd });
      assert.equal(result.code, 2);
      assert.match(result.stderr, /no such folder/);
    }
    assert.ok(!existsSync(join(cwd, "missing")), "nothing was created");
  });

  it("exits 2 outside a project, naming the fix", () => {
    const cwd = tempRepo();
    const result = br(["features", "list"], { cwd });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /No BuildRunner project/);
    assert.match(result.stderr, /br init/);
  });

  it("--json puts exactly one JSON document on stdout, also for errors", () => {
    const cwd = initializedRepo();
    const ok = br(["features", "add", "Login", "--json"], { cwd });
    assert.equal(ok.code, 0);
    assert.equal((JSON.parse(ok.stdout) as { feature: { id: string } }).feature.id, "login");
    const bad = br(["features", "show", "nope", "--json"], { cwd });
    assert.equal(bad.code, 2);
    const doc = JSON.parse(bad.stdout) as { error: { message: string; exitCode: number } };
    assert.equal(doc.error.exitCode, 2);
    assert.match(doc.error.message, /No feature with id "nope"/);
    assert.match(bad.stderr, /No feature/, "the human message goes to stderr");
  });

  it("--cwd runs against another project, found by walking up", () => {
    const project = initializedRepo("elsewhere");
    const elsewhere = tempDir();
    brOk(["features", "add", "Remote", "--cwd", project], { cwd: elsewhere });
    const nested = join(project, ".buildrunner", "context");
    const listed = JSON.parse(brOk(["features", "list", "--json"], { cwd: nested }).stdout) as { features: { id: string }[] };
    assert.deepEqual(
      listed.features.map((f) => f.id),
      ["remote"],
    );
    assert.equal(br(["-C", project, "status"], { cwd: elsewhere }).code, 0);
  });

  it("colours only when allowed: NO_COLOR wins over FORCE_COLOR", () => {
    const cwd = initializedRepo();
    const colored = br(["features", "show", "nope"], { cwd, env: { FORCE_COLOR: "1", NO_COLOR: undefined } });
    assert.ok(colored.stderr.includes(ESC), "coloured when forced");
    const plain = br(["features", "show", "nope"], { cwd, env: { FORCE_COLOR: "1", NO_COLOR: "1" } });
    assert.ok(!plain.stderr.includes(ESC), "NO_COLOR wins");
    assert.ok(!br(["features", "list"], { cwd }).stdout.includes(ESC), "no colour when not a TTY");
  });
});
