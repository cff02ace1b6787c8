import type { Command } from "commander";
import { usageError } from "../../infra/errors.js";
import { style } from "../../infra/log.js";
import { project } from "../context.js";
import { action } from "../main.js";
import { emit } from "../output.js";

function flatten(value: unknown, prefix = ""): [string, unknown][] {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.flatMap(([key, child]) => flatten(child, prefix ? `${prefix}.${key}` : key));
  }
  return [[prefix, value]];
}

function render(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function registerConfig(program: Command): void {
  const config = program.command("config").description("read and change .buildrunner/config.yaml by dotted key");
  registerConfigGet(config);
  registerConfigSet(config);
  registerConfigUnset(config);
  registerConfigList(config);
  registerConfigSchema(config);
}

function registerConfigGet(config: Command): void {
  config
    .command("get <key>")
    .description("print the value in effect (defaults included)")
    .option("--json", 'print { "key", "value", "source" }')
    .action(
      action<[string]>(async (key, options) => {
        const { loadConfig, parseKey, valueAtPath } = await import("../../infra/config.js");
        const path = parseKey(key);
        const loaded = await loadConfig(project(options));
        const value = valueAtPath(loaded.config, path);
        const source = valueAtPath(loaded.raw, path) === undefined ? "default" : "config.yaml";
        emit(options.json, { key, value: value ?? null, source }, () => (value === undefined ? style.dim("(not set)") : render(value)));
      }),
    );
}

function registerConfigSet(config: Command): void {
  config
    .command("set <key> <value>")
    .description("set a value (read as YAML: 3, true, [a, b], text); the result is validated first")
    .option("--json", 'print { "key", "value" }')
    .action(
      action<[string, string]>(async (key, raw, options) => {
        const { editConfig, parseKey, parseValue, refuseSecretValue, valueAtPath } = await import("../../infra/config.js");
        const path = parseKey(key);
        const value = parseValue(path, raw);
        const paths = project(options);
        refuseSecretValue(paths, key, value);
        const result = await editConfig(paths, (doc) => doc.setIn(path, value));
        const effective = valueAtPath(result, path);
        emit(options.json, { key, value: effective }, () => `${style.green("✓")} ${key} = ${render(effective)}`);
      }),
    );
}

function registerConfigUnset(config: Command): void {
  config
    .command("unset <key>")
    .description("remove a value from config.yaml (its default applies again)")
    .option("--json", 'print { "key", "value" }')
    .action(
      action<[string]>(async (key, options) => {
        const { editConfig, parseKey, valueAtPath } = await import("../../infra/config.js");
        const path = parseKey(key);
        if (key === "version")
          throw usageError("version cannot be unset: it tells later releases how to read the file.", {
            fix: "Leave version as it is; br migrates the file when a release changes its format.",
          });
        const result = await editConfig(project(options), (doc) => {
          doc.deleteIn(path);
        });
        const effective = valueAtPath(result, path);
        emit(
          options.json,
          { key, value: effective ?? null },
          () => `${style.green("✓")} unset ${key}${effective === undefined ? "" : ` (default now in effect: ${render(effective)})`}`,
        );
      }),
    );
}

function registerConfigList(config: Command): void {
  config
    .command("list")
    .description("print every setting in effect, marking the ones config.yaml sets")
    .option("--json", 'print { "config": {...} }')
    .action(
      action<[]>(async (options) => {
        const { loadConfig, valueAtPath } = await import("../../infra/config.js");
        const loaded = await loadConfig(project(options));
        emit(options.json, { config: loaded.config }, () =>
          flatten(loaded.config).map(([key, value]) => {
            const fromFile = valueAtPath(loaded.raw, key.split(".")) !== undefined;
            return `${key} = ${render(value)}${fromFile ? "" : style.dim("  (default)")}`;
          }),
        );
      }),
    );
}

function registerConfigSchema(config: Command): void {
  config
    .command("schema")
    .description("print the JSON Schema of config.yaml (for editors)")
    .action(
      action<[]>(async () => {
        const { configJsonSchema } = await import("../../infra/config.js");
        process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
      }),
    );
}
