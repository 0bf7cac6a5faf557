/**
 * TLS clients that never finish their handshake: bounded by `--header-timeout`
 * and counted toward `--worker-connections`, on Node, Deno and Bun (Deno closes
 * such sockets by retiring the worker once `--worker-connections` are held). The
 * certificate is made by the openssl CLI in a temporary directory.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TESTED_RUNTIMES, startServersPerTest, type RuntimeName } from "./harness.ts";
import { RawConnection, sleep } from "./raw-client.ts";

const APP = "test/fixtures/proxy-app.js";
/** Timeouts fire within one tick (0.5 s); the rest is slack for a loaded machine. */
const SLACK_MS = 4000;
/** The first bytes of a TLS ClientHello record, cut short. */
const PARTIAL_CLIENT_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);

let dir = "";

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-tls-stall-"));
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1", "-keyout", "key.pem", "-out", "cert.pem"],
    { cwd: dir, stdio: ["ignore", "ignore", "pipe"], timeout: 30_000 },
  );
}, 60_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const startServer = startServersPerTest();
const tlsArgs = () => ["--certfile", path.join(dir, "cert.pem"), "--keyfile", path.join(dir, "key.pem")];

/** One HTTPS request over a fresh connection: the status line, or what went wrong (bounded). */
function httpsStatusLine(port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    let received = "";
    const sock = tls.connect({ host: "127.0.0.1", port, servername: "localhost", rejectUnauthorized: false });
    const done = (what: string) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(what);
    };
    const timer = setTimeout(() => done(`no answer within ${timeoutMs} ms`), timeoutMs);
    sock.on("secureConnect", () => sock.write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
    sock.on("data", (d: Buffer) => {
      received += d.toString("latin1");
      if (received.includes("\r\n")) done(received.slice(0, received.indexOf("\r\n")));
    });
    sock.on("error", (e: NodeJS.ErrnoException) => done(`error ${e.code ?? e.message}`));
    sock.on("close", () => done("closed"));
  });
}

describe.each(TESTED_RUNTIMES)("TLS handshake stalls [%s]", (runtime) => {
  // Deno.listenTls cannot close a connection whose handshake has not ended: the
  // slot is released at the header timeout, and once worker_connections such
  // sockets are held the worker retires (replacement first) so its exit closes them.
  const retires = runtime === "deno";
  test("a client that opens a TLS connection and sends nothing, or half a ClientHello, is closed by the header timeout", async () => {
    const server = await startServer({
      runtime: runtime as RuntimeName,
      app: APP,
      args: [...tlsArgs(), "--header-timeout", "1", "--worker-connections", "2"],
    });
    const silent = await RawConnection.open(server.port);
    const partial = await RawConnection.open(server.port);
    try {
      await partial.write(PARTIAL_CLIENT_HELLO);
      // Deno: the timeout, a heartbeat tick, the replacement's boot, then the old worker's exit.
      const bound = 1000 + SLACK_MS + (retires ? 8000 : 0);
      const closed = await Promise.all([silent.waitForClose(bound), partial.waitForClose(bound)]);
      expect(closed, `silent / partial ClientHello still open after the header timeout + slack\n${server.stderr()}`).toEqual([true, true]);
      if (retires) expect(server.stderr()).toMatch(/2 connections closed at a timeout are still open in the runtime .*retiring this worker gracefully/);
      // The server (on Deno, the replacement worker) goes on serving.
      expect(await httpsStatusLine(server.port, 10_000)).toBe("HTTP/1.1 200 OK");
    } finally {
      silent.destroy();
      partial.destroy();
    }
  }, 60_000);

  test("connections in the TLS handshake count toward --worker-connections", async () => {
    const server = await startServer({
      runtime: runtime as RuntimeName,
      app: APP,
      args: [...tlsArgs(), "--header-timeout", "30", "--worker-connections", "2"],
    });
    const held = [await RawConnection.open(server.port), await RawConnection.open(server.port)];
    try {
      await held[0].write(PARTIAL_CLIENT_HELLO);
      await sleep(300); // both accepted by the worker
      // A third connection waits (its handshake is not taken up) instead of being reset.
      const third = httpsStatusLine(server.port, 15_000);
      const early = await Promise.race([third, sleep(1_500).then(() => "waiting")]);
      expect(early, `a third connection was answered or dropped while two handshakes held both slots\n${server.stderr()}`).toBe("waiting");
      expect(held.map((c) => c.closed)).toEqual([false, false]);
      for (const c of held) c.destroy();
      // Slots free again: the waiting connection is served.
      const status = await third;
      expect(status).toBe("HTTP/1.1 200 OK");
    } finally {
      for (const c of held) c.destroy();
    }
  }, 60_000);
});
