/**
 * The contracts between tricorn's layers. Everything in `core/` talks to the
 * outside world only through these interfaces; `runtimes/*` implement them.
 *
 * Layering (see docs/architecture.md):
 *   runtime socket ──bytes──▶ Connection (core/connection.ts)
 *     ──RequestHead──▶ RequestHandler (adapters/*) ──▶ user app
 *     ◀──ResponseWriter── serializer (core/http/serializer.ts) ──bytes──▶ socket
 *
 * This file holds types only; it must stay free of runtime APIs.
 */

/** Flat header list: `[name0, value0, name1, value1, …]`. Cheaper than tuples on the hot path. */
export type HeaderList = string[];

/* ------------------------------------------------------------------ */
/* Timers                                                              */
/* ------------------------------------------------------------------ */

/** Opaque handle returned by {@link Timers.setInterval}/{@link Timers.setTimeout}. */
export type TimerHandle = unknown;

/**
 * Clock and timers handed to core by the runtime, so core never reaches for a
 * runtime module. Timers created through this interface must not keep the
 * process alive on their own (runtimes `unref` them where they can).
 */
export interface Timers {
  /** Milliseconds since an arbitrary epoch, monotonic enough for timeouts. */
  now(): number;
  /** Wall-clock milliseconds since the Unix epoch (for the `Date` header and logs). */
  wallNow(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

/* ------------------------------------------------------------------ */
/* Sockets                                                             */
/* ------------------------------------------------------------------ */

/**
 * What a runtime socket delivers to core. The runtime calls these; core
 * implements them (one {@link SocketHandlers} per accepted connection).
 */
export interface SocketHandlers {
  /**
   * Bytes arrived. The chunk belongs to the receiver from now on: the runtime
   * must not reuse or mutate its memory afterwards (core may keep views of it).
   */
  data(chunk: Uint8Array): void;
  /** The write buffer drained below its high-water mark after `write` returned false. */
  drain(): void;
  /** The peer half-closed (EOF). Core decides whether to finish the response and close. */
  end(): void;
  /** The socket is gone (closed by either side or errored). Called exactly once. */
  close(error?: unknown): void;
}

/** An accepted stream connection (TCP, unix or TLS), as core sees it. */
export interface Socket {
  /** Peer address (`""` for unix sockets). */
  readonly remoteAddress: string;
  /** Peer port (0 for unix sockets). */
  readonly remotePort: number;
  /** Local address the connection arrived on (`""` for unix sockets). */
  readonly localAddress: string;
  /** Local port (0 for unix sockets). */
  readonly localPort: number;
  /** True when the stream is TLS (url scheme `https`). */
  readonly encrypted: boolean;
  /**
   * Queue bytes for sending. Never drops or partially writes: the runtime
   * buffers what the kernel does not take. Returns false when the buffered
   * amount is above the high-water mark; core then waits for `drain`.
   * The runtime may keep a reference to `chunk` until it is written; core
   * must not mutate a chunk after passing it here.
   */
  write(chunk: Uint8Array): boolean;
  /** Stop delivering `data` until {@link resume}. Idempotent. */
  pause(): void;
  /** Resume delivering `data`. Idempotent. */
  resume(): void;
  /** Flush queued bytes, then close the connection. Idempotent. */
  end(): void;
  /** Close now, discarding queued bytes. Idempotent. */
  destroy(): void;
}

/** Called by a runtime listener for every accepted connection; returns the handlers for it. */
export type ConnectionAcceptor = (socket: Socket) => SocketHandlers;

/** A bound listening socket. */
export interface Listener {
  /** What was bound, for logs: `http://127.0.0.1:8000`, `unix:/tmp/x.sock`. */
  readonly url: string;
  /** Stop accepting; already accepted connections are untouched. */
  close(): Promise<void>;
}

/** Parsed form of one `--bind` value. */
export type BindAddress =
  | { kind: "tcp"; host: string; port: number }
  | { kind: "unix"; path: string }
  | { kind: "fd"; fd: number };

/* ------------------------------------------------------------------ */
/* Parsed requests                                                     */
/* ------------------------------------------------------------------ */

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

/* ------------------------------------------------------------------ */
/* App-facing request/response (between Connection and adapters)      */
/* ------------------------------------------------------------------ */

/** A request body as an async byte stream. Reading it first sends `100 Continue` when expected. */
export interface RequestBody extends AsyncIterable<Uint8Array> {
  /** Next chunk, or null at the end of the body. */
  read(): Promise<Uint8Array | null>;
  /** Whole body as one byte array. */
  bytes(): Promise<Uint8Array>;
  /** Whole body as an ArrayBuffer. */
  arrayBuffer(): Promise<ArrayBuffer>;
  /** Whole body decoded as UTF-8. */
  text(): Promise<string>;
  /** True when the request has no body at all (no Content-Length > 0, not chunked). */
  readonly empty: boolean;
}

/** One request handed from the connection to an adapter. */
export interface IncomingRequest {
  readonly head: RequestHead;
  readonly body: RequestBody;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** `http` or `https` (after trusted proxy headers, if any). */
  readonly scheme: string;
}

/**
 * Writes one response. Either call {@link send} once, or {@link start}, then
 * {@link write} any number of times, then {@link end}.
 */
export interface ResponseWriter {
  /**
   * Whole response in one socket write: status line, headers, `Content-Length`
   * (unless the app set one), `Date`, `Server`, body. Fast path.
   */
  send(status: number, reason: string | undefined, headers: HeaderList, body: Uint8Array | string | null): void;
  /**
   * Begin a streamed response. Uses the app's `Content-Length` if given, else
   * chunked (HTTP/1.1) or close-delimited (HTTP/1.0).
   */
  start(status: number, reason: string | undefined, headers: HeaderList): void;
  /** Write a body chunk; resolves later only when the socket is above its high-water mark. */
  write(chunk: Uint8Array | string): void | Promise<void>;
  /** Finish the response. */
  end(): void;
  /** Abort mid-response (app error after headers were sent): the connection is closed. */
  abort(error?: unknown): void;
  /** True once the head has been written (or queued). */
  readonly headersSent: boolean;
  /** True if the connection died; writes are ignored. */
  readonly closed: boolean;
  /** Call `listener` once if the connection closes before the response ended (client went away). */
  onClose(listener: () => void): void;
}

/** Adapter entry point: serve one request. A rejection before headers → 500. */
export type RequestHandler = (req: IncomingRequest, res: ResponseWriter) => void | Promise<void>;

/* ------------------------------------------------------------------ */
/* Logging                                                             */
/* ------------------------------------------------------------------ */

/** Error-log sink (levels as gunicorn's `loglevel`). */
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warning(msg: string): void;
  error(msg: string, error?: unknown): void;
  critical(msg: string, error?: unknown): void;
}
