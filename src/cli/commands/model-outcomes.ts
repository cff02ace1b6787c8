/** `br model simulate` and `br model advise`: the routing policy replayed over outcome tables. */
import type { Command } from "commander";
import type { Config } from "../../infra/config.js";
import { usageError } from "../../infra/errors.js";
import { style } from "../../infra/log.js";
import type { ProjectPaths } from "../../infra/project.js";
import type { Advice, Candidate } from "../../routing/advise.js";
import type { OutcomeTable } from "../../routing/outcomes.js";
import type { Figures, SimulationReport } from "../../routing/simulate.js";
import { collect, project, workingDir } from "../context.js";
import { action } from "../main.js";
import { emit, table } from "../output.js";

interface SourceOptions {
  outcomes?: string;
  fromLedger?: boolean;
  scaffold?: string;
  texts?: string;
  map?: string[];
  reference?: string;
  cwd?: string;
}

const pct = (share: number) => `${(100 * share).toFixed(1)}%`;
const usd = (n: number) => `$${n.toFixed(3)}`;

export function registerModelOutcomes(model: Command): void {
  registerSimulate(model);
  registerAdvise(model);
}

function sourceOptions(command: Command): Command {
  return command
    .option("--outcomes <file.jsonl>", 'an outcomes table: {"task_id", "text"?, "model" (or "run"), "resolved", "cost_usd"} per line')
    .option("--from-ledger", "this project's own ledger: every verified or rejected attempt br run recorded")
    .option("--scaffold <version>", "only the outcomes whose scaffold is this (tables that mix agent versions)")
    .option("--texts <file.jsonl>", 'task texts, {"id", "text"} per line, for routing.policy score')
    .option("--map <tableModel=configModel>", "join a table's model id to the config's (repeatable)", collect)
    .option("--reference <model>", "the model to compare with (default: the ladder's top step)");
}

function registerSimulate(model: Command): void {
  sourceOptions(
    model
      .command("simulate")
      .description(
        "replay the configured routing policy over per-task outcomes: share solved and cost per task, against a reference, cheapest-first and the oracle",
      ),
  )
    .option(
      "--json",
      'print { "tasks", "policy", "reference", "cheapestFirst", "oracle" }, each { "solved" (0..1), "costPerTask" (USD), "tasks" }',
    )
    .action(
      action<[]>(async (options: SourceOptions & { json?: boolean }) => {
        const { config, outcomes, maps } = await loadSource(options);
        const { tablePolicy } = await import("../../routing/policy.js");
        const { simulationReport } = await import("../../routing/simulate.js");
        const policy = tablePolicy(config, outcomes, maps);
        const reference = await referenceOf(options, outcomes, maps, () => policy.ladder);
        const report = simulationReport(outcomes, policy, reference);
        emit(options.json, roundReport(report), () => simulationText(report, outcomes, config));
      }),
    );
}

function registerAdvise(model: Command): void {
  sourceOptions(
    model
      .command("advise")
      .description("recommend the routing ladder that solves at least as many tasks as the reference at the least cost"),
  )
    .option("--steps <n>", "the longest ladder to consider (default: run.maxAttempts)")
    .option("--write", "put the recommended ladder into config.yaml, for br run and br model simulate")
    .option("--json", 'print { "tasks", "reference", "recommended", "confidence", "alternatives", "skipFirst", "written" }')
    .action(
      action<[]>(async (options: AdviseOptions) => {
        if (!options.outcomes && !options.fromLedger) return shippedDefault(options);
        const { config, outcomes, maps, paths } = await loadSource(options);
        const { advise } = await import("../../routing/advise.js");
        const { tableLadder } = await import("../../routing/policy.js");
        const steps = await stepsOption(options.steps, config, outcomes);
        const current = currentLadder(() => tableLadder(config, outcomes, maps));
        const reference = await referenceOf(options, outcomes, maps, () => current?.ladder ?? noDefaultReference(outcomes));
        const advice = advise(outcomes, { reference, maxSteps: steps, ...(current ? { current: current.ladder } : {}) });
        const written = options.write ? await writeAdvice(requirePaths(paths), advice, { maps, config, current }) : undefined;
        const { configIdOf } = await import("../../routing/model-ids.js");
        const asConfig = advice.recommended.ladder.map((m) => configIdOf(m, maps));
        emit(options.json, { ...roundAdvice(advice), written: written ?? null }, () => adviceText(advice, outcomes, asConfig, written));
      }),
    );
}

