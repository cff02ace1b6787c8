import { existsSync } from "node:fs";
import * as yaml from "yaml";
import * as z from "zod";
import signals from "../../data/complexity-signals.json" with { type: "json" };
import models from "../../data/models.json" with { type: "json" };
import { secretKinds } from "../security/mask.js";
import { writeFileAtomic } from "./atomic-file.js";
import { EXECUTORS, GATE_NAMES, LADDER_EXECUTORS } from "./config-names.js";
import { BrError, usageError } from "./errors.js";
import { refuseNewerVersion } from "./json-file.js";
import { rememberLoadedConfig } from "./load-config.js";
import { withLock } from "./lock.js";
import { displayPath, type ProjectPaths } from "./project.js";
import { queueUrlProblem } from "./queue-url.js";
import { formatPath, lineAndColumn, problemsFrom, readText } from "./validation.js";

export { EXECUTORS, GATE_NAMES, type GateName, LADDER_EXECUTORS } from "./config-names.js";

import { SEVERITIES } from "./severity.js";

export { SEVERITIES, type Severity } from "./severity.js";

const command = z.string().trim().min(1);

const executorSettings = z.strictObject({
  command: command.optional().describe("Command line; {prompt_file}, {model}, {workdir} and {task_id} are filled in."),
  model: z.string().min(1).optional(),
  args: z.array(z.string()).optional(),
  timeoutSeconds: z.int().positive().optional(),
  recordings: z.string().min(1).optional().describe("replay only: the folder of recorded changes (default .buildrunner/replay)"),
});

const ladderStep = z.strictObject({
  model: z.string().min(1).describe("A model id, or a tier name (haiku, sonnet, opus) for that tier's model."),
  executor: z.enum(LADDER_EXECUTORS).optional().describe("The executor that runs this step (default: the run's executor)."),
  name: z
    .string()
    .min(1)
    .optional()
    .describe("How the journal and `br model stats` name the step (default: the tier name, else step-<n>)."),
});

