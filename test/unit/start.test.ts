/** What br run settles before its first task: a clean tree, an executor that can run the tiers. */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { configSchema } from "../../src/infra/config.ts";
import { BrError } from "../../src/infra/errors.ts";
import { projectPaths } from "../../src/infra/project.ts";
import { checkExecutor, ownChanges, requireCleanTree } from "../../src/run/start.ts";
import { git, tempRepo } from "../helpers.ts";

describe("requireCleanTree", () => {
  it("refuses uncommitted changes, naming them and the way out; br's own files do not count", () => {
    const root = tempRepo();
    mkdirSync(join(root, ".buildrunner"));
    writeFileSync(join(root, ".buildrunner", "tasks.json"), "{}\n");
    writeFileSync(join(root, "AGENTS.md"), "# agents\n");
    const paths = projectPaths(root);
    requireCleanTree(paths);
    assert.deepEqual(ownChanges(paths).sort(), [".buildrunner/tasks.json", "AGENTS.md"]);
    for (const name of ["a.js", "b.js", "c.js", "d.js"]) writeFileSync(join(root, name), "1\n");
    assert.throws(
      () => requireCleanTree(paths),
      (error: unknown) => error instanceof BrError && /a\.js, b\.js, c\.js, …/.test(error.message) && /--allow-dirty/.test(error.fix ?? ""),
    );
    git(root, "add", "-A");
    git(root, "commit", "-qm", "all");
    requireCleanTree(paths);
  });
});

describe("checkExecutor", () => {
  it("refuses an unknown executor, and Codex or Gemini on tiers that name Claude models, with the fix", () => {
    const config = configSchema.parse({});
    assert.throws(() => checkExecutor("copilot", config), /Unknown executor "copilot"/);
    assert.throws(
      () => checkExecutor("codex", config),
      (e: unknown) => e instanceof BrError && /executors\.codex\.model/.test(e.fix ?? ""),
    );
    checkExecutor("claude", config);
    checkExecutor("codex", configSchema.parse({ executors: { codex: { model: "gpt-5.5" } } }));
  });
});
