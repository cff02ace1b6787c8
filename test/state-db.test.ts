import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { withLock } from "../src/infra/lock.ts";
import { projectPaths } from "../src/infra/project.ts";
import { inTransaction, isBusy, openSqlite, openStateDb } from "../src/infra/state-db.ts";
import { tempDir } from "./helpers.ts";

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

  it("migrates once when several processes open a new database at the same moment", async () => {
    const root = tempDir();
    // Every process loads first, then all open at one agreed instant, so their first reads of
    // user_version race each other.
    const startAt = Date.now() + 4000;
    const script = `import { openStateDb } from ${JSON.stringify(join(import.meta.dirname, "..", "src", "infra", "state-db.ts"))};
      import { projectPaths } from ${JSON.stringify(join(import.meta.dirname, "..", "src", "infra", "project.ts"))};
      while (Date.now() < ${startAt});
      openStateDb(projectPaths(${JSON.stringify(root)})).close();`;
    const codes = await Promise.all(
      Array.from(
        { length: 4 },
        () =>
          new Promise<number | null>((resolve) => {
            const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: "inherit" });
            child.on("close", resolve);
          }),
      ),
    );
    assert.deepEqual(codes, [0, 0, 0, 0]);
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
    assert.deepEqual(
      db
        .prepare("SELECT x FROM t")
        .all()
        .map((r) => r.x),
      [1],
    );
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
    holder.exec("ROLLBACK");
    holder.close();
    waiter.close();
  });
});

describe("the project lock", () => {
  it("serialises holders in one process: the second waits until the first releases", async () => {
    const path = join(tempDir(), "state", "project.lock");
    const order: string[] = [];
    let releaseFirst: () => void = () => {};
    const first = withLock(path, async () => {
      order.push("first in");
      await new Promise<void>((resolve) => {
        releaseFirst = resolve;
      });
      order.push("first out");
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = withLock(path, () => {
      order.push("second in");
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(order, ["first in"], "the second waits");
    releaseFirst();
    await Promise.all([first, second]);
    assert.deepEqual(order, ["first in", "first out", "second in"]);
    assert.equal(existsSync(`${path}.owner`), false, "the owner note goes with the lock");
  });

  it("gives up after the timeout, naming the holder", async () => {
    const path = join(tempDir(), "state", "project.lock");
    let release: () => void = () => {};
    const held = withLock(path, () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await assert.rejects(
      withLock(path, () => undefined, { timeoutMs: 150, what: "the probe" }),
      new RegExp(`Timed out after 150 ms waiting for the lock on the probe, held by process ${process.pid}`),
    );
    release();
    await held;
    assert.equal(await withLock(path, () => "free again", { timeoutMs: 150 }), "free again");
  });
});
