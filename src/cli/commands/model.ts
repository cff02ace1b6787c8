import { readFileSync } from "node:fs";
import type { Command } from "commander";
import type { Config } from "../../infra/config.js";
import { usageError } from "../../infra/errors.js";
import { style } from "../../infra/log.js";
import { findProject } from "../../infra/project.js";
import type { ModelStats } from "../../routing/stats.js";
import { project, workingDir } from "../context.js";
import { action } from "../main.js";
import { emit, table } from "../output.js";
import { registerModelOutcomes } from "./model-outcomes.js";
import { pullSharedLedger } from "./queue.js";

/** The project's config when there is a project here, else the defaults (route works anywhere). */
async function configHere(options: { cwd?: string }): Promise<Config> {
  const { configSchema, loadConfig } = await import("../../infra/config.js");
  let paths: ReturnType<typeof findProject> | undefined;
  try {
    paths = findProject(workingDir(options));
  } catch {
    return configSchema.parse({});
  }
  return (await loadConfig(paths)).config;
}

const usd = (n: number) => `$${n.toFixed(4)}`;

export function registerModel(program: Command): void {
  const model = program.command("model").description("model routing and the cost ledger");
  registerModelRoute(model);
  registerModelPrices(model);
  registerModelStats(model);
  registerModelOutcomes(model);
}

function registerModelRoute(model: Command): void {
  model
    .command("route [text...]")
    .description("score a task's complexity (0..100) and pick its tier and model")
    .option("--file <file>", "read the task text from a file")
    .option("--batch", 'read JSON Lines { "id", "text" } on stdin; write one { "id", "tier", "model", "score" } line per input')
    .option("--json", 'print { "tier", "model", "score", "reasons" }')
    .action(
      action<[string[]]>(async (words, options) => {
        const config = await configHere(options);
        const { route } = await import("../../routing/tiers.js");
        if (options.batch) {
          if (words.length > 0 || options.file)
            throw usageError("--batch reads stdin; it takes no text or --file.", { fix: "Pipe JSON Lines into `br model route --batch`." });
          const inputs = readBatchInputs();
          // Everything is checked before anything is written: a bad line leaves no half output.
          const out = inputs.map(({ id, text }) => {
            const r = route({ text }, config);
            return JSON.stringify({ id, tier: r.tier, model: r.model, score: r.score });
          });
          if (out.length > 0) process.stdout.write(`${out.join("\n")}\n`);
          return;
        }
        const text = taskTextOf(words, options.file);
        const r = route({ text }, config);
        emit(options.json, r, () => [
          `${style.bold(r.tier)} (${r.model}): complexity ${r.score}/100 (sonnet from ${config.routing.thresholds.sonnet}, opus from ${config.routing.thresholds.opus})`,
          ...r.reasons.map((reason) => style.dim(`  - ${reason}`)),
          ...(config.routing.policy === "ladder"
            ? [
                style.dim(
                  "  br run routes by the ladder (routing.policy ladder): every task starts on its first step; the score is recorded, not used.",
                ),
              ]
            : []),
        ]);
      }),
    );
}

/** `br model route --batch`: every JSON Lines record on stdin, all checked before any is routed. */
function readBatchInputs(): { id: unknown; text: string }[] {
  const lines = readFileSync(0, "utf8").split("\n");
  const inputs: { id: unknown; text: string }[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      throw usageError(`stdin line ${i + 1}: not JSON (${(error as Error).message}).`, {
        fix: 'Write one object per line: {"id": "…", "text": "…"}.',
      });
    }
    const { id, text } = (record ?? {}) as { id?: unknown; text?: unknown };
    if (typeof text !== "string" || (typeof id !== "string" && typeof id !== "number"))
      throw usageError(`stdin line ${i + 1}: needs a string "text" and a string or number "id".`, {
        fix: 'Write one object per line: {"id": "…", "text": "…"}.',
      });
    inputs.push({ id, text });
  });
  return inputs;
}

/** `br model route`'s task text: the words given, or the content of --file (not both, and not empty). */
function taskTextOf(words: string[], file: unknown): string {
  let text = words.join(" ");
  if (typeof file === "string") {
    if (text) throw usageError("Give the task as text or with --file, not both.", { fix: "Drop the words, or drop --file." });
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw usageError(`${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}.`, {
        file,
        fix: "Give the path of a readable text file with the task's text.",
      });
    }
  }
  if (!text.trim())
    throw usageError("No task text.", {
      fix: 'Pass it as arguments (br model route "fix the typo in the README"), or use --file or --batch.',
    });
  return text;
}

