/**
 * Deterministic decomposition of features into tasks of about one to two hours. Which kinds of
 * work a feature needs (data model, API, UI, integration, tests, docs…) is read from its text with
 * the keyword rules in data/task-kinds.json; the same registry and tree always give the same plan.
 */
import picomatch from "picomatch";
import rules from "../../data/task-kinds.json" with { type: "json" };
import type { Feature, FeaturesFile } from "../registry/feature.js";
import type { Complexity, Task } from "./task.js";

type KindName = keyof typeof rules.kinds;
interface KindRule {
  title: string;
  summary: string;
  estimate: number;
  keywords: string[];
  pathWords: string[];
  after: string[];
}

const KINDS = rules.kinds as Record<KindName, KindRule>;
const IMPLEMENTATION = rules.implementation as KindName[];
const TEST_PATH = /(^|\/)(tests?|__tests__|spec|specs)\/|\.(test|spec)\.[cm]?[jt]sx?$|(^|\/)test_[^/]+\.py$|_test\.(py|go)$/;
const DOC_PATH = /(^|\/)docs?\/|\.mdx?$/i;
const MAX_FILES_PER_TASK = 40;

function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+(?:-[a-z0-9]+)*/g) ?? [];
}

/** A keyword matches a whole word, or a word prefix when it ends in `*`, or a phrase. */
function matcher(keywords: readonly string[]): (textWords: readonly string[], text: string) => number {
  const exact = new Set(keywords.filter((k) => !k.endsWith("*") && !k.includes(" ")));
  const prefixes = keywords.filter((k) => k.endsWith("*")).map((k) => k.slice(0, -1));
  const phrases = keywords.filter((k) => k.includes(" "));
  return (textWords, text) => {
    let hits = 0;
    for (const word of textWords) if (exact.has(word) || prefixes.some((p) => word.startsWith(p))) hits++;
    for (const phrase of phrases) if (text.includes(phrase)) hits++;
    return hits;
  };
}

const kindMatchers = Object.fromEntries(Object.entries(KINDS).map(([name, rule]) => [name, matcher(rule.keywords)])) as Record<
  KindName,
  ReturnType<typeof matcher>
>;
const riskMatcher = matcher(rules.riskWords);

function featureText(feature: Feature): string {
  return [feature.name, feature.description ?? "", ...feature.acceptance].join("\n").toLowerCase();
}

/** The kinds of implementation work the feature's text calls for, in rule order. */
export function implementationKinds(feature: Feature): KindName[] {
  const text = featureText(feature);
  const all = words(text);
  const nameWords = words(feature.name);
  const matched = IMPLEMENTATION.filter((kind) => kind !== "core" && kindMatchers[kind](all, text) > 0);
  // The main work is "core" unless the feature's own name says which kind of work it is.
  const nameSaysKind = matched.some((kind) => kindMatchers[kind](nameWords, feature.name.toLowerCase()) > 0);
  if (matched.length === 0 || !nameSaysKind) matched.push("core");
  return IMPLEMENTATION.filter((kind) => matched.includes(kind));
}

function complexityFor(minutes: number, risky: boolean): Complexity {
  const base: Complexity = minutes <= 45 ? "simple" : minutes <= 100 ? "moderate" : "complex";
  if (!risky) return base;
  return base === "simple" ? "moderate" : "complex";
}

function assignCriteria(feature: Feature, kinds: KindName[]): Map<KindName, string[]> {
  const out = new Map<KindName, string[]>(kinds.map((k) => [k, []]));
  const fallback = kinds.includes("core") ? "core" : (kinds[0] as KindName);
  for (const criterion of feature.acceptance) {
    const text = criterion.toLowerCase();
    const criterionWords = words(text);
    let best: KindName = fallback;
    let bestHits = 0;
    for (const kind of kinds) {
      const hits = kindMatchers[kind](criterionWords, text);
      if (hits > bestHits) {
        best = kind;
        bestHits = hits;
      }
    }
    out.get(best)?.push(criterion);
  }
  return out;
}

