import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BrError } from "../src/infra/errors.ts";
import { type CoverageReport, readCoverage } from "../src/quality/readers/coverage.ts";
import { readLint } from "../src/quality/readers/lint.ts";

// The fixtures are real tool output (see test/fixtures/quality/README.md). The expected figures
// below are the tools' own: c8's text table, coverage.py's `coverage report`, ESLint's and Biome's
// closing lines, or counted by hand in the fixture; never computed by the readers under test.
const fixtures = join(import.meta.dirname, "fixtures", "quality");
const fixture = (name: string) => join(fixtures, name);

const scratch = mkdtempSync(join(tmpdir(), "br-quality-readers-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
let written = 0;
/** Writes a (usually damaged) copy of some text to a fresh file and returns its path. */
function scratchFile(name: string, text: string): string {
  const folder = join(scratch, String(written++));
  mkdirSync(folder);
  const file = join(folder, name);
  writeFileSync(file, text);
  return file;
}

/** Asserts a usage error (exit 2) that names the file, says what is wrong, and how to fix it. */
function assertUsageError(run: () => unknown, file: string, message: RegExp, fix?: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof BrError, `a BrError, got ${String(error)}`);
    assert.equal(error.exitCode, 2);
    assert.equal(error.file, file);
    assert.ok(error.message.includes(file), `the message names the file: ${error.message}`);
    assert.match(error.message, message);
    assert.ok(error.fix && error.fix.length > 0, "a fix is given");
    if (fix) assert.match(error.fix ?? "", fix);
    return true;
  });
}

// c8 12.0.0 `--reporter=text` on the sample:
//   All files |    67.5 |    78.57 |   71.42 |    67.5 |
//    math.js  |   76.19 |       75 |      75 |   76.19 | 7-8,19-21
//    text.js  |   57.89 |    83.33 |   66.66 |   57.89 | 8-9,14-19
// lcov.info: math.js LF:21 LH:16 FNF:4 FNH:3 BRF:8 BRH:6; text.js LF:19 LH:11 FNF:3 FNH:2 BRF:6 BRH:5.
// Istanbul truncates its percentages (71.42, 66.66); the readers round (71.43), as they recompute from counts.
const c8Totals = {
  lines: { covered: 27, total: 40, pct: 67.5 },
  branches: { covered: 11, total: 14, pct: 78.57 },
  functions: { covered: 5, total: 7, pct: 71.43 },
};
const c8Files = (prefix: string) => [
  { path: `${prefix}src/math.js`, lines: { covered: 16, total: 21, pct: 76.19 } },
  { path: `${prefix}src/text.js`, lines: { covered: 11, total: 19, pct: 57.89 } },
];

// coverage.py 6.5.0 `coverage report` on the sample:
//   calc/__init__.py    0   0   0  0  100%
//   calc/ops.py        15   4   6  2   71%
//   calc/text.py        7   1   6  1   85%
//   TOTAL              22   5  12  3   76%      (its Cover mixes statements and branches: 26/34)
// Branches hit (coverage.json covered_branches): ops 4 of 6, text 5 of 6, so 9 of 12.
const pyLines = { covered: 17, total: 22, pct: 77.27 };
const pyBranches = { covered: 9, total: 12, pct: 75 };
const pyFiles = [
  { path: "calc/__init__.py", lines: { covered: 0, total: 0, pct: 100 } },
  { path: "calc/ops.py", lines: { covered: 11, total: 15, pct: 73.33 } },
  { path: "calc/text.py", lines: { covered: 6, total: 7, pct: 85.71 } },
];

