/**
 * The serializer's head cache (core/http/head-cache.ts) must be invisible:
 * a repeated or changed status/header list gives exactly the bytes a fresh
 * serializer gives, and framing decisions learned from headers still apply.
 */
import { describe, expect, it } from "vitest";
import { DateCache } from "../../core/http/date.ts";
import { ResponseError, ResponseSerializer, type ResponseContext } from "../../core/http/serializer.ts";
import type { HeaderList } from "../../core/http/types.ts";
import { FakeSocket, FakeTimers } from "./fake-socket.ts";

const KEEP: ResponseContext = { isHead: false, versionMinor: 1, keepAlive: true };
const HEAD: ResponseContext = { isHead: true, versionMinor: 1, keepAlive: true };
const HTTP10: ResponseContext = { isHead: false, versionMinor: 0, keepAlive: true };

type Send = [ResponseContext, number, string | undefined, HeaderList, string | null];

const SENDS: Send[] = [
  [KEEP, 200, undefined, ["Content-Type", "text/plain"], "hello"],
  [KEEP, 200, undefined, ["Content-Type", "text/plain"], "hello, again"],
  [HEAD, 200, undefined, ["Content-Type", "text/plain"], "hello"],
  [HTTP10, 200, undefined, ["Content-Type", "text/plain"], "hi"],
  [KEEP, 200, "Fine", ["Content-Type", "text/plain"], "hello"],
  [KEEP, 404, undefined, ["Content-Type", "text/plain"], "nope"],
  [KEEP, 200, undefined, ["Content-Type", "text/html"], "<p>"],
  [KEEP, 200, undefined, ["content-length", "2"], "ok"],
  [KEEP, 200, undefined, ["Connection", "close"], "bye"],
  [KEEP, 200, undefined, ["Date", "Tue, 02 Jan 2024 00:00:00 GMT", "Server", "app"], "x"],
  [KEEP, 200, undefined, ["Server", "app"], "x"],
  [KEEP, 204, undefined, ["Content-Length", "0"], null],
  [KEEP, 200, undefined, [], "empty list"],
  [KEEP, 200, undefined, ["Content-Type", "text/plain", "X-Id", "1"], "a"],
  [KEEP, 200, undefined, ["Content-Type", "text/plain", "X-Id", "2"], "a"],
];

function bytesOf(serializer: ResponseSerializer, [ctx, status, reason, headers, body]: Send): string {
  const socket = new FakeSocket();
  serializer.send(socket, ctx, status, reason, headers, body);
  return socket.text() + `|${serializer.framing}|${serializer.close}|${serializer.length}`;
}

function fresh(): ResponseSerializer {
  return new ResponseSerializer(new DateCache(new FakeTimers()), "tricorn");
}

describe("ResponseSerializer head cache", () => {
  it("gives a fresh serializer's bytes for every repeat and every change", () => {
    const shared = fresh();
    // Each send three times in a row (store, hit, hit), then the whole list again in order (misses).
    for (const send of SENDS) {
      const expected = bytesOf(fresh(), send);
      for (let i = 0; i < 3; i++) expect(bytesOf(shared, send)).toBe(expected);
    }
    for (const send of SENDS) expect(bytesOf(shared, send)).toBe(bytesOf(fresh(), send));
  });

  it("still checks the body length against a cached Content-Length", () => {
    const serializer = fresh();
    bytesOf(serializer, [KEEP, 200, undefined, ["Content-Length", "2"], "ok"]);
    bytesOf(serializer, [KEEP, 200, undefined, ["Content-Length", "2"], "ok"]);
    expect(() => bytesOf(serializer, [KEEP, 200, undefined, ["Content-Length", "2"], "too long"])).toThrow(ResponseError);
  });

  it("does not match a header list that differs only in one value", () => {
    const serializer = fresh();
    const good: HeaderList = ["X-A", "1"];
    bytesOf(serializer, [KEEP, 200, undefined, good, "x"]);
    bytesOf(serializer, [KEEP, 200, undefined, good, "x"]);
    expect(() => bytesOf(serializer, [KEEP, 200, undefined, ["X-A", "1\r\nX-Injected: 1"], "x"])).toThrow(ResponseError);
  });
});
