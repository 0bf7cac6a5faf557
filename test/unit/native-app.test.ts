/**
 * The fetch glue of `--engine native` (adapters/native.ts) without a
 * server: errors and non-Responses become 500s, every response counts
 * towards max_requests, the body limit answers 413, and the access log gets
 * one record per response — complete bodies at once with their length,
 * streams when they end — while the bytes the client gets are unchanged.
 *
 *   node_modules/.bin/vitest run test/unit/native-app.test.ts
 */
import { describe, expect, test } from "vitest";
import type { AccessLogger, AccessRecord } from "../../core/log/access-log.ts";
import type { NativeRequestInfo } from "../../core/server/native-engine.ts";
import { createNativeApp } from "../../adapters/native.ts";
import { ServerStats } from "../../core/server/stats.ts";
import type { FetchApp } from "../../adapters/fetch.ts";
import { MemoryLogger } from "./fake-socket.ts";

const INFO: NativeRequestInfo = { remoteAddr: { hostname: "10.0.0.7", port: 5555 } };

/** What the access log received, copied at log time. */
interface Logged {
  status: number;
  bodyBytes: number;
  request: string;
  remote: string;
  responseType: string | null;
}

function setup(app: FetchApp, options: { log?: boolean; limit?: number; stats?: ServerStats } = {}) {
  const logger = new MemoryLogger();
  const logged: Logged[] = [];
  let done = 0;
  const accessLog: AccessLogger | null = options.log
    ? {
        now: () => 0,
        log(record: AccessRecord) {
          const headers = record.responseHeaders ?? [];
          const type = headers.indexOf("content-type");
          logged.push({
            status: record.status,
            bodyBytes: record.bodyBytes,
            request: `${record.head.method} ${record.head.target} ${record.head.headers.includes("user-agent") ? "ua" : "-"}`,
            remote: record.remoteAddress,
            responseType: type < 0 ? null : headers[type + 1],
          });
        },
      }
    : null;
  const native = createNativeApp(app, { logger, accessLog, requestDone: () => void done++, limitRequestBody: options.limit ?? 0, stats: options.stats });
  const call = async (path: string, init?: RequestInit) => await native.fetch(new Request(`http://example.com${path}`, init), INFO);
  return { native, logger, logged, call, done: () => done };
}

function slowStream(parts: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let i = 0;
  return new ReadableStream({
    async pull(controller) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (i < parts.length) controller.enqueue(encoder.encode(parts[i++]));
      else controller.close();
    },
  });
}

