/**
 * `br quality check` against its peer, Biome's complexity lint, on the same tree of 8,000+ real
 * JavaScript and TypeScript files: this project's node_modules (the choice of bench/measures.ts, up
 * to 1 MiB each), laid flat as there so that no dist/ or test/ folder hides a file from br, compiled
 * files without their source map link (br skips those as generated) and `x.test.js` renamed
 * `x-test.js`. The tree then holds only files br measures as source, so both tools read the same
 * files. Biome runs `biome lint` with `noExcessiveCognitiveComplexity` on and every other rule off
 * (a biome.json written into the tree); br runs a full `br quality check` (no commands configured:
 * its own measures, complexity, lengths and duplication).
 * Paired runs (br then Biome, BENCH_PEER_RUNS times, default 3, after one warm-up each), medians of
 * CPU time (user + sys from /usr/bin/time, children included) and of wall time.
 * Aim (issue 19): br's CPU time at most Biome's.
 * BENCH_PEER_KEEP=1 keeps the tree and prints where it is (for profiling with --cpu-prof).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { codeFiles } from "../src/quality/files.ts";
import { BR } from "./measure.ts";
import { candidates } from "./measures.ts";

const ROOT = resolve(import.meta.dirname, "..");
const MIN_FILES = 8000;
/** br's own limit: a larger file is not measured. */
const MAX_BYTES = 1024 * 1024;
const SOURCE_MAP_LINK = /\/\/# sourceMappingURL=\S+\s*$/;
const TIME = "/usr/bin/time";

export interface PeerTree {
  dir: string;
  files: number;
  bytes: number;
}

