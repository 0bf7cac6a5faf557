/**
 * `--engine native` end to end, on Node, Deno and Bun: the runtime's own
 * HTTP server (node:http, Deno.serve, Bun.serve) serves fetch apps under
 * tricorn's arbiter — the Hono and fetch examples, streaming (SSE),
 * errors, body limits, graceful TERM, HUP reload, max_requests, the access
 * log, a unix socket — and a gateway app is refused with one line.
 *
 *   node_modules/.bin/vitest run test/e2e/native-engine
 */
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { NATIVE_FETCH_ONLY } from "../../core/worker/engine.ts";
import { TESTED_RUNTIMES, runCli, signalProcess, startServersPerTest, until, type RuntimeName } from "./harness.ts";
import { request } from "./http-client.ts";

const APP = "test/fixtures/native-app.js";
const NATIVE = ["--engine", "native"];

const startServer = startServersPerTest();

let tmp = "";
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tricorn-native-"));
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/**
 * GET `path` and resolve with the body, calling `onFirstChunk` once the
 * first bytes arrived (the request is then in flight on the server).
 */
function streamGet(port: number, urlPath: string, onFirstChunk: () => void, timeoutMs = 20_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: urlPath, agent: false }, (res) => {
      let body = "";
      let first = true;
      res.setEncoding("utf8");
      res.on("data", (text: string) => {
        body += text;
        if (first) {
          first = false;
          onFirstChunk();
        }
      });
      res.on("error", reject);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no complete answer to ${urlPath} within ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}

