/**
 * Shared helpers of the connection tests: a ServerCore on fake sockets and timers.
 */
import { ServerCore, type ServerCoreInit } from "../../core/server/server.ts";
import type { RequestHandler } from "../../core/server/types.ts";
import { FakeSocket, FakeTimers, MemoryLogger } from "./fake-socket.ts";

/** A ServerCore (no Server header) on fake timers; `connect()` opens a fake socket. */
export function makeServer(handler: RequestHandler, options: ServerCoreInit["options"] = {}, onRequestDone?: (n: number) => void) {
  const timers = new FakeTimers();
  const logger = new MemoryLogger();
  const server = new ServerCore({ handler, timers, logger, options: { serverHeader: "", ...options }, onRequestDone });
  const connect = (): FakeSocket => {
    const socket = new FakeSocket();
    socket.handlers = server.accept(socket);
    return socket;
  };
  return { server, timers, logger, connect };
}

/** Echoes method + target synchronously. */
export const echo: RequestHandler = (req, res) => {
  res.send(200, undefined, ["Content-Type", "text/plain"], `${req.head.method} ${req.head.target}`);
};

/** A minimal HTTP/1.1 GET request. */
export const GET = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;

/** A deferred promise. */
export function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

