/**
 * The pre-commit check in process (src/quality/pre-commit.ts) on real git repositories: what the
 * index holds is read once, and only what the commit makes worse than HEAD blocks it. The parse
 * cache the scan and the measures share (src/infra/syntax.ts) is checked here too.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";

await import("./text-loader.ts");
const { configSchema } = await import("../../src/infra/config.ts");
const { parse, withParseCache } = await import("../../src/infra/syntax.ts");
const { preCommitCheck } = await import("../../src/quality/pre-commit.ts");
const { defaultRules } = await import("../../src/security/secrets/rules.ts");
const { listStaged, listStagedAsync, readBlobs, readBlobsAsync, stagedChanges } = await import("../../src/security/sources.ts");

const T = { timeout: 30_000 };
// Secret-shaped values, assembled at run time so this file holds none.
const OLD_KEY = ["AKIA", "Z7QWERTY4ASDFGH2"].join("");
const NEW_KEY = ["AKIA", "Q7QWERTY4ASDFGH3"].join("");
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function git(cwd: string, ...args: string[]): string {
  const result = spawnSync("git", args, { cwd, encoding: "utf8", timeout: 10_000 });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), "br-pre-commit-unit-"));
  dirs.push(dir);
  git(dir, "init", "-q");
  git(dir, "config", "user.email", "test@example.invalid");
  git(dir, "config", "user.name", "Test");
  return dir;
}

function write(cwd: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(cwd, path)), { recursive: true });
    writeFileSync(join(cwd, path), text);
  }
}

function commit(cwd: string): void {
  git(cwd, "add", "-A");
  git(cwd, "commit", "-q", "--no-verify", "-m", "work");
}

const config = configSchema.parse({ gates: { complexity: 3 } });
const check = (root: string, withConfig = true) =>
  preCommitCheck({ root, rules: defaultRules(), accepted: new Set(), skip: [], failOn: "high", ...(withConfig ? { config } : {}) });

const branches = (n: number) => Array.from({ length: n }, (_, i) => `  if (x === ${i}) return ${i};`).join("\n");
const pick = (n: number) => `export function pick(x) {\n${branches(n)}\n  return -1;\n}\n`;

describe("withParseCache", () => {
  it("inside it a text is parsed once whoever asks; outside it nothing is kept", T, () => {
    const text = "export const a = (x) => x + 1;\n";
    withParseCache(() => {
      const first = parse("a.js", text, "javascript");
      assert.equal(parse("a.js", text, "javascript"), first, "the same tree for the same text");
      assert.equal(
        withParseCache(() => parse("a.js", text, "javascript")),
        first,
        "a nested scope shares the outer cache",
      );
      assert.notEqual(parse("a.ts", text, "typescript"), first, "another dialect is another tree");
    });
    assert.notEqual(parse("a.js", text, "javascript"), parse("a.js", text, "javascript"), "no cache outside");
  });

  it("keeps only the last few trees: a large commit's trees are never all held", T, () => {
    withParseCache(() => {
      const first = parse("a.js", "export const a = 0;\n", "javascript");
      for (let i = 1; i <= 50; i++) parse("a.js", `export const a = ${i};\n`, "javascript");
      assert.notEqual(parse("a.js", "export const a = 0;\n", "javascript"), first, "parsed again once it left the cache");
      const last = parse("a.js", "export const a = 50;\n", "javascript");
      assert.equal(parse("a.js", "export const a = 50;\n", "javascript"), last);
    });
  });
});

describe("stagedChanges", () => {
  it(
    "lists added, modified and renamed files with their staged and HEAD blobs (a rename names its old path); deletions are left out",
    T,
    async () => {
      const cwd = repo();
      write(cwd, { "kept.js": "export const a = 1;\n", "moved.js": "export const moved = 1;\n".repeat(20), "gone.js": "x\n" });
      commit(cwd);
      write(cwd, { "kept.js": "export const a = 2;\n", "added.js": "export const b = 1;\n" });
      mkdirSync(join(cwd, "lib"));
      git(cwd, "mv", "moved.js", "lib/moved.js");
      git(cwd, "rm", "-q", "gone.js");
      git(cwd, "add", "-A");
      const changes = stagedChanges(cwd);
      const head = (path: string) => git(cwd, "rev-parse", `HEAD:${path}`).trim();
      const index = (path: string) => git(cwd, "rev-parse", `:${path}`).trim();
      assert.deepEqual(changes, [
        { path: "added.js", blob: index("added.js") },
        { path: "kept.js", blob: index("kept.js"), headBlob: head("kept.js") },
        { path: "lib/moved.js", blob: index("lib/moved.js"), headBlob: head("moved.js"), headPath: "moved.js" },
      ]);
      assert.deepEqual(await listStagedAsync(cwd), changes, "the overlapping listing is the same");
    },
  );

  it("outside a repository git lists nothing: undefined, whichever way it is asked", T, async () => {
    const dir = mkdtempSync(join(tmpdir(), "br-no-git-"));
    dirs.push(dir);
    assert.equal(listStaged(dir), undefined);
    assert.equal(await listStagedAsync(dir), undefined);
  });

  it("before the first commit every staged file is new", T, async () => {
    const cwd = repo();
    write(cwd, { "a.js": "export const a = 1;\n" });
    git(cwd, "add", "a.js");
    assert.deepEqual(
      stagedChanges(cwd).map((c) => [c.path, c.headBlob]),
      [["a.js", undefined]],
    );
    assert.deepEqual(await listStagedAsync(cwd), stagedChanges(cwd));
  });
});

describe("readBlobsAsync", () => {
  it("reads what readBlobs reads (binary content too) while the caller goes on; an id git does not have is left out", T, async () => {
    const cwd = repo();
    write(cwd, { "a.js": "export const a = 1;\n", "b.txt": "two\nlines\n" });
    writeFileSync(join(cwd, "c.bin"), Buffer.from([0, 1, 2, 10, 255]));
    git(cwd, "add", "-A");
    const ids = [...stagedChanges(cwd).map((c) => c.blob), "1".repeat(40)];
    const pending = readBlobsAsync(cwd, ids);
    const blocking = readBlobs(cwd, ids);
    const read = await pending;
    assert.equal(read.size, 3);
    assert.deepEqual([...read], [...blocking]);
    assert.deepEqual(read.get(git(cwd, "rev-parse", ":c.bin").trim()), Buffer.from([0, 1, 2, 10, 255]));
  });
});

describe("preCommitCheck", () => {
  it("a secret HEAD's version of the file already had is counted, not held against the commit; a new one blocks", T, () => {
    const cwd = repo();
    write(cwd, { "settings.py": `AWS_ACCESS_KEY_ID = "${OLD_KEY}"\n` });
    commit(cwd);
    write(cwd, { "settings.py": `DEBUG = True\nAWS_ACCESS_KEY_ID = "${OLD_KEY}"\n` });
    git(cwd, "add", "-A");
    const touched = check(cwd, false);
    assert.equal(touched.passed, true);
    assert.deepEqual(touched.security.findings, []);
    assert.equal(touched.security.summary.inHead, 1);
    assert.equal(touched.quality, undefined, "outside a BuildRunner project no gate runs");

    write(cwd, { "settings.py": `AWS_ACCESS_KEY_ID = "${OLD_KEY}"\nBACKUP_KEY = "${NEW_KEY}"\n` });
    git(cwd, "add", "-A");
    const leaking = check(cwd, false);
    assert.equal(leaking.passed, false);
    assert.deepEqual(
      leaking.security.findings.map((f) => [f.file, f.line]),
      [["settings.py", 2]],
    );
  });

  it("a renamed file keeps what it had: its old secret and over-limit function are not new", T, () => {
    const cwd = repo();
    write(cwd, { "src/pick.js": `${pick(5)}// ${OLD_KEY}\n` });
    commit(cwd);
    git(cwd, "mv", "src/pick.js", "src/choose.js");
    const renamed = check(cwd);
    assert.equal(renamed.passed, true, JSON.stringify(renamed, null, 1));
    assert.equal(renamed.security.summary.inHead, 1);
    assert.match(renamed.quality?.gates.find((g) => g.name === "complexity")?.details[0] ?? "", /already over the limit in HEAD/);
  });

  it("gates: an over-limit function that is unchanged passes; a new one or one made worse fails, named alone", T, () => {
    const cwd = repo();
    write(cwd, { "src/pick.js": pick(5) });
    commit(cwd);
    write(cwd, { "src/pick.js": `${pick(5)}export const other = () => 1;\n` });
    git(cwd, "add", "-A");
    assert.equal(check(cwd).passed, true);

    write(cwd, { "src/pick.js": `${pick(5)}export function choose(y) {\n  return y ? (y > 1 ? (y > 2 ? 3 : 2) : 1) : 0;\n}\n` });
    git(cwd, "add", "-A");
    const added = check(cwd);
    const complexity = added.quality?.gates.find((g) => g.name === "complexity");
    assert.equal(added.passed, false);
    assert.equal(complexity?.value, 4);
    assert.deepEqual(complexity?.details.slice(1), [
      "src/pick.js:9 choose: complexity 4",
      "(1 over the limit in HEAD and not made worse: not held against this change)",
    ]);

    write(cwd, { "src/pick.js": pick(6) });
    git(cwd, "add", "-A");
    const worse = check(cwd);
    assert.equal(worse.passed, false);
    assert.deepEqual(worse.quality?.gates.find((g) => g.name === "complexity")?.details.slice(1), ["src/pick.js:1 pick: complexity 7"]);
  });

  it("judges the index, not the working tree, and works before the first commit", T, () => {
    const cwd = repo();
    write(cwd, { "src/pick.js": pick(5) });
    git(cwd, "add", "-A");
    write(cwd, { "src/pick.js": "export const pick = 1;\n" });
    const first = check(cwd);
    assert.equal(first.passed, false, "the staged text is over the limit, whatever the working tree holds");
    assert.equal(first.quality?.gates.find((g) => g.name === "complexity")?.value, 6);
  });
});
