/**
 * Commits as a scan source (`br security check --since <ref>` and `--history`): what each commit
 * ADDED, so a secret that was committed and removed later is still found — it stays readable in
 * the repository's history until that history is rewritten.
 *
 * One `git log -p -U0` process is read as a stream, one commit at a time. For every file a commit
 * changed, the lines it added become one scan target, and the line numbers of what the engine
 * finds are mapped back, through the hunk headers, to the line in that commit's version of the
 * file. Decisions:
 * - The range is `<ref>..HEAD` for --since (the commits after <ref>, as `git log <ref>..HEAD`
 *   lists them, merged branches included) and everything reachable from HEAD for --history.
 * - Merge commits are read as dense combined diffs (`--cc`): only lines that are new with respect
 *   to every parent count (a conflict resolution or an "evil merge" that brings in a key), since
 *   everything else the merge brings in was already scanned in the commit that added it.
 * - Renames are detected (`-M`), so a moved file is not scanned again; binary files ("Binary files
 *   … differ") and deletions add no lines and yield nothing.
 * - Only secrets are reported: a leaked key stays leaked in history, while SQL injection is a
 *   property of the current code, and fragments of added lines are not code a parser can judge.
 */
import { spawn } from "node:child_process";
import { failure, usageError } from "../infra/errors.js";
import { git, headCommit, inGitRepository } from "../infra/git.js";
import { type ScanResult, scanTargets } from "./scan.js";
import type { SecretFinding } from "./secrets/engine.js";
import type { RuleSet } from "./secrets/rules.js";
import type { ScanTarget } from "./sources.js";

/** The lines one commit added to one file. */
export interface AddedLines {
  commit: string;
  /** Path in that commit, relative to the scan root. */
  path: string;
  /** The added lines, without their diff prefix. */
  text: string[];
  /** For each added line, its 1-based line number in the commit's version of the file. */
  lineNumbers: number[];
}

export type HistoryScanResult = ScanResult & { summary: ScanResult["summary"] & { commits: number } };

/** Resolves a ref to a commit sha, or explains (exit 2) that it names nothing. */
export function resolveCommit(root: string, ref: string): string {
  if (!inGitRepository(root)) {
    throw usageError(`--since ${ref}: ${root} is not in a git repository.`, {
      fix: "Run it inside a git repository, or pass --cwd <repo>.",
    });
  }
  // Never let a ref be read as an option of git's.
  const result = ref.startsWith("-") ? undefined : git(root, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  const sha = result?.code === 0 ? result.stdout.trim() : "";
  if (!/^[0-9a-f]{40,64}$/.test(sha)) {
    throw usageError(`--since ${ref}: no such commit, branch or tag in this repository.`, {
      fix: "Give a ref that exists (see `git log --oneline` or `git branch -a`), e.g. --since origin/main or --since HEAD~5; use --history to scan every commit.",
    });
  }
  return sha;
}

/** `"b/tab\t\303\251.txt"` → `b/tab\té.txt`: git's C-style quoting of unusual paths, undone. */
export function unquotePath(quoted: string): string {
  if (!quoted.startsWith('"')) return quoted;
  const bytes: number[] = [];
  const simple: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, "\\": 92 };
  for (let i = 1; i < quoted.length; i++) {
    const ch = quoted[i] as string;
    if (ch === '"') break;
    if (ch !== "\\") {
      bytes.push(...Buffer.from(ch, "utf8"));
      continue;
    }
    const next = quoted[i + 1] ?? "";
    const octal = /^[0-7]{3}/.exec(quoted.slice(i + 1, i + 4));
    if (octal) {
      bytes.push(Number.parseInt(octal[0], 8));
      i += 3;
    } else {
      bytes.push(simple[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** The new-side path of a `+++ ` header line, or undefined for `/dev/null`. */
function newPath(header: string): string | undefined {
  const raw = header.slice(4);
  // Git ends the line with a tab when an unquoted name contains a space.
  const name = raw.startsWith('"') ? unquotePath(raw) : raw.replace(/\t$/, "");
  if (name === "/dev/null") return undefined;
  return name.startsWith("b/") ? name.slice(2) : name;
}

const LOG_ARGS = [
  "-c",
  "core.quotePath=true",
  "-c",
  "diff.suppressBlankEmpty=false",
  "log",
  "-p",
  "-U0",
  "--inter-hunk-context=0",
  "--root",
  "--cc",
  "-M",
  "--relative",
  "--no-color",
  "--no-ext-diff",
  "--no-textconv",
  // A file marked `-diff` or `binary` in .gitattributes shows as "Binary files differ" without
  // it: its added lines, a key among them, would never be read.
  "--text",
  "--no-show-signature",
  "--src-prefix=a/",
  "--dst-prefix=b/",
  "--format=%x00%H",
];

type CommitLines = { commit: string; files: AddedLines[] };

/**
 * Streams `git log -p` for a range and yields, per commit, the lines it added to each file. The
 * parser tells headers from content by mode: inside a hunk every line starts with one prefix
 * character per parent (`+`, `-`, space) or `\`; anything else ends the hunk.
 */
export async function* addedLines(root: string, range: readonly string[]): AsyncGenerator<CommitLines> {
  const log = spawnLog(root, range);
  const { child } = log;
  const parser = new LogParser();
  let rest: Buffer = Buffer.alloc(0);
  let code: number;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      let data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
      for (let newline = data.indexOf(10); newline !== -1; newline = data.indexOf(10)) {
        const done = parser.line(data.subarray(0, newline));
        data = data.subarray(newline + 1);
        if (done) yield done;
      }
      rest = Buffer.from(data);
    }
    code = await log.exited;
  } finally {
    // The consumer stopped early (an error while scanning): do not leave git running.
    if (child.exitCode === null && child.signalCode === null) child.kill();
  }
  const done = rest.length > 0 ? parser.line(rest) : undefined;
  if (done) yield done;
  const last = parser.endCommit();
  if (code !== 0) {
    throw failure(`git log failed: ${log.stderr.trim() || `exit code ${code}`}`, {
      fix: "Fix what git reports (a damaged or shallow repository?), then run the check again.",
    });
  }
  if (last) yield last;
}

/** `git log -p` over the range, its stderr collected and its exit code awaited. */
function spawnLog(root: string, range: readonly string[]) {
  const child = spawn("git", [...LOG_ARGS, ...range, "--"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  const log = {
    child,
    stderr: "",
    exited: new Promise<number>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code) => resolve(code ?? 1));
    }),
  };
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    log.stderr += chunk;
  });
  return log;
}

