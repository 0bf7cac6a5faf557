/**
 * Node-style apps (Express 5, Fastify 5, Koa with @koa/router) served by
 * tricorn's core engine on Node, Deno and Bun: routing, query strings, JSON
 * bodies, express.static with ETag/Range/304, streamed responses, errors
 * through the framework's error handler, a client leaving mid-response (the
 * app sees 'close'), Expect: 100-continue, HEAD, keep-alive and pipelining.
 *
 *   node_modules/.bin/vitest run test/e2e/node-apps
 *   TRICORN_RUNTIMES=deno node_modules/.bin/vitest run test/e2e/node-apps
 */
import net from "node:net";
import { describe, expect, test } from "vitest";
import { TESTED_RUNTIMES, startServersPerTest, until, type RuntimeName } from "./harness.ts";
import { request } from "./http-client.ts";
import { RawConnection, exchange, req } from "./raw-client.ts";

/**
 * Requests /slow (a response that never ends by itself), leaves after its first bytes, and
 * waits until the app's /closes counter shows it saw 'close' on the unfinished response.
 */
async function expectCloseSeen(port: number): Promise<void> {
  const conn = await RawConnection.open(port);
  try {
    await conn.write(req("GET", "/slow"));
    expect(await conn.waitFor(() => conn.received.toString().includes("first"), 5000)).toBe(true);
  } finally {
    conn.destroy();
  }
  await until(async () => ((await request(port, "/closes")).json() as { seen: number }).seen === 1, "app saw 'close'", 10_000);
}

