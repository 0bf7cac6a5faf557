/**
 * Native Node baseline for fetch-style apps: `@hono/node-server` serving the
 * app file's default export. Usage: `node serve-node-hono.mjs APP PORT`.
 */
import { serve } from "@hono/node-server";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const [appPath, port] = process.argv.slice(2);
const app = (await import(pathToFileURL(resolve(appPath)).href)).default;
serve({ fetch: app.fetch.bind(app), port: Number(port), hostname: "127.0.0.1" });
