export function createCard(board, title) {
  if (!title) throw new Error("a card needs a title");
  return { board: board.name, title, column: board.columns[0] };
}

export function moveCard(card, board, column) {
  if (!board.columns.includes(column)) throw new Error(`no column ${column}`);
  return { ...card, column };
}
