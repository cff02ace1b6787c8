import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { br, brJson, brOk, initializedRepo, snapshot, tempDir } from "./helpers.ts";

const configPath = (cwd: string) => join(cwd, ".buildrunner", "config.yaml");

describe("br config", () => {
  it("gets values in effect, defaults included, and says where they come from", () => {
    const cwd = initializedRepo();
    assert.deepEqual(brJson(["config", "get", "run.maxAttempts"], { cwd }), { key: "run.maxAttempts", value: 2, source: "config.yaml" });
    assert.deepEqual(brJson(["config", "get", "telemetry.enabled"], { cwd }), { key: "telemetry.enabled", value: true, source: "default" });
    assert.equal(brOk(["config", "get", "security.failOn"], { cwd }).stdout.trim(), "high");
    const tiers = brJson<{ value: Record<string, string> }>(["config", "get", "routing.tiers"], { cwd }).value;
    assert.deepEqual(Object.keys(tiers), ["haiku", "sonnet", "opus"]);
  });

  it("sets typed values, keeps the user's comments, and unsets back to the default", () => {
    const cwd = initializedRepo();
    writeFileSync(configPath(cwd), "# team settings\nversion: 1\nrun:\n  maxAttempts: 2 # keep low, agents are pricey\n");
    brOk(["config", "set", "run.maxAttempts", "3"], { cwd });
    brOk(["config", "set", "telemetry.enabled", "false"], { cwd });
    brOk(["config", "set", "commands.test", "npm test -- --runInBand"], { cwd });
    brOk(["config", "set", "executors.command.command", "my-agent --prompt-file {prompt_file}"], { cwd });
    brOk(["config", "set", "commands.lint", "ruff check . # fast: yes"], { cwd });
    const text = readFileSync(configPath(cwd), "utf8");
    assert.match(text, /^# team settings/);
    assert.match(text, /maxAttempts: 3 # keep low, agents are pricey/);
    const config = brJson<{ config: Record<string, Record<string, unknown>> }>(["config", "list"], { cwd }).config;
    assert.equal(config.run?.maxAttempts, 3);
    assert.equal(config.telemetry?.enabled, false);
    assert.equal(config.commands?.test, "npm test -- --runInBand");
    assert.deepEqual(config.executors?.command, { command: "my-agent --prompt-file {prompt_file}" });
    assert.equal(config.commands?.lint, "ruff check . # fast: yes", "text settings are kept exactly");

    const unset = brJson<{ value: unknown }>(["config", "unset", "run.maxAttempts"], { cwd });
    assert.equal(unset.value, 2, "the default applies again");
    assert.doesNotMatch(readFileSync(configPath(cwd), "utf8"), /maxAttempts/);
    assert.match(brOk(["config", "list"], { cwd }).stdout, /run\.maxAttempts = 2 {2}\(default\)/);
  });

  it("refuses unknown keys and invalid values with exit 2 and leaves the file unchanged", () => {
    const cwd = initializedRepo();
    const before = snapshot(cwd);
    const cases: [string[], RegExp][] = [
      [["config", "set", "run.maxAtempts", "3"], /Unknown config key "run.maxAtempts"[\s\S]*executor, maxAttempts, contextTokens/],
      [["config", "set", "nope", "1"], /Unknown config key "nope"/],
      [
        ["config", "set", "run.maxAttempts", "lots"],
        /run\.maxAttempts expected number, found the string "lots"\. .*config\.yaml was not changed/,
      ],
      [["config", "set", "run.maxAttempts", "0"], /run\.maxAttempts/],
      [["config", "set", "run.executor", "skynet"], /run\.executor must be one of "claude", "codex"/],
      [["config", "set", "security.failOn", "severe"], /security\.failOn must be one of/],
      [["config", "get", "run.bogus"], /Unknown config key/],
      [["config", "set", "run.maxAttempts.deep", "3"], /run\.maxAttempts is a single value/],
      [["config", "unset", "version"], /version cannot be unset/],
    ];
    for (const [args, message] of cases) {
      const result = br(args, { cwd });
      assert.equal(result.code, 2, args.join(" "));
      assert.match(result.stderr, message, args.join(" "));
    }
    assert.deepEqual(snapshot(cwd), before);
  });

  it("rejects unknown keys in the file itself, naming the key, its line and the allowed keys", () => {
    const cwd = initializedRepo();
    writeFileSync(configPath(cwd), "version: 1\ngates:\n  coverage: 80\n  coverag: 70\n");
    const result = br(["config", "list"], { cwd });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /gates\.coverag unknown key "coverag"/);
    assert.match(result.stderr, /at: +line 4, column 3/);
    assert.match(result.stderr, /Allowed here: coverage/);
  });

  it("treats an empty or null config.yaml as all defaults, and can set values in it", () => {
    const cwd = initializedRepo();
    for (const content of ["", "~\n", "# only a comment\n"]) {
      writeFileSync(configPath(cwd), content);
      assert.equal(brJson<{ value: number }>(["config", "get", "run.maxAttempts"], { cwd }).value, 2);
      brOk(["config", "set", "gates.coverage", "90"], { cwd });
      assert.equal(brJson<{ value: number }>(["config", "get", "gates.coverage"], { cwd }).value, 90);
    }
  });

  it("ships a JSON Schema for editors that matches the one br validates with", () => {
    const cwd = tempDir();
    const printed = JSON.parse(brOk(["config", "schema"], { cwd }).stdout) as { properties: Record<string, unknown> };
    const shipped = JSON.parse(readFileSync(join(import.meta.dirname, "..", "schemas", "config.schema.json"), "utf8"));
    assert.deepEqual(shipped, printed, "schemas/config.schema.json is stale: run `npm run schema`");
    for (const key of ["version", "commands", "run", "executors", "gates", "security", "routing", "telemetry"]) {
      assert.ok(key in printed.properties, key);
    }
  });

  it("sets keys inside maps: gate weights by gate name, prices by any model id", () => {
    const cwd = initializedRepo();
    brOk(["config", "set", "gates.weights.tests", "30"], { cwd });
    brOk(["config", "set", "routing.prices.my-model", "{input: 1, output: 2, cacheWrite: 0, cacheRead: 0}"], { cwd });
    brOk(["config", "set", "routing.prices.my-model.input", "3"], { cwd });
    assert.equal(brOk(["config", "get", "gates.weights.tests"], { cwd }).stdout.trim(), "30");
    assert.equal(brOk(["config", "get", "routing.prices.my-model.input"], { cwd }).stdout.trim(), "3");
    const unknown = br(["config", "set", "gates.weights.speed", "3"], { cwd });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Keys under gates\.weights: build, typecheck/);
    assert.equal(br(["config", "set", "routing.prices.other.input", "3"], { cwd }).code, 2, "a price needs all four figures");
  });

  it("keeps a validated config for the next command, and only while config.yaml and the build stay the same", () => {
    const cwd = initializedRepo();
    const cacheFile = join(cwd, ".buildrunner", "state", "config-cache.json");
    const retention = () => brJson<{ retentionDays: number }>(["telemetry", "status"], { cwd }).retentionDays;
    assert.equal(retention(), 90);
    const cache = JSON.parse(readFileSync(cacheFile, "utf8")) as {
      build: string;
      text: string;
      loaded: { config: { telemetry: { retentionDays: number } } };
    };
    assert.equal(cache.text, readFileSync(configPath(cwd), "utf8"), "keyed by the file's exact text");
    assert.match(cache.build, /^[0-9a-f]{16}$/);

    writeFileSync(configPath(cwd), `${cache.text}telemetry:\n  retentionDays: 30\n`);
    assert.equal(retention(), 30, "an edited config.yaml is read again");
    const fresh = JSON.parse(readFileSync(cacheFile, "utf8")) as typeof cache;
    // The next command takes the kept result as it is: a value changed in the cache alone shows.
    fresh.loaded.config.telemetry.retentionDays = 7;
    writeFileSync(cacheFile, JSON.stringify(fresh));
    assert.equal(retention(), 7);
    writeFileSync(cacheFile, JSON.stringify({ ...fresh, build: "0000000000000000" }));
    assert.equal(retention(), 30, "another build's cache is not used");
    writeFileSync(cacheFile, "{");
    assert.equal(retention(), 30, "a cut-off cache is not used");
    writeFileSync(cacheFile, JSON.stringify({ ...fresh, loaded: null }));
    assert.equal(retention(), 30, "an entry of another shape is not used");
    assert.equal((JSON.parse(readFileSync(cacheFile, "utf8")) as typeof cache).loaded.config.telemetry.retentionDays, 30);

    writeFileSync(configPath(cwd), `${cache.text}telemetry:\n  retentionDays: [\n`);
    const broken = br(["telemetry", "status"], { cwd });
    assert.equal(broken.code, 2, "a broken config.yaml is reported, whatever the cache holds");
    assert.match(broken.stderr, /config\.yaml is not valid YAML/);
  });
});
