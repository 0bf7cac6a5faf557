import { describe, expect, it } from "vitest";
import { HttpError } from "../../core/http/errors.ts";
import { RequestParser } from "../../core/http/parser.ts";
import type { RequestHead } from "../../core/http/types.ts";
import { DEFAULT_LIMITS, bytes, heads, runAllSplits } from "./parser-helpers.ts";

function recorder() {
  const log: string[] = [];
  const events = {
    onHead: (h: RequestHead) => log.push(`head ${h.method} ${h.target}`),
    onBody: (b: Uint8Array) => log.push(`body ${String.fromCharCode(...b)}`),
    onTrailers: (t: string[]) => log.push(`trailers ${t.join(",")}`),
    onComplete: () => log.push("complete"),
  };
  return { log, events };
}

describe("pipelining and parser state", () => {
  it("execute stops after each message and reports bytes consumed", () => {
    const a = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
    const b = "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz";
    const c = "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nq\r\n0\r\n\r\n";
    const input = bytes(a + b + c);
    const { log, events } = recorder();
    const p = new RequestParser(DEFAULT_LIMITS, events);
    const n1 = p.execute(input);
    expect(n1).toBe(a.length);
    expect(log).toEqual(["head GET /a", "complete"]);
    expect(p.idle).toBe(true);
    const n2 = p.execute(input.subarray(n1));
    expect(n2).toBe(b.length);
    const n3 = p.execute(input.subarray(n1 + n2));
    expect(n3).toBe(c.length);
    expect(log).toEqual(["head GET /a", "complete", "head POST /b", "body xyz", "complete", "head POST /c", "body q", "complete"]);
  });

  it("pipelined sequences give the same events however they are split", () => {
    const input =
      "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n" +
      "\r\n" + // stray CRLF after a message is skipped
      "PUT /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody" +
      "POST /3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n" +
      "GET /4 HTTP/1.0\r\n\r\n";
    const events = runAllSplits(input);
    expect(heads(events).map((h) => h.target)).toEqual(["/1", "/2", "/3", "/4"]);
    expect(events.filter((e) => e.type === "complete")).toHaveLength(4);
  });

  it("idle and inBody track the message", () => {
    const p = new RequestParser(DEFAULT_LIMITS, recorder().events);
    expect([p.idle, p.inBody]).toEqual([true, false]);
    p.execute(bytes("\r\n"));
    expect([p.idle, p.inBody]).toEqual([true, false]); // empty lines are not a message yet
    p.execute(bytes("\r"));
    expect(p.idle).toBe(true);
    p.execute(bytes("\nP"));
    expect([p.idle, p.inBody]).toEqual([false, false]);
    p.execute(bytes("OST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n"));
    expect([p.idle, p.inBody]).toEqual([false, true]);
    p.execute(bytes("a"));
    expect(p.inBody).toBe(true);
    expect(p.execute(bytes("bGET"))).toBe(1);
    expect([p.idle, p.inBody]).toEqual([true, false]);
    const q = new RequestParser(DEFAULT_LIMITS, recorder().events);
    q.execute(bytes("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"));
    expect(q.inBody).toBe(true); // trailer section is still part of the message
    q.execute(bytes("\r\n"));
    expect([q.idle, q.inBody]).toEqual([true, false]);
  });

  it("body chunks are views into the caller's input, no copy", () => {
    const input = bytes("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
    const seen: Uint8Array[] = [];
    const p = new RequestParser(DEFAULT_LIMITS, { ...recorder().events, onBody: (b) => seen.push(b) });
    p.execute(input);
    expect(seen).toHaveLength(1);
    expect(seen[0].buffer).toBe(input.buffer);
    expect(seen[0].byteOffset).toBe(input.length - 5);
  });

  it("the head object is fresh per request (headers not shared)", () => {
    const hs: RequestHead[] = [];
    const p = new RequestParser(DEFAULT_LIMITS, { ...recorder().events, onHead: (h) => hs.push(h) });
    const req = bytes("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    p.execute(req);
    p.execute(req);
    expect(hs[0]).not.toBe(hs[1]);
    expect(hs[0].headers).not.toBe(hs[1].headers);
    expect(hs[0]).toEqual(hs[1]);
  });

  it("after an error every later execute throws the same error", () => {
    const p = new RequestParser(DEFAULT_LIMITS, recorder().events);
    let first: unknown;
    try {
      p.execute(bytes("GET / HTTP/9.9\r\n"));
    } catch (e) {
      first = e;
    }
    expect(first).toBeInstanceOf(HttpError);
    expect((first as HttpError).status).toBe(505);
    expect((first as HttpError).name).toBe("HttpError");
    expect(() => p.execute(bytes("GET / HTTP/1.1\r\nHost: h\r\n\r\n"))).toThrow(first as Error);
    expect(() => p.execute(new Uint8Array(0))).toThrow(first as Error);
  });

  it("an exception from an event handler propagates unchanged and kills the parser", () => {
    const boom = new Error("handler failed");
    const p = new RequestParser(DEFAULT_LIMITS, { ...recorder().events, onHead: () => { throw boom; } });
    expect(() => p.execute(bytes("GET / HTTP/1.1\r\nHost: h\r\n\r\n"))).toThrow(boom);
    expect(() => p.execute(bytes("GET / HTTP/1.1\r\nHost: h\r\n\r\n"))).toThrow(boom);
  });

  it("empty input consumes nothing", () => {
    const p = new RequestParser(DEFAULT_LIMITS, recorder().events);
    expect(p.execute(new Uint8Array(0))).toBe(0);
    expect(p.idle).toBe(true);
  });
});