describe("readCoverage on real reports", () => {
  it("reads c8's lcov.info", () => {
    const report = readCoverage(fixture("lcov.info"));
    assert.deepEqual(report, { format: "lcov", ...c8Totals, files: c8Files("") } satisfies CoverageReport);
  });

  it("reads c8's coverage-summary.json (json-summary reporter)", () => {
    const report = readCoverage(fixture("coverage-summary.json"));
    assert.deepEqual(report, { format: "istanbul-summary", ...c8Totals, files: c8Files("/tmp/br-quality-sample/") });
  });

  it("reads c8's coverage-final.json (json reporter) the way Istanbul sums it", () => {
    const report = readCoverage(fixture("coverage-final.json"));
    assert.deepEqual(report, { format: "istanbul-final", ...c8Totals, files: c8Files("/tmp/br-quality-sample/") });
  });

  it("reads c8's Cobertura XML, with its <source> folder", () => {
    const report = readCoverage(fixture("cobertura-c8.xml"));
    assert.deepEqual(report, { format: "cobertura", ...c8Totals, files: c8Files(""), sources: ["/tmp/br-quality-sample"] });
  });

  it("reads coverage.py's JSON report", () => {
    const report = readCoverage(fixture("coverage-py.json"));
    assert.deepEqual(report, { format: "coverage.py", lines: pyLines, branches: pyBranches, files: pyFiles });
  });

  it("reads coverage.py's Cobertura XML (no <method>s, so no function figures)", () => {
    const report = readCoverage(fixture("coverage-py.xml"));
    assert.deepEqual(report, {
      format: "cobertura",
      lines: pyLines,
      branches: pyBranches,
      files: pyFiles,
      sources: ["/tmp/br-quality-sample/py"],
    });
  });

  it("reads coverage.py's lcov, trusting its BRF/BRH over its extra BRDA lines", () => {
    // coverage.py 6.5 writes 8 BRDA lines for text.py but BRF:6 BRH:5, which agree with its own report.
    const report = readCoverage(fixture("coverage-py.lcov"));
    assert.deepEqual(report, { format: "lcov", lines: pyLines, branches: pyBranches, files: pyFiles });
  });

  it("tells the format from the content, not the file name", () => {
    const renamed = scratchFile("coverage.xml", readFileSync(fixture("lcov.info"), "utf8"));
    assert.equal(readCoverage(renamed).format, "lcov");
    const summary = scratchFile("lcov.info", readFileSync(fixture("coverage-summary.json"), "utf8"));
    assert.equal(readCoverage(summary).format, "istanbul-summary");
  });

  it("counts a file named twice in lcov (runs appended) once", () => {
    const twice = readFileSync(fixture("lcov.info"), "utf8").repeat(2);
    const report = readCoverage(scratchFile("lcov.info", twice));
    assert.deepEqual({ ...report.lines }, c8Totals.lines);
    assert.deepEqual(report.functions, c8Totals.functions);
    assert.deepEqual(report.branches, c8Totals.branches);
    assert.equal(report.files.length, 2);
  });

  it("leaves branches out when coverage.py did not measure them", () => {
    const data = JSON.parse(readFileSync(fixture("coverage-py.json"), "utf8")) as { meta: { branch_coverage: boolean } };
    data.meta.branch_coverage = false;
    const report = readCoverage(scratchFile("coverage.json", JSON.stringify(data)));
    assert.equal(report.branches, undefined);
    assert.deepEqual(report.lines, pyLines);
  });

  it("takes a BOM and CRLF line ends in its stride", () => {
    const crlf = `\ufeff${readFileSync(fixture("lcov.info"), "utf8").replaceAll("\n", "\r\n")}`;
    assert.deepEqual(readCoverage(scratchFile("lcov.info", crlf)).lines, c8Totals.lines);
  });
});

