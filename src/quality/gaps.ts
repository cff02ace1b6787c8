/**
 * `br gaps analyze`: what stands between the project and done, each gap with a severity, a place
 * and a concrete fix. Features marked complete with nothing behind them rank highest; then failed
 * work, stubs, failing gates and security findings; then untested sources and markers. It stays
 * quiet where nothing is wrong: generated, vendored and ignored files are never read, and tests
 * and fixtures are never reported as missing tests.
 */
import { existsSync } from "node:fs";
import { basename, dirname, join, posix } from "node:path";
import picomatch from "picomatch";
import type { Config, Severity } from "../infra/config.js";
import { nodeCrypto } from "../infra/crypto.js";
import { listProjectFiles } from "../infra/git.js";
import type { ProjectPaths } from "../infra/project.js";
import { openStateDb } from "../infra/state-db.js";
import type { CodeLanguage } from "../infra/syntax.js";
import { readText } from "../infra/validation.js";
import { verifiedFilesByFeature } from "../infra/verified-files.js";
import type { Task } from "../plan/task.js";
import { loadTasks } from "../plan/task-store.js";
import type { Feature } from "../registry/feature.js";
import { loadRegistry } from "../registry/store.js";
import { type QualityRun, qualityHistory } from "./check.js";
import { type CodeFile, codeFiles, type FileRole, projectFileRoles, stemAffixes } from "./files.js";
import { measureFile, prepareMeasures, type StubKind } from "./measures/index.js";

export const GAP_KINDS = [
  "feature-unbacked",
  "feature-untested",
  "task-failed",
  "task-blocked",
  "stub",
  "gate-failed",
  "security",
  "untested",
  "marker",
] as const;
export type GapKind = (typeof GAP_KINDS)[number];

export interface Gap {
  id: string;
  kind: GapKind;
  severity: Severity;
  file?: string;
  line?: number;
  featureId?: string;
  message: string;
  suggestion: string;
}

export interface GapReport {
  gaps: Gap[];
  summary: {
    total: number;
    bySeverity: Record<Severity, number>;
    byKind: Partial<Record<GapKind, number>>;
    files: number;
    durationMs: number;
  };
}

