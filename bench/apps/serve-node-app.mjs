/**
 * Baseline for the node-interface benchmarks: the same Express or Fastify
 * app on the runtime's own `node:http` (Node's, or Deno's/Bun's
 * compatibility layer), the way the app would normally be run.
 * Usage: `node|deno run -A|bun serve-node-app.mjs APP_FILE PORT`.
 */
import http from "node:http";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const [file, port] = process.argv.slice(2);
const app = (await import(pathToFileURL(resolve(file)).href)).default;
if (typeof app.listen === "function" && typeof app.ready === "function") {
  await app.listen({ port: Number(port), host: "127.0.0.1" }); // Fastify
} else {
  http.createServer(app).listen(Number(port), "127.0.0.1"); // Express: app.listen() does the same
}
