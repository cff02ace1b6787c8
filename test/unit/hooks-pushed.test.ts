/**
 * What a push sends (src/security/pushed.ts): git's pre-push lines parsed and checked, and the
 * `git log` revisions that list exactly the commits the push adds to the remote.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BrError } from "../../src/infra/errors.ts";
import { parsePrePushInput, pushedRevisions, type RemoteKnowledge } from "../../src/security/pushed.ts";

const T = { timeout: 5_000 };
const ZERO = "0".repeat(40);
const A = "a".repeat(40);
const B = "b".repeat(40);
const C = "c".repeat(40);
const GONE = "d".repeat(40);
const AWS_KEY = ["AKIA", "Z7QWERTY4ASDFGH2"].join("");

/** A clone that has A, B and C, and remotes origin and fork. */
const known: RemoteKnowledge = { isCommit: (sha) => [A, B, C].includes(sha), remotes: ["origin", "fork"] };

function usage(run: () => unknown): BrError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof BrError, String(error));
    assert.equal(error.exitCode, 2);
    return error;
  }
  assert.fail("expected a usage error");
}

describe("parsePrePushInput", () => {
  it("reads one ref per line, skipping blank lines and a trailing newline", T, () => {
    const refs = parsePrePushInput(`refs/heads/main ${A} refs/heads/main ${B}\n\nrefs/tags/v1 ${C} refs/tags/v1 ${ZERO}\r\n`);
    assert.deepEqual(refs, [
      { localRef: "refs/heads/main", localSha: A, remoteRef: "refs/heads/main", remoteSha: B },
      { localRef: "refs/tags/v1", localSha: C, remoteRef: "refs/tags/v1", remoteSha: ZERO },
    ]);
    assert.deepEqual(parsePrePushInput(""), []);
  });

  it("accepts SHA-256 object names and git's (delete) local ref", T, () => {
    const long = "e".repeat(64);
    assert.equal(parsePrePushInput(`refs/heads/x ${long} refs/heads/x ${"0".repeat(64)}`)[0]?.localSha, long);
    assert.equal(parsePrePushInput(`(delete) ${ZERO} refs/heads/old ${A}`)[0]?.localRef, "(delete)");
  });

  it("refuses a line of the wrong shape, naming its number and masking what it holds", T, () => {
    for (const [text, line] of [
      [`refs/heads/main ${A} refs/heads/main`, 1],
      [`refs/heads/main ${A} refs/heads/main ${B}\nrefs/heads/x ${A.slice(1)} refs/heads/x ${B}`, 2],
      [`refs/heads/main ${A.toUpperCase()} refs/heads/main ${B}`, 1],
      [`refs/heads/main ${A} refs/heads/main ${B} extra`, 1],
    ] as const) {
      const error = usage(() => parsePrePushInput(text));
      assert.match(error.message, new RegExp(`stdin line ${line} is not`));
      assert.match(error.fix ?? "", /br hooks install --pre-push/);
    }
    const error = usage(() => parsePrePushInput(`token ${AWS_KEY} a b c`));
    assert.ok(!error.message.includes(AWS_KEY), error.message);
    assert.match(error.message, /AKIA\*+/);
  });
});

describe("pushedRevisions", () => {
  const ref = (localSha: string, remoteSha: string) => ({ localRef: "refs/heads/main", localSha, remoteRef: "refs/heads/main", remoteSha });

  it("an update sends remote..local, and nothing any ref of that remote holds", T, () => {
    assert.deepEqual(pushedRevisions([ref(A, B)], "origin", known), [A, `^${B}`, "--not", "--remotes=origin"]);
  });

  it("a new branch, or a remote sha this clone never fetched, sends what the remote's refs do not hold", T, () => {
    assert.deepEqual(pushedRevisions([ref(A, ZERO)], "origin", known), [A, "--not", "--remotes=origin"]);
    assert.deepEqual(pushedRevisions([ref(A, GONE)], "fork", known), [A, "--not", "--remotes=fork"]);
  });

  it("a URL (no remote of that name) has no remote-tracking refs; no remote at all means any remote's", T, () => {
    assert.deepEqual(pushedRevisions([ref(A, ZERO)], "https://example.invalid/app.git", known), [A]);
    assert.deepEqual(pushedRevisions([ref(A, B)], undefined, known), [A, `^${B}`, "--not", "--remotes"]);
    assert.deepEqual(pushedRevisions([ref(A, B)], "", known), [A, `^${B}`, "--not", "--remotes"]);
  });

  it("several refs are one range: every local sha a start, every known remote sha an end", T, () => {
    assert.deepEqual(pushedRevisions([ref(A, B), ref(C, ZERO)], "origin", known), [A, C, `^${B}`, "--not", "--remotes=origin"]);
  });

  it("deletions send nothing; a push of only deletions gives no revisions (not HEAD)", T, () => {
    assert.deepEqual(pushedRevisions([ref(ZERO, A)], "origin", known), []);
    assert.deepEqual(pushedRevisions([], "origin", known), []);
    assert.deepEqual(pushedRevisions([ref(ZERO, A), ref(C, B)], "origin", known), [C, `^${B}`, "--not", "--remotes=origin"]);
  });

  it("a local sha that is no commit here is bad input, naming the ref", T, () => {
    const error = usage(() => pushedRevisions([ref(GONE, A)], "origin", known));
    assert.match(error.message, new RegExp(`refs/heads/main ${GONE} is not a commit in this repository`));
  });
});