/** Reads the log line by line: which commit and file it is in, and whether inside a hunk. */
class LogParser {
  private commit: string | undefined;
  private files: AddedLines[] = [];
  private file: AddedLines | undefined;
  private inHunk = false;
  /** Prefix characters per hunk line: one per parent. */
  private columns = 1;
  /** The new-side line number of the next hunk line. */
  private lineNumber = 0;

  /** Takes one line (without its newline); returns the previous commit when the line starts the next. */
  line(line: Buffer): CommitLines | undefined {
    const first = line[0];
    if (first === 0) return this.startCommit(line);
    // + - space \  (0x2b 0x2d 0x20 0x5c)
    if (this.inHunk && (first === 0x2b || first === 0x2d || first === 0x20 || first === 0x5c)) {
      this.hunkLine(line, first);
      return undefined;
    }
    this.inHunk = false;
    this.header(line.toString("utf8"));
    return undefined;
  }

  /** Ends the commit being read; returns it, if there was one. */
  endCommit(): CommitLines | undefined {
    this.endFile();
    const done = this.commit !== undefined ? { commit: this.commit, files: this.files } : undefined;
    this.files = [];
    return done;
  }

  private endFile(): void {
    if (this.file && this.file.text.length > 0) this.files.push(this.file);
    this.file = undefined;
  }

  private startCommit(line: Buffer): CommitLines | undefined {
    const done = this.endCommit();
    this.commit = line.subarray(1).toString("latin1").trim();
    this.inHunk = false;
    return done;
  }

  private hunkLine(line: Buffer, first: number): void {
    if (first === 0x5c) return; // "\ No newline at end of file"
    const prefix = line.subarray(0, this.columns);
    if (prefix.includes(0x2d)) return; // only in a parent: not in this commit's file
    if (this.file && prefix.every((c) => c === 0x2b)) {
      this.file.text.push(line.subarray(this.columns).toString("utf8"));
      this.file.lineNumbers.push(this.lineNumber);
    }
    this.lineNumber++;
  }

