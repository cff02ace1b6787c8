/**
 * BuildRunner 2.0: `.runner/hrpo.json` (summary, features, build plan of phases and steps),
 * `.runner/governance.json` and optionally `.runner/config.json`. Phases become features and their
 * steps tasks; the listed features become features. `.env` beside them is never opened.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import * as z from "zod";
import type { TaskStatus } from "../plan/task.js";
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
  statusFromTasks,
  uniqueId,
} from "./plan.js";
import { carrySettings } from "./settings.js";

const HRPO = join(".runner", "hrpo.json");
const GOVERNANCE = join(".runner", "governance.json");
const CONFIG = join(".runner", "config.json");

export function detectV2(root: string): boolean {
  return existsSync(join(root, HRPO)) || existsSync(join(root, GOVERNANCE));
}

const featureEntry = z.union([
  z.string().min(1),
  z.looseObject({
    name: z.string().min(1),
    description: z.string().optional(),
    status: z.string().optional(),
    priority: z.union([z.string(), z.number()]).optional(),
  }),
]);

const hrpoSchema = z.looseObject({
  project_name: z.string().optional(),
  executive_summary: z.string().optional(),
  value_proposition: z.string().optional(),
  intended_audience: z.union([z.string(), z.array(z.string())]).optional(),
  features: z.array(featureEntry).optional(),
  build_plan: z
    .looseObject({
      phases: z.array(
        z.looseObject({
          name: z.string().min(1),
          steps: z
            .array(
              z.looseObject({ id: z.union([z.string(), z.number()]).optional(), name: z.string().min(1), done: z.boolean().optional() }),
            )
            .default([]),
        }),
      ),
    })
    .optional(),
  progress: z
    .looseObject({ steps_completed: z.number().optional(), total_steps: z.number().optional(), percent_complete: z.number().optional() })
    .optional(),
  next_version_features: z.array(featureEntry).optional(),
});

const governanceSchema = z.looseObject({
  project: z.looseObject({ name: z.string().optional(), slug: z.string().optional() }).optional(),
});

/** v2 feature statuses (free words in practice) to br's. */
const FEATURE_STATUS: Record<string, FeatureStatus> = {
  planned: "planned",
  pending: "planned",
  todo: "planned",
  not_started: "planned",
  proposed: "planned",
  in_progress: "in_progress",
  "in-progress": "in_progress",
  active: "in_progress",
  wip: "in_progress",
  testing: "testing",
  review: "testing",
  done: "complete",
  complete: "complete",
  completed: "complete",
  shipped: "complete",
  blocked: "blocked",
};

type Hrpo = z.output<typeof hrpoSchema>;

function description(hrpo: Hrpo): string | undefined {
  const audience = Array.isArray(hrpo.intended_audience) ? hrpo.intended_audience.join(", ") : hrpo.intended_audience;
  const parts = [hrpo.executive_summary, hrpo.value_proposition && `Value: ${hrpo.value_proposition}`, audience && `Audience: ${audience}`];
  const text = parts.filter(Boolean).join("\n\n");
  return text || undefined;
}

function addListed(plan: MigrationPlan, hrpo: Hrpo, taken: Set<string>, name: string): void {
  const lists = [
    { list: hrpo.features ?? [], field: "features", next: false },
    { list: hrpo.next_version_features ?? [], field: "next_version_features", next: true },
  ];
  for (const { list, field, next } of lists) {
    list.forEach((entry, index) => {
      const origin = `${field}[${index}]`;
      const item = typeof entry === "string" ? { name: entry } : entry;
      const rawStatus = "status" in item && item.status ? item.status : "planned";
      const status = mapStatus(FEATURE_STATUS, rawStatus, name, `${origin}.status`);
      noteMapping(plan, `feature ${rawStatus}`, status);
      const notes = [item.description, next ? "Planned for the next version (v2 next_version_features)." : undefined].filter(Boolean);
      plan.features.push({
        id: uniqueId(item.name, taken, `feature-${index + 1}`),
        name: cleanName(item.name) || `Feature ${index + 1}`,
        ...(notes.length ? { description: notes.join("\n\n") } : {}),
        status,
        priority: next ? "low" : mapPriority("priority" in item ? item.priority : undefined, name, `${origin}.priority`),
        dependsOn: [],
        acceptance: [],
        origin,
      });
    });
  }
}

