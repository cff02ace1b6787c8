/**
 * Runs a guide's runnable blocks (doc-blocks.ts) as a reader would type them: in order, in one fresh
 * folder, with `br` on the PATH as the built binary, a home of its own with a git identity, and no
 * colour. A block's `cd` carries over to the next one (variables do not). Each block has a deadline.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join, relative } from "node:path";
import { type DocBlock, outputMismatch, runnableBlocks } from "./doc-blocks.ts";
import { BR, tempDir } from "./helpers.ts";

const ROOT = join(import.meta.dirname, "..");
const BLOCK_DEADLINE_MS = 4 * 60_000;

export interface DocEnvironment {
  /** Folder of programs put first on the PATH (br, and any agent CLI wrapper). */
  bin: string;
  home: string;
}

/** A PATH folder with `br` (the built binary on this Node) and a home with a git identity. */
export function docEnvironment(): DocEnvironment {
  const bin = tempDir("br-doc-bin-");
  const home = tempDir("br-doc-home-");
  writeFileSync(join(bin, "br"), `#!/bin/sh\nexec "${process.execPath}" "${BR}" "$@"\n`);
  chmodSync(join(bin, "br"), 0o755);
  writeFileSync(
    join(home, ".gitconfig"),
    "[user]\n\tname = Doc Reader\n\temail = reader@example.invalid\n[init]\n\tdefaultBranch = main\n",
  );
  return { bin, home };
}

export interface BlockFailure {
  block: DocBlock;
  why: string;
}

function shellEnv(environment: DocEnvironment): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: environment.home,
    NO_COLOR: "1",
    PATH: [environment.bin, dirname(process.execPath), process.env.PATH ?? ""].join(delimiter),
  };
  for (const key of ["NODE_TEST_CONTEXT", "FORCE_COLOR", "GIT_DIR", "GIT_WORK_TREE", "BR_QUEUE_URL"]) delete env[key];
  return env;
}

/** Runs a shell script without blocking this process (a model-API server in it must keep answering). */
function shell(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn("bash", ["-c", script], { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    // The whole process group: an agent the block started must not outlive the deadline.
    const timer = setTimeout(() => process.kill(-(child.pid ?? 0), "SIGKILL"), BLOCK_DEADLINE_MS);
    child.on("close", (status) => {
      clearTimeout(timer);
      done({ status, output });
    });
  });
}

async function runBlock(block: DocBlock, state: string, env: NodeJS.ProcessEnv): Promise<BlockFailure | undefined> {
  const cwdFile = join(state, "cwd");
  const script = ["set -eo pipefail", `cd "$(cat '${cwdFile}')"`, `trap 'pwd > "${cwdFile}"' EXIT`, block.code, ""].join("\n");
  const result = await shell(script, readFileSync(cwdFile, "utf8").trim(), env);
  const output = result.output;
  const shown = `\n--- what it printed ---\n${output.trimEnd()}\n---`;
  if (result.status === null) return { block, why: `it did not finish within ${BLOCK_DEADLINE_MS / 1000} s${shown}` };
  if (result.status !== block.exit) return { block, why: `it exited ${result.status}; the guide expects ${block.exit}${shown}` };
  const mismatch = block.output ? outputMismatch(block.output.lines, output) : undefined;
  return mismatch ? { block, why: `${mismatch} (output block at line ${block.output?.line})${shown}` } : undefined;
}

/** Runs every runnable block of the guide at `path`, stopping at the first that fails (later ones build on it). */
export async function runGuide(path: string, environment: DocEnvironment): Promise<{ blocks: number; failure?: BlockFailure }> {
  const file = relative(ROOT, path);
  const blocks = runnableBlocks(readFileSync(path, "utf8"), file);
  const work = tempDir("br-doc-work-");
  const state = join(tempDir("br-doc-state-"), "s");
  mkdirSync(state);
  writeFileSync(join(state, "cwd"), work);
  const env = shellEnv(environment);
  for (const block of blocks) {
    const failure = await runBlock(block, state, env);
    if (failure) return { blocks: blocks.length, failure };
  }
  return { blocks: blocks.length };
}

export const describeFailure = (failure: BlockFailure): string => `${failure.block.file}:${failure.block.line}: ${failure.why}`;
