/**
 * End-to-end: HTTPS on Node, Deno and Bun with certificates made by the
 * openssl CLI in a temporary directory: the url scheme the app sees,
 * keep-alive and half-close over TLS, several workers sharing the port,
 * client certificates (`--ca-certs`, `--cert-reqs`), and bad TLS files
 * failing start-up with one line. Every server is stopped by PID.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { TESTED_RUNTIMES, runCli, startServersPerTest, type RunningServer, type RuntimeName } from "./harness.ts";

const GATEWAY_APP = "test/fixtures/proxy-app.js";
const FETCH_APP = "test/fixtures/proxy-fetch-app.js";

let dir = "";
const file = (name: string) => path.join(dir, name);
const pem = (name: string) => fs.readFileSync(file(name), "utf8");

function openssl(args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"], timeout: 30_000 });
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-tls-"));
  // Server certificate (self-signed, localhost), a client CA, a client signed by it, and an unrelated self-signed client.
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1", "-keyout", "key.pem", "-out", "cert.pem"]);
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=tricorn test CA", "-days", "1", "-keyout", "ca.key", "-out", "ca.pem"]);
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=client", "-keyout", "client.key", "-out", "client.csr"]);
  openssl(["x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-out", "client.pem"]);
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=stranger", "-days", "1", "-keyout", "stranger.key", "-out", "stranger.pem"]);
  fs.writeFileSync(file("not-pem.txt"), "this is not a certificate\n");
}, 60_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const startServer = startServersPerTest();
const serve = (runtime: RuntimeName, app: string, args: string[]): Promise<RunningServer> => startServer({ runtime, app, args });

interface Answer {
  status: number;
  body: string;
}

/** One HTTPS GET trusting the test certificate; `agent` for keep-alive, `cert`/`key` for a client certificate. */
function get(port: number, reqPath: string, options: { agent?: https.Agent; client?: "client" | "stranger"; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host: "127.0.0.1",
        port,
        path: reqPath,
        servername: "localhost",
        ca: pem("cert.pem"),
        cert: options.client ? pem(`${options.client}.pem`) : undefined,
        key: options.client ? pem(`${options.client}.key`) : undefined,
        agent: options.agent ?? false,
        headers: options.headers,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (text: string) => void (body += text));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", reject);
      },
    );
    request.setTimeout(10_000, () => request.destroy(new Error(`no answer to ${reqPath} within 10 s`)));
    request.on("error", reject);
    request.end();
  });
}

