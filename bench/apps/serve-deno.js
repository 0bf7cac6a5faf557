/**
 * Native Deno baseline: `Deno.serve` running the app file's `fetch`.
 * Usage: `deno run -A serve-deno.js APP PORT`.
 * (The 2-worker Deno baseline uses `deno serve --parallel` on the app directly.)
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [appPath, port] = Deno.args;
const app = (await import(pathToFileURL(resolve(appPath)).href)).default;
Deno.serve({ port: Number(port), hostname: "127.0.0.1", onListen() {} }, app.fetch.bind(app));