/** Each phase a feature, each step a task; steps run in order, each phase after the one before. */
function addPhases(plan: MigrationPlan, hrpo: Hrpo, taken: Set<string>): void {
  let previous: { feature: string; lastTask: string | undefined } | undefined;
  (hrpo.build_plan?.phases ?? []).forEach((phase, p) => {
    const featureId = uniqueId(phase.name, taken, `phase-${p + 1}`);
    const stepIds = new Set<string>();
    const statuses: TaskStatus[] = [];
    let last = previous?.lastTask;
    phase.steps.forEach((step, s) => {
      const id = `${featureId}.${uniqueId(String(step.id ?? step.name), stepIds, `step-${s + 1}`)}`;
      const status: TaskStatus = step.done === true ? "done" : "pending";
      noteMapping(plan, step.done === true ? "step done" : "step not done", status);
      statuses.push(status);
      const origin = `build_plan.phases[${p}].steps[${s}]`;
      plan.tasks.push({
        id,
        featureId,
        title: step.name,
        description: step.name,
        status,
        dependsOn: last ? [last] : [],
        priority: "medium",
        files: [],
        acceptance: [],
        origin,
      });
      last = id;
    });
    const status = statusFromTasks(statuses);
    noteMapping(plan, "phase (from its steps)", status);
    plan.features.push({
      id: featureId,
      name: cleanName(phase.name) || `Phase ${p + 1}`,
      description: `Build phase ${p + 1} of the v2 build plan.`,
      status,
      priority: "medium",
      dependsOn: previous ? [previous.feature] : [],
      acceptance: [],
      origin: `build_plan.phases[${p}]`,
    });
    previous = { feature: featureId, lastTask: last };
  });
}

function checkProgress(plan: MigrationPlan, hrpo: Hrpo): void {
  const done = plan.tasks.filter((t) => t.status === "done").length;
  const said = hrpo.progress?.steps_completed;
  if (said !== undefined && said !== done)
    plan.notes.push(`hrpo.json progress says ${said} steps completed; the build plan marks ${done} done (the steps are what was carried).`);
}

export function readV2(root: string): MigrationPlan {
  const plan = emptyPlan("v2");
  const hrpoName = shown(root, join(root, HRPO));
  const hrpo: Hrpo = existsSync(join(root, HRPO))
    ? checkShape(hrpoSchema, parseJson(readSource(root, join(root, HRPO)), hrpoName), hrpoName)
    : {};
  if (existsSync(join(root, HRPO))) plan.read.push(hrpoName);
  const taken = new Set<string>();
  addListed(plan, hrpo, taken, hrpoName);
  addPhases(plan, hrpo, taken);
  checkProgress(plan, hrpo);
  const described = description(hrpo);
  if (described) plan.description = described;
  if (hrpo.project_name) plan.project = hrpo.project_name;
  for (const [file, schema] of [
    [GOVERNANCE, governanceSchema],
    [CONFIG, z.looseObject({})],
  ] as const) {
    const path = join(root, file);
    if (!existsSync(path)) continue;
    const name = shown(root, path);
    const data = checkShape(schema, parseJson(readSource(root, path), name), name);
    plan.read.push(name);
    const project = (data as z.output<typeof governanceSchema>).project;
    if (project?.name) plan.project = project.name;
    carrySettings(plan, name, data, ["project.name", "project.slug"]);
  }
  checkGraph(plan, hrpoName);
  return plan;
}
