// The Node.js versions br is developed and tested on, fetched from the npm registry as the
// platform's prebuilt binary package (node-<platform>-<arch>: the binary inside, no install
// script). The system Node may be older than br supports; development and CI never depend on it.
//
//   node scripts/node-runtime.mjs 24 --import tsx bench/run.ts   runs node 24 with these arguments
//   node scripts/node-runtime.mjs 24 --path                      prints the binary's path
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";

/** Exact versions, so every machine tests on the same Node; raise them on purpose. */
export const NODE_VERSIONS = { 22: "22.23.5", 24: "24.22.3" };

const root = resolve(import.meta.dirname, "..");
const cacheDir = join(root, "node_modules", ".cache", "br-node");

/** The path of the node binary for a major version, installing it on first use. */
export function nodeBinary(major) {
  const version = NODE_VERSIONS[major];
  if (!version) throw new Error(`No pinned Node.js ${major}; known: ${Object.keys(NODE_VERSIONS).join(", ")}.`);
  const packageName = `node-${process.platform === "win32" ? "win" : process.platform}-${process.arch}`;
  const dir = join(cacheDir, version);
  const binary = join(dir, "node_modules", packageName, "bin", process.platform === "win32" ? "node.exe" : "node");
  if (existsSync(binary)) return binary;
  // Install beside, then rename: an interrupted download never leaves a half binary in place.
  const partial = `${dir}.${process.pid}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const args = ["install", "--prefix", partial, "--no-save", "--no-package-lock", "--ignore-scripts", "--no-audit", "--no-fund"];
  const result = spawnSync(npm, [...args, `${packageName}@${version}`], { stdio: ["ignore", "ignore", "inherit"] });
  if (result.status !== 0) throw new Error(`Could not install ${packageName}@${version} from the npm registry.`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  return binary;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [major, ...rest] = process.argv.slice(2);
  const binary = nodeBinary(major);
  if (rest[0] === "--path") {
    console.log(binary);
  } else {
    const result = spawnSync(binary, rest, { stdio: "inherit" });
    process.exit(result.status ?? 1);
  }
}
