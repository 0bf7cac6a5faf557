/**
 * Bun's `ServerWebSocket` shape on a core session: `send`, `sendText`,
 * `sendBinary`, `close`, `terminate`, `ping`, `pong`, `data`, `readyState`,
 * `remoteAddress`, `subscribe`/`unsubscribe`/`isSubscribed`/`publish`,
 * `cork`, `getBufferedAmount`; events go to the app's
 * `websocket: { open, message, close, drain, ping, pong }` handlers.
 */
import { copyBytes } from "../../core/ws/bytes.ts";
import { MAX_CLOSE_REASON } from "../../core/ws/protocol.ts";
import type { SessionListener, WebSocketSession } from "../../core/ws/session.ts";
import type { Subscriber, Topics } from "./topics.ts";

/** The `websocket` object of a Bun-shaped app (`export default { fetch, websocket }`). */
export interface BunWebSocketHandlers {
  open?(ws: BunServerWebSocket): unknown;
  message?(ws: BunServerWebSocket, message: string | Uint8Array): unknown;
  close?(ws: BunServerWebSocket, code: number, reason: string): unknown;
  drain?(ws: BunServerWebSocket): unknown;
  ping?(ws: BunServerWebSocket, data: Uint8Array): unknown;
  pong?(ws: BunServerWebSocket, data: Uint8Array): unknown;
  /** Largest incoming message in bytes. */
  maxPayloadLength?: number;
  /** Seconds of silence before a keep-alive ping. */
  idleTimeout?: number;
  /** Unsent bytes per socket before backpressure applies. */
  backpressureLimit?: number;
  /** Over backpressureLimit: close (true) or drop messages (false, Bun's default). */
  closeOnBackpressureLimit?: boolean;
  /** Negotiate permessage-deflate (needs the `websocket_compression` setting). */
  perMessageDeflate?: boolean | object;
  /** `ws.publish` also reaches the publishing socket. */
  publishToSelf?: boolean;
}

const encoder = new TextEncoder();

function bytesOf(data: string | ArrayBufferLike | ArrayBufferView): string | Uint8Array {
  // A Uint8Array (Buffer included) as it is: reading `.buffer` to re-view it allocates on V8 and JSC.
  if (typeof data === "string" || data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** See the module comment. */
export class BunServerWebSocket implements SessionListener, Subscriber {
  /** The `data` given to `server.upgrade(request, { data })`. */
  data: unknown;
  readonly remoteAddress: string;
  /** Binary messages are delivered as Uint8Array (Bun's `nodebuffer` default gives a Buffer, which is one). */
  binaryType: "uint8array" | "arraybuffer" | "nodebuffer" = "nodebuffer";
  private readonly session: WebSocketSession;
  private readonly handlers: BunWebSocketHandlers;
  private readonly topics: Topics;
  private readonly subscribed = new Set<string>();
  private readonly report: (message: string, error: unknown) => void;

  constructor(
    session: WebSocketSession, handlers: BunWebSocketHandlers, topics: Topics, data: unknown, remoteAddress: string,
    report: (message: string, error: unknown) => void,
  ) {
    this.session = session;
    this.handlers = handlers;
    this.topics = topics;
    this.data = data;
    this.remoteAddress = remoteAddress;
    this.report = report;
  }

  get readyState(): number {
    return this.session.readyState;
  }

  /** Topics this socket is subscribed to. */
  get subscriptions(): string[] {
    return [...this.subscribed];
  }

  /** Bytes sent: >0 written, -1 queued behind backpressure, 0 dropped or closed. */
  send(data: string | ArrayBufferLike | ArrayBufferView, compress = false): number {
    return this.session.send(bytesOf(data), compress);
  }

  sendText(data: string, compress = false): number {
    return this.session.send(data, compress);
  }

  sendBinary(data: ArrayBufferLike | ArrayBufferView, compress = false): number {
    return this.session.send(bytesOf(data) as Uint8Array, compress);
  }

  close(code?: number, reason?: string): void {
    const text = reason ?? "";
    this.session.close(code ?? 1000, encoder.encode(text).length > MAX_CLOSE_REASON ? "" : text);
  }

  terminate(): void {
    this.session.terminate();
  }

  ping(data?: string | ArrayBufferLike | ArrayBufferView): number {
    const payload = data === undefined ? new Uint8Array(0) : bytesOf(data);
    return this.session.ping(typeof payload === "string" ? encoder.encode(payload) : payload) ? 1 : 0;
  }

  pong(data?: string | ArrayBufferLike | ArrayBufferView): number {
    const payload = data === undefined ? new Uint8Array(0) : bytesOf(data);
    return this.session.pong(typeof payload === "string" ? encoder.encode(payload) : payload) ? 1 : 0;
  }

  subscribe(topic: string): void {
    this.subscribed.add(topic);
    this.topics.subscribe(topic, this);
  }

  unsubscribe(topic: string): void {
    this.subscribed.delete(topic);
    this.topics.unsubscribe(topic, this);
  }

  isSubscribed(topic: string): boolean {
    return this.subscribed.has(topic);
  }

  /** Sends to every other subscriber of `topic` (and to this one with `publishToSelf`). */
  publish(topic: string, data: string | ArrayBufferLike | ArrayBufferView, compress = false): number {
    return this.topics.publish(topic, bytesOf(data), compress, this.handlers.publishToSelf === true ? null : this);
  }

  publishText(topic: string, data: string, compress = false): number {
    return this.publish(topic, data, compress);
  }

  publishBinary(topic: string, data: ArrayBufferLike | ArrayBufferView, compress = false): number {
    return this.publish(topic, data, compress);
  }

  /** Runs `callback` (writes are not batched further; each frame is already one write). */
  cork<T>(callback: (ws: this) => T): T {
    return callback(this);
  }

  getBufferedAmount(): number {
    return this.session.bufferedAmount;
  }

  /* ---------------- SessionListener ---------------- */

  /** Called once after the 101 was written. */
  opened(): void {
    this.call("open", () => this.handlers.open?.(this));
  }

  onMessage(data: string | Uint8Array): void {
    let message: unknown = data;
    if (typeof data !== "string" && this.binaryType === "arraybuffer") message = copyBytes(data).buffer;
    // Called directly, not through call(): one closure less per message.
    const handler = this.handlers.message;
    if (handler === undefined) return;
    try {
      this.settled("message", handler.call(this.handlers, this, message as string | Uint8Array));
    } catch (error) {
      this.report("Error in the websocket message handler", error);
    }
  }

  onPing(payload: Uint8Array): void {
    this.call("ping", () => this.handlers.ping?.(this, payload));
  }

  onPong(payload: Uint8Array): void {
    this.call("pong", () => this.handlers.pong?.(this, payload));
  }

  onDrain(): void {
    this.call("drain", () => this.handlers.drain?.(this));
  }

  onClose(code: number, reason: string): void {
    this.topics.removeAll(this, this.subscribed);
    this.subscribed.clear();
    this.call("close", () => this.handlers.close?.(this, code, reason));
  }

  private call(name: string, fn: () => unknown): void {
    try {
      this.settled(name, fn());
    } catch (error) {
      this.report(`Error in the websocket ${name} handler`, error);
    }
  }

  /** A handler's promise that rejects is reported like a throw. */
  private settled(name: string, result: unknown): void {
    if (result !== null && typeof result === "object" && typeof (result as Promise<unknown>).then === "function") {
      (result as Promise<unknown>).then(undefined, (error: unknown) => this.report(`Error in the websocket ${name} handler`, error));
    }
  }
}
