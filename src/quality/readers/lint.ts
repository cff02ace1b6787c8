/**
 * Reads a linter's JSON output into one shape. The tool is told from the content:
 * - ESLint `--format json` (an array of { filePath, messages, errorCount, warningCount }) and
 *   `--format json-with-metadata` ({ results: [...], metadata }),
 * - Biome `--reporter=json` ({ summary: { errors, warnings, infos, … }, diagnostics: [...], command }),
 * - Ruff `--output-format json` (an array of { code, message, filename, location: { row, column }, … }).
 * Totals are the tool's own where it gives them (ESLint errorCount/warningCount, Biome's summary).
 * Lines and columns are 1-based as the tools print them; 0 means the tool gave no position.
 * Syntax errors, which carry no rule, get the rule "parse" (as Biome names them).
 */
import { usageError } from "../../infra/errors.ts";

export type LintTool = "eslint" | "biome" | "ruff";

export interface LintFinding {
  file: string;
  line: number;
  column: number;
  rule: string;
  severity: "error" | "warning";
  message: string;
}

export interface LintReport {
  tool: LintTool;
  errors: number;
  warnings: number;
  findings: LintFinding[];
}

export interface ReadLintOptions {
  /** The tool the caller ran, when it knows: checked against the content, and used for an empty `[]`. */
  tool?: LintTool;
}

const EXPECTED = "the JSON output of ESLint (`--format json`), Biome (`--reporter=json`) or Ruff (`--output-format json`)";
const FIX =
  "Run the linter with its JSON output and give that output alone (no other text): `eslint --format json .`, " +
  "`biome lint --reporter=json .` (or `biome check --reporter=json .`), `ruff check --output-format json .`.";
const NAME: Record<LintTool, string> = { eslint: "ESLint", biome: "Biome", ruff: "Ruff" };
const TOOL_FIX: Record<LintTool, string> = {
  eslint: "Run `eslint --format json` and give its standard output alone.",
  biome: "Run `biome lint --reporter=json` (or `biome check --reporter=json`) and give its standard output alone.",
  ruff: "Run `ruff check --output-format json` and give its standard output alone.",
};