type AdviseOptions = SourceOptions & { json?: boolean; steps?: string; write?: boolean };

/** Without a table: the shipped default ladder, its source and the figures it was chosen on. */
async function shippedDefault(options: AdviseOptions): Promise<void> {
  const given = (["write", "steps", "reference", "map", "scaffold", "texts"] as const).filter((o) => options[o] !== undefined);
  if (given.length > 0)
    throw usageError(`--${given[0]} needs outcomes to advise on.`, {
      fix: "Add --outcomes <file.jsonl>, or --from-ledger in a project br run has worked in.",
    });
  const data = (await import("../../routing/ladder.js")).SHIPPED_OUTCOMES;
  const { ladder, alwaysTop } = data.defaultLadder.measured;
  emit(
    options.json,
    { source: data.source, date: data.date, ladder: data.defaultLadder.steps, measured: data.defaultLadder.measured },
    () => [
      `The shipped default ladder: ${data.defaultLadder.steps.join(" → ")} (routing.tiers), from public outcomes dated ${data.date} (${data.source}).`,
      `  over ${data.defaultLadder.measured.tasks} SWE-bench Verified tasks: ${pct(ladder.solved)} solved at ${usd(ladder.costPerTask)} a task, against always the top step's ${pct(alwaysTop.solved)} at ${usd(alwaysTop.costPerTask)}.`,
      "Give outcomes to advise on (--outcomes <file.jsonl>), or this project's history (--from-ledger).",
    ],
  );
}

async function stepsOption(value: string | undefined, config: Config, outcomes: OutcomeTable): Promise<number> {
  const { candidateCount, MAX_CANDIDATES } = await import("../../routing/advise.js");
  const n = value === undefined ? Math.min(4, Math.max(1, config.run.maxAttempts)) : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 4)
    throw usageError(`--steps ${value}: expected a whole number from 1 to 4.`, { fix: "Ladders of 2 or 3 steps are the useful ones." });
  const count = candidateCount(outcomes.models.length, n);
  if (count > MAX_CANDIDATES)
    throw usageError(`${outcomes.models.length} models make ${count} ladders of up to ${n} steps, too many to compare.`, {
      fix: `Ask for fewer steps (--steps ${n - 1}), or give a table with fewer models.`,
    });
  return n;
}

function requirePaths(paths: ProjectPaths | undefined): ProjectPaths {
  if (!paths) throw usageError("--write needs a br project here.", { fix: "Run it in a project (br init), or leave out --write." });
  return paths;
}

type TableLadder = ReturnType<typeof import("../../routing/policy.js").tableLadder>;

/** The configured ladder in the table's ids, when the table has all its models (a ledger usually does). */
function currentLadder(resolve: () => TableLadder): TableLadder | undefined {
  try {
    return resolve();
  } catch {
    return undefined;
  }
}

function noDefaultReference(outcomes: OutcomeTable): never {
  throw usageError(`The configured ladder's models are not all in ${outcomes.source}, so there is no default reference.`, {
    fix: "Name the model to compare with: --reference <model> (one of the table's).",
  });
}

async function referenceOf(
  options: SourceOptions,
  outcomes: OutcomeTable,
  maps: Map<string, string>,
  ladder: () => string[],
): Promise<string> {
  const { tableIdOf } = await import("../../routing/model-ids.js");
  if (options.reference) return tableIdOf(outcomes, options.reference, maps, "--reference");
  return ladder().at(-1) as string;
}

