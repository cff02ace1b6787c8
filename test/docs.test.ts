/**
 * The guides are true: every runnable block of docs/*.md and the README runs here, as a reader would
 * type it, with its exit code and shown output checked (doc-blocks.ts, doc-runner.ts). The getting-
 * started guide's real agent is Claude Code, the pinned CLI, pointed at the local model-API server.
 * `BR_DOC_FILES=docs/security.md,…` runs only those guides (while writing one).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { errorSites, escapeCell, shownMessage } from "../scripts/docs.mjs";
import { claudeEnv, installed } from "./agent-clis.ts";
import { describeFailure, docEnvironment, runGuide } from "./doc-runner.ts";
import { tempDir } from "./helpers.ts";
import { startAnthropicServer } from "./model-servers/anthropic.ts";
import type { ModelServer } from "./model-servers/common.ts";

const ROOT = join(import.meta.dirname, "..");

/** Undefined when something listens on 127.0.0.1:port, else why not. */
function reachable(port: number): Promise<string | undefined> {
  return new Promise((done) => {
    const socket = connect({ host: "127.0.0.1", port, timeout: 3000 });
    socket.on("connect", () => {
      socket.destroy();
      done(undefined);
    });
    socket.on("timeout", () => {
      socket.destroy();
      done("no answer within 3 s");
    });
    socket.on("error", (error) => done(error.message));
  });
}
const only = process.env.BR_DOC_FILES?.split(",").map((file) => file.trim());
const GUIDES = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => join("docs", name)),
].filter((file) => !only || only.includes(file));

describe("the guides run as written", { timeout: 40 * 60_000 }, () => {
  const environment = docEnvironment();
  const claude = installed("claude");
  let server: ModelServer | undefined;
  before(async () => {
    if (!claude.command) return;
    server = await startAnthropicServer();
    server.behaviour = { kind: "work" };
    // `claude` on the reader's PATH: the pinned Claude Code, signed in to the local server.
    const exports = Object.entries(claudeEnv(tempDir("br-doc-claude-home-"), server)).map(([key, value]) => `export ${key}='${value}'`);
    writeFileSync(join(environment.bin, "claude"), `#!/bin/sh\n${exports.join("\n")}\nexec ${claude.command} "$@"\n`);
    chmodSync(join(environment.bin, "claude"), 0o755);
  });
  after(() => server?.close());

  let postgres: string | undefined;
  before(async () => {
    postgres = await reachable(5432);
  });

  for (const guide of GUIDES) {
    const needsClaude = guide === "docs/getting-started.md";
    it(guide, { skip: needsClaude ? (claude.skip ?? false) : false }, async (t) => {
      // The multi-machine guide works against a real PostgreSQL, as CI has (a contributor may not).
      if (guide === "docs/workers.md" && postgres) return t.skip(`no PostgreSQL at 127.0.0.1:5432 (${postgres})`);
      const { blocks, failure } = await runGuide(join(ROOT, guide), environment);
      if (failure) assert.fail(describeFailure(failure));
      // Only the contract and the measured notes on agent CLIs may be all prose.
      if (!["docs/spec.md", "docs/agent-clis.md"].includes(guide)) assert.ok(blocks > 0, `${guide} has no runnable example`);
    });
  }
});

