/**
 * What a {@link Connection} needs from its server (implemented by ServerCore),
 * and the connection-level tuning constants. Kept apart from connection.ts so
 * the server and tests can name them without the state machine.
 */
import type { AccessLogger } from "../log/access-log.ts";
import type { ResponseSerializer } from "../http/serializer.ts";
import type { ParserLimits } from "../http/types.ts";
import type { Logger } from "../log/logger.ts";
import type { AddressMatcher } from "../net/ip-match.ts";
import type { ServerStats } from "./stats.ts";
import type { TimeoutWheel } from "./timeout-wheel.ts";
import type { RequestHandler } from "./types.ts";

/** Bytes of held (not yet parsed) pipelined input above which the socket is paused. */
export const INPUT_HIGH_WATER = 64 * 1024;
/**
 * Draining (reload, retirement): an idle keep-alive connection stays open this
 * long (at most its keep-alive timeout) for a request that may already be on
 * its way, which is then answered with `Connection: close`.
 */
export const DRAIN_IDLE_MS = 1000;
/** An unread request body at most this many bytes from its end is read and dropped to keep the connection. */
export const DISCARD_LIMIT = 64 * 1024;

/** What a connection needs from its server; `Conn` is the connection type it reports back. */
export interface ConnectionServer<Conn> {
  readonly handler: RequestHandler;
  readonly logger: Logger;
  readonly serializer: ResponseSerializer;
  readonly wheel: TimeoutWheel;
  readonly limits: ParserLimits;
  /** Keep-alive idle timeout in ms; 0 disables keep-alive. */
  readonly keepaliveMs: number;
  /** Request-head timeout in ms; 0 disables it. */
  readonly headerTimeoutMs: number;
  /** Longest gap between two reads of an expected request body in ms; 0 disables it. */
  readonly bodyTimeoutMs: number;
  /** Longest wait of a blocked write (or a closing connection) for the client to read, in ms; 0 disables it. */
  readonly sendTimeoutMs: number;
  /** `header_map = refuse`: answer 400 to requests with `_` in a header name. */
  readonly refuseUnderscore: boolean;
  /** The server is shutting down: no new keep-alive. */
  readonly draining: boolean;
  /** Peers trusted for Forwarded / X-Forwarded-* (`forwarded_allow_ips`). */
  readonly forwardedAllow: AddressMatcher;
  /** With `proxy_protocol`: peers whose connections must start with a PROXY header; else null. */
  readonly proxyAllow: AddressMatcher | null;
  /** Receives every finished exchange; null (or absent) when the access log is off. */
  readonly accessLog?: AccessLogger | null;
  /** Request counters (metrics, `tricorn ctl stats`). */
  readonly stats: ServerStats;
  /** A request/response cycle completed. */
  requestDone(): void;
  /** The socket of `conn` is gone. */
  connectionClosed(conn: Conn): void;
}
