/**
 * The pre-commit hook's cost to a commit: a real `git commit` of 200 staged files in a BuildRunner
 * project with the hook `br hooks install` writes (one br: `br hooks run pre-commit`), against the
 * same commit without hooks (`--no-verify`, the baseline) and with the hook br wrote before (two
 * br processes: `br security check --staged` then `br quality check --staged --only <fast gates>`),
 * in the same run. Each round commits once each way, in turn, on the same index, and undoes the
 * commit; the figures are medians over rounds, and the added time is the median of each round's
 * difference to its own baseline (paired). Aim (issue 19): under 0.5 s added.
 *
 *   node scripts/node-runtime.mjs 24 --import tsx bench/hook.ts     (BENCH_HOOK_RUNS rounds, default 9;
 *   BENCH_RECORD=1 stores the figures in bench/peer-results.json)
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BR, record } from "./measure.ts";

const FILES = 200;
const AIM_MS = 500;
const FAST_GATES = "complexity,function-length,file-length";

interface Sample {
  wallMs: number;
  /** User + system CPU of git and everything it ran (the hook and its br processes). */
  cpuMs: number;
}

type Way = "baseline" | "hook" | "twoProcesses";

function run(cwd: string, command: string, args: string[]): string {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.status}: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** A BuildRunner project with one commit, the hook installed, and 200 files of ordinary code staged. */
function benchRepo(): string {
  const repo = mkdtempSync(join(tmpdir(), "br-hook-bench-"));
  run(repo, "git", ["init", "-q"]);
  const identity: [string, string][] = [
    ["user.email", "bench@example.invalid"],
    ["user.name", "Bench"],
    ["commit.gpgsign", "false"],
  ];
  for (const [key, value] of identity) run(repo, "git", ["config", key, value]);
  run(repo, process.execPath, [BR, "init", "bench"]);
  run(repo, "git", ["add", "-A"]);
  run(repo, "git", ["commit", "-q", "--no-verify", "-m", "project"]);
  run(repo, process.execPath, [BR, "hooks", "install"]);
  for (let i = 0; i < FILES; i++) {
    const lines = Array.from(
      { length: 80 },
      (_, j) => `export function handler${i}_${j}(request) { return { status: 200, body: request.body?.items?.[${j}] ?? null }; }`,
    );
    writeFileSync(join(repo, `module${i}.js`), `${lines.join("\n")}\n`);
  }
  run(repo, "git", ["add", "-A"]);
  return repo;
}

/** The hook br installed before it ran as one process: the scan, then the fast gates, each its own br. */
function twoProcessHooks(repo: string): string {
  const dir = join(repo, ".git", "two-process-hooks");
  mkdirSync(dir, { recursive: true });
  const br = `'${process.execPath}' '${BR}'`;
  const hook = `#!/bin/sh\n${br} security check --staged && ${br} quality check --staged --only ${FAST_GATES} || exit $?\n`;
  writeFileSync(join(dir, "pre-commit"), hook, { mode: 0o755 });
  return dir;
}

/** One commit of what is staged, timed (wall and CPU), then undone so the next one commits the same index. */
function commitOnce(repo: string, way: Way, oldHooks: string): Sample {
  const args =
    way === "baseline"
      ? ["commit", "-q", "--no-verify", "-m", "bench"]
      : way === "hook"
        ? ["commit", "-q", "-m", "bench"]
        : ["-c", `core.hooksPath=${oldHooks}`, "commit", "-q", "-m", "bench"];
  const started = process.hrtime.bigint();
  // /usr/bin/time reports the CPU of git and every process it waited for: the hook and its br.
  const result = spawnSync("/usr/bin/time", ["-f", "%U %S", "git", ...args], {
    cwd: repo,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`git commit (${way}) exited ${result.status}: ${result.stderr}${result.stdout}`);
  const [user = 0, system = 0] = (result.stderr.trim().split("\n").at(-1) ?? "").split(" ").map(Number);
  run(repo, "git", ["reset", "-q", "--soft", "HEAD~1"]);
  return { wallMs, cpuMs: (user + system) * 1000 };
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export function hookBenchmark(): void {
  const repo = benchRepo();
  try {
    const oldHooks = twoProcessHooks(repo);
    const ways: Way[] = ["baseline", "hook", "twoProcesses"];
    for (const way of ways) commitOnce(repo, way, oldHooks); // warm-up: caches, Node's compile cache
    const rounds = Number(process.env.BENCH_HOOK_RUNS ?? 9);
    const samples: Record<Way, Sample[]> = { baseline: [], hook: [], twoProcesses: [] };
    for (let round = 0; round < rounds; round++) {
      // The order turns each round, so no way always runs right after another.
      for (let k = 0; k < ways.length; k++) {
        const way = ways[(round + k) % ways.length] as Way;
        samples[way].push(commitOnce(repo, way, oldHooks));
      }
    }
    report(samples, statSync(join(repo, "module0.js")).size, rounds);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}

function report(samples: Record<Way, Sample[]>, fileBytes: number, rounds: number): void {
  const added = (way: Way, of: keyof Sample) => median(samples[way].map((s, i) => s[of] - (samples.baseline[i] as Sample)[of]));
  const row = (name: string, way: Way) => {
    const wall = median(samples[way].map((s) => s.wallMs));
    const cpu = median(samples[way].map((s) => s.cpuMs));
    const extra =
      way === "baseline" ? "" : `   added ${added(way, "wallMs").toFixed(0).padStart(5)} ms (CPU ${added(way, "cpuMs").toFixed(0)} ms)`;
    console.log(`  ${name.padEnd(52)} ${wall.toFixed(0).padStart(6)} ms  CPU ${cpu.toFixed(0).padStart(5)} ms${extra}`);
  };
  console.log(
    `\nPre-commit hook: git commit of ${FILES} staged files (${(fileBytes / 1024).toFixed(1)} KB each) in a BuildRunner project, medians of ${rounds} paired rounds`,
  );
  row("git commit --no-verify (baseline, no hook)", "baseline");
  row("git commit, hook: br hooks run pre-commit (1 process)", "hook");
  row("git commit, earlier hook: security + quality (2 br)", "twoProcesses");
  const hookAdded = added("hook", "wallMs");
  const oldAdded = added("twoProcesses", "wallMs");
  console.log(`  ratio: the one-process hook adds ${(hookAdded / oldAdded).toFixed(2)}x the time the two-process hook added`);
  console.log(
    `  aim: under ${AIM_MS / 1000} s added (median): ${hookAdded < AIM_MS ? "met" : "missed"} (${(hookAdded / 1000).toFixed(2)} s)`,
  );
  const figures = (way: Way) => ({ addedMs: Math.round(added(way, "wallMs")), addedCpuMs: Math.round(added(way, "cpuMs")) });
  record("preCommitHook", {
    files: FILES,
    rounds,
    baselineMs: Math.round(median(samples.baseline.map((s) => s.wallMs))),
    hook: figures("hook"),
    twoProcessHook: figures("twoProcesses"),
    aimMs: AIM_MS,
    aimMet: hookAdded < AIM_MS,
  });
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) hookBenchmark();
