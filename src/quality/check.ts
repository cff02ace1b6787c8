/**
 * `br quality check`: the commands config.yaml names (build, typecheck, lint, tests) judged by
 * their real outputs (error and failure counts, lint JSON, the coverage report the tests wrote),
 * plus br's own measures over parsed source files (complexity, function and file length,
 * duplication). One threshold per gate, a weighted score. Only full checks are recorded for the
 * history (and the coverage it compares against): runs limited by --only, --changed or --staged
 * (the pre-commit hook's) measure part of the project and would read as its headline.
 */
import { existsSync, statSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import type { Config } from "../infra/config.js";
import { GATE_NAMES, type GateName } from "../infra/config-names.js";
import { BrError, usageError } from "../infra/errors.js";
import { headCommit, isGitRepo } from "../infra/git.js";
import { runShell, type ShellResult } from "../infra/process.js";
import type { ProjectPaths } from "../infra/project.js";
import { openStateDb } from "../infra/state-db.js";
import { mask } from "../security/mask.js";
import { recordTelemetry } from "../telemetry/store.js";
import { type CodeFile, changedSince, codeFiles, stagedCodeFiles } from "./files.js";
import { type FileMeasures, findDuplication, measureFile, prepareMeasures } from "./measures/index.js";
import { type FileCoverage, readCoverage } from "./readers/coverage.js";
import { readLint } from "./readers/lint.js";

export interface Gate {
  name: GateName;
  passed: boolean;
  /** The measured figure: a count, a percentage or a maximum, by gate. */
  value: number;
  threshold: number;
  details: string[];
  /** Maximum gates (complexity, lengths): how many functions or files are over the threshold. */
  over?: number;
}

export interface QualityResult {
  passed: boolean;
  score: number;
  gates: Gate[];
  /** Gates that could not run, and why (nothing configured for them). */
  skipped: { name: GateName; reason: string }[];
  changedSince?: string;
  /** Measured the files staged for the next commit, as the index holds them. */
  staged?: true;
  durationMs: number;
}

export const DEFAULT_WEIGHTS: Record<GateName, number> = {
  tests: 25,
  coverage: 20,
  build: 10,
  typecheck: 10,
  lint: 10,
  complexity: 10,
  duplication: 5,
  "function-length": 5,
  "file-length": 5,
};

/** Gates where lower is better: the value is a count or a maximum. */
const AT_MOST = new Set<GateName>(["build", "typecheck", "lint", "tests", "complexity", "function-length", "file-length", "duplication"]);
const MAX_DETAILS = 10;

export type MeasureGate = "complexity" | "function-length" | "file-length" | "duplication";

export interface CheckOptions {
  changed?: string;
  /** Measure exactly the staged files, read from the index (the pre-commit hook). */
  staged?: boolean;
  only?: readonly GateName[];
}

/**
 * A report whose mtime is this much older than the test run's start still counts as written by it:
 * file systems round timestamps (to the second on HFS+) and stamp them from a coarse clock.
 */
const MTIME_SLACK_MS = 1000;

export function parseGateList(text: string): GateName[] {
  const names = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw usageError(`No gate named in "${text}".`, { fix: `Name one or more of: ${GATE_NAMES.join(", ")}.` });
  const unknown = names.filter((n) => !(GATE_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0)
    throw usageError(`Unknown gate ${unknown.map((u) => `"${u}"`).join(", ")}.`, { fix: `Use some of: ${GATE_NAMES.join(", ")}.` });
  return names as GateName[];
}

function lastLines(text: string, n = 8): string[] {
  return mask(text).trimEnd().split("\n").slice(-n);
}

/** A count of failures a tool printed, from the summary lines of common runners. */
function count(output: string, patterns: RegExp[]): number | undefined {
  for (const pattern of patterns) {
    const matches = [...output.matchAll(new RegExp(pattern.source, `${pattern.flags.replace("g", "")}g`))];
    const last = matches[matches.length - 1];
    if (last?.[1] !== undefined) return Number(last[1]);
  }
  return undefined;
}

const TEST_FAILURES = [
  /^# fail (\d+)/m, // node:test (TAP)
  /^ℹ fail (\d+)/m, // node:test (spec)
  /Tests:?\s+(?:\d+ passed[,|]\s*)?(\d+) failed/, // jest, vitest
  /(\d+) failed(?:,| in )/, // pytest
  /(\d+) failing/, // mocha
];
const TEST_PASSES = [/^# pass (\d+)/m, /^ℹ pass (\d+)/m, /Tests:?\s+(?:\d+ failed[,|]\s*)?(\d+) passed/, /(\d+) passed/, /(\d+) passing/];
const TYPE_ERRORS = [/Found (\d+) errors?/, /(\d+) errors?, \d+ warnings?/];

function commandGate(name: GateName, command: string, result: ShellResult, threshold: number, errors: number | undefined): Gate {
  const output = `${result.stdout}\n${result.stderr}`;
  const failedToRun = result.exitCode !== 0 || result.timedOut;
  // A failing exit with no count we can read is one failure: never a pass.
  const value = errors ?? (failedToRun ? 1 : 0);
  const passed = !failedToRun && value <= threshold;
  const details = [
    `\`${command}\` exited ${result.timedOut ? "(stopped: timeout)" : (result.exitCode ?? "(killed)")} in ${result.durationMs} ms`,
  ];
  if (!passed) details.push(...(result.error ? [result.error] : lastLines(output)));
  return { name, passed, value, threshold, details };
}

function relativeTo(root: string, path: string): string {
  return isAbsolute(path) ? relative(root, path) : path;
}

export async function runQualityCheck(paths: ProjectPaths, config: Config, options: CheckOptions = {}): Promise<QualityResult> {
  const started = Date.now();
  const run: CheckRun = {
    paths,
    config,
    timeoutMs: config.run.checkTimeoutSeconds * 1000,
    wanted: (name: GateName) => !options.only || options.only.includes(name),
    gates: [],
    skipped: [],
  };
  checkOptions(options);
  const { changed, staged } = measuredScope(paths.root, config, options);
  await buildGates(run);
  await lintGates(run);
  await testGates(run, changed);
  if (MEASURED.some(run.wanted)) {
    if (!staged) prepareMeasures(); // while the heap is small, before the tree's text is read
    const files = (
      staged ?? codeFiles(paths.root, { ignore: config.gaps.ignore, tests: config.gaps.tests, ...(changed ? { only: changed } : {}) })
    ).filter((f) => f.role === "source");
    const scope = staged ? " (staged files)" : changed ? ` (files changed since ${options.changed})` : "";
    run.gates.push(...measureGates(files, config, MEASURED.filter(run.wanted), scope));
  }
  const { gates, skipped } = run;
  const result: QualityResult = {
    passed: gates.every((g) => g.passed),
    score: score(gates, config),
    gates,
    skipped,
    ...(options.changed !== undefined ? { changedSince: options.changed } : {}),
    ...(staged ? { staged: true as const } : {}),
    durationMs: Date.now() - started,
  };
  if (!options.only && options.changed === undefined && !staged) record(paths, result, config);
  return result;
}

const MEASURED = ["complexity", "function-length", "file-length", "duplication"] as const;

/** One quality check: what it runs with, and the gates it has so far. */
interface CheckRun {
  paths: ProjectPaths;
  config: Config;
  timeoutMs: number;
  wanted: (name: GateName) => boolean;
  gates: Gate[];
  skipped: QualityResult["skipped"];
}

function checkOptions(options: CheckOptions): void {
  if (options.staged && options.changed !== undefined)
    throw usageError("--staged and --changed cannot be used together.", {
      fix: "Use --staged to measure what the next commit holds, or --changed <ref> for everything changed since <ref>.",
    });
  if (options.only?.length === 0) throw usageError("--only names no gate.", { fix: `Name one or more of: ${GATE_NAMES.join(", ")}.` });
}

/** The files the measures read (and coverage details name): changed since a ref, staged, or all (both undefined). */
function measuredScope(
  root: string,
  config: Config,
  options: CheckOptions,
): { changed: Set<string> | undefined; staged: CodeFile[] | undefined } {
  if (options.changed !== undefined) {
    try {
      return { changed: changedSince(root, options.changed), staged: undefined };
    } catch (error) {
      throw usageError(`Cannot compare with "${options.changed}": ${(error as Error).message}.`, {
        fix: "Name a branch, tag or commit that exists, for example `--changed main` or `--changed HEAD~1`.",
      });
    }
  }
  if (!options.staged) return { changed: undefined, staged: undefined };
  if (!isGitRepo(root)) throw usageError(`${root} is not in a git repository: nothing is staged.`, { fix: "Run it without --staged." });
  const staged = stagedCodeFiles(root, { ignore: config.gaps.ignore, tests: config.gaps.tests });
  return { changed: new Set(staged.map((f) => f.path)), staged };
}

async function buildGates(run: CheckRun): Promise<void> {
  const { commands } = run.config;
  for (const [name, command] of [
    ["build", commands.build],
    ["typecheck", commands.typecheck],
  ] as const) {
    if (!run.wanted(name)) continue;
    if (!command) {
      run.skipped.push({ name, reason: `no commands.${name} in config.yaml` });
      continue;
    }
    const result = await runShell(command, run.paths.root, run.timeoutMs);
    const errors = name === "typecheck" ? count(`${result.stdout}\n${result.stderr}`, TYPE_ERRORS) : undefined;
    run.gates.push(commandGate(name, command, result, 0, errors));
  }
}

async function lintGates(run: CheckRun): Promise<void> {
  if (!run.wanted("lint")) return;
  const { commands } = run.config;
  if (!commands.lint) {
    run.skipped.push({ name: "lint", reason: "no commands.lint in config.yaml" });
    return;
  }
  const result = await runShell(commands.lint, run.paths.root, run.timeoutMs);
  run.gates.push(lintGate(commands.lint, result, run.config.gates.lintErrors, run.paths.root));
}

/** The tests gate and the coverage gate over the report that test run wrote (one run serves both). */
async function testGates(run: CheckRun, changed: Set<string> | undefined): Promise<void> {
  const { wanted, skipped } = run;
  const { commands } = run.config;
  if (!wanted("tests") && !wanted("coverage")) return;
  if (!commands.test) {
    skipped.push({ name: "tests", reason: "no commands.test in config.yaml" });
    if (wanted("coverage")) skipped.push({ name: "coverage", reason: "no commands.test to produce a coverage report" });
    return;
  }
  const testsStartedAt = Date.now();
  const result = await runShell(commands.test, run.paths.root, run.timeoutMs);
  const gate = testsGate(commands.test, result);
  if (wanted("tests")) run.gates.push(gate);
  if (!wanted("coverage")) return;
  if (!commands.coverage)
    skipped.push({ name: "coverage", reason: "no commands.coverage (the report file the tests write) in config.yaml" });
  else run.gates.push(coverageGate(run.paths, run.config, commands.coverage, changed, testsStartedAt));
}

function testsGate(command: string, result: ShellResult): Gate {
  const output = `${result.stdout}\n${result.stderr}`;
  const failures = count(output, TEST_FAILURES);
  const gate = commandGate("tests", command, result, 0, failures);
  const passes = count(output, TEST_PASSES);
  if (passes !== undefined) gate.details.splice(1, 0, `${passes} passed, ${failures ?? (gate.passed ? 0 : "?")} failed`);
  return gate;
}

/**
 * br's own measures over parsed source files: the worst function and file, and duplication.
 * `measured`: the files' measures when the caller has them already.
 */
export function measureGates(
  files: readonly CodeFile[],
  config: Config,
  which: readonly MeasureGate[],
  scope = "",
  measured?: readonly FileMeasures[],
): Gate[] {
  const gates: Gate[] = [];
  const wanted = (name: MeasureGate) => which.includes(name);
  const measures = measured ?? files.map((f) => measureFile(f.path, f.text)).filter((m) => m !== undefined);
  const functions = measures.flatMap((m) => m.functions.map((fn) => ({ ...fn, file: m.path })));
  // A maximum gate: the worst item is the value; every item over the limit is a detail.
  const worstOf = <T>(
    name: MeasureGate,
    items: readonly T[],
    value: (t: T) => number,
    limit: number,
    describe: (t: T) => string,
    summary?: (over: number) => string,
  ) => {
    const over = items.filter((t) => value(t) > limit).sort((x, y) => value(y) - value(x));
    const top = items.reduce((max, t) => Math.max(max, value(t)), 0);
    const details = [...(summary ? [summary(over.length)] : []), ...over.slice(0, MAX_DETAILS).map(describe)];
    gates.push({ name, value: top, threshold: limit, passed: top <= limit, details, over: over.length });
  };
  if (wanted("complexity")) {
    const limit = config.gates.complexity;
    worstOf(
      "complexity",
      functions,
      (f) => f.complexity,
      limit,
      (f) => `${f.file}:${f.line} ${f.name}: complexity ${f.complexity}`,
      (over) => `${functions.length} functions in ${measures.length} files${scope}; ${over} above ${limit}`,
    );
  }
  if (wanted("function-length"))
    worstOf(
      "function-length",
      functions,
      (f) => f.lines,
      config.gates.functionLines,
      (f) => `${f.file}:${f.line} ${f.name}: ${f.lines} lines`,
    );
  if (wanted("file-length"))
    worstOf(
      "file-length",
      measures,
      (m) => m.lines,
      config.gates.fileLines,
      (m) => `${m.path}: ${m.lines} lines`,
    );
  if (wanted("duplication")) {
    const limit = config.gates.duplication;
    const dup = findDuplication(files.map((f) => ({ path: f.path, text: f.text })));
    gates.push({
      name: "duplication",
      value: dup.pct,
      threshold: limit,
      passed: dup.pct <= limit,
      details: [
        `${dup.duplicatedLines} of ${dup.totalLines} code lines are in duplicated blocks`,
        ...dup.blocks.slice(0, MAX_DETAILS).map((b) => `${b.file}:${b.line}-${b.endLine} repeats ${b.otherFile}:${b.otherLine}`),
      ],
    });
  }
  return gates;
}

/**
 * The gates one task's change must pass in `br run`, after its tests: coverage when a report is
 * configured (floor and must-not-drop), and the measures over the source files it changed.
 * `testsStartedAt` (when the caller ran the tests) refuses a report older than that run.
 */
export function taskGates(paths: ProjectPaths, config: Config, changedFiles: readonly string[], testsStartedAt?: number): Gate[] {
  const gates: Gate[] = [];
  if (config.commands.coverage && config.commands.test)
    gates.push(coverageGate(paths, config, config.commands.coverage, undefined, testsStartedAt));
  // The changed files come from git's status (see src/run/tree.ts): the tree need not be listed again.
  const only = new Set(changedFiles);
  const files = codeFiles(paths.root, { ignore: config.gaps.ignore, tests: config.gaps.tests, only, onlyListed: true }).filter(
    (f) => f.role === "source",
  );
  if (files.length > 0) gates.push(...measureGates(files, config, ["complexity", "function-length", "file-length", "duplication"]));
  return gates;
}

function lintGate(command: string, result: ShellResult, threshold: number, root: string): Gate {
  let report: ReturnType<typeof readLint> | undefined;
  try {
    report = result.stdout.trim() ? readLint(result.stdout, `the output of \`${command}\``) : undefined;
  } catch {
    report = undefined; // Not a JSON report: judged by its exit code alone.
  }
  if (!report) {
    const gate = commandGate("lint", command, result, threshold, undefined);
    gate.details.push(
      "(print JSON — eslint -f json, biome lint --reporter=json, ruff check --output-format json — to count errors and show them here)",
    );
    return gate;
  }
  return {
    name: "lint",
    passed: report.errors <= threshold,
    value: report.errors,
    threshold,
    details: [
      `${report.tool}: ${report.errors} errors, ${report.warnings} warnings`,
      ...report.findings
        .filter((f) => f.severity === "error")
        .slice(0, MAX_DETAILS)
        .map((f) => `${relativeTo(root, f.file)}:${f.line}:${f.column} ${f.rule}: ${mask(f.message)}`),
    ],
  };
}

/** Coverage gates that measured nothing (no report, a stale or unreadable one): never history. */
const UNMEASURED = new WeakSet<Gate>();

function unmeasured(threshold: number, details: string[]): Gate {
  const gate: Gate = { name: "coverage", passed: false, value: 0, threshold, details };
  UNMEASURED.add(gate);
  return gate;
}

/**
 * The coverage gate over the report the tests wrote. Never throws: a missing, stale or malformed
 * report is a failed gate that says why, so `br run` judges the task instead of stopping.
 * With `testsStartedAt`, a report last written before the tests started is stale (left from an
 * earlier run) and fails.
 */
export function coverageGate(
  paths: ProjectPaths,
  config: Config,
  reportPath: string,
  changed: Set<string> | undefined,
  testsStartedAt?: number,
): Gate {
  const file = join(paths.root, reportPath);
  const threshold = config.gates.coverage;
  if (!existsSync(file))
    return unmeasured(threshold, [
      `${reportPath} was not written by the tests: make commands.test produce it (or point commands.coverage at the report).`,
    ]);
  const stale = testsStartedAt === undefined ? undefined : staleReport(file, reportPath, testsStartedAt, threshold);
  if (stale) return stale;
  let report: ReturnType<typeof readCoverage>;
  try {
    report = readCoverage(file);
  } catch (error) {
    const fix = error instanceof BrError ? error.fix : undefined;
    const message = error instanceof Error ? error.message : String(error);
    return unmeasured(threshold, [mask(message), ...(fix ? [fix] : [])]);
  }
  const value = report.lines.pct;
  const details = [`${report.format}: ${report.lines.covered} of ${report.lines.total} lines (${value}%)`];
  let passed = value >= threshold;
  if (!passed) details.push(`below the floor of ${threshold}%`);
  const last = lastCoverage(paths);
  if (last !== undefined && config.gates.coverageMaxDrop < 100 && value < last - config.gates.coverageMaxDrop) {
    passed = false;
    details.push(`dropped from ${last}% at the last full check (at most ${config.gates.coverageMaxDrop} points allowed)`);
  }
  if (changed) details.push(...changedFileCoverage(paths.root, report.files, changed));
  return { name: "coverage", passed, value, threshold, details };
}

/** A failed gate when the report was last written before the tests started (left from an earlier run). */
function staleReport(file: string, reportPath: string, testsStartedAt: number, threshold: number): Gate | undefined {
  let mtimeMs: number | undefined;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    mtimeMs = undefined; // Unreadable: readCoverage says why.
  }
  if (mtimeMs === undefined || mtimeMs + MTIME_SLACK_MS >= testsStartedAt) return undefined;
  return unmeasured(threshold, [
    `${reportPath} was not written by this test run (last written ${new Date(mtimeMs).toISOString()}, the tests started ${new Date(testsStartedAt).toISOString()}): it is left from an earlier run.`,
    "Make commands.test write the coverage report on every run (or point commands.coverage at the report it writes).",
  ]);
}

function changedFileCoverage(root: string, files: FileCoverage[], changed: Set<string>): string[] {
  const details: string[] = [];
  for (const f of files) {
    const path = relativeTo(root, f.path);
    if (changed.has(path)) details.push(`${path}: ${f.lines.pct}% of ${f.lines.total} lines`);
  }
  return details;
}

function gateScore(gate: Gate): number {
  if (gate.passed) return 1;
  if (gate.name === "coverage") return gate.threshold > 0 ? Math.max(0, Math.min(1, gate.value / gate.threshold)) : 0;
  if (gate.name === "build" || gate.name === "tests" || gate.name === "typecheck") return 0;
  // Counts and maxima: partly there when close to the limit.
  return AT_MOST.has(gate.name) && gate.value > 0 ? Math.max(0, Math.min(1, (gate.threshold + 1) / (gate.value + 1))) : 0;
}

function score(gates: Gate[], config: Config): number {
  const weights = { ...DEFAULT_WEIGHTS, ...config.gates.weights };
  const total = gates.reduce((sum, g) => sum + weights[g.name], 0);
  if (total === 0) return 100;
  return Math.round((100 * gates.reduce((sum, g) => sum + weights[g.name] * gateScore(g), 0)) / total);
}

function lastCoverage(paths: ProjectPaths): number | undefined {
  const db = openStateDb(paths);
  try {
    const row = db
      .prepare("SELECT coverage FROM quality_runs WHERE changed_since IS NULL AND coverage IS NOT NULL ORDER BY id DESC LIMIT 1")
      .get() as { coverage: number } | undefined;
    return row?.coverage;
  } finally {
    db.close();
  }
}

function record(paths: ProjectPaths, result: QualityResult, config: Config): void {
  for (const g of result.gates) recordTelemetry(paths, config, "gate.result", { gate: g.name, passed: g.passed, value: g.value });
  const coverage = result.gates.find((g) => g.name === "coverage");
  const db = openStateDb(paths);
  try {
    db.prepare("INSERT INTO quality_runs (at, commit_sha, changed_since, passed, score, coverage, gates) VALUES (?, ?, ?, ?, ?, ?, ?)").run(
      new Date().toISOString(),
      headCommit(paths.root) ?? null,
      result.changedSince ?? null,
      result.passed ? 1 : 0,
      result.score,
      // A report that was not written, is stale or unreadable is not a measurement to compare against.
      coverage && !UNMEASURED.has(coverage) ? coverage.value : null,
      JSON.stringify(result.gates.map((g) => ({ name: g.name, passed: g.passed, value: g.value, threshold: g.threshold }))),
    );
  } finally {
    db.close();
  }
}

export interface QualityRun {
  at: string;
  commit: string | null;
  changedSince: string | null;
  passed: boolean;
  score: number;
  coverage: number | null;
  gates: Pick<Gate, "name" | "passed" | "value" | "threshold">[];
}

export function qualityHistory(paths: ProjectPaths, limit = 200): QualityRun[] {
  const db = openStateDb(paths);
  try {
    const rows = db
      // Older versions recorded --changed runs (the pre-commit hook's) too: the history is full checks.
      .prepare(
        "SELECT at, commit_sha, changed_since, passed, score, coverage, gates FROM quality_runs WHERE changed_since IS NULL ORDER BY id DESC LIMIT ?",
      )
      .all(limit) as {
      at: string;
      commit_sha: string | null;
      changed_since: string | null;
      passed: number;
      score: number;
      coverage: number | null;
      gates: string;
    }[];
    return rows.reverse().map((r) => ({
      at: r.at,
      commit: r.commit_sha,
      changedSince: r.changed_since,
      passed: r.passed === 1,
      score: r.score,
      coverage: r.coverage,
      gates: JSON.parse(r.gates) as QualityRun["gates"],
    }));
  } finally {
    db.close();
  }
}
