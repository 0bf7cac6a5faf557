/**
 * Hostile clients that stall after the request head: a body that stops
 * arriving (`--body-timeout`), a response nobody reads (`--send-timeout`),
 * and that neither bound cuts a client that is merely slow. Each test waits on
 * the server's coarse timers, so they run concurrently on their own connections.
 */
import { describe, expect, test } from "vitest";
import { CONFORMANCE_RUNTIMES, WAIT_MS as WAIT, connDump, expectEcho, hasClose, useServer, withConn } from "./conformance-helpers.ts";
import { sleep } from "./raw-client.ts";

/**
 * The bounds under test. The wheel is coarse (0.5 s ticks, and a refresh reads
 * the clock of the last tick), so a 2 s timeout fires 1.5-2.5 s after the last
 * progress: gaps of 0.4-0.6 s are well inside it even on a loaded machine.
 */
const TIMEOUT_S = 2;
const TIMEOUT_MS = TIMEOUT_S * 1000;
/** Slack for a loaded machine. */
const SLACK_MS = 4000;
const BIG = 32 * 1024 * 1024;

describe.each(CONFORMANCE_RUNTIMES)("stalled clients [%s]", (runtime) => {
  const server = useServer(runtime, ["--body-timeout", String(TIMEOUT_S), "--send-timeout", String(TIMEOUT_S), "--keep-alive", "30"]);
  const proxied = useServer(runtime, ["--proxy-protocol", "--header-timeout", "1"]);
  const why = connDump;

  test("a PROXY header that stops half-way counts within --header-timeout: closed", async () => {
    await withConn(proxied.port, async (c) => {
      const started = Date.now();
      await c.write("PROXY TCP4 192.0.2.1 ");
      const closed = await c.waitForClose(1000 + SLACK_MS);
      expect(closed, `still open after the header timeout + slack\n${why(c)}`).toBe(true);
      expect(Date.now() - started, why(c)).toBeGreaterThanOrEqual(400);
      expect(c.parse().finals.every((r) => r.status === 408), why(c)).toBe(true);
    });
  });

  describe.concurrent("--body-timeout 2", () => {
    test("a body that stops arriving before any response → 408 and close", async () => {
      await withConn(server.port, async (c) => {
        await c.write("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n0123456789");
        const started = Date.now();
        const closed = await c.waitForClose(TIMEOUT_MS + SLACK_MS);
        expect(closed, `still open after body timeout + slack\n${why(c)}`).toBe(true);
        expect(Date.now() - started, why(c)).toBeGreaterThanOrEqual(TIMEOUT_MS - 600);
        const p = c.parse();
        expect(p.finals.length, why(c)).toBe(1);
        expect(p.finals[0].status, why(c)).toBe(408);
        expect(hasClose(p.finals[0]), why(c)).toBe(true);
      });
    });

    test("a chunked body that stops arriving → 408 and close", async () => {
      await withConn(server.port, async (c) => {
        await c.write("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
        const closed = await c.waitForClose(TIMEOUT_MS + SLACK_MS);
        expect(closed, `still open after body timeout + slack\n${why(c)}`).toBe(true);
        expect(c.parse().finals.map((r) => r.status), why(c)).toEqual([408]);
      });
    });

    test("a body that stops arriving after the response was sent → the connection closes", async () => {
      await withConn(server.port, async (c) => {
        // /fixed answers without reading the body; the rest (90 bytes) would be read and dropped.
        await c.write("POST /fixed HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n0123456789");
        const p1 = await c.waitForResponses(1, WAIT);
        expect(p1.finals[0]?.status, why(c)).toBe(200);
        const closed = await c.waitForClose(TIMEOUT_MS + SLACK_MS);
        expect(closed, `still open after body timeout + slack\n${why(c)}`).toBe(true);
        expect(c.parse().finals.length, why(c)).toBe(1);
      });
    });

    test("a body trickled faster than the timeout is served in full", async () => {
      await withConn(server.port, async (c) => {
        await c.write("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\n");
        for (const ch of "abcde") {
          await sleep(400);
          await c.write(ch);
        }
        const p = await c.waitForResponses(1, WAIT);
        expectEcho(p.finals[0], "POST", "/echo", "abcde", why(c));
        expect(c.closed, why(c)).toBe(false);
      });
    });

    test("Expect: 100-continue: the wait for the app to ask for the body does not count", async () => {
      await withConn(server.port, async (c) => {
        // The app sleeps 3 s before it reads, so 100 Continue is sent only then.
        await c.write("POST /slow?ms=3000 HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
        const interim = await c.waitFor(() => c.received.includes("100 Continue"), WAIT);
        expect(interim, why(c)).toBe(true);
        await c.write("abc");
        const p = await c.waitForResponses(1, WAIT);
        expectEcho(p.finals[0], "POST", "/slow?ms=3000", "abc", why(c));
      });
    });
  });

  describe.concurrent("--send-timeout 2", () => {
    test("a large response the client never reads → the connection is closed", async () => {
      await withConn(server.port, async (c) => {
        c.pauseReading();
        await c.write(`GET /big?n=${BIG} HTTP/1.1\r\nHost: test\r\n\r\n`);
        // Not reading, the client cannot see the close until it reads again.
        await sleep(TIMEOUT_MS + SLACK_MS);
        c.resumeReading();
        const closed = await c.waitForClose(WAIT);
        expect(closed, `not closed\nreceived ${c.receivedLength} bytes`).toBe(true);
        expect(c.receivedLength, "the whole response arrived: the server waited for the reader").toBeLessThan(BIG);
      });
    });

    test("a client that reads slowly but steadily gets the whole response", async () => {
      await withConn(server.port, async (c) => {
        const n = 24 * 1024 * 1024;
        await c.write(`GET /big?n=${n} HTTP/1.1\r\nHost: test\r\n\r\n`);
        const deadline = Date.now() + 60_000;
        while (c.parse().finals.length === 0 && !c.closed && Date.now() < deadline) {
          c.pauseReading();
          await sleep(600);
          c.resumeReading();
          await sleep(30);
        }
        const p = c.parse();
        expect(p.finals.length, `received ${c.receivedLength} bytes, closed=${c.closed}`).toBe(1);
        expect(p.finals[0].body.length).toBe(n);
      });
    }, 90_000);
  });
});
