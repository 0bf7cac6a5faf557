import { EventEmitter } from "node:events";
import { createServer } from "node:http";
import { Buffer } from "node:buffer";
import { Duplex, Readable } from "node:stream";
import express from "express";
import Fastify from "fastify";
import Koa from "koa";
import Router from "@koa/router";
import { describe, expect, it } from "vitest";
import { buildHandler, detectInterface } from "../../adapters/detect.ts";
import { ServerCore } from "../../core/server/server.ts";
import type { RequestHandler } from "../../core/server/types.ts";
import { FakeSocket, FakeTimers, MemoryLogger, exchange } from "./fake-socket.ts";

const nodeStreams = { EventEmitter, Readable, Duplex, Buffer };

async function serve(app: unknown, forced: "auto" | "node" = "auto") {
  const logger = new MemoryLogger();
  const { handler, description } = await buildHandler(app, forced, { logger, nodeStreams });
  const server = new ServerCore({ handler: handler as RequestHandler, timers: new FakeTimers(), logger, options: { serverHeader: "" } });
  const connect = (): FakeSocket => {
    const socket = new FakeSocket();
    socket.handlers = server.accept(socket);
    return socket;
  };
  return { server, logger, connect, description };
}

const GET = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: example.com\r\n${extra}\r\n`;

describe("node interface", () => {
  it("detects node shapes and refuses ambiguous two-parameter functions", () => {
    expect(detectInterface(express())).toBe("node");
    expect(detectInterface(new Koa())).toBe("node");
    expect(detectInterface(Fastify())).toBe("node");
    expect(detectInterface(createServer())).toBe("node");
    expect(detectInterface((req: unknown, res: unknown) => [req, res])).toBe("node");
    expect(detectInterface((environ: unknown, startResponse: unknown) => [environ, startResponse])).toBe("gateway");
    expect(() => detectInterface((a: unknown, b: unknown) => [a, b], "auto", "app")).toThrow(
      "export app is a function of two parameters (a, b): cannot tell a gateway app (environ, startResponse) from a node handler (req, res); name its parameters so, or choose with --interface fetch, gateway or node",
    );
  });

  it("serves an Express app: routing, json body, query, errors", async () => {
    const app = express();
    app.use(express.json());
    app.get("/hello/:name", (req, res) => {
      res.set("X-Q", String(req.query.q)).send(`hi ${req.params.name}`);
    });
    app.post("/echo", (req, res) => {
      res.json({ got: req.body, ip: req.ip, protocol: req.protocol });
    });
    app.get("/boom", () => {
      throw new Error("boom");
    });
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(418).send(`caught ${err.message}`);
    });
    const { connect, description } = await serve(app);
    expect(description).toBe("node (Express)");
    const s = connect();
    const [r1] = await exchange(s, GET("/hello/bob?q=1"));
    expect(r1.status).toBe(200);
    expect(r1.body).toBe("hi bob");
    expect(r1.headers["x-q"]).toBe("1");
    expect(r1.headers["content-length"]).toBe("6");
    const s2 = connect();
    const body = JSON.stringify({ a: 1 });
    const [r2] = await exchange(
      s2,
      `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(r2.status).toBe(200);
    expect(JSON.parse(r2.body)).toEqual({ got: { a: 1 }, ip: "127.0.0.1", protocol: "http" });
    const s3 = connect();
    const [r3] = await exchange(s3, GET("/boom"));
    expect(r3.status).toBe(418);
    expect(r3.body).toBe("caught boom");
  });

  it("serves Koa and Fastify apps", async () => {
    const koa = new Koa();
    const router = new Router();
    router.get("/k/:id", (ctx) => {
      ctx.body = { id: ctx.params.id };
    });
    koa.use(router.routes());
    const k = await serve(koa);
    expect(k.description).toBe("node (Koa)");
    const [r1] = await exchange(k.connect(), GET("/k/7"));
    expect(r1.status).toBe(200);
    expect(JSON.parse(r1.body)).toEqual({ id: "7" });

    const fastify = Fastify();
    fastify.post("/f", async (request) => ({ got: request.body }));
    const f = await serve(fastify);
    expect(f.description).toBe("node (Fastify)");
    const body = JSON.stringify({ b: 2 });
    const [r2] = await exchange(
      f.connect(),
      `POST /f HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(r2.status).toBe(200);
    expect(JSON.parse(r2.body)).toEqual({ got: { b: 2 } });
  });
});
