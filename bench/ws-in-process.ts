/**
 * `npm run bench:ws-in-process`: the JavaScript cost of one WebSocket echo on
 * the core session without sockets or syscalls — frame parser, unmasking,
 * message assembly, the Bun-shaped API object, the echo app's `ws.send`, the
 * frame writer — on an in-memory socket, per runtime. Prints ns per echoed
 * message for 32 B and 64 KiB binary messages (median of 7 timed batches
 * after a warm-up). 64 KiB frames arrive split as a 64 KiB socket read
 * buffer splits them (65,536 bytes, then the rest), so the message is joined
 * from two reads, as on a real socket.
 *
 *   npm run bench:ws-in-process (Node via an esbuild bundle, then deno and bun) · … [--messages N]
 */
import { BunServerWebSocket } from "../adapters/ws/bun-socket.ts";
import { Topics } from "../adapters/ws/topics.ts";
import { encodeFrame } from "../core/ws/frame-writer.ts";
import { OP_BINARY } from "../core/ws/protocol.ts";
import { WebSocketSession, type SessionHost, type WireSocket } from "../core/ws/session.ts";

const argv: string[] =
  (globalThis as { Deno?: { args: string[] } }).Deno?.args ??
  (globalThis as { process?: { argv: string[] } }).process?.argv.slice(2) ??
  [];
const at = argv.indexOf("--messages");
const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
const messages = at >= 0 ? Number(argv[at + 1]) : 0;

/** A socket + host that only count what is written (the socket layer is not measured). */
class CountingWire implements WireSocket, SessionHost {
  written = 0;
  readonly socket: WireSocket = this;
  write(chunk: Uint8Array): boolean {
    this.written += chunk.length;
    return true;
  }
  pause(): void {}
  resume(): void {}
  end(): void {}
  destroy(): void {}
  now(): number {
    return 0;
  }
  setDeadline(): void {}
  appError(message: string, error: unknown): void {
    console.error(message, error);
  }
}

/** The benchmark's echo app (bench/apps/ws-echo.js), Bun's shape. */
const handlers = { message: (ws: BunServerWebSocket, message: string | Uint8Array) => void ws.send(message) };

/** ns per echoed message of `size` bytes, median of 7 batches of `count`. */
function measure(size: number, count: number): number {
  const wire = new CountingWire();
  // Node's socket gathers writes (a large frame leaves as header + payload, not copied); Deno's and Bun's do not.
  if (runtime === "node") (wire as WireSocket).writev = (chunks) => chunks.every((chunk) => wire.write(chunk));
  const session = new WebSocketSession(wire, { maxMessage: 0, maxBuffer: 0, overflow: "close", pingInterval: 0, pingTimeout: 0, deflate: null });
  session.attach(new BunServerWebSocket(session, handlers, new Topics(), undefined, "127.0.0.1", console.error));
  // The payload is unmasked in place on every pass; as binary data, whatever it becomes is still a valid message.
  const frame = encodeFrame(OP_BINARY, new Uint8Array(size).fill(0x61), true, false, new Uint8Array([1, 2, 3, 4]));
  const reads = frame.length > 65536 ? [frame.subarray(0, 65536), frame.subarray(65536)] : [frame];
  const batch = (n: number): number => {
    const start = performance.now();
    for (let i = 0; i < n; i++) for (const read of reads) session.data(read);
    return ((performance.now() - start) * 1e6) / n;
  };
  batch(count); // warm-up
  const before = wire.written;
  const times = Array.from({ length: 7 }, () => batch(count)).sort((a, b) => a - b);
  if (wire.written - before < 7 * count * size) throw new Error("the echo did not write every message back");
  return times[3];
}

for (const [label, size, count] of [["32 B", 32, 200_000], ["64 KiB", 65536, 4_000]] as const) {
  console.log(`${runtime} ws echo ${label}: ${Math.round(measure(size, messages || count))} ns per message`);
}