async function loadSource(
  options: SourceOptions,
): Promise<{ config: Config; outcomes: OutcomeTable; maps: Map<string, string>; paths?: ProjectPaths }> {
  if (Boolean(options.outcomes) === Boolean(options.fromLedger))
    throw usageError(options.outcomes ? "Give --outcomes or --from-ledger, not both." : "No outcomes to replay.", {
      fix: "Pass --outcomes <file.jsonl>, or --from-ledger in a project that br run has worked in.",
    });
  const { parseMaps } = await import("../../routing/model-ids.js");
  const maps = parseMaps(options.map ?? []);
  const { paths, config } = await configHere(options);
  const outcomes = options.outcomes
    ? (await import("../../routing/outcomes.js")).readOutcomesFile(options.outcomes, {
        ...(options.scaffold !== undefined ? { scaffold: options.scaffold } : {}),
      })
    : await ledgerTable(requireLedgerProject(paths));
  if (options.texts) (await import("../../routing/outcomes.js")).readTexts(options.texts, outcomes);
  return { config, outcomes, maps, ...(paths ? { paths } : {}) };
}

function requireLedgerProject(paths: ProjectPaths | undefined): ProjectPaths {
  if (!paths)
    throw usageError("--from-ledger reads a br project's ledger, and there is no project here.", { fix: "Run it in the project." });
  return paths;
}

async function ledgerTable(paths: ProjectPaths): Promise<OutcomeTable> {
  const { ledgerOutcomes } = await import("../../routing/outcomes.js");
  const { loadTasks } = await import("../../plan/task-store.js");
  const plan = await loadTasks(paths);
  const { taskText } = await import("../../routing/tiers.js");
  const info = new Map(plan.tasks.map((t) => [t.id, taskText(t)]));
  const outcomes = ledgerOutcomes(paths, info);
  if (outcomes.tasks.length === 0)
    throw usageError(
      "The ledger has no verified or rejected attempts of a model yet (replayed and manual attempts ran no model, so they do not count).",
      {
        fix: "Run br run with an agent first; every attempt it verifies is recorded.",
      },
    );
  return outcomes;
}

/** The project's config, or the defaults outside a project (simulate and advise work on any table). */
async function configHere(options: SourceOptions): Promise<{ paths?: ProjectPaths; config: Config }> {
  const { configSchema, loadConfig } = await import("../../infra/config.js");
  const { findProject } = await import("../../infra/project.js");
  let paths: ProjectPaths;
  try {
    paths = options.fromLedger ? project(options) : findProject(workingDir(options));
  } catch (error) {
    if (options.fromLedger) throw error;
    return { config: configSchema.parse({}) };
  }
  return { paths, config: (await loadConfig(paths)).config };
}

const round = (n: number) => Math.round(n * 1e4) / 1e4;
const roundFigures = <T extends Figures>(f: T): T => ({ ...f, solved: round(f.solved), costPerTask: round(f.costPerTask) });

function roundReport(r: SimulationReport): SimulationReport {
  return {
    tasks: r.tasks,
    policy: roundFigures(r.policy),
    reference: roundFigures(r.reference),
    cheapestFirst: roundFigures(r.cheapestFirst),
    oracle: roundFigures(r.oracle),
  };
}

function roundAdvice(a: Advice): Advice {
  const candidate = (c: Candidate) => ({ ...roundFigures(c), costRatio: c.costRatio === null ? null : round(c.costRatio) });
  return {
    ...a,
    reference: roundFigures(a.reference),
    recommended: candidate(a.recommended),
    alternatives: a.alternatives.map(candidate),
    skipFirst: a.skipFirst.map((s) => ({ ...s, costPerTask: round(s.costPerTask), costPerTaskSkipping: round(s.costPerTaskSkipping) })),
  };
}

