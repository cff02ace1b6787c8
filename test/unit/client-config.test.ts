/**
 * Editing an agent's JSON settings (src/mcp/client-config.ts): one key set, the rest of the file
 * (other keys, comments) kept; nothing written when nothing changes; a file that is not a JSON
 * object is refused with its place.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BrError } from "../../src/infra/errors.ts";
import { readSettings, setIn, writeSettings } from "../../src/mcp/client-config.ts";
import { tempDir } from "../helpers.ts";

describe("agent settings files", () => {
  it("a missing or empty file reads as an empty object", () => {
    const dir = tempDir();
    assert.deepEqual(readSettings(join(dir, "none.json"), "none.json").data, {});
    writeFileSync(join(dir, "empty.json"), "  \n");
    assert.deepEqual(readSettings(join(dir, "empty.json"), "empty.json").data, {});
  });

  it("sets one key path, keeping comments and the other keys, in the file's indentation", () => {
    const dir = tempDir();
    const path = join(dir, "settings.json");
    writeFileSync(path, '{\n\t// mine\n\t"theme": "dark",\n\t"mcpServers": { "x": { "command": "x" } }\n}\n');
    const file = readSettings(path, "settings.json");
    const text = setIn(file, ["mcpServers", "br"], { command: "br", args: ["mcp", "serve"] });
    assert.match(text, /\/\/ mine/);
    assert.match(text, /\t"theme": "dark"/);
    assert.match(text, /"x": \{/);
    assert.match(text, /\t\t"br": \{/);
    assert.equal(writeSettings(file, text), true);
    const again = readSettings(path, "settings.json");
    assert.equal(writeSettings(again, setIn(again, ["mcpServers", "br"], { command: "br", args: ["mcp", "serve"] })), false);
    assert.equal(readFileSync(path, "utf8"), text);
  });

  it("refuses a file that is not a JSON object, naming the place, without writing", () => {
    const dir = tempDir();
    for (const [name, text, place] of [
      ["array.json", "[1, 2]\n", "line 1"],
      ["broken.json", '{\n  "a": 1,\n  "b": ]\n}\n', "line 3"],
    ] as const) {
      writeFileSync(join(dir, name), text);
      assert.throws(
        () => readSettings(join(dir, name), name),
        (error: unknown) =>
          error instanceof BrError && error.exitCode === 2 && error.file === name && (error.place ?? "").startsWith(place),
      );
      assert.equal(readFileSync(join(dir, name), "utf8"), text);
    }
  });
});
