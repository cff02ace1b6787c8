/** Reporters for scan results: text for people, SARIF 2.1.0 for code-scanning tools. */
import { style } from "../infra/log.js";
import { sarifLog } from "../infra/sarif.js";
import type { Finding, ScanResult, SkippedFile } from "./scan.js";

/** What the check command reports: a scan, maybe over commits, maybe with a baseline applied. */
export type Report = ScanResult & { summary: ScanResult["summary"] & { commits?: number; baselined?: number; inHead?: number } };

/** The commit a finding from history was added in (findings of other kinds carry none). */
function commitOf(finding: Finding): string | undefined {
  return "commit" in finding ? finding.commit : undefined;
}

/** At most this many skipped files are listed one by one; the JSON report lists them all. */
const SKIPPED_SHOWN = 20;

function skippedLines(result: Report): string[] {
  const skipped = result.summary.skippedFiles ?? [];
  const lines = skipped.slice(0, SKIPPED_SHOWN).map((s) => `${style.yellow("skipped ")} ${s.file}  ${style.dim(s.reason)}`);
  if (skipped.length > SKIPPED_SHOWN)
    lines.push(style.dim(`  … and ${skipped.length - SKIPPED_SHOWN} more skipped (--json lists them all)`));
  return lines;
}

/** The last line: what was scanned, and never a clean "no findings" that hides files left unscanned. */
function summaryLine(result: Report): string {
  const s = result.summary;
  const scanned = s.commits !== undefined ? `${s.commits} commit(s), ${s.files} changed files` : `${s.files} files`;
  const baselined = s.baselined ? `, ${s.baselined} accepted by the baseline` : "";
  const inHead = s.inHead ? `, ${s.inHead} already in HEAD's version of the file, not new: not counted` : "";
  const figures = `(${(s.bytes / 1024 / 1024).toFixed(1)} MB, ${s.durationMs} ms${baselined}${inHead})`;
  const skipped = s.skipped > 0 ? `; ${s.skipped} file(s) skipped, not scanned (listed above)` : "";
  if (result.findings.length > 0) return `${result.findings.length} finding(s) in ${scanned}${skipped} ${figures}`;
  if (s.skipped === 0 && s.files === 0 && s.commits === undefined) return `${style.green("✓ nothing to scan")} ${figures}`;
  if (s.skipped === 0) return `${style.green("✓ no findings")} in ${scanned} ${figures}`;
  if (s.files === 0 && s.commits === undefined)
    return `${style.yellow("!")} nothing scanned: ${s.skipped} file(s) skipped (listed above) ${figures}`;
  return `${style.yellow("!")} no findings in ${scanned}${skipped} ${figures}`;
}

/**
 * `pushing`: the findings are in commits not pushed yet, which can still be rewritten; `staged`: in
 * what is about to be committed, which can still be taken out.
 */
export function renderText(result: Report, context: { pushing?: boolean; staged?: boolean } = {}): string[] {
  const lines: string[] = [];
  for (const f of result.findings) {
    const color = f.severity === "critical" || f.severity === "high" ? style.red : style.yellow;
    const commit = commitOf(f);
    lines.push(
      `${color(f.severity.padEnd(8))} ${f.file}:${f.line}:${f.column}  ${f.message}  ${style.dim(f.match)}${commit ? `  commit ${commit.slice(0, 12)}` : ""}`,
    );
  }
  lines.push(...skippedLines(result), summaryLine(result));
  if (result.findings.length > 0) {
    lines.push(
      style.dim("  A false positive? Add `br:allow` (or `gitleaks:allow`) in a comment on its line, or an allowlist in .gitleaks.toml."),
    );
    if (context.pushing) {
      lines.push(
        style.dim(
          "  The push was stopped: remove the secret from those commits (git rebase -i, git commit --amend) and push again; revoke it if it was shared.",
        ),
      );
    } else if (context.staged) {
      lines.push(
        style.dim(
          "  The commit was stopped: take the secret out of the staged files (keep it in the environment), `git add` again and commit; revoke it if it was shared.",
        ),
      );
    } else if (result.findings.some((f) => commitOf(f) !== undefined)) {
      lines.push(
        style.dim(
          "  A secret in a commit stays readable in the history: revoke it, then accept the finding with `br security baseline --history`.",
        ),
      );
    } else {
      lines.push(
        style.dim("  Accepting existing findings on purpose? `br security baseline` records them; later checks report only new ones."),
      );
    }
  }
  return lines;
}

export function renderSarif(result: Report): Record<string, unknown> {
  const log = sarifLog(
    result.findings.map((f) => {
      const commit = commitOf(f);
      return {
        ruleId: f.rule,
        ruleText: f.message,
        severity: f.severity,
        message: `${f.message}: ${f.match}`,
        file: f.file,
        region: { startLine: f.line, startColumn: f.column, endLine: f.endLine },
        // commitSha as gitleaks names it; properties.commit for tools that read properties.
        fingerprints: { "buildrunner/v1": f.fingerprint, ...(commit ? { commitSha: commit } : {}) },
        ...(commit ? { properties: { commit } } : {}),
      };
    }),
  );
  const skipped = result.summary.skippedFiles ?? [];
  if (skipped.length > 0) {
    // SARIF's place for "the tool ran but could not look at this": a notification per file.
    const [run] = log.runs as Record<string, unknown>[];
    if (run) run.invocations = [{ executionSuccessful: true, toolExecutionNotifications: skipped.map(skippedNotification) }];
  }
  return log;
}

function skippedNotification(skipped: SkippedFile): Record<string, unknown> {
  return {
    level: "warning",
    message: { text: `${skipped.file} was not scanned: ${skipped.reason}` },
    locations: [{ physicalLocation: { artifactLocation: { uri: skipped.file.split("/").map(encodeURIComponent).join("/") } } }],
  };
}
