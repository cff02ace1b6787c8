// Builds Cards on a branch of its own, leaving the branch br works on behind.
import { buildCards, run } from "./lib.mjs";

run("git", "checkout", "-q", "-b", "agent-work");
buildCards();
run("git", "add", "-A");
run("git", "commit", "-qm", "cards");
