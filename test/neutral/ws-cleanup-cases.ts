/**
 * WebSocket sessions leave nothing behind, checked on a runtime's real
 * listener and sockets (runtimes/<rt>/socket.ts) with the core engine and the
 * Bun-shaped API: many sessions open, echo, subscribe to a topic and end in
 * every way a session ends (client Close, server Close, client vanishing);
 * afterwards the server holds no connection, its timeout wheel watches
 * nothing and the topic has no subscriber. Registered by each runtime's test
 * runner (test/deno/ws-cleanup.test.ts — where Deno's op and resource
 * sanitizers also fail the test on a read, write or timer still pending, or a
 * connection still open, after the listener closed —,
 * test/bun/ws-cleanup.test.ts, test/unit/ws-cleanup.test.ts for Node).
 * Uses `node:net` as the client (every runtime has it) and `node:assert/strict`.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { createHandler } from "../../adapters/detect.ts";
import { defaultWebSocketConfig } from "../../adapters/ws/config.ts";
import type { ListenFn } from "../../core/net/listen-types.ts";
import type { Timers } from "../../core/runtime/timers.ts";
import { ServerCore } from "../../core/server/server.ts";
import { MemoryLogger } from "../unit/fake-socket.ts";

/** How a client session ends. */
type Ending = "client-close" | "server-close" | "vanish";

const ENDINGS: Ending[] = ["client-close", "server-close", "vanish"];
/** Sessions per round, spread over {@link ENDINGS}. */
const SESSIONS = 30;
/** Upper bound of every wait in the check. */
const WAIT_MS = 10_000;

const MASK = [0x37, 0xfa, 0x21, 0x3d];

/** A masked client frame with a payload under 126 bytes. */
function clientFrame(opcode: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(6 + payload.length);
  out[0] = 0x80 | opcode;
  out[1] = 0x80 | payload.length;
  out.set(MASK, 2);
  for (let i = 0; i < payload.length; i++) out[6 + i] = payload[i] ^ MASK[i & 3];
  return out;
}

const text = (s: string) => new TextEncoder().encode(s);

/** The app: echoes, subscribes every socket to "room", closes with 1000 when told "bye". */
const APP = {
  fetch(request: Request, server: { upgrade(r: Request): boolean; subscriberCount(topic: string): number }) {
    const path = new URL(request.url).pathname;
    if (path === "/ws" && server.upgrade(request)) return undefined;
    if (path === "/room") return new Response(String(server.subscriberCount("room")));
    return new Response("ok");
  },
  websocket: {
    open(ws: { subscribe(topic: string): void }) {
      ws.subscribe("room");
    },
    message(ws: { send(m: unknown): number; close(code: number): void }, message: string | Uint8Array) {
      if (message === "bye") ws.close(1000);
      else ws.send(message);
    },
  },
};

/** Polls `condition` every 10 ms; fails with `what` after {@link WAIT_MS}. */
async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * One client session: handshake, one echoed message, then `ending`. Resolves
 * once its socket is closed; rejects on an unexpected reply or after {@link WAIT_MS}.
 */
function session(port: number, ending: Ending): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let received = new Uint8Array(0);
    let stage: "head" | "echo" | "close" | "done" = "head";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${ending} session timed out in stage ${stage}`));
    }, WAIT_MS);
    const fail = (message: string) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(`${ending}: ${message}`));
    };
    socket.on("connect", () => {
      socket.write(
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      );
    });
    socket.on("data", (chunk: Uint8Array) => {
      const joined = new Uint8Array(received.length + chunk.length);
      joined.set(received);
      joined.set(chunk, received.length);
      received = joined;
      if (stage === "head") {
        const end = new TextDecoder().decode(received).indexOf("\r\n\r\n");
        if (end < 0) return;
        if (!new TextDecoder().decode(received.subarray(0, 12)).includes("101")) return fail("no 101");
        received = received.subarray(end + 4);
        stage = "echo";
        socket.write(clientFrame(0x2, text("hello")));
      }
      if (stage === "echo") {
        if (received.length < 7) return;
        if (received[0] !== 0x82 || received[1] !== 5) return fail(`bad echo frame ${received[0]} ${received[1]}`);
        received = received.subarray(7);
        stage = "close";
        if (ending === "vanish") socket.destroy();
        else if (ending === "client-close") socket.write(clientFrame(0x8, new Uint8Array([0x03, 0xe8])));
        else socket.write(clientFrame(0x1, text("bye")));
        return;
      }
      if (stage === "close" && received.length >= 4) {
        // The server's Close (its echo of ours, or its own 1000): answer it when it is the server's own.
        if (received[0] !== 0x88) return fail(`expected a Close frame, got opcode byte ${received[0]}`);
        stage = "done";
        if (ending === "server-close") socket.write(clientFrame(0x8, new Uint8Array([0x03, 0xe8])));
        socket.end();
      }
    });
    socket.on("error", () => {}); // a reset after the Close is how some sessions end; "close" settles
    socket.on("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** One GET over a fresh connection; resolves the body. */
function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let body = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`GET ${path} timed out`));
    }, WAIT_MS);
    socket.on("connect", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    socket.on("data", (chunk: Uint8Array) => (body += new TextDecoder().decode(chunk)));
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(body.slice(body.indexOf("\r\n\r\n") + 4));
    });
  });
}

/**
 * Runs {@link SESSIONS} sessions twice on one server (`listen` and `timers`
 * of the runtime under test) and checks that nothing outlives them.
 */
export async function checkWebSocketCleanup(listen: ListenFn, timers: Timers): Promise<void> {
  const logger = new MemoryLogger();
  const handler = createHandler(APP, "fetch", { logger, websocket: defaultWebSocketConfig() });
  const server = new ServerCore({ handler, timers, logger });
  const listener = await listen({ kind: "tcp", host: "127.0.0.1", port: 0 }, server.accept, { backlog: 128, reusePort: false });
  try {
    const port = Number(new URL(listener.url).port);
    for (let round = 1; round <= 2; round++) {
      const sessions = Array.from({ length: SESSIONS }, (_, i) => session(port, ENDINGS[i % ENDINGS.length]));
      await Promise.all(sessions);
      await waitFor(() => server.connections === 0, `round ${round}: every connection closed (${server.connections} open)`);
      assert.equal(server.wheel.size, 0, `round ${round}: the timeout wheel still watches closed connections`);
      assert.equal(await get(port, "/room"), "0", `round ${round}: closed sockets are still subscribed to the topic`);
      await waitFor(() => server.connections === 0, "the GET's connection closed");
    }
    assert.deepEqual(logger.at("error").concat(logger.at("critical")), []);
  } finally {
    await listener.close();
    server.stopTimers();
  }
}
