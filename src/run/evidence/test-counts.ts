/**
 * The test runner's own counts, read from its summary: how many tests ran, passed, failed, were
 * skipped or left todo. Comparing them across an attempt shows tests that vanished or stopped
 * running however the agent arranged it (deleted, excluded by configuration, deselected by a hook).
 */
import { stripVTControlCharacters } from "node:util";

export interface TestCounts {
  total: number;
  passed: number;
  failed: number;
  /** Skipped, pending, deselected or expected to fail: tests that exist but did not prove anything. */
  skipped: number;
  todo: number;
}

type Reader = (output: string) => TestCounts | undefined;

const zero = (): TestCounts => ({ total: 0, passed: 0, failed: 0, skipped: 0, todo: 0 });

function sum(all: readonly TestCounts[]): TestCounts | undefined {
  if (all.length === 0) return undefined;
  return all.reduce((t, c) => ({
    total: t.total + c.total,
    passed: t.passed + c.passed,
    failed: t.failed + c.failed,
    skipped: t.skipped + c.skipped,
    todo: t.todo + c.todo,
  }));
}

/** node:test, spec (`ℹ tests 5`) or TAP (`# tests 5`) reporter; one summary per `node --test` run. */
const nodeTest: Reader = (output) => {
  const runs: TestCounts[] = [];
  let current: TestCounts | undefined;
  for (const m of output.matchAll(/^(?:ℹ|#) (tests|pass|fail|cancelled|skipped|todo) (\d+)\s*$/gm)) {
    const [, key, value] = m as unknown as [string, string, string];
    if (key === "tests") {
      current = { ...zero(), total: Number(value) };
      runs.push(current);
    } else if (current) {
      if (key === "pass") current.passed = Number(value);
      else if (key === "fail" || key === "cancelled") current.failed += Number(value);
      else if (key === "skipped") current.skipped = Number(value);
      else current.todo = Number(value);
    }
  }
  return sum(runs);
};

function field(text: string, word: string): number {
  return Number(new RegExp(String.raw`(\d+) ${word}`).exec(text)?.[1] ?? 0);
}

/** jest: `Tests:       1 failed, 1 skipped, 2 todo, 5 passed, 9 total`. */
const jest: Reader = (output) =>
  sum(
    [...output.matchAll(/^Tests:\s+(.*\d+ total)\s*$/gm)].map(([, line = ""]) => ({
      total: field(line, "total"),
      passed: field(line, "passed"),
      failed: field(line, "failed"),
      skipped: field(line, "skipped"),
      todo: field(line, "todo"),
    })),
  );

/** vitest: ` Tests  1 failed | 4 passed | 1 skipped | 2 todo (8)`. */
const vitest: Reader = (output) =>
  sum(
    [...output.matchAll(/^\s*Tests\s+((?:\d+ \w+(?: \| )?)+)\s*\((\d+)\)/gm)].map(([, line = "", total = "0"]) => ({
      total: Number(total),
      passed: field(line, "passed"),
      failed: field(line, "failed"),
      skipped: field(line, "skipped"),
      todo: field(line, "todo"),
    })),
  );

/** mocha: `  5 passing (10ms)`, `  1 pending`, `  2 failing`. */
const mocha: Reader = (output) => {
  const passing = /^\s+(\d+) passing\b/m.exec(output);
  if (!passing) return undefined;
  const passed = Number(passing[1]);
  const skipped = Number(/^\s+(\d+) pending\b/m.exec(output)?.[1] ?? 0);
  const failed = Number(/^\s+(\d+) failing\b/m.exec(output)?.[1] ?? 0);
  return { total: passed + skipped + failed, passed, failed, skipped, todo: 0 };
};

/** pytest: `==== 5 passed, 1 skipped, 2 deselected, 1 xfailed in 0.12s ====` (or the short form). */
const pytest: Reader = (output) => {
  const lines = [
    ...output.matchAll(/^=*\s*((?:\d+ (?:passed|failed|skipped|deselected|xfailed|xpassed|errors?|warnings?)(?:, )?)+) in [\d.]+s\b/gm),
  ];
  return sum(
    lines.map(([, line = ""]) => {
      const passed = field(line, "passed") + field(line, "xpassed");
      const failed = field(line, "failed") + field(line, "error") + field(line, "errors");
      const skipped = field(line, "skipped") + field(line, "deselected") + field(line, "xfailed");
      return { total: passed + failed + skipped, passed, failed, skipped, todo: 0 };
    }),
  );
};

/** unittest: `Ran 5 tests in 0.001s` then `OK (skipped=1)` or `FAILED (failures=1, errors=1, skipped=2)`. */
const unittest: Reader = (output) => {
  const ran = /^Ran (\d+) tests? in /m.exec(output);
  if (!ran) return undefined;
  const total = Number(ran[1]);
  const verdict = /^(OK|FAILED)(?: \(([^)]*)\))?\s*$/m.exec(output)?.[2] ?? "";
  const of = (key: string) => Number(new RegExp(String.raw`${key}=(\d+)`).exec(verdict)?.[1] ?? 0);
  const failed = of("failures") + of("errors");
  const skipped = of("skipped") + of("expected failures");
  return { total, passed: total - failed - skipped, failed, skipped, todo: 0 };
};

const READERS: readonly Reader[] = [nodeTest, jest, vitest, pytest, unittest, mocha];

/** The counts in a test command's output, or undefined when no known runner's summary is there. */
export function readTestCounts(output: string): TestCounts | undefined {
  const clean = stripVTControlCharacters(output);
  for (const read of READERS) {
    const counts = read(clean);
    if (counts) return counts;
  }
  return undefined;
}

/** How the counts got worse, in words; empty when they did not. */
export function countRegressions(before: TestCounts, after: TestCounts): string[] {
  const out: string[] = [];
  if (after.total < before.total) out.push(`${before.total - after.total} fewer tests ran (${before.total} before, ${after.total} now)`);
  if (after.passed < before.passed)
    out.push(`${before.passed - after.passed} fewer tests passed (${before.passed} before, ${after.passed} now)`);
  if (after.skipped > before.skipped) out.push(`${after.skipped - before.skipped} more tests skipped or deselected`);
  if (after.todo > before.todo) out.push(`${after.todo - before.todo} more tests marked todo`);
  return out;
}
