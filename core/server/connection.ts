/**
 * The per-socket HTTP/1.1 state machine: feeds bytes to the parser, runs the
 * handler for each request, keeps pipelined responses in order, applies
 * keep-alive, 100-continue, flow control in both directions and timeouts.
 *
 * One request is in flight at a time (`exchange`). Once its message is fully
 * parsed, further bytes are held (not parsed) until its response has ended; a
 * synchronous response continues with the held bytes in the same loop, so
 * pipelined requests answered synchronously cost no extra tick.
 *
 * Reentrancy: handlers may respond synchronously from inside {@link pump}; the
 * `pumping` flag turns nested pump calls into no-ops and the running loop picks
 * up the new state.
 */
import type { AccessLogger } from "../log/access-log.ts";
import { IncomingBody } from "./body.ts";
import { Exchange, type ExchangeOwner } from "./exchange.ts";
import { HttpError } from "../http/errors.ts";
import { isTrustedPeer, type AddressMatcher } from "../net/ip-match.ts";
import { ProxyHeaderParser } from "../net/proxy-protocol.ts";
import { RequestParser } from "../http/parser.ts";
import { reasonPhrase } from "../http/status.ts";
import type { ResponseContext, ResponseSerializer } from "../http/serializer.ts";
import type { Timed, TimeoutWheel } from "./timeout-wheel.ts";
import type { ServerStats } from "./stats.ts";
import type { HeaderList, ParserEvents, ParserLimits, RequestHead } from "../http/types.ts";
import type { Logger } from "../log/logger.ts";
import type { RequestHandler } from "./types.ts";
import type { Socket, SocketHandlers } from "../runtime/socket.ts";
import type { UpgradeFactory, UpgradeHost, UpgradedProtocol } from "./upgrade.ts";

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

/** What a {@link Connection} needs from its server (implemented by ServerCore). */
export interface ConnectionServer {
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
  connectionClosed(conn: Connection): void;
}

const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");
const TEXT_PLAIN: HeaderList = ["Content-Type", "text/plain; charset=utf-8"];
/** Context for error responses outside an exchange: always closes. */
const CLOSING: ResponseContext = { isHead: false, versionMinor: 1, keepAlive: false };

const NO_DEADLINE = 0;
const DEADLINE_HEAD = 1;
const DEADLINE_IDLE = 2;

function hasUnderscoreName(headers: HeaderList): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headers[i].indexOf("_") !== -1) return true;
  return false;
}

/** One accepted socket; see the module comment. Created by the server's acceptor. */
export class Connection implements SocketHandlers, ParserEvents, Timed, ExchangeOwner {
  /**
   * Timed: monotonic ms deadline watched by the server's wheel (0 = none): the
   * earliest of the head/idle, body and send deadlines below. Pushing one of
   * those later does not update it; the wheel then calls early and
   * {@link onTimeout} re-arms.
   */
  deadline = 0;
  /** The socket is gone (its `close` was delivered) or was destroyed. */
  closed = false;
  /** The last socket write returned false and `drain` has not come yet. */
  writeBlocked = false;
  /** The request in flight, from its head until its response ended and its message was fully read. */
  exchange: Exchange | null = null;
  /** Client address: the socket's peer, or the source of a PROXY header. Requests may refine it (Forwarded). */
  remoteAddress: string;
  remotePort: number;
  /** Server address the client connected to: the socket's, or the destination of a PROXY header. */
  localAddress: string;
  localPort: number;
  /** `https` on a TLS socket, else `http`. */
  readonly scheme: string;
  /** The peer is in `forwarded_allow_ips`: requests apply its Forwarded / X-Forwarded-* headers. */
  trustForwarded: boolean;

