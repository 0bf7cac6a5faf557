import { Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { streamSSE } from "hono/streaming";
import { describe, expect, it } from "vitest";
import { createHandler, detectInterface } from "../../adapters/detect.ts";
import { fetchHandler, type FetchFunction } from "../../adapters/fetch.ts";
import { gatewayHandler, parseStatus, type GatewayApp } from "../../adapters/gateway.ts";
import type { Environ } from "../../core/server/environ.ts";
import { ServerCore } from "../../core/server/server.ts";
import type { RequestHandler } from "../../core/server/types.ts";
import { FakeSocket, FakeTimers, MemoryLogger, exchange, settle, splitResponses } from "./fake-socket.ts";

function serve(handler: RequestHandler) {
  const logger = new MemoryLogger();
  const server = new ServerCore({ handler, timers: new FakeTimers(), logger, options: { serverHeader: "" } });
  const connect = (): FakeSocket => {
    const socket = new FakeSocket();
    socket.handlers = server.accept(socket);
    return socket;
  };
  return { server, logger, connect };
}

const GET = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: example.com\r\n${extra}\r\n`;

describe("detectInterface", () => {
  it("detects fetch objects, gateway functions and fetch functions", () => {
    expect(detectInterface(new Hono())).toBe("fetch");
    expect(detectInterface({ fetch: () => new Response() })).toBe("fetch");
    expect(detectInterface((_e: unknown, _s: unknown) => [])).toBe("gateway");
    expect(detectInterface((_r: Request) => new Response())).toBe("fetch");
    expect(detectInterface(() => new Response())).toBe("fetch");
    expect(detectInterface((_a: unknown, _b: unknown) => [], "fetch")).toBe("fetch");
    expect(detectInterface((_r: unknown) => [], "gateway")).toBe("gateway");
  });

  it("rejects non-apps with a clear message", () => {
    expect(() => detectInterface(42, undefined, "app")).toThrow(
      "export app is not an app: expected {fetch}, an Express, Koa or Fastify app, an http.Server or a function, got a number; " +
        "choose the interface with --interface fetch, gateway or node",
    );
    expect(() => detectInterface({})).toThrow(/export default is not an app/);
    expect(() => detectInterface(null)).toThrow(/got null/);
    expect(() => detectInterface({ fetch: () => new Response() }, "gateway")).toThrow(
      "export default is not an app: expected a function (environ, startResponse) (interface gateway), " +
        "got a fetch app (an object with fetch()); drop --interface gateway",
    );
    expect(() => detectInterface({}, "gateway")).toThrow(/got an object without a fetch\(\) method$/);
    expect(() => detectInterface(() => 1, "bogus" as "fetch")).toThrow(/unknown app interface/);
  });

  it("createHandler wraps both kinds", async () => {
    const fetchApp = createHandler(() => new Response("f"), undefined, { logger: new MemoryLogger() });
    const gatewayApp = createHandler((_e: Environ, start: (s: string, h: [string, string][]) => void) => {
      start("200 OK", []);
      return ["g"];
    }, "auto");
    for (const [handler, body] of [[fetchApp, "f"], [gatewayApp, "g"]] as const) {
      const s = serve(handler).connect();
      const [r] = await exchange(s, GET("/"));
      expect(r.body).toBe(body);
    }
  });
});

describe("gateway adapter", () => {
  const logger = new MemoryLogger();
  const gw = (app: GatewayApp) => serve(gatewayHandler(app, { logger }));

  it("sends an array body in one write with Content-Length, synchronously", () => {
    let env!: Environ;
    const handler = gatewayHandler((environ, start) => {
      env = environ;
      start("200 OK", [["Content-Type", "text/plain"]]);
      return ["Hello ", new TextEncoder().encode("wörld")];
    }, { logger });
    const { connect } = serve((req, res) => {
      const result = handler(req, res);
      expect(result).toBeUndefined(); // no Promise for a synchronous app
    });
    const s = connect();
    s.send(GET("/p%20q?x=1"));
    expect(s.chunks.length).toBe(1);
    const [r] = splitResponses(s.text());
    expect(r.headers["content-length"]).toBe("12");
    expect(new TextDecoder().decode(s.chunks[0]).endsWith("Hello wörld")).toBe(true);
    expect(env.PATH_INFO).toBe("/p q");
    expect(env.QUERY_STRING).toBe("x=1");
    expect(env.SERVER_NAME).toBe("example.com");
  });

  it("parses status strings and numbers, keeps custom reasons", async () => {
    expect(parseStatus("404 Not Found")).toEqual([404, "Not Found"]);
    expect(parseStatus("299")).toEqual([299, undefined]);
    expect(parseStatus(201)).toEqual([201, undefined]);
    for (const bad of ["OK", "20 OK", "2000 OK", "200OK", "", 42.5, 1000]) expect(() => parseStatus(bad)).toThrow(TypeError);
    const s = gw((_e, start) => {
      start("299 Fine Indeed", { "X-A": "1", "X-N": 5 as unknown as string });
      return [];
    }).connect();
    const [r] = await exchange(s, GET("/"));
    expect(r.head.split("\r\n")[0]).toBe("HTTP/1.1 299 Fine Indeed");
    expect(r.headers["x-n"]).toBe("5");
    expect(r.headers["content-length"]).toBe("0");
  });

  it("a malformed status becomes a logged 500", async () => {
    const log = new MemoryLogger();
    const { connect } = serve(gatewayHandler((_e, start) => {
      start("two hundred", []);
      return [];
    }, { logger: log }));
    const s = connect();
    s.send(GET("/"));
    const [r] = splitResponses(s.text());
    expect(r.status).toBe(500);
  });

  it("streams generators with more chunks than the collect limit (chunked)", async () => {
    const s = gw(function* (_e, start) {
      start("200 OK", [["Content-Type", "text/plain"]]);
      for (let i = 0; i < 20; i++) yield `${i},`;
    }).connect();
    const [r] = await exchange(s, GET("/"));
    expect(r.headers["transfer-encoding"]).toBe("chunked");
    expect(r.body).toBe(Array.from({ length: 20 }, (_, i) => `${i},`).join(""));
  });

  it("collects short generators into one response", async () => {
    const s = gw(function* (_e, start) {
      start("200 OK", []);
      yield "a";
      yield "b";
    }).connect();
    const [r] = await exchange(s, GET("/"));
    expect(r.headers["content-length"]).toBe("2");
    expect(r.body).toBe("ab");
  });

  it("streams async iterables and awaits async apps", async () => {
    const s = gw(async (_e, start) => {
      await Promise.resolve();
      start("200 OK", []);
      return (async function* () {
        yield "x";
        await new Promise((r) => setTimeout(r, 2));
        yield new Uint8Array([0x79]);
      })();
    }).connect();
    const [r] = await exchange(s, GET("/"));
    expect(r.headers["transfer-encoding"]).toBe("chunked");
    expect(r.body).toBe("xy");
  });

  it("supports the imperative write() from startResponse", async () => {
    const s = gw((_e, start) => {
      const write = start("200 OK", []);
      write("early ");
      return ["late"];
    }).connect();
    const [r] = await exchange(s, GET("/"));
    expect(r.headers["transfer-encoding"]).toBe("chunked");
    expect(r.body).toBe("early late");
  });

  it("reads the request body through tricorn.input", async () => {
    const s = gw(async (environ, start) => {
      const text = await environ["tricorn.input"].text();
      start("200 OK", []);
      return [`${environ.CONTENT_LENGTH}:${text}`];
    }).connect();
    const [r] = await exchange(s, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    expect(r.body).toBe("5:hello");
  });

  it("calls close() on the body and replaces the response on startResponse(…, error)", async () => {
    let closed = 0;
    const s = gw((_e, start) => {
      start("200 OK", []);
      start("503 Busy", [["Retry-After", "1"]], new Error("changed my mind"));
      const body = ["x"] as string[] & { close?: () => void };
      body.close = () => void closed++;
      return body;
    }).connect();
    const [r] = await exchange(s, GET("/"));
    expect(r.status).toBe(503);
    expect(r.headers["retry-after"]).toBe("1");
    expect(closed).toBe(1);
  });

  it("startResponse twice without an error, or no startResponse, is a 500", async () => {
    for (const app of [
      ((_e, start) => {
        start("200 OK", []);
        start("200 OK", []);
        return [];
      }) as GatewayApp,
      (() => ["no start"]) as GatewayApp,
    ]) {
      const s = gw(app).connect();
      const [r] = await exchange(s, GET("/"));
      expect(r.status).toBe(500);
    }
  });

  it("an error in a streaming body after headers aborts the connection", async () => {
    const s = gw((_e, start) => {
      start("200 OK", []);
      return (async function* () {
        yield "a";
        await new Promise((r) => setTimeout(r, 1));
        throw new Error("stream broke");
      })();
    }).connect();
    s.send(GET("/"));
    for (let i = 0; i < 100 && !s.destroyed; i++) await new Promise((r) => setTimeout(r, 1));
    expect(s.destroyed).toBe(true);
  });

  it("rejects bad chunk types", async () => {
    const s = gw((_e, start) => {
      start("200 OK", []);
      return [42 as unknown as string];
    }).connect();
    const [r] = await exchange(s, GET("/"));
    expect(r.status).toBe(500);
  });
});

describe("fetch adapter with Hono", () => {
  const app = new Hono();
  app.get("/", (c) => c.text("Hello Hono!"));
  app.get("/json", (c) => c.json({ ok: true, q: c.req.query("q") }));
  app.get("/user/:id", (c) => c.text(`user ${c.req.param("id")} ua=${c.req.header("user-agent")}`));
  app.post("/echo", async (c) => c.json(await c.req.json(), 201));
  app.post("/form", async (c) => {
    const form = await c.req.formData();
    return c.text(`name=${form.get("name")}`);
  });
  app.get("/cookies", (c) => {
    setCookie(c, "a", "1");
    setCookie(c, "b", "2");
    return c.text(`had=${getCookie(c, "z")}`);
  });
  app.get("/info", (c) => {
    const env = c.env as { remoteAddr: { hostname: string; port: number } };
    return c.text(`${env.remoteAddr.hostname}:${env.remoteAddr.port} ${c.req.url} ${c.req.raw instanceof Request}`);
  });
  app.get("/sse", (c) =>
    streamSSE(c, async (stream) => {
      for (let i = 0; i < 3; i++) {
        await stream.writeSSE({ data: `tick ${i}` });
        await stream.sleep(2);
      }
    }));
  app.get("/wait", async (c) => {
    c.executionCtx.waitUntil(Promise.resolve());
    await new Promise((r) => setTimeout(r, 1));
    return c.body(null, 204);
  });

  const { connect } = serve(fetchHandler(app));

  it("serves text with Content-Length in one write", async () => {
    const s = connect();
    const [r] = await exchange(s, GET("/"));
    expect(r.status).toBe(200);
    expect(r.body).toBe("Hello Hono!");
    expect(r.headers["content-length"]).toBe("11");
    expect(r.headers["content-type"]).toMatch(/^text\/plain;\s?charset=UTF-8$/);
    expect(s.chunks.length).toBe(1);
  });

  it("routes, params, queries and headers", async () => {
    const s = connect();
    const rs = await exchange(s, GET("/json?q=z%20z") + GET("/user/42", "User-Agent: t/1\r\n") + GET("/nope"), 3);
    expect(JSON.parse(rs[0].body)).toEqual({ ok: true, q: "z z" });
    expect(rs[1].body).toBe("user 42 ua=t/1");
    expect(rs[2].status).toBe(404);
  });

  it("reads JSON and form bodies", async () => {
    const s = connect();
    const json = '{"a":[1,2]}';
    const form = "name=tri%20corn";
    const rs = await exchange(
      s,
      `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n\r\n${json}` +
        `POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\n\r\n${form}`,
      2,
    );
    expect(rs[0].status).toBe(201);
    expect(JSON.parse(rs[0].body)).toEqual({ a: [1, 2] });
    expect(rs[1].body).toBe("name=tri corn");
  });

  it("keeps multiple Set-Cookie headers", async () => {
    const s = connect();
    const [r] = await exchange(s, GET("/cookies", "Cookie: z=9\r\n"));
    expect(r.body).toBe("had=9");
    expect(r.head.match(/^set-cookie: /gim)?.length).toBe(2);
    expect(r.head).toContain("set-cookie: a=1; Path=/");
    expect(r.head).toContain("set-cookie: b=2; Path=/");
  });

  it("passes connection info as env and builds the URL", async () => {
    const s = connect();
    const [r] = await exchange(s, GET("/info?x=1"));
    expect(r.body).toBe("127.0.0.1:54321 http://example.com/info?x=1 true");
  });

  it("streams SSE chunk by chunk", async () => {
    const s = connect();
    const [r] = await exchange(s, GET("/sse"));
    expect(r.headers["content-type"]).toBe("text/event-stream");
    expect(r.headers["transfer-encoding"]).toBe("chunked");
    expect(r.body).toBe("data: tick 0\n\ndata: tick 1\n\ndata: tick 2\n\n");
    expect(s.chunks.length).toBeGreaterThan(2);
  });

  it("HEAD gets headers only; 204 has no body; waitUntil works", async () => {
    const s = connect();
    s.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
    for (let i = 0; i < 100 && !s.text().includes("\r\n\r\n"); i++) await new Promise((r) => setTimeout(r, 1));
    expect(s.text()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(s.text().endsWith("\r\n\r\n")).toBe(true);
    s.clear();
    const [r] = await exchange(s, GET("/wait"));
    expect(r.status).toBe(204);
  });
});

describe("fetch adapter", () => {
  it("answers a synchronous null-body Response without a Promise", () => {
    const handler = fetchHandler(() => new Response(null, { status: 302, headers: { Location: "/x" } }));
    const { connect } = serve((req, res) => {
      expect(handler(req, res)).toBeUndefined();
    });
    const s = connect();
    s.send(GET("/"));
    const [r] = splitResponses(s.text());
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe("/x");
    expect(r.headers["content-length"]).toBe("0");
  });

  it("calls {fetch} with this bound and passes info + ctx", async () => {
    const target = {
      prefix: "p:",
      fetch(this: { prefix: string }, req: Request, info: { remoteAddr: { transport: string } }, ctx: { waitUntil: unknown }) {
        return new Response(`${this.prefix}${req.method} ${info.remoteAddr.transport} ${typeof ctx.waitUntil}`);
      },
    };
    const s = serve(fetchHandler(target as unknown as { fetch: FetchFunction })).connect();
    const [r] = await exchange(s, GET("/"));
    expect(r.body).toBe("p:GET tcp function");
  });

  it("streams a slow ReadableStream and cancels it when the client leaves", async () => {
    let cancelled = false;
    let pulls = 0;
    const s = serve(fetchHandler(() => new Response(new ReadableStream({
      async pull(controller) {
        pulls++;
        await new Promise((r) => setTimeout(r, 2));
        controller.enqueue(new TextEncoder().encode(`chunk${pulls};`));
      },
      cancel() {
        cancelled = true;
      },
    })))).connect();
    s.send(GET("/"));
    for (let i = 0; i < 200 && !s.text().includes("chunk3;"); i++) await new Promise((r) => setTimeout(r, 1));
    expect(s.text()).toContain("Transfer-Encoding: chunked");
    s.reset();
    for (let i = 0; i < 200 && !cancelled; i++) await new Promise((r) => setTimeout(r, 1));
    expect(cancelled).toBe(true);
  });

  it("applies write backpressure to streams", async () => {
    let produced = 0;
    const s = serve(fetchHandler(() => new Response(new ReadableStream({
      pull(controller) {
        produced++;
        controller.enqueue(new Uint8Array(1000));
        if (produced === 50) controller.close();
      },
    }, { highWaterMark: 0 })))).connect();
    s.highWater = 2000;
    s.send(GET("/"));
    await settle(5);
    const stalledAt = produced;
    expect(stalledAt).toBeLessThan(50);
    for (let i = 0; i < 200 && produced < 50; i++) {
      s.flush();
      await settle(1);
    }
    s.flush();
    await settle(2);
    const [r] = splitResponses(s.text());
    expect(r.body.length).toBe(50_000);
  });

  it("the request body is a ReadableStream for POST and null for GET", async () => {
    const seen: string[] = [];
    const s = serve(fetchHandler(async (req: Request) => {
      if (req.body === null) {
        seen.push(`${req.method} null`);
        return new Response("none");
      }
      const reader = req.body.getReader();
      let total = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.length;
      }
      seen.push(`${req.method} ${total}`);
      return new Response(String(total));
    })).connect();
    const rs = await exchange(
      s,
      GET("/") + "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n",
      2,
    );
    expect(rs.map((r) => r.body)).toEqual(["none", "7"]);
    expect(seen).toEqual(["GET null", "POST 7"]);
  });

  it("materializes a real Request for clone() and signal", async () => {
    const s = serve(fetchHandler(async (req: Request) => {
      const copy = req.clone();
      const text = await copy.text();
      return new Response(`${text} ${req.signal.aborted} ${req.headers.get("x-a")}`);
    })).connect();
    const [r] = await exchange(s, "POST / HTTP/1.1\r\nHost: x\r\nX-A: b\r\nContent-Length: 2\r\n\r\nhi");
    expect(r.body).toBe("hi false b");
  });

  it("reading the body twice rejects", async () => {
    const s = serve(fetchHandler(async (req: Request) => {
      await req.text();
      const second = await req.text().then(() => "read", (e: Error) => e.name);
      return new Response(`${req.bodyUsed} ${second}`);
    })).connect();
    const [r] = await exchange(s, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
    expect(r.body).toBe("true TypeError");
  });

  it("a non-Response result or a throw becomes a 500", async () => {
    for (const fn of [() => "nope", () => { throw new Error("x"); }, async () => Promise.reject(new Error("y"))]) {
      const s = serve(fetchHandler(fn as unknown as FetchFunction)).connect();
      const [r] = await exchange(s, GET("/"));
      expect(r.status).toBe(500);
    }
  });
});
