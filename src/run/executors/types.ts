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
  /** Stop the agent when it prints nothing on stdout for this long (a hang: "waiting for network"). */
  idleTimeoutMs?: number;
  /** The project's configured check commands, which the agent should be allowed to run. */
  checkCommands?: string[];
  /** Dollars this attempt may spend (from the task's cost cap), for CLIs that enforce a budget. */
  maxBudgetUsd?: number;
  /** Called with the agent's pid once it runs, so an interrupted run can stop it later. */
  onSpawn?: (pid: number) => void;
  /** Where to append what the agent prints, masked, as it prints it (the dashboard's live log). */
  logFile?: string;
  signal?: AbortSignal;
}

/**
 * Why an attempt failed, for the loop's decision. `setup`: the agent cannot run here at all
 * (binary missing, credentials, untrusted folder, unknown model): the run stops, the task stays
 * ready, no attempt is counted. `transient`: the provider is unavailable (429, 5xx, 529, overload,
 * network): retried on the same tier after a pause, not counted. `task`: the work failed: retried
 * and escalated.
 */
export type FailureClass = "setup" | "transient" | "task";

export interface Failure {
  class: FailureClass;
  /** What went wrong, in the CLI's words where it gave them (masked before it is shown). */
  message: string;
  /** What the user should do (setup failures). */
  fix?: string;
  /** The provider's own Retry-After, when the CLI passed it on. */
  retryAfterMs?: number;
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
  /** The usage split by the model that spent it, when the agent used several (priced each at its own model). */
  usageByModel?: Record<string, Usage>;
  /** Cost the executor reported itself (preferred over pricing the usage). */
  costUsd?: number;
  durationMs: number;
  exitCode: number | null;
  timedOut: boolean;
  /** Set when the agent went silent for longer than the idle timeout and was stopped. */
  idle?: boolean;
  /** Set when success is false and the executor could tell why; absent means a `task` failure. */
  failure?: Failure;
  /** Tool calls the CLI refused for lack of permission (Claude Code's `permission_denials`). */
  permissionDenials?: string[];
}

export interface Executor {
  name: string;
  run(input: ExecutorInput): Promise<ExecutorReport>;
}
