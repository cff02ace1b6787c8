/**
 * A large scan of files on disk, shared between threads: the main thread scans one share while
 * worker threads (src/security/scan-worker.ts) scan the others with the same rules, and the shares
 * are merged into one result, identical to a scan on one thread. A worker costs about half a
 * second of CPU to start (loading the scanners, compiling the rules), so scans under 16 MiB, and
 * sources whose contents are not files (staged blobs, history), stay on one thread. A worker that fails leaves its share to the main thread: a thread
 * problem never leaves a file unscanned.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { type ScanResult, type ScanShare, scanResult, scanShare } from "./scan.js";
import type { RuleSet } from "./secrets/rules.js";
import type { ScanTarget } from "./sources.js";

/** Where a worker finds the rules: the same project and rule file the main thread used. */
export interface RulesSource {
  root: string;
  configFile: string | undefined;
}

/** A file target as it crosses to a worker (functions do not cross). */
export interface FileJob {
  path: string;
  file: string;
  named?: true;
}

export interface WorkerInput {
  jobs: FileJob[];
  source: RulesSource;
}

/**
 * Bytes per thread below which another thread costs more than it saves: a worker spends about
 * half a second of CPU loading the scanners and compiling the rules.
 */
const MIN_BYTES_PER_THREAD = 16 * 1024 * 1024;
const MAX_THREADS = 4;

/** How many threads to scan `files` files of `bytes` bytes with; BR_SCAN_THREADS sets it (1: never a worker). */
export function threadCount(files: number, bytes: number, env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): number {
  const asked = Number(env.BR_SCAN_THREADS);
  if (Number.isInteger(asked) && asked >= 1) return Math.max(1, Math.min(asked, files));
  return Math.max(1, Math.min(cores, MAX_THREADS, files, Math.floor(bytes / MIN_BYTES_PER_THREAD)));
}

/** Each target's size on disk; a file that cannot be stat'ed weighs nothing (the scan reports it). */
function sizesOnDisk(jobs: readonly FileJob[]): Map<FileJob, number> {
  return new Map(jobs.map((job) => [job, statSync(job.file, { throwIfNoEntry: false })?.size ?? 0]));
}

/** Items shared out by weight, heaviest first to the lightest share, so the threads finish together. */
export function deal<T>(items: readonly T[], n: number, weight: (item: T) => number): T[][] {
  const shares = Array.from({ length: n }, () => ({ items: [] as T[], load: 0 }));
  const heaviest = [...items].sort((a, b) => weight(b) - weight(a));
  for (const item of heaviest) {
    const lightest = shares.reduce((min, s) => (s.load < min.load ? s : min));
    lightest.items.push(item);
    lightest.load += weight(item);
  }
  return shares.map((s) => s.items);
}

function asJob(target: ScanTarget): FileJob | undefined {
  if (target.file === undefined || target.commit !== undefined) return undefined;
  return { path: target.path, file: target.file, ...(target.named ? { named: true as const } : {}) };
}

export function jobTarget(job: FileJob): ScanTarget {
  return { path: job.path, file: job.file, ...(job.named ? { named: true } : {}), read: () => readFileSync(job.file) };
}

function workerEntry(): URL {
  // Bundled, this code sits in dist/chunks/ and the worker in dist/; from source, side by side.
  for (const candidate of ["./scan-worker.js", "../scan-worker.js", "./scan-worker.ts"]) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(url)) return url;
  }
  throw new Error("the scan worker's file is missing from this installation");
}

function inWorker(input: WorkerInput): Promise<ScanShare> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerEntry(), { workerData: input });
    worker.once("message", (share: ScanShare) => resolve(share));
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the scan worker exited with ${code}`)));
  });
}

/** Scans the targets, on several threads when they are many files on disk. */
export async function scanInThreads(targets: readonly ScanTarget[], rules: RuleSet, source: RulesSource): Promise<ScanResult> {
  const started = Date.now();
  const jobs = targets.map(asJob);
  if (jobs.length < 2 || jobs.some((j) => j === undefined)) return scanResult([scanShare(targets, rules)], started);
  const sizes = sizesOnDisk(jobs as FileJob[]);
  const threads = threadCount(
    jobs.length,
    [...sizes.values()].reduce((sum, n) => sum + n, 0),
  );
  if (threads <= 1) return scanResult([scanShare(targets, rules)], started);
  const [own = [], ...others] = deal(jobs as FileJob[], threads, (job) => sizes.get(job) ?? 0);
  const pending = others.map((share) => inWorker({ jobs: share, source }).catch(() => scanShare(share.map(jobTarget), rules)));
  const shares = [scanShare(own.map(jobTarget), rules), ...(await Promise.all(pending))];
  const result = scanResult(shares, started);
  // Skipped files in the order of the targets, as on one thread.
  const order = new Map(targets.map((t, i) => [t.path, i]));
  result.summary.skippedFiles.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0));
  return result;
}
