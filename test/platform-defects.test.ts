import assert from "node:assert/strict";
import { type ChildProcess, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BR, brSpawn, initializedRepo } from "./helpers.ts";

/** Every test and wait here has a deadline: a hang fails the test instead of stalling the suite. */
const DEADLINE = { timeout: 60_000 };

const featuresPath = (cwd: string) => join(cwd, ".buildrunner", "features.json");

/** A valid registry of `count` features, written as a user's large project would have it. */
function writeLargeRegistry(cwd: string, count: number): void {
  const at = new Date().toISOString();
  const features = Array.from({ length: count }, (_, i) => ({
    id: `feature-${i}`,
    name: `Feature number ${i} with a name long enough to fill the listing`,
    status: "planned",
    priority: "medium",
    dependsOn: [],
    acceptance: [],
    createdAt: at,
    updatedAt: at,
  }));
  writeFileSync(featuresPath(cwd), `${JSON.stringify({ schemaVersion: 1, project: "big", features }, null, 2)}\n`);
}

/** The exit code of a child, or a failure once `ms` have passed (the child is then killed). */
function exitOf(child: ChildProcess, ms = 30_000): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`br did not exit within ${ms} ms`));
    }, ms);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe("a closed output pipe", () => {
  it("`br features list | head -1` on a large registry prints the first line and exits 0 without a stack trace", DEADLINE, () => {
    const cwd = initializedRepo();
    writeLargeRegistry(cwd, 2000);
    for (const json of ["", " --json"]) {
      const script = `node ${JSON.stringify(BR)} features list${json} | head -1; echo "br exit: \${PIPESTATUS[0]}" >&2`;
      const result = spawnSync("bash", ["-c", script], { cwd, encoding: "utf8", timeout: 30_000, env: { ...process.env, NO_COLOR: "1" } });
      assert.equal(result.stdout.split("\n").length, 2, `exactly one line: ${result.stdout}`);
      assert.equal(result.stderr, "br exit: 0\n", "no EPIPE error, exit 0");
    }
  });

  it("a reader that closes stdout or stderr early ends br quietly with exit 0", DEADLINE, async () => {
    const cwd = initializedRepo();
    writeLargeRegistry(cwd, 2000);
    const early = brSpawn(["features", "list"], { cwd });
    let stderr = "";
    early.stderr?.on("data", (d) => {
      stderr += d;
    });
    early.stdout?.once("data", () => early.stdout?.destroy());
    assert.equal(await exitOf(early), 0);
    assert.equal(stderr, "");
    // An error message to a closed stderr: nothing more to say, and no stack trace anywhere.
    const noStderr = brSpawn(["features", "show", "no-such-feature"], { cwd });
    noStderr.stderr?.destroy();
    let stdout = "";
    noStderr.stdout?.on("data", (d) => {
      stdout += d;
    });
    const code = await exitOf(noStderr);
    assert.ok(code === 0 || code === 2, `exit ${code}`);
    assert.doesNotMatch(stdout, /EPIPE|at .*\(node:/);
  });
});
