/** The task plan file format (SPEC §4), validated on every read and write. */
import * as z from "zod";
import { PRIORITIES } from "../registry/rules.js";

export const TASK_STATUSES = ["pending", "ready", "running", "done", "failed", "blocked", "skipped"] as const;
export const COMPLEXITIES = ["simple", "moderate", "complex"] as const;

export type TaskStatus = (typeof TASK_STATUSES)[number];
export type Complexity = (typeof COMPLEXITIES)[number];

export const TASK_ID_PATTERN = /^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*$/;

export const taskSchema = z.strictObject({
  id: z.string().regex(TASK_ID_PATTERN, "must be a lowercase id such as user-accounts.api"),
  featureId: z.string().min(1),
  title: z.string().min(1),
  description: z.string(),
  status: z.enum(TASK_STATUSES),
  dependsOn: z.array(z.string()),
  priority: z.enum(PRIORITIES),
  complexity: z.enum(COMPLEXITIES),
  estimateMinutes: z.int().positive(),
  files: z.array(z.string()),
  acceptance: z.array(z.string()),
  /** What kind of work it is (data-model, api, tests…): BuildRunner's addition to the spec's shape. */
  kind: z.string().optional(),
  /** Why the last attempt failed, when status is failed. */
  failureReason: z.string().optional(),
  /** Added by hand or by an agent (br's MCP tool), not decomposed from the spec: kept when the plan is generated again. */
  added: z.literal(true).optional(),
});

export const tasksFileSchema = z
  .strictObject({
    schemaVersion: z.literal(1),
    tasks: z.array(taskSchema),
  })
  .superRefine((file, ctx) => {
    const seen = new Map<string, number>();
    file.tasks.forEach((task, index) => {
      const earlier = seen.get(task.id);
      if (earlier !== undefined)
        ctx.addIssue({ code: "custom", path: ["tasks", index, "id"], message: `duplicates the id of tasks[${earlier}]` });
      else seen.set(task.id, index);
    });
    file.tasks.forEach((task, index) => {
      task.dependsOn.forEach((dep, depIndex) => {
        if (!seen.has(dep))
          ctx.addIssue({ code: "custom", path: ["tasks", index, "dependsOn", depIndex], message: "names no task in the plan" });
      });
    });
  });

export type Task = z.output<typeof taskSchema>;
export type TasksFile = z.output<typeof tasksFileSchema>;
