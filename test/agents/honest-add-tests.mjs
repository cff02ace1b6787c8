// Adds tests to the Cards test file it owns.
import { edit } from "./lib.mjs";

edit(
  "test/cards.test.js",
  (text) =>
    `${text}\ntest("a card keeps its title when moved", () => {\n  const board = createBoard("Work");\n  assert.equal(moveCard(createCard(board, "Ship"), board, "doing").title, "Ship");\n});\n`,
);
