import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { style } from "../../infra/log.js";
import { displayPath, type ProjectPaths } from "../../infra/project.js";
import type { StreamView } from "../../parallel/orchestrate.js";
import { byPriority } from "../../registry/rules.js";
import { STATUS_LABELS } from "../../registry/summary.js";
import { checkedProject } from "../context.js";
import { action } from "../main.js";
import { emit } from "../output.js";
import { streamLines } from "./parallel.js";
import { pullSharedLedger } from "./queue.js";

/** The parallel streams and what each is doing (none when the project never ran in parallel). */
async function parallelStreams(paths: ProjectPaths): Promise<StreamView[]> {
  // No state database, no streams: status does not create one.
  if (!existsSync(join(paths.state, "state.db"))) return [];
  const { StreamStore } = await import("../../parallel/store.js");
  const { view } = await import("../../parallel/orchestrate.js");
  const store = StreamStore.open(paths);
  try {
    return store.list().map(view);
  } finally {
    store.close();
  }
}

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("summarise progress and regenerate .buildrunner/STATUS.md")
    .option("--json", 'print { "project", "counts", "completion", "tasks", "cost" } (and "streams" once there are some)')
    .action(
      action<[]>(async (options) => {
        const { projectStatus } = await import("../../registry/status.js");
        const { describeSpend } = await import("../../registry/spend.js");
        const paths = await checkedProject(options);
        await pullSharedLedger(paths);
        const { summary, registry, statusWritten } = await projectStatus(paths);
        const streams = await parallelStreams(paths);
        // The spec's shape, with the streams added only for a project that runs in parallel.
        emit(options.json, streams.length > 0 ? { ...summary, streams } : summary, () => {
          const total = registry.features.length;
          const lines = [
            `${style.bold(summary.project)}: ${summary.completion}% complete (${summary.counts.complete} of ${total} features)`,
            `  ${Object.entries(summary.counts)
              .map(([status, n]) => `${STATUS_LABELS[status as keyof typeof STATUS_LABELS].toLowerCase()} ${n}`)
              .join(" · ")}`,
          ];
          lines.push(`  spend: ${describeSpend(summary.cost)}`);
          if (summary.tasks) {
            const t = summary.tasks;
            lines.push(
              `  tasks: ${t.done} of ${t.total} done · ${t.ready} ready · ${t.running} running · ${t.failed} failed · ${t.blocked} blocked`,
            );
          }
          for (const status of ["blocked", "in_progress", "testing"] as const) {
            const group = registry.features.filter((f) => f.status === status).sort(byPriority);
            if (group.length === 0) continue;
            lines.push(`  ${STATUS_LABELS[status]}:`);
            for (const f of group.slice(0, 10)) lines.push(`    - ${f.name} (${f.id})${f.blockedReason ? `: ${f.blockedReason}` : ""}`);
            if (group.length > 10) lines.push(`    … and ${group.length - 10} more`);
          }
          if (streams.length > 0) lines.push("  streams:", ...streamLines(streams).map((l) => `    ${l}`));
          lines.push(style.dim(`${statusWritten ? "Wrote" : "Up to date:"} ${displayPath(paths, paths.status)}`));
          return lines;
        });
      }),
    );
}
