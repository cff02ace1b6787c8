/**
 * Reads the coverage report a test run wrote, whatever tool wrote it, into one shape.
 * The format is told from the content, never from the file name:
 * - lcov (`lcov.info`: c8, nyc, jest, vitest, coverage.py `coverage lcov`, genhtml's input),
 * - Istanbul `coverage-summary.json` (reporter json-summary) and `coverage-final.json` (reporter json),
 * - Cobertura XML (istanbul's cobertura reporter, coverage.py `coverage xml`, Java Cobertura),
 * - coverage.py JSON (`coverage json`).
 * Totals are the tool's own where the report carries them (lcov LF/LH, Cobertura lines-valid, …);
 * percentages are recomputed from the counts, 0..100 with two decimals, and 100 for nothing to cover.
 */
import { readFileSync, statSync } from "node:fs";
import { usageError } from "../../infra/errors.ts";
import { childrenNamed, descendantsNamed, parseXml, type XmlElement, XmlSyntaxError } from "./xml.ts";

export type CoverageFormat = "lcov" | "istanbul-summary" | "istanbul-final" | "cobertura" | "coverage.py";

export interface CoverageCount {
  covered: number;
  total: number;
  /** covered / total as a percentage, 0..100 with two decimals; 100 when total is 0. */
  pct: number;
}

export interface FileCoverage {
  /** As the report gives it: absolute, or relative to the run's folder or to a Cobertura <source>. */
  path: string;
  lines: CoverageCount;
}

export interface CoverageReport {
  format: CoverageFormat;
  lines: CoverageCount;
  /** Present when the report measured branches. */
  branches?: CoverageCount;
  /** Present when the report measured functions (lcov, Istanbul, Cobertura with <method>s). */
  functions?: CoverageCount;
  files: FileCoverage[];
  /** Cobertura only: the <source> folders the file paths are relative to. */
  sources?: string[];
}

const KNOWN = "lcov (lcov.info), Istanbul coverage-summary.json or coverage-final.json, Cobertura XML, or coverage.py JSON";
const CONFIGURE =
  "Have the test run write one of them: c8/nyc `--reporter=lcov --reporter=json-summary`, jest/vitest coverage reporters " +
  '"lcov" or "json-summary", coverage.py `coverage json` (or `coverage xml`).';
const FIX: Record<CoverageFormat, string> = {
  lcov: "Regenerate it with the lcov reporter (c8/nyc `--reporter=lcov`, jest `--coverageReporters=lcov`); a report cut short usually means the test run was interrupted.",
  "istanbul-summary":
    "Regenerate it with the json-summary reporter (c8/nyc `--reporter=json-summary`, jest `--coverageReporters=json-summary`).",
  "istanbul-final": "Regenerate it with the json reporter (c8/nyc `--reporter=json`), or use the json-summary reporter instead.",
  cobertura:
    "Regenerate it (c8/nyc `--reporter=cobertura`, coverage.py `coverage xml`); a report cut short usually means the run was interrupted.",
  "coverage.py": "Regenerate it with `coverage json` after `coverage run` (add `--branch` to measure branches).",
};

/** covered/total as 0..100 with two decimals; nothing to cover counts as fully covered. */
export function coverageCount(covered: number, total: number): CoverageCount {
  const pct = total === 0 ? 100 : Math.round((covered / total) * 10000) / 100;
  return { covered, total, pct };
}

/** A malformed report: thrown inside the parsers, turned into the usage error by readCoverage. */
class Malformed extends Error {
  readonly place: string | undefined;
  constructor(message: string, place?: string) {
    super(message);
    this.place = place;
  }
}

export function readCoverage(file: string): CoverageReport {
  let text = readReportText(file);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const body = text.trimStart();
  if (body === "") {
    throw usageError(`Coverage report ${file} is empty: expected ${KNOWN}.`, {
      file,
      fix: `Check that the test run finished and wrote its report. ${CONFIGURE}`,
    });
  }

  let format: CoverageFormat | undefined;
  try {
    if (body.startsWith("<")) {
      format = "cobertura";
      return readCobertura(text, file);
    }
    if (body.startsWith("{") || body.startsWith("[")) return readJsonReport(text, file, (detected) => (format = detected));
    if (/^(TN|SF|VER):/m.test(body.slice(0, 4096))) {
      format = "lcov";
      return readLcov(text);
    }
  } catch (error) {
    if (!(error instanceof Malformed) || !format) throw error;
    throw usageError(`Coverage report ${file} looks like ${describe(format)} but is malformed: ${error.message}.`, {
      file,
      ...(error.place ? { place: error.place } : {}),
      fix: FIX[format],
    });
  }
  throw unknownReport(file, "its content is none of them");
}

