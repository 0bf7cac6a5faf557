/**
 * Echo server over a runtime's `listen` (runtimes/<rt>/socket.ts), for
 * test/e2e/runtime-smoke.test.ts. Runs on Node (bundled by the test), Deno
 * and Bun: `<runtime> socket-echo-server.ts BIND`.
 *
 * Per connection:
 *   - received bytes are echoed back a moment later (so a runtime reusing a
 *     chunk's memory would corrupt the echo); while the socket is above its
 *     high-water mark, reading is paused until `drain`
 *   - a chunk starting with `BIG n\n`: sends n bytes of `0123456789…`, then end()
 *   - a chunk starting with `KILL`: destroy()
 *   - peer EOF: sends `BYE\n`, then end()
 * stdout gets `LISTENING <url>` once, then `CLOSED <n> <error or ->` per connection.
 */
import type { ListenFn } from "../../core/net/listen-types.ts";
import type { Socket, SocketHandlers } from "../../core/runtime/socket.ts";
import { parseBind } from "../../core/net/bind.ts";

declare const Deno: unknown;
declare const Bun: unknown;

const runtime = typeof Deno !== "undefined" ? "deno" : typeof Bun !== "undefined" ? "bun" : "node";
const { listen } = (await import(`../../runtimes/${runtime}/socket.ts`)) as { listen: ListenFn };
const args: string[] =
  runtime === "deno" ? (globalThis as unknown as { Deno: { args: string[] } }).Deno.args : (globalThis as unknown as { process: { argv: string[] } }).process.argv.slice(2);

const PATTERN = new TextEncoder().encode("0123456789".repeat(6554)).subarray(0, 65536);
let connections = 0;

function echoHandlers(socket: Socket): SocketHandlers {
  const id = ++connections;
  let pending: Uint8Array[] = [];
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let blocked = false;
  let big = -1; // bytes of a BIG reply still to send; -1 when none is in progress

  const flush = () => {
    flushTimer = undefined;
    for (const chunk of pending) if (!socket.write(chunk)) blocked = true;
    pending = [];
    if (blocked) socket.pause();
  };
  const sendBig = () => {
    while (big > 0) {
      const piece = PATTERN.subarray(0, Math.min(big, PATTERN.length));
      big -= piece.length;
      if (!socket.write(piece)) return; // continue on drain
    }
    big = -1;
    socket.end();
  };
  return {
    data(chunk) {
      const head = new TextDecoder().decode(chunk.subarray(0, 16));
      const match = /^BIG (\d+)\n/.exec(head);
      if (match) {
        big = Number(match[1]);
        return sendBig();
      }
      if (head.startsWith("KILL")) return socket.destroy();
      pending.push(chunk);
      flushTimer ??= setTimeout(flush, 1);
    },
    drain() {
      if (big >= 0) return sendBig();
      blocked = false;
      socket.resume();
    },
    end() {
      if (flushTimer !== undefined) clearTimeout(flushTimer);
      flush();
      socket.write(new TextEncoder().encode("BYE\n"));
      socket.end();
    },
    close(error) {
      if (flushTimer !== undefined) clearTimeout(flushTimer);
      const name = error === undefined ? "-" : ((error as Error).name ?? "error");
      console.log(`CLOSED ${id} ${name}`);
    },
  };
}

const listener = await listen(parseBind(args[0] ?? "127.0.0.1:0"), echoHandlers, { backlog: 128, reusePort: false });
console.log(`LISTENING ${listener.url}`);
