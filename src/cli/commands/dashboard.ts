import { spawn } from "node:child_process";
import type { Command } from "commander";
import { nodeCrypto } from "../../infra/crypto.js";
import { usageError } from "../../infra/errors.js";
import { say, style } from "../../infra/log.js";
import { project } from "../context.js";
import { action } from "../main.js";
import { followSharedLedger } from "./queue.js";

export function registerDashboard(program: Command): void {
  program
    .command("dashboard")
    .description("serve the live dashboard: streams, the plan as a board, logs, cost, gates and findings (Ctrl-C stops it)")
    .option("--port <n>", "the port (0 picks a free one)", "8080")
    .option("--host <address>", "the address to listen on (beyond loopback only with --token)", "127.0.0.1")
    .option("--token <token>", "the token actions (and, beyond loopback, every request) must carry; default: a new one each launch")
    .option("--open", "open the page in the default browser")
    .option("--json", 'print { "url", "port", "host" } once the server listens')
    .addHelpText(
      "after",
      "\nThe page's address carries the token in its fragment (#token=…), which the browser keeps and never sends\n" +
        "to other sites; the buttons (pause, resume, stop, retry) send it with each request. Requests naming another\n" +
        "Host, cross-site posts and posts without the token are refused with 403.",
    )
    .action(
      action<[]>(async (options) => {
        const port = portOption(options.port);
        const host = String(options.host);
        const { isLoopback } = await import("../../dashboard/guard.js");
        const token = tokenOption(options.token, host, isLoopback(host));
        const paths = project(options);
        const { loadConfig } = await import("../../infra/load-config.js");
        const config = (await loadConfig(paths)).config;
        const { startDashboard } = await import("../../dashboard/server.js");
        const dashboard = await startDashboard(paths, config, { host, port, token }).catch((error: NodeJS.ErrnoException) => {
          throw listenError(error, host, port);
        });
        const url = `${dashboard.url}#token=${token}`;
        if (options.json) process.stdout.write(`${JSON.stringify({ url, port: dashboard.port, host })}\n`);
        else say(`${style.green("✓")} dashboard at ${style.bold(url)}\n  Ctrl-C to stop.`);
        if (options.open) openBrowser(url);
        await followSharedLedger(paths);
        await new Promise(() => undefined); // serves until Ctrl-C (exit 130) or SIGTERM
      }),
    );
}

function portOption(value: unknown): number {
  const port = Number(value);
  if (String(value).trim() === "" || !Number.isInteger(port) || port < 0 || port > 65535)
    throw usageError(`--port takes a whole number from 0 to 65535, not "${String(value)}".`, { fix: "0 picks a free port." });
  return port;
}

function tokenOption(value: unknown, host: string, loopback: boolean): string {
  if (typeof value === "string") {
    if (!/^[A-Za-z0-9_-]{16,}$/.test(value))
      throw usageError("--token must be at least 16 letters, digits, - or _.", { fix: "For example: --token $(openssl rand -hex 16)" });
    return value;
  }
  if (!loopback)
    throw usageError(`--host ${host} lets other machines reach the dashboard, so it needs --token.`, {
      fix: `Pass --token <at least 16 characters> (e.g. --token $(openssl rand -hex 16)), or keep --host 127.0.0.1.`,
    });
  return nodeCrypto().randomBytes(24).toString("base64url");
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  if (error.code === "EADDRINUSE")
    return usageError(`Port ${port} on ${host} is already in use.`, { fix: "Pass --port <another port>, or --port 0 for a free one." });
  if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND")
    return usageError(`Cannot listen on ${host}: this machine has no such address.`, { fix: "Use --host 127.0.0.1 (the default)." });
  if (error.code === "EACCES")
    return usageError(`Port ${port} needs privileges br does not have.`, { fix: "Use a port above 1023, e.g. --port 8080." });
  return error;
}

/** Best effort: the URL is printed either way. */
function openBrowser(url: string): void {
  const command = process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
  const child = spawn(command, [url], { stdio: "ignore", detached: true });
  child.on("error", () => say(`  (could not start ${command}; open the address above yourself)`));
  child.unref();
}
