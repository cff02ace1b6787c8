import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { describe, it } from "node:test";
import { git, tempDir, tempRepo } from "./helpers.ts";

const root = join(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
// What npm runs when it installs a package from the registry (`prepare` only for git and folder
// installs, which npm still flags for the package installed itself).
const INSTALL_SCRIPTS = ["preinstall", "install", "postinstall"];

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) {
  const result = spawnSync(command, args, { ...options, encoding: "utf8", timeout: 180_000 });
  const output = `${result.stdout}\n${result.stderr}`;
  assert.equal(result.status, 0, `${command} ${args.join(" ")} exited ${result.status}\n${output}`);
  return output;
}

/** Every package.json in an installed tree, with the path it was found at. */
function installedPackages(dir: string, out: { path: string; manifest: Record<string, unknown> }[] = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) installedPackages(full, out);
    else if (entry.name === "package.json") {
      out.push({ path: full, manifest: JSON.parse(readFileSync(full, "utf8")) as Record<string, unknown> });
    }
  }
  return out;
}

/** oxc's parser ships one npm package per platform holding its compiled binary: installed as is, never built. */
const PREBUILT_BINARY = /(?:^|[\\/])node_modules[\\/]@oxc-parser[\\/]binding-[\w-]+[\\/][\w.-]+\.node$/;

function nativeFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((p) => p.endsWith(".node") || p.endsWith("binding.gyp"));
}

describe("the published package", () => {
  it("installs globally with npm's default settings (no install script, no native build) and runs br init and br demo", () => {
    const work = tempDir();
    // --ignore-scripts: `prepack` would rebuild dist/ while other tests run it; the suite built it already.
    run("npm", ["pack", "--ignore-scripts", "--pack-destination", work], { cwd: root });
    const tarball = join(work, `buildrunner-${pkg.version}.tgz`);
    const prefix = join(work, "prefix");
    const started = Date.now();
    // npm's defaults: no user .npmrc or npm_config_* settings (allow-scripts among them) reach this install.
    const userconfig = join(work, "empty-npmrc");
    writeFileSync(userconfig, "");
    const npmEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_config_/i.test(name)));
    const install = run("npm", ["install", "--global", "--prefix", prefix, "--no-audit", "--no-fund", tarball], {
      cwd: work,
      env: { ...npmEnv, npm_config_userconfig: userconfig },
    });
    console.log(`# global install from the tarball took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.doesNotMatch(install, /install.scripts|allow.?scripts|gyp/i, "npm has no install script to warn about");

    const lib = join(prefix, "lib", "node_modules", "buildrunner");
    for (const { path, manifest } of installedPackages(lib)) {
      const scripts = (manifest.scripts ?? {}) as Record<string, string>;
      const own = path === join(lib, "package.json");
      const found = [...INSTALL_SCRIPTS, ...(own ? ["prepare"] : [])].filter((name) => name in scripts);
      assert.deepEqual(found, [], `${path} has install scripts`);
    }
    const native = nativeFiles(lib);
    assert.deepEqual(
      native.filter((p) => !PREBUILT_BINARY.test(p)),
      [],
      "no native addon build; native code only as oxc's prebuilt binary for this platform, from npm",
    );
    assert.ok(existsSync(join(lib, "docs", "spec.md")), "the contract ships with the package");

    // The installed `br` runs on the `node` the PATH finds: the one these tests run on.
    const path = [join(prefix, "bin"), dirname(process.execPath), process.env.PATH].join(delimiter);
    const env = { ...process.env, NO_COLOR: "1", PATH: path };
    assert.equal(run("br", ["--version"], { cwd: work, env }).trim(), pkg.version);
    const project = tempRepo();
    run("br", ["init", "packaged"], { cwd: project, env });
    assert.ok(existsSync(join(project, ".buildrunner", "features.json")));
    const demo = join(tempDir(), "demo");
    assert.match(run("br", ["demo", demo], { cwd: work, env }), /Demo finished/);
    assert.equal(git(demo, "log", "--oneline").trim().split("\n").length > 1, true, "the demo committed its verified tasks");
    // The guides ship too, and the installed br finds them.
    assert.match(run("br", ["help", "getting-started"], { cwd: work, env }), /^Getting started\n/);
    assert.match(run("br", ["help"], { cwd: work, env }), /troubleshooting +Troubleshooting/);
  });
});