function registerModelPrices(model: Command): void {
  model
    .command("prices")
    .description("the price table (USD per million tokens) with its date, and this project's overrides")
    .option("--json", 'print { "date", "currency", "models": { id: { input, output, cacheWrite, cacheRead, source } } }')
    .action(
      action<[]>(async (options) => {
        const config = await configHere(options);
        const { SHIPPED_PRICES } = await import("../../routing/prices.js");
        const overrides = config.routing.prices;
        const models = Object.fromEntries(
          [...new Set([...Object.keys(SHIPPED_PRICES.models), ...Object.keys(overrides)])].map((id) => [
            id,
            { ...(overrides[id] ?? SHIPPED_PRICES.models[id]), source: overrides[id] ? "config.yaml" : "shipped table" },
          ]),
        );
        emit(options.json, { date: SHIPPED_PRICES.date, currency: SHIPPED_PRICES.currency, models }, () => [
          `Prices in ${SHIPPED_PRICES.currency} per million tokens, shipped table dated ${SHIPPED_PRICES.date}${Object.keys(overrides).length ? `; ${Object.keys(overrides).length} from config.yaml (*)` : ""}`,
          ...table(
            ["model", "input", "output", "cache write", "cache read"],
            Object.entries(models).map(([id, p]) => [
              `${id}${p.source === "config.yaml" ? " *" : ""}`,
              String(p.input),
              String(p.output),
              String(p.cacheWrite),
              String(p.cacheRead),
            ]),
          ),
          ...Object.entries(config.routing.tiers).map(([tier, id]) => style.dim(`  ${tier} → ${id}`)),
        ]);
      }),
    );
}

function registerModelStats(model: Command): void {
  model
    .command("stats")
    .description("spend by model, tier and feature; success per tier; escalations; durations; the saving routing made")
    .option("--since <when>", "only calls since a date (2026-11-01) or for a duration back (7d, 24h)")
    .option("--json", "print the statistics as JSON")
    .action(
      action<[]>(async (options) => {
        const paths = project(options);
        const { loadConfig } = await import("../../infra/load-config.js");
        const { modelStats, parseSince } = await import("../../routing/stats.js");
        const since = typeof options.since === "string" ? parseSince(options.since) : undefined;
        await pullSharedLedger(paths);
        const stats = modelStats(paths, (await loadConfig(paths)).config, since);
        emit(options.json, stats, () => statsReport(stats, since));
      }),
    );
}

/** `br model stats` as text: totals, the tables by tier, model and feature, and the saving. */
function statsReport(stats: ModelStats, since: string | undefined): string[] {
  if (stats.calls === 0) return [`No executor calls recorded${since ? ` since ${since}` : ""}. \`br run\` records each one.`];
  const s = stats.saving;
  return [
    `${stats.calls} call(s)${since ? ` since ${since.slice(0, 16).replace("T", " ")}` : ""}: ${usd(stats.costUsd)} (${Object.entries(
      stats.costSources,
    )
      .map(([source, n]) => `${n} ${source}`)
      .join(", ")})`,
    `  tokens: ${stats.tokens.input} in, ${stats.tokens.output} out, ${stats.tokens.cacheWrite} cache write, ${stats.tokens.cacheRead} cache read`,
    `  duration: p50 ${(stats.durationMs.p50 / 1000).toFixed(1)} s, p95 ${(stats.durationMs.p95 / 1000).toFixed(1)} s; ${stats.escalations} escalation(s)`,
    "",
    ...table(
      ["tier", "calls", "passed", "success", "cost"],
      stats.byTier.map((t) => [t.tier, String(t.calls), String(t.passed), `${t.successRate}%`, usd(t.costUsd)]),
    ),
    "",
    ...table(
      ["model", "calls", "cost"],
      stats.byModel.map((m) => [m.model, String(m.calls), usd(m.costUsd)]),
    ),
    "",
    ...table(
      ["feature", "calls", "cost"],
      stats.byFeature.map((f) => [f.featureId, String(f.calls), usd(f.costUsd)]),
    ),
    "",
    `Saving: ${usd(s.actualUsd)} spent where every call on ${s.reference} (${s.referenceModel}) would have cost ${usd(s.referenceUsd)}: ${s.savedUsd >= 0 ? "saved" : "overspent"} ${usd(Math.abs(s.savedUsd))} (${s.savedPct}%), over the ${s.calls} call(s) with a known cost and recorded usage.`,
    ...(s.excluded.calls > 0
      ? [
          `  ${s.excluded.calls} call(s) left out of the saving: ${Object.entries(s.excluded.reasons)
            .map(([reason, n]) => `${n} ${reason}`)
            .join(", ")}.`,
        ]
      : []),
  ];
}
