import { describe, expect, it } from "vitest";
import { HttpError } from "../../core/http/errors.ts";
import { RequestParser, UNLIMITED_HEAD_BYTES } from "../../core/http/parser.ts";
import { DEFAULT_LIMITS, bytes, errorStatus, runAllSplits, runParser, splitAt } from "./parser-helpers.ts";

const noop = { onHead() {}, onBody() {}, onTrailers() {}, onComplete() {} };

/** Status thrown by a fresh parser fed exactly `input` (0 when it does not throw). */
function statusOf(input: string, limits = {}): number {
  const p = new RequestParser({ ...DEFAULT_LIMITS, ...limits }, noop);
  try {
    p.execute(bytes(input));
    return 0;
  } catch (e) {
    if (!(e instanceof HttpError)) throw e;
    return e.status;
  }
}

/** Checks whole input and a few split layouts (all-splits would be slow for long lines). */
function status(input: string, limits = {}): number {
  const data = bytes(input);
  const s = errorStatus(runParser([data], limits));
  for (const cuts of [[1], [data.length >> 1], [data.length - 1], [7, 100, 4000, 4097, 8193]]) {
    expect(errorStatus(runParser(splitAt(data, cuts), limits))).toBe(s);
  }
  return s;
}

describe("limits", () => {
  it("limitRequestLine: exactly at the limit passes, one over is 414", () => {
    const target = (n: number) => "/" + "a".repeat(n - "GET  HTTP/1.1".length - 1);
    expect(status(`GET ${target(4094)} HTTP/1.1\r\nHost: h\r\n\r\n`)).toBe(0);
    expect(status(`GET ${target(4095)} HTTP/1.1\r\nHost: h\r\n\r\n`)).toBe(414);
    expect(status(`GET ${target(100)} HTTP/1.1\r\nHost: h\r\n\r\n`, { limitRequestLine: 100 })).toBe(0);
    expect(status(`GET ${target(101)} HTTP/1.1\r\nHost: h\r\n\r\n`, { limitRequestLine: 100 })).toBe(414);
  });

  it("414 is detected before the CRLF arrives", () => {
    expect(statusOf("GET /" + "a".repeat(200), { limitRequestLine: 100 })).toBe(414);
    // byte at a time: throws once limit + 1 bytes are buffered (the line cannot fit any more), never waits for a line end
    const p = new RequestParser({ ...DEFAULT_LIMITS, limitRequestLine: 10 }, noop);
    let thrownAt = -1;
    for (let i = 0; i < 100 && thrownAt < 0; i++) {
      try {
        p.execute(bytes(i === 0 ? "G" : "a"));
      } catch (e) {
        expect((e as HttpError).status).toBe(414);
        thrownAt = i + 1;
      }
    }
    expect(thrownAt).toBe(11);
  });

  it("414 wins over a content error on an over-long line, however it is split", () => {
    expect(status("GE(T /" + "a".repeat(300) + " HTTP/1.1\r\n\r\n", { limitRequestLine: 100 })).toBe(414);
    expect(status("GE(T /" + "a".repeat(50) + " HTTP/1.1\r\n\r\n", { limitRequestLine: 100 })).toBe(400);
  });

  it("limitRequestLine 0 means unlimited (up to the 1 MiB ceiling)", () => {
    expect(status(`GET /${"a".repeat(100_000)} HTTP/1.1\r\nHost: h\r\n\r\n`, { limitRequestLine: 0 })).toBe(0);
    expect(statusOf(`GET /${"a".repeat(UNLIMITED_HEAD_BYTES)}`, { limitRequestLine: 0 })).toBe(414);
  });

  it("limitRequestFieldSize: per field line; over is 431, also before the CRLF", () => {
    const line = (n: number) => "X: " + "v".repeat(n - 3);
    expect(status(`GET / HTTP/1.1\r\nHost: h\r\n${line(8190)}\r\n\r\n`)).toBe(0);
    expect(status(`GET / HTTP/1.1\r\nHost: h\r\n${line(8191)}\r\n\r\n`)).toBe(431);
    expect(status(`GET / HTTP/1.1\r\nHost: h\r\n${line(50)}\r\n\r\n`, { limitRequestFieldSize: 50 })).toBe(0);
    expect(status(`GET / HTTP/1.1\r\nHost: h\r\n${line(51)}\r\n\r\n`, { limitRequestFieldSize: 50 })).toBe(431);
    expect(statusOf(`GET / HTTP/1.1\r\nHost: h\r\n${line(60)}`, { limitRequestFieldSize: 50 })).toBe(431);
    expect(status(`GET / HTTP/1.1\r\nHost: h\r\n${line(50)}\n\r\n`, { limitRequestFieldSize: 49, permitBareLf: true })).toBe(431);
  });

  it("431 wins over a content error in an over-long field line", () => {
    expect(status(`GET / HTTP/1.1\r\nHost: h\r\nX: \x00${"v".repeat(100)}\r\n\r\n`, { limitRequestFieldSize: 50 })).toBe(431);
    expect(status(`GET / HTTP/1.1\r\nHost: h\r\nX : ${"v".repeat(100)}\r\n\r\n`, { limitRequestFieldSize: 50 })).toBe(431);
  });

  it("limitRequestFields: count of header fields", () => {
    const fields = (n: number) => Array.from({ length: n - 1 }, (_, i) => `X-${i}: ${i}\r\n`).join("");
    expect(errorStatus(runAllSplits(`GET / HTTP/1.1\r\nHost: h\r\n${fields(5)}\r\n`, { limitRequestFields: 5 }))).toBe(0);
    expect(errorStatus(runAllSplits(`GET / HTTP/1.1\r\nHost: h\r\n${fields(6)}\r\n`, { limitRequestFields: 5 }))).toBe(431);
    expect(status(`GET / HTTP/1.1\r\nHost: h\r\n${fields(100)}\r\n`)).toBe(0);
    expect(status(`GET / HTTP/1.1\r\nHost: h\r\n${fields(101)}\r\n`)).toBe(431);
  });

  it("trailer fields are validated against the same limits", () => {
    const pre = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
    expect(errorStatus(runAllSplits(`${pre}A: 1\r\nB: 2\r\n\r\n`, { limitRequestFields: 2 }))).toBe(0);
    expect(errorStatus(runAllSplits(`${pre}A: 1\r\nB: 2\r\nC: 3\r\n\r\n`, { limitRequestFields: 2 }))).toBe(431);
    expect(status(`${pre}A: ${"x".repeat(60)}\r\n\r\n`, { limitRequestFieldSize: 50 })).toBe(431);
  });

  it("the header section is bounded even with unlimited fields", () => {
    const big = `X: ${"v".repeat(8000)}\r\n`;
    const many = big.repeat(Math.ceil(UNLIMITED_HEAD_BYTES / big.length) + 1);
    const s = statusOf(`GET / HTTP/1.1\r\nHost: h\r\n${many}\r\n`, { limitRequestFields: 0 });
    expect(s).toBe(431);
    // and with both per-item limits disabled
    expect(statusOf(`GET / HTTP/1.1\r\nHost: h\r\nX: ${"v".repeat(UNLIMITED_HEAD_BYTES)}\r\n\r\n`, { limitRequestFields: 0, limitRequestFieldSize: 0 })).toBe(431);
    expect(statusOf(`GET / HTTP/1.1\r\nHost: h\r\nX: ${"v".repeat(100_000)}\r\n\r\n`, { limitRequestFields: 0, limitRequestFieldSize: 0 })).toBe(0);
  });

  it("the pending buffer never grows past the line limit plus CRLF", () => {
    const p = new RequestParser({ ...DEFAULT_LIMITS, limitRequestFieldSize: 100 }, noop);
    p.execute(bytes("GET / HTTP/1.1\r\nHost: h\r\nX: "));
    let err: unknown;
    try {
      for (let i = 0; i < 1000; i++) p.execute(bytes("aa"));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(431);
    expect(((p as unknown as { pending: Uint8Array }).pending).length).toBeLessThanOrEqual(256);
  });
});
