/**
 * Evidence that a task is done (SPEC §5): the executor reported success, the working tree changed
 * within the task's scope, the configured checks pass, and acceptance criteria that are commands
 * pass. Nothing else marks a task done.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../infra/config.js";
import { committedFile, withCommittedFiles } from "../infra/git.js";
import { runShell } from "../infra/process.js";
import type { Task } from "../plan/task.js";
import { mask } from "../security/mask.js";
import { attemptViolations, type EvidenceInputs, testCountFailure } from "./evidence/index.js";
import { securityEvidence } from "./evidence/security.js";
import { readTestCounts, type TestCounts } from "./evidence/test-counts.js";
import { describeViolations, type Violation } from "./evidence/violation.js";
import { tail } from "./executors/spawn-agent.js";
import type { ExecutorReport } from "./executors/types.js";

export interface CheckResult {
  name: string;
  command: string;
  passed: boolean;
  exitCode: number | null;
  durationMs: number;
  /** The last lines of output, masked: fed to the next attempt when it failed. */
  output: string;
  /** The test runner's counts, when the output has a summary br knows. */
  counts?: TestCounts;
}

export interface Verification {
  passed: boolean;
  reason?: string;
  executor: { success: boolean; summary: string };
  changedFiles: string[];
  outOfScope: string[];
  checks: CheckResult[];
  /** How the attempt broke the rules of evidence (each named in words), when it did. */
  violations: Violation[];
  /** The test runner's counts after the attempt, recorded for the commit that follows. */
  testCounts?: TestCounts;
}

import { acceptanceCommand } from "../plan/acceptance.js";
import { inTaskScope, isOwnFile } from "./scope.js";

export { acceptanceCommand, inTaskScope, isOwnFile };

export async function runCheck(name: string, command: string, cwd: string, timeoutMs: number): Promise<CheckResult> {
  const result = await runShell(command, cwd, timeoutMs);
  // Interleaving is lost, but the tail of each stream is what explains a failure.
  let output = result.error ?? `${result.stdout}${result.stdout && result.stderr ? "\n" : ""}${result.stderr}`;
  if (result.timedOut) output += `\n(stopped after ${Math.round(timeoutMs / 1000)} s)`;
  const counts = readTestCounts(output);
  return {
    ...(counts ? { counts } : {}),
    name,
    command,
    passed: result.exitCode === 0 && !result.timedOut,
    exitCode: result.exitCode,
    durationMs: result.durationMs,
    output: mask(tail(output, 40)),
  };
}

/** A file as the last commit has it: what the attempt started from (br runs from a clean tree). */
export function committedText(cwd: string, path: string): string | undefined {
  return committedFile(cwd, path);
}

/**
 * The secret and SQL injection scan over the files the attempt changed: a task that leaks a key or
 * builds a query from input is not done, and the findings (masked) go to the next attempt. Only
 * what the attempt added counts, judged by the allowlists, baseline and allow comments as they
 * were before it.
 */
function securityCheck(changedFiles: readonly string[], config: Config, cwd: string, base: VerificationBase): CheckResult | undefined {
  if (!changedFiles.some((f) => existsSync(join(cwd, f)))) return undefined;
  const evidence = securityEvidence(changedFiles, config, cwd, (path) => committedText(cwd, path));
  base.violations.push(...evidence.violations);
  const output = evidence.failing.map((f) => `${f.file}:${f.line}: ${f.message} (${f.match})`).join("\n");
  return {
    name: "security",
    command: "br security check <changed files>",
    passed: evidence.failing.length === 0,
    exitCode: evidence.failing.length === 0 ? 0 : 1,
    durationMs: evidence.durationMs,
    output: mask(output).slice(0, 4000),
  };
}

type Measure = typeof import("../quality/measures/index.js").measureFile;
type MadeWorse = typeof import("../quality/regressions.js").madeWorse;

/**
 * Functions (or files) over a measure gate's limit that the attempt made so: new, or worse than
 * the committed version of the same function (src/quality/regressions.ts, as the pre-commit check judges).
 */
