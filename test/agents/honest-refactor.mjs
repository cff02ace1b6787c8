// Refactors the Cards source inside its own files: same behaviour, a helper extracted.
import { write } from "./lib.mjs";

write(
  "src/cards.js",
  `function requireColumn(board, column) {
  if (!board.columns.includes(column)) throw new Error(\`no column \${column}\`);
}

export function createCard(board, title) {
  if (!title) throw new Error("a card needs a title");
  return { board: board.name, title, column: board.columns[0] };
}

export function moveCard(card, board, column) {
  requireColumn(board, column);
  return { ...card, column };
}
`,
);