function ratioText(f: Figures, reference: Figures): string {
  if (f.tasks === 0) return "no tasks with every outcome needed";
  const cost = reference.costPerTask > 0 ? `${(f.costPerTask / reference.costPerTask).toFixed(2)}× the cost` : "";
  const solved = f.solved - reference.solved;
  return `${cost}, ${solved >= 0 ? "+" : ""}${(100 * solved).toFixed(1)} points solved`;
}

function simulationText(r: SimulationReport, outcomes: OutcomeTable, config: Config): string[] {
  const rows: [string, string, Figures][] = [
    [`policy (${config.routing.policy})`, r.policy.ladder.join(" → "), r.policy],
    ["reference", r.reference.model, r.reference],
    ["cheapest first", r.cheapestFirst.ladder.join(" → "), r.cheapestFirst],
    ["oracle", `cheapest of ${r.oracle.models.length} that solves`, r.oracle],
  ];
  const partial = rows.some(([, , f]) => f.tasks < r.tasks);
  return [
    `${r.tasks} task(s) from ${outcomes.source}; a failed attempt costs what it cost and the next step is tried (up to run.maxAttempts ${config.run.maxAttempts}).`,
    ...table(
      ["", "ladder", "solved", "cost/task", ...(partial ? ["tasks"] : []), "against the reference"],
      rows.map(([name, ladder, f]) => [
        name,
        ladder,
        pct(f.solved),
        usd(f.costPerTask),
        ...(partial ? [String(f.tasks)] : []),
        name === "reference" ? "" : ratioText(f, r.reference),
      ]),
    ),
    ...(partial
      ? [style.dim("  Each row counts only the tasks whose outcomes it needs are in the table (a ledger holds only the steps tried).")]
      : []),
  ];
}

