/**
 * A large scan of files on disk, shared between threads: the main thread and worker threads
 * (src/security/scan-worker.ts) take files from one queue, heaviest first, each as soon as it is
 * free, and the shares are merged into one result, identical to a scan on one thread. The queue is
 * a counter in shared memory (Atomics), so no thread waits on another: a worker still starting up
 * (about half a second of CPU: loading the scanners, compiling the rules) simply takes fewer files,
 * where a fixed share would have made the whole scan wait for it. Scans under 16 MiB, and sources
 * whose contents are not files (staged blobs, history), stay on one thread. Each file taken is
 * marked with its thread; the files a failed worker took are scanned again by the main thread, so
 * a thread problem never leaves a file unscanned.
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
  /** Its size when the queue was made (the scan reads at most what is there when it gets to it). */
  size?: number;
}

/**
 * The files of a scan and its shared queue: `next` (one Int32) is the index of the next file to
 * take, `takenBy` says which thread took each file (0: the main thread, k: worker k).
 */
export interface FileQueue {
  jobs: FileJob[];
  next: Int32Array;
  takenBy: Int32Array;
}

export interface WorkerInput {
  queue: FileQueue;
  /** This worker's number in `takenBy` (1, 2, …). */
  thread: number;
  source: RulesSource;
}

export function fileQueue(jobs: FileJob[]): FileQueue {
  return {
    jobs,
    next: new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)),
    takenBy: new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * Math.max(1, jobs.length))),
  };
}

/** The files this thread takes from the queue, one at a time, until none is left. */
export function* taken(queue: FileQueue, thread: number): Generator<ScanTarget> {
  for (;;) {
    const index = Atomics.add(queue.next, 0, 1);
    const job = queue.jobs[index];
    if (!job) return;
    Atomics.store(queue.takenBy, index, thread);
    yield jobTarget(job);
  }
}

/** The files a thread took (to scan again when that thread failed). */
export function takenByThread(queue: FileQueue, thread: number): ScanTarget[] {
  return queue.jobs.filter((_, index) => Atomics.load(queue.takenBy, index) === thread).map(jobTarget);
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

/** Each job with its size on disk; one that cannot be stat'ed has none (the scan then reports why). */
function withSizes(jobs: readonly FileJob[]): FileJob[] {
  return jobs.map((job) => {
    const size = statSync(job.file, { throwIfNoEntry: false })?.size;
    return size === undefined ? job : { ...job, size };
  });
}

function asJob(target: ScanTarget): FileJob | undefined {
  if (target.file === undefined || target.commit !== undefined) return undefined;
  return { path: target.path, file: target.file, ...(target.named ? { named: true as const } : {}) };
}

export function jobTarget(job: FileJob): ScanTarget {
  return {
    path: job.path,
    file: job.file,
    ...(job.named ? { named: true } : {}),
    ...(job.size !== undefined ? { size: job.size } : {}),
    read: () => readFileSync(job.file),
  };
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

/**
 * The main thread's share (it takes files until the queue is empty) and each worker's; a worker
 * that failed (undefined) has the files it took scanned here.
 */
export async function sharesOf(queue: FileQueue, rules: RuleSet, workers: readonly Promise<ScanShare | undefined>[]): Promise<ScanShare[]> {
  const shares = [scanShare(taken(queue, 0), rules)];
  for (const [k, pending] of workers.entries()) shares.push((await pending) ?? scanShare(takenByThread(queue, k + 1), rules));
  return shares;
}

/** Scans the targets, on several threads when they are many files on disk. */
export async function scanInThreads(targets: readonly ScanTarget[], rules: RuleSet, source: RulesSource): Promise<ScanResult> {
  const started = Date.now();
  const jobs = targets.map(asJob);
  if (jobs.length < 2 || jobs.some((j) => j === undefined)) return scanResult([scanShare(targets, rules)], started);
  const sized = withSizes(jobs as FileJob[]);
  const threads = threadCount(
    sized.length,
    sized.reduce((sum, job) => sum + (job.size ?? 0), 0),
  );
  if (threads <= 1) return scanResult([scanShare(sized.map(jobTarget), rules)], started);
  // Heaviest first: the last files taken are small, so the threads finish close together.
  const queue = fileQueue([...sized].sort((a, b) => (b.size ?? 0) - (a.size ?? 0)));
  const workers = Array.from({ length: threads - 1 }, (_, k) => inWorker({ queue, thread: k + 1, source }).catch(() => undefined));
  const shares = await sharesOf(queue, rules, workers);
  const result = scanResult(shares, started);
  // Skipped files in the order of the targets, as on one thread.
  const order = new Map(targets.map((t, i) => [t.path, i]));
  result.summary.skippedFiles.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0));
  return result;
}
