/**
 * `--engine native` on Node: a `node:http` (`node:https` with TLS) server
 * per bind. Under `node:cluster` its `listen` shares the master's socket
 * exactly as the core engine's `node:net` listener does.
 *
 * node:http is not fetch-based, so the app runs through tricorn's fetch
 * adapter (adapters/fetch.ts): each request becomes a {@link NodeExchange},
 * an IncomingRequest over the `IncomingMessage` (a lazy `Request` is built
 * from it only if the app touches more than method/url/headers/body) and a
 * ResponseWriter over the `ServerResponse` (a complete body is written in
 * one `end`, a stream chunk by chunk with backpressure). No globals patched.
 */
import http from "node:http";
import https from "node:https";
import type net from "node:net";
import { listenerUrl } from "../../core/net/bind.ts";
import { acceptSwitch } from "./socket.ts";
import { EMPTY_BODY } from "../../core/server/body.ts";
import { dispatchNative } from "../../core/server/native-engine.ts";
import type { NativeApp, NativeExchange, NativeServeOptions, ServeNativeFn } from "../../core/server/native-engine.ts";
import { HttpError } from "../../core/http/errors.ts";
import { isNullBodyStatus, reasonPhrase } from "../../core/http/status.ts";
import type { AccessRecord } from "../../core/log/access-log.ts";
import type { BindAddress } from "../../core/net/bind.ts";
import type { HeaderList, RequestHead } from "../../core/http/types.ts";
import type { RequestBody } from "../../core/server/types.ts";

const decoder = new TextDecoder();
const NULL_CHUNK: Promise<null> = Promise.resolve(null);

/** Per-listener state shared by its exchanges. */
interface Site {
  readonly app: NativeApp;
  readonly server: http.Server;
  readonly scheme: "http" | "https";
  readonly limit: number;
  /** Close connections after each response (keepalive 0, or a graceful stop began). */
  closeAfter: boolean;
  draining: boolean;
}

/** A request body read from the IncomingMessage, bounded by `limit_request_body`. */
class NodeBody implements RequestBody {
  readonly empty = false;
  private iterator: AsyncIterator<Buffer> | null = null;
  private received = 0;

  constructor(
    private readonly req: http.IncomingMessage,
    private readonly limit: number,
  ) {}

  read(): Promise<Uint8Array | null> {
    if (this.req.readableEnded && this.iterator === null) return NULL_CHUNK;
    this.iterator ??= this.req[Symbol.asyncIterator]();
    return this.iterator.next().then((result) => {
      if (result.done) return null;
      this.received += result.value.length;
      if (this.limit > 0 && this.received > this.limit) throw new HttpError(413, "request body is larger than limit_request_body");
      return result.value;
    });
  }

  async bytes(): Promise<Uint8Array> {
    const chunks: Buffer[] = [];
    for (let chunk = await this.read(); chunk !== null; chunk = await this.read()) chunks.push(chunk as Buffer);
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.bytes();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async text(): Promise<string> {
    return decoder.decode(await this.bytes());
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (let chunk = await this.read(); chunk !== null; chunk = await this.read()) yield chunk;
  }
}

/** The request head from node:http's parse (names lower-cased, as core's parser gives them). */
function requestHead(req: http.IncomingMessage): RequestHead {
  const raw = req.rawHeaders;
  const headers: HeaderList = new Array<string>(raw.length);
  let host = "";
  let contentLength = -1;
  let chunked = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const value = raw[i + 1];
    headers[i] = name;
    headers[i + 1] = value;
    if (name === "host") host = value;
    else if (name === "content-length") contentLength = Number(value);
    else if (name === "transfer-encoding") chunked = /chunked\s*$/i.test(value);
  }
  return {
    method: req.method ?? "GET",
    target: req.url ?? "/",
    versionMinor: req.httpVersionMinor,
    headers,
    contentLength,
    chunked,
    keepAlive: true,
    expectContinue: false,
    host,
  };
}

function hasHeader(headers: HeaderList, lower: string): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (name.length === lower.length && (name === lower || name.toLowerCase() === lower)) return true;
  }
  return false;
}

