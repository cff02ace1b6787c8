/**
 * The query shell: one long-lived /bin/sh per br process that runs br's git commands one at a time,
 * so each costs a fork+exec of git from a 1 MB shell instead of a spawn from node, which forks a
 * large process and sets up an event loop for every call (most of `br run`'s own CPU per task).
 *
 * br writes each command to a file in the shell's folder and its id on the shell's stdin; the
 * shell runs it with stdin from /dev/null, its stdout and stderr into files, and answers on a
 * FIFO with `<id> <exit code>`: the id (a random token and a count) is the end marker, and as the
 * output goes to files, nothing a command prints can be taken for it. Every call has a deadline;
 * a shell that dies, misses a deadline or cannot start is replaced by a normal spawn (runSync).
 * The folder is named by br's pid, so a later br removes one a killed br left behind.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { accessSync, closeSync, constants, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { isMainThread } from "node:worker_threads";
import { nodeCrypto } from "./crypto.js";
import { isAlive, killProcessGroup, type RunResult, runSync } from "./process.js";

/**
 * The shell's whole program. `.` runs the command file, which sets `r` to the exit code (it stays
 * "nocwd" when the folder cannot be entered: br then spawns the command itself, for its error).
 */
const PROGRAM = `d=$1
exec 3>"$d/done" || exit 1
while IFS= read -r id; do
  r=nocwd
  . "$d/cmd"
  printf '%s %s\\n' "$id" "$r" >&3
done`;

/** A call with no deadline of its own may take this long (a git status of a huge tree, a commit's hooks). */
const DEFAULT_DEADLINE_MS = 10 * 60_000;
/** After this many shells died or missed a deadline, br spawns each command for the rest of its run. */
const MAX_FAILURES = 3;
const FOLDER_PREFIX = "br-query-";

interface Shell {
  child: ChildProcess;
  pid: number;
  dir: string;
  /** The FIFO's read end, non-blocking. */
  done: number;
  token: string;
  count: number;
  /** Whether the shell has answered once (its end of the FIFO is then open). */
  answered: boolean;
}

let shell: Shell | undefined;
let failures = 0;
let exitHook = false;

/** A word as one argument to /bin/sh, whatever it holds. */
export function shellWord(word: string): string {
  return `'${word.replace(/'/g, "'\\''")}'`;
}

/**
 * Where the folders go: shared memory when the machine has it, as every command truncates and
 * writes its output files there (on a disk's file system that cost ~1 ms a file here, 40x more).
 */
function bases(): string[] {
  const shm = "/dev/shm";
  try {
    accessSync(shm, constants.W_OK);
    return [shm, tmpdir()];
  } catch {
    return [tmpdir()];
  }
}

/** The folder a br process's shell works in, named by its pid. */
function folderOf(base: string, pid: number): string {
  return join(base, `${FOLDER_PREFIX}${pid}`);
}

/** Removes the folders of br processes that no longer run (killed before they could remove them). */
function removeStaleFolders(): void {
  for (const base of bases()) {
    let names: string[];
    try {
      names = readdirSync(base);
    } catch {
      continue;
    }
    for (const name of names) {
      const pid = Number(name.slice(FOLDER_PREFIX.length));
      if (!name.startsWith(FOLDER_PREFIX) || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
      if (!isAlive(pid)) rmSync(join(base, name), { recursive: true, force: true });
    }
  }
}

/** The folder with its FIFO, made afresh (a folder of this pid can only be a dead process's). */
function makeFolder(): string | undefined {
  const dir = folderOf(bases()[0] as string, process.pid);
  try {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { mode: 0o700 });
    // Node cannot make a FIFO; this is one process per br run.
    if (spawnSync("mkfifo", ["-m", "600", join(dir, "done")]).status === 0) return dir;
  } catch {
    // Nowhere to work: br spawns each command.
  }
  rmSync(dir, { recursive: true, force: true });
  return undefined;
}

