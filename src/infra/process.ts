import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell and returns its output; a missing program gives code 127. */
export function runSync(
  file: string,
  args: readonly string[],
  options: { cwd: string; input?: string; timeoutMs?: number; env?: Record<string, string> },
): RunResult {
  const result = spawnSync(file, args, {
    cwd: options.cwd,
    input: options.input,
    ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
    encoding: "utf8",
    timeout: options.timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code === "ENOENT" ? 127 : 1;
    return { code, stdout: "", stderr: result.error.message };
  }
  return { code: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

export interface ShellResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  /** Set when the shell could not be started. */
  error?: string;
}

/**
 * Whether a process exists on this machine (EPERM: it does, owned by someone else). A zombie (killed,
 * not yet reaped by its parent or init) is dead: it holds no lock and does no more work.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false; // no /proc (macOS): kill(0) is all there is
  }
}

/** Ends a process and everything it started (it runs in its own process group). */

export function killProcessGroup(pid: number, signal: NodeJS.Signals = "SIGTERM"): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/**
 * Runs a user's command line (tests, build, lint) through the shell in its own process group, so
 * a timeout stops everything it started. CI=1 and no colour make tools print plain, final output.
 */
export function runShell(command: string, cwd: string, timeoutMs: number): Promise<ShellResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    // NODE_TEST_CONTEXT would make a `node --test` command report to a parent runner instead of failing.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const child = spawn("/bin/sh", ["-c", command], {
      cwd,
      env: { ...env, CI: "1", FORCE_COLOR: "0", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    // br exiting (Ctrl-C, a fatal error) takes the command's whole process group with it; the
    // watchdog covers kill -9, so an orphaned test run never races the next run's checks.
    const guard = child.pid ? guardProcessGroup(child.pid) : undefined;
    const onExit = () => child.pid && killProcessGroup(child.pid, "SIGKILL");
    process.on("exit", onExit);
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) killProcessGroup(child.pid, "SIGKILL");
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      guard?.release();
      process.off("exit", onExit);
      resolve({ exitCode: code, stdout, stderr, durationMs: Date.now() - started, timedOut });
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      guard?.release();
      process.off("exit", onExit);
      resolve({ exitCode: null, stdout, stderr, durationMs: Date.now() - started, timedOut, error: error.message });
    });
  });
}

/**
 * The watchdog's whole program: one per br process, told over its stdin which process groups to
 * guard ("+<group>") and which to let go ("-<group>"). Its stdin is a pipe from br that the kernel
 * closes however br ends (kill -9 included); then every group still guarded is ended (TERM, and
 * KILL two seconds later). A shell, not a second node: it starts in a millisecond and holds about
 * 1 MB, where node took ~50 ms of CPU and ~40 MB for the same few lines.
 */
const WATCHDOG = `groups=" "
while IFS= read -r line; do
  g=\${line#?}
  case $g in ""|*[!0-9]*) continue ;; esac
  case $line in
    +*) groups="$groups$g " ;;
    -*) case $groups in *" $g "*) groups="\${groups%% $g *} \${groups#* $g }" ;; esac ;;
  esac
done
[ "$groups" = " " ] && exit 0
for g in $groups; do kill -s TERM -- "-$g" 2>/dev/null; done
sleep 2
for g in $groups; do kill -s KILL -- "-$g" 2>/dev/null; done`;

let watchdog: ChildProcess | undefined;

/** The watchdog's process id, once started (for tests: there is one per br process, however many groups it guards). */
export function watchdogPid(): number | undefined {
  return watchdog?.exitCode === null ? watchdog.pid : undefined;
}

/** The process's watchdog, started on first use (one per br, not one per agent or check). */
function sharedWatchdog(): ChildProcess {
  if (watchdog && watchdog.exitCode === null && watchdog.stdin?.writable) return watchdog;
  const dog = spawn("/bin/sh", ["-c", WATCHDOG], {
    stdio: ["pipe", "ignore", "ignore"],
    // Its own group, so a signal to br's group (a terminal's Ctrl-C) does not take it first.
    detached: true,
  });
  dog.on("error", () => undefined);
  dog.stdin?.on("error", () => undefined);
  dog.unref();
  (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  watchdog = dog;
  return dog;
}

/**
 * Makes a process group end with br, however br ends. Exit handlers cover Ctrl-C and errors, but
 * not kill -9: without this, an agent would go on working (and spending) with nobody recording it,
 * and write files after the next run had already cleaned up.
 */
export function guardProcessGroup(groupId: number): { release(): void } {
  const dog = sharedWatchdog();
  dog.stdin?.write(`+${groupId}\n`);
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      if (dog.stdin?.writable) dog.stdin.write(`-${groupId}\n`);
    },
  };
}
