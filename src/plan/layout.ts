/**
 * Where a feature's new code and tests go when the spec names no files: the project's language and
 * layout (its source and test folders, test naming) read from the tree, with the conventions in
 * data/layouts.json. A task without files has no scope, so anything an agent changes would pass:
 * the plan gives every implementation and tests task a concrete path instead.
 */
import { join } from "node:path";
import detection from "../../data/detection.json" with { type: "json" };
import layouts from "../../data/layouts.json" with { type: "json" };
import { readText } from "../infra/validation.js";

interface LanguageRule {
  extension: string;
  manifests: string[];
  dependency?: string;
  nameStyle: string;
  sourceDirs: string[];
  testDirs: string[];
  colocated?: boolean;
  testName: Record<string, string>;
  index: string;
}

const LANGUAGES = layouts.languages as Record<string, LanguageRule>;
const KIND_MODULES = layouts.kindModules as Record<string, string>;

export interface Layout {
  /** The language new files are written in; undefined when the project shows none. */
  language: string | undefined;
  /** The folder new modules go in ("" for the project's top level). */
  sourceDir: string;
  /** The folder new tests go in; undefined when tests sit next to the code. */
  testDir: string | undefined;
  /** Which of the language's test names the project uses (`test` or `spec`). */
  testStyle: string;
  docsDir: string | undefined;
}

/** The paths a feature's tasks are given: one per implementation kind, its test file and its docs. */
export interface FeaturePaths {
  implementation: Map<string, string>;
  tests: string;
  docs: string;
}

const holds = (tree: readonly string[], dir: string) => dir === "" || tree.some((file) => file.startsWith(`${dir}/`));
const extensionsOf = (language: string) => detection.languages.find((l) => l.name === language)?.extensions ?? [];

/** package.json's dependencies and devDependencies, or none when it is missing or unreadable. */
function nodeDependencies(root: string | undefined): Set<string> {
  if (root === undefined) return new Set();
  try {
    const manifest = JSON.parse(readText(join(root, "package.json"))) as Record<string, unknown>;
    return new Set([...Object.keys((manifest.dependencies ?? {}) as object), ...Object.keys((manifest.devDependencies ?? {}) as object)]);
  } catch {
    // No manifest, or one br attach will complain about: the layout only loses a hint.
    return new Set();
  }
}

/** The language with most source files; with none, the first whose manifest or dependency the project has. */
export function projectLanguage(tree: readonly string[], root?: string): string | undefined {
  const counts = Object.keys(LANGUAGES).map((name) => {
    const extensions = extensionsOf(name);
    const count = tree.filter((file) => !file.endsWith(".d.ts") && extensions.some((ext) => file.endsWith(ext))).length;
    return { name, count };
  });
  const most = counts.reduce((best, next) => (next.count > best.count ? next : best), { name: "", count: 0 });
  if (most.count > 0) return most.name;
  const files = new Set(tree);
  const dependencies = nodeDependencies(root);
  return Object.entries(LANGUAGES).find(
    ([, rule]) => rule.manifests.some((m) => files.has(m)) || (rule.dependency !== undefined && dependencies.has(rule.dependency)),
  )?.[0];
}

/** A Python package in the tree: a folder with an __init__.py under src/ or at the top (tests left out). */
function pythonPackage(tree: readonly string[]): { dir: string; name: string } | undefined {
  for (const pattern of [/^src\/([A-Za-z_]\w*)\/__init__\.py$/, /^([A-Za-z_]\w*)\/__init__\.py$/]) {
    const match = tree.map((file) => pattern.exec(file)).find((m) => m && !/^tests?$/.test(m[1] as string));
    if (match) return { dir: match[0].replace(/\/__init__\.py$/, ""), name: match[1] as string };
  }
  return undefined;
}

/** The first candidate folder that already holds files, else the first that can be named. */
function chooseDir(candidates: readonly string[], tree: readonly string[], pkg: string | undefined): string | undefined {
  const named = candidates.flatMap((dir) => (dir.includes("{package}") ? (pkg ? [dir.replace("{package}", pkg)] : []) : [dir]));
  return named.find((dir) => holds(tree, dir)) ?? named[0];
}

