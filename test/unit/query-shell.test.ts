/**
 * The query shell (src/infra/query-shell.ts): br's git commands run one at a time by one long-lived
 * /bin/sh. Each answer is told apart by its end marker and exit code whatever the command prints;
 * a shell that dies or misses a deadline is replaced, and a command is never lost to it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { isAlive, killProcessGroup, runSync } from "../../src/infra/process.ts";
import { closeQueryShell, queryShellState, queryShellUsable, runQuery, runQueryBytes } from "../../src/infra/query-shell.ts";

const T = { timeout: 30_000 };
const dir = mkdtempSync(join(tmpdir(), "br-query-test-"));
after(async () => {
  await closeQueryShell();
  rmSync(dir, { recursive: true, force: true });
});

const sh = (script: string, timeoutMs?: number) =>
  runQuery("/bin/sh", ["-c", script], timeoutMs === undefined ? { cwd: dir } : { cwd: dir, timeoutMs });

describe("runQuery", () => {
  it("runs commands in one shell and returns each one's output, error output and exit code", T, () => {
    assert.equal(queryShellUsable(), true);
    const pid = queryShellState()?.pid;
    assert.deepEqual(sh("printf 'out\\n'; printf 'err\\n' >&2; exit 3"), { code: 3, stdout: "out\n", stderr: "err\n" });
    assert.deepEqual(sh("true"), { code: 0, stdout: "", stderr: "" });
    assert.deepEqual(runQuery("git", ["--version"], { cwd: dir }).code, 0);
    assert.equal(queryShellState()?.pid, pid, "the same shell answered every command");
  });

  it("passes arguments as they are: quotes, spaces, newlines, $ and backquotes", T, () => {
    const words = ["a b", "it's", 'say "hi"', "$HOME", "`id`", "line\nnext", "", "*"];
    const result = runQuery("/bin/sh", ["-c", 'for w in "$@"; do printf "[%s]" "$w"; done', "sh", ...words], { cwd: dir });
    assert.equal(result.stdout, words.map((w) => `[${w}]`).join(""));
  });

  it("runs in the folder asked, gives the command no input, and keeps a large output whole", T, () => {
    const sub = join(dir, "sub dir");
    mkdirSync(sub, { recursive: true });
    assert.equal(runQuery("pwd", [], { cwd: sub }).stdout.trim(), sub);
    assert.deepEqual(sh("cat; echo $?"), { code: 0, stdout: "0\n", stderr: "" });
    const big = sh('i=0; while [ $i -lt 20000 ]; do echo "line $i of the output"; i=$((i+1)); done');
    assert.equal(big.stdout.split("\n").length, 20001);
    assert.ok(big.stdout.endsWith("line 19999 of the output\n"));
  });

  it("is not misled by output that looks like its end marker, the next one included", T, () => {
    const marker = queryShellState()?.nextMarker as string;
    assert.match(marker, /^[0-9a-f]+\.\d+$/);
    const fake = `${marker} 0\\n${marker.replace(/\.\d+$/, ".999")} 0\\n`;
    const result = sh(`printf '${fake}'; printf '${fake}' >&2; exit 7`);
    assert.equal(result.code, 7);
    assert.equal(result.stdout, `${marker} 0\n${marker.replace(/\.\d+$/, ".999")} 0\n`);
    assert.equal(result.stderr, result.stdout);
    assert.deepEqual(sh("echo after"), { code: 0, stdout: "after\n", stderr: "" }, "the next answer is still its own");
  });

  it("answers a missing program and a missing folder as a spawn would", T, () => {
    assert.equal(runQuery("br-no-such-program", [], { cwd: dir }).code, 127);
    const gone = join(dir, "no-such-folder");
    const spawned = runSync("git", ["--version"], { cwd: gone });
    assert.deepEqual(runQuery("git", ["--version"], { cwd: gone }), spawned);
  });

  it("falls back to a spawn when the shell dies, and starts a new one for the next command", T, () => {
    const first = queryShellState()?.pid as number;
    killProcessGroup(first, "SIGKILL");
    spawnSync("sleep", ["0.1"]);
    assert.deepEqual(sh("echo still; exit 4"), { code: 4, stdout: "still\n", stderr: "" });
    assert.deepEqual(sh("echo again"), { code: 0, stdout: "again\n", stderr: "" });
    const second = queryShellState()?.pid;
    assert.ok(second !== undefined && second !== first, "a new shell serves");
  });

  it("ends a command that misses its deadline, with the shell, and carries on", T, () => {
    const pid = queryShellState()?.pid as number;
    const flag = join(dir, "finished");
    const started = Date.now();
    const late = sh(`sleep 3; touch '${flag}'`, 300);
    assert.ok(Date.now() - started < 2500, "returned at the deadline");
    assert.equal(late.code, 1);
    assert.match(late.stderr, /timed out/);
    spawnSync("sleep", ["0.2"]);
    assert.equal(isAlive(pid), false, "the late shell is gone");
    spawnSync("sleep", ["3.2"]);
    assert.equal(existsSync(flag), false, "the late command was ended, not left running");
    assert.deepEqual(sh("echo next"), { code: 0, stdout: "next\n", stderr: "" });
  });

  it("removes its folder when closed, and a dead br's folder when a later one starts", T, async () => {
    const folder = queryShellState()?.folder as string;
    assert.ok(existsSync(folder));
    await closeQueryShell();
    assert.equal(existsSync(folder), false);
    // A folder left by a br killed with -9 (a pid no process has).
    const stale = join(dirname(folder), "br-query-999999999");
    mkdirSync(stale, { recursive: true });
    writeFileSync(join(stale, "out"), "left behind");
    assert.deepEqual(sh("echo fresh"), { code: 0, stdout: "fresh\n", stderr: "" });
    assert.equal(existsSync(stale), false, "the dead br's folder was removed");
  });
});

describe("runQueryBytes", () => {
  it("gives the command its input and returns its output byte for byte", T, () => {
    const bytes = runQueryBytes("/bin/sh", ["-c", "cat; printf '\\377\\000end'"], { cwd: dir, input: "line one\nline two\n" });
    assert.equal(bytes.code, 0);
    assert.deepEqual(bytes.stdout, Buffer.concat([Buffer.from("line one\nline two\n"), Buffer.from([0xff, 0, 0x65, 0x6e, 0x64])]));
    assert.deepEqual(sh("cat; echo $?").stdout, "0\n", "the next command has no input again");
  });
});
