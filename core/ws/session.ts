/**
 * One WebSocket connection after the opening handshake, runtime-neutral: it
 * reads frames from a byte stream, assembles and validates messages, answers
 * pings and the close handshake, keeps idle peers alive with pings and drops
 * silent ones, bounds what it buffers in both directions, and writes the
 * app's messages as frames. The app side sees a {@link SessionListener}; the
 * HTTP connection that upgraded feeds socket events in through the
 * SocketHandlers-shaped methods (`data`, `drain`, `end`, `close`) and the
 * deadline hooks (`onTimeout`, host `setDeadline`).
 */
import type { ByteStream } from "../runtime/socket.ts";
import { concatBytes } from "../http/bytes.ts";
import { copyBytes } from "./bytes.ts";
import type { PerMessageDeflate } from "./deflate.ts";
import { FrameParser, type FrameEvents } from "./frame-parser.ts";
import { COPY_LIMIT, closePayload, encodeFrame, encodeHeader } from "./frame-writer.ts";
import {
  CLOSE_ABNORMAL, CLOSE_GOING_AWAY, CLOSE_INTERNAL_ERROR, CLOSE_INVALID_PAYLOAD, CLOSE_NO_STATUS, CLOSE_POLICY_VIOLATION,
  CLOSE_PROTOCOL_ERROR, CLOSE_TOO_BIG, OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_PONG, OP_TEXT,
  WebSocketError, isValidWireCloseCode,
} from "./protocol.ts";
import { Utf8Validator, isValidUtf8 } from "./utf8.ts";

/** The byte stream a session runs on (the upgraded HTTP connection's socket). */
export type WireSocket = ByteStream;

/** What a session needs from the connection it took over. */
export interface SessionHost {
  readonly socket: WireSocket;
  /** Monotonic (coarse) milliseconds. */
  now(): number;
  /** Ask for {@link WebSocketSession.onTimeout} at monotonic time `at` (0 = never). */
  setDeadline(at: number): void;
  /** Logs an error thrown by app code (listeners), which never breaks the session. */
  appError(message: string, error: unknown): void;
}

/** Receives what happens on a session (implemented by the API objects in adapters/). */
export interface SessionListener {
  /** A complete message: text as a string, binary as bytes (owned by the listener). */
  onMessage(data: string | Uint8Array): void;
  onPing(payload: Uint8Array): void;
  onPong(payload: Uint8Array): void;
  /** Output that was held back (`send` returned -1) has been written out. */
  onDrain(): void;
  /** The connection is gone. `code` 1005 = Close without status, 1006 = no Close at all. */
  onClose(code: number, reason: string, wasClean: boolean): void;
}

/** What to do when unsent output would exceed {@link SessionOptions.maxBuffer}. */
export type OverflowPolicy = "close" | "drop";

/** Limits and timings of a session. */
export interface SessionOptions {
  /** Largest message accepted, in bytes (after decompression); bigger → close 1009. 0 = no limit. */
  maxMessage: number;
  /** Unsent output bytes beyond which `send` either closes with 1008 or drops the message. 0 = no limit. */
  maxBuffer: number;
  overflow: OverflowPolicy;
  /** Idle milliseconds before a ping; 0 = no keep-alive pings. */
  pingInterval: number;
  /** Milliseconds to wait for any sign of life after a ping, and for the peer's Close after ours. */
  pingTimeout: number;
  /** The agreed permessage-deflate, or null. */
  deflate: PerMessageDeflate | null;
}

/** readyState values, as in the WHATWG WebSocket. */
export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;

