/**
 * `br hooks run pre-commit` as git runs it, through the hook `br hooks install` writes, in real
 * repositories: one br process per commit; a new secret or a new over-complex function blocks the
 * commit; code and secrets that HEAD already had, and that the commit does not make worse, do not.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { BR, br, brOk, git, initializedRepo, tempDir, tempRepo } from "./helpers.ts";

// Secret-shaped test values, assembled at run time so this file itself holds none.
const OLD_KEY = ["AKIA", "Z7QWERTY4ASDFGH2"].join("");
const NEW_KEY = ["AKIA", "Q7QWERTY4ASDFGH3"].join("");
const DEADLINE = { timeout: 5 * 60_000 };
const GIT_DEADLINE_MS = 2 * 60_000;

function write(cwd: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(cwd, path)), { recursive: true });
    writeFileSync(join(cwd, path), text);
  }
}

/** `git commit` as a user runs it, hooks and all, with everything staged first. */
function commit(cwd: string, message: string, env: NodeJS.ProcessEnv = {}) {
  git(cwd, "add", "-A");
  const result = spawnSync("git", ["commit", "-m", message], {
    cwd,
    env: { ...process.env, NO_COLOR: "1", BR_TELEMETRY_DISABLED: "1", NODE_TEST_CONTEXT: "", ...env },
    encoding: "utf8",
    timeout: GIT_DEADLINE_MS,
    killSignal: "SIGKILL",
  });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

const head = (cwd: string) => git(cwd, "rev-parse", "HEAD").trim();
const branches = (n: number) => Array.from({ length: n }, (_, i) => `  if (x === ${i}) return ${i};`).join("\n");
const pick = (n: number) => `export function pick(x) {\n${branches(n)}\n  return -1;\n}\n`;

/** A project whose HEAD already has a secret and a function over the complexity limit (3), and the hook installed. */
function projectWithDebt(): string {
  const cwd = initializedRepo();
  brOk(["config", "set", "gates.complexity", "3"], { cwd });
  write(cwd, { "settings.py": `AWS_ACCESS_KEY_ID = "${OLD_KEY}"\n`, "src/pick.js": pick(5) });
  git(cwd, "add", "-A");
  git(cwd, "commit", "-q", "--no-verify", "-m", "debt from before the hook");
  brOk(["hooks", "install"], { cwd });
  return cwd;
}

describe("br hooks run pre-commit, through the installed hook", () => {
  it("lets through a commit touching files whose secret and over-complex function HEAD already had, unchanged", DEADLINE, () => {
    const cwd = projectWithDebt();
    write(cwd, { "settings.py": `AWS_ACCESS_KEY_ID = "${OLD_KEY}"\nDEBUG = True\n`, "src/pick.js": `// pick a branch\n${pick(5)}` });
    const before = head(cwd);
    const touched = commit(cwd, "touch both");
    assert.equal(touched.code, 0, touched.output);
    assert.notEqual(head(cwd), before, "the commit was made");
    assert.match(touched.output, /1 already in HEAD's version of the file, not new: not counted/);
    assert.match(touched.output, /✓ complexity\s+6\s+\(threshold 3\)\n\s+\(only code already over the limit in HEAD, not made worse\)/);
    assert.ok(!touched.output.includes(OLD_KEY), "a secret is never printed, even one let through");

    // Moved to another folder, the same secret and function are still not new.
    mkdirSync(join(cwd, "app"));
    git(cwd, "mv", "settings.py", "app/settings.py");
    git(cwd, "mv", "src/pick.js", "app/pick.js");
    const moved = commit(cwd, "move");
    assert.equal(moved.code, 0, moved.output);
  });

  it(
    "blocks a commit adding a new secret (exit 1, masked, only the new one named) and one adding an over-complex function",
    DEADLINE,
    () => {
      const cwd = projectWithDebt();
      const before = head(cwd);
      write(cwd, { "deploy.sh": `export AWS_ACCESS_KEY_ID=${NEW_KEY}\n`, "settings.py": `AWS_ACCESS_KEY_ID = "${OLD_KEY}"\n# touched\n` });
      const leaking = commit(cwd, "deploy script");
      assert.equal(leaking.code, 1, leaking.output);
      assert.match(leaking.output, /critical\s+deploy\.sh:1:\d+\s+AWS access key id/);
      assert.doesNotMatch(leaking.output, /settings\.py:\d/, "the secret HEAD already had is not listed");
      assert.ok(!leaking.output.includes(NEW_KEY) && leaking.output.includes(`AKIA${"*".repeat(16)}`), "the key is masked");
      assert.match(leaking.output, /The commit was stopped: take the secret out of the staged files/);
      assert.equal(head(cwd), before, "nothing was committed");
      git(cwd, "reset", "-q", "--hard", "HEAD");

      write(cwd, { "src/choose.js": `export function choose(y) {\n  return y ? (y > 1 ? (y > 2 ? 3 : 2) : 1) : 0;\n}\n` });
      const complex = commit(cwd, "choose");
      assert.equal(complex.code, 1, complex.output);
      assert.match(complex.output, /✗ complexity\s+4\s+\(threshold 3\)[\s\S]*src\/choose\.js:1 choose: complexity 4/);
      assert.doesNotMatch(complex.output, /src\/pick\.js/, "the function HEAD already had is not held against the commit");
      assert.match(complex.output, /The commit was stopped: simplify or split the code named above/);
      assert.equal(head(cwd), before);
      git(cwd, "reset", "-q", "--hard", "HEAD");

      // The function HEAD had, made worse by one branch: blocked, and named.
      write(cwd, { "src/pick.js": pick(6) });
      const worse = commit(cwd, "one more branch");
      assert.equal(worse.code, 1, worse.output);
      assert.match(worse.output, /src\/pick\.js:1 pick: complexity 7/);
    },
  );

  it("is one br process per commit: the installed hook calls br once, and git starts br once", DEADLINE, () => {
    const cwd = projectWithDebt();
    const hook = readFileSync(join(cwd, ".git", "hooks", "pre-commit"), "utf8");
    assert.deepEqual(hook.match(/^buildrunner_br .*$/gm), ["buildrunner_br hooks run pre-commit || exit $?"], hook);

    // A husky hook finds br on the PATH: a br there that logs each start shows how many git makes.
    const husky = tempRepo();
    mkdirSync(join(husky, ".husky"));
    brOk(["hooks", "install"], { cwd: husky });
    brOk(["init", "demo"], { cwd: husky });
    git(husky, "config", "core.hooksPath", ".husky");
    const bin = tempDir("br-path-");
    const log = join(bin, "starts.log");
    writeFileSync(join(bin, "br"), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${process.execPath}' '${BR}' "$@"\n`);
    chmodSync(join(bin, "br"), 0o755);
    write(husky, { "src/a.js": "export const a = (x) => x + 1;\n" });
    const made = commit(husky, "a", { PATH: `${bin}:${process.env.PATH}` });
    assert.equal(made.code, 0, made.output);
    assert.match(made.output, /✓ fast gates pass/, "the gates ran: the project was made after the hook was installed");
    assert.deepEqual(readFileSync(log, "utf8").trim().split("\n"), ["hooks run pre-commit"]);
  });

  it("outside a BuildRunner project the hook scans secrets only; --json reports both parts; bad use exits 2", DEADLINE, () => {
    const cwd = tempRepo();
    write(cwd, { "src/pick.js": pick(30) });
    git(cwd, "add", "-A");
    const plain = JSON.parse(brOk(["hooks", "run", "pre-commit", "--json"], { cwd }).stdout) as {
      passed: boolean;
      security: { findings: unknown[]; summary: { files: number } };
      quality: unknown;
    };
    assert.equal(plain.passed, true, "no gate outside a project, however complex the code");
    assert.equal(plain.security.summary.files, 1);
    assert.equal(plain.quality, null);

    const unknown = br(["hooks", "run", "pre-push"], { cwd });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown hook "pre-push"[\s\S]*fix: .*br security check --pre-push/);
    const outside = br(["hooks", "run", "pre-commit"], { cwd: tempDir("br-no-git-") });
    assert.equal(outside.code, 2);
    assert.match(outside.stderr, /not in a git repository: there is no index/);
    const bare = tempDir("br-bare-");
    git(bare, "init", "-q", "--bare");
    const inBare = br(["hooks", "run", "pre-commit"], { cwd: bare });
    assert.equal(inBare.code, 2);
    assert.match(inBare.stderr, /is in a bare git repository .*: there is no index/);

    const help = brOk(["hooks", "run", "--help"], { cwd }).stdout;
    assert.match(help, /pre-commit: what the hook `br hooks install` writes runs, in one br process/);
    assert.match(help, /Only what the commit makes worse blocks it/);
    assert.match(
      brOk(["hooks", "install", "--help"], { cwd }).stdout,
      /The pre-commit hook runs `br hooks run pre-commit`, one br process/,
    );
  });
});
