/**
 * What the HTTP/1.1 parser produces and is limited by: the request head,
 * the flat header list, parser limits and events. Types only.
 */

/** Flat header list: `[name0, value0, name1, value1, …]`. Cheaper than tuples on the hot path. */
export type HeaderList = string[];


/**
 * The head of one parsed request (request line + header section), produced by
 * the parser in core/http/parser.ts.
 */
export interface RequestHead {
  /** Method token, exactly as sent (case-sensitive). */
  method: string;
  /** Request-target exactly as sent (origin-, absolute-, authority- or asterisk-form). */
  target: string;
  /** Minor HTTP version (the parser only accepts major version 1). */
  versionMinor: number;
  /**
   * Header fields in arrival order, flat: `[name, value, …]`. Names are
   * lower-cased; values have surrounding OWS removed; both decoded as latin1.
   */
  headers: HeaderList;
  /** Body length from Content-Length, -1 when absent (then `chunked` or no body). */
  contentLength: number;
  /** True when Transfer-Encoding ends in `chunked`. */
  chunked: boolean;
  /** Whether the connection may stay open after this exchange (version + Connection header). */
  keepAlive: boolean;
  /** True when the request carried `Expect: 100-continue`. */
  expectContinue: boolean;
  /** Value of the single Host header (`""` when absent, which only HTTP/1.0 allows). */
  host: string;
}

/** Limits applied while parsing; names follow gunicorn's settings. */
export interface ParserLimits {
  /** Max bytes of the request line (without CRLF); 0 = unlimited. Over → 414. */
  limitRequestLine: number;
  /** Max number of header fields; 0 = unlimited. Over → 431. */
  limitRequestFields: number;
  /** Max bytes of one header field line; 0 = unlimited. Over → 431. */
  limitRequestFieldSize: number;
  /** Max body bytes (declared or chunked); 0 = unlimited. Over → 413. */
  limitRequestBody: number;
  /** Accept a bare LF as line terminator (RFC 9112 §2.2 MAY); default false → 400. */
  permitBareLf?: boolean;
}

/** Receives parse events. Body chunks are views into the input and may be retained. */
export interface ParserEvents {
  onHead(head: RequestHead): void;
  onBody(chunk: Uint8Array): void;
  /** Trailer fields after a chunked body (flat list, lower-cased names). Only called when non-empty. */
  onTrailers(trailers: HeaderList): void;
  onComplete(): void;
}