/** Compressed messages being inflated at once before the socket is paused. */
const INFLATE_QUEUE_HIGH = 8;
const EMPTY = new Uint8Array(0);
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** See the module comment. */
export class WebSocketSession implements FrameEvents {
  readyState = OPEN;
  /** Bytes received / sent on the wire (frames, after the handshake). */
  bytesIn = 0;
  bytesOut = 0;
  private readonly host: SessionHost;
  private readonly socket: WireSocket;
  private readonly options: SessionOptions;
  private readonly parser: FrameParser;
  private listener: SessionListener | null = null;
  /* receiving */
  private frameOpcode = 0;
  private messageOpcode = 0;
  private messageCompressed = false;
  private messageSize = 0;
  /** FIN bit of the current data frame. */
  private lastFin = true;
  /** Payload pieces of the current message: the first one, and any further ones (most messages have one). */
  private firstFragment: Uint8Array | null = null;
  private moreFragments: Uint8Array[] | null = null;
  private controlPayload: Uint8Array[] = [];
  private readonly utf8 = new Utf8Validator();
  private inflating = 0;
  private inTail: Promise<void> = Promise.resolve();
  private pausedForInflate = false;
  /* sending */
  private writeBlocked = false;
  /** Bytes handed to the socket since it last reported being above its high-water mark. */
  private backlog = 0;
  /** Bytes of messages waiting for the compressor. */
  private queued = 0;
  private compressing = 0;
  private outTail: Promise<void> = Promise.resolve();
  /* closing and liveness */
  private closeSent = false;
  private closeReceived = false;
  private receivedCode = CLOSE_ABNORMAL;
  private receivedReason = "";
  private lastSeen: number;
  private pingOutstanding = false;
  private closeDeadline = 0;
  private finished = false;

  constructor(host: SessionHost, options: SessionOptions) {
    this.host = host;
    this.socket = host.socket;
    this.options = options;
    this.parser = new FrameParser({ masked: true, allowRsv1: options.deflate !== null }, this);
    this.lastSeen = host.now();
    this.scheduleKeepalive();
  }

  /** Starts delivering events to `listener` (set right after the 101 was written). */
  attach(listener: SessionListener): void {
    this.listener = listener;
  }

  /** Output accepted by the socket but not yet flushed, plus messages waiting for compression. */
  get bufferedAmount(): number {
    return this.backlog + this.queued;
  }

  /** The negotiated extension header value ("" without compression). */
  get compressed(): boolean {
    return this.options.deflate !== null;
  }

  /* ---------------- sending (app side) ---------------- */

  /**
   * Sends one message. Returns the bytes handed to the socket, -1 when it was
   * queued behind backpressure or compression, 0 when it was dropped (not
   * open, or over `maxBuffer` with overflow `drop`) — Bun's `send` contract.
   */
  send(data: string | Uint8Array, compress = true): number {
    if (this.readyState !== OPEN) return 0;
    const binary = typeof data !== "string";
    const bytes = binary ? data : encoder.encode(data);
    const opcode = binary ? OP_BINARY : OP_TEXT;
    const limit = this.options.maxBuffer;
    const buffered = this.backlog + this.queued;
    if (limit > 0 && buffered > 0 && buffered + bytes.length > limit) {
      if (this.options.overflow === "drop") return 0;
      this.close(CLOSE_POLICY_VIOLATION, "send buffer full");
      return 0;
    }
    const deflate = this.options.deflate;
    if (this.compressing > 0 || (deflate !== null && compress && bytes.length >= deflate.threshold)) {
      // Copied: the app may reuse its buffer before the compressor reads it.
      const own = binary ? copyBytes(bytes) : bytes;
      const squeeze = deflate !== null && compress && own.length >= deflate.threshold;
      this.compressing++;
      this.queued += own.length;
      this.outTail = this.outTail.then(async () => {
        const payload = squeeze ? await deflate!.compress(own) : own;
        this.compressing--;
        this.queued -= own.length;
        if (!this.finished) this.writeFrame(opcode, payload, squeeze);
      }).catch((error: unknown) => {
        this.host.appError("Compressing a WebSocket message failed", error);
        this.fail(CLOSE_INTERNAL_ERROR, "compression failed");
      });
      return -1;
    }
    return this.writeFrame(opcode, bytes, false) ? bytes.length : -1;
  }

