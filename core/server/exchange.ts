/**
 * One request/response exchange on a connection. A single object plays three
 * roles so a request costs one allocation: the {@link IncomingRequest} and the
 * {@link ResponseWriter} handed to the adapter (as both arguments of the
 * handler), and the {@link ResponseContext} the serializer reads.
 */
import { EMPTY_BODY, IncomingBody, type BodyOwner } from "./body.ts";
import { DISCARD_LIMIT } from "./connection-server.ts";
import type { AccessLogger } from "../log/access-log.ts";
import type { Logger } from "../log/logger.ts";
import type { Socket } from "../runtime/socket.ts";
import { applyForwarded } from "../net/forwarded.ts";
import type { AddressMatcher } from "../net/ip-match.ts";
import { interimHead, lastChunkWithTrailers } from "../http/field-sections.ts";
import {
  FRAMING_CHUNKED, FRAMING_LENGTH, FRAMING_NONE, ResponseError, type ResponseContext, type ResponseSerializer,
} from "../http/serializer.ts";
import type { HeaderList, RequestHead } from "../http/types.ts";
import type { IncomingRequest, RequestBody, ResponseWriter } from "./types.ts";
import type { UpgradeFactory, UpgradedProtocol } from "./upgrade.ts";

const encoder = new TextEncoder();

/**
 * What an exchange needs from the connection it belongs to (implemented by
 * `Connection` in connection.ts; declared here so the two files do not
 * import each other).
 */
export interface ExchangeOwner {
  readonly socket: Socket;
  readonly logger: Logger;
  readonly accessLog: AccessLogger | null;
  /** The connection is closed or closing: writes are pointless. */
  readonly ended: boolean;
  /** Set when a socket write returned false (the connection waits for `drain`). */
  readonly writeBlocked: boolean;
  /** A socket write returned false: wait for `drain`, at most send_timeout. */
  blocked(): void;
  /** Send `100 Continue` for `ex` (first read of a body that expects it). */
  sendContinue(ex: Exchange): void;
  /** `ex`'s request body was read to its end. */
  bodyDrained(ex: Exchange): void;
  /** Close the connection now. */
  destroy(): void;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** `http` or `https` of the connection itself (before forwarded headers). */
  readonly scheme: string;
  /** The peer is a trusted proxy: apply its forwarded headers. */
  readonly trustForwarded: boolean;
  readonly forwardedAllow: AddressMatcher;
  readonly serializer: ResponseSerializer;
  /** Whether the connection stays open after `ex` (decided right before its head is serialized). */
  keepAliveFor(ex: Exchange): boolean;
  /** `ex`'s response is complete: log it, then start the next pipelined request or close. */
  responseFinished(ex: Exchange): void;
  /** `ex`'s response was cut off after its head: count and log it as sent so far. */
  responseAborted(ex: Exchange): void;
  /** Resolves once the socket drained after a write returned false. */
  waitDrain(): Promise<void>;
  /** Switch to another protocol after `ex` (core/server/upgrade.ts), writing `head` unless null; null when it cannot. */
  upgrade(ex: Exchange, head: Uint8Array | null, create: UpgradeFactory): UpgradedProtocol | null;
}

/** See the module comment. Created by the connection (connection.ts) when a request head is parsed. */
export class Exchange implements IncomingRequest, ResponseWriter, ResponseContext, BodyOwner {
  readonly head: RequestHead;
  readonly body: RequestBody;
  readonly isHead: boolean;
  readonly versionMinor: number;
  /** Decided by the connection right before the head is serialized. */
  keepAlive = true;
  /** The head has been serialized (queued or written). */
  started = false;
  /** The response is complete (or abandoned). */
  finished = false;
  /** The connection closes after this response (decided when the head was serialized). */
  closeAfter = false;
  /** `100 Continue` was written. */
  continueSent = false;
  /** Trailer fields of a chunked request body, once the body completed. */
  trailers: HeaderList | null = null;
  /** Client address after a PROXY header and trusted Forwarded / X-Forwarded-For. */
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  /** `http` or `https`, after trusted Forwarded / X-Forwarded-Proto. */
  scheme: string;
  /** A trusted proxy sent contradicting scheme headers: the connection answers 400. */
  badProxyHeaders = false;
  /** Response status, once the head was serialized (access log). */
  status = 0;
  /** Response headers as the app gave them, once the head was serialized (access log). */
  responseHeaders: HeaderList | null = null;
  /** Body bytes handed to the socket (0 for HEAD, 204, 304). */
  bodyBytes = 0;
  /** Clock reading ({@link Timers.now}) when the head was parsed. */
  startTime = 0;
  /** The server answered in the app's place ({@link answeredByServer}); the app's errors are expected. */
  serverAnswered = false;

