/**
 * A queue worker's clone of the shared remote: which remote (--repo, else the origin of the
 * repository it runs in), where (a folder of its own per process under ~/.cache, so two workers on
 * one machine never share one), and the clones of workers that died, removed.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { homedir, hostname } from "node:os";
import { join, resolve } from "node:path";
import { nodeCrypto } from "../../infra/crypto.js";
import { failure, usageError } from "../../infra/errors.js";
import { git } from "../../infra/git.js";
import { isAlive } from "../../infra/process.js";
import { redactQueueUrl } from "../../infra/queue-url.js";

export function sharedRemote(options: { repo?: string; cwd: string }): string {
  if (options.repo) return options.repo;
  const origin = git(options.cwd, ["remote", "get-url", "origin"]);
  if (origin.code !== 0 || !origin.stdout.trim())
    throw usageError("br worker --queue needs the shared remote the orchestrator pushes to.", {
      fix: "Pass --repo <git url>, or run it in a clone whose origin is that remote.",
    });
  return origin.stdout.trim();
}

export function workersHome(): string {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(cache, "buildrunner", "workers");
}

/** Clones of workers on this machine that no longer run (killed) are removed: each start clones afresh. */
export function removeDeadClones(folder: string): void {
  if (!existsSync(folder)) return;
  for (const name of readdirSync(folder)) {
    // Only this machine's: a home shared over the network holds other machines' live clones.
    if (!name.startsWith(`${hostname()}-`)) continue;
    const pid = Number(/-(\d+)(?:\.br-streams)?$/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid))
      rmSync(join(folder, name), { recursive: true, force: true });
  }
}

export function cloneFor(repo: string, options: { dir?: string; cwd: string }, name: string): string {
  if (options.dir) return resolve(options.cwd, options.dir);
  const folder = join(workersHome(), nodeCrypto().createHash("sha256").update(repo).digest("hex").slice(0, 12));
  removeDeadClones(folder);
  return join(folder, name);
}

export function makeClone(repo: string, dir: string): void {
  if (existsSync(join(dir, ".git"))) return;
  mkdirSync(resolve(dir, ".."), { recursive: true });
  const cloned = git(resolve(dir, ".."), ["clone", "-q", repo, dir], 10 * 60_000);
  if (cloned.code !== 0)
    throw failure(`git clone of ${redactQueueUrl(repo)} failed: ${redactQueueUrl(cloned.stderr.trim())}`, {
      fix: "Check the --repo URL and this machine's access to it (git clone it by hand once).",
    });
}
