// Deletes the dead module its task names.
import { remove } from "./lib.mjs";

remove("src/legacy.js");
