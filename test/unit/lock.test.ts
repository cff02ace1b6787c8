/**
 * The inter-process lock (src/infra/lock.ts): a write transaction on a SQLite file. A second holder
 * waits, times out with the holder's name, and gets the lock once it is released; the owner note
 * lives exactly as long as the work; BR_LOCK_TIMEOUT_MS is validated.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, afterEach, describe, it } from "node:test";
import { withLock } from "../../src/infra/lock.ts";

const T = { timeout: 10_000 };
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  delete process.env.BR_LOCK_TIMEOUT_MS;
});

function lockPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "br-unit-lock-"));
  dirs.push(dir);
  return join(dir, "nested", "state", "project.lock");
}

/** Holds the lock until the returned release is called; resolves once it is held. */
async function hold(path: string): Promise<{ release: () => void; done: Promise<unknown> }> {
  let release = () => {};
  let held = () => {};
  const isHeld = new Promise<void>((resolve) => {
    held = resolve;
  });
  const done = withLock(path, () => {
    held();
    return new Promise<void>((resolve) => {
      release = resolve;
    });
  });
  await isHeld;
  return { release, done };
}

/** Collects what is written to stderr until `restore()`. */
function captureStderr(): { written: string[]; restore: () => void } {
  const written: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  return { written, restore: () => (process.stderr.write = original) };
}

