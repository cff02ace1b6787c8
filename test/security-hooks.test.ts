/**
 * Hooks in real repositories: the pre-push hook scans the commits a push sends to a bare remote
 * (a key committed then deleted is still sent), and the hooks written into shared files (.husky/,
 * lefthook.yml, .pre-commit-config.yaml) run br in a second clone, found there the portable way,
 * never through the installer's absolute paths.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { BR, br, brOk, git, tempDir, tempRepo } from "./helpers.ts";

// Secret-shaped test values, assembled at run time so this file itself holds none.
const AWS_KEY = ["AKIA", "Z7QWERTY4ASDFGH2"].join("");
const MASKED = `AKIA${"*".repeat(16)}`;
const ZERO = "0".repeat(40);
const DEADLINE_MS = 2 * 60_000;

/** The environment a user's git runs in: no test-runner variables, no colour, no telemetry. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", BR_TELEMETRY_DISABLED: "1", ...extra };
  delete env.NODE_TEST_CONTEXT;
  delete env.FORCE_COLOR;
  return env;
}

/** git as a user runs it, hooks and all; never throws, so a refusal can be checked. */
function gitRun(cwd: string, args: string[], env: NodeJS.ProcessEnv = userEnv()) {
  const result = spawnSync("git", args, { cwd, env, encoding: "utf8", timeout: DEADLINE_MS, killSignal: "SIGKILL" });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

function commitAll(cwd: string, message: string): string {
  git(cwd, "add", "-A");
  git(cwd, "commit", "-q", "--no-verify", "-m", message);
  return git(cwd, "rev-parse", "HEAD").trim();
}

/** A bare remote and a clone of it on main, one clean commit pushed. */
function repoWithRemote(): { cwd: string; remote: string } {
  const remote = tempDir("br-remote-");
  git(remote, "init", "-q", "--bare");
  const cwd = tempRepo();
  git(cwd, "checkout", "-q", "-b", "main");
  git(cwd, "remote", "add", "origin", remote);
  writeFileSync(join(cwd, "README.md"), "# app\n");
  commitAll(cwd, "start");
  git(cwd, "push", "-q", "--no-verify", "-u", "origin", "main");
  return { cwd, remote };
}

const remoteHead = (remote: string, branch: string) =>
  gitRun(remote, ["rev-parse", "--verify", "-q", `refs/heads/${branch}`]).output.trim();

describe("the pre-push hook scans the commits being pushed", () => {
  it("a key committed and then deleted blocks the push (the commit named, the key masked); the remote is unchanged", () => {
    const { cwd, remote } = repoWithRemote();
    brOk(["hooks", "install", "--pre-push"], { cwd });
    const before = remoteHead(remote, "main");
    writeFileSync(join(cwd, "settings.py"), `AWS_ACCESS_KEY_ID = "${AWS_KEY}"\n`);
    const leaking = commitAll(cwd, "add settings");
    writeFileSync(join(cwd, "settings.py"), 'AWS_ACCESS_KEY_ID = os.environ["AWS_ACCESS_KEY_ID"]\n');
    commitAll(cwd, "read the key from the environment");
    // The working tree is clean: a scan of it (what the hook ran before) finds nothing.
    assert.equal(br(["security", "check"], { cwd }).code, 0);

    const push = gitRun(cwd, ["push", "origin", "main"]);
    assert.notEqual(push.code, 0, push.output);
    assert.match(push.output, /critical\s+settings\.py:1:\d+\s+AWS access key id/);
    assert.ok(push.output.includes(`commit ${leaking.slice(0, 12)}`), `the leaking commit is named: ${push.output}`);
    assert.ok(push.output.includes(MASKED) && !push.output.includes(AWS_KEY), "the key is masked");
    assert.match(push.output, /2 commit\(s\)/, "only the two commits being pushed were scanned");
    assert.match(push.output, /git rebase -i/, "it says how to take the key out before pushing");
    assert.equal(remoteHead(remote, "main"), before, "nothing reached the remote");

    // With the key taken out of the commits, the same push goes through.
    git(cwd, "reset", "-q", "--hard", "origin/main");
    writeFileSync(join(cwd, "settings.py"), 'AWS_ACCESS_KEY_ID = os.environ["AWS_ACCESS_KEY_ID"]\n');
    const clean = commitAll(cwd, "read the key from the environment");
    const ok = gitRun(cwd, ["push", "origin", "main"]);
    assert.equal(ok.code, 0, ok.output);
    assert.equal(remoteHead(remote, "main"), clean);
  });

  it("a hook that already reads git's lines (git lfs pre-push) still gets them, and br still sees them: the key blocks the push", () => {
    const { cwd, remote } = repoWithRemote();
    const seen = join(tempDir("br-lfs-"), "lines");
    const hook = join(cwd, ".git", "hooks", "pre-push");
    // What `git lfs install` writes, in effect: a command that reads all of stdin.
    writeFileSync(hook, `#!/bin/sh\ncat > "${seen}"\n`);
    chmodSync(hook, 0o755);
    brOk(["hooks", "install", "--pre-push"], { cwd });
    const before = remoteHead(remote, "main");
    writeFileSync(join(cwd, "settings.py"), `AWS_ACCESS_KEY_ID = "${AWS_KEY}"\n`);
    commitAll(cwd, "add settings");
    const push = gitRun(cwd, ["push", "origin", "main"]);
    assert.notEqual(push.code, 0, push.output);
    assert.match(push.output, /AWS access key id/);
    assert.equal(remoteHead(remote, "main"), before, "nothing reached the remote");

    git(cwd, "reset", "-q", "--hard", "origin/main");
    writeFileSync(join(cwd, "settings.py"), 'AWS_ACCESS_KEY_ID = os.environ["AWS_ACCESS_KEY_ID"]\n');
    const clean = commitAll(cwd, "clean");
    const ok = gitRun(cwd, ["push", "origin", "main"]);
    assert.equal(ok.code, 0, ok.output);
    assert.match(
      readFileSync(seen, "utf8"),
      new RegExp(`^refs/heads/main ${clean} refs/heads/main ${before}\\n$`),
      "the user's part of the hook read git's lines",
    );
  });

  it("a new branch is scanned for the commits the remote does not have; commits it already has, and deletions, pass", () => {
    const { cwd, remote } = repoWithRemote();
    // A key the remote already holds (pushed before the hook existed) is not the push's doing.
    writeFileSync(join(cwd, "old.py"), `KEY = "${AWS_KEY}"\n`);
    commitAll(cwd, "old key");
    git(cwd, "push", "-q", "--no-verify", "origin", "main");
    brOk(["hooks", "install", "--pre-push"], { cwd });

    git(cwd, "checkout", "-q", "-b", "feature");
    writeFileSync(join(cwd, "feature.txt"), "clean work\n");
    commitAll(cwd, "clean feature");
    const clean = gitRun(cwd, ["push", "origin", "feature"]);
    assert.equal(clean.code, 0, `a new branch with clean commits on top of main passes: ${clean.output}`);

    git(cwd, "checkout", "-q", "-b", "leaky");
    writeFileSync(join(cwd, "deploy.sh"), `export AWS_ACCESS_KEY_ID=${AWS_KEY}\n`);
    const leaking = commitAll(cwd, "deploy script");
    git(cwd, "rm", "-q", "deploy.sh");
    commitAll(cwd, "drop deploy script");
    const blocked = gitRun(cwd, ["push", "origin", "leaky"]);
    assert.notEqual(blocked.code, 0, blocked.output);
    assert.ok(blocked.output.includes(`commit ${leaking.slice(0, 12)}`), blocked.output);
    assert.ok(!blocked.output.includes(AWS_KEY));
    assert.equal(remoteHead(remote, "leaky"), "", "the branch was not created on the remote");

    const deleted = gitRun(cwd, ["push", "origin", "--delete", "feature"]);
    assert.equal(deleted.code, 0, `deleting a branch sends no commits: ${deleted.output}`);
    assert.equal(remoteHead(remote, "feature"), "");
  });

  it("the push respects the inline allow comment and the baseline, like every other scan", () => {
    const { cwd } = repoWithRemote();
    brOk(["hooks", "install", "--pre-push"], { cwd });
    writeFileSync(join(cwd, "docs.md"), `Example key: ${AWS_KEY} <!-- br:allow (documented example) -->\n`);
    commitAll(cwd, "document the example key");
    const allowed = gitRun(cwd, ["push", "origin", "main"]);
    assert.equal(allowed.code, 0, allowed.output);

    writeFileSync(join(cwd, "ci.env"), `AWS_ACCESS_KEY_ID=${AWS_KEY}\n`);
    commitAll(cwd, "ci env");
    assert.notEqual(gitRun(cwd, ["push", "origin", "main"]).code, 0);
    brOk(["security", "baseline", "--since", "origin/main"], { cwd });
    const accepted = gitRun(cwd, ["push", "origin", "main"]);
    assert.equal(accepted.code, 0, `a finding accepted in the baseline does not block: ${accepted.output}`);
  });

  it("--pre-push: malformed stdin and an unknown commit are exit 2 naming the line; empty stdin scans nothing; --help documents it", () => {
    const { cwd } = repoWithRemote();
    const head = git(cwd, "rev-parse", "HEAD").trim();
    const garbage = br(["security", "check", "--pre-push", "origin"], {
      cwd,
      input: `refs/heads/main ${head} refs/heads/main ${ZERO}\nnot a pre-push line\n`,
    });
    assert.equal(garbage.code, 2, garbage.stderr);
    assert.match(garbage.stderr, /stdin line 2 is not "<local ref> <local sha> <remote ref> <remote sha>"/);
    assert.match(garbage.stderr, /fix:.*br hooks install --pre-push/);
    const secretLine = br(["security", "check", "--pre-push"], { cwd, input: `${AWS_KEY} x y z w\n` });
    assert.equal(secretLine.code, 2);
    assert.ok(!secretLine.stderr.includes(AWS_KEY), "what was piped in is masked in the message");

    const unknown = "1".repeat(40);
    const missing = br(["security", "check", "--pre-push"], { cwd, input: `refs/heads/main ${unknown} refs/heads/main ${ZERO}\n` });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, new RegExp(`${unknown} is not a commit in this repository`));

    const combined = br(["security", "check", "--pre-push", "--staged"], { cwd, input: "" });
    assert.equal(combined.code, 2);
    assert.match(combined.stderr, /--staged and --pre-push cannot be combined/);

    const empty = br(["security", "check", "--pre-push", "origin", "--json"], { cwd, input: "" });
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal((JSON.parse(empty.stdout) as { summary: { commits: number } }).summary.commits, 0);

    const help = brOk(["security", "check", "--help"], { cwd }).stdout;
    assert.match(help, /--pre-push \[remote\]/);
    assert.match(help, /reads git's pre-push lines from stdin/);
    const hooksHelp = brOk(["hooks", "install", "--help"], { cwd }).stdout;
    assert.match(hooksHelp, /node_modules\/\.bin\/br \(add buildrunner as a devDependency\), else br on the PATH/);
  });
});

/** A folder holding only a `br` script that runs the built br: how a teammate's PATH reaches it. */
function brOnPath(): string {
  const bin = tempDir("br-path-");
  writeFileSync(join(bin, "br"), `#!/bin/sh\nexec '${process.execPath}' '${BR}' "$@"\n`);
  chmodSync(join(bin, "br"), 0o755);
  return bin;
}

/** A teammate's second clone of repo A, through a bare remote, with an identity. */
function secondClone(a: string): string {
  const remote = tempDir("br-remote-");
  git(remote, "init", "-q", "--bare");
  git(a, "remote", "add", "origin", remote);
  git(a, "push", "-q", "--no-verify", "origin", "HEAD:refs/heads/main");
  const parent = tempDir("br-clone-");
  git(parent, "clone", "-q", "-b", "main", remote, "b");
  const b = join(parent, "b");
  git(b, "config", "user.email", "teammate@example.invalid");
  git(b, "config", "user.name", "Teammate");
  return b;
}

/** Nothing of repo A's machine-specific paths: neither the node nor the br that installed the hook. */
function assertPortable(text: string, a: string): void {
  for (const path of [process.execPath, BR, a]) assert.ok(!text.includes(path), `the shared hook does not name ${path}:\n${text}`);
}

describe("hooks in shared files call br portably", () => {
  it("husky: the hook committed in repo A blocks a staged secret in a second clone, finding br on that machine's PATH", () => {
    const a = tempRepo();
    mkdirSync(join(a, ".husky"));
    writeFileSync(join(a, ".husky", "pre-commit"), "#!/bin/sh\necho lint-staged would run here\n");
    brOk(["hooks", "install", "--pre-commit", "--pre-push"], { cwd: a });
    const hook = readFileSync(join(a, ".husky", "pre-commit"), "utf8");
    assertPortable(hook, a);
    assertPortable(readFileSync(join(a, ".husky", "pre-push"), "utf8"), a);
    commitAll(a, "husky hooks");

    const b = secondClone(a);
    // What husky sets up on `npm install` in the clone: git runs the hooks in .husky/.
    git(b, "config", "core.hooksPath", ".husky");
    const env = userEnv({ PATH: `${brOnPath()}:${process.env.PATH}` });
    writeFileSync(join(b, "settings.py"), `AWS_ACCESS_KEY_ID = "${AWS_KEY}"\n`);
    git(b, "add", "settings.py");
    const blocked = gitRun(b, ["commit", "-m", "add settings"], env);
    assert.equal(blocked.code, 1, blocked.output);
    assert.match(blocked.output, /lint-staged would run here/, "the hook's own commands still run");
    assert.match(blocked.output, /critical\s+settings\.py:1:\d+\s+AWS access key id/);
    assert.ok(blocked.output.includes(MASKED) && !blocked.output.includes(AWS_KEY));

    writeFileSync(join(b, "settings.py"), 'AWS_ACCESS_KEY_ID = os.environ["AWS_ACCESS_KEY_ID"]\n');
    git(b, "add", "settings.py");
    const clean = gitRun(b, ["commit", "-m", "add settings"], env);
    assert.equal(clean.code, 0, clean.output);

    // The shared pre-push hook runs in the clone too, and scans what it pushes.
    writeFileSync(join(b, "ci.env"), `AWS_ACCESS_KEY_ID=${AWS_KEY}\n`);
    commitAll(b, "ci env");
    const push = gitRun(b, ["push", "origin", "main"], env);
    assert.notEqual(push.code, 0, push.output);
    assert.match(push.output, /ci\.env:1:\d+/);
  });

  it("husky in a clone without br anywhere: the commit is refused with how to get br, never an absolute path's error", () => {
    const a = tempRepo();
    mkdirSync(join(a, ".husky"));
    brOk(["hooks", "install"], { cwd: a });
    commitAll(a, "husky hook");
    const b = secondClone(a);
    git(b, "config", "core.hooksPath", ".husky");
    writeFileSync(join(b, "notes.txt"), "hello\n");
    git(b, "add", "notes.txt");
    // A PATH with git and sh but no br.
    const gitDir = spawnSync("sh", ["-c", "command -v git"], { encoding: "utf8" })
      .stdout.trim()
      .replace(/\/git$/, "");
    const refused = gitRun(b, ["commit", "-m", "notes"], userEnv({ PATH: `${gitDir}:/bin:/usr/bin` }));
    assert.equal(refused.code, 1, refused.output);
    assert.match(refused.output, /br was not found \(neither node_modules\/\.bin\/br nor br on the PATH\)/);
    assert.match(refused.output, /npm install --save-dev buildrunner/);
    assert.match(refused.output, /git commit --no-verify skips the check once/);
  });

  it("lefthook: the committed command runs br from the clone's node_modules/.bin, with git's pre-push lines on stdin", () => {
    const a = tempRepo();
    writeFileSync(join(a, "lefthook.yml"), "pre-commit:\n  commands:\n    lint:\n      run: echo lint\n");
    brOk(["hooks", "install", "--pre-commit", "--pre-push"], { cwd: a });
    const config = readFileSync(join(a, "lefthook.yml"), "utf8");
    assertPortable(config, a);
    commitAll(a, "lefthook config");
    const b = secondClone(a);
    // br as a devDependency of the project: node_modules/.bin/br in the clone.
    mkdirSync(join(b, "node_modules", ".bin"), { recursive: true });
    writeFileSync(join(b, "node_modules", ".bin", "br"), `#!/bin/sh\nexec '${process.execPath}' '${BR}' "$@"\n`);
    chmodSync(join(b, "node_modules", ".bin", "br"), 0o755);
    writeFileSync(join(b, ".gitignore"), "node_modules/\n");

    type Lefthook = Record<string, { commands: Record<string, { run: string; use_stdin?: boolean }> }>;
    const parsed = parse(readFileSync(join(b, "lefthook.yml"), "utf8")) as Lefthook;
    assert.equal(parsed["pre-commit"]?.commands.lint?.run, "echo lint", "the config's own commands are kept");
    const preCommit = parsed["pre-commit"]?.commands["br-pre-commit"]?.run ?? "";
    const prePush = parsed["pre-push"]?.commands["br-pre-push"];
    assert.equal(prePush?.use_stdin, true, "lefthook passes stdin to the command only with use_stdin");
    // As lefthook runs a command: through sh, at the root of the clone, {1} the remote's name.
    const env = userEnv({ PATH: "/usr/bin:/bin" });
    const sh = (script: string, input = "") =>
      spawnSync("sh", ["-c", script], { cwd: b, env, input, encoding: "utf8", timeout: DEADLINE_MS, killSignal: "SIGKILL" });
    writeFileSync(join(b, "settings.py"), `AWS_ACCESS_KEY_ID = "${AWS_KEY}"\n`);
    git(b, "add", "settings.py");
    const staged = sh(preCommit);
    assert.equal(staged.status, 1, staged.stderr);
    assert.match(staged.stdout, /settings\.py:1:\d+/);

    const pushed = commitAll(b, "settings");
    const line = `refs/heads/main ${pushed} refs/heads/main ${git(b, "rev-parse", "origin/main").trim()}\n`;
    const push = sh((prePush?.run ?? "").replaceAll("{1}", "origin"), line);
    assert.equal(push.status, 1, push.stderr);
    assert.ok(push.stdout.includes(`commit ${pushed.slice(0, 12)}`), push.stdout);
  });

  it("pre-commit framework: the committed entry finds br portably and rebuilds the pushed range from PRE_COMMIT_* variables", () => {
    const a = tempRepo();
    writeFileSync(join(a, ".pre-commit-config.yaml"), "repos: []\n");
    brOk(["hooks", "install", "--pre-commit", "--pre-push"], { cwd: a });
    const text = readFileSync(join(a, ".pre-commit-config.yaml"), "utf8");
    assertPortable(text, a);
    type Config = { repos: { hooks: { id: string; entry: string; language: string; pass_filenames: boolean }[] }[] };
    const hooks = (parse(text) as Config).repos.flatMap((r) => r.hooks);
    const entry = (id: string) => hooks.find((h) => h.id === id)?.entry ?? "";
    assert.match(entry("br-pre-commit"), /^sh -c '[^']*'$/, "one sh -c word, as pre-commit splits entry without a shell");
    commitAll(a, "pre-commit config");
    const b = secondClone(a);
    const env = userEnv({ PATH: `${brOnPath()}:/usr/bin:/bin` });
    // pre-commit runs `sh -c <script>` without a shell: the script is what sits between the quotes.
    const run = (id: string, extra: Record<string, string> = {}) =>
      spawnSync("sh", ["-c", entry(id).slice("sh -c '".length, -1)], {
        cwd: b,
        env: { ...env, ...extra },
        encoding: "utf8",
        timeout: DEADLINE_MS,
        killSignal: "SIGKILL",
      });
    writeFileSync(join(b, "settings.py"), `AWS_ACCESS_KEY_ID = "${AWS_KEY}"\n`);
    git(b, "add", "settings.py");
    assert.equal(run("br-pre-commit").status, 1);

    const from = git(b, "rev-parse", "origin/main").trim();
    const to = commitAll(b, "settings");
    const variables = {
      PRE_COMMIT_REMOTE_NAME: "origin",
      PRE_COMMIT_LOCAL_BRANCH: "refs/heads/main",
      PRE_COMMIT_REMOTE_BRANCH: "refs/heads/main",
    };
    const update = run("br-pre-push", { ...variables, PRE_COMMIT_FROM_REF: from, PRE_COMMIT_TO_REF: to });
    assert.equal(update.status, 1, update.stderr);
    assert.ok(update.stdout.includes(`commit ${to.slice(0, 12)}`), update.stdout);
    assert.match(update.stdout, /1 commit\(s\)/, "only the pushed commit");
    // A push from a root commit: pre-commit sets neither FROM_REF nor TO_REF.
    const whole = run("br-pre-push", variables);
    assert.equal(whole.status, 1, whole.stderr);
    assert.ok(whole.stdout.includes(`commit ${to.slice(0, 12)}`), whole.stdout);
  });

  it("installing again repairs an older install's absolute paths in every shared file, once each", () => {
    const old = `"${process.execPath}" "${BR}" security check --staged`;
    const husky = tempRepo();
    mkdirSync(join(husky, ".husky"));
    writeFileSync(join(husky, ".husky", "pre-commit"), `#!/bin/sh\n# >>> buildrunner >>>\n${old} || exit 1\n# <<< buildrunner <<<\n`);
    const lefthook = tempRepo();
    writeFileSync(join(lefthook, "lefthook.yml"), `pre-commit:\n  commands:\n    br-pre-commit:\n      run: '${old}'\n`);
    const preCommit = tempRepo();
    const entry = `  - repo: local\n    hooks:\n      - id: br-pre-commit\n        name: BuildRunner security check\n        entry: '${old}'\n        language: system\n`;
    writeFileSync(join(preCommit, ".pre-commit-config.yaml"), `repos:\n  - repo: https://example.invalid/other\n    hooks: []\n${entry}`);
    for (const [cwd, file, marker] of [
      [husky, ".husky/pre-commit", ">>> buildrunner >>>"],
      [lefthook, "lefthook.yml", "br-pre-commit"],
      [preCommit, ".pre-commit-config.yaml", "br-pre-commit"],
    ] as const) {
      brOk(["hooks", "install"], { cwd });
      const text = readFileSync(join(cwd, file), "utf8");
      assertPortable(text, cwd);
      assert.equal(text.split(marker).length - 1, 1, `one br hook in ${file}:\n${text}`);
      assert.match(text, /node_modules\/\.bin\/br/);
    }
    assert.match(readFileSync(join(preCommit, ".pre-commit-config.yaml"), "utf8"), /example\.invalid\/other/, "other repos are kept");
  });
});
