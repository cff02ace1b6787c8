import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import test from "node:test";
import { createBoard } from "../src/boards.js";
import { createCard } from "../src/cards.js";

test("a new card matches its snapshot", () => {
  const expected = JSON.parse(readFileSync(new URL("./__snapshots__/cards.json", import.meta.url), "utf8"));
  assert.deepEqual(createCard(createBoard("Work"), "Snapshot"), expected);
});
