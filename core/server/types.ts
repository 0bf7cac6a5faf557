/**
 * The contract between the connection layer and the app adapters: one
 * request in ({@link IncomingRequest} with its {@link RequestBody}), one
 * response out ({@link ResponseWriter}). Types only.
 *
 *   runtime socket ──bytes──▶ Connection (core/server/connection.ts)
 *     ──IncomingRequest──▶ RequestHandler (adapters/*) ──▶ user app
 *     ◀──ResponseWriter── serializer (core/http/serializer.ts) ──bytes──▶ socket
 */
import type { HeaderList, RequestHead } from "../http/types.ts";

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
  /**
   * Finish the response. `trailers` (a flat list) follow a chunked body as
   * its trailer section; they are dropped when the body is not chunked
   * (Content-Length, HTTP/1.0, HEAD, 204, 304), as node:http drops them,
   * and by the `--engine native` glue, which sends none.
   * @throws ResponseError (nothing written) for an invalid trailer field
   */
  end(trailers?: HeaderList): void;
  /**
   * Sends an informational response (102–199, e.g. `103 Early Hints`) before
   * the final one. Returns false, sending nothing, when the response has
   * started, the client speaks HTTP/1.0 (RFC 9110 §15.2) or is gone. Core's
   * engine has it; the `--engine native` glue does not.
   * @throws ResponseError for another status or an invalid field
   */
  informational?(status: number, headers: HeaderList): boolean;
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
