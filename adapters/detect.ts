/**
 * Picks the adapter for a loaded app module export (`--interface auto`):
 * - an object or function with a `fetch` method → fetch (Hono, `export default { fetch }`)
 * - an Express, Koa or Fastify app, or an http.Server not listening → node
 *   (adapters/node/app-shapes.ts)
 * - a function declaring exactly 2 parameters (`fn.length === 2`): by the
 *   parameter names in its source — `(req, res)`/`(request, response)` → node,
 *   `(environ, startResponse)` (`env`, `start`, `start_response`) → gateway;
 *   any other pair is ambiguous and refused (a one-line error naming the
 *   export and the `--interface` choices), never guessed
 * - any other function → fetch (`(request, info) => Response`)
 * - anything else → a clear Error.
 * `--interface fetch|gateway|node` forces the choice (the app must still fit it).
 */
import type { Logger } from "../core/log/logger.ts";
import type { RequestHandler } from "../core/server/types.ts";
import { fetchHandler, type FetchApp } from "./fetch.ts";
import type { WebSocketConfig } from "./ws/config.ts";
import { gatewayHandler, type GatewayApp, type GatewayOptions } from "./gateway.ts";
import {
  frameworkShape, nodeAppHandler, parameterNames, takeoverLimitsFrom, twoParameterKind, type NodeStreamClasses,
} from "./node/index.ts";
import { serveFieldWarnings } from "./serve-fields.ts";

/** The app interfaces tricorn serves. */
export type AppInterface = "fetch" | "gateway" | "node";

/** The `--interface` values, for error messages. */
const CHOICES = "--interface fetch, gateway or node";

/** Options of {@link createHandler}: environ options for gateway apps; the logger is used by all. */
export interface HandlerOptions extends GatewayOptions {
  /** The runtime's EventEmitter and Readable (node apps only; see adapters/node/streams.ts). */
  nodeStreams?: NodeStreamClasses;
  /** WebSocket limits and compression (fetch apps); its ping timings also bound node apps' `'upgrade'` connections. */
  websocket?: WebSocketConfig;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  // Only reached with --interface gateway: auto-detection and fetch take such an object.
  if (hasFetch(value)) return "a fetch app (an object with fetch()); drop --interface gateway";
  if (typeof value === "object") return "an object without a fetch() method";
  return `a ${typeof value}`;
}

function hasFetch(app: unknown): boolean {
  return (typeof app === "object" || typeof app === "function") && app !== null &&
    typeof (app as { fetch?: unknown }).fetch === "function";
}

/**
 * Decides which interface `app` implements (see the module comment).
 * @param forced "fetch"/"gateway" to skip detection, or "auto"/undefined
 * @param exportName how the app was found, for the error message (`default`, `app`, …)
 * @throws Error when `app` is not an app (or does not fit the forced interface)
 */
export function detectInterface(app: unknown, forced?: AppInterface | "auto", exportName = "default"): AppInterface {
  const fail = (expected: string, hint = ""): never => {
    throw new Error(`export ${exportName} is not an app: expected ${expected}, got ${describe(app)}${hint}`);
  };
  if (forced === "fetch") {
    if (hasFetch(app) || typeof app === "function") return "fetch";
    return fail("{fetch} or a function (interface fetch)");
  }
  if (forced === "gateway") {
    if (typeof app === "function") return "gateway";
    return fail("a function (environ, startResponse) (interface gateway)");
  }
  if (forced === "node") {
    if (frameworkShape(app) !== null || typeof app === "function") return "node";
    return fail("an Express, Koa or Fastify app, an http.Server or a (req, res) function (interface node)");
  }
  if (forced !== undefined && forced !== "auto") {
    throw new Error(`unknown app interface ${JSON.stringify(forced)}: expected fetch, gateway, node or auto`);
  }
  if (hasFetch(app)) return "fetch";
  if (frameworkShape(app) !== null) return "node";
  if (typeof app === "function") {
    if (app.length !== 2) return "fetch";
    const kind = twoParameterKind(app as (...args: never[]) => unknown);
    if (kind !== null) return kind;
    const names = parameterNames(app as (...args: never[]) => unknown);
    const shown = names === null ? "" : ` (${names.join(", ")})`;
    throw new Error(
      `export ${exportName} is a function of two parameters${shown}: cannot tell a gateway app (environ, startResponse) ` +
        `from a node handler (req, res); name its parameters so, or choose with ${CHOICES}`,
    );
  }
  return fail("{fetch}, an Express, Koa or Fastify app, an http.Server or a function", `; choose the interface with ${CHOICES}`);
}

/** Used when {@link createHandler} gets no logger: `tricorn.errors` and waitUntil failures go to the console. */
const consoleLogger: Logger = {
  debug() {},
  info() {},
  warning(msg) {
    console.warn(msg);
  },
  error(msg, error) {
    if (error === undefined) console.error(msg);
    else console.error(msg, error);
  },
  critical(msg, error) {
    if (error === undefined) console.error(msg);
    else console.error(msg, error);
  },
};

/**
 * Detects the interface of a fetch or gateway app and wraps it as a
 * {@link RequestHandler} (node apps need {@link buildHandler}: Fastify's
 * `ready()` is asynchronous). Pass the server's logger (and
 * headerMap/multiprocess for gateway apps) in `options`.
 */
export function createHandler(
  app: unknown,
  forced?: AppInterface | "auto",
  options: Partial<HandlerOptions> = {},
  exportName = "default",
): RequestHandler {
  const kind = detectInterface(app, forced, exportName);
  const logger = options.logger ?? consoleLogger;
  if (kind === "gateway") return gatewayHandler(app as GatewayApp, { ...options, logger });
  if (kind === "node") throw new Error(`export ${exportName} is a node app: serve it through buildHandler()`);
  for (const warning of serveFieldWarnings(app, `export ${exportName}`)) logger.warning(warning);
  return fetchHandler(app as FetchApp, { logger, websocket: options.websocket });
}

/** A handler and the words the start-up log uses for it (`fetch`, `gateway`, `node (Express)`). */
export interface BuiltHandler {
  readonly handler: RequestHandler;
  readonly description: string;
}

const SHAPE_NAMES: Record<string, string> = {
  express: "Express",
  koa: "Koa",
  fastify: "Fastify",
  "http.Server": "http.Server",
  listener: "(req, res) function",
};

/**
 * Detects the interface of `app` and wraps it, for every interface (awaits
 * a Fastify app's `ready()`). Node apps need `options.nodeStreams`.
 */
export async function buildHandler(
  app: unknown,
  forced?: AppInterface | "auto",
  options: Partial<HandlerOptions> = {},
  exportName = "default",
): Promise<BuiltHandler> {
  const kind = detectInterface(app, forced, exportName);
  if (kind !== "node") return { handler: createHandler(app, kind, options, exportName), description: kind };
  const streams = options.nodeStreams;
  if (streams === undefined) throw new Error(`export ${exportName} is a node app, but this runtime offers no node:stream classes`);
  const node = await nodeAppHandler(app, {
    streams,
    logger: options.logger ?? consoleLogger,
    takeoverLimits: options.websocket === undefined ? undefined : takeoverLimitsFrom(options.websocket),
  });
  return { handler: node.handler, description: `node (${SHAPE_NAMES[node.shape]})` };
}
