/** Which blocks of a guide run, and when shown output matches (test/doc-blocks.ts). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fences, outputMismatch, runnableBlocks } from "../doc-blocks.ts";

describe("runnable blocks", () => {
  const guide = [
    "# G", // 1
    "", // 2
    "```sh", // 3
    "not run", // 4
    "```", // 5
    "```sh doctest", // 6
    "br status", // 7
    "```", // 8
    "", // 9
    "```text output", // 10
    "a", // 11
    "```", // 12
    "```sh doctest exit=2", // 13
    "br bogus", // 14
    "```", // 15
    "Prose between.", // 16
    "```text output", // 17
    "not this block's", // 18
    "```", // 19
    "~~~sh doctest", // 20
    "```", // 21
    "~~~", // 22
  ].join("\n");

  it("are the fences marked doctest, with their exit code, line and the output block right after", () => {
    const blocks = runnableBlocks(guide, "g.md");
    assert.deepEqual(
      blocks.map((b) => [b.line, b.code, b.exit, b.output?.line, b.output?.lines]),
      [
        [6, "br status", 0, 10, ["a"]],
        [13, "br bogus", 2, undefined, undefined],
        [20, "```", 0, undefined, undefined],
      ],
    );
  });

  it("finds every fence, a tilde fence holding backticks included", () => {
    assert.deepEqual(
      fences(guide).map((f) => [f.line, f.info.join(" "), f.next]),
      [
        [3, "sh", 6],
        [6, "sh doctest", 9],
        [10, "text output", 13],
        [13, "sh doctest exit=2", 16],
        [17, "text output", 20],
        [20, "sh doctest", 23],
      ],
    );
  });

  it("reads CRLF files, and a fence line with an info string does not close a block", () => {
    const blocks = runnableBlocks("```sh doctest\r\necho a\r\n```text output\r\n```\r\n", "g.md");
    assert.deepEqual(
      blocks.map((b) => b.code),
      ["echo a\n```text output"],
    );
    assert.deepEqual(
      runnableBlocks("```` ```sh doctest ```` marks a block.\n", "g.md"),
      [],
      "a line with more backticks after the info is prose",
    );
  });

  it("refuses an exit code that is not a number, naming the place", () => {
    assert.throws(() => runnableBlocks("x\n```sh doctest exit=two\nbr\n```\n", "g.md"), /g\.md:2: "exit=two" is not an exit code/);
    assert.throws(() => runnableBlocks("```sh doctest exit=\nbr\n```\n", "g.md"), /"exit=" is not an exit code/);
    assert.throws(() => runnableBlocks("```sh doctest exit=0x2\nbr\n```\n", "g.md"), /"exit=0x2"/);
  });
});

describe("shown output", () => {
  const actual = "first line\n  tasks:   9 of 11 done · 0 ready\nlast (2 s)\n";

  it("matches lines in order, spaces collapsed, … for any text, ... and blank lines skipped", () => {
    assert.equal(outputMismatch(["first line", "...", "tasks: 9 of 11 done …", "", "last (… s)"], actual), undefined);
    assert.equal(outputMismatch(["…tasks…"], actual), undefined);
  });

  it("fails on a line the output lacks, or lines out of order, or a partial line", () => {
    assert.match(
      outputMismatch(["tasks: 10 of 11 done …"], actual) ?? "",
      /the guide shows "tasks: 10 of 11 done …", which the output does not have$/,
    );
    assert.match(outputMismatch(["last (… s)", "first line"], actual) ?? "", /"first line", .* after the lines matched before it/);
    assert.ok(outputMismatch(["first"], actual), "a line matches whole, not a prefix");
    assert.ok(outputMismatch(["line"], actual), "nor a suffix");
    assert.ok(outputMismatch(["first.line"], actual), "a dot is a dot");
  });
});
