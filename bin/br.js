#!/usr/bin/env node
import { existsSync } from "node:fs";
import module from "node:module";
import { fileURLToPath } from "node:url";

// Checked before anything else loads: on an older Node, br's code would fail with a syntax or
// missing-module error that says nothing about the real cause. node:sqlite, which holds br's
// state, needs no flag from 22.13 and 23.4 on.
const [major, minor] = process.versions.node.split(".").map(Number);
const supported = major > 23 || (major === 23 && minor >= 4) || (major === 22 && minor >= 13);
if (!supported) {
  process.stderr.write(
    `Error: br needs Node.js 22.13 or newer; this is Node.js ${process.versions.node} (${process.execPath}).\n` +
      "  fix:  Install Node.js 24 (active LTS) or 22 (maintenance LTS) from https://nodejs.org or your version manager\n" +
      "        (nvm install 24, fnm install 24, volta install node@24), then run br again.\n",
  );
  process.exit(2);
}
const cli = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(cli)) {
  // Only a source checkout lacks dist/: the published package always carries it.
  process.stderr.write(`Error: br is not built in this checkout (${fileURLToPath(cli)} is missing).\n  fix:  Run \`npm run build\`.\n`);
  process.exit(2);
}
// Node keeps the compiled bundle on disk (in the temp folder), so later starts skip parsing it.
module.enableCompileCache?.();
import(cli.href).catch((error) => {
  // The CLI reports its own errors; this is only a bundle that cannot load at all.
  process.stderr.write(
    `Error: br could not start: ${error?.message ?? error}\n  fix:  Reinstall br (npm i -g buildrunner), or run \`npm run build\` in a checkout.\n`,
  );
  process.exit(2);
});
