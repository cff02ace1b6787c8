/** Reporters for scan results: text for people, SARIF 2.1.0 for code-scanning tools. */
import { style } from "../infra/log.js";
import { sarifLog } from "../infra/sarif.js";
import type { Finding, ScanResult } from "./scan.js";

/** What the check command reports: a scan, maybe over commits, maybe with a baseline applied. */
export type Report = ScanResult & { summary: ScanResult["summary"] & { commits?: number; baselined?: number } };

/** The commit a finding from history was added in (findings of other kinds carry none). */
function commitOf(finding: Finding): string | undefined {
  return "commit" in finding ? finding.commit : undefined;
}

/** `pushing`: the findings are in commits not pushed yet, which can still be rewritten. */
export function renderText(result: Report, context: { pushing?: boolean } = {}): string[] {
  const lines: string[] = [];
  for (const f of result.findings) {
    const color = f.severity === "critical" || f.severity === "high" ? style.red : style.yellow;
    const commit = commitOf(f);
    lines.push(
      `${color(f.severity.padEnd(8))} ${f.file}:${f.line}:${f.column}  ${f.message}  ${style.dim(f.match)}${commit ? `  commit ${commit.slice(0, 12)}` : ""}`,
    );
  }
  const s = result.summary;
  const scanned = s.commits !== undefined ? `${s.commits} commit(s), ${s.files} changed files` : `${s.files} files`;
  const baselined = s.baselined ? `, ${s.baselined} accepted by the baseline` : "";
  lines.push(
    `${result.findings.length === 0 ? style.green("✓ no findings") : `${result.findings.length} finding(s)`} in ${scanned} (${(s.bytes / 1024 / 1024).toFixed(1)} MB, ${s.durationMs} ms${baselined})`,
  );
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
  return sarifLog(
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
}
