/**
 * Registry rules that need no schema library: statuses, priorities, allowed moves, ids and
 * ordering. Kept apart from the zod schemas so the CLI can use them without loading zod.
 */
import { usageError } from "../infra/errors.js";
import { withoutSecrets } from "../security/mask.js";
import type { Feature } from "./feature.js";

export const FEATURE_STATUSES = ["planned", "in_progress", "testing", "complete", "blocked"] as const;
export const PRIORITIES = ["critical", "high", "medium", "low"] as const;

export type FeatureStatus = (typeof FEATURE_STATUSES)[number];
export type Priority = (typeof PRIORITIES)[number];

export const ID_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

/** The allowed status moves (SPEC §3). complete → in_progress additionally needs --reopen. */
export const ALLOWED_MOVES: Record<FeatureStatus, readonly FeatureStatus[]> = {
  planned: ["in_progress", "blocked"],
  in_progress: ["testing", "blocked", "planned"],
  testing: ["complete", "in_progress", "blocked"],
  blocked: ["planned", "in_progress"],
  complete: ["in_progress"],
};

export interface MoveOptions {
  force?: boolean;
  reopen?: boolean;
}

/** Throws (exit 2) unless `from → to` is allowed; returns whether --force had to be used. */
export function checkMove(feature: Feature, to: FeatureStatus, options: MoveOptions): { forced: boolean } {
  const from = feature.status;
  if (from === to) return { forced: false };
  const allowed = ALLOWED_MOVES[from];
  const legal = allowed.includes(to) && (from !== "complete" || options.reopen === true);
  if (legal) return { forced: false };
  if (options.force) return { forced: true };
  const moves = allowed.map((s) => (from === "complete" ? `${s} (with --reopen)` : s)).join(", ");
  const reopenOnly = from === "complete" && to === "in_progress";
  throw usageError(
    reopenOnly
      ? `Feature "${feature.id}" is complete; reopening it needs --reopen.`
      : `Feature "${feature.id}" cannot move from ${from} to ${to}. Allowed from ${from}: ${moves}.`,
    { fix: reopenOnly ? "Add --reopen." : "Move it through the allowed states, or add --force to override (the override is recorded)." },
  );
}

/**
 * The id made from a name. A secret in the name is left out entirely: an id cannot be masked, and
 * it is written everywhere (branches, prompt file names, commits).
 */
export function slugify(name: string): string {
  return withoutSecrets(name)
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64)
    .replace(/-+$/, "");
}

export function validateId(id: string): string {
  if (!ID_PATTERN.test(id)) {
    throw usageError(`"${id}" is not a valid feature id.`, {
      fix: "Use lowercase letters, digits and dashes, starting with a letter or digit (e.g. user-authentication).",
    });
  }
  return id;
}

export function parsePriority(value: string): Priority {
  if ((PRIORITIES as readonly string[]).includes(value)) return value as Priority;
  throw usageError(`Unknown priority "${value}".`, { fix: `Use one of: ${PRIORITIES.join(", ")}.` });
}

export function parseStatus(value: string): FeatureStatus {
  if ((FEATURE_STATUSES as readonly string[]).includes(value)) return value as FeatureStatus;
  throw usageError(`Unknown status "${value}".`, { fix: `Use one of: ${FEATURE_STATUSES.join(", ")}.` });
}

const PRIORITY_RANK: Record<Priority, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/** Registry order: priority first (all four levels), then the order features were added. */
export function byPriority(a: Feature, b: Feature): number {
  return PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority];
}

/** Finds a dependency cycle among features, returned as ids `a → b → a`, or undefined. */
export function findDependencyCycle(features: readonly Feature[]): string[] | undefined {
  const deps = new Map(features.map((f) => [f.id, f.dependsOn]));
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    const seen = state.get(id);
    if (seen === "done") return undefined;
    if (seen === "visiting") return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, "visiting");
    stack.push(id);
    for (const dep of deps.get(id) ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const feature of features) {
    const cycle = visit(feature.id);
    if (cycle) return cycle;
  }
  return undefined;
}
