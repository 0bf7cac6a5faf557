/**
 * Errors raised while parsing a request. Every rejection of bad input is an
 * {@link HttpError}, so the connection can answer with `status` and close.
 */

/** Typed parse/protocol error carrying the HTTP status the connection answers with. */
export class HttpError extends Error {
  /**
   * @param status HTTP status code to answer with (400, 413, 414, 417, 431, 501, 505 …).
   * @param message Short human-readable reason, e.g. "invalid header name".
   */
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "HttpError";
  }
}
