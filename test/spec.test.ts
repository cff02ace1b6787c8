import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { br, tempDir } from "./helpers.ts";

const root = join(import.meta.dirname, "..");
const spec = readFileSync(join(root, "docs", "spec.md"), "utf8");

/** Each `br …` command the contract names, with whether it sits in a part marked *(planned)*. */
function namedCommands(): Map<string, boolean> {
  const commands = new Map<string, boolean>();
  let sectionPlanned = false;
  let bulletPlanned = false;
  for (const line of spec.split("\n")) {
    if (line.startsWith("#")) sectionPlanned = line.includes("*(planned)*");
    if (/^- /.test(line) || line.trim() === "") bulletPlanned = line.startsWith("- *(planned)*");
    // `br features start|complete|block <id>` names three commands.
    for (const match of line.matchAll(/`br((?: [a-z][a-z-]*(?:\|[a-z][a-z-]*)*)+)/g)) {
      const [first = "", second] = (match[1] as string).trim().split(" ");
      const planned = sectionPlanned || bulletPlanned;
      for (const alternative of second === undefined ? [undefined] : second.split("|")) {
        const words = alternative === undefined ? first : `${first} ${alternative}`;
        commands.set(words, (commands.get(words) ?? true) && planned);
      }
    }
  }
  return commands;
}

/** Command names listed under "Commands:" in a help text. */
function listedCommands(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1] ?? "";
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1] as string).filter((name) => name !== "help");
}

/** Every command and subcommand br has, read from its own help (one call per group). */
function knownCommands(cwd: string): Set<string> {
  const known = new Set<string>(["help"]); // br help [topic]: commander's own command, taken over for the guides
  for (const command of listedCommands(br(["--help"], { cwd }).stdout)) {
    known.add(command);
    for (const sub of listedCommands(br([command, "--help"], { cwd }).stdout)) known.add(`${command} ${sub}`);
  }
  return known;
}

/** Whether br has the command `words`: `br tasks done` is a subcommand; `br init my-app` is `init` with an argument. */
function exists(known: Set<string>, words: string): boolean {
  if (known.has(words)) return true;
  const [first, second] = words.split(" ") as [string, string | undefined];
  const isGroup = [...known].some((k) => k.startsWith(`${first} `));
  return second !== undefined && known.has(first) && !isGroup;
}

describe("docs/spec.md, the contract that ships with the package", () => {
  it("names only commands br has, and marks the rest *(planned)*; a planned one that exists must lose its mark", () => {
    const known = knownCommands(tempDir());
    assert.ok(known.has("features add") && known.has("security check"), [...known].join(", "));
    const commands = namedCommands();
    assert.ok(commands.size > 30, `found ${commands.size} commands`);
    const missing: string[] = [];
    const builtButPlanned: string[] = [];
    for (const [words, planned] of commands) {
      if (!planned && !exists(known, words)) missing.push(words);
      if (planned && exists(known, words)) builtButPlanned.push(words);
    }
    assert.deepEqual(missing, [], "commands the spec names as present must exist");
    assert.deepEqual(builtButPlanned, [], "commands marked planned that now exist");
  });

  it("states the Node.js versions package.json requires", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { engines: { node: string } };
    assert.equal(pkg.engines.node, "^22.13 || >=23.4");
    assert.match(spec, /Node\.js >= 22\.13 \(22 maintenance LTS, 24 active LTS; 23 from 23\.4\)/);
  });
});
