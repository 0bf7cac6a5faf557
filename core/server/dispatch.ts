/**
 * Hands one parsed request to the app: first the refusals the server makes
 * itself (contradicting X-Forwarded scheme headers from a trusted proxy,
 * `_` in a header name under `header_map = refuse`), then the handler, with
 * a throw or a rejection contained to this request (core/server/error-responses.ts).
 */
import type { HeaderList } from "../http/types.ts";
import { appFailed, appSentNothing, respondError, type FailureHost } from "./error-responses.ts";
import type { ConnectionServer } from "./connection-server.ts";
import type { Exchange } from "./exchange.ts";

/** The server settings {@link dispatchRequest} reads. */
export type DispatchPolicy = Pick<ConnectionServer<never>, "handler" | "refuseUnderscore">;

function hasUnderscoreName(headers: HeaderList): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headers[i].indexOf("_") !== -1) return true;
  return false;
}

/** Runs the app for `ex` (or answers 400 itself); whatever the app throws or rejects with stays with `ex`. */
export function dispatchRequest(host: FailureHost, policy: DispatchPolicy, ex: Exchange): void {
  if (ex.badProxyHeaders) {
    host.logger.debug("Refusing request with contradicting X-Forwarded scheme headers from a trusted proxy");
    respondError(host, ex, 400);
    return;
  }
  if (policy.refuseUnderscore && hasUnderscoreName(ex.head.headers)) {
    host.logger.debug("Refusing request with '_' in a header name (header_map = refuse)");
    respondError(host, ex, 400);
    return;
  }
  let result: void | Promise<void>;
  try {
    result = policy.handler(ex, ex);
  } catch (error) {
    appFailed(host, ex, error);
    return;
  }
  if (result != null && typeof (result as Promise<void>).then === "function") {
    (result as Promise<void>).then(
      () => appSentNothing(host, ex),
      (error: unknown) => appFailed(host, ex, error),
    );
  }
}
