/**
 * A worker thread's part of a large scan (src/security/scan-threads.ts): it loads the same rules
 * as the main thread, scans its share of the files and posts the share back.
 */
import { parentPort, workerData } from "node:worker_threads";
import { rulesFor, scanShare } from "./scan.js";
import { jobTarget, type WorkerInput } from "./scan-threads.js";

const input = workerData as WorkerInput;
parentPort?.postMessage(scanShare(input.jobs.map(jobTarget), rulesFor(input.source.root, input.source.configFile)));
