/**
 * Native Node baseline: a bare `node:http` hello world (the same response as
 * gateway-hello.js). Usage: `node serve-node-http.mjs PORT [WORKERS]`; with
 * WORKERS > 1 it forks that many `node:cluster` workers sharing the port.
 */
import cluster from "node:cluster";
import http from "node:http";

const port = Number(process.argv[2]);
const workers = Number(process.argv[3] ?? 1);
const body = "Hello, World!";

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  // Wait for the workers to exit (and be reaped) before the primary goes.
  process.on("SIGTERM", () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGTERM");
    cluster.on("exit", () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  });
} else {
  http
    .createServer((req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": body.length });
      res.end(body);
    })
    .listen(port, "127.0.0.1");
}
