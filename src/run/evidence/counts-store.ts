/**
 * The test runner's counts per commit, kept so the next attempt knows where the tests stood
 * before it without running them again: br records them for each commit it makes after a verified
 * attempt, and measures them first when the commit an attempt starts from has none. `null` records
 * a test run whose output had no counts br reads: measuring it again would tell no more.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../infra/atomic-file.js";
import { readText } from "../../infra/validation.js";
import type { TestCounts } from "./test-counts.js";

const KEEP = 50;

function file(stateDir: string): string {
  return join(stateDir, "test-counts.json");
}

function readAll(stateDir: string): Record<string, TestCounts | null> {
  try {
    return existsSync(file(stateDir)) ? (JSON.parse(readText(file(stateDir))) as Record<string, TestCounts | null>) : {};
  } catch {
    return {}; // A damaged record only costs one extra test run.
  }
}

/** The counts recorded for a commit: undefined when there is no record, null when the run had none. */
export function countsAt(stateDir: string, commit: string | undefined): TestCounts | null | undefined {
  return commit === undefined ? undefined : readAll(stateDir)[commit];
}

export function recordCounts(stateDir: string, commit: string | undefined, counts: TestCounts | null | undefined): void {
  if (commit === undefined || counts === undefined) return;
  const entries = Object.entries(readAll(stateDir)).filter(([c]) => c !== commit);
  entries.push([commit, counts]);
  writeFileAtomic(file(stateDir), `${JSON.stringify(Object.fromEntries(entries.slice(-KEEP)), null, 2)}\n`);
}
