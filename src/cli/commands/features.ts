import type { Command } from "commander";
import { style } from "../../infra/log.js";
import type { Feature } from "../../registry/feature.js";
import type { FeatureUpdate } from "../../registry/features.js";
import { byPriority, type FeatureStatus, parsePriority, parseStatus } from "../../registry/rules.js";
import { checkedProject, collect, commaList, project } from "../context.js";
import { action } from "../main.js";
import { emit, table } from "../output.js";

const STATUS_COLOR: Record<FeatureStatus, (s: string) => string> = {
  planned: (s) => s,
  in_progress: style.cyan,
  testing: style.yellow,
  complete: style.green,
  blocked: style.red,
};

function showFeature(f: Feature): string[] {
  const lines = [
    `${style.bold(f.name)} ${style.dim(`(${f.id})`)}`,
    `  status:     ${STATUS_COLOR[f.status](f.status)}${f.blockedReason ? ` (${f.blockedReason})` : ""}`,
    `  priority:   ${f.priority}`,
    `  depends on: ${f.dependsOn.join(", ") || "nothing"}`,
  ];
  if (f.files?.length) lines.push(`  files:      ${f.files.join(", ")}`);
  lines.push(`  created:    ${f.createdAt}`, `  updated:    ${f.updatedAt}`);
  if (f.completedAt) lines.push(`  completed:  ${f.completedAt}`);
  if (f.description) lines.push("", ...f.description.split("\n").map((l) => `  ${l}`));
  if (f.acceptance.length > 0) lines.push("", "  Acceptance criteria:", ...f.acceptance.map((a) => `  - ${a}`));
  return lines;
}

const MOVES: [string, FeatureStatus, string][] = [
  ["start", "in_progress", "move a feature to in_progress (add --reopen for a complete one)"],
  ["complete", "complete", "mark a feature complete (from testing)"],
  ["block", "blocked", "mark a feature blocked (--reason says why)"],
];

function changed(verb: string, f: Feature, forced?: { from: string; to: string }): string {
  const note = forced ? style.yellow(` (forced ${forced.from} → ${forced.to}; recorded)`) : "";
  return `${style.green("✓")} ${verb} ${f.name} (${f.id}): ${STATUS_COLOR[f.status](f.status)}${note}`;
}

export function registerFeatures(program: Command): void {
  const features = program.command("features").description("the feature registry (.buildrunner/features.json)");
  registerFeaturesAdd(features);
  registerFeaturesList(features);
  registerFeaturesShow(features);
  registerFeaturesUpdate(features);
  for (const [verb, status, description] of MOVES) registerFeatureMove(features, verb, status, description);
  registerFeaturesRemove(features);
}

function registerFeaturesAdd(features: Command): void {
  features
    .command("add <name>")
    .description("add a planned feature")
    .option("--id <id>", "the id (default: a slug of the name)")
    .option("-d, --description <text>", "what the feature is")
    .option("-p, --priority <priority>", "critical | high | medium | low", "medium")
    .option("--depends-on <ids>", "comma-separated ids of features it needs first")
    .option("-a, --acceptance <criterion>", "an acceptance criterion (repeatable)", collect)
    .option("--files <globs>", "comma-separated file hints")
    .option("--json", "print the feature as JSON")
    .action(
      action<[string]>(async (name, options) => {
        const { addFeature } = await import("../../registry/features.js");
        const feature = await addFeature(project(options), {
          name,
          ...(typeof options.id === "string" ? { id: options.id } : {}),
          ...(typeof options.description === "string" ? { description: options.description } : {}),
          priority: parsePriority(String(options.priority)),
          dependsOn: typeof options.dependsOn === "string" ? commaList(options.dependsOn) : [],
          acceptance: (options.acceptance as string[] | undefined) ?? [],
          ...(typeof options.files === "string" ? { files: commaList(options.files) } : {}),
        });
        emit(options.json, { feature }, () => changed("Added", feature));
      }),
    );
}