describe("readCoverage refuses what it cannot read, naming the file", () => {
  it("a missing file", () => {
    const missing = join(scratch, "nowhere", "lcov.info");
    assertUsageError(() => readCoverage(missing), missing, /does not exist: expected lcov/, /json-summary|coverage json/);
  });

  it("a folder", () => {
    assertUsageError(() => readCoverage(scratch), scratch, /is a folder/);
  });

  it("an empty file", () => {
    const empty = scratchFile("lcov.info", "\n\n");
    assertUsageError(() => readCoverage(empty), empty, /is empty/);
  });

  it("truncated JSON", () => {
    const text = readFileSync(fixture("coverage-summary.json"), "utf8");
    const cut = scratchFile("coverage-summary.json", text.slice(0, text.length / 2));
    assertUsageError(() => readCoverage(cut), cut, /is not valid JSON/);
  });

  it("JSON of another shape, such as a lint report", () => {
    const eslint = scratchFile("coverage.json", readFileSync(fixture("biome-lint.json"), "utf8"));
    assertUsageError(() => readCoverage(eslint), eslint, /not a coverage report this command reads/, /json-summary/);
    const emptyObject = scratchFile("coverage-final.json", "{}");
    assertUsageError(() => readCoverage(emptyObject), emptyObject, /empty JSON object/);
  });

  it("a summary whose totals are not counts", () => {
    const data = JSON.parse(readFileSync(fixture("coverage-summary.json"), "utf8")) as { total: { lines: { covered: unknown } } };
    data.total.lines.covered = "27";
    const bad = scratchFile("coverage-summary.json", JSON.stringify(data));
    assertUsageError(() => readCoverage(bad), bad, /looks like an Istanbul coverage-summary\.json but is malformed: total\.lines\.covered/);
  });

  it("lcov cut short, or with a line that is not KEY:value", () => {
    const text = readFileSync(fixture("lcov.info"), "utf8");
    const cut = scratchFile("lcov.info", text.slice(0, text.lastIndexOf("end_of_record")));
    assertUsageError(() => readCoverage(cut), cut, /looks like lcov but is malformed: the record for src\/text\.js has no end_of_record/);
    const garbled = scratchFile("lcov.info", text.replace("DA:3,1", "DA 3 1"));
    assertUsageError(() => readCoverage(garbled), garbled, /line 15 is not a KEY:value line/);
    const badCount = scratchFile("lcov.info", text.replace("LF:21", "LF:many"));
    assertUsageError(() => readCoverage(badCount), badCount, /LF: at line \d+ has count "many"/);
  });

  it("Cobertura XML cut short or mismatched", () => {
    const text = readFileSync(fixture("coverage-py.xml"), "utf8");
    const cut = scratchFile("coverage.xml", text.slice(0, text.indexOf("</packages>")));
    assertUsageError(() => readCoverage(cut), cut, /looks like Cobertura XML but is malformed: the document ends before <\/packages>/);
    const mismatched = scratchFile("coverage.xml", text.replace("</lines>", "</line>"));
    assertUsageError(() => readCoverage(mismatched), mismatched, /<\/line> found where <\/lines> was expected \(line \d+\)/);
  });

  it("XML that is not Cobertura, such as JaCoCo's", () => {
    const jacoco = scratchFile(
      "jacoco.xml",
      '<?xml version="1.0"?><report name="x"><counter type="LINE" missed="1" covered="2"/></report>',
    );
    assertUsageError(() => readCoverage(jacoco), jacoco, /JaCoCo/);
  });

  it("text that is no report at all", () => {
    const prose = scratchFile("lcov.info", "All files | 67.5 | 78.57\n");
    assertUsageError(() => readCoverage(prose), prose, /not a coverage report this command reads/);
  });
});

describe("readLint on real output", () => {
  it("reads ESLint's --format json with ESLint's totals", () => {
    // ESLint 10.15.0: "✖ 7 problems (4 errors, 3 warnings)"
    const report = readLint(readFileSync(fixture("eslint.json"), "utf8"), "eslint.json");
    assert.equal(report.tool, "eslint");
    assert.equal(report.errors, 4);
    assert.equal(report.warnings, 3);
    assert.equal(report.findings.length, 7);
    assert.deepEqual(report.findings[0], {
      file: "/tmp/br-quality-sample/src/broken.js",
      line: 2,
      column: 3,
      rule: "parse",
      severity: "error",
      message: "Parsing error: Unexpected keyword 'return'",
    });
    assert.deepEqual(report.findings[4], {
      file: "/tmp/br-quality-sample/src/lint-me.js",
      line: 4,
      column: 13,
      rule: "eqeqeq",
      severity: "warning",
      message: "Expected '===' and instead saw '=='.",
    });
    assert.deepEqual(
      report.findings.map((finding) => `${finding.line}:${finding.column} ${finding.rule}`),
      ["2:3 parse", "1:1 no-var", "1:5 no-unused-vars", "3:7 no-unused-vars", "4:13 eqeqeq", "5:5 no-debugger", "9:16 eqeqeq"],
    );
  });

  it("reads Biome's --reporter=json with Biome's totals, leaving its infos out", () => {
    // Biome 2.5.15: "Found 5 errors. Found 3 warnings. Found 2 infos."
    const report = readLint(readFileSync(fixture("biome-lint.json"), "utf8"), "biome-lint.json");
    assert.equal(report.tool, "biome");
    assert.equal(report.errors, 5);
    assert.equal(report.warnings, 3);
    assert.equal(report.findings.length, 8);
    assert.ok(!report.findings.some((finding) => finding.rule === "lint/style/useTemplate"), "the two infos are not findings");
    assert.deepEqual(
      report.findings.find((finding) => finding.rule === "lint/suspicious/noDebugger"),
      {
        file: "src/lint-me.js",
        line: 5,
        column: 5,
        rule: "lint/suspicious/noDebugger",
        severity: "error",
        message: "This is an unexpected use of the debugger statement.",
      },
    );
    assert.equal(report.findings.filter((finding) => finding.rule === "parse").length, 3);
  });

  it("reads output with a banner before the JSON (npm run, a deprecation notice)", () => {
    const text = `\n> sample@1.0.0 lint\n> eslint --format json src/\n\n${readFileSync(fixture("eslint.json"), "utf8")}`;
    assert.equal(readLint(text, "npm run lint").errors, 4);
  });

  it("reads ESLint's json-with-metadata", () => {
    const results = JSON.parse(readFileSync(fixture("eslint.json"), "utf8")) as unknown;
    const report = readLint(JSON.stringify({ results, metadata: { rulesMeta: {} } }), "eslint.json");
    assert.equal(report.tool, "eslint");
    assert.equal(report.warnings, 3);
  });
});

