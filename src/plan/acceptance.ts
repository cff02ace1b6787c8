/**
 * Acceptance criteria written as commands. The plan and the build loop must agree on which
 * criteria are commands: the plan gives a command that runs tests to the task that writes those
 * tests, and verification runs the commands of the task it checks. This module is below both
 * (src/run imports src/plan, never the reverse), so both read criteria the same way.
 */
import rules from "../../data/task-kinds.json" with { type: "json" };

/** A criterion that is a command: "`npm test -- auth`" or "$ npm test -- auth". */
export function acceptanceCommand(criterion: string): string | undefined {
  const code = /^`([^`]+)`$/.exec(criterion.trim());
  if (code) return code[1];
  const dollar = /^\$\s+(.+)$/.exec(criterion.trim());
  return dollar?.[1];
}

/** A path a test runner would take as a test file or folder (test/x.test.js, tests/test_x.py, spec/…). */
export const TEST_PATH = /(^|\/)(tests?|__tests__|spec|specs)\/|\.(test|spec)\.[cm]?[jt]sx?$|(^|\/)test_[^/]+\.py$|_test\.(py|go)$/;

const TEST_COMMANDS = rules.testCommands.map((command) => command.split(/\s+/));

/** One command of a shell line, without `cd … &&` (split off already) and leading `VAR=value` assignments. */
function commandWords(segment: string): string[] {
  const words = segment.trim().split(/\s+/).filter(Boolean);
  while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] as string)) words.shift();
  return words;
}

/** Whether one command runs tests: it starts with a test runner, or names a test file or folder. */
function segmentRunsTests(segment: string): boolean {
  const words = commandWords(segment);
  if (words[0] === "cd") return false;
  const startsWithRunner = TEST_COMMANDS.some((runner) => runner.every((word, i) => words[i] === word));
  return startsWithRunner || words.slice(1).some((word) => TEST_PATH.test(word.replace(/^["']|["']$/g, "")));
}

/** Whether a shell command runs tests: `npm test`, `node --test test/x.test.js`, `cd api && pytest -k auth`. */
export function runsTests(command: string): boolean {
  return command.split(/&&|\|\||;|\|/).some(segmentRunsTests);
}

/** A criterion that is a command running tests: the tests task's to satisfy, as it writes them. */
export function isTestCommand(criterion: string): boolean {
  const command = acceptanceCommand(criterion);
  return command !== undefined && runsTests(command);
}
