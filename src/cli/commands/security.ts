import { existsSync } from "node:fs";
import { relative } from "node:path";
import type { Command } from "commander";
import type { Severity } from "../../infra/config.js";
import { usageError } from "../../infra/errors.js";
import { style } from "../../infra/log.js";
import { findProject } from "../../infra/project.js";
import type { SkippedFile } from "../../security/scan.js";
import type { RuleSet } from "../../security/secrets/rules.js";
import { workingDir } from "../context.js";
import { action, setExitCode } from "../main.js";
import { emit } from "../output.js";
import { registerHooksRun } from "./hooks-run.js";
import { installAgentHookCommand } from "./mcp.js";

type Options = Record<string, unknown>;

/** The one source a scan reads; combining two is bad usage. */
function sourceOf(paths: readonly string[], options: Options): "paths" | "staged" | "since" | "history" | "pre-push" | "tree" {
  const chosen = [
    paths.length > 0 ? (paths.length === 1 && paths[0] === "-" ? "stdin (-)" : "paths") : undefined,
    options.staged ? "--staged" : undefined,
    options.since !== undefined ? "--since" : undefined,
    options.history ? "--history" : undefined,
    options.prePush !== undefined ? "--pre-push" : undefined,
  ].filter((c): c is string => c !== undefined);
  if (chosen.length > 1) {
    throw usageError(`${chosen.join(" and ")} cannot be combined: a check reads one source.`, {
      fix: "Choose one of: paths (or - for stdin), --staged, --since <ref>, --history, --pre-push; or none for the working tree.",
    });
  }
  if (options.prePush !== undefined) return "pre-push";
  if (options.since !== undefined) return "since";
  if (options.history) return "history";
  if (options.staged) return "staged";
  return paths.length > 0 ? "paths" : "tree";
}

function configOf(options: Options): string | undefined {
  const configFile = typeof options.config === "string" ? options.config : undefined;
  if (configFile && !existsSync(configFile))
    throw usageError(`${configFile} does not exist.`, {
      file: configFile,
      fix: "Give the path of a gitleaks-format rules file (.gitleaks.toml).",
    });
  return configFile;
}

/**
 * Runs the chosen source through the scanners. Input is checked first (a ref that names nothing is
 * exit 2 before anything is read); `skip` lists paths never to scan (baseline files).
 */
async function scanSource(root: string, paths: readonly string[], options: Options, skip: readonly string[]) {
  const source = sourceOf(paths, options);
  const configFile = configOf(options);
  for (const path of paths)
    if (path !== "-" && !existsSync(path))
      throw usageError(`${path} does not exist.`, { file: path, fix: "Name files or folders that exist, or - for standard input." });
  const { rulesFor } = await import("../../security/scan.js");
  const keep = (target: { path: string }) => !skip.includes(target.path);
  if (source === "pre-push") return scanPushed(root, options.prePush, rulesFor(root, configFile), keep);
  if (source === "since" || source === "history") {
    const history = await import("../../security/history.js");
    const since = source === "since" ? history.resolveCommit(root, String(options.since)) : undefined;
    return history.scanHistory(root, since, rulesFor(root, configFile), keep);
  }
  if (source === "tree" || source === "staged") await refuseWithoutWorkingTree(root, source);
  const sources = await import("../../security/sources.js");
  const targets =
    source === "staged"
      ? sources.stagedTargets(root)
      : source === "paths"
        ? paths.length === 1 && paths[0] === "-"
          ? [sources.stdinTarget()]
          : sources.pathTargets(root, paths)
        : sources.workingTreeTargets(root);
  const { scanInThreads } = await import("../../security/scan-threads.js");
  return scanInThreads(targets.filter(keep), rulesFor(root, configFile), { root, configFile });
}

/** The commits a push sends, from git's pre-push lines on stdin; `remote` is the hook's first argument. */
async function scanPushed(root: string, remote: unknown, rules: RuleSet, keep: KeepTarget) {
  const pushed = await import("../../security/pushed.js");
  const { inGitRepository } = await import("../../infra/git.js");
  if (!inGitRepository(root)) {
    throw usageError(`--pre-push: ${root} is not in a git repository.`, { fix: "Run it from the repository's pre-push hook." });
  }
  const refs = pushed.parsePrePushInput(pushed.readPrePushInput());
  const revisions = pushed.pushedRevisions(refs, typeof remote === "string" ? remote : undefined, pushed.gitKnowledge(root));
  const { scanCommits } = await import("../../security/history.js");
  return scanCommits(root, revisions, rules, keep);
}

type KeepTarget = (target: { path: string }) => boolean;

