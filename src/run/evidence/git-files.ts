/**
 * Fingerprints of the files git keeps a repository's state in (HEAD, the index, the refs) and its
 * configuration in: equal fingerprints mean git would answer the state queries the same way, so a
 * capture taken when the fingerprint was last seen can be reused without asking git again (an
 * attempt's agent that never touched git costs no git process to check). Every write git makes to
 * these files replaces or rewrites them, which changes their inode, size or times.
 */
import { readdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { gitDirs } from "../../infra/git.js";

function stamp(path: string): string {
  try {
    const s = statSync(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch {
    return "-";
  }
}

/** Every file under a folder (loose refs, reftable tables) with its stamp. */
function stampsUnder(dir: string, into: string[]): void {
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) stampsUnder(path, into);
    else into.push(`${path}=${stamp(path)}`);
  }
}

/** The user's and the system's git configuration, which can set core.hooksPath too. */
function globalConfigs(): string[] {
  const xdg = process.env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return [join(homedir(), ".gitconfig"), join(xdg, "git", "config"), "/etc/gitconfig"];
}

/** The fingerprint of a repository's configuration files (where core.hooksPath is set); undefined when the folders cannot be found. */
export function gitConfigFingerprint(root: string): string | undefined {
  const dirs = gitDirs(root);
  if (dirs === undefined) return undefined;
  const files = [join(dirs.gitDir, "config.worktree"), join(dirs.commonDir, "config"), ...globalConfigs()];
  return files.map((file) => `${file}=${stamp(file)}`).join("\n");
}

/** The fingerprint of a repository's state files (HEAD, index, refs) and configuration; undefined when the folders cannot be found. */
export function gitStateFingerprint(root: string): string | undefined {
  const dirs = gitDirs(root);
  if (dirs === undefined) return undefined;
  const { gitDir, commonDir } = dirs;
  const files = [join(gitDir, "HEAD"), join(gitDir, "index"), join(commonDir, "packed-refs")];
  const stamps = [gitConfigFingerprint(root) as string, ...files.map((file) => `${file}=${stamp(file)}`)];
  stampsUnder(join(commonDir, "refs", "heads"), stamps);
  stampsUnder(join(commonDir, "reftable"), stamps);
  return stamps.join("\n");
}