export const configSchema = z
  .strictObject({
    version: z.literal(1).default(1),
    commands: z
      .strictObject({
        test: command.optional(),
        build: command.optional(),
        lint: command.optional(),
        typecheck: command.optional(),
        coverage: z.string().min(1).optional().describe("A coverage report file to read (lcov, Istanbul, Cobertura, coverage.py JSON)."),
      })
      .prefault({}),
    run: z
      .strictObject({
        executor: z.enum(EXECUTORS).default("claude"),
        maxAttempts: z.int().min(1).max(10).default(2),
        contextTokens: z.int().min(500).max(1_000_000).default(4000),
        timeoutSeconds: z.int().positive().default(1800).describe("How long one executor attempt may take."),
        checkTimeoutSeconds: z.int().positive().default(900).describe("How long each check (tests, build, lint, typecheck) may take."),
        idleTimeoutSeconds: z
          .int()
          .positive()
          .default(900)
          .describe("Stop an agent that prints nothing for this long (a CLI stuck waiting for the network); it is retried like an outage."),
        transientRetries: z
          .int()
          .min(0)
          .max(20)
          .default(4)
          .describe(
            "How often a task is retried on the same tier after a provider outage (429, 5xx, overload, network) before the run stops.",
          ),
        retryDelaySeconds: z
          .number()
          .min(0)
          .default(15)
          .describe("The first pause after an outage; each further one doubles, up to 5 minutes (a Retry-After the CLI reports wins)."),
        commit: z.boolean().default(true).describe("Commit each verified task (and revert a failed attempt's changes)."),
        hooks: z
          .boolean()
          .default(true)
          .describe("Run the repository's git hooks on br's commits; a hook that rejects a commit fails the attempt with its output."),
        maxTaskCost: z.number().positive().optional().describe("Dollars one task may spend across its attempts; no retry past it."),
        protect: z
          .array(z.string().min(1))
          .default([])
          .describe(
            "Globs an attempt may not change unless its task's files name them, beyond the defaults (data/protected-paths.json); `!glob` removes a default.",
          ),
      })
      .prefault({}),
    executors: z.strictObject(Object.fromEntries(EXECUTORS.map((name) => [name, executorSettings.optional()]))).prefault({}),
    gates: z
      .strictObject({
        coverage: z.number().min(0).max(100).default(80).describe("Minimum line coverage, in percent."),
        coverageMaxDrop: z
          .number()
          .min(0)
          .max(100)
          .default(0.5)
          .describe("How many points line coverage may fall below the last recorded full check (100 turns the check off)."),
        complexity: z.int().positive().default(15).describe("Highest cyclomatic complexity allowed for one function."),
        functionLines: z.int().positive().default(80).describe("Longest function allowed, in lines."),
        fileLines: z.int().positive().default(800).describe("Longest source file allowed, in lines."),
        duplication: z.number().min(0).max(100).default(5).describe("Highest share of duplicated code lines, in percent."),
        lintErrors: z.int().min(0).default(0).describe("Lint errors allowed."),
        weights: z
          .partialRecord(z.enum(GATE_NAMES), z.number().min(0))
          .default({})
          .describe(
            "Weight of each gate in the score (defaults: tests 25, coverage 20, build 10, typecheck 10, lint 10, complexity 10, duplication 5, function-length 5, file-length 5).",
          ),
      })
      .prefault({}),
    gaps: z
      .strictObject({
        ignore: z.array(z.string()).default([]).describe("Globs of files gap analysis skips, beyond generated, vendored and ignored ones."),
        tests: z
          .array(z.string())
          .default([])
          .describe("Extra globs that mark test files, beyond the built-in patterns per language (data/test-mapping.json)."),
        untestedMinLines: z.int().min(0).default(10).describe("Source files with fewer code lines than this are not reported as untested."),
      })
      .prefault({}),
    security: z.strictObject({ failOn: z.enum(SEVERITIES).default("high") }).prefault({}),
    routing: z
      .strictObject({
        tiers: z
          .strictObject({
            haiku: z.string().min(1).default(models.tiers.haiku),
            sonnet: z.string().min(1).default(models.tiers.sonnet),
            opus: z.string().min(1).default(models.tiers.opus),
          })
          .prefault({}),
        thresholds: z
          .strictObject({
            sonnet: z
              .int()
              .min(0)
              .max(100)
              .default(signals.thresholds.sonnet)
              .describe("Complexity score (0..100) from which a task goes to sonnet."),
            opus: z.int().min(0).max(100).default(signals.thresholds.opus).describe("Complexity score from which a task goes to opus."),
          })
          .prefault({})
          .superRefine((t, ctx) => {
            if (t.sonnet > t.opus)
              ctx.addIssue({
                code: "custom",
                path: ["sonnet"],
                message: `(${t.sonnet}) must not be above routing.thresholds.opus (${t.opus})`,
                params: {
                  fix: `Lower routing.thresholds.sonnet to ${t.opus} or less, or raise routing.thresholds.opus to ${t.sonnet} or more (br config set routing.thresholds.opus ${t.sonnet}).`,
                },
              });
          }),
        policy: z
          .enum(["ladder", "score"])
          .default("ladder")
          .describe(
            "ladder: every task starts on the ladder's first step and each failed attempt moves one step up. score: the complexity score picks the starting step (thresholds), as before 0.16.",
          ),
        ladder: z
          .array(z.union([z.string().min(1), ladderStep]))
          .min(1)
          .optional()
          .describe(
            "The (executor, model) steps a task climbs, cheapest first: a tier name (haiku), a model id, or { model, executor, name }. Default: data/model-outcomes.json's ladder over routing.tiers (haiku, then opus).",
          ),
        skipFirstFor: z
          .array(z.string().min(1))
          .default([])
          .describe(
            "Task kinds that start on the ladder's second step (br model advise --from-ledger --write sets this from the project's history).",
          ),
        reference: z
          .enum(["haiku", "sonnet", "opus"])
          .default("opus")
          .describe("The tier `br model stats` prices every call at to show what routing saved."),
        prices: z
          .record(
            z.string().min(1),
            z.strictObject({
              input: z.number().min(0),
              output: z.number().min(0),
              cacheWrite: z.number().min(0),
              cacheRead: z.number().min(0),
            }),
          )
          .default({})
          .describe("Prices in USD per million tokens that override or extend the shipped table (data/prices.json), by model id."),
      })
      .prefault({}),
    telemetry: z
      .strictObject({
        enabled: z.boolean().default(true).describe("Record telemetry events in the local state database (br telemetry disable)."),
        retentionDays: z.int().min(1).max(3650).default(90).describe("Events older than this many days are pruned."),
        export: z
          .strictObject({
            endpoint: z
              .string()
              .superRefine((value, ctx) => {
                const problem = endpointProblem(value);
                if (problem) ctx.addIssue({ code: "custom", message: problem, params: { hideValue: true } });
              })
              .optional()
              .describe(
                "An OpenTelemetry collector (OTLP over HTTP/JSON) to send events to, once `br telemetry enable --export` confirms it on this machine; unset, nothing is sent. A bare origin gets /v1/logs appended. Headers such as an API key come from BR_TELEMETRY_EXPORT_HEADERS, never from this file.",
              ),
            intervalSeconds: z
              .int()
              .min(0)
              .max(86_400)
              .default(300)
              .describe("At most one background send per this many seconds; each send carries every pending event, in batches."),
          })
          .prefault({})
          .describe("Optional export of the telemetry events, off by default."),
      })
      .prefault({}),
    parallel: z
      .strictObject({
        streams: z
          .int()
          .min(1)
          .max(32)
          .default(2)
          .describe("How many streams `br run --parallel` and `br orchestrate` use when no number is given."),
        integrate: z
          .enum(["rebase", "merge"])
          .default("rebase")
          .describe("How a verified task joins the target branch: rebased onto it (linear history) or merged with a merge commit."),
        worktreeDir: z
          .string()
          .min(1)
          .optional()
          .describe("Where stream worktrees go (default: <project>.br-streams next to the project, outside its tree)."),
        setup: z
          .string()
          .min(1)
          .optional()
          .describe("A shell command run once in each new stream worktree (BR_STREAM and BR_PORT are set)."),
        cleanup: z.string().min(1).optional().describe("A shell command run in a stream worktree before `br streams clean` removes it."),
        symlinks: z
          .array(z.string().min(1))
          .default([])
          .describe("Ignored heavy folders (node_modules) linked into each stream from the main checkout instead of copied."),
        basePort: z
          .int()
          .min(1024)
          .max(65000)
          .default(41000)
          .describe("Stream n gets BR_PORT = basePort + 10 × (n − 1): the first of a block of 10 ports for its servers."),
      })
      .prefault({}),
    queue: z
      .strictObject({
        url: z
          .string()
          .superRefine((value, ctx) => {
            const problem = queueUrlProblem(value, true);
            if (problem) ctx.addIssue({ code: "custom", message: problem, params: { hideValue: true } });
          })
          .optional()
          .describe(
            "A PostgreSQL URL (postgres://user@host:5432/db, no password: PGPASSWORD or ~/.pgpass supply it): `br run --parallel` and `br worker --queue` then share the plan's work through it across machines. Unset, everything stays on this machine and no connection is made. BR_QUEUE_URL overrides it.",
          ),
        leaseSeconds: z
          .int()
          .min(60)
          .max(86_400)
          .default(3600)
          .describe("How long a worker may hold a task before it is given to another worker (an agent's attempts must fit in it)."),
        heartbeatSeconds: z
          .int()
          .min(10)
          .max(3600)
          .default(30)
          .describe("How often a worker reports that it is alive; a worker silent for this long loses its task to another."),
        retries: z
          .int()
          .min(0)
          .max(10)
          .default(2)
          .describe("How often a task whose worker died or was cut off is offered again before it fails."),
      })
      .prefault({}),
  })
  .describe("BuildRunner project settings (.buildrunner/config.yaml)");