const SOURCE_HELP =
  "Sources (choose one): the working tree (default, respecting .gitignore), paths, - (stdin), --staged, --since <ref>\n" +
  "(the lines added by each commit in <ref>..HEAD) or --history (every commit reachable from HEAD). A secret added and\n" +
  "removed later is still found in the commits; merge commits count only lines new to every parent.\n" +
  "--pre-push [remote] (what `br hooks install --pre-push` runs) reads git's pre-push lines from stdin\n" +
  "(<local ref> <local sha> <remote ref> <remote sha>) and scans the lines added by every commit the push sends:\n" +
  "<remote sha>..<local sha>, or for a new branch the commits no ref of <remote> (refs/remotes/<remote>/*) holds.\n" +
  "A malformed line exits 2 and scans nothing.";

/** Kept here (not imported from the baseline module) so `br --help` loads no security code. */
const DEFAULT_BASELINE = ".buildrunner/security-baseline.json";

/**
 * The folder `br security baseline` works in. A bare repository (or .git) has no working tree to
 * keep the default baseline in: it would land among git's files.
 */
async function baselineRoot(options: Options): Promise<string> {
  const root = workingDir(options);
  if (typeof options.output === "string") return root;
  const { gitDirPlace } = await import("../../infra/git.js");
  const place = gitDirPlace(root);
  if (place === undefined) return root;
  const repo = place.kind === "bare" ? "a bare git repository" : "git's own folder";
  throw usageError(`${root} is in ${repo} (${place.gitDir}): the baseline would be written among git's files. Nothing was written.`, {
    fix: "Pass --output <file> outside the repository (and check against it with --baseline <file>), or run it in a clone.",
  });
}

/**
 * What a baseline accepts: the working tree, and the commits too when asked (what history holds
 * may be gone from the tree). A bare repository has commits only.
 */
async function baselineScans(root: string, options: Options, skip: readonly string[]) {
  const history = options.since !== undefined || options.history ? await scanSource(root, [], options, skip) : undefined;
  const { gitDirPlace } = await import("../../infra/git.js");
  if (history && gitDirPlace(root)) return { findings: history.findings, summary: { history: history.summary } };
  const tree = await scanSource(root, [], { config: options.config }, skip);
  const findings = [...tree.findings, ...(history?.findings ?? [])];
  return { findings, summary: history ? { ...tree.summary, history: history.summary } : tree.summary };
}

/** A bare repository (or .git itself) has no working tree or index: scanning there would read git's own files. */
async function refuseWithoutWorkingTree(root: string, source: "tree" | "staged"): Promise<void> {
  const { gitDirPlace } = await import("../../infra/git.js");
  const place = gitDirPlace(root);
  if (place === undefined) return;
  const repo = place.kind === "bare" ? "a bare git repository" : "git's own folder";
  const what = source === "tree" ? "working tree" : "index to read staged changes from";
  throw usageError(`${root} is in ${repo} (${place.gitDir}), which has no ${what}.`, {
    fix: "Scan its commits with `br security check --history`, or those after a ref with `--since <ref>`; or run it in a clone.",
  });
}

export function registerSecurity(program: Command): void {
  const security = program.command("security").description("scan for secrets and SQL injection; accept existing findings with a baseline");
  registerSecurityCheck(security);
  registerSecurityBaseline(security);
}

