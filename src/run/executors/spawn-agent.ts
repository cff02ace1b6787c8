import { spawn } from "node:child_process";
import { guardProcessGroup, killProcessGroup } from "../../infra/process.js";
import { openAgentLog } from "../agent-log.js";
import type { ExecutorInput, ExecutorReport, Failure } from "./types.js";

export interface AgentProcessResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  timedOut: boolean;
  /** Stopped because it printed nothing on stdout for input.idleTimeoutMs. */
  idle: boolean;
  durationMs: number;
  notFound: boolean;
}

export interface AgentOptions {
  stdin?: string;
  env?: Record<string, string>;
  shell?: boolean;
  /**
   * Which stdout lines show the agent is getting somewhere (default: any output). A CLI that
   * reports its reconnect attempts on stdout is not making progress; `false` for a CLI that
   * prints nothing until it ends, which the idle timeout cannot judge.
   */
  progress?: ((line: string) => boolean) | false;
}

/**
 * Calls `onIdle` once no progress line has been fed for `idleAfterMs` (never without it). Only
 * stdout is fed: a CLI stuck reconnecting keeps printing on stderr.
 */
function idleWatch(idleAfterMs: number | undefined, isProgress: (line: string) => boolean, onIdle: () => void) {
  let timer = idleAfterMs ? setTimeout(onIdle, idleAfterMs) : undefined;
  let partial = "";
  return {
    feed(chunk: string): void {
      if (!idleAfterMs || !timer) return;
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      if (!lines.some(isProgress)) return;
      clearTimeout(timer);
      timer = setTimeout(onIdle, idleAfterMs);
    },
    stop(): void {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

/**
 * Runs an agent CLI in the project folder, in its own process group so a timeout or Ctrl-C stops
 * the agent and every tool it started. Output is collected whole: the executors parse it after.
 */
export function runAgent(
  command: string,
  args: readonly string[],
  input: ExecutorInput,
  options: AgentOptions = {},
): Promise<AgentProcessResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: input.workdir,
      // BR_AGENT_ATTEMPT marks br commands the agent runs: their writes to br's record are the agent's.
      env: { ...process.env, ...options.env, BR_AGENT_ATTEMPT: input.taskId },
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
      shell: options.shell ?? false,
    });
    const guard = child.pid ? guardProcessGroup(child.pid) : undefined;
    const log = input.logFile ? openAgentLog(input.logFile) : undefined;
    // Decoded as text here, so a character split between two chunks is not broken.
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    let idle = false;
    let settled = false;
    const finish = (exitCode: number | null, notFound = false) => {
      if (settled) return;
      settled = true;
      guard?.release();
      log?.close();
      clearTimeout(timer);
      watch.stop();
      process.off("exit", onParentExit);
      input.signal?.removeEventListener("abort", onAbort);
      resolve({ stdout, stderr, exitCode, timedOut, idle, durationMs: Date.now() - started, notFound });
    };
    const onParentExit = () => child.pid && killProcessGroup(child.pid, "SIGKILL");
    const onAbort = () => child.pid && killProcessGroup(child.pid);
    process.on("exit", onParentExit);
    input.signal?.addEventListener("abort", onAbort);
    const stop = () => {
      if (child.pid) killProcessGroup(child.pid);
      setTimeout(() => child.pid && killProcessGroup(child.pid, "SIGKILL"), 2000).unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, input.timeoutMs);
    const watch = idleWatch(options.progress === false ? undefined : input.idleTimeoutMs, options.progress || (() => true), () => {
      idle = true;
      stop();
    });
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      log?.write("stdout", String(chunk));
      watch.feed(String(chunk));
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
      log?.write("stderr", String(chunk));
    });
    child.on("error", (error) => {
      stderr += (error as Error).message;
      finish(null, (error as NodeJS.ErrnoException).code === "ENOENT");
    });
    child.on("close", (code) => finish(code));
    // A background process the agent left running can hold its output open: once the agent itself
    // has exited, give the output a moment to drain, then end the whole group.
    child.on("exit", (code) => {
      setTimeout(() => {
        if (child.pid) killProcessGroup(child.pid, "SIGKILL");
        finish(code);
      }, 1000).unref();
    });
    if (child.pid) input.onSpawn?.(child.pid);
    child.stdin.on("error", () => undefined); // an agent that never reads stdin is fine
    child.stdin.end(options.stdin ?? "");
  });
}

/** Parses JSON Lines, skipping lines that are not JSON (banners, progress). */
export function jsonLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (!trimmed.startsWith("{")) continue;
    try {
      out.push(JSON.parse(trimmed) as Record<string, unknown>);
    } catch {
      // not an event
    }
  }
  return out;
}

export function num(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

export function tail(text: string, lines = 30): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** The fields every report takes from the process itself. */
export function processFacts(result: AgentProcessResult): {
  durationMs: number;
  exitCode: number | null;
  timedOut: boolean;
  idle?: boolean;
  failure?: Failure;
} {
  const facts = { durationMs: result.durationMs, exitCode: result.exitCode, timedOut: result.timedOut };
  // A silent agent is stuck, mostly on the network: the same tier is tried again later.
  if (result.idle) return { ...facts, idle: true, failure: { class: "transient", message: "the agent printed nothing for too long" } };
  return facts;
}

export function timedOutText(input: ExecutorInput, result?: AgentProcessResult): string {
  if (result?.idle && input.idleTimeoutMs) return `printed nothing for ${Math.round(input.idleTimeoutMs / 1000)} s and was stopped`;
  return `timed out after ${Math.round(input.timeoutMs / 1000)} s`;
}

export function missingCommand(command: string, product: string, executor: string): string {
  return `the \`${command}\` command was not found (install ${product}, or set executors.${executor}.command)`;
}

/** The report for an agent whose program does not exist: a setup failure, with the fix. */
export function notFoundReport(result: AgentProcessResult, command: string, product: string, executor: string): ExecutorReport {
  const message = missingCommand(command, product, executor);
  return {
    ...processFacts(result),
    success: false,
    summary: message,
    failure: { class: "setup", message, fix: `Install ${product}, or set executors.${executor}.command to its path.` },
  };
}

/** Why a process failed without a structured report: its exit code and the last lines it printed on stderr. */
export function exitDetails(result: AgentProcessResult): string {
  const code = result.exitCode === null ? "was stopped" : `exited ${result.exitCode}`;
  const last = tail(result.stderr, 5).trim();
  return last ? `${code}: ${last}` : code;
}