/** Sends raw bytes over TLS, half-closes, and collects everything until the server closes (bounded). */
function rawTls(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, servername: "localhost", ca: pem("cert.pem") }, () => {
      socket.end(payload);
    });
    let received = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within 10 s; got ${JSON.stringify(received)}`));
    }, 10_000);
    socket.setEncoding("latin1").on("data", (text: string) => void (received += text));
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(received);
    });
  });
}

/** Plain-text HTTP sent to the TLS port: resolves with what came back once the server closed (bounded). */
function plainToTlsPort(port: number): Promise<string> {
  return new Promise((resolve) => {
    const conn = net.connect({ host: "127.0.0.1", port }, () => conn.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    let received = "";
    const timer = setTimeout(() => {
      conn.destroy();
      resolve(`(still open) ${received}`);
    }, 10_000);
    conn.setEncoding("latin1").on("data", (text: string) => void (received += text));
    conn.on("error", () => {});
    conn.on("close", () => {
      clearTimeout(timer);
      resolve(received);
    });
  });
}

/** Connects over plain TCP and sends nothing; resolves when the server closes (or after 8 s, closed false). */
function silentConnection(port: number): Promise<{ closed: boolean; afterMs: number }> {
  return new Promise((resolve) => {
    const opened = Date.now();
    const conn = net.connect({ host: "127.0.0.1", port });
    const timer = setTimeout(() => {
      conn.destroy();
      resolve({ closed: false, afterMs: Date.now() - opened });
    }, 8_000);
    conn.on("error", () => {});
    conn.on("close", () => {
      clearTimeout(timer);
      resolve({ closed: true, afterMs: Date.now() - opened });
    });
    conn.resume();
  });
}

const tlsArgs = () => ["--certfile", file("cert.pem"), "--keyfile", file("key.pem")];

describe.each(TESTED_RUNTIMES)("%s", (runtime) => {
  test("serves HTTPS: https url scheme, keep-alive, half-close, two workers, plain HTTP refused", async () => {
    const server = await serve(runtime, GATEWAY_APP, [...tlsArgs(), "-w", "2"]);
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const first = await get(server.port, "/");
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toMatchObject({ url_scheme: "https", REMOTE_ADDR: "127.0.0.1", SERVER_PORT: String(server.port) });

    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 3; i++) expect(JSON.parse((await get(server.port, `/k${i}`, { agent })).body).url_scheme).toBe("https");
    } finally {
      agent.destroy();
    }
    // Several connections: whichever worker takes them, all are TLS.
    const many = await Promise.all(Array.from({ length: 6 }, () => get(server.port, "/")));
    expect(many.map((answer) => JSON.parse(answer.body).url_scheme)).toEqual(Array(6).fill("https"));

    // A trusted proxy may still say the client used http.
    const downgraded = await get(server.port, "/", { headers: { "X-Forwarded-Proto": "http" } });
    expect(JSON.parse(downgraded.body).url_scheme).toBe("http");

    const halfClosed = await rawTls(server.port, "GET /half HTTP/1.1\r\nHost: localhost\r\n\r\n");
    expect(halfClosed).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(halfClosed).toContain('"url_scheme":"https"');

    const plain = await plainToTlsPort(server.port);
    expect(plain).not.toMatch(/^HTTP\//);
    expect(plain).not.toMatch(/still open/);
    // The server is unharmed.
    expect((await get(server.port, "/")).status).toBe(200);
    expect(server.stderr()).not.toMatch(/Traceback|^\s+at /m);
  });

  test("fetch apps see an https request URL; a client that never handshakes is closed at the header timeout", async () => {
    const server = await serve(runtime, FETCH_APP, [...tlsArgs(), "--header-timeout", "1"]);
    const answer = JSON.parse((await get(server.port, "/path?q=1")).body);
    expect(answer).toMatchObject({ url: `https://127.0.0.1:${server.port}/path?q=1`, remote: "127.0.0.1" });
    // Deno finishes a TLS handshake before it closes a connection (denoland/deno#14547), so a
    // client that never starts one keeps its socket until it leaves (docs/proxy-and-tls.md).
    if (runtime !== "deno") {
      const silent = await silentConnection(server.port);
      expect(silent.closed).toBe(true);
      expect(silent.afterMs).toBeGreaterThanOrEqual(500);
    }
  });

  if (runtime === "deno") {
    test("client certificates are refused at start-up with one line", async () => {
      const result = await runCli({ runtime, args: ["-b", "127.0.0.1:0", ...tlsArgs(), "--ca-certs", file("ca.pem"), GATEWAY_APP] });
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toMatch(/^tricorn: cannot serve TLS on 127\.0\.0\.1:0: client certificates \(--ca-certs\) are not supported on Deno/);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    });
  } else {
    test("--ca-certs requires a client certificate signed by the CA; --cert-reqs optional only checks one if sent", async () => {
      const required = await serve(runtime, GATEWAY_APP, [...tlsArgs(), "--ca-certs", file("ca.pem")]);
      expect((await get(required.port, "/", { client: "client" })).status).toBe(200);
      await expect(get(required.port, "/")).rejects.toThrow();
      await expect(get(required.port, "/", { client: "stranger" })).rejects.toThrow();

      const optional = await serve(runtime, GATEWAY_APP, [...tlsArgs(), "--ca-certs", file("ca.pem"), "--cert-reqs", "optional"]);
      expect((await get(optional.port, "/", { client: "client" })).status).toBe(200);
      expect((await get(optional.port, "/")).status).toBe(200);
      await expect(get(optional.port, "/", { client: "stranger" })).rejects.toThrow();
    });
  }

  test.each([
    { label: "missing certfile", args: () => ["--certfile", file("missing.pem"), "--keyfile", file("key.pem")], code: 1, message: /^tricorn: cannot read certfile ".*missing\.pem": no such file or directory$/ },
    { label: "certfile not PEM", args: () => ["--certfile", file("not-pem.txt"), "--keyfile", file("key.pem")], code: 1, message: /^tricorn: certfile ".*not-pem\.txt" is not a PEM certificate/ },
    { label: "keyfile is a certificate", args: () => ["--certfile", file("cert.pem"), "--keyfile", file("cert.pem")], code: 1, message: /^tricorn: keyfile ".*cert\.pem" is not a PEM private key/ },
    { label: "key of another certificate", args: () => ["--certfile", file("cert.pem"), "--keyfile", file("stranger.key")], code: 1, message: /^tricorn: cannot serve TLS on 127\.0\.0\.1:0: the private key does not match the certificate \(certfile/ },
    { label: "certfile without keyfile", args: () => ["--certfile", file("cert.pem")], code: 2, message: /^tricorn: --certfile needs --keyfile$/ },
    { label: "PROXY protocol with TLS", args: () => [...tlsArgs(), "--proxy-protocol"], code: 2, message: /^tricorn: --proxy-protocol cannot be combined with --certfile/ },
  ])("$label: one line, exit $code", async ({ args, code, message }) => {
    const result = await runCli({ runtime, args: ["-b", "127.0.0.1:0", ...args(), GATEWAY_APP] });
    expect(result.stderr.trim()).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.code).toBe(code);
  });
});