/** A fresh git repository, `br init`ed, holding only the node_modules sources br measures. */
export function peerTree(): PeerTree {
  const dir = mkdtempSync(join(tmpdir(), "br-quality-peer-"));
  try {
    return { dir, ...fillTree(dir) };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function fillTree(dir: string): { files: number; bytes: number } {
  candidates(MAX_BYTES).forEach((entry, i) => {
    const folder = join(dir, "packages", String(i % 64));
    mkdirSync(folder, { recursive: true });
    // Compiled files are real code too: without their source map link br measures them. A test named
    // as one (x.test.js) becomes a plain source file (x-test.js): the same code for both tools to read.
    const name = entry.replace(/[\\/]/g, "__").replace(/\.(test|spec)\./, "-$1.");
    const text = readFileSync(join(ROOT, "node_modules", entry), "utf8").replace(SOURCE_MAP_LINK, "");
    writeFileSync(join(folder, name), text);
  });
  spawnSync("git", ["init", "-q"], { cwd: dir });
  // Tests, fixtures, generated and skipped files are not measured: remove them so Biome reads the same files.
  const measured = new Set(
    codeFiles(dir)
      .filter((f) => f.role === "source")
      .map((f) => f.path),
  );
  let bytes = 0;
  const listed = spawnSync("git", ["ls-files", "-z", "--others"], { cwd: dir, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  for (const path of listed.stdout.split("\0").filter(Boolean)) {
    if (measured.has(path)) bytes += readFileSync(join(dir, path)).length;
    else unlinkSync(join(dir, path));
  }
  if (measured.size < MIN_FILES) throw new Error(`only ${measured.size} measured source files in node_modules; need ${MIN_FILES}`);
  run(process.execPath, [BR, "init", "peer"], dir);
  // Third-party code breaks the default limits; the timing is the same, and a passing check exits 0.
  for (const [key, value] of [
    ["gates.complexity", "100000"],
    ["gates.functionLines", "100000"],
    ["gates.fileLines", "100000"],
    ["gates.duplication", "100"],
  ] as const)
    run(process.execPath, [BR, "config", "set", key, value], dir);
  writeFileSync(join(dir, "biome.json"), `${JSON.stringify(BIOME_CONFIG, null, 2)}\n`);
  run("git", ["add", "-A"], dir);
  run("git", ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "-qm", "tree"], dir);
  return { files: measured.size, bytes };
}

/** Biome's complexity rule alone (its default limit, 15, is br's default too), no formatter or assists. */
const BIOME_CONFIG = {
  vcs: { enabled: false },
  files: { includes: ["packages/**"], ignoreUnknown: true },
  formatter: { enabled: false },
  assist: { enabled: false },
  linter: {
    enabled: true,
    rules: {
      recommended: false,
      complexity: { noExcessiveCognitiveComplexity: { level: "warn", options: { maxAllowedComplexity: 15 } } },
    },
  },
};

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.status}: ${result.stderr.slice(0, 500)}`);
  return result.stdout;
}

/** Biome's own binary (not the npm wrapper's extra Node process). */
function biomeBinary(): string {
  const require = createRequire(join(ROOT, "package.json"));
  const exe = process.platform === "win32" ? ".exe" : "";
  try {
    return require.resolve(`@biomejs/cli-${process.platform}-${process.arch}/biome${exe}`);
  } catch {
    return join(ROOT, "node_modules", ".bin", "biome");
  }
}

interface Timing {
  cpuMs: number;
  wallMs: number;
  rssMb: number;
  stdout: string;
}

/** One run under /usr/bin/time: CPU of the process and the children it waited for. */
function timed(command: string, args: string[], cwd: string, okCodes: readonly number[]): Timing {
  const started = process.hrtime.bigint();
  const result = spawnSync(TIME, ["-f", "%U %S %M", command, ...args], {
    cwd,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: "1" },
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (!okCodes.includes(result.status ?? -1))
    throw new Error(`${command} ${args.join(" ")} exited ${result.status}: ${result.stderr.slice(-800)}`);
  const [user, sys, rss] = (result.stderr.trim().split("\n").at(-1) ?? "").split(" ").map(Number);
  if (user === undefined || sys === undefined || rss === undefined || [user, sys, rss].some(Number.isNaN))
    throw new Error(`no timing from ${TIME}: ${result.stderr.slice(-300)}`);
  return { cpuMs: (user + sys) * 1000, wallMs, rssMb: rss / 1024, stdout: result.stdout };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function qualityPeerBenchmark(): void {
  if (!existsSync(TIME)) {
    console.log(`\nbr quality check vs Biome: skipped (${TIME} is needed to measure CPU time)`);
    return;
  }
  const runs = Number(process.env.BENCH_PEER_RUNS ?? 3);
  const tree = peerTree();
  try {
    const biome = biomeBinary();
    const version = run(biome, ["--version"], tree.dir).trim();
    const brArgs = [BR, "quality", "check", "--json"];
    const biomeArgs = ["lint", "--max-diagnostics=0", "packages"];
    const br = () => timed(process.execPath, brArgs, tree.dir, [0]);
    const peer = () => timed(biome, biomeArgs, tree.dir, [0, 1]);
    const first = br();
    peer();
    const brRuns: Timing[] = [];
    const biomeRuns: Timing[] = [];
    for (let i = 0; i < runs; i++) {
      brRuns.push(br());
      biomeRuns.push(peer());
    }
    const gate = (JSON.parse(first.stdout) as { gates: { name: string; details: string[] }[] }).gates.find((g) => g.name === "complexity");
    const brCpu = median(brRuns.map((r) => r.cpuMs));
    const biomeCpu = median(biomeRuns.map((r) => r.cpuMs));
    const brWall = median(brRuns.map((r) => r.wallMs));
    const biomeWall = median(biomeRuns.map((r) => r.wallMs));
    const row = (name: string, cpu: number, wall: number, rss: number) =>
      `  ${name.padEnd(22)} ${`${(cpu / 1000).toFixed(2)} s`.padStart(9)} ${`${(wall / 1000).toFixed(2)} s`.padStart(9)} ${`${rss.toFixed(0)} MB`.padStart(9)}`;
    console.log(
      `\nbr quality check vs Biome (${version}) complexity lint: ${tree.files} files, ${(tree.bytes / 1024 / 1024).toFixed(1)} MiB of node_modules JS/TS, ${runs} paired runs, medians`,
    );
    console.log(`  ${gate?.details[0] ?? "(no complexity gate)"}`);
    console.log(`  ${"command".padEnd(22)} ${"CPU".padStart(9)} ${"wall".padStart(9)} ${"peak RSS".padStart(9)}`);
    console.log(row("br quality check", brCpu, brWall, Math.max(...brRuns.map((r) => r.rssMb))));
    console.log(row("biome lint", biomeCpu, biomeWall, Math.max(...biomeRuns.map((r) => r.rssMb))));
    console.log(
      `  br / Biome: CPU ${(brCpu / biomeCpu).toFixed(2)}x, wall ${(brWall / biomeWall).toFixed(2)}x  (aim br CPU ≤ Biome CPU: ${brCpu <= biomeCpu ? "met" : "missed"})`,
    );
  } finally {
    if (process.env.BENCH_PEER_KEEP === "1") console.log(`  tree kept at ${tree.dir}`);
    else rmSync(tree.dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) qualityPeerBenchmark();
