/**
 * The git queries br batches (src/infra/git.ts): HEAD and the changes from one `git status`
 * (porcelain v2) say what `rev-parse HEAD` and porcelain v1 say, and several queries answered by
 * one shell come back each with its own output and exit code.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { gitBatch, headFromFiles, treeStatus, workingChanges } from "../../src/infra/git.ts";
import { liveGitIn, removeStaleIndexLock } from "../../src/infra/index-lock.ts";

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync("git", args, { cwd, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), "br-unit-git-"));
  dirs.push(dir);
  git(dir, "init", "-q", "-b", "main");
  git(dir, "config", "user.email", "test@example.invalid");
  git(dir, "config", "user.name", "Test");
  return dir;
}

/** Porcelain v1's view, the format br read before: [status, path] per change, renames by their new path. */
function v1(cwd: string): [string, string][] {
  const entries = git(cwd, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", ".").split("\0");
  const out: [string, string][] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as string;
    if (entry.length < 4) continue;
    out.push([entry.slice(0, 2), entry.slice(3)]);
    if (entry[0] === "R" || entry[0] === "C") i++;
  }
  return out;
}

describe("treeStatus", () => {
  it("has no HEAD before the first commit, and lists the untracked files", () => {
    const cwd = repo();
    writeFileSync(join(cwd, "a.txt"), "a\n");
    assert.deepEqual(treeStatus(cwd), { head: undefined, changes: [{ path: "a.txt", status: "??" }] });
  });

  it("names HEAD's commit and every kind of change as porcelain v1 does", () => {
    const cwd = repo();
    mkdirSync(join(cwd, "dir with space"));
    for (const name of ["keep.txt", "modify.txt", "delete.txt", "stage.txt", "rename-me.txt", "dir with space/f.txt"])
      writeFileSync(join(cwd, name), `${name}\n`.repeat(20));
    git(cwd, "add", "-A");
    git(cwd, "commit", "-qm", "first");
    writeFileSync(join(cwd, "modify.txt"), "changed\n");
    rmSync(join(cwd, "delete.txt"));
    writeFileSync(join(cwd, "stage.txt"), "staged\n");
    git(cwd, "add", "stage.txt");
    writeFileSync(join(cwd, "stage.txt"), "staged, then changed again\n");
    renameSync(join(cwd, "rename-me.txt"), join(cwd, "renamed.txt"));
    git(cwd, "add", "-A", "rename-me.txt", "renamed.txt");
    writeFileSync(join(cwd, "dir with space/f.txt"), "edited\n");
    writeFileSync(join(cwd, "new file.txt"), "new\n");
    const status = treeStatus(cwd);
    assert.equal(status.head, git(cwd, "rev-parse", "HEAD").trim());
    assert.deepEqual(
      status.changes.map((c) => [c.status, c.path]),
      v1(cwd),
    );
    // A rename is its two paths, so a deleted (test, protected) file shows as deleted.
    assert.deepEqual(
      status.changes.filter((c) => c.path.startsWith("rename")).map((c) => [c.status, c.path]),
      [
        ["D ", "rename-me.txt"],
        ["A ", "renamed.txt"],
      ],
    );
  });

  it("lists only what is under a subfolder, relative to it, like workingChanges", () => {
    const cwd = repo();
    mkdirSync(join(cwd, "app", "src"), { recursive: true });
    writeFileSync(join(cwd, "app", "src", "x.ts"), "x\n");
    writeFileSync(join(cwd, "outside.txt"), "o\n");
    const sub = join(cwd, "app");
    assert.deepEqual(treeStatus(sub).changes, [{ path: "src/x.ts", status: "??" }]);
    assert.deepEqual(workingChanges(sub), [{ path: "src/x.ts", status: "??" }]);
  });

  it("asks only about the given paths when workingChanges is told which", () => {
    const cwd = repo();
    mkdirSync(join(cwd, ".buildrunner"));
    writeFileSync(join(cwd, ".buildrunner", "tasks.json"), "{}\n");
    writeFileSync(join(cwd, "src.ts"), "s\n");
    assert.deepEqual(workingChanges(cwd, [".buildrunner", "AGENTS.md"]), [{ path: ".buildrunner/tasks.json", status: "??" }]);
  });
});

