// Asked to write the Cards tests, writes a stub file and claims success.
import { write } from "./lib.mjs";

write("stub-output.txt", "tests written\n");
