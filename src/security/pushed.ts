/**
 * What a push sends (`br security check --pre-push [remote]`, run by the pre-push hook): git gives
 * the hook one line per ref on stdin, `<local ref> <local sha> <remote ref> <remote sha>`, and the
 * commits to scan are those the push adds to the remote — not the working tree, which no longer
 * shows a key that was committed and deleted later, though the push still carries it.
 *
 * Decisions:
 * - An update (both shas set) sends `<remote sha>..<local sha>`. Every line's local sha is a
 *   starting point and every remote sha an end, in one `git log`: a commit the remote already has
 *   under one ref is not sent again for another.
 * - A new ref (remote sha all zeros), or a remote sha this clone does not have (a force push over
 *   commits never fetched), sends what no remote-tracking ref of that remote holds: `--not
 *   --remotes=<remote>`, as the pre-commit framework computes it. Without a remote name, any
 *   remote's refs count; when the remote is a URL (no such remote configured), none does.
 * - A deletion (local sha all zeros) sends nothing.
 * - A line that is not four fields with 40- or 64-hex shas, or a local sha that is no commit
 *   here, is bad input (exit 2): the hook then blocks the push with the reason, rather than let
 *   it through unscanned.
 */
import { readFileSync } from "node:fs";
import { usageError } from "../infra/errors.js";
import { git } from "../infra/git.js";
import { mask } from "./mask.js";

export interface PushedRef {
  localRef: string;
  localSha: string;
  remoteRef: string;
  remoteSha: string;
}

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const isZero = (sha: string) => /^0+$/.test(sha);

const LINE_FIX =
  "br reads the lines git gives a pre-push hook: install the hook with `br hooks install --pre-push`, or pipe in lines of `<local ref> <local sha> <remote ref> <remote sha>`.";

/** git's pre-push lines, checked: blank lines are skipped, anything else must be four fields. */
export function parsePrePushInput(text: string): PushedRef[] {
  const refs: PushedRef[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === "") return;
    const fields = line.trim().split(/\s+/);
    const [localRef, localSha, remoteRef, remoteSha] = fields;
    if (fields.length !== 4 || !SHA.test(localSha ?? "") || !SHA.test(remoteSha ?? "")) {
      // What was piped in might hold anything: shown short and masked.
      const shown = mask(line.length > 120 ? `${line.slice(0, 120)}…` : line);
      throw usageError(
        `--pre-push: stdin line ${index + 1} is not "<local ref> <local sha> <remote ref> <remote sha>": ${JSON.stringify(shown)}. Nothing was scanned.`,
        { file: "(stdin)", place: `line ${index + 1}`, fix: LINE_FIX },
      );
    }
    refs.push({ localRef, localSha, remoteRef, remoteSha } as PushedRef);
  });
  return refs;
}

/** Where commits the remote already has are found: its remote-tracking refs. */
export interface RemoteKnowledge {
  /** Whether the sha names a commit (or a tag of one) in this clone. */
  isCommit: (sha: string) => boolean;
  /** The configured remotes' names. */
  remotes: readonly string[];
}

/**
 * The revisions for `git log` that list exactly the commits a push sends, or [] when it sends
 * none. `remote` is the hook's first argument (a remote's name, or a URL).
 */
export function pushedRevisions(refs: readonly PushedRef[], remote: string | undefined, known: RemoteKnowledge): string[] {
  const starts: string[] = [];
  const ends: string[] = [];
  for (const ref of refs) {
    if (isZero(ref.localSha)) continue; // a deletion sends no commits
    if (!known.isCommit(ref.localSha)) {
      throw usageError(`--pre-push: ${ref.localRef} ${ref.localSha} is not a commit in this repository. Nothing was scanned.`, {
        fix: LINE_FIX,
      });
    }
    starts.push(ref.localSha);
    if (!isZero(ref.remoteSha) && known.isCommit(ref.remoteSha)) ends.push(`^${ref.remoteSha}`);
  }
  if (starts.length === 0) return [];
  return [...starts, ...ends, ...remoteRefs(remote, known.remotes)];
}

function remoteRefs(remote: string | undefined, remotes: readonly string[]): string[] {
  if (remote === undefined || remote === "") return ["--not", "--remotes"];
  // A remote's name cannot hold glob characters, so the pattern names exactly its refs.
  return remotes.includes(remote) ? ["--not", `--remotes=${remote}`] : [];
}

/** This clone, asked through git. */
export function gitKnowledge(root: string): RemoteKnowledge {
  return {
    isCommit: (sha) => git(root, ["cat-file", "-e", `${sha}^{commit}`]).code === 0,
    remotes: git(root, ["remote"]).stdout.split("\n").filter(Boolean),
  };
}

/** The hook's stdin; a terminal is refused, since git would never give one and reading it would wait forever. */
export function readPrePushInput(): string {
  if (process.stdin.isTTY) {
    throw usageError("--pre-push reads git's pre-push lines from stdin, and stdin is a terminal.", { fix: LINE_FIX });
  }
  return readFileSync(0, "utf8");
}