function newOffenders(
  gate: "complexity" | "function-length" | "file-length",
  changedFiles: readonly string[],
  config: Config,
  cwd: string,
  judge: { measureFile: Measure; madeWorse: MadeWorse },
): string[] {
  const out: string[] = [];
  for (const path of changedFiles) {
    if (!existsSync(join(cwd, path))) continue;
    const after = judge.measureFile(path, readFileSync(join(cwd, path), "utf8"));
    if (!after) continue;
    const committed = committedText(cwd, path);
    const before = committed === undefined ? undefined : judge.measureFile(path, committed);
    out.push(...judge.madeWorse(gate, after, before, config.gates).map((o) => `${path}:${o.line} ${o.name ?? ""}`));
  }
  return out;
}

type FindDuplication = typeof import("../quality/measures/duplication.js").findDuplication;

/** The changed files' text now and as committed (absent files left out). */
function gateSources(changedFiles: readonly string[], cwd: string): { path: string; now: string; was: string | undefined }[] {
  return changedFiles
    .filter((path) => existsSync(join(cwd, path)))
    .map((path) => ({ path, now: readFileSync(join(cwd, path), "utf8"), was: committedText(cwd, path) }));
}

/** Duplicated blocks the attempt added: more duplicated lines among the changed files than before it. */
function newDuplication(files: { path: string; now: string; was: string | undefined }[], find: FindDuplication): string[] {
  const after = find(files.map((f) => ({ path: f.path, text: f.now })));
  const before = find(files.filter((f) => f.was !== undefined).map((f) => ({ path: f.path, text: f.was as string })));
  if (after.duplicatedLines <= before.duplicatedLines) return [];
  return after.blocks.map((b) => `${b.file}:${b.line}-${b.endLine} repeats ${b.otherFile}:${b.otherLine}`);
}

/**
 * `changed`: the paths the attempt changed (see tree.ts), relative to the project. `evidence`: what
 * the rules of evidence need beyond the change (the plan, whose files are whose, the test counts
 * before the attempt, what br already had to put back); without it only the checks run.
 */
/** Files the evidence reads as HEAD has them, besides the changed ones: read together in one git process. */
const LIKELY_READ = [".gitleaks.toml", ".buildrunner/security-baseline.json", "package.json"];

export function verify(
  task: Task,
  report: ExecutorReport,
  changed: readonly string[],
  config: Config,
  cwd: string,
  evidence?: EvidenceInputs,
  /** The commit the work began at, when HEAD may have moved since (work done outside br run). */
  base = "HEAD",
): Promise<Verification> {
  return withCommittedFiles(cwd, [...changed, ...LIKELY_READ], () => verifyAttempt(task, report, changed, config, cwd, evidence), base);
}

async function verifyAttempt(
  task: Task,
  report: ExecutorReport,
  changed: readonly string[],
  config: Config,
  cwd: string,
  evidence?: EvidenceInputs,
): Promise<Verification> {
  const changedFiles = changed.filter((p) => !isOwnFile(p));
  const base: VerificationBase = {
    executor: { success: report.success, summary: mask(report.summary).slice(0, 2000) },
    changedFiles,
    outOfScope: [],
    checks: [],
    violations: [...(evidence?.restored ?? [])],
  };
  const fail = (reason: string): Verification => ({ ...base, passed: false, reason });
  const unfit = workFailure(task, report, base);
  if (base.violations.length > 0) return fail(describeViolations(base.violations));
  if (unfit) return fail(unfit);
  if (evidence) base.violations.push(...attemptViolations(task, changedFiles, config, cwd, evidence));
  if (base.violations.length > 0) return fail(describeViolations(base.violations));
  const security = securityCheck(changedFiles, config, cwd, base);
  if (security) {
    base.checks.push(security);
    if (base.violations.length > 0) return fail(describeViolations(base.violations));
    if (!security.passed) return fail(`security: ${security.output.split("\n")[0] ?? "findings"}`);
  }
  const commands = await commandChecks(task, config, cwd, base.checks);
  const testCounts = base.checks.find((c) => c.name === "test")?.counts;
  if (testCounts) base.testCounts = testCounts;
  if (commands.failure) return fail(commands.failure);
  const counted = evidence ? testCountFailure(task, changedFiles, config, cwd, evidence, testCounts) : undefined;
  if (counted) {
    base.violations.push(counted);
    return fail(counted.message);
  }
  const gates = await gateFailure(config, changedFiles, cwd, commands.testsStartedAt, base.checks);
  if (gates) return fail(gates);
  return { ...base, passed: true };
}

