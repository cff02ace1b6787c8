/** `br status`: progress, spend and, once a project runs in parallel, what each stream is doing. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { brOk } from "./helpers.ts";
import { parallelProject } from "./parallel-project.ts";

describe("br status", { timeout: 120_000 }, () => {
  it("shows no streams for a project that never ran in parallel, and each stream with its state once there are some", () => {
    const p = parallelProject(2);
    const before = JSON.parse(brOk(["status", "--json"], { cwd: p.cwd }).stdout) as { streams?: unknown[]; tasks: { ready: number } };
    assert.equal(before.streams, undefined, "the spec's shape, unchanged");
    assert.equal(before.tasks.ready, 2);
    assert.doesNotMatch(brOk(["status"], { cwd: p.cwd }).stdout, /streams:/);
    brOk(["orchestrate", "--parallel", "--streams", "2"], { cwd: p.cwd });
    const after = JSON.parse(brOk(["status", "--json"], { cwd: p.cwd }).stdout) as {
      streams: { name: string; status: string; task: string | null; port: number; working: boolean }[];
    };
    assert.deepEqual(
      after.streams.map((s) => [s.name, s.status, s.task, s.port, s.working]),
      [
        ["stream-1", "idle", null, 41000, false],
        ["stream-2", "idle", null, 41010, false],
      ],
    );
    const text = brOk(["status"], { cwd: p.cwd }).stdout;
    assert.match(text, /streams:\n\s+stream\s+status\s+task\s+port/);
    assert.match(text, /stream-2\s+idle\s+-\s+41010/);
  });
});