describe("a guide that drifts from the code fails", () => {
  const environment = docEnvironment();
  const guide = (text: string): string => {
    const path = join(tempDir("br-doc-guide-"), "guide.md");
    writeFileSync(path, text);
    return path;
  };

  it("passes when the output and exit code are what the guide shows", async () => {
    const path = guide(
      "# A\n\n```sh doctest\nbr --version\n```\n\n```text output\n0.…\n```\n\n```sh doctest exit=2\nbr features add\n```\n",
    );
    const result = await runGuide(path, environment);
    assert.equal(result.failure, undefined, result.failure && describeFailure(result.failure));
    assert.equal(result.blocks, 2);
  });

  it("fails on output the command no longer prints, naming the guide's line", async () => {
    const path = guide("# A\n\nText.\n\n```sh doctest\nbr --version\n```\n\n```text output\n9.9.9\n```\n");
    const { failure } = await runGuide(path, environment);
    assert.ok(failure);
    assert.equal(failure.block.line, 5);
    assert.match(
      describeFailure(failure),
      /guide\.md:5: the guide shows "9\.9\.9", which the output does not have \(output block at line 9\)/,
    );
  });

  it("fails on an exit code the guide does not expect, and stops there", async () => {
    const path = guide("```sh doctest\nbr features add\n```\n\n```sh doctest\ntouch should-not-run\n```\n");
    const { failure } = await runGuide(path, environment);
    assert.ok(failure);
    assert.match(failure.why, /it exited 2; the guide expects 0/);
    assert.match(failure.why, /missing required argument/);
  });

  it("carries the folder a block moved to into the next block, and each guide starts in an empty folder", async () => {
    const path = guide(
      '```sh doctest\nmkdir app && cd app\n```\n\n```sh doctest\nbasename "$PWD" && ls -A | wc -l\n```\n\n```text output\napp\n0\n```\n',
    );
    const result = await runGuide(path, environment);
    assert.equal(result.failure, undefined, result.failure && describeFailure(result.failure));
  });
});

describe("the pages generated from the code", () => {
  it("are up to date: npm run docs would change nothing", () => {
    const result = spawnSync(process.execPath, [join(ROOT, "scripts", "docs.mjs"), "--check"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(result.status, 0, result.stderr);
  });

  it("troubleshooting shows every error message in the source, each with what to do", () => {
    const page = readFileSync(join(ROOT, "docs", "troubleshooting.md"), "utf8");
    const sites = errorSites(ROOT);
    assert.ok(sites.length > 200, `found only ${sites.length} errors: the search for them broke`);
    const unreadable = sites.filter((site) => !site.messages).map((site) => `${site.file}:${site.line}`);
    assert.deepEqual(unreadable, [], "an error whose message the page cannot show");
    const missing = sites.flatMap((site) => (site.messages ?? []).filter((message) => !page.includes(escapeCell(shownMessage(message)))));
    assert.deepEqual(missing, []);
    const withoutFix = sites.filter((site) => !site.hasFix).map((site) => `${site.file}:${site.line}`);
    assert.deepEqual(withoutFix, [], "an error that does not say what to do");
  });

  it("the configuration reference lists every key of the schema", () => {
    const page = readFileSync(join(ROOT, "docs", "configuration.md"), "utf8");
    const schema = JSON.parse(readFileSync(join(ROOT, "schemas", "config.schema.json"), "utf8"));
    const keys: string[] = [];
    const walk = (node: { properties?: Record<string, { type?: string; properties?: unknown }> }, prefix: string) => {
      for (const [name, child] of Object.entries(node.properties ?? {})) {
        const key = prefix ? `${prefix}.${name}` : name;
        if (child.type === "object" && child.properties) walk(child as never, key);
        else keys.push(key);
      }
    };
    walk(schema, "");
    assert.ok(keys.includes("run.maxAttempts"));
    assert.deepEqual(
      keys.filter((key) => !page.includes(`| \`${key}\` |`)),
      [],
    );
  });
});

describe("links between the guides", () => {
  it("lead to files that exist", () => {
    const broken: string[] = [];
    for (const guide of [
      "README.md",
      "CHANGELOG.md",
      ...readdirSync(join(ROOT, "docs"))
        .filter((n) => n.endsWith(".md"))
        .map((n) => join("docs", n)),
    ]) {
      const text = readFileSync(join(ROOT, guide), "utf8");
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (!target || /^(https?:|mailto:|#)/.test(target)) continue;
        const path = join(ROOT, dirname(guide), target.split("#")[0] as string);
        if (!existsSync(path)) broken.push(`${guide}: ${target}`);
      }
    }
    assert.deepEqual(broken, []);
  });
});
