/**
 * A raw WebSocket client for the end-to-end conformance suite: it writes the
 * opening handshake and arbitrary (even invalid) frames byte for byte over a
 * plain TCP socket, and reads the server's frames with the core frame parser
 * in client mode. Every wait is bounded.
 */
import net from "node:net";
import zlib from "node:zlib";
import { FrameParser } from "../../core/ws/frame-parser.ts";
import { encodeFrame } from "../../core/ws/frame-writer.ts";

/** A frame the server sent. */
export interface ServerFrame {
  opcode: number;
  fin: boolean;
  rsv1: boolean;
  payload: Buffer;
}

/** Result of the handshake. */
export interface Handshake {
  status: number;
  /** Lower-cased header names. */
  headers: Map<string, string>;
  head: string;
  /** Body bytes of a non-101 answer, as far as read. */
  body: string;
}

const MASK = Buffer.from([0x12, 0x34, 0x56, 0x78]);

/** Handshake headers for a valid request to `path`. */
export function handshakeRequest(port: number, path: string, extra: string[] = []): string {
  return [
    `GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, "Upgrade: websocket", "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13", ...extra, "", "",
  ].join("\r\n");
}

/** See the module comment. */
export class RawWebSocket {
  readonly socket: net.Socket;
  /** Frames received and not yet taken. */
  readonly frames: ServerFrame[] = [];
  /** The server closed the TCP connection. */
  closed = false;
  /** Raw bytes received before the end of the handshake head. */
  private pending = Buffer.alloc(0);
  private handshakeDone = false;
  private readonly parser: FrameParser;
  private current: ServerFrame | null = null;
  private parts: Buffer[] = [];
  private waiters: (() => void)[] = [];
  /** A framing error in what the server sent (must never happen). */
  serverError: unknown = null;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.parser = new FrameParser({ masked: false, allowRsv1: true }, {
      onFrameStart: (opcode, fin, rsv1) => {
        this.current = { opcode, fin, rsv1, payload: Buffer.alloc(0) };
        this.parts = [];
      },
      onFramePayload: (chunk) => {
        this.parts.push(Buffer.from(chunk));
      },
      onFrameEnd: () => {
        this.current!.payload = Buffer.concat(this.parts);
        this.frames.push(this.current!);
      },
    });
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  /** Connects and sends `request` (default: a valid handshake for /ws); resolves with the server's answer. */
  static async open(port: number, options: { path?: string; headers?: string[]; request?: string } = {}): Promise<{ ws: RawWebSocket; handshake: Handshake }> {
    const socket = net.connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const ws = new RawWebSocket(socket);
    socket.write(options.request ?? handshakeRequest(port, options.path ?? "/ws", options.headers));
    const handshake = await ws.readHandshake(10_000);
    return { ws, handshake };
  }

  private onData(chunk: Buffer): void {
    if (!this.handshakeDone) {
      this.pending = Buffer.concat([this.pending, chunk]);
      const end = this.pending.indexOf("\r\n\r\n");
      if (end < 0) {
        this.wake();
        return;
      }
      const head = this.pending.subarray(0, end).toString("latin1");
      if (!head.startsWith("HTTP/1.1 101")) {
        this.wake();
        return;
      }
      this.handshakeDone = true;
      const rest = this.pending.subarray(end + 4);
      this.pending = Buffer.from(head + "\r\n\r\n", "latin1");
      if (rest.length > 0) this.feed(rest);
    } else this.feed(chunk);
    this.wake();
  }

  private feed(bytes: Buffer): void {
    try {
      this.parser.execute(new Uint8Array(bytes));
    } catch (error) {
      this.serverError = error;
    }
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when `condition` holds, the socket closed, or `ms` passed. */
  async waitFor(condition: () => boolean, ms = 5_000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!condition()) {
      if (this.closed || Date.now() >= deadline) return condition();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  private async readHandshake(ms: number): Promise<Handshake> {
    await this.waitFor(() => this.pending.includes("\r\n\r\n"), ms);
    const text = this.pending.toString("latin1");
    const end = text.indexOf("\r\n\r\n");
    const head = end < 0 ? text : text.slice(0, end);
    const lines = head.split("\r\n");
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0])?.[1] ?? 0);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
    }
    return { status, headers, head, body: end < 0 ? "" : text.slice(end + 4) };
  }

  /** Writes raw bytes. */
  write(bytes: Uint8Array | string): void {
    this.socket.write(bytes);
  }

  /** Writes one masked frame. */
  send(opcode: number, payload: Uint8Array | string = "", fin = true, rsv1 = false): void {
    const bytes = typeof payload === "string" ? Buffer.from(payload) : payload;
    this.socket.write(encodeFrame(opcode, bytes, fin, rsv1, MASK));
  }

  /** Next frame, or null when none came within `ms` (or the connection closed first). */
  async next(ms = 5_000): Promise<ServerFrame | null> {
    await this.waitFor(() => this.frames.length > 0, ms);
    return this.frames.shift() ?? null;
  }

  /** Waits for the server to close the TCP connection; true if it did within `ms`. */
  waitClosed(ms = 5_000): Promise<boolean> {
    return this.waitFor(() => this.closed, ms);
  }

  /** Closes our side now. */
  destroy(): void {
    this.socket.destroy();
  }
}

/** Close code in a Close frame payload (0 when it has none). */
export function closeCodeOf(frame: ServerFrame | null): number {
  if (frame === null || frame.payload.length < 2) return 0;
  return frame.payload.readUInt16BE(0);
}

/** A close frame payload with `code` and `reason`. */
export function closePayload(code: number, reason: string | Buffer = ""): Buffer {
  const r = typeof reason === "string" ? Buffer.from(reason) : reason;
  const out = Buffer.alloc(2 + r.length);
  out.writeUInt16BE(code, 0);
  r.copy(out, 2);
  return out;
}

/** permessage-deflate payload of `data` (context-free; the sync-flush tail removed). */
export function deflateMessage(data: Uint8Array): Buffer {
  const out = zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

/** The message of a permessage-deflate payload (context-free). */
export function inflateMessage(payload: Uint8Array): Buffer {
  return zlib.inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
}
