/**
 * A stand-in OpenTelemetry collector on 127.0.0.1, in its own process so that a test blocked in
 * a synchronous br call cannot stall it. It writes one JSON line per connection and per request
 * (`{ "type", "url", "headers", "body" }`; with `hang`, a `closed` line when the sender gives up) to the log file it is given, and answers each
 * OTLP/HTTP request as a collector does (200, `{}`), or never (`hang`).
 *
 *   node test/otlp-collector.mjs <log file> [ok|hang]   → prints the port
 */
import { appendFileSync } from "node:fs";
import { createServer } from "node:http";

const [log, mode = "ok"] = process.argv.slice(2);
const note = (entry) => appendFileSync(log, `${JSON.stringify(entry)}\n`);

const server = createServer((request, response) => {
  let body = "";
  request.setEncoding("utf8");
  request.on("data", (chunk) => {
    body += chunk;
  });
  request.on("end", () => {
    note({ type: "request", url: request.url, headers: request.headers, body });
    if (mode === "hang") {
      // Never answered: the log says when the sender gave up and closed the connection.
      request.socket.on("close", () => note({ type: "closed" }));
      return;
    }
    response.writeHead(200, { "content-type": "application/json" });
    response.end("{}");
  });
});
server.on("connection", () => note({ type: "connection" }));
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`${typeof address === "object" && address ? address.port : 0}\n`);
});
// A deadline of its own: a test that forgets it cannot leave it running.
setTimeout(() => process.exit(0), 600_000).unref();
process.on("SIGTERM", () => process.exit(0));
