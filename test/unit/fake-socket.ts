/**
 * In-memory test doubles for core's runtime interfaces: a {@link FakeSocket}
 * that records writes and flow control, {@link FakeTimers} driven by hand and
 * a {@link MemoryLogger}. Used by the connection/adapter unit tests.
 */
import type { Logger } from "../../core/log/logger.ts";
import type { Socket, SocketHandlers } from "../../core/runtime/socket.ts";
import type { Timers } from "../../core/runtime/timers.ts";

const latin1 = new TextDecoder("latin1");
const encoder = new TextEncoder();

/** Timers whose clock only moves when {@link advance} is called. */
export class FakeTimers implements Timers {
  /** Monotonic ms. */
  time = 1_000;
  /** Wall clock at time 0 (2024-01-01T00:00:00Z). */
  wallBase = Date.UTC(2024, 0, 1) - 1_000;
  private nextId = 1;
  private tasks = new Map<number, { at: number; fn: () => void; every: number }>();

  now(): number {
    return this.time;
  }
  wallNow(): number {
    return this.wallBase + this.time;
  }
  setTimeout(fn: () => void, ms: number): number {
    const id = this.nextId++;
    this.tasks.set(id, { at: this.time + ms, fn, every: 0 });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.tasks.delete(handle as number);
  }
  setInterval(fn: () => void, ms: number): number {
    const id = this.nextId++;
    this.tasks.set(id, { at: this.time + ms, fn, every: Math.max(1, ms) });
    return id;
  }
  clearInterval(handle: unknown): void {
    this.tasks.delete(handle as number);
  }
  /** Number of scheduled timers/intervals. */
  get pending(): number {
    return this.tasks.size;
  }
  /** Moves the clock forward by `ms`, running due tasks in time order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let nextId = -1;
      let nextAt = Infinity;
      for (const [id, task] of this.tasks) {
        if (task.at <= end && task.at < nextAt) {
          nextAt = task.at;
          nextId = id;
        }
      }
      if (nextId === -1) break;
      const task = this.tasks.get(nextId)!;
      this.time = Math.max(this.time, task.at);
      if (task.every > 0) task.at += task.every;
      else this.tasks.delete(nextId);
      task.fn();
    }
    this.time = end;
  }
}

/** A Logger that keeps every message. */
export class MemoryLogger implements Logger {
  lines: { level: string; msg: string; error?: unknown }[] = [];
  debug(msg: string): void {
    this.lines.push({ level: "debug", msg });
  }
  info(msg: string): void {
    this.lines.push({ level: "info", msg });
  }
  warning(msg: string): void {
    this.lines.push({ level: "warning", msg });
  }
  error(msg: string, error?: unknown): void {
    this.lines.push({ level: "error", msg, error });
  }
  critical(msg: string, error?: unknown): void {
    this.lines.push({ level: "critical", msg, error });
  }
  /** Messages at `level`. */
  at(level: string): string[] {
    return this.lines.filter((l) => l.level === level).map((l) => l.msg);
  }
}

/**
 * An in-memory Socket. Writes are recorded; `highWater` simulates a slow
 * reader (write returns false once more than that many bytes are unflushed,
 * {@link flush} drains). `end()`/`destroy()` deliver `close` on a microtask,
 * like a real runtime would deliver it later.
 */
export class FakeSocket implements Socket {
  remoteAddress = "127.0.0.1";
  remotePort = 54321;
  localAddress = "127.0.0.1";
  localPort = 8000;
  encrypted = false;

  handlers!: SocketHandlers;
  /** Copies of every written chunk (what the peer received). */
  chunks: Uint8Array[] = [];
  /** The written chunks themselves (to check core never mutates a chunk after writing it). */
  originals: Uint8Array[] = [];
  /** Bytes written but not "sent" yet (see highWater). */
  unflushed = 0;
  highWater = Infinity;
  paused = false;
  pauseCount = 0;
  ended = false;
  destroyed = false;
  closed = false;
  writesAfterEnd = 0;
  private blocked = false;

