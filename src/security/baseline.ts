/**
 * The security baseline: findings a team has looked at and accepted (a test fixture, a key already
 * rotated that stays in history), so `br security check` reports only what is new. The file
 * (`.buildrunner/security-baseline.json` by default, meant to be committed) holds per finding its
 * fingerprint, rule, file and the masked match — never a secret in clear. Fingerprints are hashes of
 * rule, file and secret, not of the line, so accepted findings stay accepted when code moves, and a
 * finding from history matches the baseline entry for the same secret in the same file.
 */
import { existsSync } from "node:fs";
import { relative, resolve } from "node:path";
import * as z from "zod";
import { writeFileAtomic } from "../infra/atomic-file.js";
import { usageError } from "../infra/errors.js";
import { loadJsonFile } from "../infra/json-file.js";
import { findProject } from "../infra/project.js";
import { mask } from "./mask.js";
import type { Finding, ScanResult } from "./scan.js";

export const DEFAULT_BASELINE = ".buildrunner/security-baseline.json";

const entrySchema = z.object({
  fingerprint: z.string().regex(/^[0-9a-f]{8,64}$/, "must be a hex fingerprint as `br security baseline` writes it"),
  rule: z.string().optional(),
  file: z.string().optional(),
  match: z.string().optional(),
});

const baselineSchema = z.object({
  version: z.literal(1).optional(),
  findings: z.array(entrySchema),
});

export interface BaselineEntry {
  fingerprint: string;
  rule: string;
  file: string;
  /** The secret with only its first 4 characters kept. */
  match: string;
}

export interface BaselineFile {
  version: 1;
  findings: BaselineEntry[];
}

export interface BaselineLocation {
  /** Absolute path. */
  path: string;
  /** As shown to the user: relative to the folder br runs in. */
  display: string;
}

/** Where the default baseline lives: in the project's .buildrunner/, or the folder br runs in. */
function baseDir(root: string): string {
  try {
    return findProject(root).root;
  } catch {
    return root;
  }
}

function located(root: string, path: string): BaselineLocation {
  return { path, display: relative(root, path) || path };
}

/** Where `br security baseline` writes: --output, else the default path. */
export function outputLocation(root: string, output: string | undefined): BaselineLocation {
  return located(root, output !== undefined ? resolve(root, output) : resolve(baseDir(root), DEFAULT_BASELINE));
}

/**
 * Which baseline `br security check` applies: --baseline (it must exist), else the default file when
 * it exists, else none.
 */
export function checkLocation(root: string, option: string | undefined): BaselineLocation | undefined {
  if (option !== undefined) {
    const where = located(root, resolve(root, option));
    if (!existsSync(where.path)) {
      throw usageError(`Baseline file ${where.display} does not exist.`, {
        file: where.display,
        fix: `Create it with \`br security baseline --output ${option}\`, or leave out --baseline to use ${DEFAULT_BASELINE} when present.`,
      });
    }
    return where;
  }
  const fallback = located(root, resolve(baseDir(root), DEFAULT_BASELINE));
  return existsSync(fallback.path) ? fallback : undefined;
}

/** The accepted fingerprints of a baseline file; a malformed file is bad input (exit 2). */
export async function loadBaseline(where: BaselineLocation): Promise<Set<string>> {
  const data = await loadJsonFile(where.path, baselineSchema, {
    displayPath: where.display,
    restoreHint: `regenerate it with \`br security baseline --output ${where.display}\``,
  });
  return new Set(data.findings.map((f) => f.fingerprint));
}

/** One entry per fingerprint, in a stable order, so regenerating an unchanged baseline changes nothing. */
export function baselineOf(findings: readonly Finding[]): BaselineFile {
  const entries = new Map<string, BaselineEntry>();
  for (const f of findings) {
    if (!entries.has(f.fingerprint))
      entries.set(f.fingerprint, { fingerprint: f.fingerprint, rule: f.rule, file: f.file, match: mask(f.match) });
  }
  const sorted = [...entries.values()].sort(
    (a, b) => a.file.localeCompare(b.file) || a.rule.localeCompare(b.rule) || a.fingerprint.localeCompare(b.fingerprint),
  );
  return { version: 1, findings: sorted };
}

/** Writes the baseline atomically (a reader never sees half a file), replacing what was there. */
export function writeBaseline(where: BaselineLocation, findings: readonly Finding[]): BaselineFile {
  const baseline = baselineOf(findings);
  writeFileAtomic(where.path, `${JSON.stringify(baseline, null, 2)}\n`);
  return baseline;
}

/** Leaves out the accepted findings; the summary counts them (`baselined`) and recounts severities. */
export function applyBaseline<R extends ScanResult>(result: R, accepted: ReadonlySet<string>): R & { summary: { baselined: number } } {
  const findings = result.findings.filter((f) => !accepted.has(f.fingerprint));
  const summary = { ...result.summary, bySeverity: recount(result, findings), baselined: result.findings.length - findings.length };
  return { ...result, findings, summary };
}

/**
 * Leaves out the findings `before` already had (the same files as they were before a change, under
 * the same paths, so fingerprints match): what the change did not add, counted in summary.inHead.
 * The pre-commit check judges the staged files against HEAD with it, `br run` a task's change.
 */
export function withoutFindingsIn<R extends ScanResult>(
  result: R,
  before: Pick<ScanResult, "findings">,
): R & { summary: { inHead: number } } {
  const had = new Set(before.findings.map((f) => f.fingerprint));
  const findings = result.findings.filter((f) => !had.has(f.fingerprint));
  const summary = { ...result.summary, bySeverity: recount(result, findings), inHead: result.findings.length - findings.length };
  return { ...result, findings, summary };
}

function recount(result: ScanResult, findings: readonly Finding[]): Record<string, number> {
  return Object.fromEntries(Object.keys(result.summary.bySeverity).map((s) => [s, findings.filter((f) => f.severity === s).length]));
}
