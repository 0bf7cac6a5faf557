import { describe, expect, it } from "vitest";
import type { IncomingRequest, ResponseWriter } from "../../core/server/types.ts";
import { GET, deferred, echo, makeServer } from "./connection-helpers.ts";
import { settle, splitResponses } from "./fake-socket.ts";

describe("keep-alive", () => {
  it("HTTP/1.1 keeps the connection open across requests", () => {
    const { connect, server } = makeServer(echo);
    const s = connect();
    s.send(GET("/a"));
    s.send(GET("/b"));
    const rs = splitResponses(s.text());
    expect(rs.map((r) => r.body)).toEqual(["GET /a", "GET /b"]);
    expect(rs[0].headers.connection).toBeUndefined();
    expect(s.ended).toBe(false);
    expect(server.requestsServed).toBe(2);
  });

  it("HTTP/1.1 Connection: close closes after the response", () => {
    const { connect } = makeServer(echo);
    const s = connect();
    s.send(GET("/a", "Connection: close\r\n"));
    const [r] = splitResponses(s.text());
    expect(r.headers.connection).toBe("close");
    expect(s.ended).toBe(true);
  });

  it("HTTP/1.0 closes by default, keeps alive on request", () => {
    const { connect } = makeServer(echo);
    const s = connect();
    s.send("GET /x HTTP/1.0\r\n\r\n");
    expect(s.text().startsWith("HTTP/1.1 200 OK\r\n")).toBe(true);
    expect(splitResponses(s.text())[0].headers.connection).toBe("close");
    expect(s.ended).toBe(true);

    const k = connect();
    k.send("GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    expect(splitResponses(k.text())[0].headers.connection).toBe("keep-alive");
    expect(k.ended).toBe(false);
  });

  it("the app's Connection: close forces close", () => {
    const { connect } = makeServer((_req, res) => res.send(200, undefined, ["Connection", "close"], "bye"));
    const s = connect();
    s.send(GET("/"));
    expect(splitResponses(s.text())[0].headers.connection).toBe("close");
    expect(s.ended).toBe(true);
  });

  it("keepalive 0 disables keep-alive", () => {
    const { connect } = makeServer(echo, { keepalive: 0 });
    const s = connect();
    s.send(GET("/"));
    expect(s.ended).toBe(true);
  });
});

describe("pipelining", () => {
  it("answers synchronous pipelined requests in one pass", () => {
    const { connect } = makeServer(echo);
    const s = connect();
    s.send(GET("/1") + GET("/2") + GET("/3"));
    expect(splitResponses(s.text()).map((r) => r.body)).toEqual(["GET /1", "GET /2", "GET /3"]);
  });

  it("keeps order when async handlers finish out of order", async () => {
    const started: { req: IncomingRequest; res: ResponseWriter; done: ReturnType<typeof deferred<void>> }[] = [];
    const { connect } = makeServer(async (req, res) => {
      const done = deferred();
      started.push({ req, res, done });
      await done.promise;
      res.send(200, undefined, [], req.head.target);
    });
    const s = connect();
    s.send(GET("/1") + GET("/2") + GET("/3"));
    // Only the first request is dispatched while its response is pending.
    expect(started.length).toBe(1);
    started[0].done.resolve();
    await settle();
    expect(started.length).toBe(2);
    started[1].done.resolve();
    await settle();
    started[2].done.resolve();
    await settle();
    expect(splitResponses(s.text()).map((r) => r.body)).toEqual(["/1", "/2", "/3"]);
  });

  it("pauses the socket when too much pipelined input is held", async () => {
    const gate = deferred();
    const { connect } = makeServer(async (req, res) => {
      if (req.head.target === "/slow") await gate.promise;
      res.send(200, undefined, [], "ok");
    });
    const s = connect();
    s.send(GET("/slow"));
    const filler = GET("/fast").repeat(Math.ceil(70_000 / GET("/fast").length));
    s.send(filler);
    expect(s.paused).toBe(true);
    gate.resolve();
    await settle();
    expect(s.paused).toBe(false);
    expect(splitResponses(s.text()).length).toBe(1 + Math.ceil(70_000 / GET("/fast").length));
  });

  it("resumes after a drain even when the held bytes are only a partial head", () => {
    const { connect } = makeServer(echo, { limits: { limitRequestFields: 1000 } });
    const s = connect();
    s.highWater = 10;
    s.send(GET("/1"));
    const partial = "GET /2 HTTP/1.1\r\nHost: x\r\n" + "X-Pad: " + "p".repeat(100) + "\r\n";
    s.send(partial.repeat(1) + ("X-Pad: " + "p".repeat(100) + "\r\n").repeat(700));
    expect(s.paused).toBe(true);
    s.flush();
    expect(s.paused).toBe(false);
    s.send("\r\n");
    expect(splitResponses(s.text()).map((r) => r.body)).toEqual(["GET /1", "GET /2"]);
  });

  it("waits for a blocked socket to drain before starting the next request", () => {
    const { connect } = makeServer(echo);
    const s = connect();
    s.highWater = 10;
    s.send(GET("/1") + GET("/2"));
    expect(splitResponses(s.text()).length).toBe(1);
    s.flush();
    expect(splitResponses(s.text()).length).toBe(2);
  });
});

describe("Expect: 100-continue", () => {
  const expectHead = "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";

  it("sends 100 Continue when the app reads the body", async () => {
    const { connect } = makeServer(async (req, res) => {
      const text = await req.body.text();
      res.send(200, undefined, [], `got ${text}`);
    });
    const s = connect();
    s.send(expectHead);
    await settle();
    expect(s.text()).toBe("HTTP/1.1 100 Continue\r\n\r\n");
    s.send("hello");
    await settle();
    const rest = s.text().slice("HTTP/1.1 100 Continue\r\n\r\n".length);
    expect(splitResponses(rest)[0].body).toBe("got hello");
    expect(s.ended).toBe(false);
  });

  it("does not send 100 when the app answers without reading, and closes", () => {
    const { connect } = makeServer((_req, res) => res.send(413, undefined, [], "no"));
    const s = connect();
    s.send(expectHead);
    expect(s.text()).not.toContain("100 Continue");
    const [r] = splitResponses(s.text());
    expect(r.status).toBe(413);
    expect(r.headers.connection).toBe("close");
    expect(s.ended).toBe(true);
  });
});

describe("parse errors", () => {
  it("answers 400 text/plain with Connection: close and stops parsing", () => {
    let calls = 0;
    const { connect } = makeServer((req, res) => {
      calls++;
      echo(req, res);
    });
    const s = connect();
    s.send("BAD REQUEST LINE\r\n\r\n" + GET("/after"));
    const [r, ...more] = splitResponses(s.text());
    expect(r.status).toBe(400);
    expect(r.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(r.headers.connection).toBe("close");
    expect(r.body).toBe("Bad Request");
    expect(more.length).toBe(0);
    expect(calls).toBe(0);
    expect(s.ended).toBe(true);
    s.send(GET("/ignored"));
    expect(calls).toBe(0);
  });

  it("answers an earlier pipelined request first", async () => {
    const gate = deferred();
    const { connect } = makeServer(async (_req, res) => {
      await gate.promise;
      res.send(200, undefined, [], "first");
    });
    const s = connect();
    s.send(GET("/1") + "GET / HTTP/1.1\r\nBad Header\r\n\r\n");
    expect(s.text()).toBe("");
    gate.resolve();
    await settle();
    const rs = splitResponses(s.text());
    expect(rs.map((r) => r.status)).toEqual([200, 400]);
    expect(s.ended).toBe(true);
  });

  it("uses the parser's status (431 for too many fields)", () => {
    const { connect } = makeServer(echo, { limits: { limitRequestFields: 2 } });
    const s = connect();
    s.send("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n\r\n");
    expect(splitResponses(s.text())[0].status).toBe(431);
  });

  it("a broken chunked body reaches the app as an error and closes", async () => {
    let error: unknown;
    const { connect } = makeServer(async (req, res) => {
      try {
        await req.body.text();
      } catch (e) {
        error = e;
        throw e;
      }
      res.send(200, undefined, [], "unreachable");
    });
    const s = connect();
    s.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    await settle();
    s.send("zz\r\n");
    await settle();
    expect(error).toBeInstanceOf(Error);
    const [r] = splitResponses(s.text());
    expect(r.status).toBe(400);
    expect(s.ended).toBe(true);
  });
});

describe("timeouts", () => {
  it("answers 408 when the head does not complete in time", () => {
    const { connect, timers } = makeServer(echo, { headerTimeout: 10 });
    const s = connect();
    s.send("GET / HTTP/1.1\r\nHo");
    timers.advance(9_000);
    expect(s.ended).toBe(false);
    timers.advance(2_000);
    const [r] = splitResponses(s.text());
    expect(r.status).toBe(408);
    expect(r.headers.connection).toBe("close");
    expect(s.ended).toBe(true);
  });

  it("times the next head from its first byte on a keep-alive connection", () => {
    const { connect, timers } = makeServer(echo, { headerTimeout: 3, keepalive: 100 });
    const s = connect();
    s.send(GET("/"));
    timers.advance(50_000);
    s.send("GET /slow HTTP/1.1\r\n");
    timers.advance(2_000);
    expect(s.ended).toBe(false);
    timers.advance(2_000);
    const rs = splitResponses(s.text());
    expect(rs.map((r) => r.status)).toEqual([200, 408]);
    expect(s.ended).toBe(true);
  });

  it("closes an idle fresh connection silently", () => {
    const { connect, timers } = makeServer(echo, { headerTimeout: 5 });
    const s = connect();
    timers.advance(6_000);
    expect(s.ended).toBe(true);
    expect(s.text()).toBe("");
  });

  it("closes an idle keep-alive connection after `keepalive` seconds", () => {
    const { connect, timers } = makeServer(echo, { keepalive: 2 });
    const s = connect();
    s.send(GET("/"));
    timers.advance(1_000);
    s.send(GET("/again")); // activity resets the idle timer
    timers.advance(1_500);
    expect(s.ended).toBe(false);
    timers.advance(1_500);
    expect(s.ended).toBe(true);
    expect(splitResponses(s.text()).length).toBe(2);
  });

  it("never times out while the app runs", async () => {
    const gate = deferred();
    const { connect, timers } = makeServer(async (_req, res) => {
      await gate.promise;
      res.send(200, undefined, [], "late");
    }, { keepalive: 2, headerTimeout: 1 });
    const s = connect();
    s.send(GET("/"));
    timers.advance(60_000);
    expect(s.ended).toBe(false);
    gate.resolve();
    await settle();
    expect(splitResponses(s.text())[0].body).toBe("late");
  });

  it("stops ticking when no connection is left", async () => {
    const { connect, timers, server } = makeServer(echo);
    const s = connect();
    expect(timers.pending).toBe(1);
    s.send(GET("/", "Connection: close\r\n"));
    await settle();
    expect(server.connections).toBe(0);
    timers.advance(1_000);
    expect(timers.pending).toBe(0);
  });
});

describe("request bodies", () => {
  it("pauses while the app does not read and resumes when it does", async () => {
    let request!: IncomingRequest;
    let response!: ResponseWriter;
    const { connect } = makeServer((req, res) => {
      request = req;
      response = res;
    });
    const s = connect();
    const size = 200_000;
    s.send(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`);
    for (let i = 0; i < size / 10_000; i++) s.send(new Uint8Array(10_000));
    expect(s.paused).toBe(true);
    const bytes = await request.body.bytes();
    expect(bytes.length).toBe(size);
    expect(s.paused).toBe(false);
    response.send(200, undefined, [], String(bytes.length));
    expect(splitResponses(s.text())[0].body).toBe("200000");
  });

  it("reads chunked bodies and iterates", async () => {
    const { connect } = makeServer(async (req, res) => {
      const parts: string[] = [];
      for await (const chunk of req.body) parts.push(new TextDecoder().decode(chunk));
      res.send(200, undefined, [], parts.join("|"));
    });
    const s = connect();
    s.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
    await settle();
    s.send("2\r\nde\r\n0\r\n\r\n");
    await settle();
    expect(splitResponses(s.text())[0].body).toBe("abc|de");
  });

  it("discards a small unread body and keeps the connection", async () => {
    const { connect } = makeServer(echo);
    const s = connect();
    s.send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345");
    expect(splitResponses(s.text())[0].headers.connection).toBeUndefined();
    s.send("67890" + GET("/b"));
    expect(splitResponses(s.text()).map((r) => r.body)).toEqual(["POST /a", "GET /b"]);
    expect(s.ended).toBe(false);
  });

  it("resumes a socket paused by an unread, fully received body", () => {
    const { connect } = makeServer(echo);
    const s = connect();
    s.send(`POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n${"z".repeat(100_000)}` + GET("/b"));
    expect(s.paused).toBe(false);
    expect(splitResponses(s.text()).map((r) => r.body)).toEqual(["POST /a", "GET /b"]);
  });

  it("closes instead of discarding a large unread body", () => {
    const { connect } = makeServer(echo);
    const s = connect();
    s.send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n12345");
    const [r] = splitResponses(s.text());
    expect(r.headers.connection).toBe("close");
    expect(s.ended).toBe(true);
  });

  it("fails body reads when the peer goes away", async () => {
    let error: unknown;
    const { connect } = makeServer(async (req) => {
      try {
        await req.body.bytes();
      } catch (e) {
        error = e;
      }
    });
    const s = connect();
    s.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n123");
    s.reset();
    await settle();
    expect(String(error)).toContain("closed");
  });
});
