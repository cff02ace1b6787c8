/**
 * Migration backups and rollback (src/migrate/backup.ts, src/migrate/rollback.ts): the manifest
 * keeps only the files that changed, with their sha256 before and after; rollback restores those
 * bytes exactly (not only text), removes what the migration created, and refuses over a file changed since.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BrError } from "../../src/infra/errors.ts";
import { projectPaths } from "../../src/infra/project.ts";
import { finishBackup, listBackups, sha256, startBackup } from "../../src/migrate/backup.ts";
import { rollback } from "../../src/migrate/rollback.ts";

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A project with a non-UTF-8 file (kept byte for byte) and one unchanged file, then "migrated". */
function migrated(): { root: string; latin1: Buffer } {
  const root = mkdtempSync(join(tmpdir(), "br-backup-"));
  dirs.push(root);
  const paths = projectPaths(root);
  mkdirSync(paths.dir, { recursive: true });
  const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]); // "café\n" in Latin-1: not valid UTF-8
  writeFileSync(paths.gitignore, latin1);
  writeFileSync(paths.config, "version: 1\n");
  const backup = startBackup(paths, [paths.gitignore, paths.config, paths.features], { command: "test", source: "v2" });
  writeFileSync(paths.gitignore, "rewritten\n");
  writeFileSync(paths.features, "{}\n");
  const changed = finishBackup(paths, backup);
  assert.deepEqual(
    changed.map((c) => [c.path, c.before === null, c.written === sha256(join(root, c.path))]),
    [
      [".gitignore", false, true],
      [".buildrunner/features.json", true, true],
    ],
  );
  assert.ok(!existsSync(join(backup.dir, "files", ".buildrunner", "config.yaml")), "no copy kept of an unchanged file");
  return { root, latin1 };
}

describe("migration rollback", { timeout: 60_000 }, () => {
  it("restores the exact bytes, removes what was created, and marks the backup used", async () => {
    const { root, latin1 } = migrated();
    const result = await rollback(root, {});
    assert.deepEqual(result.restored, [".gitignore"]);
    assert.deepEqual(result.removed, [".buildrunner/features.json"]);
    assert.deepEqual(readFileSync(join(root, ".gitignore")), latin1);
    assert.equal(readFileSync(join(root, ".buildrunner", "config.yaml"), "utf8"), "version: 1\n");
    await assert.rejects(rollback(root, {}), (e: unknown) => e instanceof BrError && /already been rolled back/.test(e.message));
    assert.equal(listBackups(projectPaths(root)).length, 1);
  });

  it("refuses, naming the file changed since, and changes nothing; --force restores it", async () => {
    const { root, latin1 } = migrated();
    writeFileSync(join(root, ".gitignore"), "mine\n");
    await assert.rejects(
      rollback(root, {}),
      (e: unknown) => e instanceof BrError && e.exitCode === 2 && /\.gitignore/.test(e.message) && !/features/.test(e.message),
    );
    assert.equal(readFileSync(join(root, ".gitignore"), "utf8"), "mine\n");
    assert.ok(existsSync(join(root, ".buildrunner", "features.json")));
    const forced = await rollback(root, { force: true });
    assert.deepEqual(forced.overwritten, [".gitignore"]);
    assert.deepEqual(readFileSync(join(root, ".gitignore")), latin1);
  });

  it("names the backups there are when --to names none", async () => {
    const { root } = migrated();
    await assert.rejects(rollback(root, { to: "1999-01-01" }), (e: unknown) => e instanceof BrError && /No backup named/.test(e.message));
  });
});