/** One request/response on a node:http server; see the module comment. */
class NodeExchange implements NativeExchange, AccessRecord {
  readonly head: RequestHead;
  readonly body: RequestBody;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly scheme: string;
  status = 0;
  responseHeaders: HeaderList | null = null;
  bodyBytes = 0;
  startTime = 0;
  finished = false;
  private aborted = false;
  private readonly socket: net.Socket;

  constructor(
    req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
    private readonly site: Site,
  ) {
    const socket = req.socket;
    this.socket = socket;
    this.head = requestHead(req);
    this.body = this.head.contentLength > 0 || this.head.chunked ? new NodeBody(req, site.limit) : EMPTY_BODY;
    this.remoteAddress = socket.remoteAddress ?? "";
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = socket.localAddress ?? "";
    this.localPort = socket.localPort ?? 0;
    this.scheme = site.scheme;
    const { accessLog, stats } = site.app;
    if (accessLog !== null) this.startTime = accessLog.now();
    else if (stats?.timed) this.startTime = stats.now();
    // 'close' comes once per response, finished or cut off: the in-flight count cannot leak.
    site.app.inFlight++;
    res.once("close", () => site.app.inFlight--);
  }

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  get closed(): boolean {
    return this.aborted || this.socket.destroyed;
  }

  send(status: number, reason: string | undefined, headers: HeaderList, body: Uint8Array | string | null): void {
    const bodyAllowed = body !== null && status >= 200 && !isNullBodyStatus(status);
    const length = bodyAllowed ? (typeof body === "string" ? Buffer.byteLength(body) : body!.length) : -1;
    this.writeHead(status, reason, this.begin(status, headers, length >= 0 && !hasHeader(headers, "content-length") ? length : -1));
    if (bodyAllowed && this.head.method !== "HEAD" && this.counted) this.bodyBytes = length;
    this.finished = true;
    this.res.end(bodyAllowed ? body! : undefined);
    this.done();
  }

  start(status: number, reason: string | undefined, headers: HeaderList): void {
    this.writeHead(status, reason, this.begin(status, headers, -1));
  }

  write(chunk: Uint8Array | string): void | Promise<void> {
    if (this.finished || this.closed) return;
    if (this.counted) this.bodyBytes += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
    if (this.res.write(chunk)) return;
    return new Promise<void>((resolve) => {
      const done = () => {
        this.res.off("drain", done);
        this.res.off("close", done);
        resolve();
      };
      this.res.on("drain", done);
      this.res.on("close", done);
    });
  }

  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.res.end();
    this.done();
  }

  abort(): void {
    if (this.aborted) return;
    const unfinished = this.res.headersSent && !this.finished;
    this.aborted = true;
    this.finished = true;
    this.res.destroy();
    if (unfinished) this.recordResponse();
  }

  onClose(listener: () => void): void {
    if (this.closed) {
      listener();
      return;
    }
    this.res.once("close", () => {
      if (!this.finished || this.socket.destroyed) listener();
    });
  }

  sendError(status: number): void {
    this.send(status, undefined, ["content-type", "text/plain; charset=utf-8"], reasonPhrase(status));
  }

  /**
   * The head to send: `headers`, plus `Connection: close` when this response
   * is the connection's last (keepalive 0 or a graceful stop) and the
   * Content-Length when `contentLength` ≥ 0 — in a copy then, as the list may
   * be the app's own Response's (a light Response may be answered again).
   */
  private begin(status: number, headers: HeaderList, contentLength: number): HeaderList {
    if (this.res.headersSent) throw new Error("response already started");
    const closing = this.site.closeAfter || this.site.draining;
    if (closing || contentLength >= 0) {
      headers = headers.slice();
      if (closing) headers.push("connection", "close");
      if (contentLength >= 0) headers.push("content-length", String(contentLength));
    }
    this.status = status;
    this.responseHeaders = headers;
    return headers;
  }

  /** Body bytes are counted for the access log and the request counters. */
  private get counted(): boolean {
    return this.site.app.accessLog !== null || this.site.app.stats !== null;
  }

  /** Log and count a response that ended (or was cut off after its head). */
  private recordResponse(): void {
    const { accessLog, stats } = this.site.app;
    accessLog?.log(this);
    stats?.responded(this.head.method, this.status, this.bodyBytes, this.startTime);
  }

  private writeHead(status: number, reason: string | undefined, headers: HeaderList): void {
    if (reason === undefined) this.res.writeHead(status, headers);
    else this.res.writeHead(status, reason, headers);
  }

  private done(): void {
    const { app, draining, server } = this.site;
    this.recordResponse();
    app.requestDone();
    // A response whose head went out before the stop began leaves an idle keep-alive connection.
    if (draining) setImmediate(() => server.closeIdleConnections());
  }
}

