/**
 * Runtime-neutral checks of the core engine, written once and registered by
 * each runtime's own test runner (test/deno/core.test.ts with `deno test`,
 * test/bun/core.test.ts with `bun test`), so the pure-TypeScript core is
 * proven to run unchanged on Deno and Bun, not only under vitest on Node.
 * Only `node:assert/strict` is used (JSR, and so @std/assert, is unreachable).
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { HttpError } from "../../core/http/errors.ts";
import { RequestParser } from "../../core/http/parser.ts";
import type { ParserLimits } from "../../core/http/types.ts";
import { createHandler } from "../../adapters/detect.ts";
import { makeServer } from "../unit/connection-helpers.ts";
import { settle, splitResponses } from "../unit/fake-socket.ts";

/** One named check. */
export interface CoreCase {
  name: string;
  run(): void | Promise<void>;
}

const LIMITS: ParserLimits = { limitRequestLine: 4094, limitRequestFields: 100, limitRequestFieldSize: 8190, limitRequestBody: 0 };
const bytes = (text: string) => new TextEncoder().encode(text);

/** Parses `input` fed in pieces of `step` bytes; returns a log of events. */
function parseInPieces(input: Uint8Array, step: number): string[] {
  const log: string[] = [];
  const parser = new RequestParser(LIMITS, {
    onHead: (head) => log.push(`head ${head.method} ${head.target} ${head.headers.join("|")}`),
    onBody: (chunk) => log.push(`body ${new TextDecoder().decode(chunk)}`),
    onTrailers: (trailers) => log.push(`trailers ${trailers.join("|")}`),
    onComplete: () => log.push("complete"),
  });
  for (let at = 0; at < input.length; at += step) {
    let piece = input.subarray(at, Math.min(at + step, input.length));
    while (piece.length > 0) piece = piece.subarray(parser.execute(piece));
  }
  // Bodies may arrive in more or fewer pieces; compare their concatenation.
  return log.reduce<string[]>((out, line) => {
    const last = out[out.length - 1];
    if (line.startsWith("body ") && last?.startsWith("body ")) out[out.length - 1] = last + line.slice(5);
    else out.push(line);
    return out;
  }, []);
}

const PIPELINE = bytes(
  "GET /a?x=1 HTTP/1.1\r\nHost: h\r\nUser-Agent: t\r\n\r\n" +
    "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello" +
    "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nX-T: 1\r\n\r\n",
);

/** The checks. */
export const CORE_CASES: CoreCase[] = [
  {
    name: "parser: a pipelined sequence parses identically at every split size",
    run() {
      const whole = parseInPieces(PIPELINE, PIPELINE.length);
      assert.deepEqual(whole, [
        "head GET /a?x=1 host|h|user-agent|t",
        "complete",
        "head POST /b host|h|content-length|5",
        "body hello",
        "complete",
        "head PUT /c host|h|transfer-encoding|chunked",
        "body abc",
        "trailers x-t|1",
        "complete",
      ]);
      for (let step = 1; step < 40; step++) assert.deepEqual(parseInPieces(PIPELINE, step), whole, `split every ${step} bytes`);
    },
  },
  {
    name: "parser: smuggling shapes are typed errors with their status",
    run() {
      const cases: [string, number][] = [
        ["POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400],
        ["POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n", 400],
        ["POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501],
        ["GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n", 400],
        ["GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505],
        [`GET /${"a".repeat(5000)} HTTP/1.1\r\n`, 414],
      ];
      for (const [text, status] of cases) {
        const parser = new RequestParser(LIMITS, { onHead() {}, onBody() {}, onTrailers() {}, onComplete() {} });
        assert.throws(
          () => parser.execute(bytes(text)),
          (error: unknown) => error instanceof HttpError && error.status === status,
          JSON.stringify(text.slice(0, 60)),
        );
      }
    },
  },
  {
    name: "connection + gateway adapter: keep-alive, pipelining and a 400 that closes",
    async run() {
      const app = (environ: Record<string, unknown>, startResponse: (s: string, h: [string, string][]) => void) => {
        startResponse("200 OK", [["Content-Type", "text/plain"]]);
        return [`${environ.REQUEST_METHOD} ${environ.PATH_INFO} ${environ.QUERY_STRING}`];
      };
      const { connect } = makeServer(createHandler(app, "auto"));
      const socket = connect();
      socket.send("GET /one?a=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n");
      await settle();
      const [first, second] = splitResponses(socket.text());
      assert.equal(first.status, 200);
      assert.equal(first.body, "GET /one a=1");
      assert.equal(first.headers["content-length"], "12");
      assert.equal(second.body, "GET /two ");
      assert.equal(socket.ended, false);
      socket.clear();
      socket.send("GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n");
      await settle();
      const [error] = splitResponses(socket.text());
      assert.equal(error.status, 400);
      assert.equal(error.headers.connection, "close");
      assert.equal(socket.ended, true);
    },
  },
  {
    name: "connection + fetch adapter: a Hono app with JSON and a request body",
    async run() {
      const app = new Hono();
      app.post("/sum", async (c) => {
        const { a, b } = await c.req.json();
        return c.json({ sum: a + b });
      });
      const { connect } = makeServer(createHandler(app, "auto"));
      const socket = connect();
      const body = '{"a":2,"b":3}';
      socket.send(`POST /sum HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      for (let i = 0; i < 20 && splitResponses(socket.text()).length === 0; i++) await settle();
      const [response] = splitResponses(socket.text());
      assert.equal(response.status, 200);
      assert.match(response.headers["content-type"], /^application\/json/);
      assert.deepEqual(JSON.parse(response.body), { sum: 5 });
    },
  },
];
