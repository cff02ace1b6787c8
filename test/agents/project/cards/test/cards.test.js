import assert from "node:assert/strict";
import test from "node:test";
import { createBoard } from "../src/boards.js";
import { createCard, moveCard } from "../src/cards.js";

test("a new card starts in the first column", () => {
  assert.equal(createCard(createBoard("Work"), "Write docs").column, "todo");
});

test("a card needs a title", () => {
  assert.throws(() => createCard(createBoard("Work"), ""), /needs a title/);
});

test("a card moves between the board's columns", () => {
  const board = createBoard("Work");
  assert.equal(moveCard(createCard(board, "Ship"), board, "done").column, "done");
  assert.throws(() => moveCard(createCard(board, "Ship"), board, "lost"), /no column lost/);
});
