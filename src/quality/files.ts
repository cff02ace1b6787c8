/**
 * The source files quality measures and gap analysis look at: the project's files as git sees
 * them (so .gitignore is respected), in a language we parse, minus generated and vendored code
 * (data/test-mapping.json), each classified as source, test or fixture.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import picomatch from "picomatch";
import mapping from "../../data/test-mapping.json" with { type: "json" };
import { git, listProjectFiles } from "../infra/git.js";
import { type CodeLanguage, languageOf } from "../infra/syntax.js";

export type FileRole = "source" | "test" | "fixture";

export interface CodeFile {
  path: string;
  language: CodeLanguage;
  role: FileRole;
  /** Measured, but not expected to have tests of its own (configuration, scripts, entry points). */
  notTested: boolean;
  text: string;
}

export interface FileOptions {
  /** Extra globs that mark tests (config gaps.tests). */
  tests?: readonly string[];
  /** Extra globs to skip (config gaps.ignore). */
  ignore?: readonly string[];
  /** Read only these paths (changed files), not the whole tree. */
  only?: ReadonlySet<string>;
}

const MAX_BYTES = 1024 * 1024;
const matcher = (globs: readonly string[]) => picomatch([...globs], { dot: true });
const skip = matcher(mapping.skip);
const fixtures = matcher(mapping.fixtures);
const notTested = matcher(mapping.notTested);
const testsByLanguage: Record<CodeLanguage, (path: string) => boolean> = {
  javascript: matcher(mapping.languages.javascript.tests),
  typescript: matcher(mapping.languages.typescript.tests),
  python: matcher(mapping.languages.python.tests),
};
const GENERATED = new RegExp(mapping.generatedMarkers.map((m) => m.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"));

const SOURCE_MAP = /\/\/# sourceMappingURL=\S+\s*$/;

export function isGenerated(text: string): boolean {
  // Generators mark the top of the file; looking further would catch code that mentions them.
  // Compilers and bundlers end theirs with a source map link.
  return GENERATED.test(text.slice(0, 600)) || SOURCE_MAP.test(text.slice(-400));
}

/** `x.js` next to `x.d.ts` (or .cjs/.d.cts, .mjs/.d.mts) is a compiler's output, shipped with its types. */
function compiledWithTypes(path: string, all: ReadonlySet<string>): boolean {
  const m = /^(.*)\.(c|m)?js$/.exec(path);
  return m !== null && all.has(`${m[1]}.d.${m[2] ?? ""}ts`);
}

export function classify(path: string, language: CodeLanguage, extraTests: (p: string) => boolean): FileRole {
  if (fixtures(path)) return "fixture";
  return testsByLanguage[language](path) || extraTests(path) ? "test" : "source";
}

/** Paths changed since `ref`: committed after it, staged, modified or untracked. */
export function changedSince(root: string, ref: string): Set<string> {
  // Before the first commit there is no HEAD: every file is new (a pre-commit hook's first run).
  if (ref === "HEAD" && git(root, ["rev-parse", "--verify", "-q", "HEAD"]).code !== 0) return new Set(listProjectFiles(root) ?? []);
  const committed = git(root, ["diff", "--name-only", "-z", `${ref}...HEAD`, "--"]);
  if (committed.code !== 0) throw new Error(committed.stderr.trim() || `unknown ref ${ref}`);
  const working = git(root, ["diff", "--name-only", "-z", "HEAD", "--"]).stdout;
  const untracked = git(root, ["ls-files", "-z", "--others", "--exclude-standard"]).stdout;
  return new Set([committed.stdout, working, untracked].flatMap((out) => out.split("\0")).filter(Boolean));
}

export function codeFiles(root: string, options: FileOptions = {}): CodeFile[] {
  const paths = listProjectFiles(root) ?? [];
  const all = new Set(paths);
  const ignore = matcher(options.ignore ?? []);
  const extraTests = matcher(options.tests ?? []);
  const out: CodeFile[] = [];
  for (const path of paths) {
    if (options.only && !options.only.has(path)) continue;
    const language = languageOf(path);
    if (!language || skip(path) || ignore(path) || path.startsWith(".buildrunner/") || compiledWithTypes(path, all)) continue;
    const full = join(root, path);
    let text: string;
    try {
      if (statSync(full).size > MAX_BYTES) continue;
      text = readFileSync(full, "utf8");
    } catch {
      continue; // Deleted but still in the index, or unreadable: nothing to measure.
    }
    if (isGenerated(text)) continue;
    out.push({ path, language, role: classify(path, language, extraTests), notTested: notTested(path), text });
  }
  return out;
}

export function stemAffixes(language: CodeLanguage): { suffixes: string[]; prefixes: string[] } {
  return mapping.languages[language].stems;
}
