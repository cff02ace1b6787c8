/**
 * Runs a guide's runnable blocks (doc-blocks.ts) as a reader would type them: in order, in one fresh
 * folder, with `br` on the PATH as the built binary, a home of its own with a git identity, and no
 * colour. A block's `cd` carries over to the next one (variables do not). Each block has a deadline.
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join, relative } from "node:path";
import { type DocBlock, outputMismatch, runnableBlocks } from "./doc-blocks.ts";
import { BR, tempDir } from "./helpers.ts";

const ROOT = join(import.meta.dirname, "..");
const BLOCK_DEADLINE_MS = 4 * 60_000;

export interface DocEnvironment {
  /** Folder of programs put first on the PATH (br, and any agent CLI wrapper). */
  bin: string;
}

/** A PATH folder with `br` (the built binary on this Node). */
export function docEnvironment(): DocEnvironment {
  const bin = tempDir("br-doc-bin-");
  writeFileSync(join(bin, "br"), `#!/bin/sh\nexec "${process.execPath}" "${BR}" "$@"\n`);
  chmodSync(join(bin, "br"), 0o755);
  return { bin };
}

/** Each guide's reader has a home of their own, with a git identity, so no guide depends on another. */
function readerHome(): string {
  const home = tempDir("br-doc-home-");
  writeFileSync(
    join(home, ".gitconfig"),
    "[user]\n\tname = Doc Reader\n\temail = reader@example.invalid\n[init]\n\tdefaultBranch = main\n",
  );
  return home;
}

export interface BlockFailure {
  block: DocBlock;
  why: string;
}

function shellEnv(environment: DocEnvironment): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: readerHome(),
    NO_COLOR: "1",
    PATH: [environment.bin, dirname(process.execPath), process.env.PATH ?? ""].join(delimiter),
  };
  // Nothing of the machine running the tests: br's switches, git's and XDG's settings, telemetry opt-outs.
  for (const key of Object.keys(env))
    if (/^(BR_|GIT_|XDG_|NODE_TEST_CONTEXT$|NODE_OPTIONS$|FORCE_COLOR$|DO_NOT_TRACK$)/.test(key)) delete env[key];
  return env;
}

/** Runs a shell script without blocking this process (a model-API server in it must keep answering). */
function shell(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; output: string; why?: string }> {
  return new Promise((done) => {
    if (!existsSync(cwd)) return done({ status: null, output: "", why: `the folder it runs in (${cwd}) is gone` });
    const child = spawn("bash", ["-c", script], { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let output = "";
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding("utf8"); // a character split between two chunks stays whole
      stream.on("data", (chunk: string) => {
        output += chunk;
      });
    }
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL"); // the block's own group only, never ours
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(killGroup, BLOCK_DEADLINE_MS);
    child.on("error", (error) => {
      clearTimeout(timer);
      done({ status: null, output, why: `bash could not start: ${error.message}` });
    });
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      done({ status, output, ...(signal ? { why: `it was killed (${signal})` } : {}) });
    });
  });
}

async function runBlock(block: DocBlock, state: string, env: NodeJS.ProcessEnv): Promise<BlockFailure | undefined> {
  const cwdFile = join(state, "cwd");
  // One pipe for both streams, so what the guide shows is in the order the reader sees it.
  const script = ["exec 2>&1", "set -eo pipefail", `trap 'pwd > "${cwdFile}"' EXIT`, block.code, ""].join("\n");
  const result = await shell(script, readFileSync(cwdFile, "utf8").trim(), env);
  const output = result.output;
  const shown = `\n--- what it printed ---\n${output.trimEnd()}\n---`;
  if (result.status === null) return { block, why: `${result.why ?? `it did not finish within ${BLOCK_DEADLINE_MS / 1000} s`}${shown}` };
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