describe("withLock", () => {
  it("runs the work and returns its value, creating the folders, and removes the owner note after", T, async () => {
    const path = lockPath();
    let during: unknown;
    const value = await withLock(path, () => {
      during = JSON.parse(readFileSync(`${path}.owner`, "utf8"));
      return 42;
    });
    assert.equal(value, 42);
    const owner = during as { pid: number; host: string; acquiredAt: string; command: string };
    assert.equal(owner.pid, process.pid);
    assert.equal(owner.host, hostname());
    assert.ok(Math.abs(Date.parse(owner.acquiredAt) - Date.now()) < 5_000);
    assert.match(owner.command, /^br( |$)/);
    assert.ok(owner.command.length <= 200);
    assert.equal(existsSync(`${path}.owner`), false);
    assert.ok(existsSync(path));
  });
  it("keeps its connection between locks, yet locks a lock file removed and made again anew", T, async () => {
    const path = lockPath();
    await withLock(path, () => undefined);
    rmSync(dirname(path), { recursive: true, force: true });
    const holder = await hold(path);
    // Another process's view: a connection of its own to the file now at the path.
    const other = new DatabaseSync(path);
    other.exec("PRAGMA busy_timeout = 0");
    try {
      assert.throws(() => other.exec("BEGIN IMMEDIATE"), /locked/);
      holder.release();
      await holder.done;
      other.exec("BEGIN IMMEDIATE");
      other.exec("ROLLBACK");
    } finally {
      other.close();
    }
  });

  it("awaits async work", T, async () => {
    assert.equal(await withLock(lockPath(), async () => "later"), "later");
  });
  it("releases the lock and the note when the work throws, and passes the error on", T, async () => {
    const path = lockPath();
    await assert.rejects(
      withLock(path, () => {
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.equal(existsSync(`${path}.owner`), false);
    assert.equal(await withLock(path, () => "again", { timeoutMs: 200 }), "again");
  });
  it("a second holder times out naming the holder and the thing locked", T, async () => {
    const path = lockPath();
    const first = await hold(path);
    try {
      const started = Date.now();
      await assert.rejects(
        withLock(path, () => "never", { timeoutMs: 150, what: "the project" }),
        (error: Error & { exitCode?: number }) => {
          assert.match(
            error.message,
            new RegExp(
              `^Timed out after 150 ms waiting for the lock on the project, held by process ${process.pid} on ${hostname()} \\(\`br`,
            ),
          );
          assert.equal(error.exitCode, 1);
          return true;
        },
      );
      const waited = Date.now() - started;
      assert.ok(waited >= 150 && waited < 2_000, `waited ${waited} ms`);
    } finally {
      first.release();
      await first.done;
    }
  });
  it("names the path when nothing else is given, and any process when the note is unreadable", T, async () => {
    const path = lockPath();
    const first = await hold(path);
    try {
      writeFileSync(`${path}.owner`, "not json");
      await assert.rejects(
        withLock(path, () => 0, { timeoutMs: 20 }),
        {
          message: `Timed out after 20 ms waiting for the lock on ${path}, held by another process.`,
        },
      );
    } finally {
      first.release();
      await first.done;
    }
  });
  it("a waiter gets the lock as soon as the holder releases it", T, async () => {
    const path = lockPath();
    const first = await hold(path);
    const order: string[] = [];
    const second = withLock(
      path,
      () => {
        order.push("second");
        return "second";
      },
      { timeoutMs: 5_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    order.push("released");
    first.release();
    await first.done;
    assert.equal(await second, "second");
    assert.deepEqual(order, ["released", "second"]);
  });
  it("says once who it waits for after a second of waiting", T, async () => {
    const path = lockPath();
    const first = await hold(path);
    const { written, restore } = captureStderr();
    try {
      await assert.rejects(
        withLock(path, () => 0, { timeoutMs: 1_400, what: "the plan" }),
        /Timed out after 1400 ms/,
      );
    } finally {
      restore();
      first.release();
      await first.done;
    }
    const notes = written.filter((w) => w.includes("waiting for the lock on the plan, held by process"));
    assert.equal(notes.length, 1, written.join(""));
  });
  it("does not say it waits when it waited less than a second", T, async () => {
    const path = lockPath();
    const first = await hold(path);
    const { written, restore } = captureStderr();
    try {
      await assert.rejects(
        withLock(path, () => 0, { timeoutMs: 300 }),
        /Timed out/,
      );
    } finally {
      restore();
      first.release();
      await first.done;
    }
    assert.deepEqual(written, []);
  });
});

describe("BR_LOCK_TIMEOUT_MS", () => {
  it("sets the wait when no timeout is given", T, async () => {
    const path = lockPath();
    const first = await hold(path);
    try {
      process.env.BR_LOCK_TIMEOUT_MS = "30";
      await assert.rejects(
        withLock(path, () => 0),
        /Timed out after 30 ms/,
      );
      process.env.BR_LOCK_TIMEOUT_MS = "0";
      await assert.rejects(
        withLock(path, () => 0),
        /Timed out after 0 ms/,
      );
      process.env.BR_LOCK_TIMEOUT_MS = "5000";
      await assert.rejects(
        withLock(path, () => 0, { timeoutMs: 10 }),
        /Timed out after 10 ms/,
      );
    } finally {
      first.release();
      await first.done;
    }
  });
  it("refuses a value that is not a number of milliseconds", T, async () => {
    for (const bad of ["abc", "-1", "Infinity"]) {
      process.env.BR_LOCK_TIMEOUT_MS = bad;
      await assert.rejects(
        withLock(lockPath(), () => 0),
        (error: Error & { exitCode?: number; fix?: string }) => {
          assert.equal(error.message, `BR_LOCK_TIMEOUT_MS must be a number of milliseconds, not "${bad}".`);
          assert.equal(error.exitCode, 2);
          assert.equal(error.fix, "Unset it or give e.g. 30000.");
          return true;
        },
      );
    }
  });
  for (const value of ["", undefined]) {
    it(`${value === undefined ? "no" : "an empty"} value means the default: a waiter outlasts a short hold`, T, async () => {
      if (value !== undefined) process.env.BR_LOCK_TIMEOUT_MS = value;
      const path = lockPath();
      const first = await hold(path);
      const second = withLock(path, () => "ok");
      await new Promise((resolve) => setTimeout(resolve, 150));
      first.release();
      await first.done;
      assert.equal(await second, "ok");
    });
  }
});