  readonly socket: Socket;
  readonly serializer: ResponseSerializer;
  readonly logger: Logger;
  /** The server's access log, or null: then nothing is recorded per request. */
  readonly accessLog: AccessLogger | null;
  private readonly stats: ServerStats;
  /** Read the clock when a head arrives (access log or request timing on). */
  private readonly timed: boolean;
  private readonly server: ConnectionServer;
  private readonly parser: RequestParser;
  private deadlineKind = NO_DEADLINE;
  /** Head or idle deadline (`deadlineKind`); 0 = none. */
  private stateDeadline = 0;
  /** The request body must make progress by then (body_timeout); 0 = not expected or not the client's turn. */
  private bodyDeadline = 0;
  /** The client must have read something more, or a closing connection be gone, by then (send_timeout); 0 = none. */
  private sendDeadline = 0;
  /** `socket.unsentBytes` when the send deadline was last armed: less at expiry means the client is reading. */
  private unsentMark = 0;
  private messageDone = false;
  private dispatchPending = false;
  private input: Uint8Array | null = null;
  private moreInput: Uint8Array[] | null = null;
  private pumping = false;
  /** Reads the PROXY header this connection must start with; null when none is expected (any more). */
  private proxyHeader: ProxyHeaderParser | null;
  /** `socket.end()`/`destroy()` was called: no more parsing or responses. */
  private ending = false;
  /** The parser failed; the connection closes after the current response. */
  private broken = false;
  private peerEnded = false;
  private closeWhenDone = false;
  private pausedForInput = false;
  private pausedForBody = false;
  private drainPromise: Promise<void> | null = null;
  private drainResolve: (() => void) | null = null;
  /** After a 101: the protocol that owns the socket now (socket events go there); null while speaking HTTP. */
  private upgraded: UpgradedProtocol | null = null;
  /** The exchange that switched protocols (logged when the connection closes). */
  private upgradedBy: Exchange | null = null;

  constructor(socket: Socket, server: ConnectionServer) {
    this.socket = socket;
    this.server = server;
    this.serializer = server.serializer;
    this.logger = server.logger;
    this.accessLog = server.accessLog ?? null;
    this.stats = server.stats;
    this.timed = this.accessLog !== null || server.stats.timed;
    this.parser = new RequestParser(server.limits, this);
    this.closeWhenDone = server.draining;
    this.remoteAddress = socket.remoteAddress;
    this.remotePort = socket.remotePort;
    this.localAddress = socket.localAddress;
    this.localPort = socket.localPort;
    this.scheme = socket.encrypted ? "https" : "http";
    const proxyAllow = server.proxyAllow;
    this.proxyHeader = proxyAllow !== null && isTrustedPeer(proxyAllow, socket.remoteAddress) ? new ProxyHeaderParser() : null;
    this.trustForwarded = isTrustedPeer(server.forwardedAllow, socket.remoteAddress);
    // A connection that sends nothing gets the head timeout (or, without one, the keep-alive timeout).
    this.setDeadline(DEADLINE_HEAD, server.headerTimeoutMs || server.keepaliveMs);
  }

  /** True once the connection stopped serving (ending or gone): responses are dropped. */
  get ended(): boolean {
    return this.ending;
  }

  /** Trusted proxy hops, for walking Forwarded / X-Forwarded-For lists. */
  get forwardedAllow(): AddressMatcher {
    return this.server.forwardedAllow;
  }

  /** True when no request is in flight and no byte of a next one has arrived. */
  get idle(): boolean {
    return this.exchange === null && this.input === null && this.parser.idle;
  }

  /* ---------------- SocketHandlers ---------------- */

  data(chunk: Uint8Array): void {
    if (this.upgraded !== null) {
      this.upgraded.data(chunk);
      return;
    }
    if (this.ending || chunk.length === 0) return;
    this.stats.receivedBytes += chunk.length;
    if (this.bodyDeadline !== 0) this.bodyDeadline = this.server.wheel.now() + this.server.bodyTimeoutMs;
    if (this.input === null) this.input = chunk;
    else (this.moreInput ??= []).push(chunk);
    this.pump();
  }

  drain(): void {
    this.writeBlocked = false;
    if (this.upgraded !== null) {
      this.upgraded.drain();
      return;
    }
    if (!this.ending) this.sendDeadline = 0; // when closing, it bounds the close instead
    this.resolveDrain();
    if (this.exchange === null && this.deadlineKind === DEADLINE_IDLE && this.stateDeadline === 0) {
      this.setDeadline(DEADLINE_IDLE, this.idleMs());
    }
    this.pump();
  }

