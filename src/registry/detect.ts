import { existsSync, readdirSync } from "node:fs";
import { extname, join } from "node:path";
import { parse as parseToml } from "smol-toml";
import detection from "../../data/detection.json" with { type: "json" };
import type { Config } from "../infra/config.js";
import { usageError } from "../infra/errors.js";
import { listProjectFiles } from "../infra/git.js";
import { readText } from "../infra/validation.js";

type CommandName = keyof Config["commands"];

interface Condition {
  script?: string;
  dependency?: string;
  file?: string;
}

export interface DetectedCommand {
  command: string;
  /** Why this command was chosen, shown to the user. */
  reason: string;
}

export interface Detection {
  languages: { name: string; files: number }[];
  ecosystems: string[];
  packageManagers: Record<string, string>;
  commands: Partial<Record<CommandName, DetectedCommand>>;
}

/** npm init's placeholder test script, which only fails. */
const NPM_PLACEHOLDER_TEST = /no test specified/;
const SKIPPED_DIRS = new Set(["node_modules", ".git", "dist", "build", "vendor", ".venv", "venv", "target", "__pycache__", ".buildrunner"]);

function walk(root: string, limit = 20_000): string[] {
  const out: string[] = [];
  const pending = [""];
  while (pending.length > 0 && out.length < limit) {
    const dir = pending.pop() as string;
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) pending.push(rel);
      } else if (entry.isFile()) out.push(rel);
    }
  }
  return out;
}

function readJson(root: string, file: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(readText(join(root, file)));
  } catch (error) {
    throw usageError(`Cannot read ${file}: ${(error as Error).message}`, {
      file,
      fix: `Make ${file} valid JSON, then run br attach again.`,
    });
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw usageError(`${file} does not hold a JSON object.`, {
      file,
      fix: `Make ${file} a package manifest ({ "name": … }), then run br attach again.`,
    });
  }
  return data as Record<string, unknown>;
}

