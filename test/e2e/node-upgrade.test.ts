/**
 * `'upgrade'` listeners of an exported http.Server on Node, Deno and Bun
 * (test/fixtures/node-upgrade-app.js): the real `ws` package's noServer
 * `handleUpgrade()` echoing a `ws` client (also `wss` over tricorn's TLS), Fastify with @fastify/websocket
 * (test/fixtures/node-fastify-ws-app.js), a listener that refuses (401)
 * or throws, a hand-written protocol with bytes sent right after the
 * request, write() → false / 'drain' on the taken-over socket, a server
 * without 'upgrade' listeners answering through 'request' (node:http 20),
 * and the bounds of a taken-over connection: idle, worker_connections, TERM
 * and HUP.
 *
 *   node_modules/.bin/vitest run test/e2e/node-upgrade
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { TESTED_RUNTIMES, signalProcess, startServersPerTest, until, type RuntimeName } from "./harness.ts";
import { request } from "./http-client.ts";
import { RawConnection, exchange, req, sleep } from "./raw-client.ts";

const APP = "test/fixtures/node-upgrade-app.js";

interface Stats {
  falses: number;
  drains: number;
  written: number;
  timeouts: number;
  closes: number;
  upgrades: number;
  read: number;
}

async function stats(port: number): Promise<Stats> {
  return (await request(port, "/stats")).json() as Stats;
}

/** An upgrade request for `target` (no WebSocket key: for the hand-written protocols). */
function upgradeRequest(target: string, protocol = "echo"): string {
  return req("GET", target, ["Host: test", "Connection: Upgrade", `Upgrade: ${protocol}`]);
}

/** A self-signed localhost certificate for the wss test (openssl in a temporary directory). */
let certDir = "";
beforeAll(() => {
  certDir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-node-upgrade-"));
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1", "-keyout", "key.pem", "-out", "cert.pem"], {
    cwd: certDir, stdio: ["ignore", "ignore", "pipe"], timeout: 30_000,
  });
}, 60_000);
afterAll(() => {
  if (certDir) fs.rmSync(certDir, { recursive: true, force: true });
});

/** Opens a `ws` client on `target` (`wss` with the test certificate); resolves once open, with its messages and close code. Every wait is bounded. */
async function openWs(port: number, target = "/ws", secure = false) {
  const ws = secure
    ? new WebSocket(`wss://127.0.0.1:${port}${target}`, [], { ca: fs.readFileSync(path.join(certDir, "cert.pem")), servername: "localhost" } as WebSocket.ClientOptions)
    : new WebSocket(`ws://127.0.0.1:${port}${target}`);
  const messages: (string | Buffer)[] = [];
  let closeCode: number | null = null;
  ws.on("message", (data: Buffer, binary: boolean) => messages.push(binary ? data : data.toString()));
  ws.on("close", (code) => {
    closeCode = code;
  });
  let failure: Error | null = null;
  ws.on("error", (error) => void (failure ??= error));
  try {
    await until(() => ws.readyState === WebSocket.OPEN || failure !== null || closeCode !== null, `a WebSocket open on ${target}`, 10_000);
  } finally {
    if (ws.readyState !== WebSocket.OPEN) ws.terminate();
  }
  if (ws.readyState !== WebSocket.OPEN) throw failure ?? new Error(`WebSocket on ${target} closed before it opened`);
  return { ws, messages, closeCode: () => closeCode };
}

type Client = Awaited<ReturnType<typeof openWs>>;

/** Expects `welcome` first, sends `text`, expects it echoed, then closes with 1000 and expects the close to complete cleanly. */
async function echoAndClose(client: Client, text: string, welcome: string): Promise<void> {
  client.ws.send(text);
  await until(() => client.messages.length === 2, "the welcome and the echo", 10_000);
  expect(client.messages).toEqual([welcome, text]);
  client.ws.close(1000);
  await until(() => client.closeCode() !== null, "the close handshake", 10_000);
  expect(client.closeCode()).toBe(1000);
}