const SEVERITY_ORDER: Severity[] = ["critical", "high", "medium", "low"];
const MARKER = /(?:\/\/|#|\/\*|^\s*\*)\s*(TODO|FIXME|HACK|XXX)\b[:\s(-]*(.*)$/;
const JS_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm;
const PY_IMPORT = /^\s*(?:from\s+(\.*[\w.]*)\s+import\s+([\w, ()*]+)|import\s+([\w., ]+))/gm;
const JS_EXTENSIONS = [
  "",
  ".ts",
  ".tsx",
  ".mts",
  ".cts",
  ".js",
  ".jsx",
  ".mjs",
  ".cjs",
  "/index.ts",
  "/index.tsx",
  "/index.js",
  "/index.mjs",
];
/** How far "reachable from a test" follows imports: a test of a module exercises what it imports. */
const IMPORT_DEPTH = 3;

function gapId(kind: GapKind, ...key: (string | number | undefined)[]): string {
  return `gap-${nodeCrypto()
    .createHash("sha256")
    .update([kind, ...key].join("\0"))
    .digest("hex")
    .slice(0, 10)}`;
}

/**
 * Makes ids unique and stable. Gaps with the same key (two identical TODO lines in a file, two
 * anonymous stubs) would share an id, and `br gaps fix` would take the second for planned: the
 * n-th repeat (in the order found, which is file and line order) gets the occurrence index in its
 * id. The first keeps its plain id, and no line number goes in, so ids survive lines moving.
 */
function uniqueIds(gaps: Gap[]): void {
  const seen = new Map<string, number>();
  const taken = new Set(gaps.map((g) => g.id));
  for (const gap of gaps) {
    const n = seen.get(gap.id) ?? 0;
    seen.set(gap.id, n + 1);
    if (n === 0) continue;
    let id = gapId(gap.kind, gap.id, n);
    for (let salt = 1; taken.has(id); salt++) id = gapId(gap.kind, gap.id, n, salt);
    taken.add(id);
    gap.id = id;
  }
}

const family = (language: CodeLanguage) => (language === "python" ? "python" : "js");

/** `src/cart/total.test.ts` → `total`; `tests/test_total.py` → `total`. */
export function stemOf(path: string, language: CodeLanguage): string {
  let name = basename(path).replace(/\.[^.]+$/, "");
  const { suffixes, prefixes } = stemAffixes(language);
  for (const s of suffixes) if (name.endsWith(s)) name = name.slice(0, -s.length);
  for (const p of prefixes) if (name.startsWith(p)) name = name.slice(p.length);
  // `__tests__/total.ts` and `total/index.ts` name their folder's module.
  return name === "index" || name === "__init__" ? basename(dirname(path)) : name;
}

/** The project files a file imports (relative JS/TS imports, Python modules inside the project). */
/** The project's own package: tests often import it by name (`zod/v3`), through its `exports` map. */
export interface SelfPackage {
  name: string;
  /** Subpath ("." or "./v3") → the files its conditions name (src/ entries included). */
  entries: Map<string, string[]>;
}

export function selfPackage(root: string): SelfPackage | undefined {
  let manifest: { name?: unknown; exports?: unknown; main?: unknown; module?: unknown; source?: unknown };
  try {
    manifest = JSON.parse(readText(join(root, "package.json"))) as typeof manifest;
  } catch {
    return undefined;
  }
  if (typeof manifest.name !== "string") return undefined;
  const leaves = (value: unknown): string[] =>
    typeof value === "string" ? [value] : value && typeof value === "object" ? Object.values(value).flatMap(leaves) : [];
  const entries = new Map<string, string[]>();
  const exportsMap = manifest.exports;
  const subpaths =
    exportsMap && typeof exportsMap === "object" && Object.keys(exportsMap).some((k) => k.startsWith("."))
      ? Object.entries(exportsMap)
      : [[".", exportsMap ?? [manifest.source, manifest.module, manifest.main]] as const];
  for (const [subpath, target] of subpaths) {
    entries.set(
      subpath,
      leaves(target).map((t) => posix.normalize(t.replace(/^\.\//, ""))),
    );
  }
  return { name: manifest.name, entries };
}

function importsOf(file: CodeFile, known: ReadonlySet<string>, self?: SelfPackage): string[] {
  return file.language === "python" ? pythonImports(file, known) : jsImports(file, known, self);
}

function pythonImports(file: CodeFile, known: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const m of file.text.matchAll(PY_IMPORT)) {
    const modules =
      m[1] !== undefined ? [m[1], ...(m[2] ?? "").split(",").map((n) => `${m[1]}.${n.replace(/[()\s]/g, "")}`)] : (m[3] ?? "").split(",");
    for (const raw of modules) {
      const name = raw.trim().split(/\s+as\s+/)[0] ?? "";
      if (!name) continue;
      for (const base of pythonBases(name, file.path)) {
        for (const candidate of [`${base}.py`, `${base}/__init__.py`])
          if (known.has(posix.normalize(candidate))) out.push(posix.normalize(candidate));
      }
    }
  }
  return out;
}

/** Where a module name may live, without its extension: relative (`..pkg.mod`) from the file, else from the root, src/ or the file. */
function pythonBases(name: string, path: string): string[] {
  const dots = /^\.*/.exec(name)?.[0].length ?? 0;
  const rest = name.slice(dots).replace(/\./g, "/");
  return dots > 0
    ? [posix.join(dirname(path), ...Array(dots - 1).fill(".."), rest)]
    : [rest, `src/${rest}`, posix.join(dirname(path), rest)];
}

function jsImports(file: CodeFile, known: ReadonlySet<string>, self?: SelfPackage): string[] {
  const out: string[] = [];
  for (const m of file.text.matchAll(JS_IMPORT)) {
    const spec = m[1] ?? "";
    if (self && (spec === self.name || spec.startsWith(`${self.name}/`))) {
      const subpath = `.${spec.slice(self.name.length)}`;
      out.push(...(self.entries.get(subpath) ?? []).filter((f) => known.has(f)));
      continue;
    }
    if (!spec.startsWith(".")) continue;
    const target = jsTarget(posix.normalize(posix.join(dirname(file.path), spec)), known);
    if (target !== undefined) out.push(target);
  }
  return out;
}

/** The known file a relative import resolves to, trying each extension. */
function jsTarget(base: string, known: ReadonlySet<string>): string | undefined {
  // TypeScript ESM imports name the emitted .js file: `./total.js` means total.ts.
  const stripped = base.replace(/\.(m|c)?js$/, "");
  for (const ext of JS_EXTENSIONS) {
    const candidate = `${stripped}${ext}`;
    if (known.has(candidate)) return candidate;
    if (known.has(`${base}${ext}`)) return `${base}${ext}`;
  }
  return undefined;
}

/**
 * Which source files have tests. A source is tested when a test reaches it through imports (up to
 * IMPORT_DEPTH steps, so a test of a module also covers the helpers it uses), or when a test is
 * named after it (total.test.ts, test_total.py, __tests__/total.ts) in the same language family.
 */
export function testedSources(files: readonly CodeFile[], self?: SelfPackage): Set<string> {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const known = new Set(byPath.keys());
  const tested = new Set<string>();
  const testStems = new Set<string>();
  let frontier: string[] = [];
  for (const f of files) {
    if (f.role !== "test") continue;
    testStems.add(`${family(f.language)}:${stemOf(f.path, f.language)}`);
    frontier.push(...importsOf(f, known, self));
  }
  for (let depth = 0; depth < IMPORT_DEPTH && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const path of frontier) {
      if (tested.has(path)) continue;
      tested.add(path);
      const file = byPath.get(path);
      if (file && file.role === "source") next.push(...importsOf(file, known, self));
    }
    frontier = next;
  }
  for (const f of files)
    if (f.role === "source" && testStems.has(`${family(f.language)}:${stemOf(f.path, f.language)}`)) tested.add(f.path);
  return tested;
}

/** The files a feature stands on: its `files` globs, its tasks' files, and what its passed attempts changed. */
function featureFiles(
  feature: Feature,
  tasks: readonly Task[],
  changedByFeature: Map<string, Set<string>>,
  all: readonly string[],
): string[] {
  const patterns = [...(feature.files ?? []), ...tasks.filter((t) => t.featureId === feature.id).flatMap((t) => t.files)];
  const matches = patterns.length > 0 ? picomatch(patterns, { dot: true }) : () => false;
  const changed = changedByFeature.get(feature.id) ?? new Set<string>();
  return all.filter((p) => matches(p) || changed.has(p));
}

/** Feature id → the files its verified attempts in `br run` wrote (the journal), when there is a journal. */
function changedFilesByFeature(paths: ProjectPaths): Map<string, Set<string>> {
  if (!existsSync(join(paths.state, "state.db"))) return new Map();
  const db = openStateDb(paths);
  try {
    return verifiedFilesByFeature(db);
  } finally {
    db.close();
  }
}

export async function analyzeGaps(paths: ProjectPaths, config: Config): Promise<GapReport> {
  const started = Date.now();
  const gaps: Gap[] = [];
  const registry = await loadRegistry(paths);
  const tasks = existsSync(paths.tasks) ? (await loadTasks(paths)).tasks : [];
  prepareMeasures(); // while the heap is small, before the tree's text is read
  const files = codeFiles(paths.root, { ignore: config.gaps.ignore, tests: config.gaps.tests });
  const sources = files.filter((f) => f.role === "source");
  const tested = testedSources(files, selfPackage(paths.root));
  const roleOf = new Map(files.map((f) => [f.path, f.role]));
  // What stands behind a feature may be any file (styles, docs, another language), not only code we parse.
  const projectRoles = projectFileRoles(listProjectFiles(paths.root) ?? [...roleOf.keys()], {
    ignore: config.gaps.ignore,
    tests: config.gaps.tests,
  });
  const standing: FeatureStanding = {
    tasks,
    changedByFeature: changedFilesByFeature(paths),
    projectRoles,
    projectPaths: [...projectRoles.keys()],
    roleOf,
    tested,
  };
  // Features marked complete: something must stand behind them.
  for (const feature of registry.features) {
    const gap = feature.status === "complete" ? completeFeatureGap(feature, standing) : undefined;
    if (gap) gaps.push(gap);
  }
  for (const task of tasks) {
    const gap = taskGap(task);
    if (gap) gaps.push(gap);
  }
  for (const file of sources) gaps.push(...sourceGaps(file, tested, config));
  for (const file of files) if (file.role !== "fixture") gaps.push(...markerGaps(file));
  gaps.push(...failedGateGaps(paths));
  // Credentials in tests and fixtures are test values; `br security check` still reports them.
  for (const finding of (await securityFindings(paths.root)).filter(
    (f) => roleOf.get(f.file) !== "test" && roleOf.get(f.file) !== "fixture",
  ))
    gaps.push(securityGap(finding));
  uniqueIds(gaps);
  sortGaps(gaps);
  return { gaps, summary: summarize(gaps, files.length, Date.now() - started) };
}

/** What is known of the project to judge whether a complete feature has code and tests behind it. */
interface FeatureStanding {
  tasks: readonly Task[];
  changedByFeature: Map<string, Set<string>>;
  /** Every project file's role (any file, not only parsed code). */
  projectRoles: Map<string, FileRole>;
  projectPaths: string[];
  /** The roles of the parsed code files. */
  roleOf: Map<string, FileRole>;
  tested: Set<string>;
}

function completeFeatureGap(feature: Feature, standing: FeatureStanding): Gap | undefined {
  const { projectRoles, roleOf, tested } = standing;
  const own = featureFiles(feature, standing.tasks, standing.changedByFeature, standing.projectPaths);
  // Any file that is not a test or fixture is code behind the feature; only parsed sources can be judged tested.
  const code = own.filter((p) => projectRoles.get(p) === "source");
  const parsed = code.filter((p) => roleOf.get(p) === "source");
  const ownTests = own.filter((p) => projectRoles.get(p) === "test");
  if (code.length === 0 && ownTests.length === 0) {
    return {
      id: gapId("feature-unbacked", feature.id),
      kind: "feature-unbacked",
      severity: "critical",
      featureId: feature.id,
      message: `"${feature.name}" is marked complete, but no code or tests stand behind it (no file matches its files or its tasks' files, and no verified attempt changed one).`,
      suggestion: `Reopen it with \`br features update ${feature.id} --status in_progress --reopen\` and build it, or name its files (a \`Files:\` line in the spec, or \`br features update ${feature.id} --files <glob>\`).`,
    };
  }
  if (ownTests.length > 0 || parsed.length === 0 || parsed.some((p) => tested.has(p))) return undefined;
  return {
    id: gapId("feature-untested", feature.id),
    kind: "feature-untested",
    severity: "high",
    featureId: feature.id,
    ...(parsed[0] ? { file: parsed[0] } : {}),
    message: `"${feature.name}" is marked complete, but none of its ${parsed.length} source file(s) has a test.`,
    suggestion: `Add tests for ${parsed.slice(0, 3).join(", ")}${parsed.length > 3 ? ", …" : ""} that check its acceptance criteria.`,
  };
}

function taskGap(task: Task): Gap | undefined {
  if (task.status === "failed") {
    return {
      id: gapId("task-failed", task.id),
      kind: "task-failed",
      severity: "high",
      featureId: task.featureId,
      message: `Task ${task.id} (${task.title}) failed${task.failureReason ? `: ${task.failureReason}` : "."}`,
      suggestion: `Read why in \`br tasks show ${task.id}\`, then \`br tasks reset ${task.id}\` and \`br run\` (or split it into smaller tasks).`,
    };
  }
  if (task.status !== "blocked") return undefined;
  return {
    id: gapId("task-blocked", task.id),
    kind: "task-blocked",
    severity: "medium",
    featureId: task.featureId,
    message: `Task ${task.id} (${task.title}) is blocked by a failed dependency or a blocked feature.`,
    suggestion: `See \`br tasks show ${task.id}\`: fix or reset what it waits on, or unblock feature ${task.featureId}.`,
  };
}

const STUB_DESCRIPTIONS: Record<StubKind, string> = {
  "not-implemented": "only throws 'not implemented'",
  pass: "has only `pass`",
  empty: "has an empty body",
};

/** A source file's stubs, and the file itself when it has enough code but no test. */
function sourceGaps(file: CodeFile, tested: Set<string>, config: Config): Gap[] {
  const gaps: Gap[] = [];
  const measures = measureFile(file.path, file.text);
  for (const fn of measures?.functions ?? []) {
    if (!fn.stub) continue;
    gaps.push({
      id: gapId("stub", file.path, fn.name),
      kind: "stub",
      severity: "high",
      file: file.path,
      line: fn.line,
      message: `${fn.name} ${STUB_DESCRIPTIONS[fn.stub]}.`,
      suggestion: `Implement ${fn.name} (and a test for it), or remove it if nothing needs it.`,
    });
  }
  if (file.notTested || tested.has(file.path) || !measures) return gaps;
  if (measures.functions.length === 0 || measures.codeLines < config.gaps.untestedMinLines) return gaps;
  gaps.push({
    id: gapId("untested", file.path),
    kind: "untested",
    severity: measures.codeLines >= 50 ? "medium" : "low",
    file: file.path,
    message: `${file.path} (${measures.codeLines} code lines, ${measures.functions.length} functions) has no test: no test imports it or is named after it.`,
    suggestion: suggestTestPath(file),
  });
  return gaps;
}

/** TODO / FIXME / HACK … markers left in the code. */
function markerGaps(file: CodeFile): Gap[] {
  const gaps: Gap[] = [];
  file.text.split("\n").forEach((text, i) => {
    const m = MARKER.exec(text);
    if (!m) return;
    const tag = m[1] as string;
    const note = (m[2] ?? "").replace(/\*\/\s*$/, "").trim();
    gaps.push({
      id: gapId("marker", file.path, tag, note),
      kind: "marker",
      severity: tag === "TODO" ? "low" : "medium",
      file: file.path,
      line: i + 1,
      message: `${tag}${note ? `: ${note.slice(0, 160)}` : ""}`,
      suggestion:
        tag === "TODO"
          ? "Do it, or turn it into a task and delete the comment."
          : `Resolve the ${tag}: fix the underlying problem and remove the marker.`,
    });
  });
  return gaps;
}

/** The gates that failed at the last full quality check. */
function failedGateGaps(paths: ProjectPaths): Gap[] {
  const lastFull = [...qualityHistory(paths, 50)].reverse().find((r: QualityRun) => r.changedSince === null);
  if (!lastFull) return [];
  return lastFull.gates
    .filter((gate) => !gate.passed)
    .map((gate) => ({
      id: gapId("gate-failed", gate.name),
      kind: "gate-failed",
      severity: gate.name === "tests" || gate.name === "build" ? "critical" : "high",
      message: `The ${gate.name} gate failed at the last quality check (${lastFull.at.slice(0, 16).replace("T", " ")}): ${gate.value} against a threshold of ${gate.threshold}.`,
      suggestion: `Run \`br quality check\` to see the details, and fix until the ${gate.name} gate passes.`,
    }));
}

function securityGap(finding: Awaited<ReturnType<typeof securityFindings>>[number]): Gap {
  return {
    id: gapId("security", finding.fingerprint),
    kind: "security",
    severity: finding.severity,
    file: finding.file,
    line: finding.line,
    message: `${finding.message}: ${finding.match}`,
    suggestion:
      finding.kind === "secret"
        ? "Remove the secret from the code, rotate it, and read it from the environment."
        : "Pass the values as query parameters (placeholders), not as part of the SQL text.",
  };
}

/** Most severe first, then by kind, file and line. */
function sortGaps(gaps: Gap[]): void {
  gaps.sort(
    (a, b) =>
      SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
      GAP_KINDS.indexOf(a.kind) - GAP_KINDS.indexOf(b.kind) ||
      (a.file ?? "").localeCompare(b.file ?? "") ||
      (a.line ?? 0) - (b.line ?? 0),
  );
}

function summarize(gaps: Gap[], files: number, durationMs: number): GapReport["summary"] {
  const bySeverity = Object.fromEntries(SEVERITY_ORDER.map((s) => [s, gaps.filter((g) => g.severity === s).length])) as Record<
    Severity,
    number
  >;
  const byKind: Partial<Record<GapKind, number>> = {};
  for (const g of gaps) byKind[g.kind] = (byKind[g.kind] ?? 0) + 1;
  return { total: gaps.length, bySeverity, byKind, files, durationMs };
}

function suggestTestPath(file: CodeFile): string {
  const stem = stemOf(file.path, file.language);
  if (file.language === "python") return `Add tests/test_${stem}.py that imports it and checks what its functions return.`;
  const ext = /\.(m|c)?tsx?$/.test(file.path) ? "ts" : "js";
  return `Add ${posix.join(dirname(file.path), `${stem}.test.${ext}`)} (or test/${stem}.test.${ext}) that imports it and checks its behaviour.`;
}

async function securityFindings(root: string) {
  const { workingTreeTargets } = await import("../security/sources.js");
  const { rulesFor, scanTargets } = await import("../security/scan.js");
  const baselines = await import("../security/baseline.js");
  const result = scanTargets(workingTreeTargets(root), rulesFor(root, undefined));
  const baseline = baselines.checkLocation(root, undefined);
  const accepted = baseline ? await baselines.loadBaseline(baseline) : new Set<string>();
  return baselines.applyBaseline(result, accepted).findings;
}
