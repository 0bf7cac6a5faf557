/**
 * Picks the adapter for a loaded app module export:
 * - an object or function with a `fetch` method → fetch (Hono, `export default { fetch }`)
 * - a function declaring exactly 2 parameters (`fn.length === 2`) → gateway
 *   (`(environ, startResponse) => body`)
 * - any other function → fetch (`(request, info) => Response`)
 * - anything else → a clear Error.
 * `--interface fetch|gateway` forces the choice (the app must still fit it).
 */
import type { Logger } from "../core/log/logger.ts";
import type { RequestHandler } from "../core/server/types.ts";
import { fetchHandler, type FetchApp } from "./fetch.ts";
import { gatewayHandler, type GatewayApp, type GatewayOptions } from "./gateway.ts";

/** The two app interfaces tricorn serves. */
export type AppInterface = "fetch" | "gateway";

/** Options of {@link createHandler}: environ options for gateway apps; the logger is used by both. */
export type HandlerOptions = GatewayOptions;

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
  const fail = (expected: string): never => {
    throw new Error(`export ${exportName} is not an app: expected ${expected}, got ${describe(app)}`);
  };
  if (forced === "fetch") {
    if (hasFetch(app) || typeof app === "function") return "fetch";
    return fail("{fetch} or a function (interface fetch)");
  }
  if (forced === "gateway") {
    if (typeof app === "function") return "gateway";
    return fail("a function (environ, startResponse) (interface gateway)");
  }
  if (forced !== undefined && forced !== "auto") {
    throw new Error(`unknown app interface ${JSON.stringify(forced)}: expected fetch, gateway or auto`);
  }
  if (hasFetch(app)) return "fetch";
  if (typeof app === "function") return app.length === 2 ? "gateway" : "fetch";
  return fail("{fetch} or a function");
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
 * Detects the interface of `app` and wraps it as a {@link RequestHandler}.
 * Pass the server's logger (and headerMap/multiprocess for gateway apps) in `options`.
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
  return fetchHandler(app as FetchApp, { logger });
}