function registerFeaturesList(features: Command): void {
  features
    .command("list")
    .description("list features, highest priority first")
    .option("-s, --status <status>", "only this status")
    .option("-p, --priority <priority>", "only this priority")
    .option("--json", 'print { "features": [...] }')
    .action(
      action<[]>(async (options) => {
        const { loadRegistry } = await import("../../registry/store.js");
        const status = typeof options.status === "string" ? parseStatus(options.status) : undefined;
        const priority = typeof options.priority === "string" ? parsePriority(options.priority) : undefined;
        const registry = await loadRegistry(await checkedProject(options));
        const list = registry.features
          .filter((f) => (!status || f.status === status) && (!priority || f.priority === priority))
          .sort(byPriority);
        emit(options.json, { features: list }, () =>
          list.length === 0
            ? registry.features.length === 0
              ? "No features yet. Add one with `br features add <name>`."
              : "No features match."
            : table(
                ["ID", "STATUS", "PRIORITY", "NAME", "DEPENDS ON"],
                list.map((f) => [f.id, f.status, f.priority, f.name, f.dependsOn.join(", ")]),
              ),
        );
      }),
    );
}

function registerFeaturesShow(features: Command): void {
  features
    .command("show <id>")
    .description("show one feature")
    .option("--json", 'print { "feature": {...} }')
    .action(
      action<[string]>(async (id, options) => {
        const { loadRegistry } = await import("../../registry/store.js");
        const { getFeature } = await import("../../registry/features.js");
        const feature = getFeature(await loadRegistry(await checkedProject(options)), id);
        emit(options.json, { feature }, () => showFeature(feature));
      }),
    );
}

function registerFeaturesUpdate(features: Command): void {
  features
    .command("update <id>")
    .description("change a feature's fields or status")
    .option("--name <name>", "new display name (the id stays)")
    .option("-d, --description <text>", "new description")
    .option("-p, --priority <priority>", "critical | high | medium | low")
    .option("-s, --status <status>", "planned | in_progress | testing | complete | blocked")
    .option("--depends-on <ids>", "replace the dependencies (comma-separated ids; empty for none)")
    .option("-a, --acceptance <criterion>", "replace the acceptance criteria (repeatable)", collect)
    .option("--files <globs>", "replace the file hints (comma-separated)")
    .option("--reason <text>", "why it is blocked")
    .option("--reopen", "allow complete → in_progress")
    .option("--force", "allow any status move (recorded)")
    .option("--json", "print the feature as JSON")
    .action(
      action<[string]>(async (id, options) => {
        const { updateFeature } = await import("../../registry/features.js");
        const update: FeatureUpdate = {
          ...(typeof options.name === "string" ? { name: options.name } : {}),
          ...(typeof options.description === "string" ? { description: options.description } : {}),
          ...(typeof options.priority === "string" ? { priority: parsePriority(options.priority) } : {}),
          ...(typeof options.status === "string" ? { status: parseStatus(options.status) } : {}),
          ...(typeof options.dependsOn === "string" ? { dependsOn: commaList(options.dependsOn) } : {}),
          ...(Array.isArray(options.acceptance) ? { acceptance: options.acceptance as string[] } : {}),
          ...(typeof options.files === "string" ? { files: commaList(options.files) } : {}),
          ...(typeof options.reason === "string" ? { reason: options.reason } : {}),
          reopen: options.reopen === true,
          force: options.force === true,
        };
        const result = await updateFeature(project(options), id, update);
        emit(options.json, result, () => changed("Updated", result.feature, result.forcedMove));
      }),
    );
}

/** `br features start|complete|block <id>`: a status move each. */
function registerFeatureMove(features: Command, verb: string, status: FeatureStatus, description: string): void {
  const command = features.command(`${verb} <id>`).description(description);
  if (verb === "block") command.option("--reason <text>", "why it is blocked");
  if (verb === "start") command.option("--reopen", "reopen a complete feature");
  command
    .option("--force", "allow a move the rules forbid (recorded)")
    .option("--json", "print the feature as JSON")
    .action(
      action<[string]>(async (id, options) => {
        const { updateFeature } = await import("../../registry/features.js");
        const result = await updateFeature(project(options), id, {
          status,
          force: options.force === true,
          reopen: options.reopen === true,
          ...(typeof options.reason === "string" ? { reason: options.reason } : {}),
        });
        emit(options.json, result, () => changed("Moved", result.feature, result.forcedMove));
      }),
    );
}

function registerFeaturesRemove(features: Command): void {
  features
    .command("remove <id>")
    .description("remove a feature")
    .option("--force", "remove even if others depend on it (their dependency is dropped) or work is recorded")
    .option("--json", "print the removed feature as JSON")
    .action(
      action<[string]>(async (id, options) => {
        const { removeFeature } = await import("../../registry/features.js");
        const feature = await removeFeature(project(options), id, { force: options.force === true });
        emit(options.json, { removed: feature }, () => `${style.green("✓")} Removed ${feature.name} (${feature.id})`);
      }),
    );
}