  get unsentBytes(): number {
    return this.unflushed;
  }

  write(chunk: Uint8Array): boolean {
    if (this.ended || this.destroyed) {
      this.writesAfterEnd++;
      return true;
    }
    this.chunks.push(chunk.slice());
    this.originals.push(chunk);
    this.unflushed += chunk.length;
    if (this.unflushed > this.highWater) this.blocked = true;
    return !this.blocked;
  }
  pause(): void {
    if (!this.paused) this.pauseCount++;
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  end(): void {
    if (this.ended || this.destroyed) return;
    this.ended = true;
    queueMicrotask(() => this.deliverClose());
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    queueMicrotask(() => this.deliverClose());
  }

  /** Everything written so far, as a latin1 string. */
  text(): string {
    return this.chunks.map((c) => latin1.decode(c)).join("");
  }
  /** Forget recorded writes. */
  clear(): void {
    this.chunks = [];
    this.originals = [];
  }
  /** Deliver bytes from the peer. */
  send(data: string | Uint8Array): void {
    this.handlers.data(typeof data === "string" ? encoder.encode(data) : data);
  }
  /** The peer half-closes. */
  peerEnd(): void {
    this.handlers.end();
  }
  /** The peer read everything: unflushed bytes leave and `drain` fires if a write returned false. */
  flush(): void {
    this.unflushed = 0;
    if (this.blocked) {
      this.blocked = false;
      this.handlers.drain();
    }
  }
  /** Close from the peer side (reset). */
  reset(): void {
    this.destroyed = true;
    this.deliverClose();
  }
  private deliverClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.close();
  }
}

/** Runs queued microtasks and promise callbacks (a few rounds, including one macrotask). */
export async function settle(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
  }
}

/** Splits raw HTTP responses in `text` (Content-Length / chunked / no-body aware, HEAD unaware). */
export function splitResponses(text: string): { head: string; status: number; headers: Record<string, string>; body: string }[] {
  const out: { head: string; status: number; headers: Record<string, string>; body: string }[] = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf("\r\n\r\n");
    if (end === -1) throw new Error(`incomplete head: ${JSON.stringify(rest)}`);
    const head = rest.slice(0, end);
    rest = rest.slice(end + 4);
    const lines = head.split("\r\n");
    const status = Number(lines[0].split(" ")[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const i = line.indexOf(":");
      headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
    }
    let body = "";
    if (status < 200 || status === 204 || status === 304) {
      body = "";
    } else if (headers["transfer-encoding"] === "chunked") {
      for (;;) {
        const lineEnd = rest.indexOf("\r\n");
        const size = parseInt(rest.slice(0, lineEnd), 16);
        if (lineEnd === -1 || Number.isNaN(size) || rest.length < lineEnd + 2 + size + 2) {
          throw new Error(`incomplete chunked body: ${JSON.stringify(rest.slice(0, 80))}`);
        }
        rest = rest.slice(lineEnd + 2);
        if (size === 0) {
          rest = rest.slice(2);
          break;
        }
        body += rest.slice(0, size);
        rest = rest.slice(size + 2);
      }
    } else if (headers["content-length"] !== undefined) {
      const n = Number(headers["content-length"]);
      body = rest.slice(0, n);
      rest = rest.slice(n);
    } else {
      body = rest;
      rest = "";
    }
    out.push({ head, status, headers, body });
  }
  return out;
}

/** Sends `raw`, waits for `count` responses (bounded), returns them. */
export async function exchange(socket: FakeSocket, raw: string, count = 1) {
  socket.send(raw);
  for (let i = 0; i < 200; i++) {
    try {
      const rs = splitResponses(socket.text());
      if (rs.length >= count && (socket.text().endsWith("0\r\n\r\n") || !rs.some((r) => r.headers["transfer-encoding"]))) {
        return rs;
      }
    } catch {
      // incomplete; keep waiting
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`no complete response: ${JSON.stringify(socket.text())}`);
}
