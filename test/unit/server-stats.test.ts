/**
 * Request counters of core/server/stats.ts as the connection feeds them
 * (on fake sockets and a manual clock), and their aggregation helpers.
 */
import { describe, expect, it } from "vitest";
import { COUNTED_METHODS, STATUS_CLASSES, addCounters, emptyCounters, isStatsCounters } from "../../core/server/stats.ts";
import { ServerCore } from "../../core/server/server.ts";
import type { RequestHandler } from "../../core/server/types.ts";
import { GET, deferred, makeServer } from "./connection-helpers.ts";
import { FakeSocket, FakeTimers, MemoryLogger } from "./fake-socket.ts";

/** makeServer with request timing on (as with --metrics-bind). */
function makeTimedServer(handler: RequestHandler) {
  const timers = new FakeTimers();
  const server = new ServerCore({ handler, timers, logger: new MemoryLogger(), options: { serverHeader: "" }, timeRequests: true });
  const connect = () => {
    const socket = new FakeSocket();
    socket.handlers = server.accept(socket);
    return socket;
  };
  return { server, timers, connect };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));
const at = (method: string, cls: string) => COUNTED_METHODS.indexOf(method as never) * STATUS_CLASSES.length + STATUS_CLASSES.indexOf(cls as never);

describe("server stats", () => {
  it("counts responses by method and status class, body bytes, received bytes and durations", async () => {
    const { server, timers, connect } = makeTimedServer((req, res) => {
      if (req.head.target === "/missing") res.send(404, undefined, [], "no");
      else if (req.head.target === "/slow") setTimeout(() => res.send(200, undefined, [], "slow!"), 0);
      else res.send(200, undefined, [], "hello");
    });
    const socket = connect();
    const requests = GET("/") + GET("/missing") + "PROPFIND / HTTP/1.1\r\nHost: x\r\n\r\n";
    socket.send(requests);
    await flush();
    const slow = connect();
    slow.send(GET("/slow"));
    timers.advance(30); // the clock moves 30 ms while /slow is in flight
    await flush();
    const c = server.stats.snapshot();
    expect(c.requests[at("GET", "2xx")]).toBe(2);
    expect(c.requests[at("GET", "4xx")]).toBe(1);
    expect(c.requests[at("OTHER", "2xx")]).toBe(1);
    expect(c.requests.reduce((a, b) => a + b, 0)).toBe(4);
    expect(c.sentBodyBytes).toBe(5 + 2 + 5 + 5);
    expect(c.receivedBytes).toBe(requests.length + GET("/slow").length);
    // three answered at once (<= 1 ms), /slow after 30 ms (the 50 ms bucket)
    expect(c.latency[0]).toBe(3);
    expect(c.latency[5]).toBe(1);
    expect(c.latencySumMs).toBe(30);
  });

  it("reads no clock and fills no histogram unless request timing is on", async () => {
    const { server, connect } = makeServer((_req, res) => res.send(200, undefined, [], "x"));
    connect().send(GET("/"));
    await flush();
    const c = server.stats.snapshot();
    expect([c.requests[at("GET", "2xx")], c.latency.reduce((a, b) => a + b, 0), c.sentBodyBytes]).toEqual([1, 0, 1]);
  });

  it("counts parser rejections by reason, and a head timeout", async () => {
    const { server, timers, connect } = makeServer(() => {}, { headerTimeout: 1 });
    connect().send("GET / HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n");
    connect().send("GET / HTTP/1.1\r\n"); // never completes
    await flush();
    timers.advance(2000);
    expect(server.stats.snapshot().rejections).toEqual({ bad_request: 1, header_timeout: 1 });
    expect(server.stats.snapshot().requests.reduce((a, b) => a + b, 0)).toBe(0);
  });

  it("reports requests in flight and open connections", async () => {
    const gate = deferred();
    const { server, connect } = makeServer(async (_req, res) => {
      await gate.promise;
      res.send(204, undefined, [], null);
    });
    connect().send(GET("/"));
    connect();
    await flush();
    expect([server.inFlight, server.connections]).toEqual([1, 2]);
    gate.resolve();
    await flush();
    expect(server.inFlight).toBe(0);
  });

  it("adds counters and validates their shape", () => {
    const a = emptyCounters();
    const b = emptyCounters();
    b.requests[1] = 2;
    b.latency[3] = 1;
    b.rejections = { bad_request: 1 };
    b.receivedBytes = 10;
    addCounters(a, b);
    addCounters(a, b);
    expect([a.requests[1], a.latency[3], a.rejections.bad_request, a.receivedBytes]).toEqual([4, 2, 2, 20]);
    expect(isStatsCounters(a)).toBe(true);
    expect(isStatsCounters({ ...a, requests: [1] })).toBe(false);
  });
});
