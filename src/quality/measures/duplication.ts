/**
 * Copy-paste detection, line based (no parsing, so it is cheap on any amount of code).
 *
 * Each line is trimmed, and lines that carry no code of their own are dropped: blank lines,
 * comment-only lines (`//`, block comments, `#` in Python, Python docstring lines), lines with
 * fewer than 3 word characters (`}`, `});`, `) {`, `else:`… is kept at 4), and imports
 * (`import …`, `export … from …`, `… = require(…)`, Python `import` / `from … import`, including
 * their continuation lines). What is left are the normalised lines; each distinct one gets an id.
 *
 * Every window of `minLines` consecutive normalised lines of one file is hashed (a rolling
 * polynomial hash over the line ids) into an open-addressing table that keeps the first place
 * each window appears; equal hashes are confirmed by comparing the ids, so hash collisions never
 * report a false duplicate. A window seen before starts a duplicated run; the run grows while the
 * next window still matches the next window of the same earlier place, so overlapping windows
 * become one maximal block per pair of places. A block is reported once, at its later occurrence
 * (files in the order given, then lines), pointing to the first.
 *
 * `totalLines` counts normalised lines; `duplicatedLines` the normalised lines that repeat earlier
 * code (the copies, not the originals, each line counted once); `pct` = 100 × duplicated / total,
 * 2 decimals (0 for no lines). Blocks give original 1-based line numbers; `lines` is the number of
 * normalised lines in the block.
 */
import { measuredLanguageOf } from "./functions.js";

export interface DuplicateBlock {
  /** Where the copy is (the later occurrence). */
  file: string;
  line: number;
  endLine: number;
  /** Where it was first seen. */
  otherFile: string;
  otherLine: number;
  otherEndLine: number;
  /** Normalised (non-trivial) lines in the block; ≥ minLines. */
  lines: number;
}

export interface DuplicationResult {
  totalLines: number;
  duplicatedLines: number;
  pct: number;
  blocks: DuplicateBlock[];
}

export interface SourceText {
  path: string;
  text: string;
}

type Style = { slashes: boolean; hash: boolean };
const STYLE_JS: Style = { slashes: true, hash: false };
const STYLE_PY: Style = { slashes: false, hash: true };
const STYLE_ANY: Style = { slashes: true, hash: true };

function styleOf(path: string): Style {
  const language = measuredLanguageOf(path);
  if (language === "python") return STYLE_PY;
  return language ? STYLE_JS : STYLE_ANY;
}