function listenOptions(bind: BindAddress, backlog: number): net.ListenOptions {
  switch (bind.kind) {
    case "tcp":
      return { host: bind.host, port: bind.port, backlog };
    case "unix":
      return { path: bind.path, backlog };
    case "fd":
      return { fd: bind.fd, backlog } as net.ListenOptions;
  }
}

function createServer(options: NativeServeOptions): http.Server {
  const serverOptions: http.ServerOptions = {
    noDelay: true,
    // tricorn bounds the request head, not the whole request (a slow upload is fine).
    requestTimeout: 0,
    headersTimeout: options.headerTimeout * 1000,
    // How often Node checks headersTimeout (its default, 30 s, would make a 10 s limit 40 s).
    connectionsCheckingInterval: 1000,
  };
  const tls = options.tls;
  const server =
    tls === undefined
      ? http.createServer(serverOptions)
      : https.createServer({ ...serverOptions, cert: tls.cert, key: tls.key, handshakeTimeout: tls.handshakeTimeoutMs || undefined });
  if (options.keepalive > 0) server.keepAliveTimeout = options.keepalive * 1000;
  gateConnections(server, options.workerConnections);
  return server;
}

/**
 * `worker_connections` as the core engine applies it (core/server/accept-gate.ts):
 * at the cap the listener stops accepting, so new connections wait in the
 * backlog or go to a sibling worker, and it accepts again once one closes.
 * Counted from TCP accept (a TLS handshake counts). Where the listener cannot
 * pause (round-robin cluster scheduling) Node's own `maxConnections` applies,
 * as it did before.
 */
function gateConnections(server: net.Server, max: number): void {
  const accepting = acceptSwitch(server);
  let open = 0;
  server.on("connection", (socket: net.Socket) => {
    if (++open >= max && !accepting.pause()) server.maxConnections = max;
    socket.once("close", () => {
      if (--open < max && server.listening) accepting.resume();
    });
  });
}

/** Serve `app` on `bind` with node:http (node:https with `options.tls`). */
export const serveNative: ServeNativeFn = async (bind, app, options) => {
  const server = createServer(options);
  const site: Site = {
    app,
    server,
    scheme: options.tls === undefined ? "http" : "https",
    limit: options.limitRequestBody,
    closeAfter: options.keepalive === 0,
    draining: false,
  };
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const ex = new NodeExchange(req, res, site);
    if (site.limit > 0 && ex.head.contentLength > site.limit) {
      // Answered without reading the body, so the connection cannot carry another request.
      ex.send(413, undefined, ["content-type", "text/plain; charset=utf-8", "connection", "close"], reasonPhrase(413));
      return;
    }
    dispatchNative(app.handler, ex, app.logger);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listenOptions(bind, options.backlog), () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (error) => options.onError?.(error));
  const address = server.address();
  const port = address !== null && typeof address === "object" ? address.port : undefined;
  const url = bind.kind === "fd" && port !== undefined && typeof address === "object" && address !== null
    ? listenerUrl({ kind: "tcp", host: address.address, port })
    : listenerUrl(bind, port);
  let stopped: Promise<void> | null = null;
  return {
    url,
    shutdown: () =>
      (stopped ??= new Promise<void>((resolve) => {
        site.draining = true;
        server.close(() => resolve());
        server.closeIdleConnections();
      })),
  };
};