  private readonly conn: ExchangeOwner;
  private framing = FRAMING_NONE;
  private remaining = -1;
  private pendingHead: Uint8Array | null = null;
  private aborted = false;
  private closeListeners: (() => void)[] | null = null;
  /** {@link connectionClosed} ran: later {@link onClose} listeners are called at once. */
  private clientGone = false;

  constructor(conn: ExchangeOwner, head: RequestHead) {
    this.conn = conn;
    this.head = head;
    this.isHead = head.method === "HEAD";
    this.versionMinor = head.versionMinor;
    this.body = head.contentLength > 0 || head.chunked ? new IncomingBody(this) : EMPTY_BODY;
    this.remoteAddress = conn.remoteAddress;
    this.remotePort = conn.remotePort;
    this.localAddress = conn.localAddress;
    this.localPort = conn.localPort;
    this.scheme = conn.scheme;
    if (conn.trustForwarded && !applyForwarded(head.headers, conn.forwardedAllow, this)) this.badProxyHeaders = true;
  }

  get headersSent(): boolean {
    return this.started;
  }
  get closed(): boolean {
    return this.aborted || this.conn.ended;
  }

  /** BodyOwner: the app reads the body for the first time → `100 Continue` if the client waits for it. */
  bodyWanted(): void {
    if (this.head.expectContinue && !this.continueSent && !this.started) {
      this.continueSent = true;
      this.conn.sendContinue(this);
    }
  }

  /**
   * While the request body is still arriving, whether the rest of it can
   * cheaply be read and dropped after the response (so the connection can be
   * kept): a known length within {@link DISCARD_LIMIT}, and not a body the
   * client is still waiting to be asked for (100-continue).
   */
  restOfBodyDroppable(): boolean {
    const head = this.head;
    if (head.chunked || (head.expectContinue && !this.continueSent)) return false;
    return head.contentLength - (this.body as IncomingBody).received <= DISCARD_LIMIT;
  }

  /** BodyOwner: the app caught up with buffered body bytes. */
  bodyDrained(): void {
    this.conn.bodyDrained(this);
  }

  send(status: number, reason: string | undefined, headers: HeaderList, body: Uint8Array | string | null): void {
    if (this.started) {
      if (this.aborted) return; // the server answered or gave up already
      throw new ResponseError("response already started");
    }
    const conn = this.conn;
    if (conn.ended) {
      this.started = this.finished = true;
      return;
    }
    this.keepAlive = conn.keepAliveFor(this);
    const serializer = conn.serializer;
    // Throws ResponseError before writing anything when the response is invalid.
    const ok = serializer.send(conn.socket, this, status, reason, headers, body);
    this.started = true;
    this.finished = true;
    this.status = status;
    this.responseHeaders = headers;
    this.bodyBytes = serializer.sentBodyLength;
    this.closeAfter = serializer.close;
    if (!ok) conn.blocked();
    conn.responseFinished(this);
  }

  start(status: number, reason: string | undefined, headers: HeaderList): void {
    if (this.started) {
      if (this.aborted) return; // the server answered or gave up already
      throw new ResponseError("response already started");
    }
    const conn = this.conn;
    if (conn.ended) {
      this.started = true;
      return;
    }
    this.keepAlive = conn.keepAliveFor(this);
    const serializer = conn.serializer;
    const head = serializer.head(this, status, reason, headers);
    this.started = true;
    this.status = status;
    this.responseHeaders = headers;
    this.framing = serializer.framing;
    this.remaining = serializer.length;
    this.closeAfter = serializer.close;
    // Held briefly so a write()/end() in the same tick leaves in the same socket write.
    this.pendingHead = head;
    queueMicrotask(() => this.flushHead());
  }

