/**
 * HTTP/1.1 conformance, part 1: request line, header section and size limits
 * (RFC 9112 §2-§5, RFC 9110 §5/§7.2), against the real server on every runtime.
 */
import { describe, expect, test } from "vitest";
import { CONFORMANCE_RUNTIMES, FOLLOW_UP, dump, echoOf, expectEcho, expectError, useServer } from "./conformance-helpers.ts";
import { chunked, exchange, req } from "./raw-client.ts";

describe.each(CONFORMANCE_RUNTIMES)("conformance: request line and headers [%s]", (runtime) => {
  const server = useServer(runtime);

  /** Sends one request expected to succeed and returns its only response. */
  async function one(payload: string, methods?: string[]) {
    const r = await exchange(server.port, payload, { until: 1, methods });
    expect(r.finals.length, dump(r)).toBe(1);
    return { res: r.finals[0]!, r };
  }

  describe("request line", () => {
    test("lowercase method is legal and reaches the app verbatim", async () => {
      const { res, r } = await one(req("get", "/echo"));
      expectEcho(res, "get", "/echo", "", dump(r));
    });

    test("extension method token reaches the app", async () => {
      const { res, r } = await one(req("PURGE", "/echo"));
      expectEcho(res, "PURGE", "/echo", "", dump(r));
    });

    test("origin-form with query string", async () => {
      const { res, r } = await one(req("GET", "/echo?a=1&b=two"));
      expectEcho(res, "GET", "/echo?a=1&b=two", "", dump(r));
    });

    test("absolute-form target is accepted; the app sees path and query", async () => {
      const { res, r } = await one(req("GET", "http://example.com/p?q=1", ["Host: example.com"]));
      expectEcho(res, "GET", "/p?q=1", "", dump(r));
    });

    test("authority-form (CONNECT host:port) reaches the app", async () => {
      const { res, r } = await one(req("CONNECT", "example.com:443", ["Host: example.com:443"]), ["CONNECT"]);
      // The fixture answers CONNECT with 405 plus its echo, proving the app saw it.
      expect(res.status, dump(r)).toBe(405);
      expect(echoOf(res).method, dump(r)).toBe("CONNECT");
    });

    test("asterisk-form (OPTIONS *) reaches the app", async () => {
      const { res, r } = await one(req("OPTIONS", "*"));
      expect(res.status, dump(r)).toBe(200);
      expect(echoOf(res).method, dump(r)).toBe("OPTIONS");
    });

    test.each(["HTTP/2.0", "HTTP/3.0"])("version %s → 505", async (version) => {
      const r = await exchange(server.port, req("GET", "/echo", ["Host: test"], undefined, version) + FOLLOW_UP);
      expectError(r, 505);
    });

    // RFC 9110 §2.5: a higher minor version is processed as the highest one implemented.
    test.each(["HTTP/1.2", "HTTP/1.9"])("version %s is served as HTTP/1.1", async (version) => {
      const r = await exchange(server.port, req("GET", "/echo?v=1", ["Host: test"], undefined, version), { until: 1 });
      expectEcho(r.finals[0], "GET", "/echo?v=1", "", dump(r));
      expect(r.finals[0]!.version, dump(r)).toBe("HTTP/1.1");
    });

    test("version HTTP/0.9 (major 0) → 400 or 505", async () => {
      const r = await exchange(server.port, `GET /echo HTTP/0.9\r\nHost: test\r\n\r\n${FOLLOW_UP}`);
      expect([400, 505], dump(r)).toContain(r.finals[0]?.status);
      expectError(r, r.finals[0]!.status);
    });

    test.each(["HTTP/1.x", "HTTP/1", "HTTP1.1", "http/1.1", "HTTP/1.1.1", "HTTP/ 1.1", "HTTP/11.1", "HTTX/1.1"])(
      "malformed version %j → 400",
      async (version) => {
        const r = await exchange(server.port, `GET /echo ${version}\r\nHost: test\r\n\r\n${FOLLOW_UP}`);
        expectError(r, 400);
      },
    );

    test.each([
      ["non-token character in method", "G@T /echo HTTP/1.1"],
      ["missing target", "GET HTTP/1.1"],
      ["four parts", "GET /echo HTTP/1.1 extra"],
      ["NUL in target", "GET /ec\x00ho HTTP/1.1"],
      ["empty request line", " "],
      ["missing version (HTTP/0.9 style)", "GET /echo"],
      ["bare CR in target", "GET /ec\rho HTTP/1.1"],
      ["fragment in target", "GET /echo#frag HTTP/1.1"],
      ["origin-form without leading slash", "GET echo HTTP/1.1"],
      ["asterisk-form with a method other than OPTIONS", "GET * HTTP/1.1"],
      ["CONNECT with origin-form", "CONNECT /echo HTTP/1.1"],
      ["raw non-ASCII byte in target", "GET /caf\xe9 HTTP/1.1"],
      ["space inside target", "GET /a b HTTP/1.1"],
    ])("malformed request line (%s) → 400", async (_name, line) => {
      const r = await exchange(server.port, `${line}\r\nHost: test\r\n\r\n${FOLLOW_UP}`);
      expectError(r, 400);
    });

    test("percent-encoded path is decoded in PATH_INFO, query left as sent", async () => {
      const { res, r } = await one(req("GET", "/a%20b/c?x=%20y"));
      expectEcho(res, "GET", "/a b/c?x=%20y", "", dump(r));
    });

    test("one leading empty line before the request line is ignored", async () => {
      const { res, r } = await one("\r\n" + req("GET", "/echo?lead=1"));
      expectEcho(res, "GET", "/echo?lead=1", "", dump(r));
    });

    test("several leading empty lines before the request line are ignored", async () => {
      const { res, r } = await one("\r\n\r\n\r\n" + req("GET", "/echo?lead=3"));
      expectEcho(res, "GET", "/echo?lead=3", "", dump(r));
    });

    test("request line of exactly 4094 bytes is accepted", async () => {
      const line = `GET /echo?${"a".repeat(4094 - "GET /echo? HTTP/1.1".length)} HTTP/1.1`;
      expect(line.length).toBe(4094);
      const r = await exchange(server.port, `${line}\r\nHost: test\r\n\r\n`, { until: 1 });
      expect(r.finals[0]?.status, dump(r)).toBe(200);
    });

    test("request line over 4094 bytes → 414", async () => {
      const line = `GET /echo?${"a".repeat(4095 - "GET /echo? HTTP/1.1".length)} HTTP/1.1`;
      expect(line.length).toBe(4095);
      const r = await exchange(server.port, `${line}\r\nHost: test\r\n\r\n${FOLLOW_UP}`);
      expectError(r, 414);
    });

    test("very long request line (no CRLF yet) → 414 without waiting for the end", async () => {
      const r = await exchange(server.port, `GET /${"a".repeat(20_000)}`);
      expectError(r, 414);
    });
  });

  describe("header fields", () => {
    test("header fields reach the app as HTTP_* environ keys", async () => {
      const { res, r } = await one(req("GET", "/headers", ["Host: test", "X-Custom-Header: some value", "Accept: */*"]));
      expect(res.status, dump(r)).toBe(200);
      const env = JSON.parse(res.text);
      expect(env.HTTP_X_CUSTOM_HEADER, dump(r)).toBe("some value");
      expect(env.HTTP_HOST, dump(r)).toBe("test");
      expect(env.HTTP_ACCEPT, dump(r)).toBe("*/*");
    });

    test("OWS around the value is stripped, tab inside the value is kept", async () => {
      const { res, r } = await one(req("GET", "/headers", ["Host: test", "X-Ows: \t a\tb \t"]));
      expect(JSON.parse(res.text).HTTP_X_OWS, dump(r)).toBe("a\tb");
    });

    test("obs-text (0x80-0xFF) in a value is accepted", async () => {
      const { res, r } = await one(req("GET", "/echo", ["Host: test", "X-Latin: caf\xe9"]));
      expect(res.status, dump(r)).toBe(200);
    });

    test.each([
      ["space before colon", "Host : test"],
      ["tab before colon", "X-A\t: b"],
    ])("whitespace between name and colon (%s) → 400", async (_name, line) => {
      const head = line.startsWith("Host") ? [line] : ["Host: test", line];
      const r = await exchange(server.port, req("GET", "/echo", head) + FOLLOW_UP);
      expectError(r, 400);
    });

    test("obs-fold (continuation line) → 400", async () => {
      const r = await exchange(server.port, "GET /echo HTTP/1.1\r\nHost: test\r\nX-A: a\r\n  b\r\n\r\n" + FOLLOW_UP);
      expectError(r, 400);
    });

    test("obs-fold with a tab continuation → 400", async () => {
      const r = await exchange(server.port, "GET /echo HTTP/1.1\r\nHost: test\r\nX-A: a\r\n\tb\r\n\r\n" + FOLLOW_UP);
      expectError(r, 400);
    });

    test("obs-fold on the first header line → 400", async () => {
      const r = await exchange(server.port, "GET /echo HTTP/1.1\r\n Host: test\r\n\r\n" + FOLLOW_UP);
      expectError(r, 400);
    });

    test.each([
      ["bare CR", "a\rb"],
      ["NUL", "a\x00b"],
      ["CTL 0x01", "a\x01b"],
      ["CTL 0x1f", "a\x1fb"],
      ["DEL", "a\x7fb"],
      ["vertical tab", "a\x0bb"],
    ])("%s in a header value → 400", async (_name, value) => {
      const r = await exchange(server.port, req("GET", "/echo", ["Host: test", `X-A: ${value}`]) + FOLLOW_UP);
      expectError(r, 400);
    });

    test.each([
      ["non-token character in name", "X@A: b"],
      ["empty name", ": b"],
      ["no colon", "X-A b"],
      ["NUL in name", "X\x00A: b"],
    ])("malformed field line (%s) → 400", async (_name, line) => {
      const r = await exchange(server.port, req("GET", "/echo", ["Host: test", line]) + FOLLOW_UP);
      expectError(r, 400);
    });

    test("bare LF as header line terminator → 400", async () => {
      const r = await exchange(server.port, "GET /echo HTTP/1.1\r\nHost: test\nX-A: b\r\n\r\n" + FOLLOW_UP);
      expectError(r, 400);
    });

    test("bare LF terminating every line → 400", async () => {
      const r = await exchange(server.port, "GET /echo HTTP/1.1\nHost: test\n\n" + FOLLOW_UP);
      expectError(r, 400);
    });

    test("HTTP/1.1 without Host → 400", async () => {
      const r = await exchange(server.port, "GET /echo HTTP/1.1\r\nX-A: b\r\n\r\n" + FOLLOW_UP);
      expectError(r, 400);
    });

    test("HTTP/1.1 with two Host fields → 400", async () => {
      const r = await exchange(server.port, req("GET", "/echo", ["Host: a.test", "Host: b.test"]) + FOLLOW_UP);
      expectError(r, 400);
    });

    test("HTTP/1.1 with two identical Host fields → 400", async () => {
      const r = await exchange(server.port, req("GET", "/echo", ["Host: a.test", "Host: a.test"]) + FOLLOW_UP);
      expectError(r, 400);
    });

    test.each([
      ["space inside", "ex ample.com"],
      ["non-numeric port", "example.com:http"],
      ["slash", "example.com/path"],
      ["userinfo", "user@example.com"],
      ["two ports", "example.com:80:80"],
      ["unclosed IP-literal", "[::1:8080"],
    ])("Host with an invalid value (%s) → 400", async (_name, host) => {
      const r = await exchange(server.port, req("GET", "/echo", [`Host: ${host}`]) + FOLLOW_UP);
      expectError(r, 400);
    });

    test.each(["example.com", "example.com:8080", "127.0.0.1:1", "[::1]:8080", "xn--caf-dma.example"])("Host %j is accepted", async (host) => {
      const { res, r } = await one(req("GET", "/echo", [`Host: ${host}`]));
      expect(res.status, dump(r)).toBe(200);
    });

    test("field names are case-insensitive (lower-case content-length, upper-case TRANSFER-ENCODING)", async () => {
      const payload =
        req("POST", "/echo?n=1", ["host: test", "content-length: 3"]) + "abc" +
        req("POST", "/echo?n=2", ["HOST: test", "TRANSFER-ENCODING: CHUNKED"]) + chunked("de");
      const r = await exchange(server.port, payload, { until: 2 });
      expectEcho(r.finals[0], "POST", "/echo?n=1", "abc", dump(r));
      expectEcho(r.finals[1], "POST", "/echo?n=2", "de", dump(r));
    });

    test("HTTP/1.0 without Host is fine", async () => {
      const r = await exchange(server.port, "GET /echo?v=10 HTTP/1.0\r\n\r\n");
      expectEcho(r.finals[0], "GET", "/echo?v=10", "", dump(r));
    });

    test("HTTP/1.1 with an empty Host value is accepted", async () => {
      const { res, r } = await one(req("GET", "/echo", ["Host:"]));
      expect(res.status, dump(r)).toBe(200);
    });
  });

  describe("limits", () => {
    /** `count` header fields in total, Host included. */
    const fields = (count: number) => ["Host: test", ...Array.from({ length: count - 1 }, (_, i) => `X-F${i}: v`)];

    test("exactly 100 header fields are accepted", async () => {
      const { res, r } = await one(req("GET", "/echo", fields(100)));
      expect(res.status, dump(r)).toBe(200);
    });

    test("more than 100 header fields → 431", async () => {
      const r = await exchange(server.port, req("GET", "/echo", fields(101)) + FOLLOW_UP);
      expectError(r, 431);
    });

    test("a header field line of 8190 bytes is accepted", async () => {
      const line = `X-Big: ${"v".repeat(8190 - "X-Big: ".length)}`;
      expect(line.length).toBe(8190);
      const { res, r } = await one(req("GET", "/echo", ["Host: test", line]));
      expect(res.status, dump(r)).toBe(200);
    });

    test("a header field line over 8190 bytes → 431", async () => {
      const line = `X-Big: ${"v".repeat(8191 - "X-Big: ".length)}`;
      const r = await exchange(server.port, req("GET", "/echo", ["Host: test", line]) + FOLLOW_UP);
      expectError(r, 431);
    });

    test("a huge header field line (no CRLF yet) → 431 without waiting for the end", async () => {
      const r = await exchange(server.port, `GET /echo HTTP/1.1\r\nHost: test\r\nX-Big: ${"v".repeat(20_000)}`);
      expectError(r, 431);
    });
  });
});