/** `requests>=2; python_version<'3.12'` → `requests` */
function requirementName(spec: string): string {
  return (spec.trim().split(/[\s<>=!~;[(@]/)[0] ?? "").toLowerCase();
}

function readPyproject(root: string): Record<string, unknown> {
  try {
    return parseToml(readText(join(root, "pyproject.toml"))) as Record<string, unknown>;
  } catch (error) {
    throw usageError(`Cannot parse pyproject.toml: ${(error as Error).message.split("\n")[0]}`, {
      file: "pyproject.toml",
      fix: "Fix the TOML where the message points; br reads its tool sections to find your commands.",
    });
  }
}

const valuesOf = (table: unknown): unknown[] => Object.values((table ?? {}) as object);

/** PEP 621 and PEP 735 lists of requirement strings. */
function standardRequirements(doc: Record<string, unknown>): string[] {
  const project = (doc.project ?? {}) as Record<string, unknown>;
  const lists = [project.dependencies, ...valuesOf(project["optional-dependencies"]), ...valuesOf(doc["dependency-groups"])];
  return lists.flatMap((list) => (Array.isArray(list) ? list.filter((spec): spec is string => typeof spec === "string") : []));
}

/** Poetry's dependency tables (names are the keys), main, dev and every group. */
function poetryNames(tool: Record<string, unknown>): string[] {
  const poetry = (tool.poetry ?? {}) as Record<string, unknown>;
  const groups = valuesOf(poetry.group).map((group) => (group as { dependencies?: unknown }).dependencies);
  const tables = [poetry.dependencies, poetry["dev-dependencies"], ...groups];
  return tables.flatMap((table) => (table && typeof table === "object" ? Object.keys(table) : []));
}

function pyprojectDependencies(root: string): string[] {
  const doc = readPyproject(root);
  const tool = (doc.tool ?? {}) as Record<string, unknown>;
  return [
    ...standardRequirements(doc).map(requirementName),
    ...poetryNames(tool).map((name) => name.toLowerCase()),
    // A [tool.x] section means the tool is in use even when it is installed globally.
    ...Object.keys(tool).map((name) => name.toLowerCase()),
  ];
}

/** Names in requirements*.txt and Pipfile, one requirement a line. */
function requirementFileDependencies(root: string): string[] {
  const names: string[] = [];
  for (const file of readdirSync(root)) {
    if (!/^requirements.*\.txt$/.test(file) && file !== "Pipfile") continue;
    for (const line of readText(join(root, file)).split("\n")) {
      const name = requirementName(line.replace(/#.*/, ""));
      if (name && !name.startsWith("-")) names.push(name);
    }
  }
  return names;
}

async function pythonDependencies(root: string): Promise<Set<string>> {
  const fromPyproject = existsSync(join(root, "pyproject.toml")) ? pyprojectDependencies(root) : [];
  return new Set([...fromPyproject, ...requirementFileDependencies(root)]);
}

interface ProjectFacts {
  root: string;
  ecosystems: string[];
  scripts: Record<string, string>;
  dependencies: Set<string>;
  packageManagers: Record<string, string>;
}

const exists = (root: string, file: string) => existsSync(join(root, file));

function choosePackageManagers(root: string, ecosystems: string[], declaredManager: string | undefined): Record<string, string> {
  const packageManagers: Record<string, string> = {};
  for (const ecosystem of ecosystems) {
    const candidates = detection.packageManagers.filter((pm) => pm.ecosystem === ecosystem);
    const chosen =
      candidates.find((pm) => ecosystem === "node" && pm.name === declaredManager) ??
      candidates.find((pm) => pm.lockfiles.some((file) => exists(root, file))) ??
      candidates.find((pm) => pm.name === "npm" || pm.name === "pip") ??
      candidates[0];
    if (chosen) packageManagers[ecosystem] = chosen.name;
  }
  return packageManagers;
}

/** Why a rule's condition holds (for the user), or undefined when it does not. */
function conditionHolds(facts: ProjectFacts, when: Condition): string | undefined {
  const why: string[] = [];
  if (when.script !== undefined) {
    const script = facts.scripts[when.script];
    if (!script || (when.script === "test" && NPM_PLACEHOLDER_TEST.test(script))) return undefined;
    why.push(`package.json has a "${when.script}" script`);
  }
  if (when.dependency !== undefined) {
    if (!facts.dependencies.has(when.dependency)) return undefined;
    why.push(`${when.dependency} is a dependency`);
  }
  if (when.file !== undefined) {
    if (!exists(facts.root, when.file)) return undefined;
    why.push(`${when.file} exists`);
  }
  return why.length > 0 ? why.join(" and ") : "default for this ecosystem";
}

function detectCommands(facts: ProjectFacts): Detection["commands"] {
  const commands: Detection["commands"] = {};
  for (const rule of detection.commands) {
    const name = rule.command as CommandName;
    if (commands[name] || !facts.ecosystems.includes(rule.ecosystem)) continue;
    const reason = conditionHolds(facts, rule.when as Condition);
    if (reason === undefined) continue;
    const pm = detection.packageManagers.find((p) => p.name === facts.packageManagers[rule.ecosystem]) as
      | { run?: string; test?: string; exec?: string }
      | undefined;
    const command = rule.value
      .replace("{run}", pm?.run ?? "npm run")
      .replace("{test}", pm?.test ?? "npm test")
      .replace("{exec}", pm?.exec ?? "")
      .trim();
    commands[name] = { command, reason };
  }
  return commands;
}

export async function detectProject(root: string): Promise<Detection> {
  const files = listProjectFiles(root) ?? walk(root);
  const languages = detection.languages
    .map((lang) => ({ name: lang.name, files: files.filter((f) => lang.extensions.includes(extname(f))).length }))
    .filter((lang) => lang.files > 0)
    .sort((a, b) => b.files - a.files);
  const ecosystems = detection.ecosystems.filter((e) => e.manifests.some((file) => exists(root, file))).map((e) => e.name);

  const pkg = exists(root, "package.json") ? readJson(root, "package.json") : {};
  const declaredManager = typeof pkg.packageManager === "string" ? pkg.packageManager.split("@")[0] : undefined;
  const dependencies = new Set<string>([
    ...Object.keys((pkg.dependencies ?? {}) as object),
    ...Object.keys((pkg.devDependencies ?? {}) as object),
    ...(ecosystems.includes("python") ? await pythonDependencies(root) : []),
  ]);
  const packageManagers = choosePackageManagers(root, ecosystems, declaredManager);
  const scripts = (pkg.scripts ?? {}) as Record<string, string>;
  const commands = detectCommands({ root, ecosystems, scripts, dependencies, packageManagers });
  return { languages, ecosystems, packageManagers, commands };
}
