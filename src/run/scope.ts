/** Which paths a task may change, and which are BuildRunner's own. */
import picomatch from "picomatch";
import type { Task } from "../plan/task.js";

/** Files BuildRunner itself writes during a run; they are not the agent's work. */
export function isOwnFile(path: string): boolean {
  return path.startsWith(".buildrunner/") || path === "AGENTS.md" || path === "CLAUDE.md";
}

/** Whether a path is one of the task's files (a listed path, a file under a listed folder, or a glob match). */
export function inTaskScope(task: Task, path: string): boolean {
  const isMatch = picomatch(
    task.files.map((f) => (picomatch.scan(f).isGlob ? f : f.replace(/\/$/, ""))),
    { dot: true },
  );
  return isMatch(path) || task.files.some((hint) => path.startsWith(`${hint.replace(/\/$/, "")}/`));
}