  end(): void {
    if (this.upgraded !== null) {
      this.upgraded.end();
      return;
    }
    if (this.ending) return;
    this.peerEnded = true;
    const ex = this.exchange;
    if (ex !== null && !this.messageDone) {
      // The message can never complete: fail the body; close after the response.
      this.broken = true;
      if (ex.body instanceof IncomingBody) ex.body.fail(new Error("client closed the connection before the request body was complete"));
      if (ex.finished) this.shutdown();
      return;
    }
    if (ex !== null && !ex.finished) {
      // FIN before the response ended: tell the app (request.signal, close listeners). A response
      // not started yet may still be sent (a client may half-close after its request); one being
      // streamed is abandoned, as the app may stop producing it without ending it.
      ex.connectionClosed();
      if (ex.started) {
        this.destroy();
        return;
      }
    }
    this.pump();
  }

  close(_error?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.ending = true;
    this.deadline = 0;
    const ex = this.exchange;
    if (ex !== null) {
      if (!this.messageDone && ex.body instanceof IncomingBody) {
        ex.body.fail(new Error("connection closed before the request body was complete"));
      }
      ex.connectionClosed();
    }
    this.input = null;
    this.moreInput = null;
    this.resolveDrain();
    if (this.upgraded !== null) this.upgradeClosed(this.upgraded);
    this.server.connectionClosed(this);
  }

  /* ---------------- ParserEvents ---------------- */

  onHead(head: RequestHead): void {
    const ex = (this.exchange = new Exchange(this, head));
    if (this.timed) ex.startTime = this.stats.now();
    this.messageDone = false;
    this.dispatchPending = true;
    // No head timeout while the app runs; a body the client owes us is bounded by body_timeout
    // (with Expect: 100-continue, only once we asked for it).
    this.stateDeadline = 0;
    this.deadlineKind = NO_DEADLINE;
    if (ex.body instanceof IncomingBody && !head.expectContinue) this.armBodyDeadline();
    else this.rearm();
  }

  onBody(chunk: Uint8Array): void {
    const body = this.exchange!.body as IncomingBody;
    if (!body.push(chunk) && !this.pausedForBody) {
      this.pausedForBody = true;
      this.bodyDeadline = 0; // the app is behind, not the client
      this.socket.pause();
    }
  }

  onTrailers(trailers: HeaderList): void {
    this.exchange!.trailers = trailers;
  }

  onComplete(): void {
    this.messageDone = true;
    this.bodyDeadline = 0;
    const body = this.exchange!.body;
    if (body instanceof IncomingBody) body.finish();
  }

  /* ---------------- Timed ---------------- */

  onTimeout(now: number): void {
    if (this.upgraded !== null) {
      this.deadline = 0;
      this.upgraded.onTimeout(now);
      return;
    }
    if (this.closed) {
      this.deadline = 0;
      return;
    }
    if (this.sendDeadline !== 0 && this.sendDeadline <= now) {
      const unsent = this.socket.unsentBytes;
      if (unsent < this.unsentMark) {
        // A slow reader, not a stopped one: give it another send_timeout.
        this.unsentMark = unsent;
        this.sendDeadline = now + this.server.sendTimeoutMs;
        this.rearm();
        return;
      }
      this.logger.debug(`Client ${this.remoteAddress} did not read for send_timeout; closing the connection`);
      this.destroy();
      return;
    }
    if (this.ending) {
      this.deadline = this.sendDeadline;
      return;
    }
    if (this.bodyDeadline !== 0 && this.bodyDeadline <= now) {
      this.bodyTimedOut();
      return;
    }
    if (this.stateDeadline !== 0 && this.stateDeadline <= now) {
      const kind = this.deadlineKind;
      this.stateDeadline = 0;
      this.deadlineKind = NO_DEADLINE;
      if (this.exchange === null) {
        if (kind === DEADLINE_HEAD && !this.parser.idle) {
          this.logger.debug("Request head timeout; answering 408");
          this.stats.rejected(408);
          this.writeErrorAndClose(408);
        } else {
          this.shutdown();
        }
        return;
      }
    }
    this.rearm();
  }

  /* ---------------- used by Exchange ---------------- */