  /** Sends a ping (payload up to 125 bytes). False when not open. */
  ping(payload: Uint8Array = EMPTY): boolean {
    if (this.readyState !== OPEN) return false;
    this.writeFrame(OP_PING, payload.subarray(0, 125), false);
    return true;
  }

  /** Sends an unsolicited pong (payload up to 125 bytes). False when not open. */
  pong(payload: Uint8Array = EMPTY): boolean {
    if (this.readyState !== OPEN) return false;
    this.writeFrame(OP_PONG, payload.subarray(0, 125), false);
    return true;
  }

  /**
   * Starts the closing handshake with `code` (0 = no status) and `reason`; the
   * TCP connection ends when the peer answers, or after `pingTimeout`.
   */
  close(code = 1000, reason = ""): void {
    if (this.readyState >= CLOSING) return;
    this.readyState = CLOSING;
    const frame = closePayload(code, reason);
    if (this.compressing > 0) {
      this.outTail = this.outTail.then(() => this.sendClose(frame));
    } else this.sendClose(frame);
    this.closeDeadline = this.host.now() + (this.options.pingTimeout || 30_000);
    this.host.setDeadline(this.closeDeadline);
  }

  /** Server shutdown (TERM/HUP/recycle): Close 1001. */
  goingAway(): void {
    this.close(CLOSE_GOING_AWAY, "server shutting down");
  }

  /** Drops the connection without a closing handshake. */
  terminate(): void {
    this.readyState = CLOSING;
    this.socket.destroy();
  }

  /* ---------------- socket side ---------------- */

  /** Bytes from the socket. */
  data(chunk: Uint8Array): void {
    if (this.finished) return;
    this.bytesIn += chunk.length;
    this.lastSeen = this.host.now();
    this.pingOutstanding = false;
    try {
      this.parser.execute(chunk);
    } catch (error) {
      if (error instanceof WebSocketError) this.fail(error.code, error.message);
      else {
        this.host.appError("Internal error in a WebSocket session", error);
        this.fail(CLOSE_INTERNAL_ERROR, "internal error");
      }
    }
  }

  /** The socket's write buffer drained. */
  drain(): void {
    if (!this.writeBlocked) return;
    this.writeBlocked = false;
    this.backlog = 0;
    if (this.listener !== null && this.readyState === OPEN) {
      try {
        this.listener.onDrain();
      } catch (error) {
        this.host.appError("Error in a WebSocket drain handler", error);
      }
    }
  }

  /** The peer half-closed without (or after) a Close frame. */
  end(): void {
    this.parser.stop();
    this.socket.end();
  }

  /** The socket is gone (either side closed it, or it failed). */
  closed(): void {
    if (this.finished) return;
    this.finished = true;
    this.readyState = CLOSED;
    this.host.setDeadline(0);
    this.options.deflate?.close();
    const clean = this.closeReceived && this.closeSent;
    const code = this.closeReceived ? this.receivedCode : CLOSE_ABNORMAL;
    const listener = this.listener;
    if (listener === null) return;
    // Messages still being inflated are delivered first.
    const report = (): void => {
      try {
        listener.onClose(code, this.receivedReason, clean);
      } catch (error) {
        this.host.appError("Error in a WebSocket close handler", error);
      }
    };
    if (this.inflating > 0) void this.inTail.then(report);
    else report();
  }

  /** A deadline set through the host passed: keep-alive ping, dead peer, or closing handshake timed out. */
  onTimeout(now: number): void {
    if (this.finished) return;
    if (this.readyState === CLOSING) {
      if (now >= this.closeDeadline) this.socket.destroy();
      else this.host.setDeadline(this.closeDeadline);
      return;
    }
    const { pingInterval, pingTimeout } = this.options;
    if (this.pingOutstanding) {
      // No byte since the ping went out (data() clears the flag).
      this.receivedReason = "peer did not answer a ping";
      this.socket.destroy();
      return;
    }
    if (now - this.lastSeen < pingInterval) {
      this.host.setDeadline(this.lastSeen + pingInterval);
      return;
    }
    this.pingOutstanding = true;
    this.writeFrame(OP_PING, EMPTY, false);
    this.host.setDeadline(now + (pingTimeout || pingInterval));
  }

