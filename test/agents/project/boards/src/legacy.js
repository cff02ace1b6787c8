// The board format of version 1, no longer read anywhere.
export function upgradeBoard(old) {
  return { name: old.title, columns: old.lists };
}
