// Asked to write the Cards tests, edits the Cards source instead, inside its own files' folder.
import { CARDS_SOURCE, write } from "./lib.mjs";

write("src/cards.js", `${CARDS_SOURCE}\n// tested\n`);
