/**
 * HTTP/1.1 conformance, part 2: message body framing (RFC 9112 §6-§7),
 * request smuggling classes (CL.TE, TE.CL, TE.TE) and the body size limit,
 * against the real server on every runtime.
 */
import { describe, expect, test } from "vitest";
import { CONFORMANCE_RUNTIMES, FOLLOW_UP, WAIT_MS, connDump, dump, echoOf, expectEcho, expectError, hasClose, useServer, withConn } from "./conformance-helpers.ts";
import { chunked, exchange, req, type ExchangeResult } from "./raw-client.ts";

/** The request a smuggling payload tries to sneak past the framing. */
const SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n";
/** A request after the payload; `Connection: close` ends the exchange quickly. */
const SENTINEL = "GET /sentinel HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";

/**
 * Asserts that a smuggling attempt failed: no response answers the smuggled
 * request, at most one request of the payload is answered (the sentinel may
 * follow it), and an error response is the last one, with the connection
 * closed after it.
 */
function expectNotSmuggled(r: ExchangeResult): void {
  const why = dump(r);
  const answered = r.finals.map((res) => (res.status < 400 ? echoOf(res).target : `<${res.status}>`));
  expect(answered, `smuggled request was answered\n${why}`).not.toContain("/smuggled");
  expect(r.finals.length, `no response at all\n${why}`).toBeGreaterThanOrEqual(1);
  const payloadAnswers = answered.filter((t) => !t.startsWith("<") && t !== "/sentinel");
  expect(payloadAnswers.length, `answered more than one payload request\n${why}`).toBeLessThanOrEqual(1);
  const errorAt = r.finals.findIndex((res) => res.status >= 400);
  if (errorAt >= 0) {
    expect(errorAt, `answered more after an error\n${why}`).toBe(r.finals.length - 1);
    expect(hasClose(r.finals[errorAt]!) && r.closed, `error without close\n${why}`).toBe(true);
  }
}

