/**
 * `br hooks install|status|uninstall`: a pre-commit hook (and optionally pre-push). The pre-commit
 * hook starts one br, `br hooks run pre-commit` (src/quality/pre-commit.ts): the staged secret and
 * SQL injection scan and, in a BuildRunner project, the fast quality gates on the staged files, as
 * the index holds them. BuildRunner's part sits between markers, so it lives alongside whatever the
 * hook already does; with husky it goes into .husky/<hook>, with lefthook or the pre-commit
 * framework into their config.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { type Document, parseDocument } from "yaml";
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

/**
 * What a hook manager still needs after br wrote its config: lefthook and the pre-commit framework
 * run nothing until their own git hooks are installed, and lefthook has a blind spot br cannot close.
 */
export function managerNotes(states: readonly HookState[]): string[] {
  const kind = states[0]?.manager;
  const prePush = states.some((s) => s.hook === "pre-push" && s.installed);
  if (kind === "pre-commit")
    return [
      `The pre-commit framework runs these once its git hooks are installed: pre-commit install --hook-type pre-commit${prePush ? " --hook-type pre-push" : ""}`,
    ];
  if (kind !== "lefthook") return [];
  const notes = ["lefthook runs these once its git hooks are installed: lefthook install (its npm package does it on install)."];
  if (prePush)
    notes.push(
      "lefthook skips every pre-push command when the pushed commits change no file in total, so a key added and deleted within one push passes it: scan pushed branches in CI as well (br security check --since origin/main).",
    );
  return notes;
}

/**
 * How a hook finds br. Files that are committed and shared (.husky/<hook>, lefthook's and the
 * pre-commit framework's config) run on every teammate's machine, where the installer's absolute
 * paths do not exist: they look for this project's node_modules/.bin/br (a devDependency, the
 * version the project pins), then `br` on the PATH. The plain .git/hooks file belongs to this
 * clone only, so it tries the exact br that installed it first, by absolute path (it works from a
 * GUI client without br on the PATH), and falls back to the portable lookup when that is gone (a
 * Node upgrade, a cleared npx cache). When no br is found, the hook fails with how to fix it: the
 * check is a security gate the team committed, so it does not let a commit through unchecked.
 */
export function finder(hook: HookName, options: { installer?: Installer; multiline?: boolean } = {}): string {
  const { installer, multiline = false } = options;
  const node = installer ? shellQuote(installer.node) : "";
  const script = installer ? shellQuote(installer.script) : "";
  const places = [
    ...(installer ? [[`[ -f ${node} ] && [ -f ${script} ]`, `${node} ${script} "$@"`]] : []),
    ["[ -x node_modules/.bin/br ]", 'node_modules/.bin/br "$@"'],
    ["command -v br >/dev/null 2>&1", 'br "$@"'],
  ];
  const skip = `git ${hook === "pre-push" ? "push" : "commit"} --no-verify skips the check once`;
  const missing =
    `echo "BuildRunner ${hook} hook: br was not found (neither node_modules/.bin/br nor br on the PATH). ` +
    `Fix: npm install --save-dev buildrunner, or install br globally; ${skip}." >&2; return 127`;
  const lines = [...places.map(([test, run], i) => `${i === 0 ? "if" : "elif"} ${test}; then ${run}`), `else ${missing}`, "fi"];
  return multiline ? `buildrunner_br() {\n  ${lines.join("\n  ")}\n}` : `buildrunner_br() { ${lines.join("; ")}; }`;
}

interface Installer {
  node: string;
  script: string;
}

/** A path as one shell word, whatever it holds. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The one br a hook runs, with `remote` as the hook's first argument is written in that manager's
 * syntax (`"$1"` in a script, `{1}` in lefthook). The pre-commit check is one process that reads
 * the index once for the staged scan and, in a BuildRunner project (decided when it runs, so a
 * hook installed before `br init` gets the gates too), the fast quality gates.
 */
export function brRuns(hook: HookName, remote = '"$1"'): string {
  return hook === "pre-push" ? `buildrunner_br security check --pre-push ${remote}` : "buildrunner_br hooks run pre-commit";
}

/** The br that is running now, which installs a per-clone hook. */
function installer(): Installer {
  return { node: process.execPath, script: resolve(process.argv[1] as string) };
}

function block(hook: HookName, kind: "git" | "husky"): string {
  const find = kind === "git" ? finder(hook, { installer: installer(), multiline: true }) : finder(hook, { multiline: true });
  // br's own exit code passes through: 1 for findings, 2 for input br refuses (a broken config.yaml).
  const run = hook === "pre-push" ? PRE_PUSH_RUN(brRuns(hook)) : [`${brRuns(hook)} || exit $?`];
  return `${[BEGIN, "# Installed by `br hooks install`; `br hooks uninstall` removes it.", find, ...run, END].join("\n")}\n`;
}

/**
 * The pre-push scan reads git's lines from stdin, and so may the rest of the hook (`git lfs
 * pre-push` reads them all): br runs first on a copy, and the hook's stdin is the copy again after.
 */
