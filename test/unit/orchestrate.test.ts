/** Streams as building blocks: the target branch, stream creation, what clean keeps. */
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { configSchema } from "../../src/infra/config.ts";
import { BrError } from "../../src/infra/errors.ts";
import { projectPaths } from "../../src/infra/project.ts";
import { cleanStreams } from "../../src/parallel/merge.ts";
import { ensureStreams, targetBranch } from "../../src/parallel/orchestrate.ts";
import { StreamStore } from "../../src/parallel/store.ts";
import { brOk, git, initializedRepo, tempDir, tempRepo } from "../helpers.ts";

function committedProject(): string {
  const root = initializedRepo();
  git(root, "checkout", "-q", "-b", "main");
  brOk(["config", "set", "parallel.worktreeDir", join(tempDir(), "streams")], { cwd: root });
  git(root, "add", "-A");
  git(root, "commit", "-qm", "init");
  return root;
}

describe("targetBranch", () => {
  it("is the branch the main checkout has out; a detached HEAD or an empty repository is refused with the fix", () => {
    const root = committedProject();
    assert.equal(targetBranch(projectPaths(root)), "main");
    git(root, "checkout", "-q", "--detach");
    assert.throws(
      () => targetBranch(projectPaths(root)),
      (e: unknown) => e instanceof BrError && /git switch/.test(e.fix ?? ""),
    );
    assert.throws(() => targetBranch(projectPaths(tempRepo())), BrError);
  });
});

describe("ensureStreams and cleanStreams", () => {
  it("make n streams with their worktrees, ports 10 apart; clean removes them but keeps one holding unintegrated work", async () => {
    const root = committedProject();
    const paths = projectPaths(root);
    const config = configSchema.parse({ parallel: { worktreeDir: join(tempDir(), "wt") } });
    const store = StreamStore.open(paths);
    try {
      const rows = ensureStreams(paths, config, store, 2, "main");
      assert.deepEqual(
        rows.map((r) => [r.name, r.branch, r.port]),
        [
          ["stream-1", "br/stream-1", 41000],
          ["stream-2", "br/stream-2", 41010],
        ],
      );
      assert.ok(rows.every((r) => existsSync(join(r.path, ".git"))));
      assert.equal(ensureStreams(paths, config, store, 2, "main")[0]?.path, rows[0]?.path, "existing streams are kept");
      const busy = rows[1] as (typeof rows)[number];
      writeFileSync(join(busy.path, "work.js"), "1\n");
      git(busy.path, "add", "work.js");
      git(busy.path, "commit", "-qm", "br: f.one: work");
      const result = await cleanStreams(paths);
      assert.deepEqual(result.cleaned, ["stream-1"]);
      assert.deepEqual(
        result.kept.map((k) => k.name),
        ["stream-2"],
      );
      assert.match(result.kept[0]?.why ?? "", /br merge --streams/);
      assert.ok(!existsSync(rows[0]?.path as string));
      assert.ok(existsSync(busy.path));
    } finally {
      store.close();
    }
  });
});