/** Expands the feature's file hints against the tree (globs and paths); unmatched hints are files to create. */
function hintedFiles(feature: Feature, tree: readonly string[]): string[] {
  const found = new Set<string>();
  for (const hint of feature.files ?? []) {
    if (picomatch.scan(hint).isGlob) {
      const isMatch = picomatch(hint, { dot: false });
      const matches = tree.filter((file) => isMatch(file));
      // A pattern that matches nothing yet says where new files go: keep it as the hint.
      for (const file of matches.length > 0 ? matches : [hint]) found.add(file);
    } else found.add(hint.replace(/^\.\//, ""));
  }
  return [...found];
}

/** Without hints: existing files whose name carries one of the feature id's words (e.g. src/search.ts). */
function guessedFiles(feature: Feature, tree: readonly string[]): string[] {
  const tokens = feature.id.split("-").filter((t) => t.length >= 4);
  if (tokens.length === 0) return [];
  return tree
    .filter((file) => {
      const base = file.split("/").at(-1)?.toLowerCase() ?? "";
      return !file.includes("node_modules/") && tokens.some((t) => base.includes(t));
    })
    .slice(0, 10);
}

function assignFiles(files: string[], kinds: KindName[]): Map<KindName | "tests" | "docs", string[]> {
  const out = new Map<KindName | "tests" | "docs", string[]>();
  const add = (kind: KindName | "tests" | "docs", file: string) => {
    const list = out.get(kind) ?? [];
    // A task names the files it will likely touch; past a few dozen that is no longer a hint.
    if (list.length < MAX_FILES_PER_TASK) list.push(file);
    out.set(kind, list);
  };
  const fallback = kinds.includes("core") ? "core" : (kinds[0] as KindName);
  for (const file of files) {
    if (TEST_PATH.test(file)) add("tests", file);
    else if (DOC_PATH.test(file)) add("docs", file);
    else {
      const parts = words(file.replace(/\.[a-z0-9]+$/i, ""));
      const kind = kinds.find((k) => KINDS[k].pathWords.some((w) => parts.includes(w)));
      add(kind ?? fallback, file);
    }
  }
  return out;
}

export interface FeatureTasks {
  featureId: string;
  tasks: Task[];
  /** Tasks no other task of the feature depends on: what a dependent feature waits for. */
  sinks: string[];
  roots: string[];
}

export function decomposeFeature(feature: Feature, tree: readonly string[]): FeatureTasks {
  const impl = implementationKinds(feature);
  const text = featureText(feature);
  const textWords = words(text);
  const risky = riskMatcher(textWords, text) > 0;
  const wantsDocs = kindMatchers.docs(textWords, text) > 0;
  const kinds: KindName[] = [...impl, "tests", ...(wantsDocs ? (["docs"] as KindName[]) : [])];
  const criteria = assignCriteria(feature, impl);
  const hinted = hintedFiles(feature, tree);
  const files = assignFiles(hinted.length > 0 ? hinted : guessedFiles(feature, tree), impl);

  const tasks: Task[] = [];
  const lastOfKind = new Map<string, string>();
  for (const kind of kinds) {
    const own = kind === "tests" ? feature.acceptance : (criteria.get(kind) ?? []);
    const deps = KINDS[kind].after.map((k) => lastOfKind.get(k)).filter((id): id is string => id !== undefined);
    const made = kindTasks(feature, kind, own, deps, { risky, files });
    tasks.push(...made);
    const last = made[made.length - 1];
    if (last) lastOfKind.set(kind, last.id);
  }
  return withEnds(feature.id, tasks);
}

/**
 * The tasks of one kind of work, with its criteria. Work longer than the cap is split into parts
 * that follow one another; the first part depends on `deps`.
 */
function kindTasks(
  feature: Feature,
  kind: KindName,
  own: string[],
  deps: string[],
  context: { risky: boolean; files: Map<string, string[]> },
): Task[] {
  const rule = KINDS[kind];
  const minutes = rule.estimate + Math.max(0, own.length - 1) * rules.perCriterion;
  const parts = Math.max(1, Math.ceil(minutes / rules.maxTaskMinutes));
  const perPart = Math.ceil(minutes / parts);
  const chunk = Math.ceil(own.length / parts);
  const tasks: Task[] = [];
  let previous: string | undefined;
  for (let part = 1; part <= parts; part++) {
    // The first part keeps the plain id, so a task that grows into parts keeps its status.
    const id = `${feature.id}.${kind}${part > 1 ? `-${part}` : ""}`;
    tasks.push({
      id,
      featureId: feature.id,
      title: `${feature.name}: ${rule.title}${parts > 1 ? ` (part ${part} of ${parts})` : ""}`,
      description: taskDescription(feature, kind),
      status: "pending",
      dependsOn: previous ? [previous] : deps,
      priority: feature.priority,
      complexity: complexityFor(perPart, context.risky && kind !== "docs" && kind !== "tests"),
      estimateMinutes: perPart,
      files: context.files.get(kind) ?? [],
      acceptance: parts > 1 && kind !== "tests" ? own.slice((part - 1) * chunk, part * chunk) : own,
      kind,
    });
    previous = id;
  }
  return tasks;
}

function taskDescription(feature: Feature, kind: KindName): string {
  return [
    `${KINDS[kind].summary} for the feature "${feature.name}".`,
    feature.description?.trim() ?? "",
    kind === "tests" ? "Each acceptance criterion below needs at least one test that fails without the feature." : "",
  ]
    .filter(Boolean)
    .join("\n\n");
}

/** Features in dependency order (ties by priority, then registry order), so the plan reads top-down. */
function featuresInOrder(registry: FeaturesFile): Feature[] {
  const rank = { critical: 0, high: 1, medium: 2, low: 3 } as const;
  const byId = new Map(registry.features.map((f) => [f.id, f]));
  const placed = new Set<string>();
  const out: Feature[] = [];
  const pending = [...registry.features].sort((a, b) => rank[a.priority] - rank[b.priority]);
  while (out.length < pending.length) {
    const next = pending.find((f) => !placed.has(f.id) && f.dependsOn.every((d) => placed.has(d) || !byId.has(d)));
    if (!next) break; // a cycle: the registry refuses those, so this is only a guard
    placed.add(next.id);
    out.push(next);
  }
  return out;
}

/** Every feature that is not complete, decomposed on its own (dependencies inside the feature only). */
export function decomposeFeatures(registry: FeaturesFile, tree: readonly string[]): FeatureTasks[] {
  return featuresInOrder(registry)
    .filter((feature) => feature.status !== "complete")
    .map((feature) => decomposeFeature(feature, tree));
}

/**
 * Joins per-feature plans into one: each feature's first tasks depend on the last tasks of the
 * features it depends on.
 */
export function linkFeatures(registry: FeaturesFile, perFeature: readonly FeatureTasks[]): Task[] {
  const byFeature = new Map(perFeature.map((p) => [p.featureId, p]));
  const tasks: Task[] = [];
  for (const planned of perFeature) {
    const feature = registry.features.find((f) => f.id === planned.featureId);
    const upstream = (feature?.dependsOn ?? []).flatMap((dep) => byFeature.get(dep)?.sinks ?? []);
    for (const task of planned.tasks) {
      if (planned.roots.includes(task.id)) task.dependsOn = [...upstream, ...task.dependsOn.filter((d) => !upstream.includes(d))];
      tasks.push(task);
    }
  }
  return tasks;
}

/** Recomputes a feature's roots and sinks after its task list changed (e.g. refined by a model). */
export function withEnds(featureId: string, tasks: Task[]): FeatureTasks {
  const dependedOn = new Set(tasks.flatMap((t) => t.dependsOn));
  return {
    featureId,
    tasks,
    sinks: tasks.filter((t) => !dependedOn.has(t.id)).map((t) => t.id),
    roots: tasks.filter((t) => t.dependsOn.length === 0).map((t) => t.id),
  };
}