  write(chunk: Uint8Array | string): void | Promise<void> {
    if (!this.started) throw new ResponseError("write() before start()");
    if (this.finished) {
      if (this.aborted) return;
      throw new ResponseError("write() after end()");
    }
    const conn = this.conn;
    if (conn.ended) return;
    let data = chunk;
    if (this.framing !== FRAMING_NONE) {
      // Encoded here rather than in the serializer, so the byte count is known.
      if (typeof data === "string") data = encoder.encode(data);
      if (this.framing === FRAMING_LENGTH) {
        if (data.length > this.remaining) {
          const error = new ResponseError("response body is longer than its Content-Length");
          this.abort(error);
          throw error;
        }
        this.remaining -= data.length;
      }
      this.bodyBytes += data.length;
    }
    if (data.length === 0 && this.pendingHead === null) return;
    const ok = conn.serializer.writeBody(conn.socket, this.pendingHead, data, this.framing, false);
    this.pendingHead = null;
    if (!ok || conn.writeBlocked) {
      if (!ok) conn.blocked();
      return conn.waitDrain();
    }
  }

  end(trailers?: HeaderList): void {
    if (!this.started) throw new ResponseError("end() before start()");
    if (this.finished) return;
    // Only a chunked body can carry trailer fields; they are dropped otherwise (as node:http does).
    // Encoded (and validated: ResponseError) before anything changes.
    const lastChunk = trailers !== undefined && trailers.length > 0 && this.framing === FRAMING_CHUNKED
      ? lastChunkWithTrailers(trailers)
      : null;
    this.finished = true;
    const conn = this.conn;
    if (conn.ended) return;
    if (this.framing === FRAMING_LENGTH && this.remaining > 0) {
      conn.logger.error(`Response body is ${this.remaining} bytes shorter than its Content-Length; closing connection`);
      this.closeAfter = true;
    }
    const ok = conn.serializer.writeBody(conn.socket, this.pendingHead, null, this.framing, true, lastChunk);
    this.pendingHead = null;
    if (!ok) conn.blocked();
    conn.responseFinished(this);
  }

  /**
   * Sends an informational (1xx) response before the final one; false when
   * it cannot be sent (the response started, an HTTP/1.0 client, the
   * connection is gone). @throws ResponseError for a bad status or field
   */
  informational(status: number, headers: HeaderList): boolean {
    const head = interimHead(status, headers);
    const conn = this.conn;
    // RFC 9110 §15.2: never to an HTTP/1.0 client.
    if (this.started || this.versionMinor === 0 || conn.ended) return false;
    if (!conn.socket.write(head)) conn.blocked();
    return true;
  }

  /** Switches the connection to another protocol (core/server/upgrade.ts); null when it cannot. */
  upgrade(head: Uint8Array, create: UpgradeFactory): UpgradedProtocol | null {
    return this.conn.upgrade(this, head, create);
  }

  /** Hands the connection over without writing anything (core/server/upgrade.ts); null when it cannot. */
  takeOver(create: UpgradeFactory): UpgradedProtocol | null {
    return this.conn.upgrade(this, null, create);
  }

  abort(_error?: unknown): void {
    if (this.aborted) return;
    // A response cut off mid-way still gets its access log line (as in gunicorn).
    const unfinished = this.started && !this.finished;
    this.aborted = true;
    this.finished = true;
    this.pendingHead = null;
    if (unfinished) this.conn.responseAborted(this);
    this.conn.destroy();
  }

  /**
   * The server answered this request itself (body_timeout → 408): the app's
   * own response, if it still makes one, is dropped, and `closed` is true.
   */
  answeredByServer(): void {
    this.aborted = true;
    this.serverAnswered = true;
  }

  /**
   * Extension beyond {@link ResponseWriter}: calls `listener` once when the
   * client goes away (FIN or reset) before this exchange completed (client
   * gone while a stream is being produced). Called right away if it is gone.
   */
  onClose(listener: () => void): void {
    if (this.closed || this.clientGone) {
      listener();
      return;
    }
    (this.closeListeners ??= []).push(listener);
  }

  /**
   * The client went away while this exchange was current: its socket closed,
   * or it sent FIN before the response ended (what it wrote so far still goes out).
   */
  connectionClosed(): void {
    this.clientGone = true;
    const listeners = this.closeListeners;
    if (listeners === null) return;
    this.closeListeners = null;
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        this.conn.logger.error("Error in a connection close listener", error);
      }
    }
  }

  private flushHead(): void {
    const head = this.pendingHead;
    if (head === null) return;
    this.pendingHead = null;
    if (this.conn.ended) return;
    if (!this.conn.socket.write(head)) this.conn.blocked();
  }
}
