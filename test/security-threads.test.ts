/**
 * A large working-tree scan shared between threads (src/security/scan-threads.ts) reports exactly
 * what one thread reports: the same findings in the same order, the same counts, and skipped files
 * in the same order. Run through the built br with BR_SCAN_THREADS forcing the number of threads,
 * in a real git repository; plus the decisions (how many threads, how files are handed out, what a failed worker's files become) on their own.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

await import("./unit/text-loader.ts");
const { fileQueue, sharesOf, taken, takenByThread, threadCount } = await import("../src/security/scan-threads.ts");
const { defaultRules, scanResult, scanShare } = await Promise.all([
  import("../src/security/secrets/rules.ts"),
  import("../src/security/scan.ts"),
]).then(([rules, scan]) => ({ defaultRules: rules.defaultRules, scanResult: scan.scanResult, scanShare: scan.scanShare }));

import { br, tempRepo } from "./helpers.ts";

// Secret-shaped values, assembled at run time so this file itself holds none.
const AWS_KEY = ["AKIA", "Z7QWERTY4ASDFGH2"].join("");
const GITHUB_TOKEN = ["ghp_", "k3Jd9Lm2Qx7Rt5Vw8Yz1Ab4Cd6Ef0Gh2Ij4K"].join("");

const DEADLINE = { timeout: 120_000 };

function scan(cwd: string, threads: number) {
  const result = br(["security", "check", "--json"], { cwd, env: { BR_SCAN_THREADS: String(threads) } });
  assert.equal(result.code, 1, result.stderr);
  const report = JSON.parse(result.stdout) as { findings: unknown[]; summary: Record<string, unknown> };
  delete report.summary.durationMs;
  return report;
}

describe("security check on several threads", () => {
  it("reports what one thread reports, skipped files and SQL injection included", DEADLINE, () => {
    const repo = tempRepo();
    for (let dir = 0; dir < 6; dir++) {
      mkdirSync(join(repo, `pkg${dir}`));
      for (let i = 0; i < 20; i++) writeFileSync(join(repo, `pkg${dir}`, `m${i}.js`), `export const value${i} = ${i};\n`);
    }
    writeFileSync(join(repo, "pkg1", "config.js"), `const aws = "${AWS_KEY}";\n`);
    writeFileSync(join(repo, "pkg4", "deploy.sh"), `export GITHUB_TOKEN=${GITHUB_TOKEN}\n`);
    writeFileSync(
      join(repo, "pkg5", "users.js"),
      ["export function find(db, id) {", "  return db.query(`SELECT * FROM users WHERE id = $" + "{id}`);", "}", ""].join("\n"),
    );
    writeFileSync(join(repo, "pkg2", "image.bin"), Buffer.from([1, 0, 2, 0, 3]));
    writeFileSync(join(repo, "pkg3", "blob.dat"), Buffer.from([0, 0, 0]));
    const one = scan(repo, 1);
    assert.deepEqual(
      (one.findings as { rule: string }[]).map((f) => f.rule).sort(),
      ["aws-access-token", "github-pat", "sqli-db-query"].sort(),
    );
    assert.equal((one.summary.skippedFiles as unknown[]).length, 2);
    for (const threads of [2, 3, 4]) assert.deepEqual(scan(repo, threads), one, `${threads} threads`);
  });
});

describe("thread decisions", () => {
  it("uses one thread for a small scan and one per 16 MiB up to the cores, at most four", () => {
    const mib = 1024 * 1024;
    assert.equal(threadCount(10, 1 * mib, {}, 8), 1);
    assert.equal(threadCount(5000, 31 * mib, {}, 8), 1);
    assert.equal(threadCount(5000, 32 * mib, {}, 8), 2);
    assert.equal(threadCount(5000, 1000 * mib, {}, 8), 4);
    assert.equal(threadCount(5000, 1000 * mib, {}, 2), 2);
    assert.equal(threadCount(5000, 1000 * mib, {}, 1), 1);
    assert.equal(threadCount(3, 1000 * mib, {}, 8), 3);
  });

  it("takes BR_SCAN_THREADS as asked, never more threads than files, and ignores a bad value", () => {
    assert.equal(threadCount(10, 0, { BR_SCAN_THREADS: "3" }, 1), 3);
    assert.equal(threadCount(2, 0, { BR_SCAN_THREADS: "8" }, 8), 2);
    assert.equal(threadCount(5000, 1000 * 2 ** 20, { BR_SCAN_THREADS: "1" }, 8), 1);
    assert.equal(threadCount(10, 0, { BR_SCAN_THREADS: "two" }, 8), 1);
    assert.equal(threadCount(10, 0, { BR_SCAN_THREADS: "0" }, 8), 1);
  });

  it("hands every file out exactly once, whichever threads take them and in whatever order", () => {
    const jobs = Array.from({ length: 50 }, (_, i) => ({ path: `f${i}`, file: `/nowhere/f${i}` }));
    const queue = fileQueue(jobs);
    const takers = [taken(queue, 0), taken(queue, 1), taken(queue, 2)];
    const seen: string[][] = [[], [], []];
    // Interleaved unevenly, as threads of different speeds would.
    for (let round = 0; seen.flat().length < jobs.length && round < 1000; round++) {
      const k = round % 5 === 0 ? 2 : round % 2;
      const next = takers[k]?.next();
      if (next && !next.done) seen[k]?.push(next.value.path);
    }
    assert.deepEqual(seen.flat().sort(), jobs.map((j) => j.path).sort());
    for (const [k, paths] of seen.entries())
      assert.deepEqual(
        takenByThread(queue, k).map((t) => t.path),
        jobs.filter((j) => paths.includes(j.path)).map((j) => j.path),
      );
    assert.equal(takers[0]?.next().done, true, "an empty queue gives nothing more");
  });

  it("scans again, on the main thread, the files a failed worker took: no file is left unscanned", async () => {
    const dir = mkdtempSync(join(tmpdir(), "br-threads-"));
    const jobs = Array.from({ length: 12 }, (_, i) => {
      const file = join(dir, `m${i}.sh`);
      writeFileSync(file, i % 4 === 0 ? `export GITHUB_TOKEN=${GITHUB_TOKEN}\n` : `echo ${i}\n`);
      return { path: `m${i}.sh`, file };
    });
    const rules = defaultRules();
    const expected = scanResult([scanShare(taken(fileQueue(jobs), 0), rules)], 0);
    assert.equal(expected.findings.length, 3);
    const queue = fileQueue(jobs);
    // Worker 1 takes four files (two with a token) and dies before it reports; worker 2 reports nothing taken.
    const died = taken(queue, 1);
    for (let i = 0; i < 4; i++) died.next();
    const shares = await sharesOf(queue, rules, [Promise.resolve(undefined), Promise.resolve(scanShare([], rules))]);
    const result = scanResult(shares, 0);
    assert.deepEqual(result.findings, expected.findings);
    assert.equal(result.summary.files, jobs.length);
  });
});