function registerSecurityCheck(security: Command): void {
  security
    .command("check [paths...]")
    .description(
      "scan the working tree (default), paths, stdin (-), the staged changes or commits; exit 1 on findings at or above security.failOn",
    )
    .option("--staged", "scan exactly what is staged")
    .option("--since <ref>", "scan the lines added by the commits after <ref> (<ref>..HEAD), e.g. origin/main")
    .option("--history", "scan the lines added by every commit reachable from HEAD")
    .option("--pre-push [remote]", "scan the commits a push sends, from git's pre-push lines on stdin (the pre-push hook)")
    .option("--format <format>", "text | json | sarif", "text")
    .option("--json", "same as --format json")
    .option("--config <file>", "a gitleaks-format TOML config (default: .gitleaks.toml when present)")
    .option("--baseline <file>", `leave out the findings accepted in this baseline (default: ${DEFAULT_BASELINE} when present)`)
    .addHelpText("after", `\n${SOURCE_HELP}\nFindings whose fingerprint is in the baseline are left out and counted in summary.baselined.`)
    .action(
      action<[string[]]>(async (paths, options) => {
        const format = options.json ? "json" : String(options.format);
        if (!["text", "json", "sarif"].includes(format))
          throw usageError(`Unknown format "${format}".`, { fix: "Use text, json or sarif." });
        const root = workingDir(options);
        sourceOf(paths, options);
        const baselines = await import("../../security/baseline.js");
        const baseline = baselines.checkLocation(root, typeof options.baseline === "string" ? options.baseline : undefined);
        const accepted = baseline ? await baselines.loadBaseline(baseline) : new Set<string>();
        const skip = [baseline?.path, baselines.outputLocation(root, undefined).path].filter((p): p is string => p !== undefined);
        const { fails } = await import("../../security/scan.js");
        const failOn = await failOnFor(root);
        const scanned = await scanSource(
          root,
          paths,
          options,
          skip.map((p) => relative(root, p)),
        );
        const result = baselines.applyBaseline(scanned, accepted);
        if (sourceOf(paths, options) === "tree") await rememberCheck(root, result.findings);
        const { renderSarif, renderText } = await import("../../security/report.js");
        if (format === "sarif") process.stdout.write(`${JSON.stringify(renderSarif(result), null, 2)}\n`);
        else
          emit(format === "json", result, () =>
            renderText(result, { pushing: options.prePush !== undefined, staged: options.staged === true }),
          );
        if (result.findings.some((f) => fails(f, failOn))) setExitCode(1);
        await refuseUnscannedNamedFiles(result.summary.skippedFiles);
      }),
    );
}

/**
 * The threshold: the project's security.failOn, or the default `high` outside a project (a plain git
 * repository using only the check, or a project without config.yaml). A config.yaml that cannot be
 * read stops the check with exit 2: a gate that fell back to its default would pass findings the
 * team set to block.
 */
async function failOnFor(root: string): Promise<Severity> {
  let paths: ReturnType<typeof findProject>;
  try {
    paths = findProject(root);
  } catch {
    return "high";
  }
  const { loadConfig } = await import("../../infra/load-config.js");
  return (await loadConfig(paths)).config.security.failOn;
}

/**
 * A file the user named that was not scanned (binary, unreadable) is exit 2, like a named path that
 * does not exist: the check could not do what was asked. Exit 1 keeps meaning "scanned, and found
 * something", so CI can tell a leak from an input it cannot judge. The report is still printed.
 */
async function refuseUnscannedNamedFiles(skipped: readonly SkippedFile[]): Promise<void> {
  const named = skipped.filter((s) => s.named);
  if (named.length === 0) return;
  const { mask } = await import("../../security/mask.js");
  const lines = named.map((s) => `${style.red("error:")} ${s.file} was named on the command line but not scanned: ${s.reason}.`);
  lines.push(
    "  fix:  Leave it out of the paths (a binary file holds no source to review), or make it readable; the report covers the rest.",
  );
  process.stderr.write(`${mask(lines.join("\n"))}\n`);
  setExitCode(2);
}

/** Inside a project, the dashboard shows the last check of its working tree. */
async function rememberCheck(root: string, findings: Parameters<typeof import("../../security/latest.js").recordLatestCheck>[1]) {
  let paths: ReturnType<typeof findProject>;
  try {
    paths = findProject(root);
  } catch {
    return; // outside a project there is no state to keep it in
  }
  const { recordLatestCheck } = await import("../../security/latest.js");
  recordLatestCheck(paths, findings);
  // Telemetry keeps counts by rule only: never a file, a line or the match.
  const { recordTelemetry } = await import("../../telemetry/store.js");
  const { loadConfig } = await import("../../infra/load-config.js");
  const { config } = await loadConfig(paths);
  const byRule = new Map<string, number>();
  for (const f of findings) byRule.set(f.rule, (byRule.get(f.rule) ?? 0) + 1);
  for (const [rule, count] of byRule) recordTelemetry(paths, config, "security.findings", { rule, count });
}

