/**
 * `br help <topic>` (src/cli/guides.ts): the guides of docs/ in the terminal, from the built
 * binary, the same text as the files; `br help` lists them; a command's help and commander's
 * suggestions are unchanged.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { renderGuide } from "../src/cli/guides.ts";
import { br, tempDir } from "./helpers.ts";

const DOCS = join(import.meta.dirname, "..", "docs");
const topicOf = (file: string) => (file === "spec.md" ? "contract" : file.replace(/\.md$/, ""));
const files = readdirSync(DOCS).filter((name) => name.endsWith(".md") && name !== "README.md");

describe("br help <topic>", () => {
  const cwd = tempDir();

  it("lists every guide of docs/ with its title, after the commands", () => {
    const { code, stdout } = br(["help"], { cwd });
    assert.equal(code, 0);
    assert.match(stdout, /Commands:[\s\S]*Guides \(br help <topic>\):/);
    for (const file of files) {
      const title = /^# (.+)$/m.exec(readFileSync(join(DOCS, file), "utf8"))?.[1] ?? "";
      assert.match(stdout, new RegExp(`^  ${topicOf(file)} +${title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"), file);
    }
    assert.ok(stdout.indexOf("  getting-started") < stdout.indexOf("  troubleshooting"), "in reading order");
  });

  it("prints each guide as the file says it, in any folder", () => {
    for (const file of files) {
      const { code, stdout } = br(["help", topicOf(file)], { cwd });
      assert.equal(code, 0, file);
      assert.equal(stdout.split("\nThe command's options:")[0], renderGuide(readFileSync(join(DOCS, file), "utf8")), file);
    }
  });

  it("points a topic that is also a command at the command's options, and leaves command help alone", () => {
    const quality = br(["help", "quality"], { cwd });
    assert.match(quality.stdout, /^Quality gates and gaps\n/);
    assert.match(quality.stdout, /The command's options: br quality --help\n$/);
    assert.match(br(["help", "features"], { cwd }).stdout, /^Usage: br features \[options\] \[command\]/);
    const typo = br(["help", "getting-startd"], { cwd });
    assert.equal(typo.code, 2);
    assert.match(br(["-C", cwd, "help", "workflow"], { cwd }).stdout, /^A day with br\n/, "after a global option too");
  });

  it("reads fences as the doc tests do: backticks inside a tilde fence are code, inline backticks are prose", () => {
    assert.equal(
      renderGuide("~~~md\n```sh\nbr x\n```\n~~~\n```` ```sh doctest ```` marks one.\n"),
      "    ```sh\n    br x\n    ```\n```` ```sh doctest ```` marks one.\n",
    );
  });

  it("makes markdown readable: no fences, code indented, links named by topic or address", () => {
    const text = renderGuide(
      "# Title\n\nSee [the loop](build-loop.md#reference), [Node](https://nodejs.org) and [changes](../CHANGELOG.md).\n\n```sh doctest\nbr status\n```\n\n<!-- generated: x -->\n![The board](images/dashboard.png)\n",
    );
    assert.equal(
      text,
      "Title\n\nSee the loop (br help build-loop), Node <https://nodejs.org> and changes (CHANGELOG.md in the package).\n\n    br status\n\n[picture: The board (docs/images/dashboard.png)]\n",
    );
  });
});