describe("gitBatch", () => {
  it("returns each query's own output and exit code, in order, arguments passed as they are", () => {
    const cwd = repo();
    writeFileSync(join(cwd, "a.txt"), "a\n");
    git(cwd, "add", "a.txt");
    git(cwd, "commit", "-qm", 'it\'s "quoted" $HOME `x`');
    const [head, missing, subject, tree, empty] = gitBatch(cwd, [
      ["rev-parse", "HEAD"],
      ["config", "--get", "no.such-key"],
      ["log", "-1", "--format=%s"],
      ["write-tree"],
      ["for-each-ref", "refs/tags"],
    ]);
    assert.deepEqual(head, { code: 0, stdout: `${git(cwd, "rev-parse", "HEAD").trim()}\n` });
    assert.deepEqual(missing, { code: 1, stdout: "" });
    assert.deepEqual(subject, { code: 0, stdout: 'it\'s "quoted" $HOME `x`\n' });
    assert.deepEqual(tree, { code: 0, stdout: `${git(cwd, "write-tree").trim()}\n` });
    assert.deepEqual(empty, { code: 0, stdout: "" });
  });

  it("answers every query with a failure outside a repository, never with another's output", () => {
    const cwd = mkdtempSync(join(tmpdir(), "br-unit-nogit-"));
    dirs.push(cwd);
    const results = gitBatch(cwd, [["rev-parse", "HEAD"], ["write-tree"]]);
    assert.equal(results.length, 2);
    for (const result of results) assert.notEqual(result.code, 0);
  });
});

describe("removeStaleIndexLock", () => {
  const lockIn = (cwd: string, ageMs: number) => {
    const lock = join(cwd, ".git", "index.lock");
    writeFileSync(lock, "");
    const at = new Date(Date.now() - ageMs);
    utimesSync(lock, at, at);
    return lock;
  };

  it("removes a lock made before this process started when no git works in the repository", () => {
    const cwd = repo();
    const lock = lockIn(cwd, 3600_000);
    assert.equal(removeStaleIndexLock(lock, [join(cwd, ".git"), cwd]), true);
    assert.equal(existsSync(lock), false);
  });

  it("keeps a lock made since this process started: one of its own gits may hold it", () => {
    const cwd = repo();
    const lock = lockIn(cwd, 0);
    assert.equal(removeStaleIndexLock(lock, [join(cwd, ".git"), cwd]), false);
    assert.equal(existsSync(lock), true);
  });

  it("keeps an old lock while a live git works in the repository, and removes it once that git is gone", async () => {
    const cwd = repo();
    mkdirSync(join(cwd, "sub"));
    const lock = lockIn(cwd, 3600_000);
    const holder = spawn("git", ["hash-object", "--stdin"], { cwd: join(cwd, "sub"), stdio: ["pipe", "ignore", "ignore"] });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(liveGitIn([cwd]), true);
      assert.equal(removeStaleIndexLock(lock, [join(cwd, ".git"), cwd]), false);
      assert.equal(existsSync(lock), true);
    } finally {
      holder.kill("SIGKILL");
    }
    await new Promise((resolve) => holder.once("exit", resolve));
    assert.equal(removeStaleIndexLock(lock, [join(cwd, ".git"), cwd]), true);
  });
});

describe("headFromFiles", () => {
  it("reads HEAD's commit as rev-parse says it: on a branch, detached, and from packed refs", () => {
    const cwd = repo();
    writeFileSync(join(cwd, "a.txt"), "1\n");
    git(cwd, "add", "a.txt");
    git(cwd, "commit", "-qm", "one");
    const head = () => git(cwd, "rev-parse", "HEAD").trim();
    assert.equal(headFromFiles(cwd), head());
    git(cwd, "pack-refs", "--all");
    assert.equal(headFromFiles(cwd), head(), "a packed branch is asked of git");
    git(cwd, "checkout", "-q", "--detach");
    assert.equal(headFromFiles(cwd), head());
    const empty = repo();
    assert.equal(headFromFiles(empty), undefined, "no commit yet");
  });
});