function registerSecurityBaseline(security: Command): void {
  security
    .command("baseline")
    .description(
      `accept the current findings: write their fingerprints to a baseline (default ${DEFAULT_BASELINE}) that check then leaves out`,
    )
    .option("--output <file>", `where to write the baseline (default: ${DEFAULT_BASELINE})`)
    .option("--since <ref>", "also accept the findings in the commits after <ref> (<ref>..HEAD)")
    .option("--history", "also accept the findings in every commit reachable from HEAD (secrets that stay in history)")
    .option("--config <file>", "a gitleaks-format TOML config (default: .gitleaks.toml when present)")
    .option("--json", 'print { "file", "accepted", "findings": [...], "summary" }')
    .addHelpText(
      "after",
      "\nScans the working tree like `br security check` (plus the commits with --since/--history) and replaces the\n" +
        "baseline with what it finds.\n" +
        "The file holds fingerprints, rules, files and masked matches, never a secret in clear; commit it so\n" +
        "everyone's checks and hooks accept the same findings. Fingerprints do not depend on line numbers.",
    )
    .action(
      action<[]>(async (options) => {
        const root = await baselineRoot(options);
        await failOnFor(root); // a broken config.yaml stops the baseline too, before it is written
        const baselines = await import("../../security/baseline.js");
        const where = baselines.outputLocation(root, typeof options.output === "string" ? options.output : undefined);
        const skip = [where.path, baselines.outputLocation(root, undefined).path].map((p) => relative(root, p));
        const { findings, summary } = await baselineScans(root, options, skip);
        const written = baselines.writeBaseline(where, findings);
        const accepted = written.findings.length;
        emit(options.json, { file: where.display, accepted, findings: written.findings, summary }, () => [
          ...written.findings.map((f) => `  ${f.rule.padEnd(24)} ${f.file}  ${style.dim(f.match)}`),
          `${style.green("✓")} ${accepted} finding(s) accepted in ${where.display}; \`br security check\` now reports only new ones.`,
        ]);
      }),
    );
}

export function registerHooks(program: Command): void {
  const hooks = program.command("hooks").description("git hooks that block leaked secrets before they are committed");
  const render = (states: { hook: string; manager: string; file: string; installed: boolean }[]) =>
    states.map(
      (s) => `${s.installed ? "✓" : "·"} ${s.hook.padEnd(10)} ${s.installed ? "installed" : "not installed"} (${s.manager}: ${s.file})`,
    );
  hooks
    .command("install")
    .description(
      "install the pre-commit hook (staged secret and SQL injection scan, plus the fast quality gates in a br project); --pre-push adds a scan of the commits each push sends",
    )
    .option("--pre-commit", "the pre-commit hook (the default)")
    .option("--pre-push", "also (or, with only this flag, only) the pre-push hook")
    .option("--agent <name>", "instead: the agent's Stop hook (claude | codex), which runs br verify --hook")
    .option("--max-blocks <n>", "with --agent: let the agent stop after this many blocks in a row (default 5)")
    .option("--command <cmd>", "with --agent: how the agent starts br (default: br on its PATH)")
    .option("--json", 'print { "hooks": [...] }')
    .addHelpText(
      "after",
      "\nThe pre-commit hook runs `br hooks run pre-commit`, one br process: the staged secret and SQL injection scan and,\n" +
        "in a BuildRunner project, the fast gates (complexity, function and file length), blocking only what the commit makes\n" +
        "worse than HEAD (see `br hooks run --help`).\n" +
        "The pre-push hook runs `br security check --pre-push <remote>`: it scans the lines added by every commit the push\n" +
        "sends, so a key committed and deleted later still blocks it.\n" +
        "Hooks in committed files (.husky/<hook>, lefthook.yml, .pre-commit-config.yaml) run on every clone, so they find br\n" +
        "there: node_modules/.bin/br (add buildrunner as a devDependency), else br on the PATH; without either they stop\n" +
        "with how to install it. The plain .git/hooks file, this clone's own, runs the br that installed it first.",
    )
    .action(
      action<[]>(async (options) => {
        if (options.agent !== undefined) return installAgentHookCommand(options);
        const { installHooks, managerNotes } = await import("../../security/hooks.js");
        const chosen: ("pre-commit" | "pre-push")[] = [];
        if (options.preCommit || !options.prePush) chosen.push("pre-commit");
        if (options.prePush) chosen.push("pre-push");
        const states = installHooks(workingDir(options), chosen);
        const notes = managerNotes(states);
        emit(options.json, { hooks: states, notes }, () => [...render(states), ...notes.map((n) => style.dim(`  ${n}`))]);
      }),
    );
  registerHooksRun(hooks);
  hooks
    .command("status")
    .description("which BuildRunner hooks are installed, and where")
    .option("--json", 'print { "hooks": [...] }')
    .action(
      action<[]>(async (options) => {
        const { hookStatus } = await import("../../security/hooks.js");
        const states = hookStatus(workingDir(options));
        emit(options.json, { hooks: states }, () => render(states));
      }),
    );
  hooks
    .command("uninstall")
    .description("remove BuildRunner's part of the hooks (the rest of each hook is kept)")
    .option("--json", 'print { "hooks": [...] }')
    .action(
      action<[]>(async (options) => {
        const { uninstallHooks } = await import("../../security/hooks.js");
        const states = uninstallHooks(workingDir(options));
        emit(options.json, { hooks: states }, () => render(states));
      }),
    );
}
