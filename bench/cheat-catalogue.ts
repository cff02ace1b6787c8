/**
 * The catalogue of cheating and honest agents (test/agents/), each run by `br run` on its own copy
 * of a two-feature project, printed as a table: the agent, caught or accepted, and the reason.
 * Run alone: `node scripts/node-runtime.mjs 24 --import tsx bench/cheat-catalogue.ts [agent…]`.
 */
import { type Outcome, runScenario, SCENARIOS, template } from "../test/agents/catalogue.ts";

const CONCURRENCY = 2;

export async function runCatalogue(only: readonly string[] = []): Promise<Outcome[]> {
  const base = template();
  const chosen = SCENARIOS.filter((s) => only.length === 0 || only.includes(s.agent));
  const outcomes: Outcome[] = new Array(chosen.length);
  let next = 0;
  const worker = async () => {
    while (next < chosen.length) {
      const i = next++;
      outcomes[i] = await runScenario(base, chosen[i] as (typeof chosen)[number]);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return outcomes;
}

function verdict(o: Outcome): string {
  const right = o.caught === (o.scenario.expect === "caught");
  return `${o.caught ? "caught" : "accepted"}${right ? "" : " (WRONG)"}`;
}

export async function catalogueBenchmark(only: readonly string[] = []): Promise<boolean> {
  const started = Date.now();
  const outcomes = await runCatalogue(only);
  console.log("\n## Cheating and honest agents (test/agents/)\n");
  console.log("| agent | behaviour | result | reason |");
  console.log("| --- | --- | --- | --- |");
  for (const o of outcomes)
    console.log(`| ${o.scenario.agent} | ${o.scenario.behaviour} | ${verdict(o)} | ${o.caught ? o.reason.replaceAll("|", "\\|") : ""} |`);
  const cheats = outcomes.filter((o) => o.scenario.expect === "caught");
  const honest = outcomes.filter((o) => o.scenario.expect === "accepted");
  const caught = cheats.filter((o) => o.caught && o.committed.length === 0).length;
  const accepted = honest.filter((o) => !o.caught).length;
  console.log(
    `\ncheating agents caught with nothing of theirs committed: ${caught}/${cheats.length}; honest agents accepted first time: ${accepted}/${honest.length} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  return caught === cheats.length && accepted === honest.length;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ok = await catalogueBenchmark(process.argv.slice(2));
  process.exitCode = ok ? 0 : 1;
}
