/** The work of task greeting.core in the five-feature project (test/agent-project.ts), right or wrong. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The greeting module and its test; `works` false makes the test fail. */
export function writeGreeting(cwd: string, works: boolean): void {
  mkdirSync(join(cwd, "src"), { recursive: true });
  mkdirSync(join(cwd, "test"), { recursive: true });
  writeFileSync(join(cwd, "src", "greeting.js"), `module.exports = { greet: () => ${JSON.stringify(works ? "hello" : "helo")} };\n`);
  writeFileSync(
    join(cwd, "test", "greeting.test.js"),
    'const test = require("node:test");\nconst assert = require("node:assert");\nconst { greet } = require("../src/greeting.js");\ntest("greets", () => assert.equal(greet(), "hello"));\n',
  );
}
