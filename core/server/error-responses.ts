/**
 * Error responses the server writes itself: for an app that failed (an error
 * response when none has started, an aborted connection when one has, a log
 * line either way; every app error stays with its own request), and for a
 * request that never reached the app (bad head, head timeout).
 */
import { HttpError } from "../http/errors.ts";
import { reasonPhrase } from "../http/status.ts";
import type { ResponseContext, ResponseSerializer } from "../http/serializer.ts";
import type { HeaderList } from "../http/types.ts";
import type { Logger } from "../log/logger.ts";
import type { Exchange } from "./exchange.ts";

const TEXT_PLAIN: HeaderList = ["Content-Type", "text/plain; charset=utf-8"];
/** Context for error responses outside an exchange: always closes. */
const CLOSING: ResponseContext = { isHead: false, versionMinor: 1, keepAlive: false };

/** What answering a failure needs from the connection. */
export interface FailureHost {
  /** The socket is gone. */
  readonly closed: boolean;
  readonly logger: Logger;
  /** Closes the connection now, discarding queued output. */
  destroy(): void;
}

/** Plain-text error response for `ex` (the app did not start one). */
export function respondError(host: FailureHost, ex: Exchange, status: number): void {
  try {
    ex.send(status, undefined, TEXT_PLAIN, reasonPhrase(status));
  } catch (error) {
    host.logger.critical("Could not write an error response", error);
    host.destroy();
  }
}

/** The handler of `ex` threw or rejected with `error`. */
export function appFailed(host: FailureHost, ex: Exchange, error: unknown): void {
  const label = `${ex.head.method} ${ex.head.target}`;
  if (host.closed || ex.serverAnswered) {
    host.logger.debug(`Error handling ${label} after the connection closed: ${String(error)}`);
    return;
  }
  if (ex.finished) {
    host.logger.error(`Error handling ${label} after its response ended`, error);
    return;
  }
  if (ex.started) {
    host.logger.error(`Error handling ${label} after the response started; aborting the connection`, error);
    ex.abort(error);
    return;
  }
  // A broken request body (bad chunk, too large) answers with its own status.
  const status = error instanceof HttpError ? error.status : 500;
  if (status >= 500) host.logger.error(`Error handling request ${label}`, error);
  else host.logger.debug(`Request ${label} failed: ${String(error)}`);
  respondError(host, ex, status);
}

/** The handler of `ex` settled without starting a response: 500. */
export function appSentNothing(host: FailureHost, ex: Exchange): void {
  if (ex.started || host.closed) return;
  host.logger.error(`Handler for ${ex.head.method} ${ex.head.target} finished without sending a response`);
  respondError(host, ex, 500);
}

/** Writes a plain-text `status` response that closes the connection, outside any exchange (the caller then shuts down). */
export function writeClosingError(serializer: ResponseSerializer, socket: Parameters<ResponseSerializer["send"]>[0], logger: Logger, status: number): void {
  try {
    serializer.send(socket, CLOSING, status, undefined, TEXT_PLAIN, reasonPhrase(status));
  } catch (error) {
    logger.critical("Could not write an error response", error);
  }
}

/** The status answering a parser failure (an {@link HttpError}'s own, else 400), logged: debug for bad input, error for anything else. */
export function parseFailureStatus(logger: Logger, error: unknown): number {
  if (!(error instanceof HttpError)) {
    logger.error("Unexpected error while parsing a request", error);
    return 400;
  }
  logger.debug(`Bad request (${error.status}): ${error.message}`);
  return error.status;
}