export type Config = z.output<typeof configSchema>;

export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: "input" }) as Record<string, unknown>;
}

type YamlModule = typeof yaml;
type YamlDocument = yaml.Document;

function parseConfigText(text: string, shownAs: string): { yaml: YamlModule; doc: YamlDocument } {
  const doc = yaml.parseDocument(text, { prettyErrors: false });
  const error = doc.errors[0];
  if (error) {
    const place = lineAndColumn(text, error.pos[0]);
    throw usageError(`${shownAs} is not valid YAML: ${error.message.split("\n")[0]}.`, {
      file: shownAs,
      place,
      fix: `Correct the YAML at ${place}.`,
    });
  }
  return { yaml, doc };
}

/** The document as plain data; an empty file (or one holding only `~`) is an empty config. */
function documentValue(doc: YamlDocument, shownAs: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    throw usageError(`${shownAs} cannot be read: ${(error as Error).message}.`, {
      file: shownAs,
      fix: "Write the settings out plainly, without YAML aliases.",
    });
  }
}

/**
 * Validates a parsed config document; errors name the file, line and key. A rule across keys (a custom issue
 * with `params.fix`) reads as its own sentence after the key and brings its own fix; other problems get `fixFor`.
 */
function validate(
  doc: YamlDocument,
  text: string,
  shownAs: string,
  yaml: YamlModule,
  fixFor: (key: string) => string = (key) => `Correct ${key} in ${shownAs} (\`br config schema\` prints every allowed key).`,
): Config {
  const raw = documentValue(doc, shownAs);
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  refuseNewerVersion(raw, shownAs);
  const [issue] = result.error.issues;
  const ruleFix = issue?.code === "custom" && typeof issue.params?.fix === "string" ? issue.params.fix : undefined;
  const [problem] = issue && ruleFix !== undefined ? [{ path: issue.path, message: issue.message }] : problemsFrom(result.error, raw);
  if (!problem)
    throw usageError(`${shownAs} is invalid.`, {
      file: shownAs,
      fix: "Compare it with `br config schema`, or run `br config get` to see what br reads.",
    });
  const key = formatPath(problem.path);
  const node = doc.getIn(problem.path as (string | number)[], true) as { range?: [number, number, number] } | undefined;
  let offset = node?.range?.[0];
  if (problem.message.startsWith("unknown key")) {
    // Point at the unknown key itself, not at its value.
    const parent = doc.getIn(problem.path.slice(0, -1) as (string | number)[], true);
    const pair = yaml.isMap(parent)
      ? parent.items.find((item) => yaml.isScalar(item.key) && item.key.value === problem.path.at(-1))
      : undefined;
    const keyNode = pair?.key as { range?: [number, number, number] } | undefined;
    offset = keyNode?.range?.[0] ?? offset;
  }
  const place = offset === undefined ? key : `${lineAndColumn(text, offset)} (${key})`;
  const allowed = problem.message.startsWith("unknown key") ? allowedKeysHint(problem.path.slice(0, -1)) : "";
  throw usageError(`${shownAs}: ${key} ${problem.message}.${allowed}`, {
    file: shownAs,
    place,
    fix: ruleFix ?? fixFor(key),
  });
}

