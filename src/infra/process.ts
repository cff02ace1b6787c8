import { spawnSync } from "node:child_process";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell and returns its output; a missing program gives code 127. */
export function runSync(file: string, args: readonly string[], options: { cwd: string; input?: string; timeoutMs?: number }): RunResult {
  const result = spawnSync(file, args, {
    cwd: options.cwd,
    input: options.input,
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
