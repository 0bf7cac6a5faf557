/**
 * Access log: format compilation (every atom, escaping, JSON lines), the
 * logger's timing, and what the connection records per exchange (status,
 * body bytes, headers) when — and only when — an access log is set.
 *
 *   node_modules/.bin/vitest run test/unit/access-log.test.ts
 */
import { describe, expect, test } from "vitest";
import { compileAccessFormat, createAccessLogger, escapeLogValue, formatAccessTime, type AccessLogger, type AccessRecord } from "../../core/log/access-log.ts";
import { ServerCore } from "../../core/server/server.ts";
import { DEFAULT_ACCESS_LOG_FORMAT } from "../../core/config/settings.ts";
import type { RequestHandler } from "../../core/server/types.ts";
import type { RequestHead } from "../../core/http/types.ts";
import { FakeSocket, FakeTimers, MemoryLogger, settle } from "./fake-socket.ts";

const WALL = Date.UTC(2026, 10, 26, 20, 0, 5, 250);

function head(overrides: Partial<RequestHead> = {}): RequestHead {
  return {
    method: "GET",
    target: "/shop/cart?item=7&q=a",
    versionMinor: 1,
    headers: [
      "host", "example.com",
      "user-agent", "curl/8.0",
      "referer", "http://example.com/",
      "authorization", `Basic ${btoa("ada:secret")}`,
      "x-request-id", "abc-1",
    ],
    contentLength: -1,
    chunked: false,
    keepAlive: true,
    expectContinue: false,
    host: "example.com",
    ...overrides,
  };
}

function record(overrides: Partial<AccessRecord> = {}): AccessRecord {
  return {
    head: head(),
    remoteAddress: "192.0.2.7",
    status: 201,
    responseHeaders: ["Content-Type", "text/plain", "X-Cache", "HIT"],
    bodyBytes: 1234,
    startTime: 0,
    ...overrides,
  };
}

const line = (format: string, r: AccessRecord = record(), ms = 1234.5678) =>
  compileAccessFormat(format, { pid: 4242 })(r, ms, WALL);

describe("text format", () => {
  test("gunicorn's default format, exactly", () => {
    expect(line(DEFAULT_ACCESS_LOG_FORMAT)).toBe(
      `192.0.2.7 - ada ${formatAccessTime(WALL)} "GET /shop/cart?item=7&q=a HTTP/1.1" 201 1234 "http://example.com/" "curl/8.0"\n`,
    );
  });

  test("every atom", () => {
    const format = "%(m)s|%(U)s|%(q)s|%(H)s|%(b)s|%(B)d|%(T)s|%(M)s|%(D)s|%(L)s|%(p)s|%(l)s|%(s)s";
    expect(line(format)).toBe("GET|/shop/cart|item=7&q=a|HTTP/1.1|1234|1234|1|1234|1234567|1.234568|<4242>|-|201\n");
  });

  test("request and response headers by name, any case; unknown atoms and {var}e print -", () => {
    const format = "%({X-Request-Id}i)s %({x-cache}o)s %({content-type}O)s %({missing}i)s %({REMOTE_ADDR}e)s %(zz)s %%";
    expect(line(format)).toBe("abc-1 HIT - - - - %\n");
  });

  test("missing values print -; no Basic auth means no user", () => {
    const bare = record({ head: head({ headers: ["host", "x"] }), remoteAddress: "", responseHeaders: null, bodyBytes: 0 });
    expect(line('%(h)s %(u)s "%(f)s" "%(a)s" %(b)s %({x}o)s', bare)).toBe('- - "-" "-" 0 -\n');
    const bearer = record({ head: head({ headers: ["authorization", "Bearer token"] }) });
    expect(line("%(u)s", bearer)).toBe("-\n");
  });

  test("HTTP/1.0, absolute-form targets and no query", () => {
    const r = record({ head: head({ versionMinor: 0, target: "http://example.com/a/b?x=1" }) });
    expect(line("%(H)s %(U)s %(q)s", r)).toBe("HTTP/1.0 /a/b x=1\n");
    expect(line("%(U)s|%(q)s|%(r)s", record({ head: head({ target: "/plain" }) }))).toBe("/plain||GET /plain HTTP/1.1\n");
  });

  test("client-supplied quotes, backslashes and control characters are escaped", () => {
    const r = record({ head: head({ headers: ["user-agent", 'evil" "\\x\t\x7f'] }) });
    expect(line('"%(a)s"', r)).toBe('"evil\\" \\"\\\\x\\x09\\x7f"\n');
    expect(escapeLogValue("plain")).toBe("plain");
  });

  test("a format without atoms is copied; text around atoms is kept", () => {
    expect(line("static")).toBe("static\n");
    expect(line("[%(s)s]")).toBe("[201]\n");
  });
});

describe("formatAccessTime", () => {
  test("[dd/Mon/yyyy:HH:MM:SS +zzzz] in local time", () => {
    expect(formatAccessTime(WALL)).toMatch(/^\[\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]$/);
    if (new Date(0).getTimezoneOffset() === 0) expect(formatAccessTime(WALL)).toBe("[26/Nov/2026:20:00:05 +0000]");
  });
});

