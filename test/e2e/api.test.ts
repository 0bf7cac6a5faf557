/**
 * The programmatic API from source on Node (runtimes/node/api.ts; the
 * packed tarball on Node, Deno and Bun is test/e2e/package.test.ts):
 * `serve()` of a fetch app, a gateway app, a node app and a module path, graceful
 * `stop()`, an app's `port`/`hostname` as the bind when none is given, and
 * one-line errors for bad options.
 */
import path from "node:path";
import { describe, expect, test } from "vitest";
import { defineConfig, serve } from "../../runtimes/node/api.ts";
import { ROOT } from "./harness.ts";
import { request } from "./http-client.ts";

const portOf = (url: string) => Number(new URL(url).port);

describe("serve()", () => {
  test("a fetch app object: serves, then stops gracefully with a request in flight", async () => {
    let release: () => void = () => {};
    let started: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => (started = resolve));
    const server = await serve({
      app: {
        async fetch(req: Request) {
          if (new URL(req.url).pathname === "/slow") {
            started();
            await new Promise<void>((resolve) => (release = resolve));
          }
          return new Response(`fetch ${new URL(req.url).pathname}\n`);
        },
      },
      bind: "127.0.0.1:0",
      graceful_timeout: 10,
    });
    expect(server.urls).toEqual([server.url]);
    expect(await request(portOf(server.url), "/a")).toMatchObject({ status: 200, body: "fetch /a\n" });
    const slow = request(portOf(server.url), "/slow");
    await inFlight;
    const stopped = server.stop();
    release();
    expect(await slow).toMatchObject({ status: 200, body: "fetch /slow\n" });
    expect(await stopped).toBe(true);
    await expect(request(portOf(server.url), "/a", { timeoutMs: 2000 })).rejects.toThrow();
  });

  test("a gateway app and a module path", async () => {
    const gateway = await serve({
      app: (environ: Record<string, unknown>, startResponse: (status: string, headers: [string, string][]) => void) => {
        startResponse("200 OK", [["Content-Type", "text/plain"]]);
        return [`gateway ${String(environ.PATH_INFO)}\n`];
      },
      bind: ["127.0.0.1:0"],
    });
    const fromFile = await serve({ app: path.join(ROOT, "examples/hello/app.js"), bind: "127.0.0.1:0" });
    try {
      expect(await request(portOf(gateway.url), "/g")).toMatchObject({ status: 200, body: "gateway /g\n" });
      expect(await request(portOf(fromFile.url), "/?name=api")).toMatchObject({ status: 200, body: "Hello, api!\n" });
    } finally {
      await gateway.stop();
      await fromFile.stop();
    }
  });

  test("no bind option: a Bun.serve-style app's port and hostname are the bind; a bad port is one line", async () => {
    const server = await serve({ app: { port: 0, hostname: "127.0.0.1", fetch: () => new Response("from the app's port\n") } });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(portOf(server.url)).toBeGreaterThan(0);
      expect(await request(portOf(server.url), "/")).toMatchObject({ status: 200, body: "from the app's port\n" });
    } finally {
      await server.stop();
    }
    await expect(serve({ app: { port: 70000, fetch: () => new Response("") } })).rejects.toThrow(
      "serve(): app: `port` 70000 is not a port: expected an integer 0-65535",
    );
  });

  test("a node app (Express)", async () => {
    const { default: express } = await import("express");
    const app = express();
    app.get("/e", (_req, res) => void res.send("express\n"));
    const server = await serve({ app, bind: "127.0.0.1:0" });
    try {
      expect(await request(portOf(server.url), "/e")).toMatchObject({ status: 200, body: "express\n" });
    } finally {
      await server.stop();
    }
  });

  test("bad options are one-line errors naming serve() and the setting", async () => {
    await expect(serve({ app: { fetch: () => new Response("") }, workers: "lots" })).rejects.toThrow('serve(): workers: expected a positive integer or "auto", got "lots"');
    await expect(serve({ app: { fetch: () => new Response("") }, bnid: "x" } as never)).rejects.toThrow('serve(): unknown setting "bnid" (did you mean bind?)');
    await expect(serve({ app: 42 as never, bind: "127.0.0.1:0" })).rejects.toThrow(/^serve\(\): export app is not an app: expected {fetch}, .* got a number/);
    await expect(serve({ app: "no-such-file.js", bind: "127.0.0.1:0" })).rejects.toThrow(/no-such-file\.js/);
  });

  test("reads no TRICORN_* variable and installs no signal handler", async () => {
    const signals = ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT"] as const;
    const before = signals.map((signal) => process.listenerCount(signal));
    process.env.TRICORN_KEEPALIVE = "not a number"; // the command would refuse to start
    try {
      const server = await serve({ app: () => new Response("env\n"), bind: "127.0.0.1:0" });
      expect(signals.map((signal) => process.listenerCount(signal))).toEqual(before);
      expect(await request(portOf(server.url), "/")).toMatchObject({ status: 200, body: "env\n" });
      await server.stop();
    } finally {
      delete process.env.TRICORN_KEEPALIVE;
    }
  });

  test("defineConfig returns the config unchanged", () => {
    const config = { workers: 3, bind: "unix:/run/app.sock" } as const;
    expect(defineConfig(config)).toBe(config);
  });
});