/** The report's text; a usage error when it is a folder, missing or unreadable. */
function readReportText(file: string): string {
  try {
    if (statSync(file).isDirectory()) {
      throw usageError(`${file} is a folder, not a coverage report.`, {
        file,
        fix: "Name the report file itself, e.g. coverage/lcov.info or coverage/coverage-summary.json.",
      });
    }
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw usageError(`Coverage report ${file} does not exist: expected ${KNOWN}.`, {
        file,
        fix: `Run the tests with coverage first and check the report's path. ${CONFIGURE}`,
      });
    }
    if (code) {
      throw usageError(`Cannot read coverage report ${file} (${code}).`, { file, fix: "Check the file's permissions, or regenerate it." });
    }
    throw error;
  }
}

function describe(format: CoverageFormat): string {
  switch (format) {
    case "lcov":
      return "lcov";
    case "istanbul-summary":
      return "an Istanbul coverage-summary.json";
    case "istanbul-final":
      return "an Istanbul coverage-final.json";
    case "cobertura":
      return "Cobertura XML";
    case "coverage.py":
      return "a coverage.py JSON report";
  }
}

function unknownReport(file: string, why: string) {
  return usageError(`${file} is not a coverage report this command reads (${why}): expected ${KNOWN}.`, { file, fix: CONFIGURE });
}

// ---------------------------------------------------------------------------------------------
// Numbers

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function count(value: unknown, where: string): number {
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) return value;
  throw new Malformed(`${where} is ${JSON.stringify(value) ?? "missing"}, not a count`, where);
}

function sumCounts(parts: CoverageCount[]): CoverageCount {
  let covered = 0;
  let total = 0;
  for (const part of parts) {
    covered += part.covered;
    total += part.total;
  }
  return coverageCount(covered, total);
}

function noFiles(): never {
  throw new Malformed(
    "it names no source files, so there is nothing to measure (did the tests run, and do the include/exclude settings match the sources?)",
  );
}

// ---------------------------------------------------------------------------------------------
// JSON: Istanbul summary, Istanbul final, coverage.py

function readJsonReport(text: string, file: string, detected: (format: CoverageFormat) => void): CoverageReport {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw usageError(`Coverage report ${file} is not valid JSON (${(error as Error).message}).`, {
      file,
      fix: `Regenerate it; a report cut short usually means the test run was interrupted. ${CONFIGURE}`,
    });
  }
  if (!isRecord(data)) throw unknownReport(file, "JSON, but not an object");
  if (isRecord(data.meta) && isRecord(data.files) && isRecord(data.totals)) {
    detected("coverage.py");
    return readCoveragePy(data);
  }
  if (isRecord(data.total) && isRecord(data.total.lines)) {
    detected("istanbul-summary");
    return readIstanbulSummary(data);
  }
  const values = Object.values(data);
  if (values.length > 0 && values.every((value) => isRecord(value) && isRecord(value.statementMap) && isRecord(value.s))) {
    detected("istanbul-final");
    return readIstanbulFinal(data as Record<string, Record<string, unknown>>);
  }
  if (values.length === 0) throw unknownReport(file, "an empty JSON object: an Istanbul coverage-final.json of no files at best");
  throw unknownReport(file, "JSON of another shape");
}

function summaryCount(value: unknown, where: string): CoverageCount {
  if (!isRecord(value)) throw new Malformed(`${where} is missing`, where);
  return coverageCount(count(value.covered, `${where}.covered`), count(value.total, `${where}.total`));
}

