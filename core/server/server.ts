/**
 * ServerCore: the runtime-independent HTTP server of one worker. A runtime
 * listener hands every accepted socket to {@link ServerCore.accept}; the core
 * owns the connections, their shared serializer and their shared timeout
 * wheel, counts requests and supports graceful drain.
 *
 * ```ts
 * const server = new ServerCore({ handler, timers, logger, options: { keepalive: 5 } });
 * listen(bind, server.accept);          // runtime-specific
 * // on SIGTERM:
 * server.closeIdle();
 * await server.drain();
 * ```
 */
import type { AccessLogger } from "../log/access-log.ts";
import { Connection } from "./connection.ts";
import type { ConnectionServer } from "./connection-server.ts";
import { DateCache } from "../http/date.ts";
import { ResponseSerializer } from "../http/serializer.ts";
import { DEFAULT_TICK_MS, TimeoutWheel } from "./timeout-wheel.ts";
import { compileAllowList, type AddressMatcher } from "../net/ip-match.ts";
import { ServerStats } from "./stats.ts";
import type { ConnectionAcceptor, Socket, SocketHandlers } from "../runtime/socket.ts";
import type { Logger } from "../log/logger.ts";
import type { ParserLimits } from "../http/types.ts";
import type { RequestHandler } from "./types.ts";
import type { Timers } from "../runtime/timers.ts";

/** gunicorn's `header_map`: what to do with request headers whose names contain `_`. */
export type HeaderMap = "drop" | "refuse" | "dangerous";

/** Tunables of a {@link ServerCore} (names follow gunicorn's settings). */
export interface ServerOptions {
  /** Request parser limits. */
  limits: ParserLimits;
  /** Seconds an idle keep-alive connection waits for its next request; 0 disables keep-alive. */
  keepalive: number;
  /** Seconds a client has to send a complete request head (slowloris guard); 0 = no limit. */
  headerTimeout: number;
  /** Longest gap in seconds between two reads of a request body still expected; 0 = no limit. */
  bodyTimeout: number;
  /** Longest time in seconds a blocked response write (or a closing connection) waits for the client to read; 0 = no limit. */
  sendTimeout: number;
  /** `Server` response header value; `""` omits the header. */
  serverHeader: string;
  /** Headers with `_` in their names: dropped from the environ, refused (400) or kept. */
  headerMap: HeaderMap;
  /** Interval of the shared timeout ticker in ms (timeouts fire within one tick). */
  tickMs: number;
  /** Peers (IPs, CIDRs, `*`) whose Forwarded / X-Forwarded-* headers set the client address and scheme. */
  forwardedAllowIps: readonly string[];
  /** Connections from {@link proxyAllowIps} must start with a PROXY protocol v1/v2 header. */
  proxyProtocol: boolean;
  /** Peers allowed to send a PROXY header (only with {@link proxyProtocol}). */
  proxyAllowIps: readonly string[];
}

/** Defaults matching gunicorn (keepalive 2 s, limits 4094/100/8190, no body limit). */
export function defaultServerOptions(): ServerOptions {
  return {
    limits: {
      limitRequestLine: 4094,
      limitRequestFields: 100,
      limitRequestFieldSize: 8190,
      limitRequestBody: 0,
      permitBareLf: false,
    },
    keepalive: 2,
    headerTimeout: 10,
    bodyTimeout: 60,
    sendTimeout: 60,
    serverHeader: "tricorn",
    headerMap: "drop",
    tickMs: DEFAULT_TICK_MS,
    forwardedAllowIps: ["127.0.0.1", "::1"],
    proxyProtocol: false,
    proxyAllowIps: ["127.0.0.1", "::1"],
  };
}

/** Constructor argument of {@link ServerCore}. */
export interface ServerCoreInit {
  /** Serves every request (usually from adapters/: createHandler). */
  handler: RequestHandler;
  timers: Timers;
  logger: Logger;
  /** Overrides of {@link defaultServerOptions}; `limits` may be partial too. */
  options?: Partial<Omit<ServerOptions, "limits">> & { limits?: Partial<ParserLimits> };
  /** Called after every completed request with the running total (max-requests). */
  onRequestDone?: (requestsServed: number) => void;
  /** Time every request for the latency histogram (`--metrics-bind`); default false: no clock reads per request. */
  timeRequests?: boolean;
  /** Access log (core/log/access-log.ts); absent = off, and then nothing is recorded per request. */
  accessLog?: AccessLogger | null;
}

