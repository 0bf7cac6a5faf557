/**
 * A lightweight fetch `Request` for the fetch adapter. It inherits from
 * `Request.prototype` (so `instanceof Request` and prototype methods work) but
 * serves the common reads — method, url, headers, text()/json()/arrayBuffer()
 * — straight from the parsed request, without building a real Request, a
 * Headers object or a ReadableStream unless the app asks for them. Anything
 * else (signal, clone(), formData(), cache, …) materializes one real Request
 * on first use and forwards to it.
 */
import type { IncomingRequest, ResponseWriter } from "../core/server/types.ts";
import { forwardMembers } from "./forward.ts";
import {
  UPGRADE_WEBSOCKET, bunUpgrade, upgradeWebSocket, type BunUpgradeOptions, type PendingUpgrade, type UpgradeWebSocketOptions,
  type UpgradeWebSocketResult, type WebSocketContext,
} from "./ws/upgrade.ts";

const INCOMING = Symbol("tricorn.incoming");
const RESPONSE = Symbol("tricorn.response");
const URL_CACHE = Symbol("tricorn.url");
const HEADERS = Symbol("tricorn.headers");
const STREAM = Symbol("tricorn.stream");
const REAL = Symbol("tricorn.request");
const USED = Symbol("tricorn.bodyUsed");
const WS = Symbol("tricorn.websocket");
const PENDING = Symbol("tricorn.pendingUpgrade");

function unusable(): Promise<never> {
  return Promise.reject(new TypeError("Body is unusable: the request body has already been read"));
}

/** Fetch-spec method normalization (only these six are upper-cased). */
function normalizeMethod(method: string): string {
  switch (method) {
    case "GET":
    case "POST":
    case "PUT":
    case "DELETE":
    case "HEAD":
    case "OPTIONS":
    case "PATCH":
      return method;
  }
  const upper = method.toUpperCase();
  switch (upper) {
    case "GET":
    case "POST":
    case "PUT":
    case "DELETE":
    case "HEAD":
    case "OPTIONS":
      return upper;
  }
  return method;
}

/** `scheme://host/target` of a request (absolute-form targets are used as they are). */
export function requestUrl(req: IncomingRequest): string {
  const head = req.head;
  const target = head.target;
  const first = target.charCodeAt(0);
  if (first !== 0x2f /* / */ && (target.startsWith("http://") || target.startsWith("https://"))) return target;
  let host = head.host;
  if (host === "") {
    const addr = req.localAddress;
    host = addr === "" ? "localhost" : (addr.includes(":") ? "[" + addr + "]" : addr) + ":" + req.localPort;
  }
  if (first === 0x2f) return req.scheme + "://" + host + target;
  if (target === "*") return req.scheme + "://" + host + "/";
  return req.scheme + "://" + target + "/"; // authority-form (CONNECT host:port)
}

/** A ReadableStream over a request body (pull-based: reads only what the consumer asks for). */
function bodyStream(req: IncomingRequest): ReadableStream<Uint8Array> {
  const body = req.body;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller): Promise<void> {
        const chunk = await body.read();
        if (chunk === null) controller.close();
        else controller.enqueue(chunk);
      },
    },
    { highWaterMark: 0 },
  );
}

/** See the module comment. Construct with `new LightRequest(req, res)` and use it as a `Request`. */
export class LightRequest {
  [INCOMING]: IncomingRequest;
  [RESPONSE]: ResponseWriter;
  [URL_CACHE]: string | undefined = undefined;
  [HEADERS]: Headers | undefined = undefined;
  [STREAM]: ReadableStream<Uint8Array> | null | undefined = undefined;
  [REAL]: Request | undefined = undefined;
  [USED] = false;
  [WS]: WebSocketContext | null;
  [PENDING]: PendingUpgrade | null = null;

  constructor(req: IncomingRequest, res: ResponseWriter, ws: WebSocketContext | null = null) {
    this[INCOMING] = req;
    this[RESPONSE] = res;
    this[WS] = ws;
  }

  /** tricorn's `upgradeWebSocket` for this request (adapters/websocket.ts calls it through the global symbol). */
  [UPGRADE_WEBSOCKET](options?: UpgradeWebSocketOptions): UpgradeWebSocketResult {
    const ctx = this[WS];
    if (ctx === null) throw new TypeError("WebSocket upgrades are not available for this request");
    if (this[PENDING] !== null) throw new TypeError("this request is already being upgraded");
    return upgradeWebSocket(this[INCOMING], this[RESPONSE], this.url, ctx, (p) => (this[PENDING] = p), options);
  }

  get method(): string {
    return normalizeMethod(this[INCOMING].head.method);
  }

  get url(): string {
    return (this[URL_CACHE] ??= requestUrl(this[INCOMING]));
  }

