/**
 * A worker thread's part of a large scan (src/security/scan-threads.ts): it loads the same rules
 * as the main thread, takes files from the shared queue until it is empty and posts what it found.
 */
import { parentPort, workerData } from "node:worker_threads";
import { rulesFor, scanShare } from "./scan.js";
import { taken, type WorkerInput } from "./scan-threads.js";

const input = workerData as WorkerInput;
const rules = rulesFor(input.source.root, input.source.configFile);
parentPort?.postMessage(scanShare(taken(input.queue, input.thread), rules));
