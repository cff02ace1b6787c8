/** Gaps as SARIF 2.1.0: feature and task gaps point at the registry and plan files. */
import { sarifLog } from "../infra/sarif.js";
import type { GapReport } from "./gaps.js";

export function gapsSarif(report: GapReport): Record<string, unknown> {
  return sarifLog(
    report.gaps.map((g) => ({
      ruleId: g.kind,
      ruleText: `BuildRunner gap: ${g.kind}`,
      severity: g.severity,
      message: `${g.message} Fix: ${g.suggestion}`,
      file: g.file ?? (g.kind.startsWith("task-") ? ".buildrunner/tasks.json" : ".buildrunner/features.json"),
      region: { startLine: g.line ?? 1 },
      fingerprints: { "buildrunner/v1": g.id },
      ...(g.featureId ? { properties: { featureId: g.featureId } } : {}),
    })),
  );
}
