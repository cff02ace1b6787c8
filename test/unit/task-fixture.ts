/** A plan task for unit tests: sensible defaults, any field overridden. */
import type { Task } from "../../src/plan/task.ts";

export function taskWith(overrides: Partial<Task> = {}): Task {
  return {
    id: "f.impl",
    featureId: "f",
    title: "Implement",
    description: "",
    status: "running",
    dependsOn: [],
    priority: "medium",
    complexity: "simple",
    estimateMinutes: 30,
    files: ["src/a.ts"],
    acceptance: [],
    ...overrides,
  };
}
