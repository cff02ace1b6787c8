/** Reporters for scan results: text for people, SARIF 2.1.0 for code-scanning tools. */
import pkg from "../../package.json" with { type: "json" };
import { style } from "../infra/log.js";
import type { Finding, ScanResult } from "./scan.js";

/** What the check command reports: a scan, maybe over commits, maybe with a baseline applied. */
export type Report = ScanResult & { summary: ScanResult["summary"] & { commits?: number; baselined?: number } };

/** The commit a finding from history was added in (findings of other kinds carry none). */
function commitOf(finding: Finding): string | undefined {
  return "commit" in finding ? finding.commit : undefined;
}

export function renderText(result: Report): string[] {
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
    if (result.findings.some((f) => commitOf(f) !== undefined)) {
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

const LEVEL: Record<string, "error" | "warning" | "note"> = { critical: "error", high: "error", medium: "warning", low: "note" };

export function renderSarif(result: Report): Record<string, unknown> {
  const ruleIds = [...new Set(result.findings.map((f) => f.rule))].sort();
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "BuildRunner",
            version: pkg.version,
            informationUri: "https://www.npmjs.com/package/buildrunner",
            rules: ruleIds.map((id) => {
              const first = result.findings.find((f) => f.rule === id);
              return {
                id,
                shortDescription: { text: first?.message ?? id },
                defaultConfiguration: { level: LEVEL[first?.severity ?? "high"] },
              };
            }),
          },
        },
        results: result.findings.map((f) => {
          const commit = commitOf(f);
          return {
            ruleId: f.rule,
            level: LEVEL[f.severity],
            message: { text: `${f.message}: ${f.match}` },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: f.file.split("/").map(encodeURIComponent).join("/") },
                  region: { startLine: f.line, startColumn: f.column, endLine: f.endLine },
                },
              },
            ],
            // commitSha as gitleaks names it; properties.commit for tools that read properties.
            partialFingerprints: { "buildrunner/v1": f.fingerprint, ...(commit ? { commitSha: commit } : {}) },
            ...(commit ? { properties: { commit } } : {}),
          };
        }),
      },
    ],
  };
}
