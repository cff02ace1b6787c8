export function createBoard(name) {
  if (!name) throw new Error("a board needs a name");
  return { name, columns: ["todo", "doing", "done"] };
}

export function renameBoard(board, name) {
  return { ...board, name };
}
