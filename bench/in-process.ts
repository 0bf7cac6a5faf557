/**
 * `npm run bench:in-process`: the JavaScript cost of one request on the core
 * engine without sockets or syscalls — ServerCore, parser, exchange, adapter,
 * the app, the serializer — on an in-memory socket, per runtime. Prints ns per
 * request for each app (median of 7 timed batches after a warm-up). This is the
 * part of a request tricorn's own code decides; the rest is the runtime's
 * socket layer (see docs/performance.md).
 *
 *   npm run bench:in-process (Node via an esbuild bundle, then deno and bun) · bench:in-process:light
 *   … [--requests N] [--only fetch,hono,hono-json,node-hello,express,express-json,fastify,fastify-json,...] [--light (install adapters/light-response.ts as the global Response)]
 */
import { ServerCore } from "../core/server/server.ts";
import type { RequestHandler } from "../core/server/types.ts";
import { FakeSocket } from "../test/unit/fake-socket.ts";
import type { Timers } from "../core/runtime/timers.ts";
import { buildHandler, createHandler } from "../adapters/detect.ts";
import { EventEmitter } from "node:events";
import { Buffer } from "node:buffer";
import { Duplex, Readable } from "node:stream";
import { setImmediate } from "node:timers";
import { LightResponse } from "../adapters/light-response.ts";
import { join } from "node:path";
import { cwd } from "node:process";
import { pathToFileURL } from "node:url";
const argv: string[] =
  (globalThis as { Deno?: { args: string[] } }).Deno?.args ??
  (globalThis as { process?: { argv: string[] } }).process?.argv.slice(2) ??
  [];

/** The benchmark apps (imported at run time from ./bench/apps, so run this from the repository root). */
async function app(file: string): Promise<unknown> {
  return ((await import(pathToFileURL(join(cwd(), "bench", "apps", file)).href)) as { default: unknown }).default;
}
if (argv.includes("--light")) (globalThis as { Response: unknown }).Response = LightResponse;
const [fetchHello, gatewayHello, honoApp, nodeHello, expressApp, fastifyApp] = await Promise.all(
  ["fetch-hello.js", "gateway-hello.js", "hono-app.js", "node-hello.js", "express-app.js", "fastify-app.js"].map(app),
);

interface Args {
  requests: number;
  only: string[] | null;
}

function args(argv: string[]): Args {
  const out: Args = { requests: 200_000, only: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--requests") out.requests = Number(argv[++i]);
    else if (argv[i] === "--only") out.only = argv[++i].split(",");
  }
  return out;
}


/** A socket that only counts what is written (no copies, unlike the tests' FakeSocket). */
class CountingSocket extends FakeSocket {
  writes = 0;
  override write(_chunk: Uint8Array): boolean {
    this.writes++;
    return true;
  }
}

const timers: Timers = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as number),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as number),
};
const logger = { debug() {}, info() {}, warning() {}, error: console.error, critical: console.error };

/**
 * Runs `count` keep-alive requests for `path` through `handler`; resolves with ns per request.
 * With `yieldEvery` > 0 the loop lets the event loop turn (setImmediate) after that many
 * requests: node:stream ends and closes streams in process.nextTick callbacks, which a loop of
 * `await undefined` never runs, so without it node-interface rows pile up ticks (and garbage).
 */
async function run(handler: RequestHandler, path: string, count: number, yieldEvery = 0): Promise<number> {
  const server = new ServerCore({ handler, timers, logger, options: { keepalive: 1000 } });
  const socket = new CountingSocket();
  socket.handlers = server.accept(socket);
  const request = new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n`);
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const before = socket.writes;
    // Each request arrives as its own chunk, like one read per request under wrk.
    socket.handlers.data(request.slice());
    while (socket.writes === before) await undefined;
    if (yieldEvery > 0 && i % yieldEvery === yieldEvery - 1) await new Promise((resolve) => setImmediate(resolve));
  }
  const ns = ((performance.now() - start) * 1e6) / count;
  server.stopTimers();
  return ns;
}

/** A node-interface handler, with this runtime's stream classes. */
async function nodeApp(value: unknown): Promise<RequestHandler> {
  return (await buildHandler(value, "node", { logger, nodeStreams: { EventEmitter, Readable, Duplex, Buffer } })).handler;
}

/** Node-interface rows yield to the event loop every 16 requests (see {@link run}). */
const NODE_YIELD = 16;

const APPS: Record<string, { handler: () => RequestHandler | Promise<RequestHandler>; path: string; yieldEvery?: number }> = {
  gateway: { handler: () => createHandler(gatewayHello, "auto", { logger }), path: "/" },
  fetch: { handler: () => createHandler(fetchHello, "auto", { logger }), path: "/" },
  hono: { handler: () => createHandler(honoApp, "auto", { logger }), path: "/" },
  "hono-json": { handler: () => createHandler(honoApp, "auto", { logger }), path: "/json" },
  "node-hello": { handler: () => nodeApp(nodeHello), path: "/", yieldEvery: NODE_YIELD },
  express: { handler: () => nodeApp(expressApp), path: "/", yieldEvery: NODE_YIELD },
  "express-json": { handler: () => nodeApp(expressApp), path: "/json", yieldEvery: NODE_YIELD },
  fastify: { handler: () => nodeApp(fastifyApp), path: "/", yieldEvery: NODE_YIELD },
  "fastify-json": { handler: () => nodeApp(fastifyApp), path: "/json", yieldEvery: NODE_YIELD },
};

const o = args(argv);
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
for (const [name, app] of Object.entries(APPS)) {
  if (o.only !== null && !o.only.includes(name)) continue;
  const handler = await app.handler();
  await run(handler, app.path, Math.min(o.requests, 50_000), app.yieldEvery); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < 7; i++) samples.push(await run(handler, app.path, Math.ceil(o.requests / 7), app.yieldEvery));
  samples.sort((a, b) => a - b);
  console.log(`${runtime.padEnd(5)} ${name.padEnd(12)} ${samples[3].toFixed(0).padStart(6)} ns/request  (min ${samples[0].toFixed(0)}, max ${samples[6].toFixed(0)})`);
}
