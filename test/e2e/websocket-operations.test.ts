/**
 * WebSocket operations on every runtime: keep-alive pings and dropping a
 * peer that stops answering, open sockets counting toward
 * `worker_connections`, Close 1001 to every open socket on TERM and HUP
 * within `graceful_timeout`, and one access log line per session (101,
 * duration, bytes).
 *
 *   node_modules/.bin/vitest run test/e2e/websocket-operations
 */
import { describe, expect, test } from "vitest";
import { TESTED_RUNTIMES, signalProcess, startServersPerTest, until } from "./harness.ts";
import { RawWebSocket, closeCodeOf, closePayload } from "./ws-raw-client.ts";
import { sleep } from "./raw-client.ts";

const APP = "examples/websocket/app.ts";
const TEXT = 0x1, CLOSE = 0x8, PING = 0x9, PONG = 0xa;

async function openWs(port: number): Promise<RawWebSocket> {
  const { ws, handshake } = await RawWebSocket.open(port);
  expect(handshake.status, handshake.head).toBe(101);
  return ws;
}

describe.each(TESTED_RUNTIMES)("WebSocket operations [%s]", (runtime) => {
  const start = startServersPerTest();

  test("idle sockets are pinged; one that answers stays, one that does not is dropped", async () => {
    const server = await start({ runtime, app: APP, args: ["--websocket-ping-interval", "1", "--websocket-ping-timeout", "1"] });
    const silent = await openWs(server.port);
    const alive = await openWs(server.port);
    // The live client answers every ping (the silent one never sends a byte).
    const answer = async () => {
      while (!alive.closed) {
        const frame = await alive.next(500);
        if (frame?.opcode === PING) alive.send(PONG, frame.payload);
      }
    };
    const answering = answer();
    const ping = await silent.next(5_000);
    expect(ping?.opcode).toBe(PING);
    expect(await silent.waitClosed(8_000), "silent peer still connected").toBe(true);
    expect(alive.closed).toBe(false);
    alive.destroy();
    await answering;
  });

  test("open WebSockets count toward worker_connections", async () => {
    const server = await start({ runtime, app: APP, args: ["--worker-connections", "2"] });
    const a = await openWs(server.port);
    const b = await openWs(server.port);
    // A third connection waits (not answered, not reset) until one WebSocket closes.
    const third = RawWebSocket.open(server.port);
    const early = await Promise.race([third.then(({ handshake }) => `answered ${handshake.status}`), sleep(1_500).then(() => "waiting")]);
    expect(early, "a third connection was answered while two WebSockets held both slots").toBe("waiting");
    a.send(CLOSE, closePayload(1000));
    expect(await a.waitClosed()).toBe(true);
    const { ws: c, handshake } = await third;
    expect(handshake.status, handshake.head).toBe(101);
    c.send(TEXT, "room again");
    expect((await c.next())?.payload.toString()).toBe("room again");
    b.destroy();
    c.destroy();
  });

  for (const signal of ["SIGTERM", "SIGHUP"] as const) {
    test(`${signal}: every open socket gets Close 1001; the old worker exits within graceful_timeout`, async () => {
      const server = await start({ runtime, app: APP, args: ["--graceful-timeout", "5", "--websocket-ping-timeout", "2"] });
      const polite = await openWs(server.port);
      const rude = await openWs(server.port); // never answers the Close
      signalProcess(server.pid, signal);
      const close = await polite.next(5_000);
      expect([close?.opcode, closeCodeOf(close)]).toEqual([CLOSE, 1001]);
      polite.send(CLOSE, closePayload(1001));
      expect(await polite.waitClosed(5_000)).toBe(true);
      const rudeClose = await rude.next(5_000);
      expect(closeCodeOf(rudeClose)).toBe(1001);
      // No answer: the connection is dropped after websocket_ping_timeout (within graceful_timeout).
      expect(await rude.waitClosed(8_000)).toBe(true);
      if (signal === "SIGTERM") {
        const status = await Promise.race([server.exited, new Promise((r) => setTimeout(() => r("still running"), 10_000))]);
        expect(status).not.toBe("still running");
      } else {
        // The new worker serves WebSockets.
        await until(() => /Booting worker/g.test(server.stderr().split("Handling signal")[1] ?? ""), () => server.stderr(), 15_000);
        const fresh = await openWs(server.port);
        fresh.send(TEXT, "after reload");
        expect((await fresh.next())?.payload.toString()).toBe("after reload");
        fresh.destroy();
      }
    });
  }

  test("the access log has one line per session: 101, bytes sent, duration", async () => {
    const server = await start({
      runtime, app: APP, args: ["--access-logfile", "-", "--access-logformat", "%(r)s %(s)s %(b)s %(L)s"],
    });
    const ws = await openWs(server.port);
    ws.send(TEXT, "x".repeat(1000));
    await ws.next();
    await new Promise((r) => setTimeout(r, 300));
    ws.send(CLOSE, closePayload(1000));
    await ws.waitClosed();
    await until(() => /GET \/ws HTTP\/1\.1 101/.test(server.stdout()), () => server.stdout(), 10_000);
    const lines = server.stdout().split("\n").filter((l) => l.includes("GET /ws"));
    expect(lines).toHaveLength(1);
    const [, bytes, seconds] = /101 (\d+) ([\d.]+)/.exec(lines[0])!;
    expect(Number(bytes)).toBe(1004 + 4); // the echo frame (4-byte header + 1000) and the Close echo (2 + 2)
    expect(Number(seconds)).toBeGreaterThanOrEqual(0.3);
  });
});
