/**
 * `br mcp install`: registers br with each agent CLI where that CLI reads it. Run twice, it leaves
 * one entry; the user's other servers, settings and layout are kept; a file that does not parse is
 * refused (exit 2, its place named) and left as it was.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { br, brJson, brOk, initializedRepo } from "../helpers.ts";

const read = (cwd: string, file: string) => readFileSync(join(cwd, file), "utf8");

describe("br mcp install", () => {
  it("claude: twice leaves one br entry in .mcp.json and keeps the user's other servers", () => {
    const cwd = initializedRepo();
    const theirs =
      '{\n    "mcpServers": {\n        "github": { "command": "gh-mcp", "args": ["--stdio"], "env": { "GH_HOST": "github.com" } }\n    }\n}\n';
    writeFileSync(join(cwd, ".mcp.json"), theirs);
    const first = brJson<{ file: string; changed: boolean }>(["mcp", "install", "--json"], { cwd });
    assert.deepEqual([first.file, first.changed], [".mcp.json", true]);
    const afterFirst = read(cwd, ".mcp.json");
    const second = brJson<{ changed: boolean }>(["mcp", "install", "--client", "claude", "--json"], { cwd });
    assert.equal(second.changed, false);
    assert.equal(read(cwd, ".mcp.json"), afterFirst, "the second run changes nothing");
    const doc = JSON.parse(afterFirst) as { mcpServers: Record<string, { command: string; args: string[] }> };
    assert.deepEqual(Object.keys(doc.mcpServers).sort(), ["br", "github"]);
    assert.deepEqual(doc.mcpServers.br, { command: "br", args: ["mcp", "serve"] });
    assert.deepEqual(doc.mcpServers.github, { command: "gh-mcp", args: ["--stdio"], env: { GH_HOST: "github.com" } });
    assert.ok(afterFirst.startsWith('{\n    "mcpServers": {\n        "github": {'), "their indentation is kept");
  });

  it("--command sets how the agent starts br; the entry is updated in place", () => {
    const cwd = initializedRepo();
    brOk(["mcp", "install"], { cwd });
    brOk(["mcp", "install", "--command", "npx br"], { cwd });
    const doc = JSON.parse(read(cwd, ".mcp.json")) as { mcpServers: Record<string, unknown> };
    assert.deepEqual(doc.mcpServers, { br: { command: "npx", args: ["br", "mcp", "serve"] } });
  });

  it("gemini: .gemini/settings.json gains mcpServers.br next to the user's settings", () => {
    const cwd = initializedRepo();
    mkdirSync(join(cwd, ".gemini"));
    writeFileSync(join(cwd, ".gemini", "settings.json"), '{\n  // theirs\n  "general": { "maxAttempts": 1 }\n}\n');
    brOk(["mcp", "install", "--client", "gemini"], { cwd });
    brOk(["mcp", "install", "--client", "gemini"], { cwd });
    const text = read(cwd, join(".gemini", "settings.json"));
    assert.match(text, /\/\/ theirs/, "comments are kept");
    assert.equal(text.match(/"br": \{/g)?.length, 1);
    assert.match(text, /"maxAttempts": 1/);
  });

  it("codex: prints the command for its user-level config and writes nothing", () => {
    const cwd = initializedRepo();
    const result = brJson<{ command: string; changed: boolean; file?: string }>(["mcp", "install", "--client", "codex", "--json"], { cwd });
    assert.equal(result.command, "codex mcp add br -- br mcp serve");
    assert.equal(result.changed, false);
    assert.equal(result.file, undefined);
    assert.equal(br(["mcp", "install", "--client", "codex"], { cwd }).stdout.split("\n")[0], "Run: codex mcp add br -- br mcp serve");
  });

  it("a .mcp.json that does not parse is refused with its place, and left as it was; an unknown client exits 2", () => {
    const cwd = initializedRepo();
    const broken = '{\n  "mcpServers": {\n    "github": { "command": "gh-mcp" },,\n  }\n}\n';
    writeFileSync(join(cwd, ".mcp.json"), broken);
    const result = br(["mcp", "install"], { cwd });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /\.mcp\.json is not a JSON object/);
    assert.match(result.stderr, /line 3/);
    assert.equal(read(cwd, ".mcp.json"), broken);
    const unknown = br(["mcp", "install", "--client", "cursor"], { cwd });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /claude, codex, gemini/);
  });
});
