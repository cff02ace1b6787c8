import assert from "node:assert/strict";
import test from "node:test";
import { createBoard, renameBoard } from "../src/boards.js";

test("a board has three columns", () => {
  assert.deepEqual(createBoard("Work").columns, ["todo", "doing", "done"]);
});

test("a board needs a name", () => {
  assert.throws(() => createBoard(""), /needs a name/);
});

test("renaming keeps the columns", () => {
  const board = renameBoard(createBoard("A"), "B");
  assert.equal(board.name, "B");
  assert.equal(board.columns.length, 3);
});

test("a board is created quickly", () => {
  const started = Date.now();
  createBoard("Fast");
  assert.ok(Date.now() - started < 1000);
});
