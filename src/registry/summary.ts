import type { FeaturesFile } from "./feature.js";
import { FEATURE_STATUSES, type FeatureStatus } from "./rules.js";

export interface StatusSummary {
  project: string;
  counts: Record<FeatureStatus, number>;
  completion: number;
}

export function summarize(registry: FeaturesFile): StatusSummary {
  const counts = Object.fromEntries(FEATURE_STATUSES.map((s) => [s, 0])) as Record<FeatureStatus, number>;
  for (const feature of registry.features) counts[feature.status]++;
  const total = registry.features.length;
  const completion = total === 0 ? 0 : Math.round((counts.complete / total) * 1000) / 10;
  return { project: registry.project, counts, completion };
}

export const STATUS_LABELS: Record<FeatureStatus, string> = {
  planned: "Planned",
  in_progress: "In progress",
  testing: "Testing",
  complete: "Complete",
  blocked: "Blocked",
};