function start(): Shell | undefined {
  // Worker threads spawn: the folder is named by the process, and is the main thread's.
  if (failures >= MAX_FAILURES || !isMainThread || process.platform === "win32") return undefined;
  removeStaleFolders();
  const dir = makeFolder();
  if (dir === undefined) return undefined;
  // Opened before the shell starts, so its own open of the write end never waits for a reader.
  const done = openSync(join(dir, "done"), constants.O_RDONLY | constants.O_NONBLOCK);
  // Its own process group, so a missed deadline ends the command with it; its stdin is a pipe
  // the kernel closes however br ends, which ends the shell after its current command.
  const child = spawn("/bin/sh", ["-c", PROGRAM, "br-query", dir], { stdio: ["pipe", "ignore", "ignore"], detached: true });
  child.on("error", () => undefined);
  child.stdin?.on("error", () => undefined);
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  if (child.pid === undefined) {
    closeSync(done);
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  if (!exitHook) {
    exitHook = true;
    process.on("exit", () => dropShell(false));
  }
  return { child, pid: child.pid, dir, done, token: nodeCrypto().randomBytes(6).toString("hex"), count: 0, answered: false };
}

/** Lets the shell go: its stdin closed (it ends after its current command) or, with kill, its group ended now. */
function dropShell(kill: boolean): void {
  const current = shell;
  if (current === undefined) return;
  shell = undefined;
  if (kill) killProcessGroup(current.pid, "SIGKILL");
  current.child.stdin?.destroy();
  try {
    closeSync(current.done);
  } catch {
    // Already closed.
  }
  rmSync(current.dir, { recursive: true, force: true });
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Sleeps this thread (the calls are synchronous, as the spawns they replace were). */
function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** How long to wait before looking again: short at first (most git queries take a few ms), longer for slow calls. */
function pause(waitedMs: number): number {
  if (waitedMs < 20) return 0.1;
  if (waitedMs < 1000) return 1;
  return 20;
}

type Answer = { kind: "code"; code: string } | { kind: "dead" } | { kind: "late" };

/** Reads the FIFO until the answer for `id` comes, the shell dies, or the deadline passes. */
function awaitAnswer(current: Shell, id: string, deadlineMs: number): Answer {
  const started = Date.now();
  const buffer = Buffer.alloc(512);
  let text = "";
  for (;;) {
    let read = -1;
    try {
      read = readSync(current.done, buffer, 0, buffer.length, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") return { kind: "dead" };
    }
    if (read > 0) {
      text += buffer.toString("utf8", 0, read);
      const code = answerIn(text, id);
      if (code !== undefined) {
        current.answered = true;
        return { kind: "code", code };
      }
      continue;
    }
    // No writer: the shell has closed its end (it died), or has not opened it yet.
    if (read === 0 && (current.answered || !isAlive(current.pid))) return { kind: "dead" };
    const waited = Date.now() - started;
    if (waited >= deadlineMs) return { kind: "late" };
    sleep(pause(waited));
  }
}

/** The exit code in the line `<id> <code>`, once the whole line has been read. */
function answerIn(text: string, id: string): string | undefined {
  const at = text.lastIndexOf(`${id} `);
  if (at < 0) return undefined;
  const end = text.indexOf("\n", at);
  return end < 0 ? undefined : text.slice(at + id.length + 1, end);
}

function readOutput(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    return Buffer.alloc(0);
  }
}

interface QueryOptions {
  cwd: string;
  timeoutMs?: number;
  /** What the command reads on its stdin (none: /dev/null). */
  input?: string;
}

/** An answer with the output as bytes (git cat-file's objects are not all text). */
export interface QueryBytes {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs one command in the shell; undefined when the shell could not answer (br then spawns it). */
function inShell(
  current: Shell,
  file: string,
  args: readonly string[],
  options: QueryOptions,
  deadlineMs: number,
): QueryBytes | "late" | undefined {
  const id = `${current.token}.${++current.count}`;
  const command = [file, ...args].map(shellWord).join(" ");
  if (options.input !== undefined) writeFileSync(join(current.dir, "in"), options.input);
  const stdin = options.input === undefined ? "/dev/null" : '"$d/in"';
  writeFileSync(
    join(current.dir, "cmd"),
    `cd -- ${shellWord(resolve(options.cwd))} 2>/dev/null && { ${command} <${stdin} >"$d/out" 2>"$d/err"; r=$?; }\n`,
  );
  if (!current.child.stdin?.writable) return undefined;
  current.child.stdin.write(`${id}\n`);
  const answer = awaitAnswer(current, id, deadlineMs);
  if (answer.kind === "late") return "late";
  if (answer.kind === "dead" || !/^\d+$/.test(answer.code)) return undefined;
  return {
    code: Number(answer.code),
    stdout: readOutput(join(current.dir, "out")),
    stderr: readOutput(join(current.dir, "err")).toString("utf8"),
  };
}

/** Whether commands go through the shell (it is started if need be): false once br has fallen back to spawning. */
export function queryShellUsable(): boolean {
  shell ??= start();
  return shell !== undefined;
}

/** The shell's answer (a missed deadline ends the command: code 1, "timed out"), or undefined when br must spawn it. */
function throughShell(file: string, args: readonly string[], options: QueryOptions): QueryBytes | undefined {
  shell ??= start();
  if (shell === undefined) return undefined;
  const deadlineMs = options.timeoutMs ?? DEFAULT_DEADLINE_MS;
  const result = inShell(shell, file, args, options, deadlineMs);
  if (result === "late") {
    failures++;
    dropShell(true);
    return { code: 1, stdout: Buffer.alloc(0), stderr: `${file} ${args[0] ?? ""} timed out after ${deadlineMs} ms` };
  }
  if (result !== undefined) return result;
  // The shell is dead, or the folder could not be entered: a spawn answers (and says why).
  if (!isAlive(shell.pid)) {
    failures++;
    dropShell(true);
  }
  return undefined;
}

/**
 * Runs a program (found on PATH, as a spawn would) in `cwd` through the query shell, with no input,
 * and returns what runSync would: a missed deadline ends it (code 1, "timed out"), a shell that
 * cannot serve falls back to runSync. For br's own short commands (git); not for a user's.
 */
export function runQuery(file: string, args: readonly string[], options: { cwd: string; timeoutMs?: number }): RunResult {
  const answer = throughShell(file, args, options);
  if (answer !== undefined) return { code: answer.code, stdout: answer.stdout.toString("utf8"), stderr: answer.stderr };
  return runSync(file, args, options.timeoutMs === undefined ? { cwd: options.cwd } : { cwd: options.cwd, timeoutMs: options.timeoutMs });
}

/** runQuery with an input and the output as bytes; the fallback is a spawn with the same input. */
export function runQueryBytes(file: string, args: readonly string[], options: QueryOptions & { input: string }): QueryBytes {
  const answer = throughShell(file, args, options);
  if (answer !== undefined) return answer;
  const result = spawnSync(file, args, {
    cwd: options.cwd,
    input: options.input,
    timeout: options.timeoutMs,
    maxBuffer: 1024 * 1024 * 1024,
  });
  return { code: result.status ?? 1, stdout: result.stdout ?? Buffer.alloc(0), stderr: result.stderr?.toString("utf8") ?? "" };
}

/**
 * Ends the shell when br is done: its stdin closed, and waited for, so its CPU (and its git's) is
 * counted as br's child (a kill after the deadline). Safe to call when none runs.
 */
export async function closeQueryShell(deadlineMs = 2000): Promise<void> {
  const current = shell;
  if (current === undefined) return;
  const ended = new Promise<void>((resolveEnd) => {
    if (current.child.exitCode !== null || current.child.signalCode !== null) resolveEnd();
    else current.child.once("exit", () => resolveEnd());
  });
  dropShell(false);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolveLate) => {
    timer = setTimeout(() => {
      killProcessGroup(current.pid, "SIGKILL");
      resolveLate();
    }, deadlineMs);
  });
  await Promise.race([ended, late]);
  clearTimeout(timer);
}

/** The shell's process id and the end marker its next answer will carry, while one runs (for tests). */
export function queryShellState(): { pid: number; nextMarker: string; folder: string } | undefined {
  return shell && { pid: shell.pid, nextMarker: `${shell.token}.${shell.count + 1}`, folder: shell.dir };
}
