/**
 * Deterministic decomposition of features into tasks of about one to two hours. Which kinds of
 * work a feature needs (data model, API, UI, integration, tests, docs…) is read from its text with
 * the keyword rules in data/task-kinds.json; the same registry and tree always give the same plan.
 */
import picomatch from "picomatch";
import rules from "../../data/task-kinds.json" with { type: "json" };
import type { Feature, FeaturesFile } from "../registry/feature.js";
import { isTestCommand, TEST_PATH } from "./acceptance.js";
import { detectLayout, featurePaths, type Layout } from "./layout.js";
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
const DOC_PATH = /(^|\/)docs?\/|\.mdx?$/i;
const MAX_FILES_PER_TASK = 40;

function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+(?:-[a-z0-9]+)*/g) ?? [];
}

/** The text as its words joined by single spaces: what keywords are matched against. */
function normalized(text: string): string {
  return words(text).join(" ");
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A keyword as a pattern on whole words: `email` matches the word, `webhook*` any word starting
 * so, `integrate with` the two words in a row (never "reintegrate with").
 */
function keywordPattern(keyword: string): RegExp {
  const prefix = keyword.endsWith("*");
  const body = normalized(prefix ? keyword.slice(0, -1) : keyword);
  return new RegExp(`(?<![a-z0-9-])${escapeRegExp(body)}${prefix ? "[a-z0-9-]*" : ""}(?![a-z0-9-])`, "g");
}

interface Matcher {
  /** The keywords' occurrences in a text (already normalized), each keyword counted on its own. */
  count: (text: string) => number;
  /** Whether any keyword occurs: one pass of one combined pattern, as most questions only need this. */
  any: (text: string) => boolean;
}

function matcher(keywords: readonly string[]): Matcher {
  const patterns = keywords.map(keywordPattern);
  const combined = patterns.length > 0 ? new RegExp(patterns.map((p) => `(?:${p.source})`).join("|")) : undefined;
  return {
    count: (text) => patterns.reduce((hits, pattern) => hits + (text.match(pattern)?.length ?? 0), 0),
    any: (text) => combined?.test(text) ?? false,
  };
}

const kindMatchers = Object.fromEntries(Object.entries(KINDS).map(([name, rule]) => [name, matcher(rule.keywords)])) as Record<
  KindName,
  Matcher
>;
const riskMatcher = matcher(rules.riskWords);

function featureText(feature: Feature): string {
  return normalized([feature.name, feature.description ?? "", ...feature.acceptance].join("\n"));
}

/** The kinds of implementation work the feature's text calls for, in rule order. */
export function implementationKinds(feature: Feature, text = featureText(feature)): KindName[] {
  const name = normalized(feature.name);
  const matched = IMPLEMENTATION.filter((kind) => kind !== "core" && kindMatchers[kind].any(text));
  // The main work is "core" unless the feature's own name says which kind of work it is.
  const nameSaysKind = matched.some((kind) => kindMatchers[kind].any(name));
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
    // A command that runs tests can only pass once the tests exist: the tests task has it (it has every criterion).
    if (isTestCommand(criterion)) continue;
    const text = normalized(criterion);
    let best: KindName = fallback;
    let bestHits = 0;
    for (const kind of kinds) {
      const hits = kindMatchers[kind].count(text);
      if (hits > bestHits) {
        best = kind;
        bestHits = hits;
      }
    }
    out.get(best)?.push(criterion);
  }
  return out;
}

/**
 * Expands the feature's file hints against the tree (globs and paths); unmatched hints are files to
 * create. A glob that matches more files than a task can list stays a glob, so no named file
 * leaves the scope.
 */
