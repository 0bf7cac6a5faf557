/**
 * End-to-end: trusted proxy headers (X-Forwarded-*, Forwarded) and the PROXY
 * protocol (v1, v2) on Node, Deno and Bun, seen through fixture apps that
 * echo what they were told (test/fixtures/proxy-app.js, proxy-fetch-app.js).
 * The test client connects from 127.0.0.1, which the defaults trust.
 * Every server is stopped by PID after each test.
 */
import { describe, expect, test } from "vitest";
import { TESTED_RUNTIMES, startServersPerTest, type RunningServer, type RuntimeName } from "./harness.ts";
import { exchange, req } from "./raw-client.ts";

const GATEWAY_APP = "test/fixtures/proxy-app.js";
const FETCH_APP = "test/fixtures/proxy-fetch-app.js";

const startServer = startServersPerTest();
const serve = (runtime: RuntimeName, app: string, args: string[] = []): Promise<RunningServer> => startServer({ runtime, app, args });

/** Sends `payload` on a new connection and returns the JSON body of the one response. */
async function json(port: number, payload: string | Uint8Array | Array<string | Uint8Array>): Promise<Record<string, unknown>> {
  const result = await exchange(port, payload, { until: 1, timeoutMs: 10_000 });
  expect(result.finals.length, `no response; got ${result.raw.toString("latin1")}`).toBe(1);
  expect(result.finals[0].status).toBe(200);
  return JSON.parse(result.finals[0].text) as Record<string, unknown>;
}

const FORWARDED_HEADERS = ["Host: app.test", "X-Forwarded-For: 198.51.100.1, 203.0.113.7", "X-Forwarded-Proto: https", "Connection: close"];

/** PROXY v2 header, PROXY command, TCP over IPv4. */
function proxyV2(src: number[], dst: number[], sport: number, dport: number): Uint8Array {
  const signature = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
  const tlv = [0x04, 0x00, 0x02, 0xab, 0xcd]; // PP2_TYPE_NOOP with 2 bytes: skipped
  const body = [...src, ...dst, sport >> 8, sport & 255, dport >> 8, dport & 255, ...tlv];
  return new Uint8Array([...signature, 0x21, 0x11, body.length >> 8, body.length & 255, ...body]);
}

describe.each(TESTED_RUNTIMES)("%s", (runtime) => {
  test("a trusted peer's forwarded headers set REMOTE_ADDR and the url scheme", async () => {
    const server = await serve(runtime, GATEWAY_APP);
    const environ = await json(server.port, req("GET", "/", FORWARDED_HEADERS));
    expect(environ).toMatchObject({
      REMOTE_ADDR: "203.0.113.7", // right-most untrusted hop
      REMOTE_PORT: "0",
      url_scheme: "https",
      SERVER_NAME: "app.test",
      SERVER_PORT: "443",
      HTTP_X_FORWARDED_FOR: "198.51.100.1, 203.0.113.7",
    });
    const standard = await json(server.port, req("GET", "/", ["Host: app.test", 'Forwarded: for="[2001:db8::1]:4711";proto=https']));
    expect(standard).toMatchObject({ REMOTE_ADDR: "2001:db8::1", REMOTE_PORT: "4711", url_scheme: "https" });
    const plain = await json(server.port, req("GET", "/", ["Host: app.test"]));
    expect(plain).toMatchObject({ REMOTE_ADDR: "127.0.0.1", url_scheme: "http", SERVER_PORT: "80" });
    expect(Number(plain.REMOTE_PORT)).toBeGreaterThan(0);
  });

  test("an untrusted peer's forwarded headers are ignored but stay visible; a PROXY header from it is HTTP (400)", async () => {
    const server = await serve(runtime, GATEWAY_APP, ["--forwarded-allow-ips", "10.9.9.9", "--proxy-protocol", "--proxy-allow-from", "10.9.9.9"]);
    const environ = await json(server.port, req("GET", "/", FORWARDED_HEADERS));
    expect(environ).toMatchObject({
      REMOTE_ADDR: "127.0.0.1",
      url_scheme: "http",
      HTTP_X_FORWARDED_FOR: "198.51.100.1, 203.0.113.7",
      HTTP_X_FORWARDED_PROTO: "https",
    });
    const proxied = await exchange(server.port, "PROXY TCP4 203.0.113.7 127.0.0.1 51000 8000\r\n" + req("GET", "/"), { timeoutMs: 10_000 });
    expect(proxied.finals.map((r) => r.status)).toEqual([400]);
  });

  test("PROXY v1 and v2 from an allowed peer set the client address; a connection without one is closed", async () => {
    const server = await serve(runtime, FETCH_APP, ["--proxy-protocol"]);
    const v1 = await json(server.port, ["PROXY TCP4 203.0.113.7 192.0.2.10 51000 443\r\n", req("GET", "/a", ["Host: app.test", "Connection: close"])]);
    expect(v1).toEqual({ url: "http://app.test/a", remote: "203.0.113.7", port: 51000 });
    const v1six = await json(server.port, "PROXY TCP6 2001:db8::7 2001:db8::1 4711 443\r\n" + req("GET", "/", ["Host: app.test"]));
    expect(v1six).toMatchObject({ remote: "2001:db8::7", port: 4711 });
    // v2 split inside the header, and the request after it in a later write.
    const header = proxyV2([198, 51, 100, 20], [192, 0, 2, 10], 40000, 443);
    const v2 = await json(server.port, [header.subarray(0, 7), header.subarray(7), req("GET", "/b", ["Host: app.test"])]);
    expect(v2).toEqual({ url: "http://app.test/b", remote: "198.51.100.20", port: 40000 });
    // The PROXY source is the peer for forwarded-header trust: 127.0.0.1 is trusted, 203.0.113.7 is not.
    const trusted = await json(server.port, "PROXY TCP4 127.0.0.1 127.0.0.1 1 2\r\n" + req("GET", "/c", ["Host: app.test", "X-Forwarded-Proto: https", "X-Forwarded-For: 192.0.2.99"]));
    expect(trusted).toEqual({ url: "https://app.test/c", remote: "192.0.2.99", port: 0 });
    const untrusted = await json(server.port, "PROXY TCP4 203.0.113.7 127.0.0.1 1 2\r\n" + req("GET", "/d", ["Host: app.test", "X-Forwarded-Proto: https"]));
    expect(untrusted).toEqual({ url: "http://app.test/d", remote: "203.0.113.7", port: 1 });

    for (const bad of [req("GET", "/"), "PROXY TCP4 203.0.113.7 192.0.2.10 51000\r\n" + req("GET", "/")]) {
      const refused = await exchange(server.port, bad, { timeoutMs: 10_000 });
      expect(refused.closed).toBe(true);
      expect(refused.raw.length).toBe(0);
    }
    await expect.poll(() => server.stderr(), { timeout: 5000 }).toMatch(/invalid PROXY protocol header/);
  });
});