function readIstanbulSummary(data: Record<string, unknown>): CoverageReport {
  const total = data.total as Record<string, unknown>;
  const files: FileCoverage[] = [];
  for (const [path, entry] of Object.entries(data)) {
    if (path === "total") continue;
    if (!isRecord(entry)) throw new Malformed(`the entry for ${path} is not an object`, path);
    files.push({ path, lines: summaryCount(entry.lines, `${path}.lines`) });
  }
  if (files.length === 0) noFiles();
  return {
    format: "istanbul-summary",
    lines: summaryCount(total.lines, "total.lines"),
    ...(total.branches !== undefined ? { branches: summaryCount(total.branches, "total.branches") } : {}),
    ...(total.functions !== undefined ? { functions: summaryCount(total.functions, "total.functions") } : {}),
    files,
  };
}

/** Istanbul's own rule (FileCoverage#getLineCoverage): a line is the start line of its statements, hit if any is. */
function readIstanbulFinal(data: Record<string, Record<string, unknown>>): CoverageReport {
  const files: FileCoverage[] = [];
  const functions: CoverageCount[] = [];
  const branches: CoverageCount[] = [];
  for (const [key, entry] of Object.entries(data)) {
    const path = typeof entry.path === "string" ? entry.path : key;
    const statementMap = entry.statementMap as Record<string, unknown>;
    const hits = entry.s as Record<string, unknown>;
    const lineHits = new Map<number, number>();
    for (const [id, location] of Object.entries(statementMap)) {
      const start = isRecord(location) ? location.start : undefined;
      const line = isRecord(start) ? start.line : undefined;
      if (typeof line !== "number") throw new Malformed(`${path}: statementMap["${id}"] has no start line`, `${key}.statementMap.${id}`);
      const hit = count(hits[id] ?? 0, `${key}.s.${id}`);
      lineHits.set(line, Math.max(lineHits.get(line) ?? 0, hit));
    }
    const lines = coverageCount([...lineHits.values()].filter((hit) => hit > 0).length, lineHits.size);
    files.push({ path, lines });

    const f = isRecord(entry.f) ? Object.entries(entry.f).map(([id, hit]) => count(hit, `${key}.f.${id}`)) : [];
    functions.push(coverageCount(f.filter((hit) => hit > 0).length, f.length));
    const b: number[] = [];
    if (isRecord(entry.b)) {
      for (const [id, arms] of Object.entries(entry.b)) {
        if (!Array.isArray(arms)) throw new Malformed(`${path}: b["${id}"] is not a list of counts`, `${key}.b.${id}`);
        arms.forEach((hit, arm) => {
          b.push(count(hit, `${key}.b.${id}[${arm}]`));
        });
      }
    }
    branches.push(coverageCount(b.filter((hit) => hit > 0).length, b.length));
  }
  return {
    format: "istanbul-final",
    lines: sumCounts(files.map((file) => file.lines)),
    branches: sumCounts(branches),
    functions: sumCounts(functions),
    files,
  };
}

function readCoveragePy(data: Record<string, unknown>): CoverageReport {
  const totals = data.totals as Record<string, unknown>;
  const meta = data.meta as Record<string, unknown>;
  const files: FileCoverage[] = [];
  for (const [path, entry] of Object.entries(data.files as Record<string, unknown>)) {
    const summary = isRecord(entry) ? entry.summary : undefined;
    if (!isRecord(summary)) throw new Malformed(`files["${path}"] has no summary`, `files.${path}.summary`);
    files.push({
      path,
      lines: coverageCount(
        count(summary.covered_lines, `files.${path}.summary.covered_lines`),
        count(summary.num_statements, `files.${path}.summary.num_statements`),
      ),
    });
  }
  if (files.length === 0) noFiles();
  return {
    format: "coverage.py",
    lines: coverageCount(count(totals.covered_lines, "totals.covered_lines"), count(totals.num_statements, "totals.num_statements")),
    ...(meta.branch_coverage === true
      ? {
          branches: coverageCount(
            count(totals.covered_branches, "totals.covered_branches"),
            count(totals.num_branches, "totals.num_branches"),
          ),
        }
      : {}),
    files,
  };
}

// ---------------------------------------------------------------------------------------------
// lcov

