/**
 * HTTP/1.1 conformance, part 6: the response rules again, through the fetch
 * adapter (`{ fetch(request) }` apps: Hono, Deno.serve/Bun.serve style), whose
 * path to the serializer differs from the gateway adapter's.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { CONFORMANCE_RUNTIMES, FOLLOW_UP, WAIT_MS, connDump, dump, echoOf, expectEcho, expectError, useServer, withConn } from "./conformance-helpers.ts";
import { chunked, exchange, req } from "./raw-client.ts";

const FETCH_APP = fileURLToPath(new URL("../fixtures/conformance-fetch-app.js", import.meta.url));
const STREAMED = "chunk-0\nchunk-1\nchunk-2\nchunk-3\nchunk-4\n";

describe.each(CONFORMANCE_RUNTIMES)("conformance: fetch adapter [%s]", (runtime) => {
  const server = useServer(runtime, [], FETCH_APP);

  test("request method, target and Content-Length body reach the app", async () => {
    const r = await exchange(server.port, req("POST", "/echo?a=1", ["Host: test"], "body"), { until: 1 });
    expectEcho(r.finals[0], "POST", "/echo?a=1", "body", dump(r));
  });

  // Fetch standard, "normalize a method": only DELETE/GET/HEAD/OPTIONS/POST/PUT are upper-cased.
  test("method case: standard methods normalized as Request does, others verbatim", async () => {
    const payload = req("post", "/echo?n=1", ["Host: test"], "b") + req("patch", "/echo?n=2", ["Host: test"], "c") + req("PURGE", "/echo?n=3");
    const r = await exchange(server.port, payload, { until: 3 });
    expect(r.finals.map((res) => echoOf(res).method), dump(r)).toEqual(["POST", "patch", "PURGE"]);
  });

  test("chunked request body is decoded", async () => {
    const r = await exchange(server.port, req("PUT", "/echo", ["Host: test", "Transfer-Encoding: chunked"]) + chunked("ab", "cd"), { until: 1 });
    expectEcho(r.finals[0], "PUT", "/echo", "abcd", dump(r));
  });

  test("absolute-form target: request.url path and query", async () => {
    const r = await exchange(server.port, req("GET", "http://example.com/p?q=1", ["Host: example.com"]), { until: 1 });
    expectEcho(r.finals[0], "GET", "/p?q=1", "", dump(r));
  });

  test("parser errors are answered the same way (400, text/plain, close)", async () => {
    const r = await exchange(server.port, req("GET", "/echo", ["Host : test"]) + FOLLOW_UP);
    expectError(r, 400);
  });

  test("known-length body: Content-Length, Date and Server", async () => {
    const r = await exchange(server.port, req("GET", "/fixed"), { until: 1 });
    const res = r.finals[0]!;
    expect(res.framing, dump(r)).toBe("length");
    expect(res.header("content-length"), dump(r)).toBe("12");
    expect(res.header("date") ?? "", dump(r)).toMatch(/ GMT$/);
    expect(res.header("server") ?? "", dump(r)).not.toBe("");
  });

  test("HEAD: same headers as GET, Content-Length included, no body", async () => {
    const r = await exchange(server.port, req("GET", "/fixed") + req("HEAD", "/fixed") + req("GET", "/echo?after=head"), {
      until: 3,
      methods: ["GET", "HEAD", "GET"],
    });
    expect(r.finals.length, dump(r)).toBe(3);
    const comparable = (i: number) =>
      r.finals[i]!.headers.filter(([n]) => n.toLowerCase() !== "date").map(([n, v]) => [n.toLowerCase(), v]).sort();
    expect(comparable(1), dump(r)).toEqual(comparable(0));
    expectEcho(r.finals[2], "GET", "/echo?after=head", "", dump(r));
  });

  test.each([204, 304])("%i: no body, no chunked framing, connection stays usable", async (code) => {
    const r = await exchange(server.port, req("GET", `/status/${code}`) + req("GET", "/echo?after=1"), { until: 2 });
    expect(r.finals.map((res) => res.status), dump(r)).toEqual([code, 200]);
    expect(r.finals[0]!.header("transfer-encoding"), dump(r)).toBeUndefined();
    if (code === 204) expect(r.finals[0]!.header("content-length"), dump(r)).toBeUndefined();
    expectEcho(r.finals[1], "GET", "/echo?after=1", "", dump(r));
  });

  test("HTTP/1.1 streamed body is chunked, connection stays open", async () => {
    const r = await exchange(server.port, req("GET", "/stream") + req("GET", "/echo?after=stream"), { until: 2 });
    expect(r.finals[0]?.framing, dump(r)).toBe("chunked");
    expect(r.finals[0]?.text, dump(r)).toBe(STREAMED);
    expectEcho(r.finals[1], "GET", "/echo?after=stream", "", dump(r));
  });

  test("HTTP/1.0 streamed body is close-delimited and the connection closes", async () => {
    const r = await exchange(server.port, "GET /stream HTTP/1.0\r\n\r\n");
    expect(r.closed, dump(r)).toBe(true);
    expect(r.finals[0]?.header("transfer-encoding"), dump(r)).toBeUndefined();
    expect(r.finals[0]?.framing, dump(r)).toBe("close");
    expect(r.finals[0]?.text, dump(r)).toBe(STREAMED);
  });

  test("pipelined requests with a slow first one come back in order", async () => {
    const payload = req("GET", "/slow?ms=300") + req("POST", "/echo?n=2", ["Host: test"], "two") + req("GET", "/echo?n=3");
    const r = await exchange(server.port, payload, { until: 3 });
    expect(r.finals.map((res) => echoOf(res).target), dump(r)).toEqual(["/slow?ms=300", "/echo?n=2", "/echo?n=3"]);
  });

  test("Expect: 100-continue: 100 before the app reads the body", async () => {
    await withConn(server.port, async (c) => {
      await c.write("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
      const got100 = await c.waitFor(() => c.parse().responses.length >= 1, WAIT_MS);
      expect(got100 && c.parse().responses[0]!.status === 100, connDump(c)).toBe(true);
      await c.write("hello");
      const p = await c.waitForResponses(1, WAIT_MS);
      expectEcho(p.finals[0], "POST", "/echo", "hello", connDump(c));
    });
  });

  test("app throwing → 500 text/plain, then the server keeps serving", async () => {
    const r = await exchange(server.port, req("GET", "/throw") + req("GET", "/echo?after=1"), { until: 2 });
    expect(r.finals[0]?.status, dump(r)).toBe(500);
    expect(r.finals[0]!.header("content-type") ?? "", dump(r)).toMatch(/^text\/plain\b/i);
    expect(r.raw.toString("latin1"), dump(r)).not.toContain("thrown on purpose");
    if (r.finals.length >= 2) expectEcho(r.finals[1], "GET", "/echo?after=1", "", dump(r));
    else expect(r.closed && r.rest.length === 0, dump(r)).toBe(true);
    const fresh = await exchange(server.port, req("GET", "/echo?fresh=1"), { until: 1 });
    expectEcho(fresh.finals[0], "GET", "/echo?fresh=1", "", dump(fresh));
  });

  test("stream erroring mid-body → connection closed without a terminating chunk", async () => {
    const r = await exchange(server.port, req("GET", "/stream-error") + req("GET", "/echo?after=1"));
    expect(r.closed, dump(r)).toBe(true);
    const text = r.raw.toString("latin1");
    expect(text.startsWith("HTTP/1.1 200"), dump(r)).toBe(true);
    expect(r.finals.length, `truncated response must not look complete\n${dump(r)}`).toBe(0);
    expect(text, dump(r)).not.toContain("/echo?after=1");
  });
});
