/**
 * Chunked scanning (src/security/chunks.ts) and what scanTargets does with large and binary
 * targets (src/security/scan.ts): a text scanned in overlapping chunks gives exactly the findings,
 * lines and columns of the whole text, a match across a chunk boundary included.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { bufferSource, type Located, scanChunks, withFileSource } from "../../src/security/chunks.ts";

await import("./text-loader.ts");
const { scanTargets } = await import("../../src/security/scan.ts");
const { loadRules } = await import("../../src/security/secrets/rules.ts");

const T = { timeout: 20_000 };
const SMALL = { chunk: 400, overlap: 80 };
// Built at run time so that br's own secret scan of this repository does not flag it.
const AWS_KEY = ["AKIA", "Z7QWERTY4ASDFGH2"].join("");

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Hit extends Located {
  text: string;
}

/** The oracle: every `TOKEN-xxxx…` in a text, placed as the secret engine places its findings. */
function tokens(text: string): Hit[] {
  const hits: Hit[] = [];
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  const lineOf = (offset: number) => {
    let line = 0;
    while (line + 1 < starts.length && (starts[line + 1] as number) <= offset) line++;
    return line;
  };
  for (const m of text.matchAll(/TOKEN-[a-z0-9é\n]{10,30}/g)) {
    const line = lineOf(m.index);
    const endLine = lineOf(m.index + m[0].length - 1);
    hits.push({ text: m[0], line: line + 1, endLine: endLine + 1, column: m.index - (starts[line] as number) + 1 });
  }
  return hits;
}

/** A pseudo-random text of short and very long lines, multibyte characters and tokens (some across lines). */
function sample(seed: number, length: number): string {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state;
  };
  const pieces = ["word ", "é", "€", "😀", "\n", "\r\n", "x".repeat(90), "TOKEN-abc123def456", "TOKEN-ab\ncdef012345"];
  let text = "";
  while (text.length < length) text += pieces[next() % pieces.length];
  return text;
}

describe("scanChunks", () => {
  it("finds exactly what a scan of the whole text finds, at the same places, whatever the chunk boundaries", T, () => {
    for (let seed = 1; seed <= 40; seed++) {
      const text = sample(seed, 3000 + seed * 37);
      const whole = tokens(text);
      const chunked = scanChunks(bufferSource(Buffer.from(text)), (chunk) => tokens(chunk), SMALL);
      assert.deepEqual(chunked, whole, `seed ${seed}`);
    }
  });

  it("a single line far longer than a chunk: columns count from the line's start, not the chunk's", T, () => {
    const text = `${"é".repeat(1500)}TOKEN-abcdefghij${"x".repeat(700)}TOKEN-klmnopqrst\nnext TOKEN-uvwxyz0123\n`;
    const chunked = scanChunks(bufferSource(Buffer.from(text)), (chunk) => tokens(chunk), SMALL);
    assert.deepEqual(
      chunked.map((h) => [h.line, h.column]),
      [
        [1, 1501],
        [1, 2217],
        [2, 6],
      ],
    );
  });

  it("a match straddling every possible boundary is found once", T, () => {
    for (let at = 300; at < 420; at += 3) {
      const text = `${"a".repeat(at)}TOKEN-0123456789abcdef${"b".repeat(900)}`;
      const chunked = scanChunks(bufferSource(Buffer.from(text)), (chunk) => tokens(chunk), SMALL);
      assert.deepEqual(chunked, tokens(text), `token at ${at}`);
    }
  });

  it("a secret found only after its keyword (the finding starts past the match's start) is found across a boundary", T, () => {
    // Each finding's column is its value's, after `KEY=` and spaces, as a secret group's is.
    const keyed = (text: string): Hit[] =>
      [...text.matchAll(/KEY= *([a-z0-9]{12,20})/g)].map((m) => {
        const column = m.index + m[0].length - (m[1] as string).length + 1;
        return { text: m[1] as string, line: 1, endLine: 1, column };
      });
    for (let at = 200; at < 420; at += 2) {
      const text = `${"-".repeat(at)}KEY=${" ".repeat(30)}abcdef0123456789${"-".repeat(900)}`;
      const chunked = scanChunks(bufferSource(Buffer.from(text)), keyed, SMALL);
      assert.deepEqual(chunked, keyed(text), `keyword at ${at}`);
    }
  });

  it("findings tied to the file (the first chunk only) are reported once", T, () => {
    const text = "line\n".repeat(500);
    const fileWide = (_chunk: string, first: boolean) => (first ? [{ line: 1, endLine: 1, column: 1 }] : []);
    assert.deepEqual(scanChunks(bufferSource(Buffer.from(text)), fileWide, SMALL), [{ line: 1, endLine: 1, column: 1 }]);
  });

  it("reads a file on disk by position, and stops where a file that shrank ends", T, () => {
    const dir = mkdtempSync(join(tmpdir(), "br-chunks-"));
    dirs.push(dir);
    const file = join(dir, "big.txt");
    const text = sample(7, 5000);
    writeFileSync(file, text);
    const fromFile = withFileSource(file, Buffer.byteLength(text), (source) => scanChunks(source, (c) => tokens(c), SMALL));
    assert.deepEqual(fromFile, tokens(text));
    const claimed = withFileSource(file, Buffer.byteLength(text) + 10_000, (source) => scanChunks(source, (c) => tokens(c), SMALL));
    assert.deepEqual(claimed, tokens(text), "a size larger than the file ends at its last byte, without looping");
  });
});

describe("scanTargets on large and binary targets", () => {
  const rules = loadRules(undefined, ".gitleaks.toml");

  it("a text over 10 MiB is scanned in chunks: a key across the first chunk boundary is found once, on its line", T, () => {
    const line = "INFO request served path=/api/items status=200\n";
    const lines = Math.ceil((4 * 1024 * 1024) / line.length);
    // The key's line straddles the 4 MiB mark, where the first chunk is cut.
    const head = line.repeat(lines - 1) + "x".repeat(4 * 1024 * 1024 - (lines - 1) * line.length - 10);
    const text = `${head}key = "${AWS_KEY}"\n${line.repeat(Math.ceil((7 * 1024 * 1024) / line.length))}`;
    const result = scanTargets([{ path: "big.log", read: () => Buffer.from(text) }], rules);
    assert.deepEqual(
      result.findings.map((f) => [f.rule, f.line, f.column]),
      [["aws-access-token", lines, 4 * 1024 * 1024 - (lines - 1) * line.length - 10 + 8]],
    );
    assert.equal(result.summary.files, 1);
    assert.ok(result.summary.bytes > 10 * 1024 * 1024);
    assert.deepEqual(result.summary.skippedFiles, []);
  });

  it("binary and unreadable targets are skipped with the reason, named ones marked", T, () => {
    const result = scanTargets(
      [
        { path: "image.png", read: () => Buffer.from([137, 80, 78, 71, 0, 1, 2]), named: true },
        { path: "gone.txt", read: () => undefined },
        {
          path: "locked.txt",
          read: () => {
            throw new Error("EACCES: permission denied");
          },
        },
        { path: "ok.txt", read: () => Buffer.from("hello\n") },
      ],
      rules,
    );
    assert.deepEqual(result.summary.skippedFiles, [
      { file: "image.png", reason: "binary (a NUL byte in its first 8000 bytes)", named: true },
      { file: "gone.txt", reason: "its content could not be read" },
      { file: "locked.txt", reason: "it could not be read (EACCES: permission denied)" },
    ]);
    assert.equal(result.summary.skipped, 3);
    assert.equal(result.summary.files, 1);
  });
});
