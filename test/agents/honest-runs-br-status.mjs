// Builds Cards, checking the project's status with br along the way.
import { buildCards, run } from "./lib.mjs";

run(process.execPath, process.env.BR_BIN, "status");
buildCards();
