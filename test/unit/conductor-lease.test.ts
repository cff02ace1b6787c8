/** Who may take a project's conductor lease on the queue: its holder, anyone once it lapsed, this machine when the holder here is gone. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canTakeOver, STALE_SECONDS } from "../../src/parallel/queue/conductor-lease.ts";

const holder = { owner: "box-1-aa", host: "box", pid: 1, machine: "box", ago: 5 };
const alive = () => true;
const dead = () => false;

describe("the conductor lease", () => {
  it("is refused while another live conductor renews it", () => {
    assert.equal(canTakeOver(holder, "other-2-bb", "other", alive), false);
    assert.equal(canTakeOver(holder, "box-2-bb", "box", alive), false, "another live process on the same machine");
  });

  it("is the holder's own to renew", () => {
    assert.equal(canTakeOver(holder, "box-1-aa", "box", alive), true);
  });

  it("is taken once it lapsed, from any machine", () => {
    assert.equal(canTakeOver({ ...holder, ago: STALE_SECONDS + 1 }, "other-2-bb", "other", alive), true);
    assert.equal(canTakeOver({ ...holder, ago: STALE_SECONDS }, "other-2-bb", "other", alive), false);
  });

  it("is taken at once on the holder's machine when its process is gone (kill -9), never from another machine", () => {
    assert.equal(canTakeOver(holder, "box-2-bb", "box", dead), true);
    assert.equal(canTakeOver(holder, "other-2-bb", "other", dead), false, "a pid means nothing on another machine");
  });
});