  private header(text: string): void {
    if (text.startsWith("@@")) {
      // `@@ -a,b +c,d @@`, or `@@@ -a,b -c,d +e,f @@@` for a merge: one column per parent.
      const ats = /^@+/.exec(text)?.[0].length ?? 2;
      const target = /\+(\d+)(?:,\d+)? @@/.exec(text);
      this.columns = ats - 1;
      this.lineNumber = Number(target?.[1] ?? 0);
      this.inHunk = true;
    } else if (text.startsWith("diff ")) {
      this.endFile();
    } else if (text.startsWith("+++ ") && this.commit !== undefined) {
      this.endFile();
      const path = newPath(text);
      if (path !== undefined && !path.startsWith(".buildrunner/state/"))
        this.file = { commit: this.commit, path, text: [], lineNumbers: [] };
    }
  }
}

function target(added: AddedLines): ScanTarget {
  return {
    path: added.path,
    commit: added.commit,
    // However large, it is scanned (in chunks past 10 MiB): nothing a commit added goes unread.
    read: () => Buffer.from(`${added.text.join("\n")}\n`, "utf8"),
  };
}

/** Sums what each batch's scan counted (whatever counters the scanner reports) and joins its lists (skipped files). */
function addSummary(total: Record<string, unknown>, part: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(part)) {
    if (typeof value === "number") total[key] = ((total[key] as number | undefined) ?? 0) + value;
    else if (Array.isArray(value)) total[key] = [...((total[key] as unknown[] | undefined) ?? []), ...value];
    else if (!(key in total)) total[key] = value;
  }
}

/**
 * Scans the commits of a range: `since` (a sha from resolveCommit) gives `since..HEAD`, undefined
 * gives every commit reachable from HEAD. `keep` can drop targets before they are read.
 */
export async function scanHistory(
  root: string,
  since: string | undefined,
  rules: RuleSet,
  keep: (target: ScanTarget) => boolean = () => true,
): Promise<HistoryScanResult> {
  if (!inGitRepository(root)) {
    throw usageError(`--history: ${root} is not in a git repository.`, { fix: "Run it inside a git repository, or pass --cwd <repo>." });
  }
  const revisions = headCommit(root) === undefined ? [] : since ? [`${since}..HEAD`] : ["HEAD"];
  return scanCommits(root, revisions, rules, keep);
}

/**
 * Scans what each commit of `git log <revisions>` added (revisions as git log takes them, e.g.
 * `a..b` or `b ^a --not --remotes=origin`); no revisions means no commits, never HEAD.
 */
export async function scanCommits(
  root: string,
  revisions: readonly string[],
  rules: RuleSet,
  keep: (target: ScanTarget) => boolean = () => true,
): Promise<HistoryScanResult> {
  const started = Date.now();
  const empty = scanTargets([], rules);
  const summary = { ...empty.summary } as Record<string, unknown>;
  const findings: SecretFinding[] = [];
  let commits = 0;
  if (revisions.length > 0) {
    for await (const { commit, files } of addedLines(root, revisions)) {
      commits++;
      const targets = files.map(target).filter(keep);
      if (targets.length === 0) continue;
      const result = scanTargets(targets, rules);
      addSummary(summary, result.summary);
      findings.push(...secretsOf(result.findings, files, commit));
    }
  }
  findings.sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || (a.commit ?? "").localeCompare(b.commit ?? ""),
  );
  const severities = Object.keys(empty.summary.bySeverity);
  const bySeverity = Object.fromEntries(severities.map((s) => [s, findings.filter((f) => f.severity === s).length]));
  return {
    findings,
    summary: { ...(summary as ScanResult["summary"]), bySeverity, durationMs: Date.now() - started, commits },
  };
}

/** The secrets found in one commit's added lines, placed on the line of the commit's version of each file. */
function secretsOf(found: ScanResult["findings"], files: readonly AddedLines[], commit: string): SecretFinding[] {
  // Paths are unique within one commit, so a finding's file names its target.
  const byPath = new Map(files.map((f) => [f.path, f.lineNumbers]));
  return found
    .filter((finding): finding is SecretFinding => finding.kind === "secret")
    .map((finding) => {
      const numbers = byPath.get(finding.file) ?? [];
      return {
        ...finding,
        line: numbers[finding.line - 1] ?? finding.line,
        endLine: numbers[finding.endLine - 1] ?? finding.endLine,
        commit,
      };
    });
}
