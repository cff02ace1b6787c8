import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { withLock } from "../src/infra/lock.ts";
import { projectPaths } from "../src/infra/project.ts";
import { inTransaction, isBusy, openSqlite, openStateDb } from "../src/infra/state-db.ts";
import { tempDir } from "./helpers.ts";

const valuesOf = (db: ReturnType<typeof openSqlite>) =>
  db
    .prepare("SELECT x FROM t")
    .all()
    .map((r) => r.x);
const userVersion = (db: ReturnType<typeof openSqlite>) =>
  (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;

describe("the state database (node:sqlite)", () => {
  it("opens in WAL mode, migrated to the latest user_version, and reopening changes nothing", () => {
    const paths = projectPaths(tempDir());
    const db = openStateDb(paths);
    const version = userVersion(db);
    assert.ok(version >= 5, `user_version ${version}`);
    assert.equal((db.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode, "wal");
    db.prepare("INSERT INTO events (at, kind, data) VALUES (?, ?, ?)").run("2026-01-01", "probe", "{}");
    db.close();
    const again = openStateDb(paths);
    assert.equal(userVersion(again), version);
    assert.equal((again.prepare("SELECT COUNT(*) AS n FROM events").get() as { n: number }).n, 1);
    again.close();
  });

  it("refuses a database a newer br migrated past what this one knows, and leaves it as it is", () => {
    const paths = projectPaths(tempDir());
    const db = openStateDb(paths);
    const version = userVersion(db);
    db.exec(`PRAGMA user_version = ${version + 1}`);
    db.close();
    assert.throws(
      () => openStateDb(paths),
      (error: Error & { exitCode?: number; fix?: string }) =>
        error.message === `The state database is at version ${version + 1}, written by a newer br; this br knows version ${version}.` &&
        error.exitCode === 2 &&
        /Upgrade br/.test(error.fix ?? ""),
    );
    const raw = openSqlite(join(paths.state, "state.db"));
    assert.equal(userVersion(raw), version + 1, "untouched");
    raw.close();
  });

  it("migrates once when several processes open a new database at the same moment", async () => {
    const root = tempDir();
    // Each child loads, says so, and waits; all are then told to go at once, so their first reads
    // of user_version race each other.
    const script = `import { openStateDb } from ${JSON.stringify(join(import.meta.dirname, "..", "src", "infra", "state-db.ts"))};
      import { projectPaths } from ${JSON.stringify(join(import.meta.dirname, "..", "src", "infra", "project.ts"))};
      process.stdout.write("ready\\n");
      process.stdin.once("data", () => { openStateDb(projectPaths(${JSON.stringify(root)})).close(); process.exit(0); });`;
    const children = Array.from({ length: 4 }, () =>
      spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        stdio: ["pipe", "pipe", "inherit"],
        timeout: 60_000,
      }),
    );
    const exited = children.map((child) => new Promise<number | null>((resolve) => child.on("close", resolve)));
    await Promise.all(children.map((child) => new Promise((resolve) => child.stdout?.once("data", resolve))));
    for (const child of children) child.stdin?.write("go\n");
    assert.deepEqual(await Promise.all(exited), [0, 0, 0, 0]);
    const db = openStateDb(projectPaths(root));
    assert.equal((db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'attempts'").get() as { n: number }).n, 1);
    db.close();
  });

  it("inTransaction commits on success and rolls back everything on a throw", () => {
    const db = openSqlite(join(tempDir(), "t.db"));
    db.exec("CREATE TABLE t (x INTEGER)");
    inTransaction(db, () => db.prepare("INSERT INTO t VALUES (1)").run());
    assert.throws(
      () =>
        inTransaction(db, () => {
          db.prepare("INSERT INTO t VALUES (2)").run();
          throw new Error("half-way");
        }),
      /half-way/,
    );
    assert.deepEqual(valuesOf(db), [1]);
    db.close();
  });

  it("inTransaction reports the real error when SQLite has already rolled back (RAISE(ROLLBACK), a full disk)", () => {
    const db = openSqlite(join(tempDir(), "t.db"));
    db.exec("CREATE TABLE t (x INTEGER)");
    db.exec("CREATE TRIGGER no_sevens BEFORE INSERT ON t WHEN NEW.x = 7 BEGIN SELECT RAISE(ROLLBACK, 'sevens are refused'); END");
    assert.throws(() => inTransaction(db, () => db.prepare("INSERT INTO t VALUES (7)").run()), /sevens are refused/);
    inTransaction(db, () => db.prepare("INSERT INTO t VALUES (1)").run());
    assert.deepEqual(valuesOf(db), [1]);
    db.close();
  });

  it("isBusy tells SQLite's 'database is locked' from other errors", () => {
    const path = join(tempDir(), "busy.db");
    const holder = openSqlite(path);
    const waiter = openSqlite(path);
    waiter.exec("PRAGMA busy_timeout = 0");
    holder.exec("BEGIN IMMEDIATE");
    const locked = (() => {
      try {
        waiter.exec("BEGIN IMMEDIATE");
      } catch (error) {
        return error;
      }
    })();
    assert.equal(isBusy(locked), true);
    const syntax = (() => {
      try {
        waiter.exec("SELEC 1");
      } catch (error) {
        return error;
      }
    })();
    assert.equal(isBusy(syntax), false);
    assert.equal(isBusy(new Error("database is locked")), false, "judged by SQLite's code, not the text");
    // node:sqlite reports extended codes: BUSY_RECOVERY, BUSY_SNAPSHOT, BUSY_TIMEOUT are busy; a UNIQUE violation is not.
    for (const errcode of [261, 517, 773]) assert.equal(isBusy({ errcode }), true, `errcode ${errcode}`);
    for (const errcode of [2067, 6, 1]) assert.equal(isBusy({ errcode }), false, `errcode ${errcode}`);
    assert.equal(isBusy(null), false);
    holder.exec("ROLLBACK");
    holder.close();
    waiter.close();
  });
});

describe("the project lock", () => {
  it("serialises holders in one process: the second waits until the first releases", async () => {
    const path = join(tempDir(), "state", "project.lock");
    const order: string[] = [];
    const held = Promise.withResolvers<void>();
    const release = Promise.withResolvers<void>();
    const first = withLock(path, async () => {
      order.push("first in");
      held.resolve();
      await release.promise;
      order.push("first out");
    });
    await held.promise;
    const second = withLock(path, () => {
      order.push("second in");
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.deepEqual(order, ["first in"], "the second waits");
    release.resolve();
    await Promise.all([first, second]);
    assert.deepEqual(order, ["first in", "first out", "second in"]);
    assert.equal(existsSync(`${path}.owner`), false, "the owner note goes with the lock");
  });

  it("gives up after the timeout, naming the holder", async () => {
    const path = join(tempDir(), "state", "project.lock");
    const acquired = Promise.withResolvers<void>();
    const release = Promise.withResolvers<void>();
    const held = withLock(path, () => {
      acquired.resolve();
      return release.promise;
    });
    await acquired.promise;
    await assert.rejects(
      withLock(path, () => undefined, { timeoutMs: 150, what: "the probe" }),
      new RegExp(`Timed out after 150 ms waiting for the lock on the probe, held by process ${process.pid}`),
    );
    release.resolve();
    await held;
    assert.equal(await withLock(path, () => "free again", { timeoutMs: 150 }), "free again");
  });
});
