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
import { parseFailureStatus, respondError, writeClosingError } from "./error-responses.ts";
import { dispatchRequest } from "./dispatch.ts";
import { IncomingBody } from "./body.ts";
import { ConnectionDeadlines, DEADLINE_HEAD, DEADLINE_IDLE } from "./connection-deadlines.ts";
import { DRAIN_IDLE_MS, INPUT_HIGH_WATER, type ConnectionServer } from "./connection-server.ts";
import { Exchange, type ExchangeOwner } from "./exchange.ts";
import { DrainWaiter, ReadPauses } from "./flow-control.ts";
import { HttpError } from "../http/errors.ts";
import { isTrustedPeer, type AddressMatcher } from "../net/ip-match.ts";
import { ProxyHeaderParser } from "../net/proxy-protocol.ts";
import { readProxyHeader } from "./proxy-header.ts";
import { RequestParser } from "../http/parser.ts";
import type { ResponseSerializer } from "../http/serializer.ts";
import { HeldInput } from "./held-input.ts";
import type { Timed } from "./timeout-wheel.ts";
import type { ServerStats } from "./stats.ts";
import type { HeaderList, ParserEvents, RequestHead } from "../http/types.ts";
import type { Logger } from "../log/logger.ts";
import type { Socket, SocketHandlers } from "../runtime/socket.ts";
import { endProtocol, startProtocol, type UpgradeFactory, type UpgradeHost, type UpgradedProtocol } from "./upgrade.ts";

/** Shared by every connection that never paused reading (most): one object fewer per connection. */
const NEVER_PAUSED = new ReadPauses({ pause() {}, resume() {} });

const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");

/** One accepted socket; see the module comment. Created by the server's acceptor. */
export class Connection implements SocketHandlers, ParserEvents, Timed, ExchangeOwner, UpgradeHost {
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
  private readonly server: ConnectionServer<Connection>;
  private readonly parser: RequestParser;
  /** Head/idle, body and send deadlines; {@link deadline} is their earliest. */
  private readonly deadlines: ConnectionDeadlines;
  private messageDone = false;
  private dispatchPending = false;
  /** Bytes read but not parsed yet. */
  private readonly input = new HeldInput();
  private pumping = false;
  /** Reads the PROXY header this connection must start with; null when none is expected (any more). */
  private proxyHeader: ProxyHeaderParser | null;
  /** `socket.end()`/`destroy()` was called: no more parsing or responses. */
  private ending = false;
  /** The parser failed; the connection closes after the current response. */
  private broken = false;
  private peerEnded = false;
  private closeWhenDone = false;
  /** Why the socket is not being read. */
  private pauses: ReadPauses = NEVER_PAUSED;
  /** Writers waiting for `drain`; made when the first one waits. */
  private drainWaiter: DrainWaiter | null = null;
  /** After a 101: the protocol that owns the socket now (socket events go there); null while speaking HTTP. */
  private upgraded: UpgradedProtocol | null = null;
  /** The exchange that switched protocols (logged when the connection closes). */
  private upgradedBy: Exchange | null = null;

  constructor(socket: Socket, server: ConnectionServer<Connection>) {
    this.socket = socket;
    this.server = server;
    this.serializer = server.serializer;
    this.logger = server.logger;
    this.accessLog = server.accessLog ?? null;
    this.stats = server.stats;
    this.timed = this.accessLog !== null || server.stats.timed;
    this.parser = new RequestParser(server.limits, this);
    this.deadlines = new ConnectionDeadlines(server);
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
    this.setStateDeadline(DEADLINE_HEAD, server.headerTimeoutMs || server.keepaliveMs);
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
    return this.exchange === null && this.input.empty && this.parser.idle;
  }

  /* ---------------- SocketHandlers ---------------- */

  data(chunk: Uint8Array): void {
    if (this.upgraded !== null) {
      this.upgraded.data(chunk);
      return;
    }
    if (this.ending || chunk.length === 0) return;
    this.stats.receivedBytes += chunk.length;
    this.deadlines.bodyProgress();
    this.input.push(chunk);
    this.pump();
  }

