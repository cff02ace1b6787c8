/**
 * The last full check of a project's working tree, kept in its state database for the dashboard:
 * the counts and the first findings, each already masked (a finding's match keeps 4 characters).
 */
import type { ProjectPaths } from "../infra/project.js";
import { recordEvent } from "../infra/state-db.js";
import { mask } from "./mask.js";

const KEPT_FINDINGS = 100;

interface Finding {
  rule: string;
  file: string;
  line: number;
  severity: string;
  match: string;
}

export function recordLatestCheck(paths: ProjectPaths, findings: readonly Finding[]): void {
  const bySeverity: Record<string, number> = {};
  for (const f of findings) bySeverity[f.severity] = (bySeverity[f.severity] ?? 0) + 1;
  recordEvent(paths, "security.check", null, {
    total: findings.length,
    bySeverity,
    findings: findings
      .slice(0, KEPT_FINDINGS)
      .map((f) => ({ rule: f.rule, file: f.file, line: f.line, severity: f.severity, match: mask(f.match) })),
  });
}