describe.each(TESTED_RUNTIMES)("node apps on %s", (runtime: RuntimeName) => {
  const startServer = startServersPerTest("SIGTERM", 5_000);

  test("Express: routing, query, JSON, errors, HEAD, static files", async () => {
    const server = await startServer({ runtime, app: "test/fixtures/node-express-app.js" });
    // The worker's log line may reach stderr just after the master's `Listening at:`.
    await until(() => server.stderr().includes("App interface: node (Express) (export default)"), "the interface log line", 5_000);
    const hello = await request(server.port, "/hello?name=Ada");
    expect(hello.status).toBe(200);
    expect(hello.body).toBe("hello Ada");
    expect(hello.headers["content-length"]).toBe("9");
    expect(hello.headers["x-powered-by"]).toBe("Express");

    const user = await request(server.port, "/users/42");
    expect(user.json()).toEqual({ id: "42", ip: "127.0.0.1", protocol: "http", version: "1.1" });

    const created = await request(server.port, "/json", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ a: [1, 2] }),
    });
    expect(created.status).toBe(201);
    expect(created.json()).toEqual({ got: { a: [1, 2] } });

    const boom = await request(server.port, "/boom");
    expect(boom.status).toBe(500);
    expect(boom.json()).toEqual({ caught: "kaboom" });

    const missing = await request(server.port, "/nope");
    expect(missing.status).toBe(404);

    // An Express app has no server to listen for 'upgrade': an upgrade request is an ordinary one.
    const upgrade = await exchange(server.port, req("GET", "/hello?name=up", ["Host: x", "Connection: Upgrade", "Upgrade: websocket"]), { until: 1 });
    expect([upgrade.finals[0].status, upgrade.finals[0].text]).toEqual([200, "hello up"]);

    const head = await exchange(server.port, req("HEAD", "/hello?name=Ada"), { until: 1, methods: ["HEAD"] });
    expect(head.finals[0].status).toBe(200);
    expect(head.finals[0].header("content-length")).toBe("9");
    expect(head.finals[0].body.length).toBe(0);

    const file = await request(server.port, "/static/file.txt");
    expect(file.status).toBe(200);
    expect(file.bytes.length).toBe(5000);
    const etag = file.headers.etag as string;
    expect(etag).toMatch(/^W\/"/);
    const again = await request(server.port, "/static/file.txt", { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(again.body).toBe("");
    const range = await request(server.port, "/static/file.txt", { headers: { range: "bytes=10-19" } });
    expect(range.status).toBe(206);
    expect(range.headers["content-range"]).toBe("bytes 10-19/5000");
    expect(range.body).toBe(file.body.slice(10, 20));
  });

  test("Express: streaming, client disconnect, 100-continue, keep-alive and pipelining", async () => {
    const server = await startServer({ runtime, app: "test/fixtures/node-express-app.js" });
    const streamed = await exchange(server.port, req("GET", "/stream"), { until: 1 });
    expect(streamed.finals[0].framing).toBe("chunked");
    expect(streamed.finals[0].text).toBe("chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\nend\n");

    await expectCloseSeen(server.port);

    const upload = await RawConnection.open(server.port);
    try {
      await upload.write(req("POST", "/upload", ["Host: x", "Content-Length: 5", "Expect: 100-continue"]));
      expect(await upload.waitFor(() => upload.received.toString().startsWith("HTTP/1.1 100 Continue\r\n\r\n"), 5000)).toBe(true);
      await upload.write("hello");
      expect(await upload.waitFor(() => upload.parse().finals.length === 1, 5000)).toBe(true);
      expect(JSON.parse(upload.parse().finals[0].text)).toEqual({ bytes: 5, complete: true });
    } finally {
      upload.destroy();
    }

    const pipelined = await exchange(
      server.port,
      req("GET", "/hello?name=1") + req("GET", "/users/2") + req("GET", "/hello?name=3"),
      { until: 3 },
    );
    expect(pipelined.finals.map((r) => r.text)).toEqual([
      "hello 1",
      expect.stringContaining('"id":"2"'),
      "hello 3",
    ]);
    expect(pipelined.closed).toBe(false);
  });

  test("http.Server export: raw header arrays, appendHeader, backpressure, piped file and body, errors", async () => {
    const server = await startServer({ runtime, app: "test/fixtures/node-server-app.js" });
    await until(() => server.stderr().includes("App interface: node (http.Server) (export default)"), "the interface log line", 5_000);
    const raw = await exchange(server.port, req("GET", "/raw"), { until: 1 });
    expect(raw.finals[0].reason).toBe("Fine");
    expect(raw.finals[0].headerAll("x-a")).toEqual(["1", "2"]);
    expect(raw.finals[0].text).toBe("raw");
    expect(raw.finals[0].framing).toBe("length");

    const headers = await exchange(server.port, req("GET", "/headers"), { until: 1 });
    expect(headers.finals[0].status).toBe(202);
    expect(headers.finals[0].reason).toBe("Taken");
    expect(headers.finals[0].headerAll("set-cookie")).toEqual(["a=1", "b=2"]);
    expect(headers.finals[0].headerAll("x-list")).toEqual(["1", "2"]);
    expect(JSON.parse(headers.finals[0].text)).toEqual({ cookie: ["a=1", "b=2"], names: ["set-cookie", "x-list"], sent: false });

    const info = await exchange(
      server.port,
      req("GET", "/request?x=1", ["Host: a.test", "Cookie: a=1", "Cookie: b=2", "Accept: x", "Accept: y", "Host-Extra: z"]),
      { until: 1 },
    );
    expect(JSON.parse(info.finals[0].text)).toEqual({
      method: "GET",
      url: "/request?x=1",
      httpVersion: "1.1",
      headers: { host: "a.test", cookie: "a=1; b=2", accept: "x, y", "host-extra": "z" },
      remoteAddress: "127.0.0.1",
      encrypted: false,
    });

    // A trusted proxy (127.0.0.1 by default) sets the client address and the scheme, as for the other interfaces.
    const proxied = await exchange(
      server.port,
      req("GET", "/request", ["Host: a.test", "X-Forwarded-For: 203.0.113.9", "X-Forwarded-Proto: https"]),
      { until: 1 },
    );
    expect(JSON.parse(proxied.finals[0].text)).toMatchObject({ remoteAddress: "203.0.113.9", encrypted: true });

    const file = await request(server.port, "/file");
    expect(file.status).toBe(200);
    expect(file.bytes.length).toBe(5000);

    const echoed = await request(server.port, "/echo", { method: "POST", body: [Buffer.from("abc"), Buffer.from("def")] });
    expect(echoed.body).toBe("abcdef");

    const thrown = await request(server.port, "/throw");
    expect(thrown.status).toBe(500);
    await until(() => server.stderr().includes("thrown by the handler"), "the handler's error in the log", 5_000);
    expect((await request(server.port, "/raw")).status).toBe(200);

    // A client that does not read: write() returns false, 'drain' follows once it reads again.
    const total = 32 * 1024 * 1024;
    const socket = net.connect({ host: "127.0.0.1", port: server.port });
    try {
      let received = 0;
      socket.pause();
      socket.on("data", (d: Buffer) => void (received += d.length));
      socket.write(req("GET", `/big?bytes=${total}`));
      await until(async () => ((await request(server.port, "/stats")).json() as { falses: number }).falses > 0, "write() returning false", 10_000);
      socket.resume();
      await until(() => received > total, "the whole body", 20_000);
      const stats = (await request(server.port, "/stats")).json() as { falses: number; drains: number; written: number };
      expect(stats.written).toBe(total);
      expect(stats.drains).toBe(stats.falses);
    } finally {
      socket.destroy();
    }
  });

  test("http.Server export: trailers after a chunked body, 103 Early Hints and 102 Processing", async () => {
    const server = await startServer({ runtime, app: "test/fixtures/node-server-app.js" });
    const trailers = await exchange(server.port, req("GET", "/trailers"), { until: 1 });
    const withTrailers = trailers.finals[0];
    expect(withTrailers.framing).toBe("chunked");
    expect(withTrailers.text).toBe("part1,part2");
    expect(withTrailers.trailers).toEqual([["X-Checksum", "abc123"], ["Server-Timing", "db;dur=5"], ["Server-Timing", "app;dur=7"]]);

    const onePiece = (await exchange(server.port, req("GET", "/trailers-one-piece"), { until: 1 })).finals[0];
    expect([onePiece.framing, onePiece.text, onePiece.trailers]).toEqual(["chunked", "one piece", [["X-Sum", "9"]]]);
    // Not chunked (Content-Length, or an HTTP/1.0 client): trailers are dropped, as node:http drops them.
    const sized = await exchange(server.port, req("GET", "/trailers-sized"), { until: 1 });
    expect([sized.finals[0].framing, sized.finals[0].text]).toEqual(["length", "sized"]);
    expect(sized.rest.length).toBe(0);
    const http10 = await exchange(server.port, req("GET", "/trailers", [], undefined, "HTTP/1.0"), { until: "close" });
    expect([http10.finals[0].framing, http10.finals[0].text, http10.finals[0].trailers]).toEqual(["close", "part1,part2", []]);
    const invalid = await request(server.port, "/trailers-invalid");
    expect(invalid.body).toBe("ERR_INVALID_HTTP_TOKEN,ERR_INVALID_CHAR");

    const hints = await exchange(server.port, req("GET", "/hints"), { until: 1 });
    expect(hints.responses.map((r) => r.status)).toEqual([103, 102, 200]);
    expect(hints.responses[0].headerAll("link")).toEqual(["</a.css>; rel=preload; as=style, </b.js>; rel=preload; as=script"]);
    expect(hints.responses[0].header("x-hint")).toBe("1");
    expect(hints.finals[0].text).toBe("final");
    // Never an informational response to an HTTP/1.0 client (RFC 9110 §15.2).
    const hints10 = await exchange(server.port, req("GET", "/hints", [], undefined, "HTTP/1.0"), { until: "close" });
    expect(hints10.responses.map((r) => r.status)).toEqual([200]);
    expect(hints10.finals[0].text).toBe("final");
  });

  test("a bare (req, res) function (export handler)", async () => {
    const server = await startServer({ runtime, app: "test/fixtures/node-server-app.js:handler" });
    await until(() => server.stderr().includes("App interface: node ((req, res) function) (export handler)"), "the interface log line", 5_000);
    const raw = await request(server.port, "/raw");
    expect(raw.body).toBe("raw");
  });

  // The same behaviours through Fastify's and Koa's own routing, bodies and error handling.
  test.each([
    ["Fastify", "test/fixtures/node-fastify-app.js"],
    ["Koa", "test/fixtures/node-koa-app.js"],
  ])("%s: routing, query, JSON, errors, HEAD, streaming, disconnect, pipelining", async (name, app) => {
    const server = await startServer({ runtime, app });
    await until(() => server.stderr().includes(`App interface: node (${name}) (export default)`), "the interface log line", 5_000);
    const hello = await request(server.port, "/hello?name=Ada");
    expect(hello.status).toBe(200);
    expect(hello.body).toBe("hello Ada");
    expect(hello.headers["content-length"]).toBe("9");

    const user = await request(server.port, "/users/42");
    expect(user.json()).toEqual({ id: "42", ip: "127.0.0.1", protocol: "http" });

    const created = await request(server.port, "/json", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: [Buffer.from('{"a": [1,'), Buffer.from(" 2]}")],
    });
    expect(created.status).toBe(201);
    expect(created.json()).toEqual({ got: { a: [1, 2] } });

    const boom = await request(server.port, "/boom");
    expect(boom.status).toBe(500);
    expect(boom.json()).toEqual({ caught: "kaboom" });
    expect((await request(server.port, "/nope")).status).toBe(404);

    const head = await exchange(server.port, req("HEAD", "/hello?name=Ada"), { until: 1, methods: ["HEAD"] });
    expect(head.finals[0].status).toBe(200);
    expect(head.finals[0].header("content-length")).toBe("9");
    expect(head.finals[0].body.length).toBe(0);

    const streamed = await exchange(server.port, req("GET", "/stream"), { until: 1 });
    expect(streamed.finals[0].framing).toBe("chunked");
    expect(streamed.finals[0].text).toBe("chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n");

    await expectCloseSeen(server.port);

    const pipelined = await exchange(server.port, req("GET", "/hello?name=1") + req("GET", "/hello?name=2"), { until: 2 });
    expect(pipelined.finals.map((r) => r.text)).toEqual(["hello 1", "hello 2"]);
    expect(pipelined.closed).toBe(false);
  });
});
