/**
 * Atomic writes (src/infra/atomic-file.ts): content given in parts is written as their
 * concatenation, and the own-writes ledger records the hash of what is on disk.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { sameText, writeFileAtomic } from "../../src/infra/atomic-file.ts";

const T = { timeout: 5_000 };
const root = mkdtempSync(join(tmpdir(), "br-atomic-"));
after(() => rmSync(root, { recursive: true, force: true }));

function ledger(): { file: string; sha: string }[] {
  const text = readFileSync(join(root, ".buildrunner", "state", "own-writes.jsonl"), "utf8");
  return text
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { file: string; sha: string });
}

describe("writeFileAtomic", () => {
  mkdirSync(join(root, ".buildrunner", "state"), { recursive: true });
  it("writes parts as one file, multi-byte characters across them included, and records its hash", T, () => {
    const file = join(root, ".buildrunner", "tasks.json");
    const parts = ["{\n", '  "a": "é→', '✓"\n', "}\n"];
    writeFileAtomic(file, parts);
    const bytes = readFileSync(file);
    assert.equal(bytes.toString("utf8"), parts.join(""));
    assert.deepEqual(ledger().at(-1), {
      ...ledger().at(-1),
      file: "tasks.json",
      sha: createHash("sha256").update(bytes).digest("hex"),
    });
  });
  it("records a string and a buffer written whole the same way", T, () => {
    const file = join(root, ".buildrunner", "features.json");
    writeFileAtomic(file, "one");
    writeFileAtomic(file, Buffer.from("two"));
    const [first, second] = ledger().slice(-2);
    assert.equal(first?.sha, createHash("sha256").update("one").digest("hex"));
    assert.equal(second?.sha, createHash("sha256").update("two").digest("hex"));
    assert.equal(readFileSync(file, "utf8"), "two");
  });
  it("keeps no ledger entry for a file outside the project's own files", T, () => {
    const count = ledger().length;
    writeFileAtomic(join(root, "notes.txt"), ["a", "b"]);
    assert.equal(readFileSync(join(root, "notes.txt"), "utf8"), "ab");
    assert.equal(ledger().length, count);
  });
});

describe("sameText", () => {
  it("says whether parts make up a text exactly", T, () => {
    assert.equal(sameText(["ab", "c"], "abc"), true);
    assert.equal(sameText([], ""), true);
    assert.equal(sameText(["ab", "c"], "abcd"), false);
    assert.equal(sameText(["ab", "cd"], "abc"), false);
    assert.equal(sameText(["ab", "x"], "abc"), false);
    assert.equal(sameText(["a", "", "bc"], "abc"), true);
  });
});