interface LcovRecord {
  path: string;
  lines: Map<number, number>;
  functions: Map<string, number>;
  branches: Map<string, number>;
  lf?: number;
  lh?: number;
  fnf?: number;
  fnh?: number;
  brf?: number;
  brh?: number;
  sawBranches: boolean;
  sawFunctions: boolean;
}

function readLcov(text: string): CoverageReport {
  const records = readLcovRecords(text);
  if (records.length === 0) noFiles();
  // One record per file as a rule; a file named twice (merged runs) has its hit maps added up.
  const byPath = new Map<string, LcovRecord[]>();
  for (const record of records) byPath.set(record.path, [...(byPath.get(record.path) ?? []), record]);

  const files: FileCoverage[] = [];
  const functions: CoverageCount[] = [];
  const branches: CoverageCount[] = [];
  for (const [path, group] of byPath) {
    files.push({
      path,
      lines: lcovFigure(
        group,
        (r) => r.lines,
        (r) => r.lf,
        (r) => r.lh,
      ),
    });
    functions.push(
      lcovFigure(
        group,
        (r) => r.functions,
        (r) => r.fnf,
        (r) => r.fnh,
      ),
    );
    branches.push(
      lcovFigure(
        group,
        (r) => r.branches,
        (r) => r.brf,
        (r) => r.brh,
      ),
    );
  }
  return {
    format: "lcov",
    lines: sumCounts(files.map((file) => file.lines)),
    ...(records.some((r) => r.sawBranches) ? { branches: sumCounts(branches) } : {}),
    ...(records.some((r) => r.sawFunctions) ? { functions: sumCounts(functions) } : {}),
    files,
  };
}

/** The records of an lcov file, each from its SF: line to its end_of_record. */
function readLcovRecords(text: string): LcovRecord[] {
  const state: { records: LcovRecord[]; current: LcovRecord | undefined } = { records: [], current: undefined };
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    readLcovLine(state, raw.trim(), `line ${index + 1}`);
  });
  const { current } = state;
  if (current) throw new Malformed(`the record for ${current.path} has no end_of_record (the report is cut short)`, `line ${lines.length}`);
  return state.records;
}

function readLcovLine(state: { records: LcovRecord[]; current: LcovRecord | undefined }, line: string, place: string): void {
  if (line === "") return;
  if (line === "end_of_record") {
    if (!state.current) throw new Malformed(`end_of_record at ${place} closes no SF: record`, place);
    state.records.push(state.current);
    state.current = undefined;
    return;
  }
  const colon = line.indexOf(":");
  if (colon <= 0) throw new Malformed(`${place} is not a KEY:value line: ${JSON.stringify(line.slice(0, 80))}`, place);
  const key = line.slice(0, colon);
  const value = line.slice(colon + 1);
  if (key === "TN" || key === "VER") return;
  if (key === "SF") {
    if (state.current) throw new Malformed(`SF: at ${place} starts a record before the one for ${state.current.path} has ended`, place);
    state.current = { path: value, lines: new Map(), functions: new Map(), branches: new Map(), sawBranches: false, sawFunctions: false };
    return;
  }
  const record = state.current;
  if (!record) throw new Malformed(`${key}: at ${place} is outside any SF: record`, place);
  const int = (field: string | undefined, what: string): number => {
    const n = Number(field);
    if (field === undefined || field.trim() === "" || !Number.isInteger(n) || n < 0) {
      throw new Malformed(`${key}: at ${place} has ${what} ${JSON.stringify(field ?? "")}, not a whole number`, place);
    }
    return n;
  };
  // Other keys (checksums, MC/DC, …) do not change the figures read here.
  LCOV_FIELDS.get(key)?.({ record, value, fields: value.split(","), int, place });
}

/** One KEY:value line inside a record, with a reader of its whole numbers that names the line in errors. */
interface LcovField {
  record: LcovRecord;
  value: string;
  fields: string[];
  int: (field: string | undefined, what: string) => number;
  place: string;
}

function addHits<K>(map: Map<K, number>, id: K, hits: number): void {
  map.set(id, (map.get(id) ?? 0) + hits);
}