  /** Whether the response of `ex` may keep the connection open (decided when its head is serialized). */
  keepAliveFor(ex: Exchange): boolean {
    if (this.broken || this.closeWhenDone || this.server.draining || this.server.keepaliveMs <= 0) return false;
    if (!ex.head.keepAlive) return false;
    if (!this.messageDone) {
      // Body still arriving: only keep the connection if the rest can cheaply be read and dropped.
      const head = ex.head;
      if (head.chunked || this.peerEnded) return false;
      if (head.expectContinue && !ex.continueSent) return false;
      if (head.contentLength - (ex.body as IncomingBody).received > DISCARD_LIMIT) return false;
    }
    return true;
  }

  /** Writes `100 Continue` for `ex` if it is still the request being read. */
  sendContinue(ex: Exchange): void {
    if (this.exchange !== ex || this.ending || this.messageDone) return;
    if (!this.socket.write(CONTINUE)) this.blocked();
    this.armBodyDeadline(); // the client's turn now
  }

  /** The app caught up with the buffered body of `ex`. */
  bodyDrained(ex: Exchange): void {
    if (this.exchange !== ex || !this.pausedForBody) return;
    this.pausedForBody = false;
    if (!this.messageDone) this.armBodyDeadline();
    this.resumeIfUnpaused();
  }

  /** A socket write returned false: wait for `drain`, at most send_timeout. */
  blocked(): void {
    this.writeBlocked = true;
    if (this.sendDeadline === 0 && this.server.sendTimeoutMs > 0) {
      this.sendDeadline = this.server.wheel.now() + this.server.sendTimeoutMs;
      this.unsentMark = this.socket.unsentBytes;
      this.rearm();
    }
  }

  /** Resolves once the socket drains (immediately if it is not blocked or is gone). */
  waitDrain(): Promise<void> {
    if (!this.writeBlocked || this.closed) return Promise.resolve();
    if (this.drainPromise === null) {
      this.drainPromise = new Promise<void>((resolve) => {
        this.drainResolve = resolve;
      });
    }
    return this.drainPromise;
  }

  /** The response of `ex` ended (send/end). */
  responseFinished(ex: Exchange): void {
    this.stats.responded(ex.head.method, ex.status, ex.bodyBytes, ex.startTime);
    if (this.accessLog !== null) this.accessLog.log(ex);
    if (this.exchange !== ex || this.ending) return;
    if (!this.messageDone) {
      if (ex.closeAfter || this.broken || this.peerEnded) {
        this.shutdown();
        return;
      }
      // Small remainder: keep reading and dropping it, then serve the next request.
      (ex.body as IncomingBody).discard();
      if (this.pausedForBody) {
        this.pausedForBody = false;
        this.resumeIfUnpaused();
      }
    }
    this.pump();
  }

  /** The response of `ex` was cut off after its head (counted and logged as sent so far). */
  responseAborted(ex: Exchange): void {
    this.stats.responded(ex.head.method, ex.status, ex.bodyBytes, ex.startTime);
    if (this.accessLog !== null) this.accessLog.log(ex);
  }

  /** Closes now, discarding queued output (app error after headers). */
  destroy(): void {
    if (this.closed) return;
    this.ending = true;
    this.deadline = this.stateDeadline = this.bodyDeadline = this.sendDeadline = 0;
    this.socket.destroy();
  }

  /**
   * Switches to another protocol after `ex`'s request (see core/server/upgrade.ts):
   * writes the 101 `head`, hands every later socket event to the protocol, and
   * passes on bytes that arrived after the request. Null when it cannot switch.
   */
  upgrade(ex: Exchange, head: Uint8Array, create: UpgradeFactory): UpgradedProtocol | null {
    if (this.exchange !== ex || ex.started || !this.messageDone || this.ending || this.closeWhenDone || this.server.draining) {
      return null;
    }
    ex.started = ex.finished = true;
    ex.status = 101;
    this.exchange = null;
    // The new protocol owns the deadline from now on (host.setDeadline); HTTP's are over.
    this.deadline = this.stateDeadline = this.bodyDeadline = this.sendDeadline = 0;
    this.deadlineKind = NO_DEADLINE;
    if (!this.socket.write(head)) this.writeBlocked = true;
    const host: UpgradeHost = {
      socket: this.socket,
      now: () => this.server.wheel.now(),
      setDeadline: (at) => {
        if (!this.closed) this.deadline = at;
      },
      appError: (message, error) => this.logger.error(message, error),
    };
    const protocol = create(host);
    this.upgraded = protocol;
    this.upgradedBy = ex;
    this.server.requestDone();
    // Bytes the client sent right after its request already belong to the new protocol.
    const held: Uint8Array[] = [];
    for (let data = this.takeInput(); data !== null; data = this.takeInput()) held.push(data);
    this.pausedForInput = this.pausedForBody = false;
    this.socket.resume();
    if (held.length > 0) {
      queueMicrotask(() => {
        for (const data of held) if (!this.closed) protocol.data(data);
      });
    }
    return protocol;
  }