function hintedFiles(feature: Feature, tree: readonly string[]): string[] {
  const found = new Set<string>();
  for (const hint of feature.files ?? []) {
    if (picomatch.scan(hint).isGlob) {
      const isMatch = picomatch(hint, { dot: false });
      const matches = tree.filter((file) => isMatch(file));
      // A pattern that matches nothing yet says where new files go: keep it as the hint.
      for (const file of matches.length > 0 && matches.length <= MAX_FILES_PER_TASK ? matches : [hint]) found.add(file);
    } else found.add(hint.replace(/^\.\//, ""));
  }
  return [...found];
}

/** Without hints: existing files whose name carries one of the feature id's words (e.g. src/search.ts). */
function guessedFiles(feature: Feature, tree: readonly string[]): string[] {
  const tokens = feature.id.split("-").filter((t) => t.length >= 4);
  if (tokens.length === 0) return [];
  return searchableNames(tree)
    .filter(({ base }) => tokens.some((t) => base.includes(t)))
    .map(({ file }) => file)
    .slice(0, 10);
}

/** The tree's files with their lower-cased base names, worked out once per tree, not once per feature. */
const namesOfTree = new WeakMap<readonly string[], { file: string; base: string }[]>();

function searchableNames(tree: readonly string[]): { file: string; base: string }[] {
  let names = namesOfTree.get(tree);
  if (!names) {
    names = tree
      .filter((file) => !file.includes("node_modules/"))
      .map((file) => ({ file, base: file.slice(file.lastIndexOf("/") + 1).toLowerCase() }));
    namesOfTree.set(tree, names);
  }
  return names;
}

type FileKind = KindName | "tests" | "docs";

/** Sorts the feature's files to kinds of work: tests, docs, and implementation by the words in their paths. */
function assignFiles(files: string[], kinds: KindName[]): Map<FileKind, string[]> {
  const out = new Map<FileKind, string[]>();
  const add = (kind: FileKind, file: string) => out.set(kind, [...(out.get(kind) ?? []), file]);
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

/**
 * The files of every task of the feature. Each implementation, tests and docs task gets some, so
 * its scope check is on: the feature's named (or existing, guessed) files where they fit; an
 * implementation kind none fits shares the feature's other implementation files; with none at all,
 * new paths from the project's layout (src/boards.ts, test/boards.test.ts). A named file no task
 * fits (NOTES.md without a docs task) joins the main implementation task: named files are never dropped.
 */
export function planFiles(feature: Feature, kinds: readonly KindName[], tree: readonly string[], layout: Layout): Map<FileKind, string[]> {
  const impl = kinds.filter((k) => IMPLEMENTATION.includes(k));
  const hinted = hintedFiles(feature, tree);
  const assigned = assignFiles(hinted.length > 0 ? hinted : guessedFiles(feature, tree), impl);
  const derived = featurePaths(layout, feature.id, impl);
  const implFiles = impl.flatMap((k) => assigned.get(k) ?? []);
  const out = new Map<FileKind, string[]>();
  for (const kind of kinds) {
    const own = assigned.get(kind) ?? [];
    if (own.length > 0) out.set(kind, own);
    else if (kind === "tests") out.set(kind, [derived.tests]);
    else if (kind === "docs") out.set(kind, [derived.docs]);
    else out.set(kind, implFiles.length > 0 ? implFiles : [derived.implementation.get(kind) as string]);
  }
  const main = impl.includes("core") ? "core" : (impl[0] as KindName);
  for (const [kind, files] of assigned) if (!kinds.includes(kind as KindName)) out.set(main, [...(out.get(main) ?? []), ...files]);
  return out;
}

export interface FeatureTasks {
  featureId: string;
  tasks: Task[];
  /** Tasks no other task of the feature depends on: what a dependent feature waits for. */
  sinks: string[];
  roots: string[];
}

export function decomposeFeature(feature: Feature, tree: readonly string[], layout: Layout = detectLayout(tree)): FeatureTasks {
  const text = featureText(feature);
  const impl = implementationKinds(feature, text);
  const risky = riskMatcher.any(text);
  const wantsDocs = kindMatchers.docs.any(text);
  const kinds: KindName[] = [...impl, "tests", ...(wantsDocs ? (["docs"] as KindName[]) : [])];
  const criteria = assignCriteria(feature, impl);
  const files = planFiles(feature, kinds, tree, layout);

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
  context: { risky: boolean; files: ReadonlyMap<string, string[]> },
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

/**
 * Features in dependency order (ties by priority, then registry order), so the plan reads top-down:
 * of the features whose dependencies are placed, the first by priority then registry order goes
 * next. A heap of ready features keeps that linear-logarithmic (20,000 features in milliseconds).
 */
export function featuresInOrder(registry: FeaturesFile): Feature[] {
  const rank = { critical: 0, high: 1, medium: 2, low: 3 } as const;
  const pending = [...registry.features].sort((a, b) => rank[a.priority] - rank[b.priority]);
  const position = new Map(pending.map((f, i) => [f.id, i]));
  const waiting = pending.map(() => 0);
  const dependents = pending.map((): number[] => []);
  pending.forEach((feature, i) => {
    // Dependencies outside the registry are ignored, as the registry's own checks allow.
    for (const dep of new Set(feature.dependsOn)) {
      const at = position.get(dep);
      if (at === undefined) continue;
      waiting[i] = (waiting[i] ?? 0) + 1;
      dependents[at]?.push(i);
    }
  });
  const ready = new MinHeap(pending.flatMap((_, i) => (waiting[i] === 0 ? [i] : [])));
  const out: Feature[] = [];
  // A cycle leaves its features waiting: the registry refuses those, so this is only a guard.
  for (let next = ready.pop(); next !== undefined; next = ready.pop()) {
    out.push(pending[next] as Feature);
    for (const d of dependents[next] ?? []) if (--(waiting[d] as number) === 0) ready.push(d);
  }
  return out;
}

/** A binary min-heap of numbers. */
class MinHeap {
  private readonly items: number[] = [];

  constructor(initial: number[]) {
    for (const item of initial) this.push(item);
  }

  push(item: number): void {
    const items = this.items;
    items.push(item);
    for (let i = items.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if ((items[parent] as number) <= item) break;
      items[i] = items[parent] as number;
      items[parent] = item;
      i = parent;
    }
  }

  pop(): number | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      this.siftDown(last);
    }
    return top;
  }

  private siftDown(item: number): void {
    const items = this.items;
    for (let i = 0; ; ) {
      const left = 2 * i + 1;
      if (left >= items.length) return;
      const right = left + 1;
      const child = right < items.length && (items[right] as number) < (items[left] as number) ? right : left;
      if ((items[child] as number) >= item) return;
      items[i] = items[child] as number;
      items[child] = item;
      i = child;
    }
  }
}

/** Every feature that is not complete, decomposed on its own (dependencies inside the feature only). */
export function decomposeFeatures(registry: FeaturesFile, tree: readonly string[], layout: Layout = detectLayout(tree)): FeatureTasks[] {
  return featuresInOrder(registry)
    .filter((feature) => feature.status !== "complete")
    .map((feature) => decomposeFeature(feature, tree, layout));
}

/**
 * Joins per-feature plans into one: each feature's first tasks depend on the last tasks of the
 * features it depends on.
 */
export function linkFeatures(registry: FeaturesFile, perFeature: readonly FeatureTasks[]): Task[] {
  const byFeature = new Map(perFeature.map((p) => [p.featureId, p]));
  const features = new Map(registry.features.map((f) => [f.id, f]));
  const tasks: Task[] = [];
  for (const planned of perFeature) {
    const feature = features.get(planned.featureId);
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
