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
function normalise(text: string, style: Style, interner: LineInterner, ids: number[], lines: number[]): void {
  const state: SkipState = { until: undefined, inString: undefined };
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
    if (!carriesCode(text, a, b, style, state)) continue;
    ids.push(interner.id(text, a, b));
    lines.push(lineNo);
  }
}

/**
 * Ids of distinct lines, read in place from the file texts: a line is hashed and compared where it
 * is, never copied into a string of its own (a Map keyed by each line's string was most of the
 * cost of duplication on a large tree).
 */
class LineInterner {
  private mask = 1023;
  /** Id + 1 of the line in each slot; 0 = empty. */
  private slots = new Int32Array(1024);
  private hashes = new Int32Array(1024);
  /** Where each id's first occurrence is: its text and range. */
  private readonly texts: string[] = [];
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  id(text: string, a: number, b: number): number {
    let hash = 0x811c9dc5 | 0;
    for (let i = a; i < b; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
    let slot = (Math.imul(hash ^ (hash >>> 16), 0x45d9f3b) >>> 0) & this.mask;
    for (;;) {
      const stored = this.slots[slot] as number;
      if (stored === 0) return this.add(slot, hash, text, a, b);
      if (this.hashes[slot] === hash && this.same(stored - 1, text, a, b)) return stored - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  private same(id: number, text: string, a: number, b: number): boolean {
    const start = this.starts[id] as number;
    if ((this.ends[id] as number) - start !== b - a) return false;
    const other = this.texts[id] as string;
    for (let i = 0; i < b - a; i++) if (other.charCodeAt(start + i) !== text.charCodeAt(a + i)) return false;
    return true;
  }

  private add(slot: number, hash: number, text: string, a: number, b: number): number {
    const id = this.texts.length;
    this.texts.push(text);
    this.starts.push(a);
    this.ends.push(b);
    this.slots[slot] = id + 1;
    this.hashes[slot] = hash;
    if (this.texts.length * 2 > this.mask) this.grow();
    return id;
  }

  private grow(): void {
    const { slots, hashes } = this;
    this.mask = slots.length * 2 - 1;
    this.slots = new Int32Array(slots.length * 2);
    this.hashes = new Int32Array(slots.length * 2);
    for (let i = 0; i < slots.length; i++) {
      const stored = slots[i] as number;
      if (stored === 0) continue;
      const hash = hashes[i] as number;
      let slot = (Math.imul(hash ^ (hash >>> 16), 0x45d9f3b) >>> 0) & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = stored;
      this.hashes[slot] = hash;
    }
  }
}

/** What earlier lines left open, carried from one line to the next. */
interface SkipState {
  /** Skip lines until one containing this (the end of a block comment, docstring or import list). */
  until: string | undefined;
  /** Python: the quotes of a multi-line string that code opened and a later line closes. */
  inString: string | undefined;
}

/**
 * Whether a trimmed, non-blank line (text[a, b)) is code of its own (not a comment, docstring,
 * import or near-empty line). The line becomes a string of its own only on the rarer paths.
 */
function carriesCode(text: string, a: number, b: number, style: Style, state: SkipState): boolean {
  if (state.until !== undefined) {
    if (text.slice(a, b).includes(state.until)) state.until = undefined;
    return false;
  }
  const first = text.charCodeAt(a);
  if (style.slashes && (first === 47 || first === 42) /* / * */ && isSlashComment(text.slice(a, b), state)) return false;
  if (style.hash && isHashCommentOrDocstring(text.slice(a, b), first, state)) return false;
  if (wordChars(text, a, b) < 3) return false;
  return !(IMPORT_INITIALS.has(first) && isImport(text.slice(a, b), style, state));
}

/** Line comments, and block comment lines (a line that opens a block comment skips up to its end). */
function isSlashComment(line: string, state: SkipState): boolean {
  if (line.startsWith("//") || line.startsWith("*")) return true;
  if (!line.startsWith("/*")) return false;
  if (!line.includes("*/", 2)) state.until = "*/";
  return true;
}

/** `#` comments and docstrings; tracks multi-line strings that code opens, whose lines are content. */
function isHashCommentOrDocstring(line: string, first: number, state: SkipState): boolean {
  if (first === 35 /* # */) return true;
  if (state.inString !== undefined) {
    // Inside a multi-line string opened by code (`sql = """`): its lines are content.
    if (line.includes(state.inString)) state.inString = undefined;
    return false;
  }
  const doc = docstringQuote(line);
  if (doc) {
    // A string statement (docstring): documentation, dropped up to its closing quotes.
    if (!line.includes(doc, line.indexOf(doc) + 3)) state.until = doc;
    return true;
  }
  state.inString = openedString(line);
  return false;
}

/** i(mport) e(xport) c(onst) l(et) v(ar) r(equire) f(rom): the first letters an import line can have. */
const IMPORT_INITIALS = new Set([105, 101, 99, 108, 118, 114, 102]);

/** An import line; one that leaves a `{` or `(` open skips its continuation lines too. */
function isImport(line: string, style: Style, state: SkipState): boolean {
  if (!((style.slashes && JS_IMPORT.test(line)) || (style.hash && PY_IMPORT.test(line)))) return false;
  const opener = line.lastIndexOf("{") > line.lastIndexOf("}") ? "}" : line.lastIndexOf("(") > line.lastIndexOf(")") ? ")" : undefined;
  if (opener) state.until = opener;
  return true;
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

/** Letters, digits, `_`, `$` and anything non-ASCII in text[a, b) (counted up to 3). */
function wordChars(text: string, a: number, b: number): number {
  let count = 0;
  for (let i = a; i < b; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c > 127) {
      if (++count >= 3) return count;
    }
  }
  return count;
}

const BASE = 0x01000193;

export function findDuplication(files: SourceText[], minLines = 6): DuplicationResult {
  const m = Math.max(1, Math.floor(minLines));
  const corpus = readCorpus(files);
  const scan: Scan = {
    corpus,
    m,
    power: windowPower(m),
    table: new WindowTable(countWindows(corpus, m), corpus.ids, m),
    copied: new Uint8Array(corpus.total),
    blocks: [],
  };
  for (let f = 0; f < files.length; f++) scanFile(scan, f);
  const { total } = corpus;
  let duplicated = 0;
  for (let i = 0; i < total; i++) duplicated += scan.copied[i] as number;
  return {
    totalLines: total,
    duplicatedLines: duplicated,
    pct: total === 0 ? 0 : Math.round((10000 * duplicated) / total) / 100,
    blocks: scan.blocks,
  };
}

/** The normalised lines of all files, end to end. */
interface Corpus {
  files: SourceText[];
  /** Line ids, spread over the int range for hashing. */
  ids: Int32Array;
  /** The original 1-based line number of each normalised line. */
  origin: Int32Array;
  /** The index of the file each normalised line is in. */
  fileOf: Int32Array;
  /** Where each file's lines start in `ids`, and the total at the end. */
  fileStart: number[];
  total: number;
}

function readCorpus(files: SourceText[]): Corpus {
  const interner = new LineInterner();
  const idList: number[] = [];
  const lineList: number[] = [];
  const fileStart: number[] = [];
  for (const file of files) {
    fileStart.push(idList.length);
    normalise(file.text, styleOf(file.path), interner, idList, lineList);
  }
  fileStart.push(idList.length);
  const total = idList.length;
  const ids = new Int32Array(total);
  const origin = new Int32Array(total);
  for (let i = 0; i < total; i++) {
    ids[i] = Math.imul((idList[i] as number) + 1, 0x9e3779b1) | 0;
    origin[i] = lineList[i] as number;
  }
  const fileOf = new Int32Array(total);
  for (let f = 0; f < files.length; f++) fileOf.fill(f, fileStart[f] as number, fileStart[f + 1] as number);
  return { files, ids, origin, fileOf, fileStart, total };
}

/** Windows of m lines that fit in the files (a window never spans two files). */
function countWindows(corpus: Corpus, m: number): number {
  const { fileStart } = corpus;
  let windows = 0;
  for (let f = 0; f < corpus.files.length; f++) windows += Math.max(0, (fileStart[f + 1] as number) - (fileStart[f] as number) - m + 1);
  return windows;
}

/** BASE^(m-1): what the line leaving a window weighs in its rolling hash. */
function windowPower(m: number): number {
  let power = 1;
  for (let i = 1; i < m; i++) power = Math.imul(power, BASE);
  return power;
}

/** The first place each window of m lines appears: an open-addressing table keyed by the window's hash. */
class WindowTable {
  private readonly mask: number;
  /** Window start + 1; 0 = empty. */
  private readonly slots: Int32Array;
  private readonly hashes: Int32Array;

  constructor(
    windows: number,
    private readonly ids: Int32Array,
    private readonly m: number,
  ) {
    let size = 16;
    while (size < windows * 2) size *= 2;
    this.mask = size - 1;
    this.slots = new Int32Array(size);
    this.hashes = new Int32Array(size);
  }

  /** The first earlier window equal to the one at p, or -1 after recording p as a first. */
  firstOf(p: number, hash: number): number {
    let slot = (Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d) >>> 0) & this.mask;
    for (;;) {
      const stored = this.slots[slot] as number;
      if (stored === 0) {
        this.slots[slot] = p + 1;
        this.hashes[slot] = hash;
        return -1;
      }
      if (this.hashes[slot] === hash && this.same(stored - 1, p)) return stored - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  private same(p: number, q: number): boolean {
    for (let i = 0; i < this.m; i++) if (this.ids[p + i] !== this.ids[q + i]) return false;
    return true;
  }
}

/** The scan over all files: what it reads, and the blocks and copied lines it finds. */
interface Scan {
  corpus: Corpus;
  m: number;
  power: number;
  table: WindowTable;
  /** 1 for each normalised line that repeats earlier code. */
  copied: Uint8Array;
  blocks: DuplicateBlock[];
}

/** A duplicated run in progress: its first window, and the earlier window that one matches. */
interface Run {
  start: number;
  other: number;
}

/** Finds the duplicated runs of file f, each grown to its maximal block against one earlier place. */
function scanFile(scan: Scan, f: number): void {
  const { ids, fileStart } = scan.corpus;
  const { m } = scan;
  const from = fileStart[f] as number;
  const last = (fileStart[f + 1] as number) - m; // last window start
  if (last < from) return;
  let hash = 0;
  for (let i = 0; i < m; i++) hash = (Math.imul(hash, BASE) + (ids[from + i] as number)) | 0;
  const run: Run = { start: -1, other: -1 };
  let previousOther = -1; // earlier window matched by the previous window
  for (let p = from; p <= last; p++) {
    if (p > from) hash = (Math.imul((hash - Math.imul(ids[p - 1] as number, scan.power)) | 0, BASE) + (ids[p + m - 1] as number)) | 0;
    const first = scan.table.firstOf(p, hash);
    let other = -1;
    if (previousOther >= 0) {
      // Keep growing the run against the same earlier place while the next line still matches.
      if (runContinues(scan, previousOther, p)) other = previousOther + 1;
      else emitBlock(scan, f, run, p - 1);
    }
    if (other < 0 && first >= 0) {
      run.start = p;
      run.other = first;
      other = first;
    }
    previousOther = other;
  }
  if (previousOther >= 0) emitBlock(scan, f, run, last);
}

/** Whether the window at p still matches the window after previousOther, in the same earlier file. */
function runContinues(scan: Scan, previousOther: number, p: number): boolean {
  const { ids, fileOf, total } = scan.corpus;
  const qEnd = previousOther + scan.m;
  return qEnd < total && fileOf[qEnd] === fileOf[previousOther] && ids[qEnd] === ids[p + scan.m - 1];
}

/** Reports the run ending at lastWindow as one block and marks its lines copied. */
function emitBlock(scan: Scan, f: number, run: Run, lastWindow: number): void {
  const { files, fileOf, origin } = scan.corpus;
  const endPos = lastWindow + scan.m - 1;
  const otherEnd = run.other + (lastWindow - run.start) + scan.m - 1;
  scan.copied.fill(1, run.start, endPos + 1);
  scan.blocks.push({
    file: files[f]?.path ?? "",
    line: origin[run.start] as number,
    endLine: origin[endPos] as number,
    otherFile: files[fileOf[run.other] as number]?.path ?? "",
    otherLine: origin[run.other] as number,
    otherEndLine: origin[otherEnd] as number,
    lines: endPos - run.start + 1,
  });
}