const JS_IMPORT =
  /^(?:import(?:\s|\{|\*|["'])|export\s+(?:type\s+)?(?:\*|\{[^}]*\}?)\s*(?:as\s+\w+\s*)?(?:from\b|;?$)|(?:const|let|var)\s.*=\s*require\s*\(|require\s*\()/;
const PY_IMPORT = /^(?:import\s|from\s+\S+\s+import\b)/;

/** Normalised lines of one file: interned ids and their original line numbers. */
function normalise(text: string, style: Style, intern: Map<string, number>, ids: number[], lines: number[]): void {
  // Continuation state: skip lines until one containing `until`.
  let until: string | undefined;
  // Python: the quotes of a multi-line string that code opened and a later line closes.
  let inString: string | undefined;
  let lineNo = 0;
  const n = text.length;
  let start = 0;
  while (start <= n) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = n;
    lineNo++;
    let a = start;
    let b = end;
    start = end + 1;
    while (a < b && isSpace(text.charCodeAt(a))) a++;
    while (b > a && isSpace(text.charCodeAt(b - 1))) b--;
    if (a === b) {
      if (end === n) break;
      continue;
    }
    const line = text.slice(a, b);
    if (until !== undefined) {
      if (line.includes(until)) until = undefined;
      continue;
    }
    const first = line.charCodeAt(0);
    if (style.slashes && (first === 47 || first === 42) /* / * */) {
      if (line.startsWith("//") || line.startsWith("*")) continue;
      if (line.startsWith("/*")) {
        if (!line.includes("*/", 2)) until = "*/";
        continue;
      }
    }
    if (style.hash) {
      if (first === 35 /* # */) continue;
      if (inString !== undefined) {
        // Inside a multi-line string opened by code (`sql = """`): its lines are content.
        if (line.includes(inString)) inString = undefined;
      } else {
        const doc = docstringQuote(line);
        if (doc) {
          // A string statement (docstring): documentation, dropped up to its closing quotes.
          if (!line.includes(doc, line.indexOf(doc) + 3)) until = doc;
          continue;
        }
        inString = openedString(line);
      }
    }
    if (wordChars(line) < 3) continue;
    if (first === 105 || first === 101 || first === 99 || first === 108 || first === 118 || first === 114 || first === 102) {
      // i(mport) e(xport) c(onst) l(et) v(ar) r(equire) f(rom)
      if ((style.slashes && JS_IMPORT.test(line)) || (style.hash && PY_IMPORT.test(line))) {
        const opener =
          line.lastIndexOf("{") > line.lastIndexOf("}") ? "}" : line.lastIndexOf("(") > line.lastIndexOf(")") ? ")" : undefined;
        if (opener) until = opener;
        continue;
      }
    }
    let id = intern.get(line);
    if (id === undefined) {
      id = intern.size;
      intern.set(line, id);
    }
    ids.push(id);
    lines.push(lineNo);
  }
}

function docstringQuote(line: string): string | undefined {
  const m = /^[rRuU]?("""|''')/.exec(line);
  return m?.[1];
}

/** The triple quote a line leaves open (an odd number of them), if any. */
function openedString(line: string): string | undefined {
  for (const quote of ['"""', "'''"]) {
    let count = 0;
    for (let i = line.indexOf(quote); i >= 0; i = line.indexOf(quote, i + 3)) count++;
    if (count % 2 === 1) return quote;
  }
  return undefined;
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 13 || code === 12 || code === 11 || code === 0xfeff;
}

/** Letters, digits, `_`, `$` and anything non-ASCII. */
function wordChars(line: string): number {
  let count = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c > 127) {
      if (++count >= 3) return count;
    }
  }
  return count;
}

const BASE = 0x01000193;

export function findDuplication(files: SourceText[], minLines = 6): DuplicationResult {
  const m = Math.max(1, Math.floor(minLines));
  const intern = new Map<string, number>();
  const idList: number[] = [];
  const lineList: number[] = [];
  const fileStart: number[] = [];
  for (const file of files) {
    fileStart.push(idList.length);
    normalise(file.text, styleOf(file.path), intern, idList, lineList);
  }
  fileStart.push(idList.length);
  intern.clear();
  const total = idList.length;
  const ids = Int32Array.from(idList, (id) => Math.imul(id + 1, 0x9e3779b1) | 0);
  const origin = Int32Array.from(lineList);
  const fileOf = new Int32Array(total);
  for (let f = 0; f < files.length; f++) fileOf.fill(f, fileStart[f] as number, fileStart[f + 1] as number);

  const copied = new Uint8Array(total);
  const blocks: DuplicateBlock[] = [];
  let windows = 0;
  for (let f = 0; f < files.length; f++) windows += Math.max(0, (fileStart[f + 1] as number) - (fileStart[f] as number) - m + 1);
  let size = 16;
  while (size < windows * 2) size *= 2;
  const mask = size - 1;
  const slots = new Int32Array(size); // window start + 1; 0 = empty
  const hashes = new Int32Array(size);
  let power = 1; // BASE^(m-1)
  for (let i = 1; i < m; i++) power = Math.imul(power, BASE);

  const same = (p: number, q: number) => {
    for (let i = 0; i < m; i++) if (ids[p + i] !== ids[q + i]) return false;
    return true;
  };
  /** The first earlier window equal to the one at p, or -1 after recording p as a first. */
  const firstOf = (p: number, hash: number): number => {
    let slot = (Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d) >>> 0) & mask;
    for (;;) {
      const stored = slots[slot] as number;
      if (stored === 0) {
        slots[slot] = p + 1;
        hashes[slot] = hash;
        return -1;
      }
      if (hashes[slot] === hash && same(stored - 1, p)) return stored - 1;
      slot = (slot + 1) & mask;
    }
  };

  for (let f = 0; f < files.length; f++) {
    const from = fileStart[f] as number;
    const last = (fileStart[f + 1] as number) - m; // last window start
    if (last < from) continue;
    let hash = 0;
    for (let i = 0; i < m; i++) hash = (Math.imul(hash, BASE) + (ids[from + i] as number)) | 0;
    let runStart = -1; // first window of the current run
    let runOther = -1; // the earlier window it matches
    let previousOther = -1; // earlier window matched by the previous window
    const emit = (lastWindow: number) => {
      const endPos = lastWindow + m - 1;
      const otherEnd = runOther + (lastWindow - runStart) + m - 1;
      copied.fill(1, runStart, endPos + 1);
      blocks.push({
        file: files[f]?.path ?? "",
        line: origin[runStart] as number,
        endLine: origin[endPos] as number,
        otherFile: files[fileOf[runOther] as number]?.path ?? "",
        otherLine: origin[runOther] as number,
        otherEndLine: origin[otherEnd] as number,
        lines: endPos - runStart + 1,
      });
    };
    for (let p = from; p <= last; p++) {
      if (p > from) {
        hash = (Math.imul((hash - Math.imul(ids[p - 1] as number, power)) | 0, BASE) + (ids[p + m - 1] as number)) | 0;
      }
      const first = firstOf(p, hash);
      let other = -1;
      if (previousOther >= 0) {
        // Keep growing the run against the same earlier place while the next line still matches.
        const q = previousOther + 1;
        const qEnd = q + m - 1;
        if (qEnd < total && fileOf[qEnd] === fileOf[previousOther] && ids[qEnd] === ids[p + m - 1]) other = q;
        else emit(p - 1);
      }
      if (other < 0 && first >= 0) {
        runStart = p;
        runOther = first;
        other = first;
      }
      previousOther = other;
    }
    if (previousOther >= 0) emit(last);
  }

  let duplicated = 0;
  for (let i = 0; i < total; i++) duplicated += copied[i] as number;
  return {
    totalLines: total,
    duplicatedLines: duplicated,
    pct: total === 0 ? 0 : Math.round((10000 * duplicated) / total) / 100,
    blocks,
  };
}
