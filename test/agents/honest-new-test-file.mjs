// Asked for more Cards tests, adds a new test file for the feature.
import { write } from "./lib.mjs";

write(
  "test/cards-moves.test.js",
  'import assert from "node:assert/strict";\nimport test from "node:test";\nimport { createBoard } from "../src/boards.js";\nimport { createCard, moveCard } from "../src/cards.js";\n\ntest("a card can go back to todo", () => {\n  const board = createBoard("Work");\n  const card = moveCard(createCard(board, "Ship"), board, "done");\n  assert.equal(moveCard(card, board, "todo").column, "todo");\n});\n',
);
