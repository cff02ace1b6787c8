/**
 * `br hooks install|status|uninstall`: a pre-commit hook (and optionally pre-push) that runs the
 * staged secret and SQL injection scan (and, in a BuildRunner project, the fast quality gates on
 * the staged files, as the index holds them). BuildRunner's part sits between markers, so it lives alongside whatever the
 * hook already does; with husky it goes into .husky/<hook>, with lefthook or the pre-commit
 * framework into their config.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { writeFileAtomic } from "../infra/atomic-file.js";
import { usageError } from "../infra/errors.js";
import { git, gitRoot } from "../infra/git.js";

export const HOOKS = ["pre-commit", "pre-push"] as const;
export type HookName = (typeof HOOKS)[number];

const BEGIN = "# >>> buildrunner >>>";
const END = "# <<< buildrunner <<<";

export interface HookState {
  hook: HookName;
  manager: "git" | "husky" | "lefthook" | "pre-commit";
  file: string;
  installed: boolean;
}

/** The fast gates: br's own measures over the staged files (no build or test run in a commit hook). */
export const FAST_GATES = "complexity,function-length,file-length";

function command(hook: HookName, root: string): string {
  // The br that installed the hook, by absolute path, so it works without br on the PATH.
  const br = `"${process.execPath}" "${resolve(process.argv[1] as string)}"`;
  const scan = hook === "pre-commit" ? `${br} security check --staged` : `${br} security check`;
  // In a BuildRunner project the pre-commit hook also runs the fast quality gates on exactly what
  // is being committed: staged files as staged, never untracked or unstaged work.
  const inProject = existsSync(join(root, ".buildrunner", "config.yaml"));
  return hook === "pre-commit" && inProject ? `${scan} && ${br} quality check --staged --only ${FAST_GATES}` : scan;
}

function block(hook: HookName, root: string): string {
  // br's own exit code passes through: 1 for findings, 2 for input br refuses (a broken config.yaml).
  return `${BEGIN}\n# Installed by \`br hooks install\`; \`br hooks uninstall\` removes it.\n${command(hook, root)} || exit $?\n${END}\n`;
}

function repoRoot(cwd: string): string {
  const root = gitRoot(cwd);
  if (!root) throw usageError(`${cwd} is not in a git repository.`, { fix: "Run `git init` first." });
  return root;
}

function manager(root: string): HookState["manager"] {
  if (existsSync(join(root, ".husky"))) return "husky";
  if (["lefthook.yml", "lefthook.yaml", ".lefthook.yml"].some((f) => existsSync(join(root, f)))) return "lefthook";
  if (existsSync(join(root, ".pre-commit-config.yaml"))) return "pre-commit";
  return "git";
}

function hookFile(root: string, hook: HookName, kind: HookState["manager"]): string {
  if (kind === "husky") return join(root, ".husky", hook);
  if (kind === "lefthook")
    return join(root, ["lefthook.yml", "lefthook.yaml", ".lefthook.yml"].find((f) => existsSync(join(root, f))) as string);
  if (kind === "pre-commit") return join(root, ".pre-commit-config.yaml");
  return resolve(root, git(root, ["rev-parse", "--git-path", `hooks/${hook}`]).stdout.trim());
}

function stripBlock(text: string): string {
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) return text;
  return text.slice(0, start) + text.slice(end + END.length).replace(/^\n/, "");
}

export function hookStatus(cwd: string): HookState[] {
  const root = repoRoot(cwd);
  const kind = manager(root);
  return HOOKS.map((hook) => {
    const file = hookFile(root, hook, kind);
    const text = existsSync(file) ? readFileSync(file, "utf8") : "";
    const installed = kind === "lefthook" || kind === "pre-commit" ? text.includes(`br-${hook}`) : text.includes(BEGIN);
    return { hook, manager: kind, file, installed };
  });
}

export function installHooks(cwd: string, hooks: readonly HookName[]): HookState[] {
  const root = repoRoot(cwd);
  const kind = manager(root);
  for (const hook of hooks) {
    const file = hookFile(root, hook, kind);
    if (kind === "lefthook" || kind === "pre-commit") {
      const doc = parseDocument(readFileSync(file, "utf8"));
      if (kind === "lefthook") doc.setIn([hook, "commands", `br-${hook}`, "run"], command(hook, root));
      else {
        const repos = (doc.get("repos") as { items?: unknown[] } | undefined)?.items ?? [];
        const present = JSON.stringify(doc.toJS()).includes(`br-${hook}`);
        if (!present) {
          const entry = {
            repo: "local",
            hooks: [
              {
                id: `br-${hook}`,
                name: "BuildRunner security check",
                entry: command(hook, root),
                language: "system",
                pass_filenames: false,
                stages: [hook],
              },
            ],
          };
          if (repos.length === 0) doc.set("repos", [entry]);
          else doc.addIn(["repos"], entry);
        }
      }
      writeFileAtomic(file, doc.toString());
      continue;
    }
    mkdirSync(dirname(file), { recursive: true });
    const current = existsSync(file) ? stripBlock(readFileSync(file, "utf8")) : "";
    const base = current.trim() === "" ? "#!/bin/sh\n" : current.endsWith("\n") ? current : `${current}\n`;
    writeFileAtomic(file, `${base}${block(hook, root)}`);
    chmodSync(file, 0o755);
  }
  return hookStatus(root);
}

export function uninstallHooks(cwd: string): HookState[] {
  const root = repoRoot(cwd);
  const kind = manager(root);
  for (const hook of HOOKS) {
    const file = hookFile(root, hook, kind);
    if (!existsSync(file)) continue;
    if (kind === "lefthook" || kind === "pre-commit") {
      const doc = parseDocument(readFileSync(file, "utf8"));
      if (kind === "lefthook") doc.deleteIn([hook, "commands", `br-${hook}`]);
      else {
        const data = doc.toJS() as { repos?: { hooks?: { id?: string }[] }[] };
        const index = (data.repos ?? []).findIndex((r) => r.hooks?.some((h) => h.id === `br-${hook}`));
        if (index >= 0) doc.deleteIn(["repos", index]);
      }
      writeFileAtomic(file, doc.toString());
      continue;
    }
    const rest = stripBlock(readFileSync(file, "utf8"));
    if (rest.trim() === "" || rest.trim() === "#!/bin/sh") rmSync(file);
    else writeFileAtomic(file, rest);
  }
  return hookStatus(root);
}
