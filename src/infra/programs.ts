/** Finding the program a command line runs, without running it. */
import { existsSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

/** Where a program name resolves on PATH (or as a path), if anywhere. */
export function findProgram(name: string, cwd: string): string | undefined {
  if (name.includes("/")) {
    const full = isAbsolute(name) ? name : join(cwd, name);
    return existsSync(full) ? full : undefined;
  }
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The program a shell command line starts with, past `VAR=value` assignments, with its quotes removed. */
export function firstProgram(commandLine: string): string | undefined {
  const words = commandLine.trim().match(/"[^"]*"|'[^']*'|\S+/g) ?? [];
  const word = words.find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
  return word?.replace(/^(["'])(.*)\1$/, "$2");
}
