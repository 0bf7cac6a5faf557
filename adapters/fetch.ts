/**
 * Fetch adapter: serves apps of the form `{ fetch(request, info, ctx) }` or
 * `(request, info, ctx) => Response | Promise<Response>` — Hono apps, and
 * Deno.serve / Bun.serve style handlers — without patching globals.
 *
 * Requests are lightweight objects that inherit from `Request.prototype`
 * (so `instanceof Request` holds) and answer method/url/headers/body reads
 * directly from the parsed head; a real `Request` is only built when an app
 * touches something else (signal, clone(), formData(), …).
 *
 * Responses: a null body, or a string/bytes body the runtime still holds as
 * such (adapters/static-body.ts), is sent at once; otherwise the body stream is read
 * for a few microtask ticks: if it ends by then, the response goes out in one
 * write with Content-Length; else it streams (chunked) with backpressure, and
 * the stream is cancelled if the client goes away.
 */
import { concat, toBytes } from "./bytes.ts";
import type { HeaderList } from "../core/http/types.ts";
import type { IncomingRequest, RequestHandler, ResponseWriter } from "../core/server/types.ts";
import type { Logger } from "../core/log/logger.ts";
import { LightRequest, bunUpgradeRequest, pendingUpgrade, requestUrl } from "./request.ts";
import { headerList, keptBody, lightParts, runtimeResponse } from "./light-response.ts";
import type { BunWebSocketHandlers } from "./ws/bun-socket.ts";
import type { WebSocketConfig } from "./ws/config.ts";
import { WebSocketContext, answerRefusal, type BunUpgradeOptions } from "./ws/upgrade.ts";
import { staticBody } from "./static-body.ts";
import { errorHandlerOf, withErrorHandler } from "./serve-fields.ts";

/** Second argument of fetch handlers, shaped like Deno's `ServeHandlerInfo` (Hono sees it as `c.env`). */
export interface ServeInfo {
  readonly remoteAddr: { readonly transport: "tcp"; readonly hostname: string; readonly port: number };
  /** Bun-style peer address lookup. */
  requestIP(request?: unknown): { address: string; family: "IPv4" | "IPv6"; port: number };
  /** Bun's `server.upgrade`: switch `request` to a WebSocket run by the app's `websocket` handlers. */
  upgrade(request: Request, options?: BunUpgradeOptions): boolean;
  /** Bun's `server.publish`: send to every WebSocket of this worker subscribed to `topic`. */
  publish(topic: string, data: string | ArrayBufferLike | ArrayBufferView, compress?: boolean): number;
  /** Bun's `server.subscriberCount`: WebSockets of this worker subscribed to `topic`. */
  subscriberCount(topic: string): number;
}

/** Third argument of fetch handlers, like a Workers `ExecutionContext` (Hono's `c.executionCtx`). */
export interface ExecutionContext {
  /** Keeps nothing alive; a rejection of `promise` is logged. */
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
  readonly props: Record<string, unknown>;
}

/** A fetch handler function. */
export type FetchFunction = (request: Request, info: ServeInfo, ctx: ExecutionContext) => Response | Promise<Response>;
/** A fetch-style app: an object with `fetch` (Hono) or a bare function. */
export type FetchApp = FetchFunction | { fetch: FetchFunction };

/** Options of {@link fetchHandler}. */
export interface FetchOptions {
  /** Where `waitUntil` rejections are logged. */
  logger?: Logger;
  /** WebSocket limits and compression (defaults when absent). */
  websocket?: WebSocketConfig;
}

/** How many non-blocking reads decide between one Content-Length response and streaming. */
export const PROBE_READS = 3;
/** Microtask ticks a read may take and still count as "ready now". */
const SOON_TICKS = 6;
/** What {@link settleSoon} returns for a promise still pending. */
export const NOT_READY = Symbol("not ready");
/**
 * Bun leaves the implied `text/plain;charset=utf-8` of a string body out of
 * `response.headers` (its own server adds it while serializing). Probed once,
 * so complete bodies without a Content-Type get that type there too.
 */
export const IMPLIED_TEXT_TYPE = new Response("x").headers.get("content-type") === null;

