/**
 * The Python BuildRunner 3.0: `.buildrunner/features.json` in its own shape (a `project` that may
 * be an object, statuses such as completed / not_started / unknown), or the root `features.json`
 * its v2 migration left, and `.buildrunner/governance/governance.yaml` (or `.buildrunner/governance.yaml`).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import * as yaml from "yaml";
import * as z from "zod";
import { usageError } from "../infra/errors.js";
import type { FeatureStatus } from "../registry/rules.js";
import {
  checkGraph,
  checkShape,
  cleanName,
  emptyPlan,
  type MigrationPlan,
  mapPriority,
  mapStatus,
  noteMapping,
  parseJson,
  readSource,
  shown,
  uniqueId,
} from "./plan.js";
import { carrySettings } from "./settings.js";

const FEATURE_FILES = [join(".buildrunner", "features.json"), "features.json"];
const GOVERNANCE_FILES = [join(".buildrunner", "governance", "governance.yaml"), join(".buildrunner", "governance.yaml")];

const STATUS: Record<string, FeatureStatus> = {
  planned: "planned",
  not_started: "planned",
  pending: "planned",
  todo: "planned",
  unknown: "planned",
  in_progress: "in_progress",
  "in-progress": "in_progress",
  started: "in_progress",
  testing: "testing",
  review: "testing",
  completed: "complete",
  complete: "complete",
  done: "complete",
  blocked: "blocked",
};

const idOrNumber = z.union([z.string().min(1), z.number()]);

const featureSchema = z.looseObject({
  id: idOrNumber.optional(),
  name: z.string().min(1).optional(),
  title: z.string().min(1).optional(),
  description: z.string().optional(),
  status: z.string().optional(),
  priority: z.union([z.string(), z.number()]).optional(),
  dependencies: z.array(idOrNumber).optional(),
  depends_on: z.array(idOrNumber).optional(),
  acceptance_criteria: z.array(z.string()).optional(),
  files: z.array(z.string()).optional(),
});

const fileSchema = z.looseObject({
  project: z.union([z.string(), z.looseObject({ name: z.string().optional(), description: z.string().optional() })]).optional(),
  description: z.string().optional(),
  features: z.array(featureSchema),
});

/** The Python layout's features file, if there is one not already in br's own shape. */
export function detectBr3Python(root: string): string | undefined {
  for (const file of FEATURE_FILES) {
    const path = join(root, file);
    if (!existsSync(path)) continue;
    try {
      const data = JSON.parse(readSource(root, path)) as { schemaVersion?: unknown; features?: unknown };
      if (data.schemaVersion === 1) continue; // br's own registry: nothing to migrate
      if (Array.isArray(data.features)) return path;
    } catch {
      return path; // unreadable: migrating it reports the problem with its place
    }
  }
  return undefined;
}

type Source = z.output<typeof featureSchema>;

function addFeatures(plan: MigrationPlan, features: Source[], name: string): void {
  const taken = new Set<string>();
  const ids = new Map<string, string>();
  const made = features.map((f, index) => {
    const origin = `features[${index}]`;
    const title = cleanName(f.name ?? f.title ?? (f.id !== undefined ? String(f.id) : ""));
    if (!title) throw usageError(`${name}: ${origin} has no name.`, { file: name, place: origin, fix: "Give every feature a name." });
    const id = uniqueId(f.id !== undefined ? String(f.id) : title, taken, `feature-${index + 1}`);
    if (f.id !== undefined) ids.set(String(f.id), id);
    ids.set(title, id);
    const raw = f.status ?? "unknown";
    const status = mapStatus(STATUS, raw, name, `${origin}.status`);
    noteMapping(plan, raw, status);
    return { f, id, title, status, origin };
  });
  for (const { f, id, title, status, origin } of made) {
    const deps = (f.dependencies ?? f.depends_on ?? []).map((d) => ids.get(String(d)) ?? String(d));
    plan.features.push({
      id,
      name: title,
      ...(f.description ? { description: f.description } : {}),
      status,
      priority: mapPriority(f.priority, name, `${origin}.priority`),
      dependsOn: [...new Set(deps)],
      acceptance: f.acceptance_criteria ?? [],
      ...(f.files?.length ? { files: f.files } : {}),
      origin: f.dependencies ? `${origin}.dependencies` : f.depends_on ? `${origin}.depends_on` : origin,
    });
  }
}

function addGovernance(plan: MigrationPlan, root: string): void {
  const file = GOVERNANCE_FILES.map((f) => join(root, f)).find((f) => existsSync(f));
  if (!file) return;
  const name = shown(root, file);
  const doc = yaml.parseDocument(readSource(root, file));
  const error = doc.errors[0];
  if (error) {
    const [line, col] = error.linePos?.[0] ? [error.linePos[0].line, error.linePos[0].col] : [1, 1];
    throw usageError(`${name} is not valid YAML: ${error.message.split("\n")[0]}.`, {
      file: name,
      place: `line ${line}, column ${col}`,
      fix: `Repair the YAML at line ${line}, then run again.`,
    });
  }
  let settings: unknown;
  try {
    settings = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw usageError(`${name} cannot be read: ${(e as Error).message}.`, {
      file: name,
      fix: "Simplify the YAML (aliases), then run again.",
    });
  }
  plan.read.push(name);
  carrySettings(plan, name, settings);
}

export function readBr3Python(root: string, path = detectBr3Python(root)): MigrationPlan {
  if (!path) throw usageError("No Python BuildRunner 3.0 features.json here.", { fix: "Run br migrate in the project's root folder." });
  const plan = emptyPlan("br3-python");
  const name = shown(root, path);
  const data = checkShape(fileSchema, parseJson(readSource(root, path), name), name);
  plan.read.push(name);
  if (typeof data.project === "string") plan.project = data.project;
  else if (data.project?.name) plan.project = data.project.name;
  const described = data.description ?? (typeof data.project === "object" ? data.project.description : undefined);
  if (described) plan.description = described;
  addFeatures(plan, data.features, name);
  addGovernance(plan, root);
  checkGraph(plan, name);
  return plan;
}
