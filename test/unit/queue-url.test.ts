/** The queue's URL: which one a command uses, what is refused, and how it is shown (never with its password). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BrError } from "../../src/infra/errors.ts";
import { queueTarget, queueUrlProblem, redactQueueUrl } from "../../src/infra/queue-url.ts";
import { jobId, resultBranch } from "../../src/parallel/queue/jobs.ts";

describe("queue URL", () => {
  it("accepts postgres:// and postgresql:// URLs with a host", () => {
    assert.equal(queueUrlProblem("postgres://br@db.example.com:5432/x", true), undefined);
    assert.equal(queueUrlProblem("postgresql://db.example.com/x", true), undefined);
  });

  it("refuses other schemes, a missing host and text that is no URL", () => {
    assert.match(queueUrlProblem("mysql://db/x", false) ?? "", /not mysql:/);
    assert.match(queueUrlProblem("postgres:///x", false) ?? "", /host/);
    assert.match(queueUrlProblem("db.example.com", false) ?? "", /PostgreSQL URL/);
  });

  it("refuses a password only where the URL would be committed (config.yaml)", () => {
    assert.match(queueUrlProblem("postgres://u:pw@db/x", true) ?? "", /PGPASSWORD/);
    assert.equal(queueUrlProblem("postgres://u:pw@db/x", false), undefined);
  });

  it("shows a URL with its password replaced, and leaves one without a password as it is", () => {
    assert.equal(redactQueueUrl("postgres://u:s3cret@db:5432/x"), "postgres://u:***@db:5432/x"); // br:allow (a made-up password: what br must hide)
    assert.equal(redactQueueUrl("postgres://u@db:5432/x"), "postgres://u@db:5432/x");
    // Text that is no URL (an error message quoting one) is still redacted.
    assert.equal(redactQueueUrl("could not reach postgres://u:s3cret@db/x now"), "could not reach postgres://u:***@db/x now"); // br:allow (a made-up password: what br must hide)
    assert.doesNotMatch(redactQueueUrl("postgresql://a:%40b%3Ac@h/d"), /%40b/); // br:allow (a made-up password: what br must hide)
  });

  it("takes the flag over BR_QUEUE_URL over queue.url, and none when nothing is set", () => {
    const env = { BR_QUEUE_URL: "postgres://env@h/d" };
    assert.deepEqual(queueTarget("postgres://flag@h/d", env, "postgres://file@h/d"), { url: "postgres://flag@h/d", source: "--queue" });
    assert.deepEqual(queueTarget(undefined, env, "postgres://file@h/d"), { url: "postgres://env@h/d", source: "BR_QUEUE_URL" });
    assert.deepEqual(queueTarget(undefined, {}, "postgres://file@h/d"), { url: "postgres://file@h/d", source: "queue.url" });
    assert.equal(queueTarget(undefined, {}, undefined), undefined);
  });

  it("a password given as a parameter is refused in config.yaml and hidden when shown", () => {
    assert.match(queueUrlProblem("postgres://u@db/x?password=hunter2", true) ?? "", /PGPASSWORD/);
    assert.doesNotMatch(redactQueueUrl("postgres://u@db/x?sslmode=require&password=hunter2"), /hunter2/); // br:allow (a made-up password)
  });

  it("a bad URL is a usage error (exit 2) that names where it came from and hides the password", () => {
    assert.throws(
      () => queueTarget(undefined, { BR_QUEUE_URL: "http://u:topsecret@h/d" }, undefined), // br:allow (a made-up password: what br must hide)
      (error: unknown) =>
        error instanceof BrError &&
        error.exitCode === 2 &&
        error.message.startsWith("BR_QUEUE_URL") &&
        !error.message.includes("topsecret"),
    );
  });
});

describe("queue jobs", () => {
  it("a job's id is the same for the same run, task and round, and a valid uuid", () => {
    const id = jobId("run-1", "feature-1.core", 0);
    assert.equal(id, jobId("run-1", "feature-1.core", 0));
    assert.notEqual(id, jobId("run-1", "feature-1.core", 1));
    assert.notEqual(id, jobId("run-2", "feature-1.core", 0));
    assert.notEqual(id, jobId("run-1", "feature-1.tests", 0));
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("each lease of a task pushes to its own branch", () => {
    assert.equal(resultBranch("abcdef123456-3-9f2c", "feature-2.core", 0), "br/queue/3-9f2c/feature-2.core-0");
    assert.notEqual(resultBranch("abcdef123456-3-9f2c", "t", 0), resultBranch("abcdef123456-4-77aa", "t", 0), "another run of the project");
    assert.notEqual(resultBranch("k", "t", 0), resultBranch("k", "t", 1));
  });
});