/** What each lcov key adds to its record. */
const LCOV_FIELDS = new Map<string, (line: LcovField) => void>([
  ["DA", ({ record, fields, int }) => addHits(record.lines, int(fields[0], "line"), int(fields[1], "hit count"))],
  ["LF", ({ record, value, int }) => (record.lf = int(value, "count"))],
  ["LH", ({ record, value, int }) => (record.lh = int(value, "count"))],
  ["FN", ({ record }) => (record.sawFunctions = true)],
  ["FNL", ({ record }) => (record.sawFunctions = true)],
  [
    "FNDA",
    ({ record, fields, int }) => {
      record.sawFunctions = true;
      const hits = int(fields[0], "hit count");
      addHits(record.functions, fields.slice(1).join(","), hits);
    },
  ],
  [
    // lcov 2.2: FNA:<index>,<hits>,<name>
    "FNA",
    ({ record, fields, int }) => {
      record.sawFunctions = true;
      addHits(record.functions, `#${fields[0] ?? ""}`, int(fields[1], "hit count"));
    },
  ],
  [
    "FNF",
    ({ record, value, int }) => {
      record.sawFunctions = true;
      record.fnf = int(value, "count");
    },
  ],
  [
    "FNH",
    ({ record, value, int }) => {
      record.sawFunctions = true;
      record.fnh = int(value, "count");
    },
  ],
  [
    "BRDA",
    ({ record, fields, int, place }) => {
      record.sawBranches = true;
      if (fields.length < 4) throw new Malformed(`BRDA: at ${place} needs line,block,branch,taken`, place);
      const taken = fields[fields.length - 1];
      addHits(record.branches, fields.slice(0, -1).join(","), taken === "-" ? 0 : int(taken, "taken count"));
    },
  ],
  [
    "BRF",
    ({ record, value, int }) => {
      record.sawBranches = true;
      record.brf = int(value, "count");
    },
  ],
  [
    "BRH",
    ({ record, value, int }) => {
      record.sawBranches = true;
      record.brh = int(value, "count");
    },
  ],
]);

/**
 * The figures of one file: the record's own found/hit lines (LF/LH, FNF/FNH, BRF/BRH) when it is
 * named once, counted from its detail lines (DA, FNDA, BRDA) when those are missing or when several
 * records of the same file must be merged.
 */
function lcovFigure<K>(
  group: LcovRecord[],
  details: (record: LcovRecord) => Map<K, number>,
  found: (record: LcovRecord) => number | undefined,
  hit: (record: LcovRecord) => number | undefined,
): CoverageCount {
  const only = group.length === 1 ? group[0] : undefined;
  if (only) {
    const map = details(only);
    const total = found(only) ?? map.size;
    const covered = hit(only) ?? [...map.values()].filter((n) => n > 0).length;
    return coverageCount(covered, total);
  }
  const merged = new Map<K, number>();
  for (const record of group) for (const [id, n] of details(record)) merged.set(id, (merged.get(id) ?? 0) + n);
  if (merged.size > 0) return coverageCount([...merged.values()].filter((n) => n > 0).length, merged.size);
  let covered = 0;
  let total = 0;
  for (const record of group) {
    total = Math.max(total, found(record) ?? 0);
    covered = Math.max(covered, hit(record) ?? 0);
  }
  return coverageCount(covered, total);
}

// ---------------------------------------------------------------------------------------------
// Cobertura

function readCobertura(text: string, file: string): CoverageReport {
  const root = coberturaRoot(text, file);
  const { tallies, methods } = tallyClasses(root);
  if (tallies.size === 0) noFiles();

  const files: FileCoverage[] = [];
  let branchCovered = 0;
  let branchTotal = 0;
  for (const [path, tally] of tallies) {
    const hits = [...tally.lines.values()];
    files.push({ path, lines: coverageCount(hits.filter((n) => n > 0).length, hits.length) });
    for (const branch of tally.branches.values()) {
      branchCovered += branch.covered;
      branchTotal += branch.total;
    }
  }

  const linesValid = attrCount(root, "lines-valid", "<coverage>");
  const linesCovered = attrCount(root, "lines-covered", "<coverage>");
  const branchesValid = attrCount(root, "branches-valid", "<coverage>");
  const branchesCovered = attrCount(root, "branches-covered", "<coverage>");
  const lines =
    linesValid !== undefined && linesCovered !== undefined
      ? coverageCount(linesCovered, linesValid)
      : sumCounts(files.map((entry) => entry.lines));
  const branches =
    branchesValid !== undefined && branchesCovered !== undefined
      ? coverageCount(branchesCovered, branchesValid)
      : coverageCount(branchCovered, branchTotal);
  const sources = descendantsNamed(root, "source")
    .map((source) => source.text.trim())
    .filter((source) => source !== "");

  return {
    format: "cobertura",
    lines,
    ...(branches.total > 0 || branchTotal > 0 ? { branches } : {}),
    ...(methods.seen ? { functions: coverageCount(methods.hit, methods.total) } : {}),
    files,
    ...(sources.length > 0 ? { sources } : {}),
  };
}

