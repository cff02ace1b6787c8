/**
 * The rules of evidence an attempt's change must keep, beyond its checks passing (SPEC §5): it does
 * not touch protected paths or another feature's tests and files, does not weaken tests, does the
 * kind of work its task is, and leaves the test runner's counts no worse than it found them.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../../infra/config.js";
import { committedFile } from "../../infra/git.js";
import type { Task } from "../../plan/task.js";
import { projectFileRoles } from "../../quality/files.js";
import { otherFeatureViolations, testViolations } from "./ownership.js";
import { protectedChanges, type ReadVersions } from "./protected.js";
import { countRegressions, type TestCounts } from "./test-counts.js";
import type { Violation } from "./violation.js";

export interface EvidenceInputs {
  plan: readonly Task[];
  /** Feature id → name, for messages. */
  featureNames: ReadonlyMap<string, string>;
  /** Path → the feature whose verified attempt changed it last. */
  owners: ReadonlyMap<string, string>;
  /** What br had to put back before verifying (its own files, the git state). */
  restored: readonly Violation[];
  /** The runner's counts at the commit the attempt started from, when known. */
  testsBefore?: TestCounts;
}

function committed(cwd: string, path: string): string | undefined {
  return committedFile(cwd, path);
}

function versionsIn(cwd: string): ReadVersions {
  return (path) => {
    const full = join(cwd, path);
    return { before: committed(cwd, path), after: existsSync(full) ? readFileSync(full, "utf8") : undefined };
  };
}

/** Test files and test data among the changed paths. */
export function testPaths(changed: readonly string[], config: Config): Set<string> {
  const roles = projectFileRoles(changed, { tests: config.gaps.tests });
  return new Set(changed.filter((p) => roles.get(p) === "test" || roles.get(p) === "fixture"));
}

/** A tests task that changed no test: whatever it wrote, it did not write tests. */
function wrongKind(task: Task, changed: readonly string[], tests: ReadonlySet<string>): Violation | undefined {
  if (task.kind !== "tests" || changed.some((p) => tests.has(p))) return undefined;
  return {
    kind: "wrong-kind",
    message: `a tests task changed no test file (it changed ${changed.slice(0, 3).join(", ")}${changed.length > 3 ? ", …" : ""})`,
  };
}

/** The violations the change itself shows, before any check runs. */
export function attemptViolations(
  task: Task,
  changed: readonly string[],
  config: Config,
  cwd: string,
  inputs: EvidenceInputs,
): Violation[] {
  const versions = versionsIn(cwd);
  const tests = testPaths(changed, config);
  const ctx = { task, plan: inputs.plan, featureNames: inputs.featureNames, owners: inputs.owners, changed, tests, versions };
  const kind = wrongKind(task, changed, tests);
  return [
    ...protectedChanges(task, changed, config.run.protect, versions),
    ...testViolations(ctx),
    ...otherFeatureViolations(ctx),
    ...(kind ? [kind] : []),
  ];
}

/**
 * The runner's counts against those before the attempt: fewer tests run or passing, more skipped
 * or todo; and for a tests task that added test files, tests that never ran.
 */
export function testCountFailure(
  task: Task,
  changed: readonly string[],
  config: Config,
  cwd: string,
  inputs: EvidenceInputs,
  after: TestCounts | undefined,
): Violation | undefined {
  const before = inputs.testsBefore;
  if (!before || !after) return undefined;
  const worse = countRegressions(before, after);
  if (worse.length > 0) return { kind: "test-counts", message: `the test run got worse: ${worse.join(", ")}` };
  if (task.kind !== "tests" || after.total > before.total) return undefined;
  const versions = versionsIn(cwd);
  const tests = [...testPaths(changed, config)].map((path) => ({ path, ...versions(path) }));
  const added = tests.filter((t) => t.before === undefined).map((t) => t.path);
  // Only pure additions must raise the count: a test moved or rewritten may keep it level.
  if (added.length === 0 || added.length < tests.length) return undefined;
  return {
    kind: "wrong-kind",
    message: `the tests it added (${added.slice(0, 3).join(", ")}) did not run: the test runner counted ${after.total} tests, as many as before the attempt`,
  };
}
