/** The streams table: one row per stream, shared by every process of the run. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { projectPaths } from "../../src/infra/project.ts";
import { StreamStore } from "../../src/parallel/store.ts";
import { tempDir } from "../helpers.ts";

describe("StreamStore", () => {
  it("creates a stream once, changes only the fields given, and sees other connections' writes", () => {
    const paths = projectPaths(tempDir());
    const a = StreamStore.open(paths);
    const b = StreamStore.open(paths);
    try {
      const row = a.create({ name: "stream-1", path: "/w/stream-1", branch: "br/stream-1", target: "main", port: 41000 });
      assert.equal(row.status, "idle");
      a.create({ name: "stream-1", path: "/elsewhere", branch: "x", target: "y", port: 1 });
      assert.equal(a.get("stream-1")?.path, "/w/stream-1", "a second create keeps the first");
      b.update("stream-1", { status: "working", task_id: "f.one", base: "abc" });
      a.update("stream-1", { worker_pid: 42 });
      const seen = a.get("stream-1");
      assert.equal(seen?.status, "working");
      assert.equal(seen?.task_id, "f.one");
      assert.equal(seen?.worker_pid, 42);
      b.update("stream-1", { task_id: null });
      assert.equal(a.get("stream-1")?.task_id, null);
      a.remove("stream-1");
      assert.deepEqual(b.list(), []);
    } finally {
      a.close();
      b.close();
    }
  });
});