interface ZodDefLike {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  entries?: Record<string, string>;
}

function defOf(schema: z.ZodType): ZodDefLike {
  return (schema as unknown as { _zod: { def: ZodDefLike } })._zod.def;
}

function unwrap(schema: z.ZodType): ZodDefLike {
  let def = defOf(schema);
  while (def.innerType && ["default", "prefault", "optional", "nullable"].includes(def.type)) def = defOf(def.innerType);
  return def;
}

/**
 * The keys the schema allows under a path: a list for objects and enum-keyed maps, "any" for maps
 * with free keys (routing.prices), undefined when the path holds a single value.
 */
function keysAt(path: readonly PropertyKey[]): string[] | "any" | undefined {
  let def = unwrap(configSchema);
  for (const key of path) {
    const allowed = keysOf(def);
    const child =
      def.type === "object" ? def.shape?.[String(key)] : allowed === "any" || allowed?.includes(String(key)) ? def.valueType : undefined;
    if (!child) return undefined;
    def = unwrap(child);
  }
  return keysOf(def);
}

function keysOf(def: ZodDefLike): string[] | "any" | undefined {
  if (def.type === "object") return def.shape ? Object.keys(def.shape) : undefined;
  if (def.type !== "record" || !def.keyType) return undefined;
  const keyDef = unwrap(def.keyType);
  return keyDef.type === "enum" && keyDef.entries ? Object.values(keyDef.entries) : "any";
}