describe.each(TESTED_RUNTIMES)("--engine native on %s", (runtime: RuntimeName) => {
  test("serves the Hono example: GET, POST JSON, 404", async () => {
    const server = await startServer({ runtime, app: "examples/hono/app.ts", args: [...NATIVE, "-w", "2"] });
    expect(await request(server.port, "/")).toMatchObject({ status: 200, body: "Hello from Hono on tricorn!\n" });
    const list = await request(server.port, "/todos");
    expect(list.status).toBe(200);
    expect(list.headers["content-type"]).toMatch(/^application\/json/);
    expect(list.json()).toEqual([{ id: 1, title: "try tricorn", done: true }]);
    const created = await request(server.port, "/todos", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ title: "native" }),
    });
    expect(created.status).toBe(201);
    expect(created.json()).toMatchObject({ title: "native", done: false });
    const bad = await request(server.port, "/todos", { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect(bad.status).toBe(400);
    expect((await request(server.port, "/todos/999")).status).toBe(404);
    expect((await request(server.port, "/no/such/route")).status).toBe(404);
  });

  test("serves the fetch example, with the peer address in info", async () => {
    const server = await startServer({ runtime, app: "examples/hello-fetch/app.ts", args: [...NATIVE, "-w", "2"] });
    expect(await request(server.port, "/?name=Ada")).toMatchObject({ status: 200, body: "Hello, Ada!\n" });
    expect((await request(server.port, "/whoami")).json()).toEqual({ method: "GET", path: "/whoami", peer: "127.0.0.1" });
    expect(await request(server.port, "/missing")).toMatchObject({ status: 404, body: "Not Found\n" });
  });

  test("streams Server-Sent Events to the end; app errors are 500; bodies are read", async () => {
    const server = await startServer({ runtime, app: "examples/hono-app/app.ts", args: [...NATIVE] });
    const events = await request(server.port, "/events?count=5&delay=5");
    expect(events.status).toBe(200);
    expect(events.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(events.body.match(/^event: tick$/gm)).toHaveLength(5);
    expect(events.body).toContain('data: {"n":5,"of":5}');
    expect(events.body).toMatch(/event: done\ndata: bye\n\n$/);
    const sum = await request(server.port, "/sum", { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":1,"b":2}' });
    expect(sum.json()).toEqual({ sum: 3 });

    const fixture = await startServer({ runtime, app: APP, args: [...NATIVE] });
    const failed = await request(fixture.port, "/fail");
    expect(failed.status).toBe(500);
    await until(() => fixture.stderr().includes("boom from /fail"), () => fixture.stderr(), 5000);
    // A chunked upload (no content-length), read whole by the app.
    const chunks = [Buffer.alloc(3000, "a"), Buffer.alloc(5000, "b")];
    expect((await request(fixture.port, "/echo", { method: "POST", body: chunks })).body).toBe("got 8000 bytes\n");
  });

  test("--limit-request-body: larger bodies get 413, declared or chunked", async () => {
    const server = await startServer({ runtime, app: APP, args: [...NATIVE, "--limit-request-body", "100"] });
    expect((await request(server.port, "/echo", { method: "POST", body: "x".repeat(100) })).body).toBe("got 100 bytes\n");
    expect((await request(server.port, "/echo", { method: "POST", body: "x".repeat(101) })).status).toBe(413);
    const chunked = await request(server.port, "/echo", { method: "POST", body: [Buffer.alloc(80, "a"), Buffer.alloc(80, "b")] });
    expect(chunked.status).toBe(413);
  });

  test("TERM during an in-flight request: it completes, the master exits 0", async () => {
    const server = await startServer({ runtime, app: APP, args: [...NATIVE, "-w", "2"] });
    let stopping: Promise<unknown> | null = null;
    const answer = await streamGet(server.port, "/stream?ms=800", () => {
      stopping = server.stop("SIGTERM", 20_000);
    });
    expect(answer).toEqual({ status: 200, body: "started\ndone\n" });
    expect(stopping).not.toBeNull();
    expect(await stopping).toEqual({ code: 0, signal: null });
    expect(server.stderr()).toContain("Shutting down: Master");
  }, 40_000);

  test("HUP reloads onto new workers and keeps serving", async () => {
    const server = await startServer({ runtime, app: APP, args: [...NATIVE, "-w", "2"] });
    const pidsBefore = new Set<string>();
    for (let i = 0; i < 6; i++) pidsBefore.add((await request(server.port, "/pid")).body);
    signalProcess(server.pid, "SIGHUP");
    let served = 0;
    const refused: string[] = [];
    const stillServing = (async () => {
      while (!server.stderr().includes("Reload complete")) {
        try {
          const answer = await request(server.port, "/", { timeoutMs: 5000 });
          expect(answer.body).toBe("ok GET /\n");
          served++;
        } catch (error) {
          // With SO_REUSEPORT (Deno, Bun) and net.ipv4.tcp_migrate_req=0 a connection queued on
          // a stopping worker is reset by the kernel (see README); nothing else may fail.
          refused.push(String(error));
        }
      }
    })();
    await until(() => server.stderr().includes("Reload complete"), () => server.stderr(), 30_000);
    await stillServing;
    for (const error of refused) expect(error).toMatch(/ECONNRESET|socket hang up/);
    expect(served).toBeGreaterThan(0);
    // Once the old workers are gone, only new pids answer.
    await until(async () => !pidsBefore.has((await request(server.port, "/pid")).body), () => server.stderr(), 20_000);
    for (let i = 0; i < 6; i++) expect(pidsBefore.has((await request(server.port, "/pid")).body)).toBe(false);
  }, 60_000);

  test("--max-requests recycles the worker", async () => {
    const server = await startServer({ runtime, app: APP, args: [...NATIVE, "--max-requests", "3"] });
    const first = (await request(server.port, "/pid")).body;
    for (let i = 0; i < 3; i++) await request(server.port, "/");
    await until(() => server.stderr().includes("Autorestarting worker after current request."), () => server.stderr(), 10_000);
    // As in the HUP test above: only a reset from the worker swap is tolerated while polling.
    const answeredByAnother = async () => {
      try {
        return (await request(server.port, "/pid", { timeoutMs: 5000 })).body !== first;
      } catch (error) {
        expect(String(error)).toMatch(/ECONNRESET|socket hang up/);
        return false;
      }
    };
    await until(answeredByAnother, () => server.stderr(), 20_000);
  }, 40_000);

  test("--access-logfile -: one gunicorn-style line per response, streams logged at their end", async () => {
    const server = await startServer({ runtime, app: APP, args: [...NATIVE, "--access-logfile", "-"] });
    await request(server.port, "/hello?x=1", { headers: { "user-agent": "native-test", referer: "http://ref/" } });
    expect((await request(server.port, "/stream?ms=10")).body).toBe("started\ndone\n");
    expect((await request(server.port, "/fail")).status).toBe(500);
    await until(() => server.stdout().split("\n").length > 3, () => `access log lines, got:\n${server.stdout()}`, 5000);
    const lines = server.stdout().trim().split("\n");
    expect(lines[0]).toMatch(/^127\.0\.0\.1 - - \[[^\]]+\] "GET \/hello\?x=1 HTTP\/1\.1" 200 14 "http:\/\/ref\/" "native-test"$/);
    expect(lines[1]).toMatch(/"GET \/stream\?ms=10 HTTP\/1\.1" 200 13 /);
    expect(lines[2]).toMatch(/"GET \/fail HTTP\/1\.1" 500 21 /);
  });

  test("a unix socket bind", async () => {
    const socketPath = path.join(tmp, `${runtime}.sock`);
    const server = await startServer({ runtime, app: APP, args: [...NATIVE, "-b", `unix:${socketPath}`] });
    expect(server.url).toBe(`unix:${socketPath}`);
    expect((await request({ socketPath }, "/x")).body).toBe("ok GET /x\n");
  });

  test("a gateway app is refused with one line", async () => {
    const result = await runCli({ runtime, args: [...NATIVE, "-b", "127.0.0.1:0", "test/fixtures/smoke-app.js"] });
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split("\n").at(-1)).toBe(`tricorn: ${NATIVE_FETCH_ONLY}`);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  test("a setting the native engine cannot honour stops the master before any worker starts", async () => {
    const result = await runCli({ runtime, args: [...NATIVE, "--proxy-protocol", "-b", "127.0.0.1:0", APP] });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("tricorn: --proxy-protocol needs --engine core (a runtime's own HTTP server cannot read PROXY headers)\n");
  });
});
