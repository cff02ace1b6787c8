/**
 * `npm run bench`: every benchmark, each printing its figures and, where the issue sets an aim,
 * whether it was met. BENCH_RUNS sets the repetitions (default 15).
 */
import { catalogueBenchmark } from "./cheat-catalogue.ts";
import { dashboardBenchmark } from "./dashboard.ts";
import { gapsBenchmark } from "./gaps.ts";
import { measuresBenchmark } from "./measures.ts";
import { parallelBenchmark } from "./parallel.ts";
import { planBenchmark } from "./plan.ts";
import { qualityPeerBenchmark } from "./quality-peer.ts";
import { queueBenchmark } from "./queue.ts";
import { routingEvaluation } from "./routing-eval.ts";
import { routingOutcomesBenchmark } from "./routing-outcomes.ts";
import { runLoopBenchmark } from "./run-loop.ts";
import { secretsEvaluation } from "./secrets-eval.ts";
import { securityBenchmark } from "./security.ts";
import { sqliEvaluation } from "./sqli-eval.ts";
import { startupBenchmark } from "./startup.ts";
import { taskmasterBenchmark } from "./taskmaster.ts";
import { telemetryBenchmark } from "./telemetry.ts";

startupBenchmark();
taskmasterBenchmark();
planBenchmark();
secretsEvaluation();
sqliEvaluation();
securityBenchmark();
measuresBenchmark();
gapsBenchmark();
qualityPeerBenchmark();
routingEvaluation();
routingOutcomesBenchmark();
runLoopBenchmark();
parallelBenchmark();
await queueBenchmark();
await catalogueBenchmark();
await dashboardBenchmark();
await telemetryBenchmark();
