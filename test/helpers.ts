import { type SpawnOptions, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { after } from "node:test";

/** The built binary, run exactly as a user's `br` would be. */
export const BR = resolve(import.meta.dirname, "..", "bin", "br.js");

export interface BrResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface BrOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  input?: string;
  /** The deadline: br is killed past it (default 5 minutes), so no test waits forever. */
  timeoutMs?: number;
}

const BR_DEADLINE_MS = 5 * 60_000;

function environment(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", BR_TELEMETRY_DISABLED: "1" };
  delete env.FORCE_COLOR;
  // Set by node's test runner for its own children; a `node --test` check inside br would think it is one.
  delete env.NODE_TEST_CONTEXT;
  Object.assign(env, extra);
  for (const [key, value] of Object.entries(extra)) if (value === undefined) delete env[key];
  return env;
}

export function br(args: string[], options: BrOptions): BrResult {
  const result = spawnSync(process.execPath, [BR, ...args], {
    cwd: options.cwd,
    env: environment(options.env),
    input: options.input ?? "",
    encoding: "utf8",
    timeout: options.timeoutMs ?? BR_DEADLINE_MS,
    killSignal: "SIGKILL",
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Starts br without waiting, for concurrency and kill tests. */
export function brSpawn(args: string[], options: BrOptions & SpawnOptions) {
  const child = spawn(process.execPath, [BR, ...args], {
    cwd: options.cwd,
    env: environment(options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const deadline = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? BR_DEADLINE_MS);
  deadline.unref();
  child.on("close", () => clearTimeout(deadline));
  return child;
}

/** Waits until `ready()` holds, checking every 50 ms; fails the test with `what` past the deadline. */
export async function waitFor(ready: () => boolean, what: string, deadlineMs = 60_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!ready()) {
    if (Date.now() > until) throw new Error(`gave up after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function brAsync(args: string[], options: BrOptions): Promise<BrResult> {
  return outputOf(brSpawn(args, options));
}

/** What a started br printed, and its exit code, once it ends. */
export function outputOf(child: ReturnType<typeof brSpawn>): Promise<BrResult> {
  return new Promise((resolvePromise) => {
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d) => {
      stdout += d;
    });
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** Runs br and fails the test, with its output, unless it exits 0. */
export function brOk(args: string[], options: BrOptions): BrResult {
  const result = br(args, options);
  if (result.code !== 0) throw new Error(`br ${args.join(" ")} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result;
}

export function brJson<T = Record<string, unknown>>(args: string[], options: BrOptions): T {
  return JSON.parse(brOk([...args, "--json"], options).stdout) as T;
}

const created: string[] = [];
after(() => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = "br-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export function git(cwd: string, ...args: string[]): string {
  const result = spawnSync("git", args, { cwd, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** A fresh git repository with an identity, as a user's project would be. */
export function tempRepo(): string {
  const dir = tempDir();
  git(dir, "init", "-q");
  git(dir, "config", "user.email", "test@example.invalid");
  git(dir, "config", "user.name", "Test");
  return dir;
}

/** A repository with `br init` already run. */
export function initializedRepo(name = "demo"): string {
  const dir = tempRepo();
  brOk(["init", name], { cwd: dir });
  return dir;
}

/** Hashes of every file under dir (optionally skipping some folders), to prove nothing changed. */
export function snapshot(dir: string, skip: string[] = [".git", ".buildrunner/state"]): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (current: string) => {
    for (const entry of readdirSync(current)) {
      const full = join(current, entry);
      const rel = relative(dir, full);
      if (skip.includes(rel)) continue;
      if (statSync(full).isDirectory()) walk(full);
      else out.set(rel, createHash("sha256").update(readFileSync(full)).digest("hex"));
    }
  };
  walk(dir);
  return out;
}

export function readJson<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}
