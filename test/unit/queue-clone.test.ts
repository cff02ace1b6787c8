/** A queue worker's own decisions: which remote it clones, and which clones left on the machine it removes. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BrError } from "../../src/infra/errors.ts";
import { removeDeadClones, sharedRemote } from "../../src/parallel/queue/clone.ts";

const root = mkdtempSync(join(tmpdir(), "br-queue-worker-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** A pid that ran and has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

describe("queue worker", () => {
  it("removes the clones (and their worktree folders) of workers that no longer run, and keeps live ones", () => {
    const folder = join(root, "clones");
    const dead = deadPid();
    const host = hostname();
    const names = [
      `${host}-${dead}`,
      `${host}-${dead}.br-streams`,
      `${host}-${process.pid}`,
      `${host}-${process.ppid}`,
      `other-machine-${dead}`,
      "notes",
    ];
    for (const name of names) mkdirSync(join(folder, name), { recursive: true });
    removeDeadClones(folder);
    assert.equal(existsSync(join(folder, `${host}-${dead}`)), false);
    assert.equal(existsSync(join(folder, `${host}-${dead}.br-streams`)), false);
    assert.equal(existsSync(join(folder, `${host}-${process.pid}`)), true, "its own clone stays");
    assert.equal(existsSync(join(folder, `${host}-${process.ppid}`)), true, "a running worker's clone stays");
    assert.equal(existsSync(join(folder, `other-machine-${dead}`)), true, "another machine's clone stays (a shared home)");
    assert.equal(existsSync(join(folder, "notes")), true, "a folder not named by a pid stays");
  });

  it("clones --repo when given, else the origin of the repository it runs in, else refuses with exit 2", () => {
    assert.equal(sharedRemote({ repo: "git@example.com:team/app.git", cwd: root }), "git@example.com:team/app.git");
    const repo = join(root, "repo");
    mkdirSync(repo);
    spawnSync("git", ["init", "-q"], { cwd: repo });
    assert.throws(
      () => sharedRemote({ cwd: repo }),
      (error: unknown) => error instanceof BrError && error.exitCode === 2 && /--repo/.test(error.fix ?? ""),
    );
    spawnSync("git", ["remote", "add", "origin", "/srv/shared.git"], { cwd: repo });
    assert.equal(sharedRemote({ cwd: repo }), "/srv/shared.git");
  });
});