describe("JSON lines", () => {
  test("one readable field per atom of the format", () => {
    const format = `${DEFAULT_ACCESS_LOG_FORMAT} %(m)s %(U)s %(q)s %(H)s %(B)s %(T)s %(M)s %(D)s %(L)s %(p)s %({x-request-id}i)s %({X-Cache}o)s %({nope}i)s %(zz)s`;
    const text = compileAccessFormat(format, { json: true, pid: 4242 })(record(), 1234.5678, WALL);
    expect(text.endsWith("}\n")).toBe(true);
    expect(text.split("\n")).toHaveLength(2);
    expect(JSON.parse(text)).toEqual({
      remote_addr: "192.0.2.7",
      ident: null,
      user: "ada",
      time: "2026-11-26T20:00:05.250Z",
      request: "GET /shop/cart?item=7&q=a HTTP/1.1",
      status: 201,
      bytes: 1234,
      referer: "http://example.com/",
      user_agent: "curl/8.0",
      method: "GET",
      path: "/shop/cart",
      query: "item=7&q=a",
      protocol: "HTTP/1.1",
      request_time_s: 1,
      request_time_ms: 1234,
      request_time_us: 1234567,
      request_time: 1.234568,
      pid: 4242,
      request_headers: { "x-request-id": "abc-1", nope: null },
      response_headers: { "x-cache": "HIT" },
      zz: null,
    });
  });

  test("values are JSON-escaped, not log-escaped", () => {
    const r = record({ head: head({ headers: ["user-agent", 'a"b\\c'] }) });
    const text = compileAccessFormat("%(a)s", { json: true, pid: 1 })(r, 0, WALL);
    expect(JSON.parse(text)).toEqual({ user_agent: 'a"b\\c' });
  });
});

describe("createAccessLogger", () => {
  test("measures from the record's start time to now and writes one line", () => {
    const timers = new FakeTimers();
    const lines: string[] = [];
    const logger = createAccessLogger({ format: "%(s)s %(M)s %(D)s", json: false, write: (t) => void lines.push(t), timers, pid: 1 });
    const start = logger.now();
    timers.advance(250);
    logger.log(record({ startTime: start }));
    expect(lines).toEqual(["201 250 250000\n"]);
  });
});

/** A ServerCore on fake sockets whose access log records every exchange it gets. */
function serve(handler: RequestHandler, withLog = true) {
  const timers = new FakeTimers();
  const seen: { status: number; bytes: number; headers: string[] | null; ms: number; target: string }[] = [];
  const accessLog: AccessLogger = {
    now: () => timers.now(),
    log: (r) => void seen.push({ status: r.status, bytes: r.bodyBytes, headers: r.responseHeaders, ms: timers.now() - r.startTime, target: r.head.target }),
  };
  const server = new ServerCore({
    handler,
    timers,
    logger: new MemoryLogger(),
    options: { serverHeader: "" },
    accessLog: withLog ? accessLog : null,
  });
  const connect = () => {
    const socket = new FakeSocket();
    socket.handlers = server.accept(socket);
    return socket;
  };
  return { seen, connect, timers, server };
}

describe("what the connection records", () => {
  test("send(): status, headers and the UTF-8 length of a string body", () => {
    const headers = ["Content-Type", "text/plain"];
    const { seen, connect } = serve((_req, res) => res.send(200, undefined, headers, "héllo €"));
    connect().send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(seen).toEqual([{ status: 200, bytes: 10, headers, ms: 0, target: "/a" }]);
  });

  test("HEAD and 204 send no body bytes; byte arrays count their length", () => {
    const { seen, connect } = serve((req, res) => {
      if (req.head.target === "/none") res.send(204, undefined, [], null);
      else res.send(200, undefined, [], new Uint8Array(5));
    });
    const s = connect();
    s.send("HEAD /bytes HTTP/1.1\r\nHost: x\r\n\r\nGET /bytes HTTP/1.1\r\nHost: x\r\n\r\nGET /none HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(seen.map((r) => [r.target, r.status, r.bytes])).toEqual([
      ["/bytes", 200, 0],
      ["/bytes", 200, 5],
      ["/none", 204, 0],
    ]);
  });

  test("streamed responses count every chunk, chunked or with a length; time runs from the head", async () => {
    const { seen, connect, timers } = serve(async (req, res) => {
      const fixed = req.head.target === "/fixed";
      res.start(200, undefined, fixed ? ["Content-Length", "6"] : []);
      await res.write("abc");
      timers.advance(40);
      await res.write(new Uint8Array([1, 2, 3]));
      res.end();
    });
    const s = connect();
    s.send("GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n");
    await settle();
    s.send("GET /fixed HTTP/1.1\r\nHost: x\r\n\r\n");
    await settle();
    expect(seen.map((r) => [r.target, r.bytes, r.ms])).toEqual([
      ["/chunked", 6, 40],
      ["/fixed", 6, 40],
    ]);
  });

  test("error responses the server writes for a failing app are logged too", async () => {
    const { seen, connect } = serve(() => {
      throw new Error("boom");
    });
    connect().send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
    await settle();
    expect(seen.map((r) => r.status)).toEqual([500]);
  });

  test("a response aborted mid-stream is logged once with what was sent", async () => {
    const { seen, connect } = serve(async (_req, res) => {
      res.start(200, undefined, []);
      await res.write("partial");
      res.abort(new Error("gone"));
    });
    connect().send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
    await settle();
    expect(seen.map((r) => [r.status, r.bytes])).toEqual([[200, 7]]);
  });

  test("without an access log nothing is timed (the body is still counted for the server's stats)", () => {
    const exchanges: { startTime: number; bodyBytes: number }[] = [];
    const { connect, timers } = serve((req, res) => {
      exchanges.push(req as unknown as { startTime: number; bodyBytes: number });
      res.send(200, undefined, [], "hello");
    }, false);
    timers.advance(500);
    connect().send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(exchanges.map((e) => [e.startTime, e.bodyBytes])).toEqual([[0, 5]]);
  });
});
