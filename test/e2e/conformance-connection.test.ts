/**
 * HTTP/1.1 conformance, part 3: connection management (RFC 9112 §9):
 * keep-alive, pipelining, `Expect: 100-continue` and split writes, against
 * the real server on every runtime. Timeouts are in conformance-timeouts.test.ts.
 */
import { describe, expect, test } from "vitest";
import { CONFORMANCE_RUNTIMES, WAIT_MS as WAIT, connDump, dump, echoOf, expectEcho, hasClose, useServer, withConn } from "./conformance-helpers.ts";
import { chunked, exchange, req, sleep } from "./raw-client.ts";

describe.each(CONFORMANCE_RUNTIMES)("conformance: connections [%s]", (runtime) => {
  const server = useServer(runtime);

  const why = connDump;

  describe("keep-alive", () => {
    test("HTTP/1.1 keeps the connection open by default (two requests, one socket)", async () => {
      await withConn(server.port, async (c) => {
        await c.write(req("GET", "/echo?n=1"));
        let p = await c.waitForResponses(1, WAIT);
        expectEcho(p.finals[0], "GET", "/echo?n=1", "", why(c));
        expect(hasClose(p.finals[0]!), why(c)).toBe(false);
        await c.write(req("POST", "/echo?n=2", ["Host: test"], "second"));
        p = await c.waitForResponses(2, WAIT);
        expectEcho(p.finals[1], "POST", "/echo?n=2", "second", why(c));
        expect(c.closed, why(c)).toBe(false);
      });
    });

    test("Connection: close → response says close and the server closes", async () => {
      const r = await exchange(server.port, req("GET", "/echo", ["Host: test", "Connection: close"]));
      expectEcho(r.finals[0], "GET", "/echo", "", dump(r));
      expect(hasClose(r.finals[0]!), dump(r)).toBe(true);
      expect(r.closed, dump(r)).toBe(true);
    });

    test("Connection: close on a pipelined request → later requests are not answered", async () => {
      const payload = req("GET", "/echo?n=1") + req("GET", "/echo?n=2", ["Host: test", "Connection: close"]) + req("GET", "/echo?n=3");
      const r = await exchange(server.port, payload);
      expect(r.finals.map((res) => echoOf(res).target), dump(r)).toEqual(["/echo?n=1", "/echo?n=2"]);
      expect(r.closed && r.rest.length === 0, dump(r)).toBe(true);
    });

    test("Connection tokens are case-insensitive and may be a list (`keep-alive, CLOSE`)", async () => {
      const r = await exchange(server.port, req("GET", "/echo", ["Host: test", "Connection: keep-alive, CLOSE"]));
      expect(r.finals.length, dump(r)).toBe(1);
      expect(r.closed, dump(r)).toBe(true);
    });

    test("Connection: close in a second Connection field wins over keep-alive", async () => {
      const r = await exchange(server.port, req("GET", "/echo", ["Host: test", "Connection: keep-alive", "Connection: close"]) + req("GET", "/echo?n=2"));
      expect(r.finals.length, dump(r)).toBe(1);
      expect(hasClose(r.finals[0]!), dump(r)).toBe(true);
      expect(r.closed && r.rest.length === 0, dump(r)).toBe(true);
    });

    test("HTTP/1.0 closes after the response by default", async () => {
      const r = await exchange(server.port, "GET /echo HTTP/1.0\r\n\r\n" + req("GET", "/echo?n=2"));
      expect(r.finals.length, dump(r)).toBe(1);
      expectEcho(r.finals[0], "GET", "/echo", "", dump(r));
      expect(r.closed, dump(r)).toBe(true);
      expect(r.rest.length, dump(r)).toBe(0);
    });

    test("HTTP/1.0 with Connection: keep-alive stays open and says keep-alive", async () => {
      await withConn(server.port, async (c) => {
        await c.write("GET /echo?n=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        let p = await c.waitForResponses(1, WAIT);
        expectEcho(p.finals[0], "GET", "/echo?n=1", "", why(c));
        const conn = p.finals[0]!.headerAll("connection").join(",").toLowerCase();
        expect(conn, why(c)).toContain("keep-alive");
        await c.write("GET /echo?n=2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        p = await c.waitForResponses(2, WAIT);
        expectEcho(p.finals[1], "GET", "/echo?n=2", "", why(c));
      });
    });

    test("client half-close (FIN after the request) still gets the response", async () => {
      await withConn(server.port, async (c) => {
        await c.write(req("POST", "/slow?ms=100", ["Host: test"], "half"));
        c.endWrite();
        const p = await c.waitForResponses(1, WAIT);
        expectEcho(p.finals[0], "POST", "/slow?ms=100", "half", why(c));
        expect(await c.waitForClose(WAIT), `not closed after the peer's FIN was answered\n${why(c)}`).toBe(true);
      });
    });

    test("Upgrade request to an unsupported protocol is served normally (no 101)", async () => {
      const r = await exchange(server.port, req("GET", "/echo?up=1", ["Host: test", "Connection: Upgrade", "Upgrade: websocket"]), { until: 1 });
      expect(r.responses.some((res) => res.status === 101), dump(r)).toBe(false);
      expectEcho(r.finals[0], "GET", "/echo?up=1", "", dump(r));
    });

  });

  describe("pipelining", () => {
    test("3 GETs in one write are answered in order", async () => {
      const payload = [1, 2, 3].map((i) => req("GET", `/echo?n=${i}`)).join("");
      const r = await exchange(server.port, payload, { until: 3 });
      expect(r.finals.map((res) => echoOf(res).target), dump(r)).toEqual(["/echo?n=1", "/echo?n=2", "/echo?n=3"]);
    });

    test("10 mixed requests with Content-Length and chunked bodies are answered in order", async () => {
      const requests: string[] = [];
      const expected: Array<[string, string, string]> = [];
      for (let i = 0; i < 10; i++) {
        if (i % 3 === 0) {
          requests.push(req("GET", `/echo?i=${i}`));
          expected.push(["GET", `/echo?i=${i}`, ""]);
        } else if (i % 3 === 1) {
          const body = `body-${i}-`.repeat(i + 1);
          requests.push(req("POST", `/echo?i=${i}`, ["Host: test"], body));
          expected.push(["POST", `/echo?i=${i}`, body]);
        } else {
          requests.push(req("PUT", `/echo?i=${i}`, ["Host: test", "Transfer-Encoding: chunked"]) + chunked(`c${i}`, "-", `${i}`.repeat(i)));
          expected.push(["PUT", `/echo?i=${i}`, `c${i}-${`${i}`.repeat(i)}`]);
        }
      }
      const r = await exchange(server.port, requests.join(""), { until: 10 });
      expect(r.finals.length, dump(r)).toBe(10);
      r.finals.forEach((res, i) => expectEcho(res, ...expected[i]!, dump(r)));
    });

    test("a slow first request does not let faster later ones overtake it", async () => {
      const payload = req("GET", "/slow?ms=300") + req("POST", "/echo?n=2", ["Host: test"], "two") + req("GET", "/echo?n=3");
      const r = await exchange(server.port, payload, { until: 3 });
      expect(r.finals.map((res) => echoOf(res).target), dump(r)).toEqual(["/slow?ms=300", "/echo?n=2", "/echo?n=3"]);
      expect(echoOf(r.finals[1]!).body, dump(r)).toBe("two");
    });

    test("HEAD in the middle of a pipeline keeps framing intact", async () => {
      const payload = req("GET", "/fixed") + req("HEAD", "/fixed") + req("GET", "/echo?n=3");
      const r = await exchange(server.port, payload, { until: 3, methods: ["GET", "HEAD", "GET"] });
      expect(r.finals.map((res) => res.status), dump(r)).toEqual([200, 200, 200]);
      expect(r.finals[0]!.text, dump(r)).toBe("hello world\n");
      expect(r.finals[1]!.body.length, dump(r)).toBe(0);
      expectEcho(r.finals[2], "GET", "/echo?n=3", "", dump(r));
    });

    test("50 pipelined 100 kB responses come back complete and in order (backpressure)", async () => {
      const n = 100_000;
      const payload = Array.from({ length: 50 }, (_, i) => req("GET", `/big?n=${n}&i=${i}`)).join("");
      const r = await exchange(server.port, payload, { until: 50, timeoutMs: 20_000 });
      expect(r.finals.length, `${r.finals.length} of 50 responses; ${r.raw.length} bytes`).toBe(50);
      const expected = Buffer.from("0123456789".repeat(n / 10));
      const bad = r.finals.findIndex((res) => res.status !== 200 || !res.body.equals(expected));
      expect(bad, `response ${bad} differs`).toBe(-1);
    });

    test("a pipeline arriving after the first response was sent is still answered in order", async () => {
      await withConn(server.port, async (c) => {
        await c.write(req("GET", "/slow?ms=100") + req("GET", "/echo?n=2").slice(0, 10));
        await c.waitForResponses(1, WAIT);
        await c.write(req("GET", "/echo?n=2").slice(10) + req("GET", "/echo?n=3"));
        const p = await c.waitForResponses(3, WAIT);
        expect(p.finals.map((res) => echoOf(res).target), why(c)).toEqual(["/slow?ms=100", "/echo?n=2", "/echo?n=3"]);
      });
    });
  });

  describe("transport", () => {
    test("a client that stops reading mid-response gets every byte once it resumes (8 MiB)", async () => {
      const n = 8 * 1024 * 1024;
      await withConn(server.port, async (c) => {
        c.pauseReading();
        await c.write(req("GET", `/big?n=${n}`) + req("GET", "/echo?after=big"));
        await sleep(700);
        c.resumeReading();
        const p = await c.waitForResponses(2, 20_000);
        expect(p.finals.length, `${c.receivedLength} bytes received`).toBe(2);
        const expected = Buffer.from("0123456789".repeat(n / 8).slice(0, n));
        expect(p.finals[0]!.body.equals(expected), "8 MiB body differs").toBe(true);
        expectEcho(p.finals[1], "GET", "/echo?after=big", "", why(c));
      });
    }, 30_000);

    test("4 MiB request body to an app that starts reading late arrives intact", async () => {
      const body = "abcdefghijklmnop".repeat(256 * 1024);
      const r = await exchange(server.port, req("POST", "/slow?ms=300", ["Host: test"], body) + req("GET", "/echo?after=1"), { until: 2, timeoutMs: 20_000 });
      expect(r.finals[0]?.status, dump(r)).toBe(200);
      expect(echoOf(r.finals[0]!).body === body, "echoed 4 MiB body differs").toBe(true);
      expectEcho(r.finals[1], "GET", "/echo?after=1", "", dump(r));
    }, 30_000);

    test("50 concurrent keep-alive connections, 3 requests each", async () => {
      const one = (k: number) =>
        withConn(server.port, async (c) => {
          for (let i = 1; i <= 3; i++) {
            await c.write(req("POST", `/echo?c=${k}&i=${i}`, ["Host: test"], `conn ${k} req ${i}`));
            const p = await c.waitForResponses(i, 10_000);
            expectEcho(p.finals[i - 1], "POST", `/echo?c=${k}&i=${i}`, `conn ${k} req ${i}`, why(c));
          }
        });
      await Promise.all(Array.from({ length: 50 }, (_, k) => one(k)));
    }, 30_000);
  });

  describe("Expect: 100-continue", () => {
    test("server sends 100 Continue before the app reads the body", async () => {
      await withConn(server.port, async (c) => {
        await c.write("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
        const got100 = await c.waitFor(() => c.parse().responses.length >= 1, WAIT);
        expect(got100, `no interim response before the body was sent\n${why(c)}`).toBe(true);
        const interim = c.parse().responses[0]!;
        expect(interim.status, why(c)).toBe(100);
        expect(interim.version, why(c)).toBe("HTTP/1.1");
        await c.write("hello");
        const p = await c.waitForResponses(1, WAIT);
        expectEcho(p.finals[0], "POST", "/echo", "hello", why(c));
        expect(p.responses.length, why(c)).toBe(2);
      });
    });

    test("100-continue with a chunked body", async () => {
      await withConn(server.port, async (c) => {
        await c.write("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n");
        const got100 = await c.waitFor(() => c.parse().responses.length >= 1, WAIT);
        expect(got100 && c.parse().responses[0]!.status === 100, why(c)).toBe(true);
        await c.write(chunked("hel", "lo"));
        const p = await c.waitForResponses(1, WAIT);
        expectEcho(p.finals[0], "POST", "/echo", "hello", why(c));
      });
    });

    test("the body sent right away (not waiting for 100) still works", async () => {
      const payload = "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello" + req("GET", "/echo?n=2");
      const r = await exchange(server.port, payload, { until: 2 });
      expectEcho(r.finals[0], "POST", "/echo", "hello", dump(r));
      expectEcho(r.finals[1], "GET", "/echo?n=2", "", dump(r));
      expect(r.responses.filter((res) => res.interim).every((res) => res.status === 100), dump(r)).toBe(true);
    });

    test("Expect is case-insensitive (100-Continue)", async () => {
      await withConn(server.port, async (c) => {
        await c.write("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\nExpect: 100-Continue\r\n\r\n");
        const got100 = await c.waitFor(() => c.parse().responses.length >= 1, WAIT);
        expect(got100 && c.parse().responses[0]!.status === 100, why(c)).toBe(true);
        await c.write("ok");
        const p = await c.waitForResponses(1, WAIT);
        expectEcho(p.finals[0], "POST", "/echo", "ok", why(c));
      });
    });

    test("HTTP/1.0 request: the expectation is ignored (no 100 Continue)", async () => {
      const r = await exchange(server.port, "POST /echo HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello");
      expect(r.responses.length, dump(r)).toBe(1);
      expectEcho(r.finals[0], "POST", "/echo", "hello", dump(r));
    });

    test("app that never reads the body: no 100, final response, and the body is not parsed as a request", async () => {
      await withConn(server.port, async (c) => {
        await c.write("POST /fixed HTTP/1.1\r\nHost: test\r\nContent-Length: 38\r\nExpect: 100-continue\r\n\r\n");
        const p1 = await c.waitForResponses(1, WAIT);
        expect(p1.finals[0]?.status, why(c)).toBe(200);
        expect(p1.finals[0]?.text, why(c)).toBe("hello world\n");
        const sent100 = p1.responses.some((res) => res.status === 100);
        // The client may send the body anyway; the server must skip it or close.
        await c.write("GET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n");
        await c.write(req("GET", "/echo?after=1"));
        const p = await c.waitForResponses(2, WAIT);
        const targets = p.finals.slice(1).map((res) => (res.status === 200 ? echoOf(res).target : `<${res.status}>`));
        expect(targets, `${sent100 ? "(100 was sent) " : ""}${why(c)}`).not.toContain("/smuggled");
        if (!c.closed) expect(targets, why(c)).toEqual(["/echo?after=1"]);
      });
    });

    test("other expectation → 417", async () => {
      const r = await exchange(server.port, "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nExpect: 200-ok\r\n\r\nhello");
      expect(r.finals[0]?.status, dump(r)).toBe(417);
      expect(r.finals[0]!.header("content-type") ?? "", dump(r)).toMatch(/^text\/plain\b/i);
      expect(r.responses.some((res) => res.status === 100), dump(r)).toBe(false);
    });
  });

  describe("split writes", () => {
    const request = "POST /echo?split=1 HTTP/1.1\r\nHost: test\r\nX-Long-Header-Name: some value\r\nContent-Length: 11\r\n\r\nhello world";

    test("one byte per write parses the same as one write", async () => {
      const whole = await exchange(server.port, request, { until: 1 });
      const bytes = [...request].map((ch) => ch);
      const split = await exchange(server.port, bytes, { until: 1, delayMs: 1, timeoutMs: 15_000 });
      expectEcho(whole.finals[0], "POST", "/echo?split=1", "hello world", dump(whole));
      expectEcho(split.finals[0], "POST", "/echo?split=1", "hello world", dump(split));
    });

    test("head split at awkward places (CR|LF, inside name, after colon, CRLF|CRLF)", async () => {
      const cuts = ["POST /ec", "ho?split=2 HT", "TP/1.1\r", "\nHo", "st:", " test\r\nContent-Len", "gth: 11\r\n\r", "\n", "hello", " world"];
      expect(cuts.join("")).toBe(request.replace("split=1", "split=2").replace("X-Long-Header-Name: some value\r\n", ""));
      const r = await exchange(server.port, cuts, { until: 1, delayMs: 20 });
      expectEcho(r.finals[0], "POST", "/echo?split=2", "hello world", dump(r));
    });

    test("chunked body split one byte per write", async () => {
      const head = "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n";
      const body = "3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n";
      const r = await exchange(server.port, [head, ...body], { until: 1, delayMs: 1, timeoutMs: 15_000 });
      expectEcho(r.finals[0], "POST", "/echo", "abcde", dump(r));
    });

    test("the second of two pipelined requests split across writes", async () => {
      const both = req("GET", "/echo?n=1") + req("POST", "/echo?n=2", ["Host: test"], "payload");
      const cut = req("GET", "/echo?n=1").length + 7;
      const r = await exchange(server.port, [both.slice(0, cut), both.slice(cut, cut + 20), both.slice(cut + 20)], { until: 2, delayMs: 20 });
      expectEcho(r.finals[0], "GET", "/echo?n=1", "", dump(r));
      expectEcho(r.finals[1], "POST", "/echo?n=2", "payload", dump(r));
    });
  });
});
