// Builds Cards and writes its tests in the same attempt.
import { buildCards } from "./lib.mjs";

buildCards();
