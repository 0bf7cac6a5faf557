/**
 * Gateway adapter: serves apps written against tricorn's environ/startResponse
 * interface (WSGI-style), documented in docs/gateway.md:
 *
 * ```ts
 * export default (environ, startResponse) => {
 *   startResponse("200 OK", [["Content-Type", "text/plain"]]);
 *   return ["Hello ", environ.PATH_INFO];
 * };
 * ```
 *
 * Fast path: an array body (or a sync iterable of at most {@link COLLECT_LIMIT}
 * chunks) with write() never called goes out as one response with a computed
 * Content-Length, without a Promise when the app is synchronous.
 */
import { concat } from "./bytes.ts";
import { buildEnviron, type Environ, type EnvironOptions } from "../core/server/environ.ts";
import type { HeaderList } from "../core/http/types.ts";
import type { IncomingRequest, RequestHandler, ResponseWriter } from "../core/server/types.ts";

/** One piece of a response body. */
export type GatewayChunk = string | Uint8Array;
/** What a gateway app returns (or resolves to). A lone string/Uint8Array is one chunk. */
export type GatewayBody =
  | Iterable<GatewayChunk>
  | AsyncIterable<GatewayChunk>
  | GatewayChunk
  | null
  | undefined;
/** Response headers: `[name, value]` pairs (repeatable names) or a record. */
export type GatewayHeaders =
  | ReadonlyArray<readonly [string, string | number]>
  | Readonly<Record<string, string | number>>;
/** The legacy imperative writer returned by startResponse. Resolves when the socket drained. */
export type GatewayWrite = (chunk: GatewayChunk) => void | Promise<void>;
/** `startResponse(status, headers, error?)`; status is `"200 OK"` or a number. */
export type StartResponse = (status: string | number, headers: GatewayHeaders, error?: unknown) => GatewayWrite;
/** A gateway app. */
export type GatewayApp = (environ: Environ, startResponse: StartResponse) => GatewayBody | Promise<GatewayBody>;
/** Options of {@link gatewayHandler} (environ options: logger, headerMap, multiprocess). */
export type GatewayOptions = EnvironOptions;

/** Sync iterables yielding at most this many chunks are sent as one response. */
export const COLLECT_LIMIT = 8;

const encoder = new TextEncoder();

/** Parses `"404 Not Found"` / `404` into code and reason; throws TypeError when malformed. */
export function parseStatus(status: string | number): [number, string | undefined] {
  if (typeof status === "number") {
    if (Number.isInteger(status) && status >= 100 && status <= 999) return [status, undefined];
  } else if (typeof status === "string" && (status.length === 3 || (status.length > 3 && status.charCodeAt(3) === 0x20))) {
    const a = status.charCodeAt(0) - 48;
    const b = status.charCodeAt(1) - 48;
    const c = status.charCodeAt(2) - 48;
    if (a >= 1 && a <= 9 && b >= 0 && b <= 9 && c >= 0 && c <= 9) {
      return [a * 100 + b * 10 + c, status.length === 3 ? undefined : status.slice(4)];
    }
  }
  throw new TypeError(`invalid status ${JSON.stringify(status)}: expected "200 OK" or a number 100-999`);
}

/** Converts gateway headers to a flat header list; throws TypeError on malformed input. */
export function toHeaderList(headers: GatewayHeaders): HeaderList {
  const list: HeaderList = [];
  if (Array.isArray(headers)) {
    for (const pair of headers as ReadonlyArray<readonly [string, string | number]>) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string") {
        throw new TypeError(`invalid header ${JSON.stringify(pair)}: expected [name, value]`);
      }
      list.push(pair[0], headerValue(pair[0], pair[1]));
    }
  } else if (headers !== null && typeof headers === "object") {
    for (const name of Object.keys(headers)) {
      list.push(name, headerValue(name, (headers as Record<string, string | number>)[name]));
    }
  } else {
    throw new TypeError("headers must be an array of [name, value] pairs or an object");
  }
  return list;
}

function headerValue(name: string, value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  throw new TypeError(`header ${name} must have a string value, got ${typeof value}`);
}

function checkChunk(chunk: unknown): GatewayChunk {
  if (typeof chunk === "string" || chunk instanceof Uint8Array) return chunk;
  throw new TypeError(`gateway body chunks must be strings or Uint8Arrays, got ${chunk === null ? "null" : typeof chunk}`);
}

/** Joins collected chunks into one body for ResponseWriter.send. */
function joinChunks(chunks: GatewayChunk[]): GatewayChunk | null {
  if (chunks.length === 0) return null;
  if (chunks.length === 1) return chunks[0];
  let allStrings = true;
  for (let i = 0; i < chunks.length; i++) if (typeof chunks[i] !== "string") allStrings = false;
  if (allStrings) return (chunks as string[]).join("");
  return concat(chunks.map((c) => (typeof c === "string" ? encoder.encode(c) : c)));
}

function closeBody(body: unknown): void {
  const close = (body as { close?: unknown } | null)?.close;
  if (typeof close === "function") close.call(body);
}

