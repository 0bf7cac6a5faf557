import { describe, expect, it } from "vitest";
import type { ResponseWriter } from "../../core/server/types.ts";
import { DRAIN_IDLE_MS } from "../../core/server/connection-server.ts";
import { GET, deferred, echo, makeServer } from "./connection-helpers.ts";
import { settle, splitResponses } from "./fake-socket.ts";

describe("responses", () => {
  it("write() returns a promise only when the socket is above its high-water mark", async () => {
    let res!: ResponseWriter;
    const { connect } = makeServer((_req, r) => {
      res = r;
      r.start(200, undefined, []);
    });
    const s = connect();
    s.send(GET("/"));
    expect(res.write("small")).toBeUndefined();
    await settle();
    s.highWater = 100;
    const wait = res.write("x".repeat(200));
    expect(wait).toBeInstanceOf(Promise);
    let drained = false;
    void (wait as Promise<void>).then(() => (drained = true));
    await settle();
    expect(drained).toBe(false);
    s.flush();
    await settle();
    expect(drained).toBe(true);
    res.end();
    const [r] = splitResponses(s.text());
    expect(r.headers["transfer-encoding"]).toBe("chunked");
    expect(r.body).toBe("small" + "x".repeat(200));
  });

  it("a pending write() resolves when the connection closes", async () => {
    let wait: void | Promise<void> = undefined;
    const { connect } = makeServer((_req, res) => {
      res.start(200, undefined, []);
      wait = res.write("x".repeat(100));
    });
    const s = connect();
    s.highWater = 10;
    s.send(GET("/"));
    expect(wait).toBeInstanceOf(Promise);
    let resolved = false;
    void (wait as unknown as Promise<void>).then(() => (resolved = true));
    s.reset();
    await settle();
    expect(resolved).toBe(true);
  });

  it("merges the head with a write in the same tick", () => {
    const { connect } = makeServer((_req, res) => {
      res.start(200, undefined, []);
      res.write("a");
      res.end();
    });
    const s = connect();
    s.send(GET("/"));
    expect(s.chunks.length).toBe(2); // head+chunk, terminator
    expect(splitResponses(s.text())[0].body).toBe("a");
  });

  it("aborts when a stream exceeds its Content-Length", () => {
    const { connect } = makeServer((_req, res) => {
      res.start(200, undefined, ["Content-Length", "2"]);
      res.write("abc");
    });
    const s = connect();
    s.send(GET("/"));
    expect(s.destroyed).toBe(true);
  });

  it("closes after a stream shorter than its Content-Length", () => {
    const { connect, logger } = makeServer((_req, res) => {
      res.start(200, undefined, ["Content-Length", "5"]);
      res.write("ab");
      res.end();
    });
    const s = connect();
    s.send(GET("/"));
    expect(s.ended).toBe(true);
    expect(logger.at("error").join()).toContain("shorter");
  });

  it("streams close-delimited to HTTP/1.0 clients", () => {
    const { connect } = makeServer((_req, res) => {
      res.start(200, undefined, []);
      res.write("abc");
      res.end();
    });
    const s = connect();
    s.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    expect(s.text()).toMatch(/^HTTP\/1\.1 200 OK\r\nConnection: close\r\n.*\r\n\r\nabc$/s);
    expect(s.ended).toBe(true);
  });

  it("HEAD responses carry no body", () => {
    const { connect } = makeServer((_req, res) => res.send(200, undefined, [], "hello"));
    const s = connect();
    s.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" + GET("/"));
    const text = s.text();
    const first = text.slice(0, text.indexOf("\r\n\r\n") + 4);
    expect(first).toContain("Content-Length: 5\r\n");
    expect(splitResponses(text.slice(first.length))[0].body).toBe("hello");
  });
});

describe("app errors", () => {
  it("a sync throw becomes a 500 and the connection keeps serving", () => {
    const { connect, logger } = makeServer((req, res) => {
      if (req.head.target === "/boom") throw new Error("kaboom");
      echo(req, res);
    });
    const s = connect();
    s.send(GET("/boom") + GET("/ok"));
    const rs = splitResponses(s.text());
    expect(rs.map((r) => [r.status, r.body])).toEqual([[500, "Internal Server Error"], [200, "GET /ok"]]);
    expect(rs[0].headers["content-type"]).toBe("text/plain; charset=utf-8");
    const errors = logger.lines.filter((l) => l.level === "error");
    expect(errors.length).toBe(1);
    expect((errors[0].error as Error).message).toBe("kaboom");
    expect(s.ended).toBe(false);
  });

  it("a rejection becomes a 500", async () => {
    const { connect } = makeServer(async () => {
      await Promise.resolve();
      throw new Error("async kaboom");
    });
    const s = connect();
    s.send(GET("/"));
    await settle();
    expect(splitResponses(s.text())[0].status).toBe(500);
  });

  it("an invalid response (header injection) becomes a 500", () => {
    const { connect } = makeServer((_req, res) => res.send(200, undefined, ["X", "a\r\nb: c"], "x"));
    const s = connect();
    s.send(GET("/"));
    const [r] = splitResponses(s.text());
    expect(r.status).toBe(500);
    expect(r.headers.b).toBeUndefined();
  });

  it("an error after the headers aborts the connection", async () => {
    const { connect, logger } = makeServer(async (_req, res) => {
      res.start(200, undefined, []);
      await res.write("partial");
      throw new Error("midway");
    });
    const s = connect();
    s.send(GET("/"));
    await settle();
    expect(s.destroyed).toBe(true);
    expect(logger.at("error").length).toBe(1);
  });

  it("a handler that resolves without responding gets a 500", async () => {
    const { connect } = makeServer(async () => {});
    const s = connect();
    s.send(GET("/"));
    await settle();
    expect(splitResponses(s.text())[0].status).toBe(500);
  });
});