/** Opens a WebSocket, retrying until the server accepts one (a slot freed, a new worker up); bounded. */
async function openWsOnceAccepted(port: number, what: string): Promise<Client> {
  let client: Client | null = null;
  await until(async () => {
    client = await openWs(port).catch(() => null);
    return client !== null;
  }, what, 15_000);
  return client!;
}

describe.each(TESTED_RUNTIMES)("node 'upgrade' listeners on %s", (runtime: RuntimeName) => {
  const startServer = startServersPerTest("SIGTERM", 5_000);

  test("ws handleUpgrade: a ws client exchanges text and binary messages; refusals and a throwing listener", async () => {
    const server = await startServer({
      runtime, app: APP, args: ["--access-logfile", "-", "--access-logformat", "%(r)s %(s)s"],
    });
    const client = await openWs(server.port, "/ws?room=1");
    await until(() => client.messages.length === 1, "the welcome message", 10_000);
    expect(client.messages[0]).toBe("welcome /ws?room=1 127.0.0.1");
    client.ws.send("hello over tricorn");
    client.ws.send(Buffer.from([1, 2, 3, 250]));
    await until(() => client.messages.length === 3, "two echoes", 10_000);
    expect(client.messages[1]).toBe("hello over tricorn");
    expect([...(client.messages[2] as Buffer)]).toEqual([1, 2, 3, 250]);
    client.ws.close(1000, "bye");
    await until(() => client.closeCode() !== null, "the close handshake", 10_000);
    expect(client.closeCode()).toBe(1000);

    // `import "ws"`: on Bun its built-in rewrite of the package, on Node and Deno the package.
    const bare = await openWs(server.port, "/ws-bare");
    await echoAndClose(bare, "bare", "welcome /ws-bare 127.0.0.1");

    // A listener that refuses: its own 401 reaches the client, then the connection closes.
    const denied = await exchange(server.port, upgradeRequest("/deny", "websocket"), { until: "close", timeoutMs: 10_000 });
    expect(denied.closed).toBe(true);
    expect(denied.finals[0]?.status).toBe(401);

    // A throwing listener: logged, its connection closed, the worker keeps serving.
    const thrown = await exchange(server.port, upgradeRequest("/throw"), { until: "close", timeoutMs: 10_000 });
    expect(thrown.closed).toBe(true);
    expect(thrown.raw.length).toBe(0);
    await until(() => server.stderr().includes("thrown by the upgrade listener"), "the listener's error in the log", 5_000);
    expect((await stats(server.port)).upgrades).toBe(4);

    // Requests without both Connection: upgrade and Upgrade are ordinary requests.
    const notUpgrade = await exchange(server.port, req("GET", "/x", ["Host: test", "Upgrade: echo"]), { until: 1 });
    expect(notUpgrade.finals[0].text).toBe("request /x upgrade=echo");

    // The access log records the status the listener wrote (101 for the WebSocket, 401 for the refusal).
    await until(() => /GET \/deny HTTP\/1\.1 401/.test(server.stdout()), () => server.stdout(), 10_000);
    expect(server.stdout()).toMatch(/GET \/ws\?room=1 HTTP\/1\.1 101/);
  });

  test("wss: the upgrade over tricorn's TLS (--certfile); the socket says encrypted", async () => {
    const server = await startServer({
      runtime, app: APP, args: ["--certfile", path.join(certDir, "cert.pem"), "--keyfile", path.join(certDir, "key.pem")],
    });
    const client = await openWs(server.port, "/ws", true);
    await echoAndClose(client, "secret", "welcome /ws 127.0.0.1 tls");
  });

  test("Fastify with @fastify/websocket: a { websocket: true } route echoes; plain routes and 404s still answer", async () => {
    const server = await startServer({ runtime, app: "test/fixtures/node-fastify-ws-app.js" });
    const client = await openWs(server.port, "/ws");
    await echoAndClose(client, "through fastify", "welcome /ws");
    expect((await request(server.port, "/hello")).body).toBe("hello");
    // An upgrade for an unknown route goes through Fastify's 404 handler, written on the socket.
    const missing = await exchange(
      server.port,
      req("GET", "/nope", ["Host: test", "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]),
      { until: 1, timeoutMs: 10_000 },
    );
    expect(missing.finals[0]?.status).toBe(404);
  });

  test("a hand-written protocol: bytes sent with the request, echo, write() → false and 'drain'", async () => {
    const server = await startServer({ runtime, app: APP });
    const echo = await RawConnection.open(server.port);
    try {
      // The first protocol bytes travel in the same packet as the request.
      await echo.write(upgradeRequest("/echo") + "early;");
      const head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n";
      expect(await echo.waitFor(() => echo.received.toString().startsWith(head + "early;"), 5_000), echo.received.toString()).toBe(true);
      await echo.write("later");
      expect(await echo.waitFor(() => echo.received.toString() === head + "early;later", 5_000), echo.received.toString()).toBe(true);
      echo.endWrite();
      // The client's FIN ends the piped stream, which ends the server's side.
      expect(await echo.waitForClose(5_000)).toBe(true);
    } finally {
      echo.destroy();
    }
    await until(async () => (await stats(server.port)).closes === 1, "'close' on the upgraded socket", 5_000);

    // 16 MiB to a client that stops reading.
    const total = 16 * 1024 * 1024;
    const flood = await RawConnection.open(server.port);
    try {
      flood.pauseReading();
      await flood.write(upgradeRequest(`/flood?bytes=${total}`));
      await until(async () => (await stats(server.port)).falses > 0, "write() returning false", 10_000);
      flood.resumeReading();
      expect(await flood.waitFor(() => flood.closed, 30_000)).toBe(true);
      const body = flood.received.subarray(flood.received.indexOf("\r\n\r\n") + 4);
      expect(body.length).toBe(total);
      const after = await stats(server.port);
      expect(after.written).toBe(total);
      expect(after.drains).toBe(after.falses);
    } finally {
      flood.destroy();
    }
  });

  test("a paused upgraded socket stops reading: the client meets backpressure until the app resumes", async () => {
    const server = await startServer({ runtime, app: APP });
    const total = 16 * 1024 * 1024;
    const client = net.connect(server.port, "127.0.0.1");
    client.on("error", () => {});
    try {
      await new Promise<void>((resolve) => client.once("connect", () => resolve()));
      client.write(upgradeRequest("/hold"));
      await until(async () => (await stats(server.port)).upgrades === 1, "the upgrade", 5_000);
      client.write(Buffer.alloc(total, 0x63));
      // The server's kernel buffers fill, then nothing more moves: the client still holds most of it.
      let before = -1;
      await until(async () => {
        const now = client.writableLength;
        const stuck = now === before && now > 0;
        before = now;
        if (!stuck) await sleep(300);
        return stuck;
      }, "the client's writes to stop moving", 15_000);
      expect((await stats(server.port)).read).toBe(0);
      expect(client.writableLength).toBeGreaterThan(total / 2);
      expect((await request(server.port, "/release")).body).toBe("released");
      await until(async () => (await stats(server.port)).read === total, "every byte read after resume()", 20_000);
    } finally {
      client.destroy();
    }
  });

  test("socket.setTimeout(): 'timeout' after the quiet time, the socket stays open", async () => {
    const server = await startServer({ runtime, app: APP });
    const quiet = await RawConnection.open(server.port);
    try {
      await quiet.write(upgradeRequest("/quiet?ms=600"));
      expect(await quiet.waitFor(() => quiet.received.toString().includes("timeout\n"), 10_000)).toBe(true);
      expect(quiet.closed).toBe(false);
      expect((await stats(server.port)).timeouts).toBeGreaterThanOrEqual(1);
    } finally {
      quiet.destroy();
    }
  });

  test("no 'upgrade' listener: upgrade requests go to 'request' (node:http 20) and keep-alive continues", async () => {
    const server = await startServer({ runtime, app: `${APP}:plain` });
    const answered = await exchange(
      server.port,
      req("GET", "/ws", ["Host: test", "Connection: Upgrade", "Upgrade: websocket"]) + req("GET", "/next"),
      { until: 2 },
    );
    expect(answered.finals.map((r) => [r.status, r.text])).toEqual([
      [200, "request /ws upgrade=websocket"],
      [200, "request /next upgrade=-"],
    ]);
    expect(answered.closed).toBe(false);
  });

  test("bounds: an idle taken-over connection is dropped; one with traffic stays", async () => {
    // idle bound = websocket_ping_interval + websocket_ping_timeout = 2 s
    const server = await startServer({
      runtime, app: APP, args: ["--websocket-ping-interval", "1", "--websocket-ping-timeout", "1"],
    });
    const silent = await RawConnection.open(server.port);
    const busy = await RawConnection.open(server.port);
    let sending = true;
    try {
      await silent.write(upgradeRequest("/echo"));
      await busy.write(upgradeRequest("/echo"));
      const keepBusy = (async () => {
        while (sending && !busy.closed) {
          await busy.write(".");
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
      const opened = Date.now();
      expect(await silent.waitForClose(10_000), "the silent connection is still open").toBe(true);
      expect(silent.closedAt! - opened).toBeGreaterThanOrEqual(1_500);
      expect(busy.closed).toBe(false);
      sending = false;
      await keepBusy;
    } finally {
      sending = false;
      silent.destroy();
      busy.destroy();
    }
  });

  test("bounds: taken-over connections count toward worker_connections", async () => {
    const server = await startServer({ runtime, app: APP, args: ["--worker-connections", "2"] });
    const a = await openWs(server.port);
    const b = await openWs(server.port);
    // A third connection waits (not answered, not reset) until one of the two closes.
    const third = openWs(server.port);
    third.catch(() => {});
    const early = await Promise.race([third.then(() => "answered"), sleep(1_500).then(() => "waiting")]);
    expect(early, "a third connection was answered while two taken-over connections held both slots").toBe("waiting");
    a.ws.close(1000);
    await until(() => a.closeCode() !== null, "the first socket closed", 10_000);
    const c = await third;
    c.ws.send("room again");
    await until(() => c.messages.includes("room again"), "the echo", 10_000);
    b.ws.terminate();
    c.ws.terminate();
  });

  for (const signal of ["SIGTERM", "SIGHUP"] as const) {
    test(`bounds: ${signal} closes taken-over connections well within graceful_timeout`, async () => {
      const server = await startServer({
        runtime, app: APP, args: ["--graceful-timeout", "30", "--websocket-ping-timeout", "2"],
      });
      const client = await openWs(server.port);
      const raw = await RawConnection.open(server.port);
      try {
        await raw.write(upgradeRequest("/echo"));
        expect(await raw.waitFor(() => raw.received.toString().includes("\r\n\r\n"), 5_000)).toBe(true);
        const signalled = Date.now();
        signalProcess(server.pid, signal);
        await until(() => client.closeCode() !== null, "the WebSocket closed", 15_000);
        expect(await raw.waitForClose(15_000)).toBe(true);
        expect(Date.now() - signalled).toBeLessThan(15_000);
        if (signal === "SIGTERM") {
          const status = await Promise.race([server.exited, new Promise((r) => setTimeout(() => r("still running"), 15_000))]);
          expect(status).not.toBe("still running");
        } else {
          await until(() => /Booting worker/.test(server.stderr().split("Handling signal")[1] ?? ""), () => server.stderr(), 15_000);
          const fresh = await openWsOnceAccepted(server.port, "a WebSocket on the new worker");
          fresh.ws.send("after reload");
          await until(() => fresh.messages.includes("after reload"), "the echo after reload", 10_000);
          fresh.ws.terminate();
        }
      } finally {
        client.ws.terminate();
        raw.destroy();
      }
    });
  }
});