/** `spec` when the tests already there are mostly named *.spec.*, else `test`. */
function testStyleIn(tree: readonly string[], dir: string | undefined, rule: LanguageRule): string {
  if (!rule.testName.spec) return "test";
  const inside = tree.filter((file) => dir === undefined || file.startsWith(`${dir}/`));
  const specs = inside.filter((file) => /\.spec\.[cm]?[jt]sx?$/.test(file)).length;
  const tests = inside.filter((file) => /\.test\.[cm]?[jt]sx?$/.test(file)).length;
  return specs > tests ? "spec" : "test";
}

/** Whether the project keeps tests beside its code (src/cart.test.ts) and has no test folder. */
function testsBesideCode(tree: readonly string[], sourceDir: string, rule: LanguageRule): boolean {
  if (rule.colocated) return true;
  if (rule.testDirs.some((dir) => holds(tree, dir))) return false;
  const prefix = sourceDir === "" ? "" : `${sourceDir}/`;
  return tree.some((file) => file.startsWith(prefix) && /\.(test|spec)\.[cm]?[jt]sx?$/.test(file));
}

/** The project's layout, read from its file list (and package.json's dependencies, when root is given). */
export function detectLayout(tree: readonly string[], root?: string): Layout {
  const language = projectLanguage(tree, root);
  const docsDir = layouts.docs.dirs.find((dir) => holds(tree, dir));
  const rule = language === undefined ? undefined : LANGUAGES[language];
  if (language === undefined || rule === undefined)
    return { language: undefined, sourceDir: "src", testDir: "test", testStyle: "test", docsDir };
  const pkg = language === "python" ? pythonPackage(tree) : undefined;
  const sourceDir = pkg?.dir ?? chooseDir(rule.sourceDirs, tree, undefined) ?? "";
  const testDir = testsBesideCode(tree, sourceDir, rule) ? undefined : (chooseDir(rule.testDirs, tree, pkg?.name) ?? "test");
  return { language, sourceDir, testDir, testStyle: testStyleIn(tree, testDir, rule), docsDir };
}

/** A feature id as a module name in the language's style: `activity-log` or `activity_log`. */
export function moduleName(featureId: string, style: string): string {
  if (style !== "snake") return featureId;
  const snake = featureId.replace(/-/g, "_");
  // A Python module cannot start with a digit (`2fa` could not be imported).
  return /^\d/.test(snake) ? `feature_${snake}` : snake;
}

const inDir = (dir: string, file: string) => (dir === "" ? file : `${dir}/${file}`);

/**
 * The new paths for a feature: one module when it has one kind of implementation work
 * (src/boards.ts), a folder with one module per kind when it has several (src/boards/api.ts,
 * src/boards/index.ts), and one test file named after the feature.
 */
export function featurePaths(layout: Layout, featureId: string, implementationKinds: readonly string[]): FeaturePaths {
  const docs = layout.docsDir ? inDir(layout.docsDir, layouts.docs.file.replace("{name}", featureId)) : layouts.docs.fallback;
  const rule = layout.language === undefined ? undefined : LANGUAGES[layout.language];
  if (rule === undefined) {
    const glob = (pattern: string) => pattern.replace("{name}", featureId);
    return {
      implementation: new Map(implementationKinds.map((k) => [k, glob(layouts.fallback.source)])),
      tests: glob(layouts.fallback.test),
      docs,
    };
  }
  const name = moduleName(featureId, rule.nameStyle);
  const index = rule.index.replace("{name}", name);
  const implementation = new Map<string, string>();
  for (const kind of implementationKinds) {
    const module = (KIND_MODULES[kind] ?? kind).replace("{index}", index);
    const file = implementationKinds.length === 1 ? `${name}${rule.extension}` : `${name}/${module}${rule.extension}`;
    implementation.set(kind, inDir(layout.sourceDir, file));
  }
  const testFile = (rule.testName[layout.testStyle] ?? rule.testName.test ?? "{name}{ext}")
    .replace("{name}", name)
    .replace("{ext}", rule.extension);
  // Tests beside the code sit in the folder of the feature's main module.
  const mainDir = implementationKinds.length === 1 ? layout.sourceDir : inDir(layout.sourceDir, name);
  return { implementation, tests: inDir(layout.testDir ?? mainDir, testFile), docs };
}