function allowedKeysHint(path: readonly PropertyKey[]): string {
  const keys = keysAt(path);
  return Array.isArray(keys) ? ` Allowed here: ${keys.join(", ")}.` : "";
}

/** Splits `run.maxAttempts` and rejects keys the schema does not know, before anything is read. */
export function parseKey(key: string): string[] {
  const parts = key.split(".");
  if (parts.some((part) => part === ""))
    throw usageError(`"${key}" is not a valid key.`, { fix: "Use a dotted key such as run.maxAttempts." });
  for (let depth = 0; depth < parts.length; depth++) {
    const keys = keysAt(parts.slice(0, depth));
    if (keys === undefined) {
      const leaf = parts.slice(0, depth).join(".");
      throw usageError(`Unknown config key "${key}": ${leaf} is a single value, with no keys below it.`, {
        fix: `Set ${leaf} itself, e.g. br config set ${leaf} <value> (a list is written [a, b]).`,
      });
    }
    if (keys !== "any" && !keys.includes(parts[depth] as string)) {
      const parent = parts.slice(0, depth).join(".");
      throw usageError(`Unknown config key "${key}".`, {
        fix: `Keys ${parent ? `under ${parent}` : "at the top level"}: ${keys.join(", ")}.`,
      });
    }
  }
  return parts;
}

export interface LoadedConfig {
  config: Config;
  /** What the file itself sets, without defaults. */
  raw: Record<string, unknown>;
  exists: boolean;
}

/**
 * Why an exporter endpoint cannot be used, if it cannot: it must be an http(s) URL, and it may not
 * carry credentials (a user, a password, a query or a fragment), because config.yaml is committed
 * and printed; they belong in BR_TELEMETRY_EXPORT_HEADERS.
 */
export function endpointProblem(value: string): string | undefined {
  if (!URL.canParse(value)) return "must be an http:// or https:// URL, such as http://127.0.0.1:4318";
  const url = new URL(value);
  if (url.protocol !== "http:" && url.protocol !== "https:") return `must be an http:// or https:// URL, not ${url.protocol}`;
  if (url.username || url.password || url.search || url.hash)
    return "must not carry credentials (a user, password, query or fragment): put them in BR_TELEMETRY_EXPORT_HEADERS (authorization=Bearer%20…)";
  return undefined;
}

/** The last file read and what it gave: a command and its telemetry read the same config once, not twice. */
let lastLoaded: { file: string; text: string; loaded: LoadedConfig } | undefined;

/**
 * Parses and validates the project's config (callers use src/infra/load-config.ts, which skips
 * this for a config this build has already read).
 */
export async function loadConfig(paths: ProjectPaths): Promise<LoadedConfig> {
  const shownAs = displayPath(paths, paths.config);
  if (!existsSync(paths.config)) {
    const defaults: LoadedConfig = { config: configSchema.parse({}), raw: {}, exists: false };
    rememberLoadedConfig(paths, null, defaults);
    return defaults;
  }
  const text = readText(paths.config);
  // Same file, same text: the same result (a copy, so a caller's change cannot leak into the next).
  if (lastLoaded?.file === paths.config && lastLoaded.text === text) return structuredClone(lastLoaded.loaded);
  const { yaml, doc } = parseConfigText(text, shownAs);
  const loaded = {
    config: validate(doc, text, shownAs, yaml),
    raw: documentValue(doc, shownAs) as Record<string, unknown>,
    exists: true,
  };
  lastLoaded = { file: paths.config, text, loaded: structuredClone(loaded) };
  rememberLoadedConfig(paths, text, loaded);
  return loaded;
}

