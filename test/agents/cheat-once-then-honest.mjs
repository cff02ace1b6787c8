// Cheats on its first attempt (deletes the Boards feature's tests) and works honestly on the next,
// keeping every prompt it was given in PROMPT_LOG: the rejection must reach the next attempt.
import { appendFileSync, readFileSync } from "node:fs";
import { buildCards, remove } from "./lib.mjs";

const prompt = readFileSync(process.env.BR_PROMPT_FILE, "utf8");
appendFileSync(process.env.PROMPT_LOG, `${prompt}\n=== end of prompt ===\n`);
buildCards();
if (!prompt.includes("Earlier attempts")) remove("test/boards.test.js");
