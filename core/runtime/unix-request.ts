/**
 * The client half of the master's control socket, as a runtime provides it
 * (`runtimes/<rt>/unix-request.ts`): connect to a unix socket, send one
 * request, read until the peer closes, all within a time limit.
 */

/** `code` of the error a {@link UnixRequestFn} rejects with when the peer did not answer in time. */
export const UNIX_REQUEST_TIMEOUT = "ETIMEDOUT";

/**
 * Connect to the unix socket at `path`, write `request`, and resolve with
 * every byte received until the peer closes. Rejects with the runtime's
 * error (its `code`/`name` says ENOENT, ECONNREFUSED, EACCES, …) or, after
 * `timeoutMs`, with an error whose `code` is {@link UNIX_REQUEST_TIMEOUT}
 * (the connection is closed).
 */
export type UnixRequestFn = (path: string, request: Uint8Array, timeoutMs: number) => Promise<Uint8Array>;
