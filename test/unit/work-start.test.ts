/**
 * Where outside work began and what it changed since (src/run/work-start.ts, changesFromSnapshot in
 * src/run/tree.ts): a second start does not move the record past the agent's commits; renames show
 * both paths; whatever the agent committed counts, even in a file dirty at the start or in a
 * repository without a commit; a base that is gone is an error, not an empty change.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BrError } from "../../src/infra/errors.ts";
import { projectPaths } from "../../src/infra/project.ts";
import { changesFromSnapshot, snapshotTree } from "../../src/run/tree.ts";
import { readWorkStart, recordWorkStart } from "../../src/run/work-start.ts";
import { git, tempRepo } from "../helpers.ts";

function commitAll(cwd: string, message: string): void {
  git(cwd, "add", "-A");
  git(cwd, "commit", "-qm", message);
}

describe("where outside work began, and what changed since", () => {
  it("a second start keeps the first record while its commit is behind HEAD", () => {
    const cwd = tempRepo();
    writeFileSync(join(cwd, ".gitignore"), ".buildrunner/state/\n");
    writeFileSync(join(cwd, "a.txt"), "a\n");
    commitAll(cwd, "a");
    const paths = projectPaths(cwd);
    const first = recordWorkStart(paths, "f.core");
    writeFileSync(join(cwd, "a.txt"), "weakened\n");
    commitAll(cwd, "agent");
    assert.deepEqual(recordWorkStart(paths, "f.core"), first);
    assert.deepEqual(changesFromSnapshot(cwd, first), ["a.txt"]);
    writeFileSync(join(paths.state, "work", "f.core.json"), '{"taskId":"f.core","head":"--output=x","dirty":{},"startedAt":""}');
    assert.equal(readWorkStart(paths, "f.core"), undefined, "a record that does not read as one is not trusted");
  });

  it("a staged rename is its two paths", () => {
    const cwd = tempRepo();
    writeFileSync(join(cwd, "old.test.js"), "test\n");
    commitAll(cwd, "t");
    const start = snapshotTree(cwd);
    git(cwd, "mv", "old.test.js", "new.js");
    assert.deepEqual(changesFromSnapshot(cwd, start), ["new.js", "old.test.js"]);
  });

  it("a file dirty at the start that the agent committed counts, though it looks as it did", () => {
    const cwd = tempRepo();
    writeFileSync(join(cwd, "b.txt"), "b\n");
    commitAll(cwd, "b");
    writeFileSync(join(cwd, "b.txt"), "user's edit\n");
    const start = snapshotTree(cwd);
    writeFileSync(join(cwd, "b.txt"), "agent's\n");
    commitAll(cwd, "agent");
    writeFileSync(join(cwd, "b.txt"), "user's edit\n");
    assert.deepEqual(changesFromSnapshot(cwd, start), ["b.txt"]);
  });

  it("in a repository without a commit at the start, what the agent committed counts", () => {
    const cwd = tempRepo();
    const start = snapshotTree(cwd);
    assert.equal(start.head, undefined);
    writeFileSync(join(cwd, "ci.yml"), "on: push\n");
    commitAll(cwd, "agent");
    writeFileSync(join(cwd, "src.js"), "1\n");
    assert.deepEqual(changesFromSnapshot(cwd, start), ["ci.yml", "src.js"]);
  });

  it("a base commit that is gone is an error that says how to start again", () => {
    const cwd = tempRepo();
    writeFileSync(join(cwd, "c.txt"), "c\n");
    commitAll(cwd, "c");
    const start = { head: "0123456789abcdef0123456789abcdef01234567", dirty: {} };
    assert.throws(
      () => changesFromSnapshot(cwd, start),
      (e: unknown) => e instanceof BrError && /start the task again/.test(e.fix ?? ""),
    );
  });
});
