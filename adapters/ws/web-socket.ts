/**
 * The WHATWG-`WebSocket`-shaped server socket that `upgradeWebSocket`
 * returns (the shape of `Deno.upgradeWebSocket`'s `socket`): `send`,
 * `close`, `readyState`, `binaryType`, `bufferedAmount`, `protocol`,
 * `extensions`, `url`, `onopen`/`onmessage`/`onclose`/`onerror` and
 * `addEventListener`. It is CONNECTING until the app returns the upgrade
 * response, then runs on a core session.
 */
import { copyBytes } from "../../core/ws/bytes.ts";
import { CLOSE_ABNORMAL, MAX_CLOSE_REASON, isValidAppCloseCode } from "../../core/ws/protocol.ts";
import type { SessionListener, WebSocketSession } from "../../core/ws/session.ts";
import { ListenerRegistry, WebSocketCloseEvent, WebSocketErrorEvent, WebSocketMessageEvent } from "./events.ts";

type Handler = ((event: Event) => unknown) | null;
const encoder = new TextEncoder();

/** See the module comment. */
export class ServerSocket implements SessionListener {
  /** readyState values, as on a WHATWG WebSocket. */
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  onopen: Handler = null;
  onmessage: ((event: WebSocketMessageEvent) => unknown) | null = null;
  onclose: ((event: WebSocketCloseEvent) => unknown) | null = null;
  onerror: ((event: WebSocketErrorEvent) => unknown) | null = null;
  /** How binary messages are delivered: `arraybuffer` (default) or `blob`. */
  binaryType: "arraybuffer" | "blob" = "arraybuffer";
  /** The request URL with a `ws:`/`wss:` scheme. */
  readonly url: string;
  protocol = "";
  extensions = "";

  private session: WebSocketSession | null = null;
  private state = 0;
  private readonly listeners: ListenerRegistry;
  private sendChain: Promise<void> | null = null;

  constructor(url: string, report: (message: string, error: unknown) => void) {
    this.url = url;
    this.listeners = new ListenerRegistry(report);
  }

  get readyState(): number {
    return this.session === null ? this.state : this.session.readyState;
  }

  get bufferedAmount(): number {
    return this.session === null ? 0 : this.session.bufferedAmount;
  }

  addEventListener(type: string, listener: Parameters<ListenerRegistry["add"]>[1], options?: boolean | { once?: boolean }): void {
    this.listeners.add(type, listener, options);
  }

  removeEventListener(type: string, listener: Parameters<ListenerRegistry["remove"]>[1]): void {
    this.listeners.remove(type, listener);
  }

  dispatchEvent(event: Event): boolean {
    const handler = (this as unknown as Record<string, Handler | undefined>)["on" + event.type] ?? null;
    this.listeners.dispatch(this, event, typeof handler === "function" ? handler : null);
    return true;
  }

  /** Sends a text (string) or binary (ArrayBuffer, view, Blob) message. */
  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void {
    if (this.readyState === 0) throw new DOMException("WebSocket is still CONNECTING", "InvalidStateError");
    const session = this.session;
    if (session === null) return;
    if (typeof Blob !== "undefined" && data instanceof Blob) {
      // Blob bytes arrive asynchronously; later sends wait for them to keep the order.
      const bytes = data.arrayBuffer();
      this.sendChain = (this.sendChain ?? Promise.resolve()).then(async () => {
        session.send(new Uint8Array(await bytes));
      });
      return;
    }
    const message = typeof data === "string" ? data : toBytes(data as ArrayBufferLike | ArrayBufferView);
    if (this.sendChain !== null) this.sendChain = this.sendChain.then(() => void session.send(message));
    else session.send(message);
  }

  /** Starts the closing handshake. `code` must be 1000 or 3000–4999; `reason` at most 123 UTF-8 bytes. */
  close(code?: number, reason?: string): void {
    if (code !== undefined && !isValidAppCloseCode(code)) {
      throw new DOMException(`close code must be 1000 or 3000-4999, got ${code}`, "InvalidAccessError");
    }
    const text = reason ?? "";
    if (encoder.encode(text).length > MAX_CLOSE_REASON) throw new DOMException("close reason longer than 123 bytes", "SyntaxError");
    if (this.session === null) {
      if (this.state === 0) this.state = 2; // closes as soon as it would have opened
      return;
    }
    this.session.close(code ?? (reason === undefined ? 0 : 1000), text);
  }

  /* ---------------- wiring (adapters) ---------------- */

  /** The upgrade went through: run on `session` and fire `open`. */
  attach(session: WebSocketSession, protocol: string, extensions: string): void {
    const closeAtOnce = this.state === 2;
    this.session = session;
    this.protocol = protocol;
    this.extensions = extensions;
    session.attach(this);
    this.dispatchEvent(new Event("open"));
    if (closeAtOnce) session.close(1000, "");
  }

  /** The upgrade did not happen (the app returned another response, or the client left). */
  abandon(reason: string): void {
    if (this.session !== null || this.state === 3) return;
    this.state = 3;
    this.dispatchEvent(new WebSocketErrorEvent(reason));
    this.dispatchEvent(new WebSocketCloseEvent(CLOSE_ABNORMAL, "", false));
  }

  /* ---------------- SessionListener ---------------- */

  onMessage(data: string | Uint8Array): void {
    this.dispatchEvent(new WebSocketMessageEvent(typeof data === "string" ? data : this.binaryPayload(data), originOf(this.url)));
  }

  /** A binary message as `binaryType` asks: an ArrayBuffer (the bytes' own when they span it) or a Blob. */
  private binaryPayload(data: Uint8Array): ArrayBuffer | Blob {
    const buffer = (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data.buffer : copyBytes(data).buffer) as ArrayBuffer;
    return this.binaryType === "blob" ? new Blob([buffer]) : buffer;
  }

  onPing(): void {}
  onPong(): void {}
  onDrain(): void {}

  onClose(code: number, reason: string, wasClean: boolean): void {
    if (!wasClean && code === CLOSE_ABNORMAL) this.dispatchEvent(new WebSocketErrorEvent("connection closed abnormally"));
    this.dispatchEvent(new WebSocketCloseEvent(code, reason, wasClean));
  }
}

function toBytes(data: ArrayBufferLike | ArrayBufferView): Uint8Array {
  if (data instanceof Uint8Array) return data; // no re-view: reading `.buffer` allocates on V8 and JSC
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "";
  }
}
