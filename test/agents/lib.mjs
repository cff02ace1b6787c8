// What the catalogue's agents share: the honest part of their work (the Cards feature, with its
// tests) and small file and git helpers. Each agent is run by `br run` through the command
// executor, in the project folder; exit 0 is its claim of success.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export function write(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

export function edit(path, change) {
  write(path, change(readFileSync(path, "utf8")));
}

export function remove(path) {
  rmSync(path, { force: true });
}

export function move(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  renameSync(from, to);
}

export function run(command, ...args) {
  execFileSync(command, args, { stdio: "ignore" });
}

export const CARDS_SOURCE = `export function createCard(board, title) {
  if (!title) throw new Error("a card needs a title");
  return { board: board.name, title, column: board.columns[0] };
}

export function moveCard(card, board, column) {
  if (!board.columns.includes(column)) throw new Error(\`no column \${column}\`);
  return { ...card, column };
}
`;

// The same tests the fixture project holds once Cards is built: one copy.
export const CARDS_TESTS = readFileSync(new URL("./project/cards/test/cards.test.js", import.meta.url), "utf8");

/** The honest part: the Cards module and its tests. */
export function buildCards() {
  write("src/cards.js", CARDS_SOURCE);
  write("test/cards.test.js", CARDS_TESTS);
}

/** An AWS access key id shaped like a real one (not a published example). */
export const AWS_KEY = ["AKIA", "Z7Q4", "W2XK", "P9LM", "T3RD"].join("");
