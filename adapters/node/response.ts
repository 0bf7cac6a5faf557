/**
 * `res` for Node-style apps: an EventEmitter (the runtime's own class, see
 * streams.ts) shaped like node:http's ServerResponse, writing through core's
 * {@link ResponseWriter}. Framing follows node:http where it matters to the
 * bytes: a response ended before any `write()` goes out in one socket write
 * with `Content-Length`; once `write()` or `flushHeaders()` started it, the
 * app's Content-Length is used if set, else chunked (HTTP/1.1) or
 * close-delimited (HTTP/1.0). HEAD, 204 and 304 carry no body. `write()`
 * returns false above the socket's high-water mark and `'drain'` follows.
 * Implicit heads go through `writeHead` (as `_implicitHeader()` does in
 * node:http), so middleware that wraps `writeHead` (on-headers) sees them.
 */
import type { HeaderList } from "../../core/http/types.ts";
import type { ResponseWriter } from "../../core/server/types.ts";
import { chunkFor } from "./encoding.ts";
import type { NodeRequest } from "./request.ts";
import { OutgoingHeaders, checkHeader, type OutgoingValue } from "./response-headers.ts";
import type { NodeSocket } from "./socket.ts";
import type { EmitterClass, EmitterLike } from "./streams.ts";

/** Write/end callback. */
type Callback = (error?: Error | null) => void;

/** The response object of one exchange (see the module comment). */
export interface NodeResponse extends EmitterLike {
  statusCode: number;
  statusMessage: string | undefined;
  readonly req: NodeRequest;
  readonly socket: NodeSocket | null;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly writableFinished: boolean;
  setHeader(name: string, value: OutgoingValue): this;
  getHeader(name: string): OutgoingValue | undefined;
  writeHead(status: number, reason?: unknown, headers?: unknown): this;
  write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean;
  end(chunk?: unknown, encoding?: unknown, callback?: unknown): this;
  /** Called by the handler when the connection went away before the response ended. */
  connectionClosed(): void;
}

/** Constructor of {@link NodeResponse} bound to one runtime's EventEmitter. */
export type NodeResponseClass = new (req: NodeRequest, writer: ResponseWriter) => NodeResponse;

/** Node's error codes on Errors (ERR_HTTP_HEADERS_SENT, …). */
function codedError<E extends Error>(error: E, code: string): E {
  (error as E & { code: string }).code = code;
  return error;
}

/** Callbacks run as promise reactions: Node's queueMicrotask costs an AsyncResource per call. */
const RESOLVED = Promise.resolve();

const PHASE_OPEN = 0;
const PHASE_HEAD = 1; // writeHead() called: status and headers fixed, nothing written yet
const PHASE_STREAMING = 2; // writer.start() called
const PHASE_ENDED = 3;

/** Resolves write/end's optional (encoding, callback) arguments. */
function splitArgs(encoding: unknown, callback: unknown): [string | undefined, Callback | undefined] {
  if (typeof encoding === "function") return [undefined, encoding as Callback];
  return [typeof encoding === "string" ? encoding : undefined, typeof callback === "function" ? (callback as Callback) : undefined];
}

/** Adds `writeHead`'s headers argument (object, flat raw array or array of pairs) to `store`. */
function mergeHeaders(store: OutgoingHeaders, headers: unknown): void {
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const pair of headers as unknown[][]) {
        if (pair[0]) {
          checkHeader(pair[0] as string, pair[1]);
          store.append(pair[0] as string, pair[1] as OutgoingValue);
        }
      }
      return;
    }
    if (headers.length % 2 !== 0) {
      throw codedError(new TypeError("The argument 'headers' is invalid: a raw header array needs name/value pairs"), "ERR_INVALID_ARG_VALUE");
    }
    for (let i = 0; i < headers.length; i += 2) {
      if (headers[i]) {
        checkHeader(headers[i] as string, headers[i + 1]);
        store.append(headers[i] as string, headers[i + 1] as OutgoingValue);
      }
    }
    return;
  }
  if (headers !== null && typeof headers === "object") {
    for (const name of Object.keys(headers)) {
      const value = (headers as Record<string, OutgoingValue>)[name];
      if (!name || value === undefined) continue;
      checkHeader(name, value);
      store.set(name, value);
    }
  }
}