class Info implements ServeInfo {
  private readonly req: IncomingRequest;
  private readonly ws: WebSocketContext;
  constructor(req: IncomingRequest, ws: WebSocketContext) {
    this.req = req;
    this.ws = ws;
  }
  upgrade(request: Request, options?: BunUpgradeOptions): boolean {
    return bunUpgradeRequest(request, options);
  }
  publish(topic: string, data: string | ArrayBufferLike | ArrayBufferView, compress = false): number {
    const message = typeof data === "string" ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
    return this.ws.topics.publish(topic, message, compress, null);
  }
  subscriberCount(topic: string): number {
    return this.ws.topics.subscriberCount(topic);
  }
  get remoteAddr(): ServeInfo["remoteAddr"] {
    return { transport: "tcp", hostname: this.req.remoteAddress, port: this.req.remotePort };
  }
  requestIP(): { address: string; family: "IPv4" | "IPv6"; port: number } {
    const address = this.req.remoteAddress;
    return { address, family: address.includes(":") ? "IPv6" : "IPv4", port: this.req.remotePort };
  }
}

export { headerList };

function hasContentType(headers: HeaderList): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === "content-type") return true;
  return false;
}

/** `p`'s value if it settles within {@link SOON_TICKS} microtask ticks, else NOT_READY (p keeps running). */
export async function settleSoon<T>(p: Promise<T>): Promise<T | typeof NOT_READY> {
  let value: T | typeof NOT_READY = NOT_READY;
  let failed = false;
  let error: unknown;
  p.then(
    (v) => { value = v; },
    (e: unknown) => { failed = true; error = e; },
  );
  for (let i = 0; i < SOON_TICKS && value === NOT_READY && !failed; i++) await undefined;
  if (failed) throw error;
  return value;
}

/** Writes a fetch `Response` through `res`. Returns a Promise unless the body is null. */
export function sendResponse(response: Response, res: ResponseWriter, isHead: boolean): void | Promise<void> {
  if (response === null || typeof response !== "object" || typeof (response as Response).status !== "number") {
    throw new TypeError(`the fetch handler must return a Response, got ${response === null ? "null" : typeof response}`);
  }
  // Fast path: a light Response (installed global, adapters/light-response.ts) nobody has looked into.
  const parts = lightParts(response);
  if (parts != null) {
    const reason = parts.statusText === "" ? undefined : parts.statusText;
    const whole = parts.body;
    // The list is the response's own: copy it only when a header is added.
    let list = parts.headers;
    if (IMPLIED_TEXT_TYPE && whole !== null && whole.length > 0 && !hasContentType(list)) {
      list = [...list, "content-type", "text/plain;charset=utf-8"];
    }
    res.send(parts.status, reason, list, whole);
    return;
  }
  const headers = headerList(response.headers);
  const reason = response.statusText === "" ? undefined : response.statusText;
  const whole = keptBody(response) ?? staticBody(runtimeResponse(response));
  if (whole !== undefined) {
    if (IMPLIED_TEXT_TYPE && whole.length > 0 && !hasContentType(headers)) headers.push("content-type", "text/plain;charset=utf-8");
    res.send(response.status, reason, headers, whole);
    return;
  }
  const body = response.body;
  if (body === null) {
    res.send(response.status, reason, headers, null);
    return;
  }
  return streamResponse(body, res, response.status, reason, headers, isHead);
}

async function streamResponse(
  body: ReadableStream<unknown>,
  res: ResponseWriter,
  status: number,
  reason: string | undefined,
  headers: HeaderList,
  isHead: boolean,
): Promise<void> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let pending: Promise<ReadableStreamReadResult<unknown>> | null = null;
  let done = false;
  try {
    for (let i = 0; i < PROBE_READS; i++) {
      pending ??= reader.read();
      const result = await settleSoon(pending);
      if (result === NOT_READY) break;
      pending = null;
      if (result.done) {
        done = true;
        break;
      }
      const bytes = toBytes(result.value);
      if (bytes.length > 0) chunks.push(bytes);
    }
  } catch (error) {
    reader.releaseLock();
    throw error;
  }
  if (done) {
    if (IMPLIED_TEXT_TYPE && chunks.length > 0 && !hasContentType(headers)) {
      headers.push("content-type", "text/plain;charset=utf-8");
    }
    res.send(status, reason, headers, concat(chunks));
    return;
  }
  res.start(status, reason, headers);
  if (isHead || res.closed) {
    res.end();
    await reader.cancel().catch(() => {});
    return;
  }
  let cancelled = false;
  const cancel = (): void => {
    if (cancelled) return;
    cancelled = true;
    reader.cancel().catch(() => {});
  };
  res.onClose(cancel);
  try {
    for (const chunk of chunks) {
      const wait = res.write(chunk);
      if (wait !== undefined) await wait;
    }
    for (;;) {
      if (res.closed) {
        cancel();
        return;
      }
      const result: ReadableStreamReadResult<unknown> = await (pending ?? reader.read());
      pending = null;
      if (result.done) break;
      if (cancelled) return;
      const wait = res.write(toBytes(result.value));
      if (wait !== undefined) await wait;
    }
    res.end();
  } catch (error) {
    if (cancelled || res.closed) return; // the client left; nothing to report
    cancel();
    throw error;
  }
}