type VerificationBase = Omit<Verification, "passed" | "reason">;

/** Why the work is rejected before any check runs: the executor failed, changed nothing, or only outside the task's files. */
function workFailure(task: Task, report: ExecutorReport, base: VerificationBase): string | undefined {
  const { changedFiles } = base;
  if (!report.success) return `the executor reported failure: ${mask(report.summary).slice(0, 300) || "no details"}`;
  const expectsChanges = task.kind !== "verify" && task.kind !== "review";
  if (expectsChanges && changedFiles.length === 0) return "the executor reported success but changed no files";
  if (task.files.length === 0 || changedFiles.length === 0) return undefined;
  const outOfScope = changedFiles.filter((f) => !inTaskScope(task, f));
  base.outOfScope = outOfScope;
  if (outOfScope.length < changedFiles.length) return undefined;
  return `no change is within the task's files (${task.files.join(", ")}); changed: ${changedFiles.slice(0, 5).join(", ")}`;
}

/** Runs the project's commands and the task's acceptance commands in order, up to the first that fails. */
async function commandChecks(
  task: Task,
  config: Config,
  cwd: string,
  results: CheckResult[],
): Promise<{ failure: string | undefined; testsStartedAt: number | undefined }> {
  const timeoutMs = config.run.checkTimeoutSeconds * 1000;
  const checks: [string, string | undefined][] = [
    ["build", config.commands.build],
    ["typecheck", config.commands.typecheck],
    ["lint", config.commands.lint],
    ["test", config.commands.test],
    ...task.acceptance.map((criterion, i): [string, string | undefined] => [`acceptance ${i + 1}`, acceptanceCommand(criterion)]),
  ];
  let testsStartedAt: number | undefined;
  for (const [name, command] of checks) {
    if (!command) continue;
    if (name === "test") testsStartedAt = Date.now();
    const result = await runCheck(name, command, cwd, timeoutMs);
    results.push(result);
    if (!result.passed) return { failure: `${name} failed (\`${command}\`, exit ${result.exitCode ?? "killed"})`, testsStartedAt };
  }
  return { failure: undefined, testsStartedAt };
}

/** Runs the quality gates over the changed files; the first that fails, unless the change made nothing worse. */
async function gateFailure(
  config: Config,
  changedFiles: string[],
  cwd: string,
  testsStartedAt: number | undefined,
  results: CheckResult[],
): Promise<string | undefined> {
  const { findProject } = await import("../infra/project.js");
  const { taskGates } = await import("../quality/check.js");
  const { measureFile } = await import("../quality/measures/index.js");
  const { findDuplication } = await import("../quality/measures/duplication.js");
  const { madeWorse } = await import("../quality/regressions.js");
  const offenders = (name: string) =>
    name === "duplication"
      ? newDuplication(gateSources(changedFiles, cwd), findDuplication)
      : newOffenders(name as "complexity" | "function-length" | "file-length", changedFiles, config, cwd, { measureFile, madeWorse });
  for (const gate of taskGates(findProject(cwd), config, changedFiles, testsStartedAt)) {
    if (!gate.passed && gate.name !== "coverage" && offenders(gate.name).length === 0) {
      // Every offender was already in the committed code: the change made nothing worse.
      gate.passed = true;
      gate.details.push("(only code that was already over the limit before this task)");
    }
    const output = mask(gate.details.slice(0, 6).join("\n"));
    results.push({
      name: `gate ${gate.name}`,
      command: "br quality gates",
      passed: gate.passed,
      exitCode: gate.passed ? 0 : 1,
      durationMs: 0,
      output,
    });
    if (!gate.passed) return `the ${gate.name} gate failed: ${gate.value} against ${gate.threshold} (${gate.details.slice(-1)[0] ?? ""})`;
  }
  return undefined;
}
