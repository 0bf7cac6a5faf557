/**
 * HTTP/1.1 conformance, part 4: responses (RFC 9110 §6/§9.3.2/§15, RFC 9112
 * §6.3/§7): HEAD, bodiless statuses, Date/Server, Content-Length vs chunked vs
 * close-delimited, and app failures, against the real server on every runtime.
 */
import { describe, expect, test } from "vitest";
import { CONFORMANCE_RUNTIMES, dump, echoOf, expectEcho, hasClose, useServer } from "./conformance-helpers.ts";
import { exchange, req, type ExchangeResult } from "./raw-client.ts";

const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const STREAMED = "chunk-0\nchunk-1\nchunk-2\nchunk-3\nchunk-4\n";

describe.each(CONFORMANCE_RUNTIMES)("conformance: responses [%s]", (runtime) => {
  const server = useServer(runtime);

  /**
   * Asserts that after a failed request (answered 500) the same connection
   * either answered the pipelined `/echo?after=1` or was closed with nothing
   * more, and that a fresh connection is served.
   */
  async function expectServedAfter(r: ExchangeResult): Promise<void> {
    if (r.finals.length >= 2) {
      expectEcho(r.finals[1], "GET", "/echo?after=1", "", dump(r));
    } else {
      expect(r.closed && r.rest.length === 0, `neither answered the next request nor closed\n${dump(r)}`).toBe(true);
    }
    const fresh = await exchange(server.port, req("GET", "/echo?fresh=1"), { until: 1 });
    expectEcho(fresh.finals[0], "GET", "/echo?fresh=1", "", dump(fresh));
  }

  describe("status line and standard headers", () => {
    test("status line is HTTP/1.1 with the app's status and reason", async () => {
      const r = await exchange(server.port, req("GET", "/status/418"), { until: 1 });
      expect(r.finals[0]?.version, dump(r)).toBe("HTTP/1.1");
      expect(r.finals[0]?.status, dump(r)).toBe(418);
      expect(r.finals[0]?.reason, dump(r)).toBe("I'm a teapot");
    });

    test("Date (IMF-fixdate, current) and Server headers are present", async () => {
      const r = await exchange(server.port, req("GET", "/fixed"), { until: 1 });
      const res = r.finals[0]!;
      expect(res.headerAll("date").length, dump(r)).toBe(1);
      expect(res.header("date"), dump(r)).toMatch(IMF_FIXDATE);
      expect(Math.abs(Date.parse(res.header("date")!) - Date.now()), dump(r)).toBeLessThan(120_000);
      expect(res.header("server") ?? "", dump(r)).not.toBe("");
    });

    test("Date and Server are present on server-generated errors too", async () => {
      const r = await exchange(server.port, "GET /echo HTTP/1.1\r\n\r\n");
      expect(r.finals[0]?.status, dump(r)).toBe(400);
      expect(r.finals[0]!.header("date"), dump(r)).toMatch(IMF_FIXDATE);
      expect(r.finals[0]!.header("server") ?? "", dump(r)).not.toBe("");
    });

    test("known-length body gets Content-Length, not chunked", async () => {
      const r = await exchange(server.port, req("GET", "/fixed"), { until: 1 });
      const res = r.finals[0]!;
      expect(res.framing, dump(r)).toBe("length");
      expect(res.header("content-length"), dump(r)).toBe("12");
      expect(res.header("transfer-encoding"), dump(r)).toBeUndefined();
      expect(res.text, dump(r)).toBe("hello world\n");
    });

    test("app-set Content-Length with a streamed body is used (no chunked)", async () => {
      const r = await exchange(server.port, req("POST", "/echo", ["Host: test"], "abc"), { until: 1 });
      const res = r.finals[0]!;
      expect(res.framing, dump(r)).toBe("length");
      expect(res.header("content-length"), dump(r)).toBe(String("POST /echo\nabc".length));
      expect(res.header("transfer-encoding"), dump(r)).toBeUndefined();
    });

    test("app-set Date and Server are not duplicated", async () => {
      const r = await exchange(server.port, req("GET", "/own-headers"), { until: 1 });
      expect(r.finals[0]?.headerAll("date").length, dump(r)).toBe(1);
      expect(r.finals[0]?.headerAll("server").length, dump(r)).toBe(1);
      expect(r.finals[0]?.text, dump(r)).toBe("own\n");
    });

    test("a 1 MiB response followed by a pipelined request arrives intact and in order", async () => {
      const n = 1024 * 1024;
      const r = await exchange(server.port, req("GET", `/big?n=${n}`) + req("GET", "/echo?after=big"), { until: 2, timeoutMs: 15_000 });
      expect(r.finals.length, dump(r)).toBe(2);
      const big = r.finals[0]!;
      expect(big.body.length, dump(r)).toBe(n);
      const expected = Buffer.from("0123456789".repeat(n / 8).slice(0, n));
      expect(big.body.equals(expected), "1 MiB body differs from the pattern").toBe(true);
      expectEcho(r.finals[1], "GET", "/echo?after=big", "", dump(r));
    });
  });

  describe("app-set Connection: close", () => {
    test("the server honours it: one Connection header, then the connection closes", async () => {
      const r = await exchange(server.port, req("GET", "/close-me") + req("GET", "/echo?after=1"));
      expect(r.finals.length, dump(r)).toBe(1);
      expect(r.finals[0]?.text, dump(r)).toBe("bye\n");
      expect(r.finals[0]!.headerAll("connection").length, dump(r)).toBe(1);
      expect(hasClose(r.finals[0]!), dump(r)).toBe(true);
      expect(r.closed && r.rest.length === 0, dump(r)).toBe(true);
    });
  });

  describe("HEAD", () => {
    test("HEAD has the same headers as GET, Content-Length included, and no body", async () => {
      const payload = req("GET", "/fixed") + req("HEAD", "/fixed") + req("GET", "/echo?after=head");
      const r = await exchange(server.port, payload, { until: 3, methods: ["GET", "HEAD", "GET"] });
      expect(r.finals.length, dump(r)).toBe(3);
      const [get, head] = r.finals as [typeof r.finals[0], typeof r.finals[0]];
      const comparable = (res: typeof get) =>
        res.headers.filter(([n]) => n.toLowerCase() !== "date").map(([n, v]) => [n.toLowerCase(), v]).sort();
      expect(comparable(head!), dump(r)).toEqual(comparable(get!));
      expect(head!.header("content-length"), dump(r)).toBe("12");
      expect(head!.raw.toString("latin1").endsWith("\r\n\r\n"), dump(r)).toBe(true);
      expectEcho(r.finals[2], "GET", "/echo?after=head", "", dump(r));
    });

    test("HEAD of a streamed response sends no body and the connection stays usable", async () => {
      const payload = req("HEAD", "/stream") + req("GET", "/echo?after=head");
      const r = await exchange(server.port, payload, { until: 2, methods: ["HEAD", "GET"] });
      expect(r.finals[0]?.status, dump(r)).toBe(200);
      expectEcho(r.finals[1], "GET", "/echo?after=head", "", dump(r));
    });

    test("HEAD of a route that sets its own Content-Length and streams: header kept, no body", async () => {
      const payload = req("HEAD", "/echo") + req("GET", "/echo?after=head");
      const r = await exchange(server.port, payload, { until: 2, methods: ["HEAD", "GET"] });
      expect(r.finals[0]?.status, dump(r)).toBe(200);
      expect(r.finals[0]?.header("content-length"), dump(r)).toBe(String("HEAD /echo\n".length));
      expectEcho(r.finals[1], "GET", "/echo?after=head", "", dump(r));
    });

    test("HEAD carries Date and Server", async () => {
      const r = await exchange(server.port, req("HEAD", "/fixed"), { until: 1, methods: ["HEAD"] });
      expect(r.finals[0]?.header("date"), dump(r)).toMatch(IMF_FIXDATE);
      expect(r.finals[0]?.header("server") ?? "", dump(r)).not.toBe("");
    });
  });

  describe("bodiless statuses", () => {
    test.each([204, 304])("%i from the app: no body, no chunked framing, connection stays usable", async (code) => {
      const r = await exchange(server.port, req("GET", `/status/${code}`) + req("GET", "/echo?after=1"), { until: 2 });
      expect(r.finals.map((res) => res.status), dump(r)).toEqual([code, 200]);
      const res = r.finals[0]!;
      expect(res.header("transfer-encoding"), dump(r)).toBeUndefined();
      expect(res.raw.toString("latin1").endsWith("\r\n\r\n"), dump(r)).toBe(true);
      if (code === 204) expect(res.header("content-length"), `204 must not carry Content-Length\n${dump(r)}`).toBeUndefined();
      expectEcho(r.finals[1], "GET", "/echo?after=1", "", dump(r));
    });

    test.each([204, 304])("%i whose app returns body bytes anyway: the bytes are not sent", async (code) => {
      const r = await exchange(server.port, req("GET", `/status/${code}?body=1`) + req("GET", "/echo?after=1"), { until: 2 });
      expect(r.raw.toString("latin1"), dump(r)).not.toContain(`body for status ${code}`);
      expect(r.finals.map((res) => res.status), dump(r)).toEqual([code, 200]);
      expectEcho(r.finals[1], "GET", "/echo?after=1", "", dump(r));
    });
  });

  describe("streamed bodies", () => {
    test("HTTP/1.1: streamed body is chunked and the connection stays open", async () => {
      const r = await exchange(server.port, req("GET", "/stream") + req("GET", "/echo?after=stream"), { until: 2 });
      const res = r.finals[0]!;
      expect(res.framing, dump(r)).toBe("chunked");
      expect(res.header("content-length"), dump(r)).toBeUndefined();
      expect(res.text, dump(r)).toBe(STREAMED);
      expectEcho(r.finals[1], "GET", "/echo?after=stream", "", dump(r));
    });

    test("HTTP/1.0: streamed body is close-delimited (no chunked) and the connection closes", async () => {
      const r = await exchange(server.port, "GET /stream HTTP/1.0\r\n\r\n");
      expect(r.closed, dump(r)).toBe(true);
      const res = r.finals[0]!;
      expect(res.header("transfer-encoding"), dump(r)).toBeUndefined();
      expect(res.framing, dump(r)).toBe("close");
      expect(res.text, dump(r)).toBe(STREAMED);
    });

    test("HTTP/1.0 keep-alive: streamed body is still not chunked; close-delimited closes", async () => {
      const r = await exchange(server.port, "GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", { until: 1, settleMs: 2000 });
      const res = r.finals[0];
      expect(res?.header("transfer-encoding"), dump(r)).toBeUndefined();
      expect(res?.text, dump(r)).toBe(STREAMED);
      if (res?.framing === "close") expect(hasClose(res) || !res.header("connection"), dump(r)).toBe(true);
      expect(r.closed || res?.framing === "length", dump(r)).toBe(true);
    });
  });

  describe("app failures", () => {
    test("app setting its own Transfer-Encoding: chunked → no double framing (valid body or 500)", async () => {
      const r = await exchange(server.port, req("GET", "/app-te") + req("GET", "/echo?after=1"), { until: 2 });
      const res = r.finals[0];
      if (res?.status === 500) {
        await expectServedAfter(r);
      } else {
        expect(res?.status, dump(r)).toBe(200);
        expect(res?.text, dump(r)).toBe("part-1\npart-2\n");
        expect(res?.headerAll("transfer-encoding").length, dump(r)).toBe(1);
        expectEcho(r.finals[1], "GET", "/echo?after=1", "", dump(r));
      }
    });

    test("app declaring Content-Length 5 but sending 20 bytes: the extra bytes never reach the wire as a response", async () => {
      const r = await exchange(server.port, req("GET", "/cl-mismatch?cl=5&n=20") + req("GET", "/echo?after=1"), { until: 2 });
      const res = r.finals[0];
      if (res?.status === 200) {
        expect(res.body.toString(), dump(r)).toBe("xxxxx");
        if (r.finals.length >= 2) expectEcho(r.finals[1], "GET", "/echo?after=1", "", dump(r));
        else expect(r.closed && r.rest.length === 0, `extra bytes after the declared body\n${dump(r)}`).toBe(true);
      } else if (res !== undefined) {
        expect(res.status, dump(r)).toBe(500);
      } else {
        // Aborted: acceptable only if the connection closed and nothing went out as a response.
        expect(r.closed, dump(r)).toBe(true);
        expect(r.raw.toString("latin1"), dump(r)).not.toContain("/echo?after=1");
      }
    });

    test("app declaring Content-Length 100 but sending 10 bytes: connection closed, response never completes", async () => {
      const r = await exchange(server.port, req("GET", "/cl-mismatch?cl=100&n=10") + req("GET", "/echo?after=1"));
      expect(r.closed, dump(r)).toBe(true);
      expect(r.raw.toString("latin1"), dump(r)).not.toContain("/echo?after=1");
      if (r.finals.length > 0) expect(r.finals[0]!.status, dump(r)).toBe(500);
    });

    test.each(["nul", "space-name"])("invalid response header from the app (%s) → 500", async (where) => {
      const r = await exchange(server.port, req("GET", `/inject?where=${where}`) + req("GET", "/echo?after=1"), { until: 2 });
      expect(r.finals[0]?.status, dump(r)).toBe(500);
      expect(r.raw.toString("latin1"), dump(r)).not.toContain("X Bad");
      await expectServedAfter(r);
    });

    test.each(["value", "name", "reason"])("CR/LF injection in a header %s → 500, nothing injected", async (where) => {
      const r = await exchange(server.port, req("GET", `/inject?where=${where}`) + req("GET", "/echo?after=1"), { until: 2 });
      expect(r.finals[0]?.status, dump(r)).toBe(500);
      expect(r.raw.toString("latin1"), dump(r)).not.toMatch(/\r\nInjected/i);
      expect(r.finals.every((res) => !res.header("injected")), dump(r)).toBe(true);
      await expectServedAfter(r);
    });

    test("app throwing → 500, then the server keeps serving", async () => {
      const r = await exchange(server.port, req("GET", "/throw") + req("GET", "/echo?after=1"), { until: 2 });
      expect(r.finals[0]?.status, dump(r)).toBe(500);
      expect(r.finals[0]!.header("content-type") ?? "", dump(r)).toMatch(/^text\/plain\b/i);
      expect(r.raw.toString("latin1"), `stack trace leaked\n${dump(r)}`).not.toContain("thrown on purpose");
      await expectServedAfter(r);
    });

    test("app failing mid-body → connection closed without a terminating chunk", async () => {
      const r = await exchange(server.port, req("GET", "/throw-stream") + req("GET", "/echo?after=1"));
      expect(r.closed, dump(r)).toBe(true);
      const text = r.raw.toString("latin1");
      expect(text.startsWith("HTTP/1.1 200"), dump(r)).toBe(true);
      expect(text, dump(r)).toContain("first-chunk");
      expect(r.finals.length, `truncated response must not look complete\n${dump(r)}`).toBe(0);
      expect(text, dump(r)).not.toContain("/echo?after=1");
      const fresh = await exchange(server.port, req("GET", "/echo?fresh=1"), { until: 1 });
      expectEcho(fresh.finals[0], "GET", "/echo?fresh=1", "", dump(fresh));
    });

    test("the echo of the throwing path does not leak into the next response", async () => {
      const r = await exchange(server.port, req("GET", "/throw") + req("POST", "/echo?after=2", ["Host: test"], "xyz"), { until: 2 });
      if (r.finals.length >= 2) expect(echoOf(r.finals[1]!), dump(r)).toEqual({ method: "POST", target: "/echo?after=2", body: "xyz" });
      else expect(r.closed, dump(r)).toBe(true);
    });
  });
});
