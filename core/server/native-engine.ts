/**
 * The native engine's contract. Engines: who speaks HTTP/1.1 in a worker.
 *
 * - `core` (default): tricorn's own parser and connection loop
 *   (core/server/connection.ts) on top of the runtime's raw sockets.
 * - `native`: the runtime's own HTTP server — Deno's and Bun's serve,
 *   `node:http` — serving a fetch app, under the same arbiter, binds,
 *   signals, heartbeats, max_requests and access log.
 *
 * This file holds the contract between core and a runtime's native server
 * ({@link ServeNativeFn}, implemented in `runtimes/<rt>/native.ts`) and
 * {@link dispatchNative}, the error handling of the
 * one runtime (Node) whose native server is driven through a tricorn
 * {@link RequestHandler}. The fetch side of the glue is adapters/native.ts;
 * which settings it honours is core/worker/engine.ts.
 */
import type { AccessLogger } from "../log/access-log.ts";
import { HttpError } from "../http/errors.ts";
import type { TlsOptions } from "../net/tls.ts";
import type { BindAddress } from "../net/bind.ts";
import type { IncomingRequest, RequestHandler, ResponseWriter } from "./types.ts";
import type { Logger } from "../log/logger.ts";
import type { ServerStats } from "./stats.ts";

/** Second argument of a native fetch call: Deno's `ServeHandlerInfo` has this shape; Bun gets a small object like it. */
export interface NativeRequestInfo {
  readonly remoteAddr: { readonly hostname: string; readonly port: number };
}

/**
 * A fetch app prepared for a runtime's native server (adapters/native.ts
 * builds it): error handling, access log and max_requests accounting are
 * inside, so runtimes only translate.
 */
export interface NativeApp {
  /** For fetch-based servers (Deno's and Bun's serve): answers every request, never rejects. */
  fetch(request: Request, info: NativeRequestInfo): Response | Promise<Response>;
  /**
   * The same app as a tricorn handler, for servers that are not fetch-based
   * (`node:http`): drive it with {@link dispatchNative}, then call
   * {@link requestDone} and {@link accessLog} per finished response.
   */
  readonly handler: RequestHandler;
  /** The access log, or null when it is off. */
  readonly accessLog: AccessLogger | null;
  /** Count one finished response (max_requests). */
  requestDone(): void;
  /** Request counters (metrics, `tricorn ctl`), or null when not kept. */
  readonly stats: ServerStats | null;
  /** Requests whose response is not finished; servers that drive {@link handler} keep it up to date. */
  inFlight: number;
  readonly logger: Logger;
}

/** What a runtime's native server is told, from the settings (see {@link nativeServeOptions}). */
export interface NativeServeOptions {
  /** Kernel accept-queue length, where the runtime can set it (Node). */
  backlog: number;
  /** Bind with SO_REUSEPORT (Deno and Bun workers). */
  reusePort: boolean;
  /** Serve HTTPS with these PEM texts. */
  tls?: TlsOptions;
  /** Seconds an idle keep-alive connection stays open (0 = close after each response, where the runtime can). */
  keepalive: number;
  /** Seconds to receive a request head (slowloris guard), where the runtime can bound it. */
  headerTimeout: number;
  /** Largest request body in bytes (0 = unlimited). */
  limitRequestBody: number;
  /** Most simultaneous connections, where the runtime can cap them (Node). */
  workerConnections: number;
  /** Errors of an already listening server; it keeps going. */
  onError?(error: unknown): void;
}

/** One address served by a runtime's native server. */
export interface NativeListener {
  /** What was bound, for logs: `http://127.0.0.1:8000`, `unix:/tmp/x.sock`. */
  readonly url: string;
  /** Graceful stop: stop accepting, close idle connections, resolve once in-flight responses ended. */
  shutdown(): Promise<void>;
}

/**
 * Serve `app` on `bind` with the runtime's own HTTP server; rejects when
 * binding fails (with the runtime's error, as {@link ListenFn} does).
 */
export type ServeNativeFn = (bind: BindAddress, app: NativeApp, options: NativeServeOptions) => Promise<NativeListener>;

/** An {@link IncomingRequest} and {@link ResponseWriter} in one, as {@link dispatchNative} drives it. */
export interface NativeExchange extends IncomingRequest, ResponseWriter {
  /** The response ended (or was abandoned). */
  readonly finished: boolean;
  /** Answer `status` with a plain-text body (the app did not start a response). */
  sendError(status: number): void;
}

/**
 * Run `handler` for one exchange with core's rules (core/server/connection.ts): a
 * throw or rejection before the response started answers 500 (or the
 * status of an {@link HttpError}, e.g. 413 for a body over the limit), one
 * after it started aborts the connection, and a handler that resolves
 * without responding gets a 500.
 */
export function dispatchNative(handler: RequestHandler, ex: NativeExchange, logger: Logger): void {
  let result: void | Promise<void>;
  try {
    result = handler(ex, ex);
  } catch (error) {
    handlerFailed(ex, error, logger);
    return;
  }
  if (result != null && typeof (result as Promise<void>).then === "function") {
    (result as Promise<void>).then(
      () => {
        if (ex.headersSent || ex.closed) return;
        logger.error(`Handler for ${ex.head.method} ${ex.head.target} finished without sending a response`);
        respondError(ex, 500, logger);
      },
      (error: unknown) => handlerFailed(ex, error, logger),
    );
  }
}

function handlerFailed(ex: NativeExchange, error: unknown, logger: Logger): void {
  const label = `${ex.head.method} ${ex.head.target}`;
  if (ex.closed) {
    logger.debug(`Error handling ${label} after the connection closed: ${String(error)}`);
  } else if (ex.finished) {
    logger.error(`Error handling ${label} after its response ended`, error);
  } else if (ex.headersSent) {
    logger.error(`Error handling ${label} after the response started; aborting the connection`, error);
    ex.abort(error);
  } else {
    const status = error instanceof HttpError ? error.status : 500;
    if (status >= 500) logger.error(`Error handling request ${label}`, error);
    else logger.debug(`Request ${label} failed: ${String(error)}`);
    respondError(ex, status, logger);
  }
}

function respondError(ex: NativeExchange, status: number, logger: Logger): void {
  try {
    ex.sendError(status);
  } catch (error) {
    logger.critical("Could not write an error response", error);
    ex.abort(error);
  }
}
