/** Which files the project's checks wrote, and how they are kept out of git without touching .gitignore. */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { excludeCheckOutputs } from "../../src/run/check-outputs.ts";
import { snapshotTree } from "../../src/run/tree.ts";
import { git, tempRepo } from "../helpers.ts";

describe("excludeCheckOutputs", () => {
  it("excludes new untracked files the agent did not write: a whole new folder, or the file", () => {
    const root = tempRepo();
    mkdirSync(join(root, "src"));
    writeFileSync(join(root, "src", "kept.js"), "1\n");
    git(root, "add", "-A");
    git(root, "commit", "-qm", "src");
    const baseline = snapshotTree(root);
    writeFileSync(join(root, "src", "agent.js"), "agent\n");
    writeFileSync(join(root, "coverage.xml"), "<coverage/>\n");
    mkdirSync(join(root, "htmlcov"));
    writeFileSync(join(root, "htmlcov", "index.html"), "<html/>\n");
    writeFileSync(join(root, "src", ".cache"), "x\n");
    const entries = excludeCheckOutputs(root, baseline, ["src/agent.js"]);
    assert.deepEqual(entries.sort(), ["/coverage.xml", "/htmlcov/", "/src/.cache"]);
    const exclude = readFileSync(join(root, ".git", "info", "exclude"), "utf8");
    assert.match(exclude, /# br: files the project's checks write/);
    assert.equal(git(root, "status", "--porcelain").trim(), "?? src/agent.js", "only the agent's work shows");
    assert.deepEqual(excludeCheckOutputs(root, baseline, ["src/agent.js"]), [], "nothing twice");
  });

  it("never excludes a new folder the agent is writing into, only the outputs in it", () => {
    const root = tempRepo();
    const baseline = snapshotTree(root);
    mkdirSync(join(root, "app", "__pycache__"), { recursive: true });
    writeFileSync(join(root, "app", "main.py"), "print(1)\n");
    writeFileSync(join(root, "app", "__pycache__", "main.cpython-311.pyc"), "x");
    assert.deepEqual(excludeCheckOutputs(root, baseline, ["app/main.py"]), ["/app/__pycache__/main.cpython-311.pyc"]);
    assert.equal(git(root, "status", "--porcelain", "--untracked-files=all").trim(), "?? app/main.py");
  });

  it("leaves files that were already there before the attempt, and br's own files", () => {
    const root = tempRepo();
    writeFileSync(join(root, "notes.txt"), "the user's\n");
    const baseline = snapshotTree(root);
    mkdirSync(join(root, ".buildrunner"));
    writeFileSync(join(root, ".buildrunner", "tasks.json"), "{}\n");
    assert.deepEqual(excludeCheckOutputs(root, baseline, []), []);
  });
});
