/**
 * Test helpers for the WebSocket core: client-side frame building, a frame
 * collector on top of the core parser, and a fake host/socket for sessions.
 */
import { FrameParser, type FrameEvents } from "../../core/ws/frame-parser.ts";
import { encodeFrame } from "../../core/ws/frame-writer.ts";
import type { SessionHost, SessionListener, WireSocket } from "../../core/ws/session.ts";

/** A masked client frame (fixed mask, so failures are reproducible). */
export function clientFrame(opcode: number, payload: Uint8Array | string, fin = true, rsv1 = false): Uint8Array {
  const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  return encodeFrame(opcode, bytes, fin, rsv1, new Uint8Array([0x37, 0xfa, 0x21, 0x3d]));
}

/** One parsed frame. */
export interface ParsedFrame {
  opcode: number;
  fin: boolean;
  rsv1: boolean;
  payload: Uint8Array;
}

/** Parses frames with the core parser; `masked` says which side's frames these are. */
export function parseFrames(data: Uint8Array | Uint8Array[], masked: boolean, allowRsv1 = true): ParsedFrame[] {
  const frames: ParsedFrame[] = [];
  let current: ParsedFrame | null = null;
  let parts: number[] = [];
  const events: FrameEvents = {
    onFrameStart(opcode, fin, rsv1) {
      current = { opcode, fin, rsv1, payload: new Uint8Array(0) };
      parts = [];
    },
    onFramePayload(chunk) {
      for (const b of chunk) parts.push(b);
    },
    onFrameEnd() {
      current!.payload = new Uint8Array(parts);
      frames.push(current!);
    },
  };
  const parser = new FrameParser({ masked, allowRsv1 }, events);
  for (const chunk of Array.isArray(data) ? data : [data]) parser.execute(chunk.slice());
  return frames;
}

/** Concatenates byte arrays. */
export function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A socket + host pair that records what a session does. */
export class FakeWire implements WireSocket, SessionHost {
  written: Uint8Array[] = [];
  ended = false;
  destroyed = false;
  paused = false;
  /** What `write` returns. */
  writable = true;
  time = 1_000;
  deadline = 0;
  errors: string[] = [];
  readonly socket: WireSocket = this;

  write(chunk: Uint8Array): boolean {
    this.written.push(chunk.slice());
    return this.writable;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  now(): number {
    return this.time;
  }
  setDeadline(at: number): void {
    this.deadline = at;
  }
  appError(message: string): void {
    this.errors.push(message);
  }
  /** Server frames written so far (and forgets them). */
  frames(): ParsedFrame[] {
    const frames = parseFrames(cat(...this.written), false);
    this.written = [];
    return frames;
  }
}

/** Records session events. */
export class RecordingListener implements SessionListener {
  events: unknown[] = [];
  onMessage(data: string | Uint8Array): void {
    this.events.push(typeof data === "string" ? ["text", data] : ["binary", Array.from(data)]);
  }
  onPing(payload: Uint8Array): void {
    this.events.push(["ping", Array.from(payload)]);
  }
  onPong(payload: Uint8Array): void {
    this.events.push(["pong", Array.from(payload)]);
  }
  onDrain(): void {
    this.events.push(["drain"]);
  }
  onClose(code: number, reason: string, wasClean: boolean): void {
    this.events.push(["close", code, reason, wasClean]);
  }
}

/** Close code of a close frame payload. */
export function closeCode(payload: Uint8Array): number {
  return payload.length >= 2 ? (payload[0] << 8) | payload[1] : 0;
}