  /** The upgraded protocol's socket closed: tell it, and log its session (status 101, duration, bytes sent). */
  private upgradeClosed(protocol: UpgradedProtocol): void {
    try {
      protocol.closed();
    } catch (error) {
      this.logger.error("Error while closing an upgraded connection", error);
    }
    const ex = this.upgradedBy;
    if (ex !== null && this.accessLog !== null) {
      ex.bodyBytes = protocol.bytesOut;
      this.accessLog.log(ex);
    }
  }

  /* ---------------- used by the server ---------------- */

  /**
   * Graceful drain: the next response carries `Connection: close` and ends
   * the connection. An idle one is not closed under a client that may be
   * sending its next request right now: it closes once it stayed idle for
   * {@link DRAIN_IDLE_MS} (a fresh one that never sent a byte: at its head timeout).
   */
  closeIfIdle(): void {
    this.closeWhenDone = true;
    if (this.upgraded !== null) {
      this.upgraded.goingAway();
      return;
    }
    if (!this.ending && this.idle && this.deadlineKind === DEADLINE_IDLE && this.stateDeadline !== 0) {
      const by = this.server.wheel.now() + this.idleMs();
      if (by < this.stateDeadline) {
        this.stateDeadline = by;
        this.rearm();
      }
    }
  }