  drain(): void {
    this.writeBlocked = false;
    if (this.upgraded !== null) {
      this.upgraded.drain();
      return;
    }
    const deadlines = this.deadlines;
    if (!this.ending) deadlines.send = 0; // when closing, it bounds the close instead
    this.drainWaiter?.wake();
    if (this.exchange === null && deadlines.kind === DEADLINE_IDLE && deadlines.state === 0) {
      this.setStateDeadline(DEADLINE_IDLE, this.idleMs());
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
    this.input.clear();
    this.drainWaiter?.wake();
    if (this.upgraded !== null) endProtocol(this.upgraded, (message, error) => this.appError(message, error), this.upgradedBy, this.accessLog);
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
    this.deadlines.clearState();
    if (ex.body instanceof IncomingBody && !head.expectContinue) this.deadlines.armBody();
    this.rearm();
  }

  onBody(chunk: Uint8Array): void {
    const body = this.exchange!.body as IncomingBody;
    if (!body.push(chunk) && this.ownPauses().pauseForBody()) this.deadlines.body = 0; // the app is behind, not the client
  }

  onTrailers(trailers: HeaderList): void {
    this.exchange!.trailers = trailers;
  }

  onComplete(): void {
    this.messageDone = true;
    this.deadlines.body = 0;
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
    const deadlines = this.deadlines;
    if (deadlines.send !== 0 && deadlines.send <= now) {
      if (!deadlines.sendExpired(now, this.socket.unsentBytes)) {
        this.rearm(); // a slow reader, not a stopped one
        return;
      }
      this.logger.debug(`Client ${this.remoteAddress} did not read for send_timeout; closing the connection`);
      this.destroy();
      return;
    }
    if (this.ending) {
      this.deadline = deadlines.send;
      return;
    }
    if (deadlines.body !== 0 && deadlines.body <= now) {
      this.bodyTimedOut();
      return;
    }
    if (deadlines.state !== 0 && deadlines.state <= now) {
      const kind = deadlines.kind;
      deadlines.clearState();
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
    // Body still arriving: only keep the connection if the rest can cheaply be read and dropped.
    return this.messageDone || (!this.peerEnded && ex.restOfBodyDroppable());
  }

  /** Writes `100 Continue` for `ex` if it is still the request being read. */
  sendContinue(ex: Exchange): void {
    if (this.exchange !== ex || this.ending || this.messageDone) return;
    if (!this.socket.write(CONTINUE)) this.blocked();
    this.deadlines.armBody(); // the client's turn now
    this.rearm();
  }

  /** The app caught up with the buffered body of `ex`. */
  bodyDrained(ex: Exchange): void {
    if (this.exchange !== ex || !this.pauses.forBody) return;
    if (!this.messageDone) {
      this.deadlines.armBody();
      this.rearm();
    }
    this.pauses.lift(false, true, !this.ending);
  }

  /** A socket write returned false: wait for `drain`, at most send_timeout. */
  blocked(): void {
    this.writeBlocked = true;
    if (this.deadlines.send === 0) {
      this.deadlines.armSend(this.socket.unsentBytes);
      this.rearm();
    }
  }

  /** Resolves once the socket drains (immediately if it is not blocked or is gone). */
  waitDrain(): Promise<void> {
    if (!this.writeBlocked || this.closed) return Promise.resolve();
    return (this.drainWaiter ??= new DrainWaiter()).wait();
  }

  /** The response of `ex` ended (send/end). */
  responseFinished(ex: Exchange): void {
    this.recordResponse(ex);
    if (this.exchange !== ex || this.ending) return;
    if (!this.messageDone) {
      if (ex.closeAfter || this.broken || this.peerEnded) {
        this.shutdown();
        return;
      }
      // Small remainder: keep reading and dropping it, then serve the next request.
      (ex.body as IncomingBody).discard();
      if (this.pauses.forBody) this.pauses.lift(false, true, !this.ending);
    }
    this.pump();
  }

  /** The response of `ex` was cut off after its head: counted and logged as sent so far. */
  responseAborted(ex: Exchange): void {
    this.recordResponse(ex);
  }

  /** Counts `ex`'s response and writes its access-log line. */
  private recordResponse(ex: Exchange): void {
    this.stats.responded(ex.head.method, ex.status, ex.bodyBytes, ex.startTime);
    if (this.accessLog !== null) this.accessLog.log(ex);
  }

  /** Closes now, discarding queued output (app error after headers). */
  destroy(): void {
    if (this.closed) return;
    this.ending = true;
    this.deadline = 0;
    this.deadlines.clear();
    this.socket.destroy();
  }

  /**
   * Switches to another protocol after `ex`'s request (see core/server/upgrade.ts):
   * writes the 101 `head` (nothing for a take-over: null), hands every later
   * socket event to the protocol, and passes on bytes that arrived after the
   * request. Null when it cannot switch.
   */
  upgrade(ex: Exchange, head: Uint8Array | null, create: UpgradeFactory): UpgradedProtocol | null {
    if (this.exchange !== ex || ex.started || !this.messageDone || this.ending || this.closeWhenDone || this.server.draining) {
      return null;
    }
    ex.started = ex.finished = true;
    ex.status = 101;
    this.exchange = null;
    // The new protocol owns the deadline from now on (host.setDeadline); HTTP's are over.
    this.deadline = 0;
    this.deadlines.clear();
    if (head !== null && !this.socket.write(head)) this.writeBlocked = true;
    const held: Uint8Array[] = [];
    for (let data = this.input.take(); data !== null; data = this.input.take()) held.push(data);
    const protocol = (this.upgraded = startProtocol(this, create, held, () => this.closed));
    this.upgradedBy = ex;
    this.server.requestDone();
    if (this.pauses !== NEVER_PAUSED) this.pauses.forInput = this.pauses.forBody = false;
    this.socket.resume();
    return protocol;
  }

  /* ---------------- UpgradeHost (after a 101) ---------------- */

  /** Monotonic ms of the server's timeout wheel. */
  now(): number {
    return this.server.wheel.now();
  }

  /** The upgraded protocol's deadline (it gets `onTimeout`). */
  setDeadline(at: number): void {
    if (!this.closed) this.deadline = at;
  }

  /** Logs an error raised by app code on the upgraded protocol. */
  appError(message: string, error: unknown): void {
    this.logger.error(message, error);
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
    if (!this.ending && this.idle && this.deadlines.shortenIdle(this.idleMs())) this.rearm();
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
      let data = this.input.take();
      if (data === null) break;
      const proxyHeader = this.proxyHeader;
      if (proxyHeader !== null) {
        data = readProxyHeader(this, proxyHeader, data);
        if (proxyHeader.done) this.proxyHeader = null;
        if (data === null) continue;
      }
      if (ex === null && this.deadlines.kind === DEADLINE_IDLE) {
        this.setStateDeadline(DEADLINE_HEAD, this.server.headerTimeoutMs);
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
        this.input.unshift(data.subarray(used));
      }
      if (this.dispatchPending) {
        this.dispatchPending = false;
        dispatchRequest(this, this.server, this.exchange!);
      }
    }
    // Every held byte was parsed: reading may go on.
    if (this.pauses.forInput) this.pauses.lift(true, false, !this.ending);
    if (this.peerEnded && this.exchange === null) this.shutdown();
  }

  private parseError(error: unknown): void {
    this.broken = true;
    const status = parseFailureStatus(this.logger, error);
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
    writeClosingError(this.serializer, this.socket, this.logger, status);
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
    // A body the app never read may have paused the socket; it no longer matters.
    if (this.pauses.forInput || this.pauses.forBody) this.pauses.lift(true, true, !this.ending);
    if (this.writeBlocked) {
      this.deadlines.setState(DEADLINE_IDLE, 0); // armed on drain; until then the send deadline runs
      this.rearm();
    } else {
      this.setStateDeadline(DEADLINE_IDLE, this.idleMs());
    }
    return true;
  }

  /** Graceful close: flush and close; stop parsing. */
  private shutdown(): void {
    if (this.ending) return;
    this.ending = true;
    // What is left to write must be read within send_timeout, or the socket is destroyed.
    const deadlines = this.deadlines;
    deadlines.clearState();
    deadlines.body = 0;
    deadlines.armSend(this.socket.unsentBytes);
    this.deadline = deadlines.send;
    this.input.clear();
    this.socket.end();
  }

  /** How long an idle keep-alive connection waits for its next request: shorter while draining. */
  private idleMs(): number {
    const ms = this.server.keepaliveMs;
    return this.closeWhenDone && ms > DRAIN_IDLE_MS ? DRAIN_IDLE_MS : ms;
  }

  private setStateDeadline(kind: number, ms: number): void {
    this.deadlines.setState(kind, ms);
    this.rearm();
  }

  /** {@link deadline} = the earliest of the head/idle, body and send deadlines. */
  private rearm(): void {
    this.deadline = this.deadlines.earliest();
  }

  /** body_timeout expired: 408 if the response has not started, else close. */
  private bodyTimedOut(): void {
    this.deadlines.body = 0;
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
    respondError(this, ex, 408);
    ex.answeredByServer();
  }

  /** Pauses the socket when too many unparsed bytes are held. */
  private holdInput(): void {
    if (!this.pauses.forInput && this.input.bytes() > INPUT_HIGH_WATER) this.ownPauses().pauseForInput();
  }

  /** This connection's own {@link ReadPauses}, made when it first pauses. */
  private ownPauses(): ReadPauses {
    if (this.pauses === NEVER_PAUSED) this.pauses = new ReadPauses(this.socket);
    return this.pauses;
  }
}
