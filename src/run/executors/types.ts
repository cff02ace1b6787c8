import type { Usage } from "../../routing/prices.js";

/** What an executor is asked to do: one prompt, for one task, in the project folder. */
export interface ExecutorInput {
  taskId: string;
  prompt: string;
  /** The prompt, also written to a file (for executors that read files). */
  promptFile: string;
  model: string;
  workdir: string;
  timeoutMs: number;
  /** Called with the agent's pid once it runs, so an interrupted run can stop it later. */
  onSpawn?: (pid: number) => void;
  signal?: AbortSignal;
}

/**
 * The executor's own account of the attempt, read from its structured output (never from the
 * exit code alone). Verification decides afterwards whether the work is really done.
 */
export interface ExecutorReport {
  success: boolean;
  /** The agent's final message, or why it failed. */
  summary: string;
  model?: string;
  usage?: Usage;
  /** Cost the executor reported itself (preferred over pricing the usage). */
  costUsd?: number;
  durationMs: number;
  exitCode: number | null;
  timedOut: boolean;
}

export interface Executor {
  name: string;
  run(input: ExecutorInput): Promise<ExecutorReport>;
}