  /* ---------------- the loop ---------------- */

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.loop();
    } catch (error) {
      // Only a bug gets here (handler errors are caught in dispatch); never let it reach the runtime.
      this.logger.critical("Internal error in connection; closing it", error);
      this.destroy();
    } finally {
      this.pumping = false;
    }
  }

  private loop(): void {
    for (;;) {
      if (this.ending || this.upgraded !== null) return;
      const ex = this.exchange;
      if (ex !== null && this.messageDone) {
        if (!ex.finished) {
          this.holdInput();
          return;
        }
        if (!this.finishCycle(ex)) return;
        continue;
      }
      if (ex === null && this.writeBlocked) {
        // Do not start the next request until the previous response drained.
        this.holdInput();
        return;
      }
      let data = this.takeInput();
      if (data === null) break;
      if (this.proxyHeader !== null && (data = this.readProxyHeader(data)) === null) continue;
      if (ex === null && this.deadlineKind === DEADLINE_IDLE) {
        this.setDeadline(DEADLINE_HEAD, this.server.headerTimeoutMs);
      }
      let used: number;
      try {
        used = this.parser.execute(data);
      } catch (error) {
        this.parseError(error);
        return;
      }
      if (used < data.length) {
        if (used === 0 && !this.messageDone && !this.dispatchPending) {
          throw new Error("parser made no progress");
        }
        this.unshiftInput(data.subarray(used));
      }
      if (this.dispatchPending) {
        this.dispatchPending = false;
        this.dispatch(this.exchange!);
      }
    }
    // Every held byte was parsed: reading may go on.
    if (this.pausedForInput) {
      this.pausedForInput = false;
      this.resumeIfUnpaused();
    }
    if (this.peerEnded && this.exchange === null) this.shutdown();
  }

  private dispatch(ex: Exchange): void {
    const server = this.server;
    if (ex.badProxyHeaders) {
      this.logger.debug("Refusing request with contradicting X-Forwarded scheme headers from a trusted proxy");
      this.respondError(ex, 400);
      return;
    }
    if (server.refuseUnderscore && hasUnderscoreName(ex.head.headers)) {
      this.logger.debug("Refusing request with '_' in a header name (header_map = refuse)");
      this.respondError(ex, 400);
      return;
    }
    let result: void | Promise<void>;
    try {
      result = server.handler(ex, ex);
    } catch (error) {
      this.appError(ex, error);
      return;
    }
    if (result != null && typeof (result as Promise<void>).then === "function") {
      (result as Promise<void>).then(
        () => this.appResolved(ex),
        (error: unknown) => this.appError(ex, error),
      );
    }
  }

  /**
   * Feeds the connection's first bytes to the PROXY header reader. Returns
   * the bytes after the header once it is complete, or null when all of
   * `data` was used (header incomplete, or malformed and the connection
   * destroyed: it is not HTTP, so it gets no HTTP response).
   */
  private readProxyHeader(data: Uint8Array): Uint8Array | null {
    const reader = this.proxyHeader!;
    let used: number;
    try {
      used = reader.feed(data);
    } catch (error) {
      this.logger.warning(`Closing connection from ${this.remoteAddress || "unix socket"}: ${(error as Error).message}`);
      this.destroy();
      return null;
    }
    if (used < 0) return null;
    this.proxyHeader = null;
    const addresses = reader.addresses;
    if (addresses !== null) {
      this.remoteAddress = addresses.remoteAddress;
      this.remotePort = addresses.remotePort;
      this.localAddress = addresses.localAddress;
      this.localPort = addresses.localPort;
      // The proxy's client is now the peer: trust for Forwarded headers is decided on it.
      this.trustForwarded = isTrustedPeer(this.server.forwardedAllow, addresses.remoteAddress);
    }
    return used < data.length ? data.subarray(used) : null;
  }

  private appResolved(ex: Exchange): void {
    if (ex.started || this.closed) return;
    this.logger.error(`Handler for ${ex.head.method} ${ex.head.target} finished without sending a response`);
    this.respondError(ex, 500);
  }

  private appError(ex: Exchange, error: unknown): void {
    const label = `${ex.head.method} ${ex.head.target}`;
    if (this.closed || ex.serverAnswered) {
      this.logger.debug(`Error handling ${label} after the connection closed: ${String(error)}`);
      return;
    }
    if (ex.finished) {
      this.logger.error(`Error handling ${label} after its response ended`, error);
      return;
    }
    if (ex.started) {
      this.logger.error(`Error handling ${label} after the response started; aborting the connection`, error);
      ex.abort(error);
      return;
    }
    // A broken request body (bad chunk, too large) answers with its own status.
    const status = error instanceof HttpError ? error.status : 500;
    if (status >= 500) this.logger.error(`Error handling request ${label}`, error);
    else this.logger.debug(`Request ${label} failed: ${String(error)}`);
    this.respondError(ex, status);
  }

  /** Plain-text error response for `ex` (the app did not start one). */
  private respondError(ex: Exchange, status: number): void {
    try {
      ex.send(status, undefined, TEXT_PLAIN, reasonPhrase(status));
    } catch (error) {
      this.logger.critical("Could not write an error response", error);
      this.destroy();
    }
  }

  private parseError(error: unknown): void {
    this.broken = true;
    const status = error instanceof HttpError ? error.status : 400;
    if (!(error instanceof HttpError)) this.logger.error("Unexpected error while parsing a request", error);
    else this.logger.debug(`Bad request (${status}): ${error.message}`);
    const ex = this.exchange;
    if (ex !== null && !this.dispatchPending) {
      // Error in the body of a request the app is handling: the app sees it on read.
      if (ex.body instanceof IncomingBody) ex.body.fail(error);
      if (ex.finished) this.shutdown();
      return;
    }
    this.dispatchPending = false;
    this.exchange = null;
    this.stats.rejected(status);
    this.writeErrorAndClose(status);
  }

  /** Answers `status` outside any exchange, then closes. */
  private writeErrorAndClose(status: number): void {
    try {
      this.serializer.send(this.socket, CLOSING, status, undefined, TEXT_PLAIN, reasonPhrase(status));
    } catch (error) {
      this.logger.critical("Could not write an error response", error);
    }
    this.shutdown();
  }

  /** The exchange's response ended and its message was fully read: finish it. Returns whether to go on. */
  private finishCycle(ex: Exchange): boolean {
    this.exchange = null;
    this.messageDone = false;
    this.server.requestDone();
    if (ex.closeAfter || this.broken || this.closeWhenDone || this.server.draining) {
      this.shutdown();
      return false;
    }
    if (this.pausedForInput || this.pausedForBody) {
      // A body the app never read may have paused the socket; it no longer matters.
      this.pausedForInput = false;
      this.pausedForBody = false;
      this.resumeIfUnpaused();
    }
    if (this.writeBlocked) {
      this.deadlineKind = DEADLINE_IDLE; // armed on drain; until then the send deadline runs
      this.stateDeadline = 0;
      this.rearm();
    } else {
      this.setDeadline(DEADLINE_IDLE, this.idleMs());
    }
    return true;
  }

  /** Graceful close: flush and close; stop parsing. */
  private shutdown(): void {
    if (this.ending) return;
    this.ending = true;
    // What is left to write must be read within send_timeout, or the socket is destroyed.
    this.stateDeadline = this.bodyDeadline = 0;
    if (this.sendDeadline === 0 && this.server.sendTimeoutMs > 0) {
      this.sendDeadline = this.server.wheel.now() + this.server.sendTimeoutMs;
      this.unsentMark = this.socket.unsentBytes;
    }
    this.deadline = this.sendDeadline;
    this.input = null;
    this.moreInput = null;
    this.socket.end();
  }

  /** How long an idle keep-alive connection waits for its next request: shorter while draining. */
  private idleMs(): number {
    const ms = this.server.keepaliveMs;
    return this.closeWhenDone && ms > DRAIN_IDLE_MS ? DRAIN_IDLE_MS : ms;
  }

  private setDeadline(kind: number, ms: number): void {
    this.deadlineKind = kind;
    this.stateDeadline = ms > 0 ? this.server.wheel.now() + ms : 0;
    this.rearm();
  }

  /** Starts (or restarts) the wait for the client's next body bytes. */
  private armBodyDeadline(): void {
    const ms = this.server.bodyTimeoutMs;
    this.bodyDeadline = ms > 0 ? this.server.wheel.now() + ms : 0;
    this.rearm();
  }

  /** {@link deadline} = the earliest of the head/idle, body and send deadlines. */
  private rearm(): void {
    let next = this.stateDeadline;
    const body = this.bodyDeadline;
    if (body !== 0 && (next === 0 || body < next)) next = body;
    const send = this.sendDeadline;
    if (send !== 0 && (next === 0 || send < next)) next = send;
    this.deadline = next;
  }

  /** body_timeout expired: 408 if the response has not started, else close. */
  private bodyTimedOut(): void {
    this.bodyDeadline = 0;
    const ex = this.exchange;
    if (ex === null || this.messageDone) {
      this.rearm();
      return;
    }
    this.broken = true;
    if (ex.body instanceof IncomingBody) ex.body.fail(new HttpError(408, "request body timeout"));
    if (ex.started) {
      this.logger.debug(`Request body of ${ex.head.method} ${ex.head.target} stalled for body_timeout after the response started; closing`);
      this.destroy();
      return;
    }
    this.logger.debug(`Request body of ${ex.head.method} ${ex.head.target} stalled for body_timeout; answering 408`);
    this.respondError(ex, 408);
    ex.answeredByServer();
  }

  private takeInput(): Uint8Array | null {
    const data = this.input;
    if (data === null) return null;
    const more = this.moreInput;
    this.input = more !== null && more.length > 0 ? more.shift()! : null;
    return data;
  }

  private unshiftInput(rest: Uint8Array): void {
    if (this.input !== null) (this.moreInput ??= []).unshift(this.input);
    this.input = rest;
  }

  /** Pauses the socket when too many unparsed bytes are held. */
  private holdInput(): void {
    if (this.pausedForInput || this.input === null) return;
    let held = this.input.length;
    const more = this.moreInput;
    if (more !== null) for (let i = 0; i < more.length; i++) held += more[i].length;
    if (held > INPUT_HIGH_WATER) {
      this.pausedForInput = true;
      this.socket.pause();
    }
  }

  private resumeIfUnpaused(): void {
    if (!this.pausedForInput && !this.pausedForBody && !this.ending) this.socket.resume();
  }

  private resolveDrain(): void {
    const resolve = this.drainResolve;
    if (resolve !== null) {
      this.drainResolve = null;
      this.drainPromise = null;
      resolve();
    }
  }
}
