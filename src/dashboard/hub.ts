/**
 * The dashboard's one reader of br's state: it looks every tick, turns what changed into events
 * (a new state snapshot, new log lines of the attempts running) and keeps them in the ring every
 * page connection reads from. One reader however many pages are open.
 */
import { statSync } from "node:fs";
import type { Config } from "../infra/config.js";
import type { ProjectPaths } from "../infra/project.js";
import { attemptLogPath } from "../run/agent-log.js";
import { maskedJson } from "../security/mask.js";
import { EventRing, type RingLimits } from "./events.js";
import { controlFiles, type DashboardState, readState, StateReader } from "./snapshot.js";
import { LogTail, lastLines } from "./tail.js";

/** Even when nothing was written, the state is read again this often (liveness and staleness change with time). */
const REFRESH_MS = 2000;
/** Lines of an attempt's log a page is sent when it connects. */
export const BACKLOG_LINES = 200;

/** Compact JSON with every secret-shaped string masked: nothing the server sends is in clear. */
export function safeJson(value: unknown): string {
  return maskedJson(value, { indent: 0 }).text;
}

export class Hub {
  readonly ring: EventRing;
  readonly reader: StateReader;
  private readonly tail = new LogTail();
  private current: { state: DashboardState; json: string } | undefined;
  private fingerprint = "";
  private readAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  /** Attempts followed, with the stream and task each belongs to. */
  private owners = new Map<number, { stream: string; taskId: string }>();

  constructor(
    private readonly paths: ProjectPaths,
    private readonly config: Config,
    limits?: RingLimits,
  ) {
    this.reader = new StateReader(paths);
    this.ring = new EventRing(limits);
  }

  async start(pollMs: number): Promise<void> {
    await this.tick();
    const loop = () => {
      this.timer = setTimeout(async () => {
        await this.tick().catch(() => undefined);
        if (this.timer) loop();
      }, pollMs);
    };
    loop();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.ticking;
    this.reader.close();
  }

  /** The state as last read (read now if never). */
  async state(): Promise<{ state: DashboardState; json: string }> {
    if (!this.current) await this.tick();
    return this.current as { state: DashboardState; json: string };
  }

  /** Reads again now: after an action, so its answer and the next event agree. */
  async refresh(): Promise<void> {
    // A look already under way may have read before the action wrote: look again after it.
    await this.ticking;
    this.fingerprint = "";
    return this.tick();
  }

  tick(): Promise<void> {
    this.ticking ??= this.look().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async look(): Promise<void> {
    const fingerprint = this.fingerprintNow();
    if (fingerprint !== this.fingerprint || Date.now() - this.readAt >= REFRESH_MS) {
      this.fingerprint = fingerprint;
      this.readAt = Date.now();
      const state = await readState(this.paths, this.config, this.reader);
      const json = safeJson(state);
      if (json !== this.current?.json) {
        this.current = { state, json };
        this.ring.push("state", json);
      }
    }
    this.followLogs();
  }

  private fingerprintNow(): string {
    const mtime = (path: string) => {
      try {
        return statSync(path).mtimeMs;
      } catch {
        return 0;
      }
    };
    return [this.reader.changed() ? Date.now() : "", mtime(this.paths.tasks), mtime(this.paths.features), controlFiles(this.paths)].join(
      "|",
    );
  }

  /** New lines of every running attempt's log; an attempt that ended is read to its end once more. */
  private followLogs(): void {
    const running = this.runningAttempts();
    for (const [id, owner] of running) {
      this.owners.set(id, owner);
      this.tail.follow(id, attemptLogPath(this.paths.state, id));
    }
    for (const batch of this.tail.poll()) {
      const owner = this.owners.get(batch.attemptId);
      this.ring.push("log", safeJson({ ...batch, ...owner }));
    }
    const keep = new Set(running.keys());
    this.tail.retain(keep);
    for (const id of this.owners.keys()) if (!keep.has(id)) this.owners.delete(id);
  }

  private runningAttempts(): Map<number, { stream: string; taskId: string }> {
    const streams = this.current?.state.streams ?? [];
    return new Map(streams.flatMap((s) => (s.attempt ? [[s.attempt.id, { stream: s.name, taskId: s.attempt.taskId }] as const] : [])));
  }

  /** The recent lines of each running attempt, for a page that connects now. */
  backlog(): { attemptId: number; stream: string; taskId: string; lines: string[]; skipped: number; backlog: true }[] {
    return [...this.runningAttempts()].map(([id, owner]) => ({
      attemptId: id,
      ...owner,
      // Up to where the tail has read: what comes after reaches the page as the next log event.
      lines: lastLines(attemptLogPath(this.paths.state, id), BACKLOG_LINES, this.tail.offsetOf(id)),
      skipped: 0,
      backlog: true,
    }));
  }
}