/** Per-request state: the startResponse/write closures and the response progress. */
class GatewayCall {
  status = 0;
  reason: string | undefined = undefined;
  headers: HeaderList | null = null;
  wrote = false;
  private writeFn: GatewayWrite | null = null;
  readonly res: ResponseWriter;

  constructor(res: ResponseWriter) {
    this.res = res;
  }

  /** `environ["tricorn.on_close"]`: the listener runs if the client goes away before the response ended. */
  readonly onClose = (listener: () => void): void => this.res.onClose(listener);

  readonly startResponse: StartResponse = (status, headers, error) => {
    if (this.headers !== null) {
      if (error === undefined) throw new Error("startResponse() called a second time without an error");
      if (this.res.headersSent) throw error; // too late to replace the response
    }
    const [code, reason] = parseStatus(status);
    this.headers = toHeaderList(headers);
    this.status = code;
    this.reason = reason;
    return (this.writeFn ??= (chunk: GatewayChunk) => this.write(chunk));
  };

  /** Starts the streamed response if needed. */
  begin(): void {
    if (this.res.headersSent) return;
    if (this.headers === null) throw new Error("the app produced a body without calling startResponse()");
    this.res.start(this.status, this.reason, this.headers);
  }

  write(chunk: GatewayChunk): void | Promise<void> {
    checkChunk(chunk);
    this.wrote = true;
    if (chunk.length === 0) return;
    this.begin();
    return this.res.write(chunk);
  }

  /** Sends the whole response at once (write() was never called). */
  sendAll(chunks: GatewayChunk[]): void {
    if (this.headers === null) throw new Error("the app returned without calling startResponse()");
    this.res.send(this.status, this.reason, this.headers, joinChunks(chunks));
  }

  /** Handles what the app returned. Returns a Promise only when the body streams. */
  finish(body: GatewayBody): void | Promise<void> {
    if (body === null || body === undefined) return this.complete([], body);
    if (typeof body === "string" || body instanceof Uint8Array) return this.complete([body], null);
    if (Array.isArray(body)) {
      for (let i = 0; i < body.length; i++) checkChunk(body[i]);
      return this.complete(body, body);
    }
    const syncIterator = (body as Iterable<GatewayChunk>)[Symbol.iterator];
    if (typeof syncIterator === "function") {
      const iterator = syncIterator.call(body) as Iterator<GatewayChunk>;
      const chunks: GatewayChunk[] = [];
      try {
        for (;;) {
          const step = iterator.next();
          if (step.done) return this.complete(chunks, body);
          chunks.push(checkChunk(step.value));
          if (chunks.length > COLLECT_LIMIT) break;
        }
      } catch (error) {
        closeBody(body);
        throw error;
      }
      return this.stream(chunks, iterator, body);
    }
    const asyncIterator = (body as AsyncIterable<GatewayChunk>)[Symbol.asyncIterator];
    if (typeof asyncIterator === "function") {
      return this.stream([], asyncIterator.call(body) as AsyncIterator<GatewayChunk>, body);
    }
    throw new TypeError("the app must return an iterable or async iterable of strings/Uint8Arrays");
  }

  private complete(chunks: GatewayChunk[], body: unknown): void {
    try {
      if (this.wrote || this.res.headersSent) {
        this.begin();
        for (const chunk of chunks) if (chunk.length > 0) void this.res.write(chunk);
        this.res.end();
      } else {
        this.sendAll(chunks);
      }
    } finally {
      closeBody(body);
    }
  }

  private async stream(
    first: GatewayChunk[],
    iterator: Iterator<GatewayChunk> | AsyncIterator<GatewayChunk>,
    body: unknown,
  ): Promise<void> {
    const res = this.res;
    let finished = false;
    try {
      for (const chunk of first) {
        if (chunk.length === 0) continue;
        this.begin();
        const wait = res.write(chunk);
        if (wait !== undefined) await wait;
      }
      for (;;) {
        if (res.closed) break;
        const step = await iterator.next();
        if (step.done) {
          finished = true;
          break;
        }
        const chunk = checkChunk(step.value);
        if (chunk.length === 0) continue;
        this.begin();
        const wait = res.write(chunk);
        if (wait !== undefined) await wait;
      }
      if (finished) {
        this.begin();
        res.end();
      }
    } finally {
      if (!finished && typeof iterator.return === "function") {
        try {
          await iterator.return();
        } catch {
          // the original error (or the closed connection) matters more
        }
      }
      closeBody(body);
    }
  }
}

/**
 * Wraps a gateway app as a {@link RequestHandler}. Errors thrown before the
 * response started become a logged 500; after that the connection is aborted.
 */
export function gatewayHandler(app: GatewayApp, options: GatewayOptions): RequestHandler {
  if (typeof app !== "function") throw new TypeError("a gateway app must be a function (environ, startResponse)");
  return (req: IncomingRequest, res: ResponseWriter): void | Promise<void> => {
    const call = new GatewayCall(res);
    const result = app(buildEnviron(req, options, call.onClose), call.startResponse);
    if (result !== null && typeof result === "object" && typeof (result as Promise<GatewayBody>).then === "function" &&
      !(Symbol.asyncIterator in result)) {
      return (result as Promise<GatewayBody>).then((body) => call.finish(body));
    }
    return call.finish(result as GatewayBody);
  };
}
