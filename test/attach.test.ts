import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { br, brJson, brOk, git, snapshot, tempRepo } from "./helpers.ts";

function write(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

interface AttachResult {
  detection: {
    languages: { name: string; files: number }[];
    packageManagers: Record<string, string>;
    commands: Record<string, { command: string; reason: string }>;
  };
  commandsAdded: string[];
}

describe("br attach", () => {
  it("detects a pnpm TypeScript project's language, package manager and commands into config.yaml", () => {
    const cwd = tempRepo();
    write(cwd, {
      "package.json": JSON.stringify({
        name: "web",
        packageManager: "pnpm@9.12.0",
        scripts: { test: "vitest run", build: "tsc -p tsconfig.build.json" },
        devDependencies: { typescript: "^5.6.0", eslint: "^9.0.0", vitest: "^2.0.0" },
      }),
      "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
      "tsconfig.json": "{}",
      "src/index.ts": "export {}\n",
      "src/util.ts": "export {}\n",
      "scripts/tool.js": "\n",
    });
    git(cwd, "add", "-A");
    const result = brJson<AttachResult>(["attach"], { cwd });
    assert.deepEqual(result.detection.languages, [
      { name: "typescript", files: 2 },
      { name: "javascript", files: 1 },
    ]);
    assert.deepEqual(result.detection.packageManagers, { node: "pnpm" });
    const config = brJson<{ config: { commands: Record<string, string> } }>(["config", "list"], { cwd }).config.commands;
    assert.deepEqual(config, {
      test: "pnpm test",
      build: "pnpm run build",
      lint: "pnpm exec eslint . -f json",
      typecheck: "pnpm exec tsc --noEmit",
    });
    assert.match(result.detection.commands.lint?.reason ?? "", /eslint is a dependency/);
  });

  it("ignores npm's placeholder test script and reads the lock file for the package manager", () => {
    const cwd = tempRepo();
    write(cwd, {
      "package.json": JSON.stringify({
        name: "x",
        scripts: { test: 'echo "Error: no test specified" && exit 1' },
        devDependencies: { jest: "29" },
      }),
      "yarn.lock": "",
      "index.js": "",
    });
    const result = brJson<AttachResult>(["attach"], { cwd });
    assert.equal(result.detection.packageManagers.node, "yarn");
    assert.equal(result.detection.commands.test?.command, "yarn exec jest");
    assert.equal(result.detection.commands.coverage?.command, "coverage/lcov.info");
  });

  it("detects a uv Python project with pytest-cov, ruff and mypy", () => {
    const cwd = tempRepo();
    write(cwd, {
      "pyproject.toml": [
        "[project]",
        'name = "svc"',
        'dependencies = ["fastapi>=0.110", "sqlalchemy[asyncio]~=2.0"]',
        "",
        "[dependency-groups]",
        'dev = ["pytest>=8", "pytest-cov", "ruff==0.6.9", "mypy"]',
        "",
      ].join("\n"),
      "uv.lock": "",
      "svc/__init__.py": "",
      "svc/app.py": "",
      "tests/test_app.py": "",
    });
    const result = brJson<AttachResult>(["attach", "--name", "service"], { cwd });
    assert.deepEqual(result.detection.languages, [{ name: "python", files: 3 }]);
    assert.deepEqual(result.detection.packageManagers, { python: "uv" });
    const commands = Object.fromEntries(Object.entries(result.detection.commands).map(([k, v]) => [k, v.command]));
    assert.deepEqual(commands, {
      test: "uv run pytest --cov --cov-report=json",
      lint: "uv run ruff check --output-format json .",
      typecheck: "uv run mypy .",
      coverage: "coverage.json",
    });
    assert.equal(brJson<{ project: string }>(["status"], { cwd }).project, "service");
  });

  it("re-attaching with --force fills in new commands but never overwrites the user's", () => {
    const cwd = tempRepo();
    write(cwd, { "go.mod": "module example.com/x\n", "main.go": "package main\n" });
    brOk(["attach"], { cwd });
    brOk(["config", "set", "commands.test", "go test -race ./..."], { cwd });
    brOk(["features", "add", "Keep me"], { cwd });
    write(cwd, { ".golangci.yml": "linters: {}\n" });
    brOk(["config", "unset", "commands.lint"], { cwd });
    const again = brJson<AttachResult>(["attach", "--force"], { cwd });
    assert.deepEqual(again.commandsAdded, ["lint"]);
    const commands = brJson<{ config: { commands: Record<string, string> } }>(["config", "list"], { cwd }).config.commands;
    assert.equal(commands.test, "go test -race ./...");
    assert.equal(commands.lint, "golangci-lint run");
    assert.equal(brJson<{ features: unknown[] }>(["features", "list"], { cwd }).features.length, 1);
  });

  for (const [what, content] of [
    ["not JSON", "{ not json"],
    ["null", "null"],
    ["a list", "[]"],
  ]) {
    it(`a package.json that is ${what} exits 2 naming it, and creates nothing`, () => {
      const cwd = tempRepo();
      write(cwd, { "package.json": content as string });
      const before = snapshot(cwd);
      const result = br(["attach"], { cwd });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /package\.json/);
      assert.deepEqual(snapshot(cwd), before);
    });
  }
});
