/**
 * The load of bench/dashboard.ts: agents' live logs written through br's own writer (masking
 * included) at a given rate, each line stamped with when it was printed, and the attempts'
 * heartbeats kept fresh, as a parallel run's workers do.
 * Arguments: <state dir> <lines per second per log> <seconds> <attempt id>...
 */
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { attemptLogPath, openAgentLog, prepareLogs } from "../src/run/agent-log.ts";

const [state = "", rateText = "1000", secondsText = "60", ...ids] = process.argv.slice(2);
const rate = Number(rateText);
const until = Date.now() + Number(secondsText) * 1000;
prepareLogs(state);
const logs = ids.map((id) => ({ id: Number(id), log: openAgentLog(attemptLogPath(state, Number(id))), n: 0 }));
const db = new DatabaseSync(join(state, "state.db"));
db.exec("PRAGMA busy_timeout = 5000");
const beat = db.prepare("UPDATE attempts SET heartbeat_ms = ? WHERE id = ?");

const TICK_MS = 10;
const perTick = rate / (1000 / TICK_MS);
let owed = 0;
const writer = setInterval(() => {
  owed += perTick;
  const count = Math.floor(owed);
  owed -= count;
  const at = Date.now();
  for (const entry of logs) {
    const lines: string[] = [];
    for (let i = 0; i < count; i++) lines.push(`[stream ${entry.id}] step ${++entry.n} at=${at}: editing src/app.ts and running the tests`);
    entry.log.write("stdout", `${lines.join("\n")}\n`);
  }
  if (Date.now() >= until) stop();
}, TICK_MS);
const heart = setInterval(() => {
  for (const entry of logs) beat.run(Date.now(), entry.id);
}, 1000);

function stop(): void {
  clearInterval(writer);
  clearInterval(heart);
  for (const entry of logs) entry.log.close();
  db.close();
  process.stdout.write(`${JSON.stringify({ lines: logs.reduce((sum, e) => sum + e.n, 0) })}\n`);
}