describe("createNativeApp", () => {
  test("passes the request, info and a context to the app; counts the response", async () => {
    const seen: unknown[] = [];
    const { call, done } = setup({
      fetch(request, info, ctx) {
        seen.push(request.url, (info as unknown as NativeRequestInfo).remoteAddr.hostname, typeof ctx.waitUntil);
        return new Response("hi");
      },
    });
    const response = await call("/a?b=1");
    expect(await response.text()).toBe("hi");
    expect(seen).toEqual(["http://example.com/a?b=1", "10.0.0.7", "function"]);
    expect(done()).toBe(1);
  });

  test("a throw, a rejection and a non-Response are logged 500s, still counted", async () => {
    const { call, logger, done } = setup((request: Request) => {
      const path = new URL(request.url).pathname;
      if (path === "/throw") throw new Error("sync boom");
      if (path === "/reject") return Promise.reject(new Error("async boom"));
      return "not a response" as unknown as Response;
    });
    for (const path of ["/throw", "/reject", "/other"]) {
      const response = await call(path);
      expect(response.status).toBe(500);
      expect(await response.text()).toBe("Internal Server Error");
    }
    expect(logger.at("error")).toEqual([
      "Error handling request GET /throw",
      "Error handling request GET /reject",
      "Error handling request GET /other: the fetch handler must return a Response, got string",
    ]);
    expect(done()).toBe(3);
  });

  test("limit_request_body: a declared length over it is 413 without calling the app; a chunked one fails to read", async () => {
    let calls = 0;
    const { call } = setup(
      async (request: Request) => {
        calls++;
        return new Response(`got ${(await request.arrayBuffer()).byteLength}`);
      },
      { limit: 10 },
    );
    expect((await call("/", { method: "POST", body: "x".repeat(11), headers: { "content-length": "11" } })).status).toBe(413);
    expect(calls).toBe(0);
    expect(await (await call("/", { method: "POST", body: "x".repeat(10) })).text()).toBe("got 10");
    const streamed = await call("/", { method: "POST", body: slowStream(["123456", "789012"]), duplex: "half" } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  test("access log: complete bodies at once with their length, unchanged bytes", async () => {
    const app = setup(
      (request: Request) => {
        const path = new URL(request.url).pathname;
        if (path === "/empty") return new Response(null, { status: 204 });
        if (path === "/sized") return new Response(new TextEncoder().encode("12345"), { headers: { "content-length": "5" } });
        return new Response("héllo", { status: 201, headers: { "content-type": "text/x-test" } });
      },
      { log: true },
    );
    const text = await app.call("/text?q=1", { headers: { "user-agent": "t" } });
    expect(text.status).toBe(201);
    expect(text.headers.get("content-type")).toBe("text/x-test");
    expect(await text.text()).toBe("héllo");
    await app.call("/empty");
    await app.call("/sized");
    expect(app.logged).toEqual([
      { status: 201, bodyBytes: 6, request: "GET /text?q=1 ua", remote: "10.0.0.7", responseType: "text/x-test" },
      { status: 204, bodyBytes: 0, request: "GET /empty -", remote: "10.0.0.7", responseType: null },
      { status: 200, bodyBytes: 5, request: "GET /sized -", remote: "10.0.0.7", responseType: null },
    ]);
  });

  test("access log: a stream passes through unchanged and is logged when it ends", async () => {
    const app = setup(() => new Response(slowStream(["a", "bb", "ccc", "dddd"])), { log: true });
    const response = await app.call("/stream");
    expect(app.logged).toEqual([]);
    expect(await response.text()).toBe("abbcccdddd");
    expect(app.logged).toMatchObject([{ status: 200, bodyBytes: 10, request: "GET /stream -" }]);
  });

  test("access log: a stream the client abandons is logged with what was sent", async () => {
    const app = setup(() => new Response(slowStream(["a", "bb", "ccc", "dddd"])), { log: true });
    const response = await app.call("/stream");
    const reader = response.body!.getReader();
    const first = await reader.read();
    await reader.cancel();
    expect(app.logged).toEqual([expect.objectContaining({ bodyBytes: first.value!.length })]);
  });

  test("counts responses and declared body lengths without reading response.body", async () => {
    // On Deno, reading `body` turns a string body into a stream that Deno.serve sends the slow way.
    let bodyReads = 0;
    class Watched extends Response {
      override get body() {
        bodyReads++;
        return super.body;
      }
    }
    for (const log of [false, true]) {
      bodyReads = 0;
      const stats = new ServerStats(() => 0, false);
      const app = setup(
        (request: Request) => {
          const path = new URL(request.url).pathname;
          if (path === "/sized") return new Watched("12345", { headers: { "content-length": "5" } });
          if (path === "/empty") return new Watched(null, { status: 204 });
          return new Watched("hello");
        },
        { stats, log },
      );
      for (const path of ["/sized", "/empty", "/plain"]) await app.call(path);
      await app.call("/sized", { method: "HEAD" });
      // With the access log on, a body of undeclared length (/plain) is read to count it.
      expect(bodyReads, `log: ${log}`).toBe(log ? 1 : 0);
      const counted = stats.snapshot();
      expect(counted.requests[0 * 5 + 1], "GET 2xx").toBe(3);
      expect(counted.requests[1 * 5 + 1], "HEAD 2xx").toBe(1);
      // Only declared lengths count (the runtime's server, not tricorn, writes the bytes).
      expect(counted.sentBodyBytes).toBe(5);
    }
  });

  test("without an access log the app's Response is returned as it is", async () => {
    const mine = new Response("same");
    const { call } = setup(() => mine);
    expect(await call("/")).toBe(mine);
  });
});