/** See the module comment. */
export class ServerCore implements ConnectionServer<Connection> {
  /** Hand this to a runtime listener: it wires every accepted socket to a new connection. */
  readonly accept: ConnectionAcceptor;
  readonly handler: RequestHandler;
  readonly logger: Logger;
  readonly serializer: ResponseSerializer;
  readonly wheel: TimeoutWheel;
  readonly limits: ParserLimits;
  readonly keepaliveMs: number;
  readonly headerTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly sendTimeoutMs: number;
  readonly refuseUnderscore: boolean;
  readonly forwardedAllow: AddressMatcher;
  readonly proxyAllow: AddressMatcher | null;
  /** The effective options (defaults merged with the overrides). */
  readonly options: ServerOptions;
  /** Set by {@link closeIdle}: no more keep-alive, connections close after their response. */
  draining = false;
  /** Receives every finished exchange, or null when the access log is off. */
  readonly accessLog: AccessLogger | null;
  /** Request counters (metrics, `tricorn ctl stats`). */
  readonly stats: ServerStats;
  /** Called after a connection's socket is gone (the `worker_connections` gate, core/server/accept-gate.ts). */
  onConnectionClosed: (() => void) | null = null;

  private readonly live = new Set<Connection>();
  private served = 0;
  private readonly onRequestDone: ((requestsServed: number) => void) | undefined;
  private drainWaiters: (() => void)[] = [];

  constructor(init: ServerCoreInit) {
    const defaults = defaultServerOptions();
    const given = init.options ?? {};
    const options: ServerOptions = {
      ...defaults,
      ...given,
      limits: { ...defaults.limits, ...given.limits },
    } as ServerOptions;
    for (const key of ["keepalive", "headerTimeout", "bodyTimeout", "sendTimeout", "tickMs"] as const) {
      const value = options[key];
      if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) {
        throw new RangeError(`server option ${key} must be a non-negative number, got ${String(value)}`);
      }
    }
    if (options.headerMap !== "drop" && options.headerMap !== "refuse" && options.headerMap !== "dangerous") {
      throw new RangeError(`server option headerMap must be drop, refuse or dangerous, got ${String(options.headerMap)}`);
    }
    this.options = options;
    this.handler = init.handler;
    this.logger = init.logger;
    this.onRequestDone = init.onRequestDone;
    this.accessLog = init.accessLog ?? null;
    this.stats = new ServerStats(() => init.timers.now(), init.timeRequests ?? false);
    this.limits = options.limits;
    this.keepaliveMs = options.keepalive * 1000;
    this.headerTimeoutMs = options.headerTimeout * 1000;
    this.bodyTimeoutMs = options.bodyTimeout * 1000;
    this.sendTimeoutMs = options.sendTimeout * 1000;
    this.refuseUnderscore = options.headerMap === "refuse";
    // Compiled once; each connection then decides trust once, from its peer address.
    this.forwardedAllow = compileAllowList(options.forwardedAllowIps);
    this.proxyAllow = options.proxyProtocol ? compileAllowList(options.proxyAllowIps) : null;
    this.serializer = new ResponseSerializer(new DateCache(init.timers), options.serverHeader);
    this.wheel = new TimeoutWheel(init.timers, options.tickMs || DEFAULT_TICK_MS);
    this.accept = (socket: Socket): SocketHandlers => this.acceptSocket(socket);
  }

  /** Open connections. */
  get connections(): number {
    return this.live.size;
  }

  /** Requests being handled now (head parsed, response not finished or body not fully read). */
  get inFlight(): number {
    let n = 0;
    for (const conn of this.live) if (conn.exchange !== null) n++;
    return n;
  }

  /** Requests completed so far (response ended and request fully read). */
  get requestsServed(): number {
    return this.served;
  }

  /**
   * Starts a graceful drain: idle keep-alive connections close now, busy ones
   * after their current response (which carries `Connection: close` if its head
   * is not written yet). Connections accepted later close after one response.
   */
  closeIdle(): void {
    this.draining = true;
    for (const conn of this.live) conn.closeIfIdle();
  }

  /** Resolves when no connection is left (right away if there is none). */
  drain(): Promise<void> {
    if (this.live.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.drainWaiters.push(resolve);
    });
  }

  /** Stops the timeout ticker (final shutdown, after {@link drain}). */
  stopTimers(): void {
    this.wheel.stop();
  }

  /** ConnectionServer: a request/response cycle completed. */
  requestDone(): void {
    this.served++;
    if (this.onRequestDone !== undefined) this.onRequestDone(this.served);
  }

  /** ConnectionServer: a connection's socket is gone. */
  connectionClosed(conn: Connection): void {
    this.live.delete(conn);
    this.wheel.delete(conn);
    if (this.live.size === 0 && this.drainWaiters.length > 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const resolve of waiters) resolve();
    }
    if (this.onConnectionClosed !== null) this.onConnectionClosed();
  }

  private acceptSocket(socket: Socket): SocketHandlers {
    const conn = new Connection(socket, this);
    this.live.add(conn);
    this.wheel.add(conn);
    return conn;
  }
}
