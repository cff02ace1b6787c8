/** Reporters for scan results: text for people, SARIF 2.1.0 for code-scanning tools. */
import pkg from "../../package.json" with { type: "json" };
import { style } from "../infra/log.js";
import type { ScanResult } from "./scan.js";

export function renderText(result: ScanResult): string[] {
  const lines: string[] = [];
  for (const f of result.findings) {
    const color = f.severity === "critical" || f.severity === "high" ? style.red : style.yellow;
    lines.push(`${color(f.severity.padEnd(8))} ${f.file}:${f.line}:${f.column}  ${f.message}  ${style.dim(f.match)}`);
  }
  const s = result.summary;
  lines.push(
    `${result.findings.length === 0 ? style.green("✓ no findings") : `${result.findings.length} finding(s)`} in ${s.files} files (${(s.bytes / 1024 / 1024).toFixed(1)} MB, ${s.durationMs} ms)`,
  );
  if (result.findings.length > 0) {
    lines.push(
      style.dim("  A false positive? Add `br:allow` (or `gitleaks:allow`) in a comment on its line, or an allowlist in .gitleaks.toml."),
    );
  }
  return lines;
}

const LEVEL: Record<string, "error" | "warning" | "note"> = { critical: "error", high: "error", medium: "warning", low: "note" };

export function renderSarif(result: ScanResult): Record<string, unknown> {
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
        results: result.findings.map((f) => ({
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
          partialFingerprints: { "buildrunner/v1": f.fingerprint },
        })),
      },
    ],
  };
}
