/**
 * `br doctor`, and the same checks at the start of `br run`: can the executor run here, can the
 * configured checks run, and is the repository in a state br can commit to? Each problem comes
 * with its fix. `fail` stops `br run` before any task (exit 2); `warn` is printed and the run goes on.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Config } from "../infra/config.js";
import { git, isGitRepo } from "../infra/git.js";
import { runSync } from "../infra/process.js";
import { findProgram, firstProgram } from "../infra/programs.js";
import type { ProjectPaths } from "../infra/project.js";

export type CheckStatus = "ok" | "warn" | "fail";

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

/** The program each agent CLI runs as, what it is called, and where it keeps a login. */
const AGENTS: Record<string, { command: string; product: string; keys: string[]; logins: string[] }> = {
  claude: {
    command: "claude",
    product: "Claude Code (npm i -g @anthropic-ai/claude-code)",
    keys: ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN", "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX"],
    logins: [join(process.env.CLAUDE_CONFIG_DIR ?? join(homedir(), ".claude"), ".credentials.json")],
  },
  codex: {
    command: "codex",
    product: "the Codex CLI (npm i -g @openai/codex)",
    keys: ["OPENAI_API_KEY", "CODEX_API_KEY"],
    logins: [join(process.env.CODEX_HOME ?? join(homedir(), ".codex"), "auth.json")],
  },
  gemini: {
    command: "gemini",
    product: "Gemini CLI (npm i -g @google/gemini-cli)",
    keys: ["GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_GCA"],
    logins: [join(homedir(), ".gemini", "oauth_creds.json")],
  },
  aider: {
    command: "aider",
    product: "Aider (pipx install aider-chat)",
    keys: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "OPENROUTER_API_KEY", "DEEPSEEK_API_KEY"],
    logins: [],
  },
};

function executorCheck(executor: string, config: Config, root: string, askVersion: boolean): DoctorCheck[] {
  const agent = AGENTS[executor];
  if (!agent) return executorCommandCheck(executor, config, root);
  const command = config.executors[executor]?.command ?? agent.command;
  const found = findProgram(command, root);
  if (!found)
    return [
      {
        name: `executor ${executor}`,
        status: "fail",
        detail: `\`${command}\` is not installed or not on PATH`,
        fix: `Install ${agent.product}, or set executors.${executor}.command to its path.`,
      },
    ];
  const printed = askVersion ? (runSync(found, ["--version"], { cwd: root, timeoutMs: 15_000 }).stdout.trim().split("\n")[0] ?? "") : "";
  return [
    { name: `executor ${executor}`, status: "ok", detail: `${found}${printed ? ` (${printed})` : ""}` },
    credentialsCheck(executor, agent),
  ];
}

function executorCommandCheck(executor: string, config: Config, root: string): DoctorCheck[] {
  if (executor !== "command") return [{ name: `executor ${executor}`, status: "ok", detail: "built into br" }];
  const line = config.executors.command?.command;
  if (!line)
    return [
      {
        name: "executor command",
        status: "fail",
        detail: "no command line is configured",
        fix: 'br config set executors.command.command "my-agent --prompt-file {prompt_file}"',
      },
    ];
  return [programCheck("executor command", line, root, "executors.command.command")];
}

function credentialsCheck(executor: string, agent: (typeof AGENTS)[string]): DoctorCheck {
  const key = agent.keys.find((k) => process.env[k]);
  if (key) return { name: `${executor} credentials`, status: "ok", detail: `${key} is set` };
  const login = agent.logins.find((f) => existsSync(f));
  if (login) return { name: `${executor} credentials`, status: "ok", detail: `logged in (${login})` };
  return {
    name: `${executor} credentials`,
    status: "warn",
    detail: `none found (${agent.keys.slice(0, 2).join(", ")} unset, no saved login); a login kept in the system keychain is not visible to br`,
    fix: `Log in with \`${agent.command}\` once, or set ${agent.keys[0]}.`,
  };
}

/** Words the shell runs itself: nothing to find on PATH. */
const SHELL_WORDS = new Set([
  "cd",
  "export",
  "set",
  "test",
  "[",
  "true",
  "false",
  "source",
  ".",
  "exec",
  "if",
  "for",
  "(",
  "{",
  "env",
  "command",
]);

function programCheck(name: string, commandLine: string, root: string, key = name): DoctorCheck {
  const program = firstProgram(commandLine);
  if (!program) return { name, status: "fail", detail: "the command is empty", fix: `Set ${name} to a command line.` };
  if (SHELL_WORDS.has(program) || findProgram(program, root)) return { name, status: "ok", detail: commandLine };
  return {
    name,
    status: "fail",
    detail: `\`${program}\` (from \`${commandLine}\`) is not installed or not on PATH`,
    fix: `Install ${program}, or change the command: br config set ${key} "<command line>".`,
  };
}

function commandChecks(config: Config, root: string): DoctorCheck[] {
  const entries = Object.entries(config.commands).filter(([key, value]) => key !== "coverage" && typeof value === "string");
  return entries.map(([key, value]) => programCheck(`commands.${key}`, value as string, root));
}

/** The repository states br cannot commit verified work in. */
function gitChecks(root: string): DoctorCheck[] {
  if (!isGitRepo(root))
    return [{ name: "git", status: "fail", detail: `${root} is not a git repository`, fix: "Run `git init` and commit first." }];
  if (git(root, ["rev-parse", "--is-bare-repository"]).stdout.trim() === "true")
    return [{ name: "git", status: "fail", detail: "the repository is bare", fix: "Run br in a clone with a working tree." }];
  const checks: DoctorCheck[] = [];
  if (git(root, ["symbolic-ref", "-q", "HEAD"]).code !== 0)
    checks.push({
      name: "git HEAD",
      status: "fail",
      detail: "HEAD is detached: verified work would be committed to no branch",
      fix: "Switch to a branch (git switch main, or git switch -c br-work).",
    });
  const gitDir = git(root, ["rev-parse", "--absolute-git-dir"]).stdout.trim();
  const inProgress = ["MERGE_HEAD", "rebase-merge", "rebase-apply", "CHERRY_PICK_HEAD", "REVERT_HEAD", "BISECT_LOG"].find((f) =>
    existsSync(join(gitDir, f)),
  );
  if (inProgress)
    checks.push({
      name: "git operation",
      status: "fail",
      detail: `a git operation is in progress (${inProgress})`,
      fix: "Finish or abort it first (git merge --abort, git rebase --abort, git cherry-pick --abort, git bisect reset).",
    });
  if (checks.length === 0) checks.push({ name: "git", status: "ok", detail: "on a branch, no operation in progress" });
  return checks;
}

/** `askVersion`: run the executor's `--version` (br doctor does; br run only looks for the program). */
export function doctor(paths: ProjectPaths, config: Config, executor: string, options: { askVersion?: boolean } = {}): DoctorCheck[] {
  return [
    ...executorCheck(executor, config, paths.root, options.askVersion === true),
    ...commandChecks(config, paths.root),
    ...gitChecks(paths.root),
  ];
}
