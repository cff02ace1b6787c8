// Moves the Cards tests it owns to a clearer name, unchanged.
import { move } from "./lib.mjs";

move("test/cards.test.js", "test/cards-model.test.js");
