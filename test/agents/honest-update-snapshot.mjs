// Changes what a new card looks like (adds a due date) and updates the snapshot its test owns.
import { edit } from "./lib.mjs";

edit("src/cards.js", (text) => text.replace("column: board.columns[0] }", "column: board.columns[0], due: null }"));
edit("test/__snapshots__/cards.json", (text) => text.replace('"column": "todo"', '"column": "todo",\n  "due": null'));