  /* ---------------- FrameEvents ---------------- */

  onFrameStart(opcode: number, fin: boolean, rsv1: boolean, length: number): void {
    this.frameOpcode = opcode;
    if (opcode >= OP_CLOSE) {
      this.controlPayload = [];
      return;
    }
    if (opcode !== OP_CONTINUATION) {
      this.messageOpcode = opcode;
      this.messageCompressed = rsv1;
      this.messageSize = 0;
      this.firstFragment = this.moreFragments = null;
      this.utf8.reset();
    }
    this.lastFin = fin;
    const max = this.options.maxMessage;
    this.messageSize += length;
    if (max > 0 && this.messageSize > max) {
      throw new WebSocketError(CLOSE_TOO_BIG, `message larger than ${max} bytes`);
    }
  }

  onFramePayload(chunk: Uint8Array): void {
    if (this.frameOpcode >= OP_CLOSE) {
      this.controlPayload.push(chunk);
      return;
    }
    if (chunk.length === 0) return;
    if (this.messageOpcode === OP_TEXT && !this.messageCompressed && !this.utf8.feed(chunk)) {
      throw new WebSocketError(CLOSE_INVALID_PAYLOAD, "text message is not valid UTF-8");
    }
    if (this.firstFragment === null) this.firstFragment = chunk;
    else (this.moreFragments ??= []).push(chunk);
  }

  onFrameEnd(): void {
    const opcode = this.frameOpcode;
    if (opcode >= OP_CLOSE) {
      this.controlFrame(opcode, this.controlPayload.length === 0 ? EMPTY : concatBytes(this.controlPayload));
      return;
    }
    // A data frame without FIN leaves the message open.
    if (!this.lastFin) return;
    const payload = this.messagePayload();
    this.firstFragment = this.moreFragments = null;
    if (this.messageOpcode === OP_TEXT && !this.messageCompressed && !this.utf8.complete()) {
      throw new WebSocketError(CLOSE_INVALID_PAYLOAD, "text message is not valid UTF-8");
    }
    const text = this.messageOpcode === OP_TEXT;
    if (this.messageCompressed) this.inflateMessage(payload, text);
    else if (this.inflating > 0) this.inTail = this.inTail.then(() => this.deliver(payload, text));
    else this.deliver(payload, text);
  }

  /* ---------------- internals ---------------- */

  /** The current message's payload in one array (copied only when it arrived in pieces). */
  private messagePayload(): Uint8Array {
    const first = this.firstFragment;
    if (first === null) return EMPTY;
    const more = this.moreFragments;
    if (more === null) return first;
    more.unshift(first);
    return concatBytes(more, this.messageSize);
  }

  private inflateMessage(payload: Uint8Array, text: boolean): void {
    const deflate = this.options.deflate!;
    this.inflating++;
    if (this.inflating >= INFLATE_QUEUE_HIGH && !this.pausedForInflate) {
      this.pausedForInflate = true;
      this.socket.pause();
    }
    const inflated = this.inTail.then(() => deflate.decompress(payload, this.options.maxMessage));
    this.inTail = inflated.then(
      (message) => {
        this.inflating--;
        if (this.pausedForInflate && this.inflating < INFLATE_QUEUE_HIGH / 2) {
          this.pausedForInflate = false;
          this.socket.resume();
        }
        if (text && !isValidUtf8(message)) throw new WebSocketError(CLOSE_INVALID_PAYLOAD, "text message is not valid UTF-8");
        this.deliver(message, text);
      },
    ).catch((error: unknown) => {
      this.inflating = Math.max(0, this.inflating - 1);
      if (error instanceof WebSocketError) this.fail(error.code, error.message);
      else this.fail(CLOSE_INTERNAL_ERROR, "decompression failed");
    });
  }

