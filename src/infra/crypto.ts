/**
 * node:crypto, loaded on first use. Importing it costs 15-50 ms of a command's start (it is not in
 * Node's start-up snapshot), and most runs never hash or draw a random name: a scan that finds
 * nothing, `br --version`, `br status`.
 */
export function nodeCrypto(): typeof import("node:crypto") {
  return process.getBuiltinModule("node:crypto");
}
