/**
 * `br hooks run pre-commit`: the one br process the installed pre-commit hook starts (src/quality/pre-commit.ts).
 * Domain code is loaded in the action, so `br --help` stays light.
 */
import { relative } from "node:path";
import type { Command } from "commander";
import type { Config } from "../../infra/config.js";
import { usageError } from "../../infra/errors.js";
import { style } from "../../infra/log.js";
import type { PreCommitResult } from "../../quality/pre-commit.js";
import type { StagedChange } from "../../security/sources.js";
import { workingDir } from "../context.js";
import { action, setExitCode } from "../main.js";
import { emit } from "../output.js";
import { gateLines } from "./quality.js";

const HELP =
  "\npre-commit: what the hook `br hooks install` writes runs, in one br process. It reads what is staged once (the\n" +
  "index's text, never the working tree's) and runs over it the secret and SQL injection scan (`br security check\n" +
  "--staged`) and, in a BuildRunner project, the fast gates complexity, function-length and file-length (`br quality\n" +
  "check --staged --only complexity,function-length,file-length`). Only what the commit makes worse blocks it: a finding\n" +
  "HEAD's version of the file already had, or a function already over a limit in HEAD and not made worse (matched by\n" +
  "name), is counted and let through; the security baseline and `br:allow` comments apply as in every scan.\n" +
  "Exit 0: the commit may go on; 1: a new finding at or above security.failOn, or new code over a gate's limit;\n" +
  "2: input br refuses (a malformed config.yaml, .gitleaks.toml or baseline), nothing checked.";

export function registerHooksRun(hooks: Command): void {
  hooks
    .command("run <hook>")
    .description("run a hook's checks now, as git runs them: pre-commit (the staged secret, SQL injection and fast gate checks)")
    .option("--json", 'print { "passed", "security": { "findings", "summary" }, "quality": { "passed", "gates" } | null, "durationMs" }')
    .addHelpText("after", HELP)
    .action(
      action<[string]>(async (hook, options) => {
        if (hook !== "pre-commit")
          throw usageError(`br hooks run: unknown hook "${hook}".`, {
            fix: "Use `br hooks run pre-commit`; the pre-push hook runs `br security check --pre-push <remote>`.",
          });
        const root = workingDir(options);
        const sources = await import("../../security/sources.js");
        // git lists and reads what is staged while the config, the rules and the checks' code load.
        const listing = sources.listStagedAsync(root);
        const blobs = listing.then((changes) =>
          sources.readBlobsAsync(
            root,
            (changes ?? []).map((c) => c.blob),
          ),
        );
        blobs.catch(() => undefined); // awaited below; a config error may end the command first
        const result = await runPreCommit(root, { listing, blobs });
        const { renderText } = await import("../../security/report.js");
        emit(options.json, { ...result, quality: result.quality ?? null }, () => render(result, renderText));
        if (!result.passed) setExitCode(1);
      }),
    );
}

/** The index as git is reading it: what is staged, and the staged blobs by id. */
interface Reading {
  listing: Promise<StagedChange[] | undefined>;
  blobs: Promise<Map<string, Buffer>>;
}

async function runPreCommit(root: string, reading: Reading): Promise<PreCommitResult> {
  const config = await projectConfig(root);
  const baselines = await import("../../security/baseline.js");
  const baseline = baselines.checkLocation(root, undefined);
  const accepted = baseline ? await baselines.loadBaseline(baseline) : new Set<string>();
  const skip = [baseline?.path, baselines.outputLocation(root, undefined).path]
    .filter((p): p is string => p !== undefined)
    .map((p) => relative(root, p));
  const { rulesFor } = await import("../../security/scan.js");
  const { preCommitCheck } = await import("../../quality/pre-commit.js");
  const rules = rulesFor(root, undefined);
  // Nothing listed may be a place without an index (a bare repository lists nothing): only then is git asked where this is.
  const listed = await reading.listing;
  const changes = listed?.length ? listed : await refuseOutsideWorkingTree(root, listed);
  // The measures' parser loads (and checks itself) while git is still reading the blobs; only when
  // a script is staged: a commit of docs or Python never pays for oxc.
  if (config) {
    const measures = await import("../../quality/measures/index.js");
    if (changes.some((c) => isScript(measures.measuredLanguageOf(c.path)))) measures.prepareMeasures();
  }
  return preCommitCheck({
    root,
    changes,
    blobs: await reading.blobs,
    rules,
    accepted,
    skip,
    failOn: config?.security.failOn ?? "high",
    ...(config ? { config } : {}),
  });
}

const isScript = (language: string | undefined): boolean => language !== undefined && language !== "python";

/**
 * The project's config in a BuildRunner project (the fast gates run and security.failOn holds);
 * undefined outside one. A config.yaml that cannot be read stops the hook with exit 2: a gate
 * that fell back to its defaults would pass what the team set to block.
 */
async function projectConfig(root: string): Promise<Config | undefined> {
  const { findProject } = await import("../../infra/project.js");
  let paths: ReturnType<typeof findProject>;
  try {
    paths = findProject(root);
  } catch {
    return undefined;
  }
  const { loadConfig } = await import("../../infra/load-config.js");
  return (await loadConfig(paths)).config;
}

/**
 * `listed` (what git listed as staged, undefined when it could not) when this is a working tree;
 * else exit 2: a bare repository, git's own folder or no repository at all has no index to read
 * from. Asked only when nothing was listed: a hook's every git call counts.
 */
async function refuseOutsideWorkingTree(root: string, listed: StagedChange[] | undefined): Promise<StagedChange[]> {
  const { git } = await import("../../infra/git.js");
  const asked = git(root, ["rev-parse", "--is-bare-repository", "--is-inside-git-dir", "--absolute-git-dir"]);
  const [bare, insideGitDir, gitDir = root] = asked.stdout.trim().split("\n");
  const fix = "Run it in a clone's working tree, where `git commit` runs the hook.";
  const workingTree = asked.code === 0 && bare !== "true" && insideGitDir !== "true";
  if (workingTree && listed) return listed;
  if (workingTree)
    throw usageError(`git could not list the changes staged in ${root} (\`git diff-index --cached\` failed).`, {
      fix: "Check the repository with `git status`, then commit again.",
    });
  const where =
    asked.code !== 0 ? "not in a git repository" : `in ${bare === "true" ? "a bare git repository" : "git's own folder"} (${gitDir})`;
  throw usageError(`${root} is ${where}: there is no index to read staged changes from.`, { fix });
}

type RenderSecurity = typeof import("../../security/report.js").renderText;

function render(result: PreCommitResult, renderSecurity: RenderSecurity): string[] {
  const lines = renderSecurity(result.security, { staged: true });
  if (result.quality) {
    const { passed, gates } = result.quality;
    lines.push(`${passed ? style.green("✓ fast gates pass") : style.red("✗ fast gates failing")} (measures over staged files)`);
    lines.push(...gateLines(gates));
    if (!passed)
      lines.push(
        style.dim(
          "  The commit was stopped: simplify or split the code named above (only what this commit made worse counts), `git add` again and commit.",
        ),
      );
  }
  if (!result.passed) lines.push(style.dim("  `git commit --no-verify` skips the check once."));
  return lines;
}