describe("peer EOF", () => {
  it("finishes the in-flight response, then closes", async () => {
    const gate = deferred();
    const { connect } = makeServer(async (_req, res) => {
      await gate.promise;
      res.send(200, undefined, [], "done");
    });
    const s = connect();
    s.send(GET("/"));
    s.peerEnd();
    expect(s.ended).toBe(false);
    gate.resolve();
    await settle();
    expect(splitResponses(s.text())[0].body).toBe("done");
    expect(s.ended).toBe(true);
  });

  it("answers all pipelined requests before closing", () => {
    const { connect } = makeServer(echo);
    const s = connect();
    s.send(GET("/1") + GET("/2"));
    s.peerEnd();
    expect(splitResponses(s.text()).length).toBe(2);
    expect(s.ended).toBe(true);
  });

  it("closes at once when idle", () => {
    const { connect } = makeServer(echo);
    const s = connect();
    s.peerEnd();
    expect(s.ended).toBe(true);
  });
});

describe("server", () => {
  it("closeIdle closes connections that stay idle and lets busy ones finish with Connection: close", async () => {
    const gate = deferred();
    const done: number[] = [];
    const { connect, server, timers } = makeServer(async (req, res) => {
      if (req.head.target === "/slow") await gate.promise;
      res.send(200, undefined, [], "ok");
    }, {}, (n) => done.push(n));
    const idle = connect();
    idle.send(GET("/fast"));
    const busy = connect();
    busy.send(GET("/slow"));
    await settle();
    expect(server.connections).toBe(2);
    server.closeIdle();
    // The idle one may have a request on its way: it closes only after DRAIN_IDLE_MS without one.
    expect(idle.ended).toBe(false);
    timers.advance(DRAIN_IDLE_MS + 500);
    expect(idle.ended).toBe(true);
    expect(busy.ended).toBe(false);
    let drained = false;
    void server.drain().then(() => (drained = true));
    await settle();
    expect(drained).toBe(false);
    gate.resolve();
    await settle();
    expect(splitResponses(busy.text())[0].headers.connection).toBe("close");
    expect(busy.ended).toBe(true);
    expect(drained).toBe(true);
    expect(server.connections).toBe(0);
    expect(server.requestsServed).toBe(2);
    expect(done).toEqual([1, 2]);
  });

  it("closeIdle: an idle keep-alive connection's next request is answered with Connection: close, then it closes", async () => {
    const { connect, server, timers } = makeServer(echo, { keepalive: 30 });
    const c = connect();
    c.send(GET("/one"));
    await settle();
    server.closeIdle();
    timers.advance(DRAIN_IDLE_MS / 2);
    expect(c.ended).toBe(false);
    c.send(GET("/two"));
    await settle();
    const responses = splitResponses(c.text());
    expect(responses).toHaveLength(2);
    expect(responses[1].headers.connection).toBe("close");
    expect(c.ended).toBe(true);
  });

  it("closeIdle keeps a just-accepted connection until its first response (no reset mid-request)", async () => {
    const { connect, server } = makeServer(echo);
    const fresh = connect();
    server.closeIdle();
    expect(fresh.ended).toBe(false);
    fresh.send(GET("/late"));
    await settle();
    const [response] = splitResponses(fresh.text());
    expect(response.status).toBe(200);
    expect(response.headers.connection).toBe("close");
    expect(fresh.ended).toBe(true);
  });

  it("header_map=refuse answers 400 to underscore headers", () => {
    const { connect } = makeServer(echo, { headerMap: "refuse" });
    const s = connect();
    s.send(GET("/", "X_Forwarded_For: 1.2.3.4\r\n"));
    expect(splitResponses(s.text())[0].status).toBe(400);
  });

  it("rejects bad options", () => {
    expect(() => makeServer(echo, { keepalive: -1 })).toThrow(/keepalive/);
    expect(() => makeServer(echo, { headerMap: "nope" as "drop" })).toThrow(/headerMap/);
  });
});
