/**
 * `br gaps fix`: one task per actionable gap in tasks.json, so `br run` closes them. A gap's task
 * id carries the gap's id, so running it again adds nothing twice. Failed and blocked tasks are
 * gaps already in the plan, so they get no new task.
 */
import type { Severity } from "../infra/config.js";
import type { ProjectPaths } from "../infra/project.js";
import type { Complexity, Task } from "../plan/task.js";
import { mutateTasks } from "../plan/task-store.js";
import type { Feature } from "../registry/feature.js";
import type { Gap, GapKind } from "./gaps.js";

/** The feature gap tasks belong to when a gap names none. */
export const GAPS_FEATURE = "quality-gaps";

const ACTIONABLE = new Set<GapKind>(["feature-unbacked", "feature-untested", "stub", "gate-failed", "security", "untested", "marker"]);
const WORK: Record<GapKind, { kind: string; complexity: Complexity; minutes: number }> = {
  "feature-unbacked": { kind: "implementation", complexity: "complex", minutes: 120 },
  "feature-untested": { kind: "tests", complexity: "moderate", minutes: 60 },
  stub: { kind: "implementation", complexity: "moderate", minutes: 45 },
  "gate-failed": { kind: "verify", complexity: "moderate", minutes: 45 },
  security: { kind: "security", complexity: "simple", minutes: 20 },
  untested: { kind: "tests", complexity: "simple", minutes: 30 },
  marker: { kind: "implementation", complexity: "simple", minutes: 20 },
  "task-failed": { kind: "implementation", complexity: "moderate", minutes: 30 },
  "task-blocked": { kind: "implementation", complexity: "moderate", minutes: 30 },
};

export interface GapsFixResult {
  added: { task: string; gap: string }[];
  existing: { task: string; gap: string; status: string }[];
  skipped: { gap: string; reason: string }[];
}

function acceptanceFor(gap: Gap): string[] {
  const place = gap.file ? `${gap.file}${gap.line ? `:${gap.line}` : ""}` : undefined;
  switch (gap.kind) {
    case "untested":
      return [`a test imports ${gap.file} and checks its behaviour`, "`br gaps analyze` no longer reports it untested"];
    case "feature-untested":
      return [`tests cover the acceptance criteria of feature ${gap.featureId}`];
    case "feature-unbacked":
      return [`feature ${gap.featureId} has code and tests that meet its acceptance criteria`];
    case "stub":
      return [`${gap.message.split(" ")[0]} in ${gap.file} is implemented and tested`];
    case "security":
      return [`\`br security check\` reports nothing at ${place}`];
    case "gate-failed":
      return ["`br quality check` passes"];
    default:
      return [`${place ?? "the marker"} is resolved and the marker removed`];
  }
}

export async function fixGaps(paths: ProjectPaths, gaps: readonly Gap[]): Promise<GapsFixResult> {
  return mutateTasks(paths, (plan, registry) => {
    const result: GapsFixResult = { added: [], existing: [], skipped: [] };
    const features = new Set(registry.features.map((f) => f.id));
    const byId = new Map(plan.tasks.map((t) => [t.id, t]));
    let needsGapsFeature = false;
    for (const gap of gaps) {
      if (!ACTIONABLE.has(gap.kind)) {
        result.skipped.push({ gap: gap.id, reason: `${gap.kind}: already a task in the plan` });
        continue;
      }
      const featureId = gap.featureId && features.has(gap.featureId) ? gap.featureId : GAPS_FEATURE;
      const id = `${featureId}.${gap.id}`;
      const existing = byId.get(id);
      if (existing) {
        result.existing.push({ task: id, gap: gap.id, status: existing.status });
        continue;
      }
      if (featureId === GAPS_FEATURE) needsGapsFeature = true;
      const work = WORK[gap.kind];
      const task: Task = {
        id,
        featureId,
        title: `${gap.kind === "marker" ? "Resolve" : "Fix"}: ${gap.message}`.slice(0, 200),
        description: `${gap.message}\n\nSuggested fix: ${gap.suggestion}${gap.file ? `\nPlace: ${gap.file}${gap.line ? `:${gap.line}` : ""}` : ""}\n(gap ${gap.id}, found by br gaps analyze)`,
        status: "pending",
        dependsOn: [],
        priority: gap.severity satisfies Severity,
        complexity: work.complexity,
        estimateMinutes: work.minutes,
        files: gap.file ? [gap.file] : [],
        acceptance: acceptanceFor(gap),
        kind: work.kind,
      };
      plan.tasks.push(task);
      byId.set(id, task);
      result.added.push({ task: id, gap: gap.id });
    }
    if (!needsGapsFeature || features.has(GAPS_FEATURE)) return { result };
    return {
      result,
      followFeatures: (fresh) => {
        if (fresh.features.some((f) => f.id === GAPS_FEATURE)) return;
        const now = new Date().toISOString();
        const feature: Feature = {
          id: GAPS_FEATURE,
          name: "Close quality gaps",
          description: "Work found by `br gaps analyze` that belongs to no single feature.",
          status: "in_progress",
          priority: "high",
          dependsOn: [],
          acceptance: ["`br gaps analyze` reports none of the gaps these tasks were made for"],
          createdAt: now,
          updatedAt: now,
        };
        fresh.features.push(feature);
      },
    };
  });
}