describe.each(CONFORMANCE_RUNTIMES)("conformance: framing and smuggling [%s]", (runtime) => {
  const server = useServer(runtime);
  const limited = useServer(runtime, ["--limit-request-body", "100"]);

  describe("Content-Length", () => {
    test("body with Content-Length reaches the app", async () => {
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test"], "hello body"), { until: 1 });
      expectEcho(r.finals[0], "POST", "/echo", "hello body", dump(r));
    });

    test("Content-Length: 0", async () => {
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Content-Length: 0"]) + FOLLOW_UP, { until: 2 });
      expectEcho(r.finals[0], "POST", "/echo", "", dump(r));
      expectEcho(r.finals[1], "GET", "/follow-up", "", dump(r));
    });

    test.each([
      ["leading zeros", "005"],
      ["trailing OWS", "5 \t"],
    ])("Content-Length with %s is valid", async (_name, value) => {
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", `Content-Length: ${value}`]) + "hello" + FOLLOW_UP, { until: 2 });
      expectEcho(r.finals[0], "POST", "/echo", "hello", dump(r));
      expectEcho(r.finals[1], "GET", "/follow-up", "", dump(r));
    });

    test("body shorter than Content-Length, then client FIN → no success response, connection closed", async () => {
      const r = await withConn(server.port, async (c) => {
        await c.write(req("POST", "/echo", ["Host: test", "Content-Length: 10"]) + "abc");
        c.endWrite();
        await c.waitForClose(WAIT_MS);
        return c;
      });
      const p = r.parse();
      expect(r.closed, connDump(r)).toBe(true);
      expect(p.finals.every((res) => res.status >= 400), connDump(r)).toBe(true);
    });

    test.each(["+5", "-1", "5 5", "0x5", "5.0", "", "abc", "5,", "1e1"])("Content-Length %j → 400", async (value) => {
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", `Content-Length: ${value}`]) + "hello" + FOLLOW_UP);
      expectError(r, 400);
    });

    test("huge Content-Length (beyond 2^53) → 400 or 413", async () => {
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Content-Length: 99999999999999999999999"]) + "hello");
      expect([400, 413], dump(r)).toContain(r.finals[0]?.status);
      expectError(r, r.finals[0]!.status);
    });

    test("duplicate differing Content-Length fields → 400", async () => {
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Content-Length: 5", "Content-Length: 6"]) + "hello!" + FOLLOW_UP);
      expectError(r, 400);
    });

    test("differing Content-Length list in one field → 400", async () => {
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Content-Length: 5, 6"]) + "hello!" + FOLLOW_UP);
      expectError(r, 400);
    });

    test("body the app never reads is discarded, not parsed as the next request", async () => {
      const payload = req("POST", "/fixed", ["Host: test"], SMUGGLED) + FOLLOW_UP;
      const r = await exchange(server.port, payload, { until: 2, settleMs: 300 });
      expect(r.finals[0]?.status, dump(r)).toBe(200);
      expect(r.finals[0]?.text, dump(r)).toBe("hello world\n");
      if (!r.closed || r.finals.length > 1) {
        expect(r.finals.length, dump(r)).toBe(2);
        expectEcho(r.finals[1], "GET", "/follow-up", "", dump(r));
      }
    });

    test("1 MiB request body reaches the app intact", async () => {
      const body = "0123456789abcdef".repeat(65536);
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test"], body) + FOLLOW_UP, { until: 2, timeoutMs: 15_000 });
      expect(r.finals[0]?.status, dump(r)).toBe(200);
      expect(echoOf(r.finals[0]!).body === body, "echoed 1 MiB body differs").toBe(true);
      expectEcho(r.finals[1], "GET", "/follow-up", "", dump(r));
    });

    test("identical duplicate Content-Length fields are accepted", async () => {
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Content-Length: 5", "Content-Length: 5"]) + "hello" + FOLLOW_UP, {
        until: 2,
      });
      expectEcho(r.finals[0], "POST", "/echo", "hello", dump(r));
      expectEcho(r.finals[1], "GET", "/follow-up", "", dump(r));
    });
  });

  describe("Transfer-Encoding", () => {
    test("the app sees the decoded chunked body", async () => {
      const body = chunked("hello", " ", "chunked world");
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: chunked"]) + body + FOLLOW_UP, { until: 2 });
      expectEcho(r.finals[0], "POST", "/echo", "hello chunked world", dump(r));
      expectEcho(r.finals[1], "GET", "/follow-up", "", dump(r));
    });

    test("upper-case hex chunk sizes and chunk extensions are accepted", async () => {
      const data = "x".repeat(0x1a);
      const body = `1A;name=value;flag\r\n${data}\r\n3;ext="quoted;value"\r\nabc\r\n0;last\r\n\r\n`;
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: chunked"]) + body, { until: 1 });
      expectEcho(r.finals[0], "POST", "/echo", data + "abc", dump(r));
    });

    // RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
    test("BWS around ';' and '=' in a chunk extension is accepted", async () => {
      const body = `3 ; name = value\r\nabc\r\n0\r\n\r\n`;
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: chunked"]) + body, { until: 1 });
      expectEcho(r.finals[0], "POST", "/echo", "abc", dump(r));
    });

    test("trailer fields are accepted and the connection stays usable", async () => {
      const body = "5\r\nhello\r\n0\r\nX-Trailer: one\r\nX-Other: two\r\n\r\n";
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: chunked", "Trailer: X-Trailer"]) + body + FOLLOW_UP, {
        until: 2,
      });
      expectEcho(r.finals[0], "POST", "/echo", "hello", dump(r));
      expectEcho(r.finals[1], "GET", "/follow-up", "", dump(r));
    });

    test("chunked body the app never reads is discarded, not parsed as the next request", async () => {
      const payload = req("POST", "/fixed", ["Host: test", "Transfer-Encoding: chunked"]) + chunked(SMUGGLED) + FOLLOW_UP;
      const r = await exchange(server.port, payload, { until: 2, settleMs: 300 });
      expect(r.finals[0]?.status, dump(r)).toBe(200);
      if (!r.closed || r.finals.length > 1) {
        expect(r.finals.length, dump(r)).toBe(2);
        expectEcho(r.finals[1], "GET", "/follow-up", "", dump(r));
      }
    });

    test("1000 one-byte chunks are reassembled", async () => {
      const data = "abcdefghij".repeat(100);
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: chunked"]) + chunked(...data) + FOLLOW_UP, { until: 2 });
      expectEcho(r.finals[0], "POST", "/echo", data, dump(r));
      expectEcho(r.finals[1], "GET", "/follow-up", "", dump(r));
    });

    // RFC 9110 §6.5.1: framing fields are not allowed as trailers. A recipient may
    // discard them or refuse the message; it must never let them change framing.
    test("Content-Length in the trailer section does not change framing (ignored, or 400 and close)", async () => {
      const body = "5\r\nhello\r\n0\r\nContent-Length: 50\r\n\r\n";
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: chunked"]) + body + FOLLOW_UP, { until: 2 });
      if (r.finals[0]?.status === 400) {
        expectError(r, 400);
      } else {
        expectEcho(r.finals[0], "POST", "/echo", "hello", dump(r));
        expectEcho(r.finals[1], "GET", "/follow-up", "", dump(r));
      }
    });

    test("an oversized trailer field → error and close", async () => {
      const body = `5\r\nhello\r\n0\r\nX-Big: ${"t".repeat(20_000)}\r\n\r\n`;
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: chunked"]) + body + FOLLOW_UP);
      expect([400, 431], dump(r)).toContain(r.finals.at(-1)?.status);
      expect(r.finals.map((res) => res.status).filter((st) => st === 200).length <= 1, dump(r)).toBe(true);
      expect(r.closed && r.rest.length === 0, dump(r)).toBe(true);
      expect(r.raw.toString("latin1"), dump(r)).not.toContain("/follow-up");
    });

    test("a NUL in a trailer field → error and close", async () => {
      const body = "5\r\nhello\r\n0\r\nX-T: a\x00b\r\n\r\n";
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: chunked"]) + body + FOLLOW_UP);
      expect(r.finals.at(-1)?.status, dump(r)).toBe(400);
      expect(r.closed && r.rest.length === 0, dump(r)).toBe(true);
      expect(r.raw.toString("latin1"), dump(r)).not.toContain("/follow-up");
    });

    test("chunk sizes with leading zeros are valid", async () => {
      const body = "0005\r\nhello\r\n000\r\n\r\n";
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: chunked"]) + body + FOLLOW_UP, { until: 2 });
      expectEcho(r.finals[0], "POST", "/echo", "hello", dump(r));
      expectEcho(r.finals[1], "GET", "/follow-up", "", dump(r));
    });

    test("chunked body cut short by client FIN → no success response, connection closed", async () => {
      const r = await withConn(server.port, async (c) => {
        await c.write(req("POST", "/echo", ["Host: test", "Transfer-Encoding: chunked"]) + "5\r\nhel");
        c.endWrite();
        await c.waitForClose(WAIT_MS);
        return c;
      });
      expect(r.closed, connDump(r)).toBe(true);
      expect(r.parse().finals.every((res) => res.status >= 400), connDump(r)).toBe(true);
    });

    test("Transfer-Encoding with trailing OWS (chunked + SP HTAB) is chunked", async () => {
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: chunked \t"]) + chunked("abc") + FOLLOW_UP, { until: 2 });
      expectEcho(r.finals[0], "POST", "/echo", "abc", dump(r));
      expectEcho(r.finals[1], "GET", "/follow-up", "", dump(r));
    });

    // RFC 9110 §5.6.1: recipients MUST accept (and ignore) empty list elements.
    test("Transfer-Encoding list with empty elements (, chunked) is chunked", async () => {
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: , chunked"]) + chunked("abc") + FOLLOW_UP, { until: 2 });
      expectEcho(r.finals[0], "POST", "/echo", "abc", dump(r));
      expectEcho(r.finals[1], "GET", "/follow-up", "", dump(r));
    });

    test("Transfer-Encoding is case-insensitive (Chunked)", async () => {
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: Chunked"]) + chunked("abc"), { until: 1 });
      expectEcho(r.finals[0], "POST", "/echo", "abc", dump(r));
    });

    test("Transfer-Encoding + Content-Length → 400 and close", async () => {
      const r = await exchange(
        server.port,
        req("POST", "/echo", ["Host: test", "Content-Length: 10", "Transfer-Encoding: chunked"]) + chunked("abc") + FOLLOW_UP,
      );
      expectError(r, 400);
    });

    test("final coding not chunked (chunked, gzip) → 400 and close", async () => {
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: chunked, gzip"]) + chunked("abc") + FOLLOW_UP);
      expectError(r, 400);
    });

    test("only a non-chunked coding (gzip) → 400 and close", async () => {
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: gzip"]) + "abc" + FOLLOW_UP);
      expectError(r, 400);
    });

    test("chunked applied twice (chunked, chunked) → 400", async () => {
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: chunked, chunked"]) + chunked("abc") + FOLLOW_UP);
      expectError(r, 400);
    });

    test("chunked in two Transfer-Encoding fields (chunked applied twice) → 400", async () => {
      const r = await exchange(
        server.port,
        req("POST", "/echo", ["Host: test", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked"]) + chunked("abc") + FOLLOW_UP,
      );
      expectError(r, 400);
    });

    test("unknown coding before chunked (gzip, chunked) → 501", async () => {
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: gzip, chunked"]) + chunked("abc") + FOLLOW_UP);
      expectError(r, 501);
    });

    test("HTTP/1.0 with Transfer-Encoding → 400", async () => {
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: chunked"], undefined, "HTTP/1.0") + chunked("abc") + FOLLOW_UP);
      expectError(r, 400);
    });

    test.each([
      ["sign +", "+5"],
      ["sign -", "-5"],
      ["0x prefix", "0x5"],
      ["leading space", " 5"],
      ["leading tab", "\t5"],
      ["non-hex digit", "5g"],
      ["empty size", ""],
    ])("chunk size with %s → 400", async (_name, size) => {
      const body = `${size}\r\nhello\r\n0\r\n\r\n`;
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: chunked"]) + body + FOLLOW_UP);
      expectError(r, 400);
    });

    test("chunk size overflowing 2^53 → 400 or 413", async () => {
      const body = `fffffffffffffffffff\r\nhello\r\n0\r\n\r\n`;
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: chunked"]) + body);
      expect([400, 413], dump(r)).toContain(r.finals[0]?.status);
      expectError(r, r.finals[0]!.status);
    });

    test("chunk data not followed by CRLF → 400", async () => {
      const body = `5\r\nhelloXX\r\n0\r\n\r\n`;
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: chunked"]) + body + FOLLOW_UP);
      expectError(r, 400);
    });

    test("bare LF after the chunk size → 400", async () => {
      const body = `5\nhello\r\n0\r\n\r\n`;
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: chunked"]) + body + FOLLOW_UP);
      expectError(r, 400);
    });

    test("oversized chunk extension → 400", async () => {
      const body = `5;ext=${"e".repeat(32 * 1024)}\r\nhello\r\n0\r\n\r\n`;
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: chunked"]) + body + FOLLOW_UP);
      expectError(r, 400);
    });
  });

  describe("message boundaries", () => {
    // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before a request-line.
    test("a stray CRLF after a body, before the next pipelined request, is ignored", async () => {
      const payload = req("POST", "/echo?n=1", ["Host: test"], "abc") + "\r\n" + req("GET", "/echo?n=2");
      const r = await exchange(server.port, payload, { until: 2 });
      expectEcho(r.finals[0], "POST", "/echo?n=1", "abc", dump(r));
      expectEcho(r.finals[1], "GET", "/echo?n=2", "", dump(r));
    });
  });

  describe("request smuggling", () => {
    // CL.TE: a Content-Length reader sees one request; a chunked reader sees a second one.
    test("CL.TE", async () => {
      const body = "0\r\n\r\n" + SMUGGLED;
      const payload = req("POST", "/echo", ["Host: test", `Content-Length: ${body.length}`, "Transfer-Encoding: chunked"]) + body;
      expectNotSmuggled(await exchange(server.port, payload + SENTINEL));
    });

    // TE.CL: a chunked reader sees one request; a Content-Length reader sees a second one.
    test("TE.CL", async () => {
      const chunk = SMUGGLED;
      const body = `${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`;
      const payload = req("POST", "/echo", ["Host: test", `Content-Length: ${chunk.length.toString(16).length + 2}`, "Transfer-Encoding: chunked"]) + body;
      expectNotSmuggled(await exchange(server.port, payload + SENTINEL));
    });

    // TE.TE: one of the two readers is fooled by an obfuscated Transfer-Encoding.
    const obfuscations: Array<[string, string[]]> = [
      ["xchunked", ["Transfer-Encoding: xchunked"]],
      ["chunked + vertical tab", ["Transfer-Encoding: chunked\x0b"]],
      ["space before colon", ["Transfer-Encoding : chunked"]],
      ["chunked then a bogus second field", ["Transfer-Encoding: chunked", "Transfer-Encoding: x"]],
      ["bogus field then chunked", ["Transfer-Encoding: x", "Transfer-Encoding: chunked"]],
      ["quoted", ['Transfer-Encoding: "chunked"']],
      ["chunked, identity", ["Transfer-Encoding: chunked, identity"]],
      ["obs-fold continuation", ["Transfer-Encoding:", " chunked"]],
      ["leading space (folded onto previous field)", ["X-A: b", " Transfer-Encoding: chunked"]],
      ["bare LF before the field", ["X-A: b\nTransfer-Encoding: chunked"]],
      ["NUL in value", ["Transfer-Encoding: chunked\x00"]],
    ];

    describe.each(obfuscations)("TE.TE: %s", (_name, teLines) => {
      test("with Content-Length covering the smuggled request (CL.TE shape)", async () => {
        const body = "0\r\n\r\n" + SMUGGLED;
        const payload = req("POST", "/echo", ["Host: test", `Content-Length: ${body.length}`, ...teLines]) + body;
        expectNotSmuggled(await exchange(server.port, payload + SENTINEL));
      });

      test("with a short Content-Length (TE.CL shape)", async () => {
        const body = `${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`;
        const payload = req("POST", "/echo", ["Host: test", `Content-Length: ${SMUGGLED.length.toString(16).length + 2}`, ...teLines]) + body;
        expectNotSmuggled(await exchange(server.port, payload + SENTINEL));
      });

      test("without Content-Length", async () => {
        const body = `${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`;
        const payload = req("POST", "/echo", ["Host: test", ...teLines]) + body;
        expectNotSmuggled(await exchange(server.port, payload + SENTINEL));
      });
    });
  });

  describe("lookalike header names", () => {
    // `Transfer_Encoding` is a different field (tchar allows "_"); it must not
    // frame the body even though a CGI-style environ would map both names to
    // HTTP_TRANSFER_ENCODING. With Content-Length the CL framing applies.
    test("Transfer_Encoding: chunked does not make the body chunked", async () => {
      const body = "5\r\nhello\r\n0\r\n\r\n";
      const payload = req("POST", "/echo", ["Host: test", "Transfer_Encoding: chunked", `Content-Length: ${body.length}`]) + body + FOLLOW_UP;
      const r = await exchange(server.port, payload, { until: 2 });
      expectEcho(r.finals[0], "POST", "/echo", body, dump(r));
      expectEcho(r.finals[1], "GET", "/follow-up", "", dump(r));
    });

    test("Content_Length does not give the request a body", async () => {
      const payload = req("POST", "/echo", ["Host: test", "Content_Length: 5"]) + FOLLOW_UP;
      const r = await exchange(server.port, payload, { until: 2 });
      expectEcho(r.finals[0], "POST", "/echo", "", dump(r));
      expectEcho(r.finals[1], "GET", "/follow-up", "", dump(r));
    });
  });

  describe("body size limit (--limit-request-body 100)", () => {
    test("Content-Length at the limit is accepted", async () => {
      const body = "b".repeat(100);
      const r = await exchange(limited.port, req("POST", "/echo", ["Host: test"], body), { until: 1 });
      expectEcho(r.finals[0], "POST", "/echo", body, dump(r));
    });

    test("Content-Length over the limit → 413", async () => {
      const r = await exchange(limited.port, req("POST", "/echo", ["Host: test"], "b".repeat(101)) + FOLLOW_UP);
      expectError(r, 413);
    });

    test("Content-Length over the limit → 413 before the body is sent", async () => {
      const r = await exchange(limited.port, req("POST", "/echo", ["Host: test", "Content-Length: 1000000"]));
      expectError(r, 413);
    });

    test("chunked body over the limit → 413", async () => {
      const body = chunked("c".repeat(60), "c".repeat(60));
      const r = await exchange(limited.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: chunked"]) + body + FOLLOW_UP);
      expectError(r, 413);
    });

    test("Expect: 100-continue with Content-Length over the limit → 413, no 100 Continue", async () => {
      const r = await exchange(limited.port, "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n");
      expect(r.responses.some((res) => res.status === 100), dump(r)).toBe(false);
      expectError(r, 413);
    });

    test("chunked body at the limit is accepted", async () => {
      const body = chunked("c".repeat(50), "c".repeat(50));
      const r = await exchange(limited.port, req("POST", "/echo", ["Host: test", "Transfer-Encoding: chunked"]) + body, { until: 1 });
      expectEcho(r.finals[0], "POST", "/echo", "c".repeat(100), dump(r));
    });
  });
});