  private deliver(payload: Uint8Array, text: boolean): void {
    const listener = this.listener;
    if (listener === null || this.readyState !== OPEN) return;
    try {
      listener.onMessage(text ? decoder.decode(payload) : payload);
    } catch (error) {
      this.host.appError("Error in a WebSocket message handler", error);
    }
  }

  private controlFrame(opcode: number, payload: Uint8Array): void {
    const listener = this.listener;
    if (opcode === OP_PING) {
      if (this.readyState === OPEN) this.writeFrame(OP_PONG, payload, false);
      if (listener !== null) this.safely(() => listener.onPing(copyBytes(payload)));
      return;
    }
    if (opcode === OP_PONG) {
      if (listener !== null) this.safely(() => listener.onPong(copyBytes(payload)));
      return;
    }
    // Close
    this.parser.stop();
    this.closeReceived = true;
    if (payload.length === 1) throw new WebSocketError(CLOSE_PROTOCOL_ERROR, "close frame with a 1-byte payload");
    let code = CLOSE_NO_STATUS;
    if (payload.length >= 2) {
      code = (payload[0] << 8) | payload[1];
      if (!isValidWireCloseCode(code)) throw new WebSocketError(CLOSE_PROTOCOL_ERROR, `invalid close code ${code}`);
      const reason = payload.subarray(2);
      if (!isValidUtf8(reason)) throw new WebSocketError(CLOSE_INVALID_PAYLOAD, "close reason is not valid UTF-8");
      this.receivedReason = decoder.decode(reason);
    }
    this.receivedCode = code;
    if (!this.closeSent) {
      this.readyState = CLOSING;
      const echo = closePayload(code === CLOSE_NO_STATUS ? 0 : code, "");
      if (this.compressing > 0) this.outTail = this.outTail.then(() => this.sendClose(echo, true));
      else this.sendClose(echo, true);
      return;
    }
    this.socket.end();
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.host.appError("Error in a WebSocket ping/pong handler", error);
    }
  }

  /** Fail the WebSocket connection (RFC 6455 §7.1.7): Close with `code`, then end the TCP connection. */
  private fail(code: number, reason: string): void {
    this.parser.stop();
    if (this.finished) return;
    this.receivedReason ||= reason;
    this.readyState = CLOSING;
    if (!this.closeSent) {
      this.closeSent = true;
      this.writeFrame(OP_CLOSE, closePayload(code, reason.length <= 123 ? reason : ""), false);
    }
    this.socket.end();
  }

  private sendClose(payload: Uint8Array, thenEnd = false): void {
    if (this.closeSent || this.finished) return;
    this.closeSent = true;
    this.writeFrame(OP_CLOSE, payload, false);
    if (thenEnd) this.socket.end();
  }

  /**
   * Writes one frame; false when the socket is above its high-water mark. The
   * frame goes out in one write: a payload over {@link COPY_LIMIT} on a socket
   * that gathers writes (Node) as header + payload, the payload not copied
   * (the socket may hold on to it until sent, like an HTTP response body);
   * else copied behind its header (on Deno and Bun one buffer costs less than
   * a second write).
   */
  private writeFrame(opcode: number, payload: Uint8Array, rsv1: boolean): boolean {
    if (this.finished) return false;
    let size: number;
    let ok: boolean;
    if (payload.length > COPY_LIMIT && this.socket.writev !== undefined) {
      const header = encodeHeader(opcode, true, rsv1, payload.length);
      size = header.length + payload.length;
      ok = this.socket.writev([header, payload]);
    } else {
      const frame = encodeFrame(opcode, payload, true, rsv1);
      size = frame.length;
      ok = this.socket.write(frame);
    }
    this.bytesOut += size;
    if (this.writeBlocked || !ok) {
      this.backlog += size;
      this.writeBlocked = true;
      return false;
    }
    return !this.writeBlocked;
  }

  private scheduleKeepalive(): void {
    const interval = this.options.pingInterval;
    this.host.setDeadline(interval > 0 ? this.lastSeen + interval : 0);
  }
}
