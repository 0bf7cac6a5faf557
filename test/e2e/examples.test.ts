/**
 * Every example under examples/ answers on Node, Deno and Bun: the gateway
 * and fetch hellos, the Hono app (routes, path params, JSON, a Server-Sent
 * Events stream read to its end) and the upload app (8 MiB sent with
 * Content-Length and chunked; byte count and SHA-256 checked).
 * Every server is stopped by PID after its test.
 *
 *   node_modules/.bin/vitest run test/e2e/examples
 *   TRICORN_RUNTIMES=deno node_modules/.bin/vitest run test/e2e/examples
 */
import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import { TESTED_RUNTIMES, startServersPerTest, type RunningServer, type RuntimeName } from "./harness.ts";
import { request } from "./http-client.ts";

/** One parsed Server-Sent Event. */
interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** Parse a complete `text/event-stream` body (fields per the WHATWG spec, comments ignored). */
function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    if (block.trim() === "") continue;
    const event: SseEvent = { data: "" };
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "data") data.push(value);
      else if (field === "id") event.id = value;
      else if (field === "event") event.event = value;
    }
    event.data = data.join("\n");
    events.push(event);
  }
  return events;
}

/** 8 MiB of deterministic, non-repeating-looking bytes (xorshift32). */
function payload(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  let x = 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

const UPLOAD_SIZE = 8 * 1024 * 1024;
const UPLOAD = payload(UPLOAD_SIZE);
const UPLOAD_SHA256 = createHash("sha256").update(UPLOAD).digest("hex");
/** The upload split into 64 KiB pieces, as a streaming client would send it. */
const UPLOAD_PIECES = Array.from({ length: UPLOAD_SIZE / 65536 }, (_, i) => UPLOAD.subarray(i * 65536, (i + 1) * 65536));

/** POSTs `body` as JSON. */
function postJson(port: number, path: string, body: string) {
  return request(port, path, { method: "POST", headers: { "content-type": "application/json" }, body });
}

describe.each(TESTED_RUNTIMES)("examples on %s", (runtime: RuntimeName) => {
  // SIGTERM (SIGKILL after 5 s): a master process gets to stop its workers.
  const startServer = startServersPerTest("SIGTERM", 5_000);
  const serve = (app: string): Promise<RunningServer> => startServer({ runtime, app });

  test("examples/hello/app.js (gateway)", async () => {
    const server = await serve("examples/hello/app.js");
    const res = await request(server.port, "/?name=Ada");
    expect(res.status).toBe(200);
    expect(res.body).toBe("Hello, Ada!\n");
    expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
  });

  test("examples/hello-fetch/app.ts (fetch object)", async () => {
    const server = await serve("examples/hello-fetch/app.ts");
    const hello = await request(server.port, "/?name=Grace");
    expect(hello.status).toBe(200);
    expect(hello.body).toBe("Hello, Grace!\n");
    expect(hello.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect((await request(server.port, "/")).body).toBe("Hello, world!\n");
    const who = await request(server.port, "/whoami", { method: "DELETE" });
    expect(who.headers["content-type"]).toMatch(/^application\/json/);
    expect(who.json()).toEqual({ method: "DELETE", path: "/whoami", peer: "127.0.0.1" });
    expect((await request(server.port, "/nope")).status).toBe(404);
  });

  test("examples/hono-app/app.ts (routes, path params, JSON, SSE)", async () => {
    const server = await serve("examples/hono-app/app.ts");
    const index = await request(server.port, "/");
    expect(index.status).toBe(200);
    expect(index.json()).toMatchObject({ name: "hono-app" });

    const user = await request(server.port, "/users/42");
    expect(user.status).toBe(200);
    expect(user.headers["content-type"]).toMatch(/^application\/json/);
    expect(user.json()).toEqual({ id: 42, name: "user-42" });
    expect((await request(server.port, "/users/abc")).status).toBe(400);
    expect((await request(server.port, "/no/such/route")).status).toBe(404);

    const sum = await request(server.port, "/sum", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ a: 1, b: 2, c: 39 }),
    });
    expect(sum.status).toBe(200);
    expect(sum.json()).toEqual({ sum: 42 });
    const bad = await request(server.port, "/sum", { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect(bad.status).toBe(400);

    // The stream ends by itself after 5 ticks and a "done" event; `request` resolves only at its end.
    const sse = await request(server.port, "/events?count=5&delay=20");
    expect(sse.status).toBe(200);
    expect(sse.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(sse.headers["transfer-encoding"]).toBe("chunked"); // streamed, not buffered into one Content-Length body
    expect(sse.headers["content-length"]).toBeUndefined();
    const events = parseSse(sse.body);
    expect(events).toEqual([
      ...[1, 2, 3, 4, 5].map((n) => ({ id: String(n), event: "tick", data: JSON.stringify({ n, of: 5 }) })),
      { event: "done", data: "bye" },
    ]);
  });

  test("examples/express/app.js (node interface: Express)", async () => {
    const server = await serve("examples/express/app.js");
    const hello = await request(server.port, "/hello?name=Ada");
    expect(hello.status).toBe(200);
    expect(hello.body).toBe("Hello, Ada!\n");
    const created = await postJson(server.port, "/todos", JSON.stringify({ title: "milk" }));
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe("/todos/1");
    expect(created.json()).toEqual({ id: 1, title: "milk", done: false });
    expect((await request(server.port, "/todos/1")).json()).toEqual({ id: 1, title: "milk", done: false });
    const missing = await request(server.port, "/todos/9");
    expect(missing.status).toBe(404);
    expect(missing.json()).toEqual({ error: "no todo 9" });
    const bad = await postJson(server.port, "/todos", "{}");
    expect(bad.status).toBe(400);
  });

  test("examples/fastify/app.js (node interface: Fastify)", async () => {
    const server = await serve("examples/fastify/app.js");
    expect((await request(server.port, "/hello?name=Ada")).json()).toEqual({ hello: "Ada" });
    const sum = await postJson(server.port, "/sum", JSON.stringify({ a: 1, b: 2, c: 39 }));
    expect(sum.status).toBe(200);
    expect(sum.json()).toEqual({ sum: 42 });
    const invalid = await postJson(server.port, "/sum", JSON.stringify({ a: "x" }));
    expect(invalid.status).toBe(400);
  });

  test("examples/upload/app.js: 8 MiB with Content-Length and chunked", async () => {
    const server = await serve("examples/upload/app.js");
    const expected = { bytes: UPLOAD_SIZE, sha256: UPLOAD_SHA256 };

    const sized = await request(server.port, "/", {
      method: "POST",
      headers: { "content-type": "application/octet-stream", "content-length": String(UPLOAD_SIZE) },
      body: UPLOAD_PIECES,
    });
    expect(sized.status).toBe(200);
    expect(sized.json()).toMatchObject(expected);

    const chunked = await request(server.port, "/", {
      method: "PUT",
      headers: { "content-type": "application/octet-stream" },
      body: UPLOAD_PIECES,
    });
    expect(chunked.status).toBe(200);
    const answer = chunked.json() as { bytes: number; chunks: number; sha256: string };
    expect(answer).toMatchObject(expected);
    expect(answer.chunks).toBeGreaterThan(1); // the app really read the body in pieces

    const empty = await request(server.port, "/", { method: "POST", headers: { "content-length": "0" } });
    expect(empty.json()).toEqual({ bytes: 0, chunks: 0, sha256: createHash("sha256").digest("hex") });
    expect((await request(server.port, "/")).status).toBe(405);
  }, 60_000);
});