const PRE_PUSH_RUN = (command: string): string[] => [
  "buildrunner_stdin=$(mktemp) || exit 1",
  'cat > "$buildrunner_stdin"',
  `${command} < "$buildrunner_stdin" || { buildrunner_rc=$?; rm -f "$buildrunner_stdin"; exit $buildrunner_rc; }`,
  'exec < "$buildrunner_stdin"',
  'rm -f "$buildrunner_stdin"',
];

/** The hook file with br's block: a pre-push block goes first (after the shebang), so it sees git's lines. */
function withBlock(current: string, hook: HookName, added: string): string {
  if (current.trim() === "") return `#!/bin/sh\n${added}`;
  const text = current.endsWith("\n") ? current : `${current}\n`;
  if (hook !== "pre-push") return `${text}${added}`;
  const shebang = text.startsWith("#!") ? text.slice(0, text.indexOf("\n") + 1) : "";
  return `${shebang}${added}${text.slice(shebang.length)}`;
}

/**
 * lefthook runs `run` with sh; it passes stdin (git's pre-push lines) only with use_stdin, and
 * the hook's arguments as {1}, {2}.
 */
function lefthookCommand(hook: HookName): Record<string, unknown> {
  const run = `${finder(hook)}; ${brRuns(hook, "{1}")}`;
  return hook === "pre-push" ? { run, use_stdin: true } : { run };
}

/**
 * The pre-commit framework runs `entry` without a shell and gives a pre-push hook no stdin: it
 * reads git's lines itself and passes the first pushed ref in PRE_COMMIT_* variables (FROM_REF
 * unset when the push starts at a root commit), from which the line br reads is rebuilt.
 */
export function preCommitEntry(hook: HookName): string {
  const zero = "0".repeat(40);
  // FROM_REF is unset when the push starts at a root commit: then it is a new branch to br.
  const line = `printf "%s %s %s %s\\n" "$PRE_COMMIT_LOCAL_BRANCH" "\${PRE_COMMIT_TO_REF:-$(git rev-parse "$PRE_COMMIT_LOCAL_BRANCH")}" "$PRE_COMMIT_REMOTE_BRANCH" "\${PRE_COMMIT_FROM_REF:-${zero}}" | `;
  const runs = hook === "pre-push" ? `${line}${brRuns(hook, '"$PRE_COMMIT_REMOTE_NAME"')}` : brRuns(hook);
  return `sh -c '${finder(hook)}; ${runs}'`;
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

/** Where br's local repo entry sits in a pre-commit config, or -1. */
function brRepoIndex(doc: Document, hook: HookName): number {
  const data = doc.toJS() as { repos?: { hooks?: { id?: string }[] }[] } | null;
  return (data?.repos ?? []).findIndex((r) => r.hooks?.some((h) => h.id === `br-${hook}`));
}

/** br's entry in a pre-commit config, replaced in place when present (an older install's command is updated). */
function setPreCommitRepo(doc: Document, hook: HookName): void {
  const entry = {
    repo: "local",
    hooks: [
      {
        id: `br-${hook}`,
        name: "BuildRunner security check",
        entry: preCommitEntry(hook),
        language: "system",
        pass_filenames: false,
        // Without it the framework skips a hook when the push changes no file in total, which is
        // exactly a key added and deleted within the pushed commits.
        always_run: true,
        stages: [hook],
      },
    ],
  };
  const index = brRepoIndex(doc, hook);
  const repos = (doc.get("repos") as { items?: unknown[] } | undefined)?.items ?? [];
  if (index >= 0) doc.setIn(["repos", index], entry);
  else if (repos.length === 0) doc.set("repos", [entry]);
  else doc.addIn(["repos"], entry);
}

export function installHooks(cwd: string, hooks: readonly HookName[]): HookState[] {
  const root = repoRoot(cwd);
  const kind = manager(root);
  for (const hook of hooks) {
    const file = hookFile(root, hook, kind);
    if (kind === "lefthook" || kind === "pre-commit") {
      const doc = parseDocument(readFileSync(file, "utf8"));
      if (kind === "lefthook") doc.setIn([hook, "commands", `br-${hook}`], lefthookCommand(hook));
      else setPreCommitRepo(doc, hook);
      writeFileAtomic(file, doc.toString({ lineWidth: 0 }));
      continue;
    }
    mkdirSync(dirname(file), { recursive: true });
    const current = existsSync(file) ? stripBlock(readFileSync(file, "utf8")) : "";
    writeFileAtomic(file, withBlock(current, hook, block(hook, kind)));
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
        const index = brRepoIndex(doc, hook);
        if (index >= 0) doc.deleteIn(["repos", index]);
      }
      writeFileAtomic(file, doc.toString({ lineWidth: 0 }));
      continue;
    }
    const rest = stripBlock(readFileSync(file, "utf8"));
    if (rest.trim() === "" || rest.trim() === "#!/bin/sh") rmSync(file);
    else writeFileAtomic(file, rest);
  }
  return hookStatus(root);
}
