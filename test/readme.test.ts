import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BR, br, brJson, git, tempDir } from "./helpers.ts";

const root = join(import.meta.dirname, "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
/** The first code block of the README: the two commands a new user runs. */
const [installAndDemo, testCommand] = (readme.match(/```sh\n([\s\S]*?)```/)?.[1] ?? "")
  .trim()
  .split("\n")
  .map((line) => line.replace(/\s+#.*$/, "").trim());

describe("README", () => {
  it("starts with the install-and-demo command and the test command, and CI runs that test command", () => {
    assert.equal(installAndDemo, "npm ci && npm run demo");
    assert.equal(testCommand, "npm test");
    const ci = readFileSync(join(root, ".ci", "run"), "utf8");
    assert.match(ci, /^npm ci\b/m, "CI installs from the lock file");
    assert.match(ci, new RegExp(`^${testCommand}$`, "m"), "CI runs exactly the README's test command");
    assert.ok(existsSync(join(root, "package-lock.json")));
  });

  it("its demo command works from the checkout (npm run demo), offline, ending in a consistent project", () => {
    // `npm ci` is what CI itself ran before the tests; here the second half runs as a user types it.
    const home = tempDir();
    const result = spawnSync("npm", ["run", "demo", "--", join(home, "demo")], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", npm_config_offline: "true" },
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout + result.stderr, /Demo finished/);
    const cwd = join(home, "demo");
    const status = brJson<{ project: string; counts: Record<string, number> }>(["status"], { cwd });
    assert.equal(status.project, "notes-api");
    assert.deepEqual(status.counts, { planned: 0, in_progress: 0, testing: 0, complete: 4, blocked: 1 });
    assert.deepEqual(brJson<{ tasks: { done: number; blocked: number } }>(["status"], { cwd }).tasks.done, 9);
    // Everything is committed, and `br status` rewrites STATUS.md only when its content changes.
    assert.equal(git(cwd, "status", "--porcelain"), "");
    assert.equal(brJson<{ value: string }>(["config", "get", "commands.test"], { cwd }).value, "npm test");
    assert.ok(existsSync(join(cwd, "PROJECT_SPEC.md")));
    assert.ok(existsSync(join(cwd, ".git")), "the demo project is a git repository");
  });

  it("the demo refuses a folder that is not empty, and without one picks a fresh temporary folder", () => {
    const cwd = tempDir();
    assert.equal(br(["demo", root], { cwd }).code, 2);
    const result = spawnSync(process.execPath, [BR, "demo", "--json"], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    assert.equal(result.status, 0, result.stderr);
    const { dir } = JSON.parse(result.stdout) as { dir: string };
    assert.ok(existsSync(join(dir, ".buildrunner", "features.json")));
    spawnSync("rm", ["-rf", dir]);
  });
});