class Malformed extends Error {
  readonly place: string;
  constructor(message: string, place: string) {
    super(message);
    this.place = place;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses the text as JSON; failing that, the part from the first line that opens an array or object (npm's banner, a warning before it). */
function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const start = text.search(/^[ \t]*[[{]/m);
    const end = Math.max(text.lastIndexOf("]"), text.lastIndexOf("}"));
    if (start > 0 && end > start) {
      try {
        return { ok: true, value: JSON.parse(text.slice(start, end + 1)) };
      } catch {
        // report the first error, on the whole text
      }
    }
    return { ok: false, error: (error as Error).message };
  }
}

function detect(value: unknown): LintTool | "empty" | undefined {
  if (Array.isArray(value)) {
    if (value.length === 0) return "empty";
    if (value.every((item) => isRecord(item) && typeof item.filePath === "string" && Array.isArray(item.messages))) return "eslint";
    if (value.every((item) => isRecord(item) && typeof item.filename === "string" && isRecord(item.location))) return "ruff";
    return undefined;
  }
  if (isRecord(value)) {
    if (Array.isArray(value.diagnostics)) return "biome";
    if (Array.isArray(value.results) && detect(value.results) !== "ruff") return "eslint";
  }
  return undefined;
}

export function readLint(text: string, shownAs: string, options: ReadLintOptions = {}): LintReport {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === "") {
    throw usageError(`${shownAs} is empty: expected ${EXPECTED}.`, {
      file: shownAs,
      fix: `${FIX} A linter that printed nothing may have failed to start: run it by hand to see why.`,
    });
  }
  const { value, detected } = parseLintJson(body, shownAs, options);
  const tool: LintTool = detected === "empty" ? (options.tool ?? "ruff") : detected;
  if (options.tool && options.tool !== tool) {
    throw usageError(`${shownAs} looks like ${NAME[tool]} output, but ${NAME[options.tool]} output was expected.`, {
      file: shownAs,
      fix: TOOL_FIX[options.tool],
    });
  }
  if (detected === "empty") {
    if (tool === "biome") {
      throw usageError(`${shownAs} is an empty JSON array, not Biome's JSON report.`, { file: shownAs, fix: TOOL_FIX.biome });
    }
    return { tool, errors: 0, warnings: 0, findings: [] };
  }
  return readToolReport(tool, value, shownAs);
}

/** The output as JSON and the tool that wrote it; a usage error when it is not JSON, or not lint output read here. */
function parseLintJson(body: string, shownAs: string, options: ReadLintOptions): { value: unknown; detected: LintTool | "empty" } {
  const parsed = parseJson(body);
  if (!parsed.ok) {
    throw usageError(`${shownAs} is not JSON (${parsed.error}): expected ${EXPECTED}.`, {
      file: shownAs,
      fix: options.tool ? TOOL_FIX[options.tool] : FIX,
    });
  }
  const detected = detect(parsed.value);
  if (detected === undefined) {
    throw usageError(`${shownAs} is JSON but not lint output this command reads: expected ${EXPECTED}.`, {
      file: shownAs,
      fix: options.tool ? TOOL_FIX[options.tool] : FIX,
    });
  }
  return { value: parsed.value, detected };
}

function readToolReport(tool: LintTool, value: unknown, shownAs: string): LintReport {
  try {
    switch (tool) {
      case "eslint":
        return readEslint(Array.isArray(value) ? value : ((value as Record<string, unknown>).results as unknown[]));
      case "biome":
        return readBiome(value as Record<string, unknown>);
      case "ruff":
        return readRuff(value as unknown[]);
    }
  } catch (error) {
    if (!(error instanceof Malformed)) throw error;
    throw usageError(`${shownAs} looks like ${NAME[tool]} output but is malformed: ${error.message}.`, {
      file: shownAs,
      place: error.place,
      fix: TOOL_FIX[tool],
    });
  }
}

function position(value: unknown, where: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  throw new Malformed(`${where} is ${JSON.stringify(value)}, not a line or column number`, where);
}

function text(value: unknown, where: string): string {
  if (typeof value === "string") return value;
  throw new Malformed(`${where} is ${JSON.stringify(value) ?? "missing"}, not a string`, where);
}

function countOf(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function tally(findings: LintFinding[], severity: LintFinding["severity"]): number {
  return findings.filter((finding) => finding.severity === severity).length;
}

function readEslint(results: unknown[]): LintReport {
  const findings: LintFinding[] = [];
  let errors = 0;
  let warnings = 0;
  let ownTotals = true;
  results.forEach((result, i) => {
    const where = `[${i}]`;
    if (!isRecord(result) || !Array.isArray(result.messages)) throw new Malformed(`${where} has no messages list`, where);
    const file = text(result.filePath, `${where}.filePath`);
    result.messages.forEach((message: unknown, j: number) => {
      const at = `${where}.messages[${j}]`;
      if (!isRecord(message)) throw new Malformed(`${at} is not an object`, at);
      if (message.severity !== 1 && message.severity !== 2) {
        if (message.severity === 0) return; // "off": ESLint does not print these, but a formatter might
        throw new Malformed(`${at}.severity is ${JSON.stringify(message.severity)}, not 1 or 2`, `${at}.severity`);
      }
      findings.push({
        file,
        line: position(message.line, `${at}.line`),
        column: position(message.column, `${at}.column`),
        rule: typeof message.ruleId === "string" ? message.ruleId : message.fatal === true ? "parse" : "eslint",
        severity: message.severity === 2 ? "error" : "warning",
        message: text(message.message, `${at}.message`),
      });
    });
    const errorCount = countOf(result.errorCount);
    const warningCount = countOf(result.warningCount);
    if (errorCount === undefined || warningCount === undefined) ownTotals = false;
    errors += errorCount ?? 0;
    warnings += warningCount ?? 0;
  });
  return {
    tool: "eslint",
    errors: ownTotals ? errors : tally(findings, "error"),
    warnings: ownTotals ? warnings : tally(findings, "warning"),
    findings,
  };
}

/** Biome 2 gives `message` as text and `location.path` as a string; Biome 1 gave markup and `{ file }`. */
function biomeMessage(diagnostic: Record<string, unknown>, where: string): string {
  if (typeof diagnostic.message === "string") return diagnostic.message;
  if (typeof diagnostic.description === "string") return diagnostic.description;
  if (Array.isArray(diagnostic.message)) {
    return diagnostic.message.map((part) => (isRecord(part) && typeof part.content === "string" ? part.content : "")).join("");
  }
  throw new Malformed(`${where}.message is missing`, `${where}.message`);
}

function readBiome(report: Record<string, unknown>): LintReport {
  const findings: LintFinding[] = [];
  (report.diagnostics as unknown[]).forEach((diagnostic, i) => {
    const where = `diagnostics[${i}]`;
    if (!isRecord(diagnostic)) throw new Malformed(`${where} is not an object`, where);
    const severity = text(diagnostic.severity, `${where}.severity`);
    // info and hint diagnostics are advice: Biome does not fail on them, and they are not counted here.
    if (severity !== "error" && severity !== "fatal" && severity !== "warning") return;
    const location = isRecord(diagnostic.location) ? diagnostic.location : {};
    const path = isRecord(location.path) ? location.path.file : location.path;
    const start = isRecord(location.start) ? location.start : {};
    findings.push({
      file: typeof path === "string" ? path : "",
      line: position(start.line, `${where}.location.start.line`),
      column: position(start.column, `${where}.location.start.column`),
      rule: typeof diagnostic.category === "string" ? diagnostic.category : "biome",
      severity: severity === "warning" ? "warning" : "error",
      message: biomeMessage(diagnostic, where),
    });
  });
  const summary = isRecord(report.summary) ? report.summary : {};
  return {
    tool: "biome",
    errors: countOf(summary.errors) ?? tally(findings, "error"),
    warnings: countOf(summary.warnings) ?? tally(findings, "warning"),
    findings,
  };
}

/** Ruff has no severities: every violation it prints fails the run, so each is an error. */
function readRuff(violations: unknown[]): LintReport {
  const findings = violations.map((violation, i): LintFinding => {
    const where = `[${i}]`;
    const item = violation as Record<string, unknown>;
    const location = item.location as Record<string, unknown>;
    return {
      file: text(item.filename, `${where}.filename`),
      line: position(location.row, `${where}.location.row`),
      column: position(location.column, `${where}.location.column`),
      rule: typeof item.code === "string" ? item.code : "parse",
      severity: "error",
      message: text(item.message, `${where}.message`),
    };
  });
  return { tool: "ruff", errors: findings.length, warnings: 0, findings };
}
