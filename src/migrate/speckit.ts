/**
 * GitHub spec-kit: `specs/<NNN-name>/` with spec.md, plan.md and tasks.md. Each folder becomes a
 * feature (its id the folder's name, so importing again updates in place) and each checklist line
 * `- [ ] T012 [P] [US1] Description with path` a task of it (`001-albums.t012`). Phases (headings)
 * order the work: a phase starts after the one before ends; inside a phase, tasks run in order
 * unless marked [P] (parallel-safe: different files), and the paths a task names are its files.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { usageError } from "../infra/errors.js";
import type { TaskStatus } from "../plan/task.js";
import { type Priority, slugify } from "../registry/rules.js";
import {
  checkGraph,
  cleanName,
  emptyPlan,
  type MigrationPlan,
  noteMapping,
  type PlanTask,
  readSource,
  shown,
  statusFromTasks,
} from "./plan.js";

const TASK_LINE = /^\s*[-*]\s+\[([ xX])\]\s+(T\d{1,6})\b[:.]?\s*(.*)$/;
const MARKER = /^\[(P|US\d+|Story[^\]]*)\]\s*/i;
const PATH =
  /(?:^|[\s`'"(])((?:[\w.-]+\/)+[\w.-]+\.\w{1,8}|[\w-]+\.(?:ts|tsx|js|jsx|mjs|py|go|rs|java|kt|rb|cs|sql|json|ya?ml|toml|md))(?=$|[\s`'"),;:])/g;
const DEPENDS = /depends on:?\s+(T\d+(?:\s*(?:,|and)\s*T\d+)*)/i;
const PRIORITY: Record<string, Priority> = { p0: "critical", p1: "high", p2: "medium", p3: "low" };

/** A line of the Dependencies section: `T008 blocks T009, T015` or `T014 depends on T012`. */
const BLOCKS = /\b(T\d+)\s+(blocks|depends on:?)\s+(T\d+(?:\s*(?:,|and)\s*T\d+)*)/i;
/** A user-story phase (`## Phase 3: User Story 1 - …`): it waits for the foundation, not for other stories. */
const STORY = /\bUser Story\b|\[US\d+\]/i;

interface ParsedTask {
  task: PlanTask;
  parallel: boolean;
  phase: number;
  story: boolean;
  explicit: string[];
  line: number;
}

interface Phase {
  index: number;
  priority: Priority;
  story: boolean;
}

function filesIn(text: string): string[] {
  return [...new Set([...text.matchAll(PATH)].map((m) => m[1] as string).filter((p) => !/^\d+(\.\d+)+$/.test(p)))];
}

function parseLine(match: RegExpExecArray, featureId: string, phase: Phase, line: number): ParsedTask {
  let rest = match[3] as string;
  let parallel = false;
  for (let marker = MARKER.exec(rest); marker; marker = MARKER.exec(rest)) {
    if ((marker[1] as string).toUpperCase() === "P") parallel = true;
    rest = rest.slice(marker[0].length);
  }
  const title = cleanName(rest) || (match[2] as string);
  const status: TaskStatus = match[1] === " " ? "pending" : "done";
  const explicit = (DEPENDS.exec(rest)?.[1] ?? "").match(/T\d+/g) ?? [];
  const task: PlanTask = {
    id: `${featureId}.${(match[2] as string).toLowerCase()}`,
    featureId,
    title,
    description: title,
    status,
    dependsOn: [],
    priority: phase.priority,
    files: filesIn(rest),
    acceptance: [],
    origin: `line ${line}`,
  };
  const own = explicit.map((t) => `${featureId}.${t.toLowerCase()}`);
  return { task, parallel, phase: phase.index, story: phase.story, explicit: own, line };
}

/**
 * A heading: level 2 (`## Phase 2: Foundational`), or any level naming a phase, starts a phase;
 * deeper ones (`### Tests for User Story 1`) are parts of the phase and keep its priority.
 */
function heading(lineText: string, phase: Phase): void {
  const level = /^(#{2,4})\s/.exec(lineText)?.[1]?.length;
  if (level === undefined || (level > 2 && !/\bphase\b/i.test(lineText))) return;
  phase.index++;
  const p = /priority:?\s*(P[0-3])/i.exec(lineText)?.[1]?.toLowerCase();
  phase.priority = p ? (PRIORITY[p] as Priority) : "medium";
  phase.story = STORY.test(lineText);
}

/** The Dependencies section's `T008 blocks T009, T015` lines, as [before, after] pairs of task ids. */
function blockLine(lineText: string, featureId: string): [string, string][] {
  const m = BLOCKS.exec(lineText);
  if (!m) return [];
  const id = (t: string) => `${featureId}.${t.toLowerCase()}`;
  const others = (m[3] as string).match(/T\d+/g) ?? [];
  const blocks = (m[2] as string).toLowerCase() === "blocks";
  return others.map((o) => (blocks ? [id(m[1] as string), id(o)] : [id(o), id(m[1] as string)]));
}

function parseTasksFile(text: string, featureId: string, name: string): ParsedTask[] {
  const out: ParsedTask[] = [];
  const phase: Phase = { index: 0, priority: "medium", story: false };
  const seen = new Set<string>();
  const edges: [string, string][] = [];
  text.split(/\r?\n/).forEach((lineText, i) => {
    heading(lineText, phase);
    const match = TASK_LINE.exec(lineText);
    if (!match) {
      edges.push(...blockLine(lineText, featureId));
      return;
    }
    const parsed = parseLine(match, featureId, phase, i + 1);
    if (seen.has(parsed.task.id))
      throw usageError(`${name}: line ${i + 1} repeats the task id ${match[2]}.`, {
        file: name,
        place: `line ${i + 1}`,
        fix: "Give every task its own T-number.",
      });
    seen.add(parsed.task.id);
    out.push(parsed);
  });
  for (const [before, after] of edges) out.find((p) => p.task.id === after)?.explicit.push(before);
  return out;
}

/**
 * Phases in order; inside one, a task not marked [P] follows the task before it. As spec-kit's
 * "Dependencies & Execution Order" has it, user-story phases all start after the phase before the
 * first of them (Foundational) and not after one another; the next other phase (Polish) waits for all.
 */
function order(parsed: ParsedTask[]): void {
  let previous: string[] = [];
  let stories: string[] = [];
  const phases = [...new Set(parsed.map((p) => p.phase))];
  for (const phase of phases) {
    const members = parsed.filter((p) => p.phase === phase);
    const story = members[0]?.story === true;
    const entry = story || stories.length === 0 ? previous : stories;
    members.forEach((p, i) => {
      const before = members[i - 1];
      const inside = !p.parallel && before ? [before.task.id] : [];
      p.task.dependsOn = [...new Set([...(inside.length ? inside : entry), ...p.explicit])].filter((d) => d !== p.task.id);
    });
    const depended = new Set(members.flatMap((p) => p.task.dependsOn));
    const sinks = members.filter((p) => !depended.has(p.task.id)).map((p) => p.task.id);
    if (story) stories = [...stories, ...sinks];
    else [previous, stories] = [sinks, []];
  }
}

/** The feature's name from spec.md's or tasks.md's title, else the folder's. */
function title(texts: string[], folder: string): string {
  for (const text of texts) {
    const heading = /^#\s+(?:Feature Specification|Tasks|Implementation Plan)?:?\s*(.+)$/m.exec(text)?.[1]?.trim();
    if (heading && !/^\[.*\]$/.test(heading)) return cleanName(heading) || folder;
  }
  return folder;
}

/** spec.md's acceptance scenarios (Given / When / Then), as acceptance criteria. */
function acceptance(spec: string): string[] {
  return spec
    .split(/\r?\n/)
    .filter((l) => /^\s*(\d+\.|[-*])\s+.*\bGiven\b.*\bThen\b/i.test(l))
    .map((l) =>
      l
        .replace(/^\s*(\d+\.|[-*])\s+/, "")
        .replace(/\*\*/g, "")
        .trim(),
    )
    .slice(0, 50);
}

function readFolder(plan: MigrationPlan, root: string, dir: string): void {
  const folder = basename(dir);
  const featureId = slugify(folder) || "spec";
  const read = (file: string) => {
    const path = join(dir, file);
    if (!existsSync(path)) return "";
    plan.read.push(shown(root, path));
    return readSource(root, path);
  };
  const spec = read("spec.md");
  const tasksText = read("tasks.md");
  if (!spec && !tasksText) return;
  const parsed = parseTasksFile(tasksText, featureId, shown(root, join(dir, "tasks.md")));
  order(parsed);
  for (const p of parsed) {
    noteMapping(plan, p.task.status === "done" ? "[x]" : "[ ]", p.task.status);
    plan.tasks.push(p.task);
  }
  const status = statusFromTasks(parsed.map((p) => p.task.status));
  noteMapping(plan, "spec (from its tasks)", status);
  plan.features.push({
    id: featureId,
    name: title([spec, tasksText], folder),
    status,
    priority: "medium",
    dependsOn: [],
    acceptance: acceptance(spec),
    origin: shown(root, dir),
  });
}

/** The spec folders under `dir` (specs/ by default), or `dir` itself when it is one. */
function folders(dir: string): string[] {
  if (existsSync(join(dir, "tasks.md")) || existsSync(join(dir, "spec.md"))) return [dir];
  return readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isDirectory())
    .sort()
    .map((name) => join(dir, name));
}

export function readSpeckit(root: string, dir = join(root, "specs")): MigrationPlan {
  const name = shown(root, dir);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw usageError(`${name} is not a folder of spec-kit specs.`, {
      file: name,
      fix: "Give the specs/ folder (or one specs/<NNN-name>/ folder).",
    });
  const plan = emptyPlan("speckit");
  for (const folder of folders(dir)) readFolder(plan, root, folder);
  if (plan.features.length === 0)
    throw usageError(`${name} holds no spec-kit spec (no <NNN-name>/spec.md or tasks.md).`, {
      file: name,
      fix: "Run /specify and /tasks first, or point at the right folder.",
    });
  for (const feature of plan.features)
    checkGraph({ ...plan, tasks: plan.tasks.filter((t) => t.featureId === feature.id) }, `${name}/${basename(feature.origin)}/tasks.md`);
  return plan;
}

/** For the fuzz test and single files: one tasks.md's text as a plan. */
export function parseSpeckitTasks(text: string, featureId: string, name: string): MigrationPlan {
  const plan = emptyPlan("speckit");
  const parsed = parseTasksFile(text, featureId, name);
  order(parsed);
  plan.tasks = parsed.map((p) => p.task);
  plan.features.push({
    id: featureId,
    name: featureId,
    status: statusFromTasks(plan.tasks.map((t) => t.status)),
    priority: "medium",
    dependsOn: [],
    acceptance: [],
    origin: name,
  });
  checkGraph(plan, name);
  return plan;
}
