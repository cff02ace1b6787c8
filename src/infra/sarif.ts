/** SARIF 2.1.0 logs (what GitHub code scanning and other tools load), shared by every reporter. */
import pkg from "../../package.json" with { type: "json" };
import type { Severity } from "./config.js";

export interface SarifResult {
  ruleId: string;
  /** The rule's one-line description (the first result of a rule supplies it). */
  ruleText: string;
  severity: Severity;
  message: string;
  file: string;
  region: { startLine: number; startColumn?: number; endLine?: number };
  fingerprints: Record<string, string>;
  properties?: Record<string, unknown>;
}

const LEVEL: Record<Severity, "error" | "warning" | "note"> = { critical: "error", high: "error", medium: "warning", low: "note" };

export function sarifLog(results: readonly SarifResult[]): Record<string, unknown> {
  const rules = new Map<string, SarifResult>();
  for (const r of results) if (!rules.has(r.ruleId)) rules.set(r.ruleId, r);
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
            rules: [...rules.values()]
              .sort((a, b) => a.ruleId.localeCompare(b.ruleId))
              .map((r) => ({ id: r.ruleId, shortDescription: { text: r.ruleText }, defaultConfiguration: { level: LEVEL[r.severity] } })),
          },
        },
        results: results.map((r) => ({
          ruleId: r.ruleId,
          level: LEVEL[r.severity],
          message: { text: r.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: r.file.split("/").map(encodeURIComponent).join("/") },
                region: r.region,
              },
            },
          ],
          partialFingerprints: r.fingerprints,
          ...(r.properties ? { properties: r.properties } : {}),
        })),
      },
    ],
  };
}