function adviceText(a: Advice, outcomes: OutcomeTable, asConfig: string[], written: string[] | undefined): string[] {
  const r = a.recommended;
  const c = a.confidence;
  return [
    `Over ${r.tasks} of ${a.tasks} task(s) from ${outcomes.source}, against ${a.reference.model} alone (${pct(a.reference.solved)} solved, ${usd(a.reference.costPerTask)} a task):`,
    `  ${style.bold(r.ladder.join(" → "))}: ${pct(r.solved)} solved, ${usd(r.costPerTask)} a task${r.costRatio === null ? "" : ` (${r.costRatio.toFixed(2)}× the reference's cost)`}`,
    ...(a.note
      ? [`  ${a.note}.`]
      : c
        ? [
            `  confidence: cheaper than the reference in ${pct(c.costBelowReference)} of ${c.resamples} resamples of the tasks; cost ratio ${c.costRatio90[0].toFixed(2)}–${c.costRatio90[1].toFixed(2)} (90%)`,
          ]
        : [`  No ladder is cheaper than the reference alone on this table.`]),
    style.dim("  Every ladder considered ends on the reference, so it solves every task the reference solves."),
    ...(a.alternatives.length
      ? [
          "",
          "Next best:",
          ...a.alternatives.map(
            (alt) => `  ${alt.ladder.join(" → ")}: ${pct(alt.solved)}, ${usd(alt.costPerTask)} (${alt.costRatio?.toFixed(2)}×)`,
          ),
        ]
      : []),
    ...a.excluded.map((e) => style.dim(`  left out: ${e.model} (${e.reason})`)),
    ...skipText(a),
    "",
    ...(written?.some((w) => w.startsWith("command:"))
      ? [
          style.dim(
            '  No agent CLI br knows runs some of these models: they run through executors.command.command (br config set executors.command.command "my-agent --model {model} --prompt-file {prompt_file}").',
          ),
        ]
      : []),
    written
      ? written.length
        ? `Written to config.yaml: routing.ladder ${written.join(" → ")}.`
        : "config.yaml's ladder is unchanged."
      : `br model advise --write puts it into config.yaml (as ${asConfig.join(" → ")}).`,
  ];
}

function skipText(a: Advice): string[] {
  if (a.skipFirst.length === 0) return [];
  return [
    "",
    "By task kind (the project's own history; a task the first step solved is assumed solved by the second at its mean cost):",
    ...table(
      ["kind", "tasks", "first step solved", "cost/task", "skipping it", "advice"],
      a.skipFirst.map((s) => [
        s.kind,
        String(s.tasks),
        String(s.firstStepSolved),
        usd(s.costPerTask),
        usd(s.costPerTaskSkipping),
        s.skip ? "skip the first step" : "keep it",
      ]),
    ),
  ];
}

/**
 * `--write`: the recommended ladder in config terms, and the attempts to climb it. A step the current
 * ladder already has is written as it is configured (a tier name stays a tier name, its executor and
 * name stay); a new one gets the executor its model id's prefix implies. When nothing could be compared
 * (a note says why) the ladder is left alone and only the per-kind advice is written.
 */
async function writeAdvice(
  paths: ProjectPaths,
  advice: Advice,
  context: { maps: Map<string, string>; config: Config; current: TableLadder | undefined },
): Promise<string[]> {
  const { config, current } = context;
  const { editConfig } = await import("../../infra/config.js");
  const steps = advice.note ? undefined : await configSteps(advice.recommended.ladder, context);
  const skip = advice.skipFirst.filter((s) => s.skip).map((s) => s.kind);
  // The per-kind advice is about the current ladder's first two steps: it carries over only if they stay.
  const sameStart =
    current !== undefined && current.ladder.slice(0, 2).join("\u0000") === advice.recommended.ladder.slice(0, 2).join("\u0000");
  await editConfig(paths, (doc, yaml) => {
    if (steps) {
      // One step a line, each written inline: { executor: codex, model: gpt-5-mini }.
      const ladder = doc.createNode(steps);
      for (const item of yaml.isSeq(ladder) ? ladder.items : []) if (yaml.isMap(item)) item.flow = true;
      doc.setIn(["routing", "ladder"], ladder);
      doc.setIn(["routing", "policy"], "ladder");
      if (config.run.maxAttempts < steps.length) doc.setIn(["run", "maxAttempts"], steps.length);
    }
    if (sameStart && advice.skipFirst.length > 0) doc.setIn(["routing", "skipFirstFor"], doc.createNode(skip, { flow: true }));
  });
  return (steps ?? []).map((s) => (typeof s === "string" ? s : `${s.executor ? `${s.executor}:` : ""}${s.model}`));
}

type ConfigStep = string | { model: string; executor?: string; name?: string };

async function configSteps(
  ladder: string[],
  context: { maps: Map<string, string>; config: Config; current: TableLadder | undefined },
): Promise<ConfigStep[]> {
  const { maps, config, current } = context;
  const { configIdOf, executorOf } = await import("../../routing/model-ids.js");
  const runExecutor = config.run.executor;
  return ladder.map((tableModel): ConfigStep => {
    const known = current?.steps[current.ladder.indexOf(tableModel)];
    if (known) {
      const tier = (["haiku", "sonnet", "opus"] as const).find((t) => t === known.name && config.routing.tiers[t] === known.model);
      if (tier && known.executor === runExecutor) return tier;
      return {
        model: known.model,
        ...(known.executor !== runExecutor ? { executor: known.executor } : {}),
        ...(/^step-\d+$/.test(known.name) ? {} : { name: known.name }),
      };
    }
    const model = configIdOf(tableModel, maps);
    // A model no agent CLI is known to run goes through the command executor (or aider, which runs many), never Claude Code.
    const executor = executorOf(model) ?? (runExecutor === "aider" || runExecutor === "command" ? runExecutor : "command");
    return executor !== runExecutor ? { executor, model } : { model };
  });
}
