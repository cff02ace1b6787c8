/** Conflict prediction and integration on real git: merge-tree touches no worktree; the target only moves forward. */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { isAncestor, predictConflicts, revParse, tasksTouching } from "../../src/parallel/integrate.ts";
import { git, tempRepo } from "../helpers.ts";

function commitFile(root: string, file: string, content: string, message: string): string {
  mkdirSync(join(root, file, ".."), { recursive: true });
  writeFileSync(join(root, file), content);
  git(root, "add", file);
  git(root, "commit", "-qm", message);
  return git(root, "rev-parse", "HEAD").trim();
}

function repoWithTwoBranches(): { root: string; base: string } {
  const root = tempRepo();
  git(root, "checkout", "-q", "-b", "main");
  const base = commitFile(root, "shared.js", "module.exports = 0;\n", "base");
  return { root, base };
}

describe("predictConflicts", () => {
  it("says clean, with the merged tree, for changes to different files", () => {
    const { root, base } = repoWithTwoBranches();
    const ours = commitFile(root, "a.js", "a\n", "br: a.one: A");
    git(root, "checkout", "-q", "-b", "other", base);
    const theirs = commitFile(root, "b.js", "b\n", "br: b.one: B");
    const prediction = predictConflicts(root, ours, theirs);
    assert.equal(prediction.clean, true);
    if (prediction.clean) assert.match(prediction.tree, /^[0-9a-f]{40}$/);
  });

  it("lists the conflicted files of two edits to the same line, and changes no worktree", () => {
    const { root, base } = repoWithTwoBranches();
    const ours = commitFile(root, "shared.js", "module.exports = 1;\n", "br: a.one: A");
    git(root, "checkout", "-q", "-b", "other", base);
    commitFile(root, "other.js", "x\n", "other");
    const theirs = commitFile(root, "shared.js", "module.exports = 2;\n", "br: b.one: B");
    const status = git(root, "status", "--porcelain");
    assert.deepEqual(predictConflicts(root, ours, theirs), { clean: false, files: ["shared.js"] });
    assert.equal(git(root, "status", "--porcelain"), status, "nothing touched");
    assert.equal(revParse(root, "HEAD"), theirs);
  });

  it("names the integrated tasks whose commits touched the files", () => {
    const { root, base } = repoWithTwoBranches();
    commitFile(root, "shared.js", "1\n", "br: a.one: A");
    commitFile(root, "unrelated.js", "1\n", "br: c.one: C");
    const tip = commitFile(root, "shared.js", "2\n", "a user's commit");
    assert.deepEqual(tasksTouching(root, base, tip, ["shared.js"]), ["a.one"]);
    assert.ok(isAncestor(root, base, tip));
    assert.ok(!isAncestor(root, tip, base));
  });
});
