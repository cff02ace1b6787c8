/**
 * The events the page is sent (state snapshots and log lines), numbered, kept in a ring bounded
 * by count and bytes so a browser that reconnects with Last-Event-ID gets what it missed, and a
 * flood of log lines cannot grow the server's memory without limit.
 */
export interface DashboardEvent {
  id: number;
  type: string;
  data: string;
}

export interface RingLimits {
  maxEvents: number;
  maxBytes: number;
}

export class EventRing {
  private events: DashboardEvent[] = [];
  private bytes = 0;
  private nextId = 1;
  private waiters: (() => void)[] = [];

  constructor(private readonly limits: RingLimits = { maxEvents: 2000, maxBytes: 8 * 1024 * 1024 }) {}

  push(type: string, data: string): DashboardEvent {
    const event = { id: this.nextId++, type, data };
    this.events.push(event);
    this.bytes += data.length;
    while (this.events.length > this.limits.maxEvents || (this.bytes > this.limits.maxBytes && this.events.length > 1)) {
      this.bytes -= (this.events.shift() as DashboardEvent).data.length;
    }
    for (const wake of this.waiters.splice(0)) wake();
    return event;
  }

  /** The id of the newest event (0 before any). */
  get lastId(): number {
    return this.nextId - 1;
  }

  /**
   * The events after `id`, or undefined when some of them have already left the ring (the
   * reader must start again from a fresh snapshot).
   */
  after(id: number): DashboardEvent[] | undefined {
    // An id from the future was handed out by an earlier server: nothing of it can be trusted.
    if (id > this.lastId || id < 0) return undefined;
    if (id === this.lastId) return [];
    const first = this.events[0];
    if (!first || first.id > id + 1) return undefined;
    return this.events.slice(id + 1 - first.id);
  }

  /** Resolves at the next push, or after `ms` (a keep-alive tick). */
  next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.push(done);
    });
  }

  get size(): { events: number; bytes: number; waiting: number } {
    return { events: this.events.length, bytes: this.bytes, waiting: this.waiters.length };
  }
}