  get headers(): Headers {
    let headers = this[HEADERS];
    if (headers === undefined) {
      headers = new Headers();
      const list = this[INCOMING].head.headers;
      for (let i = 0; i < list.length; i += 2) headers.append(list[i], list[i + 1]);
      this[HEADERS] = headers;
    }
    return headers;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this[REAL] !== undefined) return this[REAL].body;
    return this.stream();
  }

  get bodyUsed(): boolean {
    if (this[USED]) return true;
    const real = this[REAL];
    if (real !== undefined) return real.bodyUsed;
    const stream = this[STREAM];
    return stream != null && stream.locked;
  }

  get signal(): AbortSignal {
    return this.real().signal;
  }

  text(): Promise<string> {
    if (!this.direct()) return this.real().text();
    return this[INCOMING].body.text();
  }

  json(): Promise<unknown> {
    if (!this.direct()) return this.real().json();
    return this[INCOMING].body.text().then(JSON.parse);
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    if (!this.direct()) return this.real().arrayBuffer();
    return this[INCOMING].body.arrayBuffer();
  }

  bytes(): Promise<Uint8Array> {
    if (!this.direct()) {
      const real = this.real() as Request & { bytes?: () => Promise<Uint8Array> };
      return typeof real.bytes === "function" ? real.bytes() : real.arrayBuffer().then((b) => new Uint8Array(b));
    }
    return this[INCOMING].body.arrayBuffer().then((b) => new Uint8Array(b));
  }

  blob(): Promise<Blob> {
    // Through the real Request: how the Blob's type is derived from Content-Type varies by runtime.
    if (this[USED]) return unusable();
    return this.real().blob();
  }

  formData(): Promise<FormData> {
    if (this[USED]) return unusable();
    return this.real().formData();
  }

  clone(): Request {
    if (this[USED]) throw new TypeError("Body is unusable: the request body has already been read");
    return this.real().clone();
  }

  /**
   * Claims the body for a direct read. True → read `INCOMING.body` directly;
   * false → the body went to a stream/real Request already (use that).
   * Throws (as a rejected read would) when it was already consumed directly.
   */
  private direct(): boolean {
    if (this[USED]) throw new TypeError("Body is unusable: the request body has already been read");
    if (this[REAL] !== undefined || this[STREAM] !== undefined) return false;
    // A request without a body (null `body`) reads as empty any number of times, like a real one.
    if (!this.hasBody()) return true;
    this[USED] = true;
    return true;
  }

  /** False when `body` is null: GET/HEAD, or nothing was sent. */
  private hasBody(): boolean {
    const req = this[INCOMING];
    const method = req.head.method;
    return !(req.body.empty || method === "GET" || method === "HEAD");
  }

  private stream(): ReadableStream<Uint8Array> | null {
    let stream = this[STREAM];
    if (stream === undefined) {
      const req = this[INCOMING];
      if (!this.hasBody()) stream = null;
      else if (this[USED]) stream = new ReadableStream<Uint8Array>({ start: (c) => c.close() });
      else stream = bodyStream(req);
      this[STREAM] = stream;
    }
    return stream;
  }

  /** The real Request, built on first use (its signal aborts when the client goes away). */
  real(): Request {
    let real = this[REAL];
    if (real === undefined) {
      const controller = new AbortController();
      this[RESPONSE].onClose(() => controller.abort(new Error("client disconnected")));
      const body = this.stream();
      const init: RequestInit & { duplex?: "half" } = {
        method: this.method,
        headers: this.headers,
        signal: controller.signal,
      };
      if (body !== null) {
        init.body = body;
        init.duplex = "half";
      }
      real = new Request(this.url, init);
      this[REAL] = real;
    }
    return real;
  }
}

for (const name of ["text", "json", "arrayBuffer", "bytes", "blob"] as const) {
  // Direct reads throw synchronously from direct(); a body read must reject instead.
  const read = LightRequest.prototype[name] as (this: LightRequest) => Promise<unknown>;
  Object.defineProperty(LightRequest.prototype, name, {
    value: function (this: LightRequest): Promise<unknown> {
      try {
        return read.call(this);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    writable: true,
    configurable: true,
  });
}

// Everything else a Request has (cache, mode, redirect, referrer, keepalive, …) is forwarded.
forwardMembers(LightRequest.prototype, Request.prototype, (request: LightRequest) => request.real());
Object.setPrototypeOf(LightRequest.prototype, Request.prototype);

/** The upgrade an app asked for while handling `request` (then the fetch adapter completes it), or null. */
export function pendingUpgrade(request: Request): PendingUpgrade | null {
  return request instanceof LightRequest ? request[PENDING] : null;
}

/** Bun's `server.upgrade(request, options)` for a request tricorn made; false for any other request. */
export function bunUpgradeRequest(request: unknown, options?: BunUpgradeOptions): boolean {
  if (!(request instanceof LightRequest)) return false;
  const ctx = request[WS];
  if (ctx === null || request[PENDING] !== null) return false;
  return bunUpgrade(request[INCOMING], request[RESPONSE], ctx, (p) => (request[PENDING] = p), options);
}
