/**
 * How the hooks br writes find and run br (src/security/hooks.ts): shared files name no absolute
 * path and look in node_modules/.bin, then the PATH; the per-clone git hook tries its installer's
 * absolute paths first, however odd they are; no br at all fails with the fix. Each script is run
 * with sh, as git, husky and lefthook run it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { brRuns, finder, installHooks, managerNotes, preCommitEntry } from "../../src/security/hooks.ts";

const T = { timeout: 10_000 };
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), "br-hooks-unit-"));
  dirs.push(dir);
  return dir;
}

/** An executable script at path that prints its name and arguments. */
function fakeBr(path: string, name: string): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, `#!/bin/sh\necho "${name} $*"\n`);
  chmodSync(path, 0o755);
}

/** Runs the finder, then `buildrunner_br security check`, in cwd with only pathDir (and the system's tools) on the PATH. */
function run(script: string, cwd: string, pathDir: string) {
  return spawnSync("sh", ["-c", `${script}\nbuildrunner_br security check`], {
    cwd,
    env: { PATH: `${pathDir}:/usr/bin:/bin` },
    encoding: "utf8",
    timeout: 5_000,
  });
}

describe("finder", () => {
  it("a shared hook prefers the project's node_modules/.bin/br, then br on the PATH, and names no absolute path", T, () => {
    const project = folder();
    const bin = folder();
    const script = finder("pre-commit", { multiline: true });
    assert.ok(!script.includes(process.execPath) && !/'\//.test(script), script);
    fakeBr(join(project, "node_modules", ".bin", "br"), "local");
    fakeBr(join(bin, "br"), "global");
    assert.equal(run(script, project, bin).stdout, "local security check\n");
    rmSync(join(project, "node_modules"), { recursive: true });
    assert.equal(run(script, project, bin).stdout, "global security check\n");
  });

  it("without br anywhere, it fails (127) with how to get br and how to skip once", T, () => {
    const none = run(finder("pre-push"), folder(), folder());
    assert.equal(none.status, 127);
    assert.match(none.stderr, /BuildRunner pre-push hook: br was not found/);
    assert.match(none.stderr, /npm install --save-dev buildrunner/);
    assert.match(none.stderr, /git push --no-verify skips the check once/);
    assert.match(run(finder("pre-commit"), folder(), folder()).stderr, /git commit --no-verify/);
  });

  it("the per-clone hook runs its installer first, quoting paths with spaces and quotes, and falls back when they are gone", T, () => {
    const odd = join(folder(), "it's a $dir");
    const node = join(odd, "node");
    const script = join(odd, "br.js");
    fakeBr(node, "installer");
    writeFileSync(script, "");
    const project = folder();
    const bin = folder();
    fakeBr(join(bin, "br"), "global");
    const hook = finder("pre-commit", { installer: { node, script }, multiline: true });
    assert.equal(run(hook, project, bin).stdout, `installer ${script} security check\n`);
    rmSync(script);
    assert.equal(run(hook, project, bin).stdout, "global security check\n", "a vanished installer falls back to the portable lookup");
  });
});

describe("brRuns", () => {
  it(
    "pre-commit starts one br (the check decides when it runs whether the fast gates apply); pre-push passes the remote as the manager writes it",
    T,
    () => {
      assert.equal(brRuns("pre-commit"), "buildrunner_br hooks run pre-commit");
      assert.equal(brRuns("pre-push"), 'buildrunner_br security check --pre-push "$1"');
      assert.equal(brRuns("pre-push", "{1}"), "buildrunner_br security check --pre-push {1}");
    },
  );

  it("every installed pre-commit hook (git, husky, lefthook, pre-commit framework) calls br exactly once", T, () => {
    const setups: [string, (repo: string) => void, string][] = [
      ["git", () => undefined, ".git/hooks/pre-commit"],
      ["husky", (repo) => mkdirSync(join(repo, ".husky")), ".husky/pre-commit"],
      ["lefthook", (repo) => writeFileSync(join(repo, "lefthook.yml"), "pre-commit:\n  commands: {}\n"), "lefthook.yml"],
      ["pre-commit", (repo) => writeFileSync(join(repo, ".pre-commit-config.yaml"), "repos: []\n"), ".pre-commit-config.yaml"],
    ];
    for (const [kind, setup, file] of setups) {
      const repo = folder();
      spawnSync("git", ["init", "-q"], { cwd: repo, timeout: 5_000 });
      setup(repo);
      installHooks(repo, ["pre-commit"]);
      const text = readFileSync(join(repo, file), "utf8");
      // Calls of the finder function, not its definition: `buildrunner_br <args>`.
      assert.deepEqual(text.match(/buildrunner_br [a-z]/g), ["buildrunner_br h"], `${kind}: ${text}`);
      assert.match(text, /buildrunner_br hooks run pre-commit/, kind);
    }
  });
});

describe("preCommitEntry", () => {
  it("is one `sh -c '…'` word (pre-commit splits entry without a shell) that rebuilds git's line from PRE_COMMIT_*", T, () => {
    const root = folder();
    for (const hook of ["pre-commit", "pre-push"] as const) {
      const entry = preCommitEntry(hook);
      assert.match(entry, /^sh -c '[^']*'$/, entry);
    }
    const repo = folder();
    spawnSync("git", ["init", "-q"], { cwd: repo, timeout: 5_000 });
    writeFileSync(join(repo, ".pre-commit-config.yaml"), "repos: []\n");
    const states = installHooks(repo, ["pre-commit", "pre-push"]);
    const config = readFileSync(join(repo, ".pre-commit-config.yaml"), "utf8");
    // Run even when the push changes no file in total (a key added and deleted within it).
    assert.equal(config.match(/always_run: true/g)?.length, 2, config);
    assert.match(managerNotes(states).join("\n"), /pre-commit install --hook-type pre-commit --hook-type pre-push/);
    const bin = folder();
    writeFileSync(join(bin, "br"), '#!/bin/sh\necho "br $*"; cat\n');
    chmodSync(join(bin, "br"), 0o755);
    const A = "a".repeat(40);
    const B = "b".repeat(40);
    const shell = (extra: Record<string, string>) =>
      spawnSync("sh", ["-c", preCommitEntry("pre-push").slice("sh -c '".length, -1)], {
        cwd: root,
        env: {
          PATH: `${bin}:/usr/bin:/bin`,
          PRE_COMMIT_REMOTE_NAME: "origin",
          PRE_COMMIT_LOCAL_BRANCH: "refs/heads/main",
          PRE_COMMIT_REMOTE_BRANCH: "refs/heads/main",
          ...extra,
        },
        encoding: "utf8",
        timeout: 5_000,
      }).stdout;
    assert.equal(
      shell({ PRE_COMMIT_FROM_REF: B, PRE_COMMIT_TO_REF: A }),
      `br security check --pre-push origin\nrefs/heads/main ${A} refs/heads/main ${B}\n`,
    );
  });
});