/** A header object as a flat list (checked like setHeader; arrays give one line per item). */
function objectHeaders(headers: Record<string, OutgoingValue | undefined>): HeaderList {
  const list: HeaderList = [];
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined || !name) continue;
    checkHeader(name, value);
    if (typeof value === "string") list.push(name, value);
    else if (typeof value === "number") list.push(name, String(value));
    else for (const item of value) list.push(name, String(item));
  }
  return list;
}

/** True when the head declares a `Trailer` field. */
function declaresTrailer(head: HeaderList): boolean {
  for (let i = 0; i < head.length; i += 2) if (head[i].length === 7 && head[i].toLowerCase() === "trailer") return true;
  return false;
}

/** Builds the {@link NodeResponse} class on the runtime's EventEmitter. */
export function defineResponseClass(EventEmitter: EmitterClass): NodeResponseClass {
  class ServerResponse extends EventEmitter implements NodeResponse {
    statusCode = 200;
    statusMessage: string | undefined = undefined;
    /** Accepted for compatibility; core always sends `Date`. */
    sendDate = true;
    strictContentLength = false;
    readonly req: NodeRequest;
    writableFinished = false;
    destroyed = false;
    /** Locals bag many frameworks expect to be able to set. */
    locals: Record<string, unknown> | undefined;
    private readonly writer: ResponseWriter;
    private store: OutgoingHeaders | null = null;
    private head: HeaderList | null = null;
    private phase = PHASE_OPEN;
    private needDrain = false;
    private detached = false;
    /** Fields of the last addTrailers() call, sent after a chunked body. */
    private trailerList: HeaderList | null = null;

    constructor(req: NodeRequest, writer: ResponseWriter) {
      super();
      this.req = req;
      this.writer = writer;
    }

    /** The request's socket object (made on first access), null after `detachSocket()`/assigning null. */
    get socket(): NodeSocket | null {
      return this.detached ? null : this.req.socket;
    }
    set socket(socket: NodeSocket | null) {
      this.detached = socket === null;
      if (socket !== null) this.req.socket = socket;
    }
    get connection(): NodeSocket | null {
      return this.socket;
    }
    get headersSent(): boolean {
      return this.phase !== PHASE_OPEN;
    }
    get _header(): boolean {
      return this.phase !== PHASE_OPEN;
    }
    get writableEnded(): boolean {
      return this.phase === PHASE_ENDED;
    }
    get finished(): boolean {
      return this.phase === PHASE_ENDED;
    }
    get writable(): boolean {
      return this.phase !== PHASE_ENDED && !this.writer.closed;
    }
    get writableNeedDrain(): boolean {
      return this.needDrain;
    }
    get writableLength(): number {
      return 0;
    }
    get writableHighWaterMark(): number {
      return 16384;
    }
    get writableCorked(): number {
      return 0;
    }
    get chunkedEncoding(): boolean {
      return false;
    }
    get shouldKeepAlive(): boolean {
      return true;
    }
    get useChunkedEncodingByDefault(): boolean {
      return true;
    }

    private headers(): OutgoingHeaders {
      return (this.store ??= new OutgoingHeaders());
    }
    private checkOpen(what: string): void {
      if (this.phase !== PHASE_OPEN) {
        throw codedError(new Error(`Cannot ${what} headers after they are sent to the client`), "ERR_HTTP_HEADERS_SENT");
      }
    }

    setHeader(name: string, value: OutgoingValue): this {
      this.checkOpen("set");
      checkHeader(name, value);
      this.headers().set(name, value);
      return this;
    }
    appendHeader(name: string, value: OutgoingValue): this {
      this.checkOpen("append");
      checkHeader(name, value);
      this.headers().append(name, value);
      return this;
    }
    setHeaders(headers: Headers | Map<string, OutgoingValue>): this {
      this.checkOpen("set");
      headers.forEach((value: OutgoingValue, name: string) => this.setHeader(name, value));
      return this;
    }
    getHeader(name: string): OutgoingValue | undefined {
      return this.store === null ? undefined : this.store.get(name);
    }
    getHeaders(): Record<string, OutgoingValue> {
      return this.store === null ? (Object.create(null) as Record<string, OutgoingValue>) : this.store.record();
    }
    getHeaderNames(): string[] {
      return this.store === null ? [] : this.store.names();
    }
    getRawHeaderNames(): string[] {
      return this.store === null ? [] : this.store.rawNames();
    }
    hasHeader(name: string): boolean {
      return this.store !== null && this.store.has(name);
    }
    removeHeader(name: string): void {
      this.checkOpen("remove");
      if (this.store !== null) this.store.remove(name);
    }

    writeHead(status: number, reason?: unknown, headers?: unknown): this {
      if (this.phase !== PHASE_OPEN) {
        throw codedError(new Error("Cannot write headers after they are sent to the client"), "ERR_HTTP_HEADERS_SENT");
      }
      const code = Number(status);
      if (!Number.isInteger(code) || code < 100 || code > 999) {
        throw codedError(new RangeError(`Invalid status code: ${String(status)}`), "ERR_HTTP_INVALID_STATUS_CODE");
      }
      if (typeof reason === "string") this.statusMessage = reason;
      else if (headers === undefined && reason !== undefined) headers = reason;
      this.statusCode = code;
      if (this.store === null && headers !== null && typeof headers === "object" && !Array.isArray(headers)) {
        // Nothing set before: the object becomes the head directly, as node:http passes it through.
        this.head = objectHeaders(headers as Record<string, OutgoingValue | undefined>);
      } else {
        if (headers !== undefined && headers !== null) mergeHeaders(this.headers(), headers);
        this.head = this.store === null || this.store.size === 0 ? [] : this.store.list();
      }
      this.phase = PHASE_HEAD;
      return this;
    }

    /** node:http's name for "write the head implied by statusCode and setHeader". */
    _implicitHeader(): void {
      this.writeHead(this.statusCode);
    }

    flushHeaders(): void {
      if (this.phase === PHASE_OPEN) this._implicitHeader();
      if (this.phase === PHASE_HEAD) this.startStream();
    }

    private startStream(): void {
      this.phase = PHASE_STREAMING;
      this.writer.start(this.statusCode, this.statusMessage, this.head!);
    }

    write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
      const [enc, cb] = splitArgs(encoding, callback);
      if (this.phase === PHASE_ENDED) {
        this.lateWrite(cb);
        return false;
      }
      const data = chunkFor(chunk, enc);
      if (this.phase === PHASE_OPEN) this._implicitHeader();
      if (this.phase === PHASE_HEAD) this.startStream();
      const wait = data.length === 0 ? undefined : this.writer.write(data);
      if (wait === undefined) {
        if (cb !== undefined) RESOLVED.then(() => cb());
        return !this.needDrain;
      }
      this.needDrain = true;
      wait.then(() => {
        this.needDrain = false;
        if (cb !== undefined) cb();
        this.emit("drain");
      });
      return false;
    }

    /** node:http's ERR_STREAM_WRITE_AFTER_END: to the callback and `'error'` listeners, never thrown at the worker. */
    private lateWrite(cb: Callback | undefined): void {
      const error = codedError(new Error("write after end"), "ERR_STREAM_WRITE_AFTER_END");
      queueMicrotask(() => {
        if (cb !== undefined) cb(error);
        if (this.listenerCount("error") > 0) this.emit("error", error);
      });
    }

    end(chunk?: unknown, encoding?: unknown, callback?: unknown): this {
      let cb: Callback | undefined;
      let enc: string | undefined;
      if (typeof chunk === "function") {
        cb = chunk as Callback;
        chunk = undefined;
      } else {
        [enc, cb] = splitArgs(encoding, callback);
      }
      if (this.phase === PHASE_ENDED) {
        if (cb !== undefined) {
          if (this.writableFinished) queueMicrotask(() => cb(codedError(new Error("end() after finish"), "ERR_STREAM_ALREADY_FINISHED")));
          else this.once("finish", cb);
        }
        return this;
      }
      const data = chunk === undefined || chunk === null ? null : chunkFor(chunk, enc);
      if (cb !== undefined) this.once("finish", cb);
      if (this.phase === PHASE_OPEN) this._implicitHeader();
      // As in node:http, a declared `Trailer` header makes even a one-piece body chunked, so trailers can follow.
      if (this.phase === PHASE_HEAD && (this.trailerList === null || !declaresTrailer(this.head!))) {
        this.phase = PHASE_ENDED;
        this.writer.send(this.statusCode, this.statusMessage, this.head!, data);
      } else {
        if (this.phase === PHASE_HEAD) this.startStream();
        this.phase = PHASE_ENDED;
        if (data !== null && data.length > 0) void this.writer.write(data);
        if (this.trailerList === null) this.writer.end();
        else this.writer.end(this.trailerList);
      }
      RESOLVED.then(() => this.finish());
      return this;
    }

    private finish(): void {
      this.writableFinished = true;
      this.emit("finish");
      this.req.dump();
      this.close();
    }

    /** `'close'` on the response and the per-request socket, once. */
    private close(): void {
      if (this.destroyed) return;
      this.destroyed = true;
      this.emit("close");
      this.req.socketIfMade()?.closed(false);
    }

    connectionClosed(): void {
      if (this.writableFinished) return;
      this.req.abort();
      this.close();
      // As on Node's own server, a response whose client left is over (the app stops on 'close').
      this.writer.abort();
    }

    destroy(error?: unknown): this {
      this.writer.abort(error);
      return this;
    }

    /**
     * Trailer fields sent after a chunked body (validated like node:http;
     * each call replaces the previous set). Dropped when the body is not
     * chunked, as node:http drops them.
     */
    addTrailers(headers: unknown): void {
      const list: HeaderList = [];
      if (headers !== null && typeof headers === "object") {
        for (const [name, value] of Array.isArray(headers) ? headers : Object.entries(headers)) {
          checkHeader(name, value);
          if (Array.isArray(value)) for (const item of value) list.push(name, String(item));
          else list.push(name, String(value));
        }
      }
      this.trailerList = list.length > 0 ? list : null;
    }

    /**
     * `100 Continue` is sent when the app starts reading the body; calling
     * writeContinue() starts that read (the first chunk waits in `req`'s buffer).
     */
    writeContinue(callback?: () => void): void {
      this.req.read(0);
      if (typeof callback === "function") queueMicrotask(callback);
    }
    /** `102 Processing` (HTTP/1.1 clients only, before the head). */
    writeProcessing(callback?: () => void): void {
      this.interim(102, [], callback);
    }
    /** `103 Early Hints` with `hints.link` (a string or an array) and any other hint fields; nothing without a link. */
    writeEarlyHints(hints: unknown, callback?: () => void): void {
      if (hints === null || typeof hints !== "object") {
        throw codedError(new TypeError('The "hints" argument must be of type object'), "ERR_INVALID_ARG_TYPE");
      }
      const record = hints as Record<string, unknown>;
      const link = record.link;
      if (link === null || link === undefined) return;
      const links = Array.isArray(link) ? link : [link];
      for (const item of links) {
        if (typeof item !== "string" || !item.startsWith("<")) {
          throw codedError(new TypeError(`Invalid Link header value ${JSON.stringify(item)}`), "ERR_INVALID_ARG_VALUE");
        }
      }
      if (links.length === 0) return;
      const fields: HeaderList = ["Link", links.join(", ")];
      for (const name of Object.keys(record)) {
        if (name === "link") continue;
        checkHeader(name, record[name]);
        fields.push(name, String(record[name]));
      }
      this.interim(103, fields, callback);
    }
    /** Sends an informational response through core (which skips HTTP/1.0 clients and started responses). */
    private interim(status: number, fields: HeaderList, callback: (() => void) | undefined): void {
      if (this.phase === PHASE_OPEN || this.phase === PHASE_HEAD) this.writer.informational?.(status, fields);
      if (typeof callback === "function") queueMicrotask(callback);
    }

    setTimeout(_ms: number, callback?: () => void): this {
      if (typeof callback === "function") this.once("timeout", callback);
      return this;
    }
    cork(): void {}
    uncork(): void {}
    assignSocket(): void {}
    detachSocket(): void {
      this.detached = true;
    }
  }
  return ServerResponse;
}
