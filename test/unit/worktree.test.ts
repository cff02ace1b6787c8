/** A stream's worktree: outside the project, set up with the ignored files the project names, reset between tasks. */
import assert from "node:assert/strict";
import { existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { configSchema } from "../../src/infra/config.ts";
import { projectPaths } from "../../src/infra/project.ts";
import { copyIncluded, createWorktree, removeWorktree, resetWorktree, streamsDir } from "../../src/parallel/worktree.ts";
import { git, tempDir, tempRepo } from "../helpers.ts";

function project(): string {
  const root = tempRepo();
  git(root, "checkout", "-q", "-b", "main");
  writeFileSync(join(root, ".gitignore"), ".env\nnode_modules/\nsecrets/\n*.log\n");
  writeFileSync(join(root, ".worktreeinclude"), "# copied into each stream\n.env\nsecrets/\n");
  writeFileSync(join(root, "app.js"), "1\n");
  git(root, "add", "-A");
  git(root, "commit", "-qm", "init");
  writeFileSync(join(root, ".env"), "API=1\n");
  mkdirSync(join(root, "secrets"));
  writeFileSync(join(root, "secrets", "key.txt"), "k\n");
  writeFileSync(join(root, "debug.log"), "noise\n");
  mkdirSync(join(root, "node_modules", "dep"), { recursive: true });
  writeFileSync(join(root, "node_modules", "dep", "index.js"), "\n");
  return root;
}

describe("stream worktrees", () => {
  it("default to a folder next to the project, outside its tree", () => {
    const paths = projectPaths("/home/me/app");
    assert.equal(streamsDir(paths, configSchema.parse({})), "/home/me/app.br-streams");
    assert.equal(streamsDir(paths, configSchema.parse({ parallel: { worktreeDir: "../wt" } })), "/home/me/wt");
  });

  it("copy the ignored files .worktreeinclude names, and only those", () => {
    const root = project();
    const target = tempDir();
    assert.deepEqual(copyIncluded(root, target).sort(), [".env", "secrets"]);
    assert.equal(readFileSync(join(target, ".env"), "utf8"), "API=1\n");
    assert.ok(existsSync(join(target, "secrets", "key.txt")));
    assert.ok(!existsSync(join(target, "debug.log")));
  });

  it("are created on their branch with links to heavy folders and the set-up command run; a reset drops a task's leftovers", () => {
    const root = project();
    const paths = projectPaths(root);
    const config = configSchema.parse({ parallel: { symlinks: ["node_modules"], setup: 'echo "$BR_STREAM $BR_PORT" > setup.txt' } });
    const path = join(tempDir(), "stream-1");
    const tip = git(root, "rev-parse", "HEAD").trim();
    createWorktree(paths, config, { name: "stream-1", path, branch: "br/stream-1", port: 41010 }, tip);
    assert.equal(git(path, "symbolic-ref", "--short", "HEAD").trim(), "br/stream-1");
    assert.ok(lstatSync(join(path, "node_modules")).isSymbolicLink());
    assert.equal(readFileSync(join(path, "setup.txt"), "utf8"), "stream-1 41010\n");
    assert.ok(existsSync(join(path, ".env")));
    assert.equal(git(path, "status", "--porcelain", "--", "node_modules"), "", "the link is not a change");
    writeFileSync(join(path, "app.js"), "changed\n");
    writeFileSync(join(path, "left.js"), "x\n");
    resetWorktree(path, "br/stream-1", tip);
    assert.equal(readFileSync(join(path, "app.js"), "utf8"), "1\n");
    assert.ok(!existsSync(join(path, "left.js")));
    assert.ok(existsSync(join(path, ".env")), "ignored files stay");
    removeWorktree(root, path);
    assert.ok(!existsSync(path));
  });
});
