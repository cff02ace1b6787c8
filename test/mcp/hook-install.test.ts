/**
 * `br hooks install --agent claude|codex`: br verify --hook as the agent's Stop hook, in the
 * project's settings, next to the user's own hooks; run again (or with other flags) it updates its
 * entry in place rather than adding a second.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { br, brJson, brOk, initializedRepo } from "../helpers.ts";

interface Settings {
  permissions?: unknown;
  hooks: Record<string, { matcher?: string; hooks: { type: string; command: string; timeout?: number }[] }[]>;
}

const settings = (cwd: string, file: string) => JSON.parse(readFileSync(join(cwd, file), "utf8")) as Settings;

describe("br hooks install --agent", () => {
  it("claude: one Stop hook running br verify --hook, the user's hooks and permissions kept, updated in place", () => {
    const cwd = initializedRepo();
    mkdirSync(join(cwd, ".claude"));
    const theirs = {
      permissions: { allow: ["Bash(npm test)"] },
      hooks: {
        Stop: [{ hooks: [{ type: "command", command: "notify-send done" }] }],
        PreToolUse: [{ matcher: "Bash", hooks: [{ type: "command", command: "audit-bash" }] }],
      },
    };
    writeFileSync(join(cwd, ".claude", "settings.json"), JSON.stringify(theirs, null, 2));
    const first = brJson<{ file: string; command: string; changed: boolean }>(["hooks", "install", "--agent", "claude", "--json"], { cwd });
    assert.deepEqual(first, {
      agent: "claude",
      file: join(".claude", "settings.json"),
      command: "br verify --hook --agent claude",
      changed: true,
      note: (first as unknown as { note: string }).note,
    });
    brOk(["hooks", "install", "--agent", "claude"], { cwd });
    brOk(["hooks", "install", "--agent", "claude", "--max-blocks", "3"], { cwd });
    const doc = settings(cwd, join(".claude", "settings.json"));
    assert.deepEqual(doc.permissions, theirs.permissions);
    assert.deepEqual(doc.hooks.PreToolUse, theirs.hooks.PreToolUse);
    const commands = (doc.hooks.Stop ?? []).flatMap((g) => g.hooks.map((h) => h.command));
    assert.deepEqual(commands, ["notify-send done", "br verify --hook --agent claude --max-blocks 3"]);
    const ours = doc.hooks.Stop?.[1]?.hooks[0];
    assert.equal(ours?.timeout, 600, "time for the project's tests");
  });

  it("codex: .codex/hooks.json in the format Codex reads, and a note on trusting it", () => {
    const cwd = initializedRepo();
    const result = br(["hooks", "install", "--agent", "codex"], { cwd });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /trust/);
    const doc = settings(cwd, join(".codex", "hooks.json"));
    assert.deepEqual(doc, { hooks: { Stop: [{ hooks: [{ type: "command", command: "br verify --hook --agent codex", timeout: 600 }] }] } });
  });

  it("refuses an unknown agent or a settings file that does not parse, changing nothing", () => {
    const cwd = initializedRepo();
    const unknown = br(["hooks", "install", "--agent", "aider"], { cwd });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /claude, codex/);
    mkdirSync(join(cwd, ".claude"));
    writeFileSync(join(cwd, ".claude", "settings.json"), "{ hooks: ");
    const broken = br(["hooks", "install", "--agent", "claude"], { cwd });
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /settings\.json/);
    assert.equal(readFileSync(join(cwd, ".claude", "settings.json"), "utf8"), "{ hooks: ");
    assert.equal(br(["hooks", "install", "--agent", "claude", "--max-blocks", "0"], { cwd: initializedRepo() }).code, 2);
  });
});
