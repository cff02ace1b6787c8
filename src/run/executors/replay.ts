/**
 * Replays recorded changes instead of calling a model: `<recordings>/<task id>.json` holds
 * `{ "files": { path: content }, "delete": [paths], "summary", "usage", "costUsd", "model" }`.
 * It powers `br demo` offline, and reproduces a recorded run exactly.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import * as z from "zod";
import { readText } from "../../infra/validation.js";
import type { ExecutorSettings } from "./settings.js";
import type { Executor, ExecutorInput, ExecutorReport } from "./types.js";

const recording = z.strictObject({
  files: z.record(z.string(), z.string()).default({}),
  delete: z.array(z.string()).default([]),
  summary: z.string().default("replayed"),
  model: z.string().optional(),
  usage: z
    .strictObject({
      inputTokens: z.number(),
      outputTokens: z.number(),
      cacheWriteTokens: z.number().default(0),
      cacheReadTokens: z.number().default(0),
    })
    .optional(),
  costUsd: z.number().optional(),
  success: z.boolean().default(true),
});

export function replayExecutor(settings: ExecutorSettings, projectRoot: string): Executor {
  const folder = resolve(projectRoot, settings.recordings ?? ".buildrunner/replay");
  return {
    name: "replay",
    async run(input: ExecutorInput): Promise<ExecutorReport> {
      const started = Date.now();
      const file = join(folder, `${input.taskId}.json`);
      const base = { exitCode: 0, timedOut: false };
      if (!existsSync(file)) {
        return {
          ...base,
          success: false,
          summary: `no recording for ${input.taskId} in ${relative(projectRoot, folder) || "."}`,
          durationMs: Date.now() - started,
        };
      }
      let raw: unknown;
      try {
        raw = JSON.parse(readText(file));
      } catch (error) {
        return {
          ...base,
          success: false,
          summary: `${relative(projectRoot, file)} is not valid JSON: ${(error as Error).message}`,
          durationMs: Date.now() - started,
        };
      }
      const parsed = recording.safeParse(raw);
      if (!parsed.success)
        return {
          ...base,
          success: false,
          summary: `${relative(projectRoot, file)} is not a valid recording`,
          durationMs: Date.now() - started,
        };
      const outside = [...Object.keys(parsed.data.files), ...parsed.data.delete].find(
        (path) => isAbsolute(path) || relative(input.workdir, resolve(input.workdir, path)).startsWith(".."),
      );
      if (outside)
        return {
          ...base,
          success: false,
          summary: `the recording writes outside the project: ${outside}`,
          durationMs: Date.now() - started,
        };
      const inside = (path: string) => {
        const target = resolve(input.workdir, path);
        if (isAbsolute(path) || relative(input.workdir, target).startsWith(".."))
          throw new Error(`recording writes outside the project: ${path}`);
        return target;
      };
      for (const [path, content] of Object.entries(parsed.data.files)) {
        const target = inside(path);
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, content);
      }
      for (const path of parsed.data.delete) rmSync(inside(path), { force: true });
      const report: ExecutorReport = {
        ...base,
        success: parsed.data.success,
        summary: parsed.data.summary,
        model: parsed.data.model ?? input.model,
        durationMs: Date.now() - started,
      };
      if (parsed.data.usage) report.usage = parsed.data.usage;
      if (parsed.data.costUsd !== undefined) report.costUsd = parsed.data.costUsd;
      return report;
    },
  };
}