/** The third argument of fetch handlers; `waitUntil` rejections go to `logger`. */
export function executionContext(logger: Logger | undefined): ExecutionContext {
  return {
    waitUntil(promise: Promise<unknown>): void {
      Promise.resolve(promise).catch((error: unknown) => {
        if (logger !== undefined) logger.error("Error in a waitUntil() promise", error);
      });
    },
    passThroughOnException(): void {},
    props: {},
  };
}

/** The app's Bun-style `websocket` handlers (`export default { fetch, websocket }`), or null. */
function bunHandlers(app: FetchApp): BunWebSocketHandlers | null {
  const handlers = (app as { websocket?: unknown }).websocket;
  return handlers !== null && typeof handlers === "object" ? (handlers as BunWebSocketHandlers) : null;
}

/** Sends what fetch returned, unless the app upgraded the request to a WebSocket. */
function respond(request: Request, response: Response, res: ResponseWriter, isHead: boolean): void | Promise<void> {
  const pending = pendingUpgrade(request);
  if (pending !== null && pending.finish(response)) return;
  return sendResponse(response, res, isHead);
}

/** Whether the request's URL (what `request.url` will be) is one `new URL()` accepts. */
function urlParses(req: IncomingRequest): boolean {
  return URL.canParse(requestUrl(req));
}

/**
 * Wraps a fetch-style app as a {@link RequestHandler}. A synchronous handler
 * returning a Response with a null body is answered without any Promise.
 */
export function fetchHandler(app: FetchApp, options: FetchOptions = {}): RequestHandler {
  let fetchFn: FetchFunction;
  if (typeof app === "function") {
    fetchFn = app;
  } else if (app !== null && typeof app === "object" && typeof app.fetch === "function") {
    const target = app;
    const method = app.fetch;
    fetchFn = (request, info, ctx) => method.call(target, request, info, ctx);
  } else {
    throw new TypeError("a fetch app must be a function or an object with a fetch() method");
  }
  const onError = errorHandlerOf(app);
  if (onError !== null) fetchFn = withErrorHandler(fetchFn, onError);
  const ctx = executionContext(options.logger);
  const ws = new WebSocketContext(options.websocket, options.logger, bunHandlers(app));
  // The last Host whose URL parsed: connections mostly repeat one, so the check costs a compare.
  let goodHost = "";
  return (req: IncomingRequest, res: ResponseWriter): void | Promise<void> => {
    const head = req.head;
    if ((head.host !== goodHost || head.target.charCodeAt(0) !== 0x2f) && !urlParses(req)) {
      // RFC-valid, yet not a URL the WHATWG parser takes (e.g. host 1.2.3.256): the app's `new URL(request.url)` would throw.
      options.logger?.debug(`Refusing ${head.method} ${head.target} (Host ${JSON.stringify(head.host)}): not a valid URL`);
      res.send(400, undefined, ["Content-Type", "text/plain; charset=utf-8"], "Bad Request");
      return;
    }
    if (head.target.charCodeAt(0) === 0x2f) goodHost = head.host;
    const request = new LightRequest(req, res, ws) as unknown as Request;
    const isHead = req.head.method === "HEAD";
    let response: Response | Promise<Response>;
    try {
      response = fetchFn(request, new Info(req, ws), ctx);
    } catch (error) {
      pendingUpgrade(request)?.fail();
      if (answerRefusal(error, res)) return;
      throw error;
    }
    if (response !== null && typeof response === "object" && typeof (response as Promise<Response>).then === "function") {
      return (response as Promise<Response>).then(
        (r) => respond(request, r, res, isHead),
        (error: unknown) => {
          pendingUpgrade(request)?.fail();
          if (!answerRefusal(error, res)) throw error;
        },
      );
    }
    return respond(request, response as Response, res, isHead);
  };
}