export function valueAtPath(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * Changes config.yaml by editing its YAML document (so the user's comments and order survive),
 * validates the result, and writes it atomically under the project lock. Nothing is written when
 * the result is invalid.
 */
export async function editConfig(
  paths: ProjectPaths,
  edit: (doc: YamlDocument, yaml: YamlModule) => void,
  options: { lockHeld?: boolean } = {},
): Promise<Config> {
  const shownAs = displayPath(paths, paths.config);
  const work = async () => {
    const text = existsSync(paths.config) ? readText(paths.config) : "version: 1\n";
    const { yaml, doc } = parseConfigText(text, shownAs);
    validate(doc, text, shownAs, yaml); // refuse to edit a file that is already broken
    if (!yaml.isMap(doc.contents)) doc.contents = doc.createNode({ version: 1 }) as unknown as typeof doc.contents;
    edit(doc, yaml);
    const next = doc.toString();
    let config: Config;
    try {
      config = validate(
        yaml.parseDocument(next),
        next,
        shownAs,
        yaml,
        () => "Give a value of the expected type (`br config schema` lists every key and type).",
      );
    } catch (error) {
      // The place would point into a file that was never written: say what was refused instead.
      if (!(error instanceof BrError)) throw error;
      throw usageError(`${error.message.replace(`${shownAs}: `, "")} ${shownAs} was not changed.`, {
        file: shownAs,
        ...(error.fix ? { fix: error.fix } : {}),
      });
    }
    if (next !== text) writeFileAtomic(paths.config, next);
    return config;
  };
  return options.lockHeld ? work() : withLock(paths.lock, work, { what: "the project" });
}

/**
 * Reads a value typed on the command line. Where the key holds text (commands, model ids, enums)
 * the text is kept exactly, `#` and `: ` included; elsewhere it is read as YAML: 3, true, [a, b].
 */
export function parseValue(path: readonly string[], text: string): unknown {
  let def = unwrap(configSchema);
  for (const key of path) {
    const child = def.type === "object" ? def.shape?.[key] : undefined;
    if (!child) break;
    def = unwrap(child);
  }
  if (def.type === "string" || def.type === "enum") return text;
  try {
    return yaml.parse(text);
  } catch {
    return text;
  }
}

function stringsIn(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(stringsIn);
  return [];
}

/**
 * Refuses (exit 2) a value typed for config.yaml that holds a secret: the file is committed with
 * the project, and a masked secret written in its place would break the command it belongs to.
 */
export function refuseSecretValue(paths: ProjectPaths, key: string, value: unknown): void {
  const kinds = [...new Set(stringsIn(value).flatMap(secretKinds))];
  if (kinds.length === 0) return;
  const shownAs = displayPath(paths, paths.config);
  throw usageError(
    `Refused: the value for ${key} looks like a secret (${kinds.join(", ")}). ${shownAs} is committed with the project, so br keeps no secret in it; ${shownAs} was not changed.`,
    {
      file: shownAs,
      place: key,
      fix: key.startsWith("queue.")
        ? "Leave the password out of the URL (postgres://user@host:5432/db) and give it with PGPASSWORD or ~/.pgpass on each machine, or put the whole URL in BR_QUEUE_URL."
        : "Keep the secret in an environment variable (your shell profile, your CI's secrets) and give its name instead: commands run through the shell, so `$MY_SECRET` in a command is read from the environment when it runs. If the value is no secret after all, edit the file itself.",
    },
  );
}

/** Renders config.yaml for a new project: detected commands plus commented defaults. */
export function renderInitialConfig(commands: Config["commands"]): string {
  const body =
    Object.keys(commands).length > 0
      ? yaml.stringify({ version: 1, commands }, { lineWidth: 0 })
      : 'version: 1\n# commands: none yet. `br attach` detects them, or: br config set commands.test "npm test"\n';
  return `# BuildRunner settings. \`br config list\` shows every value in effect, defaults included;
# \`br config schema\` prints the JSON Schema (point your editor's YAML plugin at it).
${body}run:
  executor: claude      # claude | codex | gemini | aider | command | manual | replay
  maxAttempts: 2
  contextTokens: 4000
gates:
  coverage: 80
security:
  failOn: high          # critical | high | medium | low
`;
}
