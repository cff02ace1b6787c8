/**
 * The streams of a parallel build, in the state database every worktree of the project shares:
 * which worktree and branch each stream has, what it is doing, and the claim it holds. One row per
 * stream; each change is its own statement, so a kill at any moment leaves a row that recovery reads.
 */
import type { ProjectPaths } from "../infra/project.js";
import { inTransaction, openStateDb, type StateDb } from "../infra/state-db.js";

/**
 * idle: no task; working: an agent on its task; verified: its commit waits to be integrated;
 * conflict: integration stopped on a predicted conflict (the commit is kept on a branch).
 */
export type StreamStatus = "idle" | "working" | "verified" | "conflict";

export interface StreamRow {
  name: string;
  path: string;
  branch: string;
  target: string;
  port: number;
  status: StreamStatus;
  task_id: string | null;
  /** The target's commit the stream's current task started from. */
  base: string | null;
  /** The verified commit (before integration), or the one integrated last. */
  commit_sha: string | null;
  worker_pid: number | null;
  run_id: number | null;
  last_result: string | null;
  /** The commit that puts the verified one on the target, recorded before the target moves (a kill then is told apart). */
  combined: string | null;
  updated_at: string;
}

type Changes = Partial<Omit<StreamRow, "name" | "updated_at">>;

export class StreamStore {
  private constructor(private readonly db: StateDb) {}

  static open(paths: ProjectPaths): StreamStore {
    return new StreamStore(openStateDb(paths));
  }

  close(): void {
    this.db.close();
  }

  list(): StreamRow[] {
    return (this.db.prepare("SELECT * FROM streams ORDER BY name").all() as unknown as StreamRow[]).map((r) => ({ ...r }));
  }

  get(name: string): StreamRow | undefined {
    const row = this.db.prepare("SELECT * FROM streams WHERE name = ?").get(name) as StreamRow | undefined;
    return row ? { ...row } : undefined;
  }

  create(row: Pick<StreamRow, "name" | "path" | "branch" | "target" | "port">): StreamRow {
    this.db
      .prepare("INSERT OR IGNORE INTO streams (name, path, branch, target, port, updated_at) VALUES (?, ?, ?, ?, ?, ?)")
      .run(row.name, row.path, row.branch, row.target, row.port, new Date().toISOString());
    return this.get(row.name) as StreamRow;
  }

  /** Changes some fields of a stream: one statement over every column, in one write transaction. */
  update(name: string, changes: Changes): void {
    inTransaction(this.db, () => {
      const row = this.get(name);
      if (!row) return;
      const next = { ...row, ...changes };
      this.db
        .prepare(
          `UPDATE streams SET path = ?, branch = ?, target = ?, port = ?, status = ?, task_id = ?, base = ?, commit_sha = ?,
             worker_pid = ?, run_id = ?, last_result = ?, combined = ?, updated_at = ? WHERE name = ?`,
        )
        .run(
          next.path,
          next.branch,
          next.target,
          next.port,
          next.status,
          next.task_id,
          next.base,
          next.commit_sha,
          next.worker_pid,
          next.run_id,
          next.last_result,
          next.combined,
          new Date().toISOString(),
          name,
        );
    });
  }

  remove(name: string): void {
    this.db.prepare("DELETE FROM streams WHERE name = ?").run(name);
  }
}
