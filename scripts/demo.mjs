// `npm run demo` from a checkout: br's demo on the Node running npm when br supports it, otherwise
// on the pinned Node 24 (see node-runtime.mjs), so the README's first command works on any machine
// that has npm. An installed br (`br demo`) never does this: there an old Node gets br's own message.
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { nodeBinary } from "./node-runtime.mjs";

const [major, minor] = process.versions.node.split(".").map(Number);
const supported = major > 23 || (major === 23 && minor >= 4) || (major === 22 && minor >= 13);
let node = process.execPath;
if (!supported) {
  console.error(
    `Node.js ${process.versions.node} is older than br supports (22.13+): running the demo on the pinned Node 24 from the npm registry.`,
  );
  node = nodeBinary("24");
}
const br = join(resolve(import.meta.dirname, ".."), "bin", "br.js");
const result = spawnSync(node, [br, "demo", ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(result.status ?? 1);