describe("readLint on Ruff's JSON (no Ruff here: the shape of ruff's JSON emitter, written by hand)", () => {
  // NOT tool output: Ruff could not be installed on this machine (see the fixtures' README). The keys
  // follow ruff's `--output-format json` emitter: one object per violation; syntax errors have code null.
  const ruffShaped = JSON.stringify([
    {
      cell: null,
      code: "F401",
      end_location: { column: 10, row: 1 },
      filename: "/project/py/lint_me.py",
      fix: { applicability: "safe", edits: [], message: "Remove unused import: `os`" },
      location: { column: 8, row: 1 },
      message: "`os` imported but unused",
      noqa_row: 1,
      url: "https://docs.astral.sh/ruff/rules/unused-import",
    },
    {
      cell: null,
      code: null,
      end_location: { column: 1, row: 4 },
      filename: "/project/py/broken.py",
      fix: null,
      location: { column: 12, row: 3 },
      message: "SyntaxError: Expected ')', found newline",
      noqa_row: null,
      url: null,
    },
  ]);

  it("reads every violation as an error, a syntax error under the rule parse", () => {
    assert.deepEqual(readLint(ruffShaped, "ruff.json"), {
      tool: "ruff",
      errors: 2,
      warnings: 0,
      findings: [
        { file: "/project/py/lint_me.py", line: 1, column: 8, rule: "F401", severity: "error", message: "`os` imported but unused" },
        {
          file: "/project/py/broken.py",
          line: 3,
          column: 12,
          rule: "parse",
          severity: "error",
          message: "SyntaxError: Expected ')', found newline",
        },
      ],
    });
  });

  it("reads an empty array as a clean run, of the tool the caller names", () => {
    assert.deepEqual(readLint("[]\n", "ruff output"), { tool: "ruff", errors: 0, warnings: 0, findings: [] });
    assert.equal(readLint("[]", "eslint output", { tool: "eslint" }).tool, "eslint");
  });
});

describe("readLint refuses what it cannot read, naming where it came from", () => {
  it("no output", () => {
    assertUsageError(
      () => readLint("  \n", "output of `npx eslint`"),
      "output of `npx eslint`",
      /is empty: expected the JSON output of ESLint/,
    );
  });

  it("text output instead of JSON", () => {
    const stylish = "/tmp/x.js\n  1:1  warning  Unexpected var  no-var\n\n✖ 1 problem (0 errors, 1 warning)\n";
    assertUsageError(() => readLint(stylish, "lint.txt"), "lint.txt", /is not JSON/, /--format json/);
  });

  it("JSON that is no lint report", () => {
    const coverage = readFileSync(fixture("coverage-summary.json"), "utf8");
    assertUsageError(() => readLint(coverage, "coverage-summary.json"), "coverage-summary.json", /not lint output this command reads/);
    assertUsageError(() => readLint('[{"name": "x"}]', "out.json"), "out.json", /not lint output/);
  });

  it("ESLint output with an impossible severity", () => {
    const text = readFileSync(fixture("eslint.json"), "utf8").replace('"severity":1', '"severity":3');
    assertUsageError(
      () => readLint(text, "eslint.json"),
      "eslint.json",
      /looks like ESLint output but is malformed: \[1\]\.messages\[0\]\.severity is 3/,
    );
  });

  it("Biome output whose diagnostic has no severity", () => {
    const data = JSON.parse(readFileSync(fixture("biome-lint.json"), "utf8")) as { diagnostics: Record<string, unknown>[] };
    delete data.diagnostics[2]?.severity;
    assertUsageError(() => readLint(JSON.stringify(data), "biome.json"), "biome.json", /diagnostics\[2\]\.severity is missing/);
  });

  it("one tool's output where the caller expected another", () => {
    const text = readFileSync(fixture("biome-lint.json"), "utf8");
    assertUsageError(
      () => readLint(text, "lint.json", { tool: "eslint" }),
      "lint.json",
      /looks like Biome output, but ESLint output was expected/,
    );
  });
});
