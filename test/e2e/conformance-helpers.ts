/**
 * Shared pieces of the conformance suite (test/e2e/conformance-*.test.ts):
 * per-runtime server lifecycle and the assertions every file uses.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect } from "vitest";
import { TESTED_RUNTIMES, startServer } from "./harness.ts";
import { RawConnection, showBytes, type ExchangeResult, type RawResponse } from "./raw-client.ts";

/** Absolute path of the gateway fixture app. */
export const FIXTURE_APP = fileURLToPath(new URL("../fixtures/conformance-app.js", import.meta.url));

/** Runtimes under test (the harness's {@link TESTED_RUNTIMES}: `TRICORN_RUNTIMES=node` narrows them). */
export const CONFORMANCE_RUNTIMES: string[] = TESTED_RUNTIMES;

/** A server started for one describe block. */
export interface ServerRef {
  /** Port of the running server (valid inside tests). */
  readonly port: number;
  /** Server stderr so far, for failure messages. */
  stderr(): string;
}

/**
 * Starts the fixture app on `runtime` with extra CLI `args` before the
 * enclosing describe's tests and stops it (by PID, via the harness) after.
 */
export function useServer(runtime: string, args: string[] = [], app = FIXTURE_APP): ServerRef {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  beforeAll(async () => {
    server = await startServer({ runtime, app, args });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  }, 30_000);
  return {
    get port() {
      if (!server) throw new Error(`${runtime} server with args [${args.join(" ")}] did not start`);
      return server.port;
    },
    stderr: () => server?.stderr() ?? "",
  };
}

/** A human-readable dump of an exchange for assertion messages. */
export function dump(r: ExchangeResult): string {
  const state = [
    r.closed ? "closed by server" : "still open",
    r.timedOut ? "TIMED OUT" : "",
    r.socketError ? `socket error ${r.socketError}` : "",
    r.error ? `parse stopped: ${r.error}` : "",
    `${r.elapsedMs} ms`,
  ].filter(Boolean);
  return `[${state.join(", ")}] raw bytes:\n${showBytes(r.raw)}`;
}

/** A human-readable dump of a {@link RawConnection}'s state for assertion messages. */
export function connDump(c: RawConnection): string {
  return `[${c.closed ? "closed by server" : "still open"}${c.error ? `, socket error ${c.error}` : ""}] raw bytes:\n${showBytes(c.received)}`;
}

/** Opens a raw connection to `port`, runs `fn` with it, and always destroys it. */
export async function withConn<T>(port: number, fn: (c: RawConnection) => Promise<T>): Promise<T> {
  const c = await RawConnection.open(port);
  try {
    return await fn(c);
  } finally {
    c.destroy();
  }
}

/** Bounded wait for one response, a close, or an interim response. */
export const WAIT_MS = 5000;

/** `{ method, target, body }` of an echo response (first line `METHOD TARGET`, then the body). */
export function echoOf(res: RawResponse): { method: string; target: string; body: string } {
  const nl = res.text.indexOf("\n");
  const line = nl < 0 ? res.text : res.text.slice(0, nl);
  const sp = line.indexOf(" ");
  return { method: line.slice(0, sp), target: line.slice(sp + 1), body: nl < 0 ? "" : res.text.slice(nl + 1) };
}

/** True when the Connection header carries the `close` token. */
export function hasClose(res: RawResponse): boolean {
  return res.headerAll("connection").some((v) => v.split(",").some((t) => t.trim().toLowerCase() === "close"));
}

/**
 * Asserts a server-generated error response: exactly one response with the
 * given status, `Content-Type: text/plain`, `Connection: close`, the socket
 * closed afterwards, and no bytes after the response (nothing else answered).
 */
export function expectError(r: ExchangeResult, status: number): void {
  const why = dump(r);
  expect(r.finals.length, `one final response expected\n${why}`).toBe(1);
  const res = r.finals[0]!;
  expect(res.status, why).toBe(status);
  expect(res.header("content-type") ?? "", `Content-Type\n${why}`).toMatch(/^text\/plain\b/i);
  expect(hasClose(res), `Connection: close\n${why}`).toBe(true);
  expect(r.closed, `server must close after an error\n${why}`).toBe(true);
  expect(r.rest.length, `bytes after the error response\n${why}`).toBe(0);
}

/** Asserts one successful echo of `method target` with `body`. */
export function expectEcho(res: RawResponse | undefined, method: string, target: string, body = "", why = ""): void {
  expect(res, `missing response\n${why}`).toBeDefined();
  expect(res!.status, why).toBe(200);
  expect(echoOf(res!), why).toEqual({ method, target, body });
}

/**
 * A harmless request appended after a bad one: it must never be answered.
 * `Connection: close` makes a server that wrongly answers it close at once,
 * so a failing case fails fast instead of waiting for the keep-alive timeout.
 */
export const FOLLOW_UP = "GET /follow-up HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
