// Builds Cards with one test focused by .only, so the runner's other tests in the file stop running.
import { buildCards, edit } from "./lib.mjs";

buildCards();
edit("test/cards.test.js", (text) => text.replace('test("a card needs a title"', 'test.only("a card needs a title"'));
