// Builds Cards and commits its work on the branch br is on, as some agents do.
import { buildCards, run } from "./lib.mjs";

buildCards();
run("git", "add", "-A");
run("git", "commit", "-qm", "cards");