/** The <coverage> root; a Malformed error for broken XML, an unknown-report error for another kind of XML. */
function coberturaRoot(text: string, file: string): XmlElement {
  let root: XmlElement;
  try {
    root = parseXml(text);
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw new Malformed(`${error.message} (line ${error.line})`, `line ${error.line}`);
    throw error;
  }
  if (root.name !== "coverage") {
    throw unknownReport(
      file,
      root.name === "report" ? "XML with a <report> root: JaCoCo, which is not read" : `XML with a <${root.name}> root, not <coverage>`,
    );
  }
  return root;
}

function attrCount(element: XmlElement, name: string, where: string): number | undefined {
  const raw = element.attrs[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Malformed(`${where} has ${name}="${raw}", not a count`, where);
  return n;
}

/** Per source file: the best hit count of each line, and the best branch coverage of each branching line. */
interface FileTally {
  lines: Map<number, number>;
  branches: Map<number, { covered: number; total: number }>;
}

interface MethodTally {
  seen: boolean;
  total: number;
  hit: number;
}

/** Tallies every <class>, merging the classes of one file (several classes can share a filename). */
function tallyClasses(root: XmlElement): { tallies: Map<string, FileTally>; methods: MethodTally } {
  const tallies = new Map<string, FileTally>();
  const methods: MethodTally = { seen: false, total: 0, hit: 0 };
  for (const klass of descendantsNamed(root, "class")) {
    const path = klass.attrs.filename;
    if (path === undefined) throw new Malformed(`a <class name="${klass.attrs.name ?? "?"}"> has no filename attribute`, "class");
    const tally = tallies.get(path) ?? { lines: new Map(), branches: new Map() };
    tallies.set(path, tally);
    for (const lineElement of childrenNamed(klass, "lines").flatMap((lines) => childrenNamed(lines, "line")))
      tallyLine(tally, lineElement, path);
    for (const method of childrenNamed(klass, "methods").flatMap((list) => childrenNamed(list, "method")))
      tallyMethod(methods, method, path);
  }
  return { tallies, methods };
}

function tallyLine(tally: FileTally, lineElement: XmlElement, path: string): void {
  const where = `<line> of ${path}`;
  const number = attrCount(lineElement, "number", where);
  const hits = attrCount(lineElement, "hits", where);
  if (number === undefined || hits === undefined) throw new Malformed(`a ${where} lacks its number or hits`, where);
  tally.lines.set(number, Math.max(tally.lines.get(number) ?? 0, hits));
  if (lineElement.attrs.branch !== "true") return;
  const condition = /\((\d+)\/(\d+)\)/.exec(lineElement.attrs["condition-coverage"] ?? "");
  if (!condition) return;
  const covered = Number(condition[1]);
  const total = Number(condition[2]);
  const before = tally.branches.get(number);
  if (!before || covered > before.covered) tally.branches.set(number, { covered, total });
}

/** A method is hit by its own hits attribute, else when any of its lines is. */
function tallyMethod(methods: MethodTally, method: XmlElement, path: string): void {
  methods.seen = true;
  methods.total++;
  const hits = attrCount(method, "hits", `<method> of ${path}`);
  const hit =
    hits !== undefined
      ? hits > 0
      : descendantsNamed(method, "line").some((line) => (attrCount(line, "hits", `<method> line of ${path}`) ?? 0) > 0);
  if (hit) methods.hit++;
}
