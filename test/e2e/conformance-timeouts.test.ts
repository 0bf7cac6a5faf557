/**
 * HTTP/1.1 conformance, part 5: timeouts: idle keep-alive (`--keep-alive`) and
 * slow request heads (`--header-timeout`, slowloris), and that neither cuts a
 * request that is legitimately slow. Tests in this file wait on timers, so
 * they run concurrently (each on its own connection) to keep the suite short.
 */
import { describe, expect, test } from "vitest";
import { CONFORMANCE_RUNTIMES, WAIT_MS as WAIT, connDump, dump, expectEcho, hasClose, useServer, withConn } from "./conformance-helpers.ts";
import { exchange, req, sleep } from "./raw-client.ts";

describe.each(CONFORMANCE_RUNTIMES)("conformance: timeouts [%s]", (runtime) => {
  const keepalive1 = useServer(runtime, ["--keep-alive", "1"]);
  const headerTimeout1 = useServer(runtime, ["--header-timeout", "1"]);
  const why = connDump;

  describe.concurrent("idle keep-alive (--keep-alive 1)", () => {
    test("idle keep-alive connection is closed after --keep-alive 1", async () => {
      await withConn(keepalive1.port, async (c) => {
        await c.write(req("GET", "/echo"));
        const p = await c.waitForResponses(1, WAIT);
        expect(p.finals.length, why(c)).toBe(1);
        const answeredAt = Date.now();
        const closed = await c.waitForClose(1000 + 4000);
        expect(closed, `not closed within keepalive + 4 s\n${why(c)}`).toBe(true);
        // Not closed right away either: the response itself was keep-alive.
        expect(c.closedAt! - answeredAt, why(c)).toBeGreaterThanOrEqual(500);
        expect(c.parse().finals.length, why(c)).toBe(1);
      });
    });

    test("--keep-alive 1 does not cut a request whose app takes longer than that", async () => {
      const r = await exchange(keepalive1.port, req("GET", "/slow?ms=1500"), { until: 1 });
      expectEcho(r.finals[0], "GET", "/slow?ms=1500", "", dump(r));
    });

    test("--keep-alive 1 does not cut a request whose body arrives slowly", async () => {
      await withConn(keepalive1.port, async (c) => {
        await c.write("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 6\r\n\r\nabc");
        await sleep(1500);
        await c.write("def");
        const p = await c.waitForResponses(1, WAIT);
        expectEcho(p.finals[0], "POST", "/echo", "abcdef", why(c));
      });
    });

    test("a connection that is used again before --keep-alive 1 expires stays open", async () => {
      await withConn(keepalive1.port, async (c) => {
        for (let i = 1; i <= 3; i++) {
          await c.write(req("GET", `/echo?n=${i}`));
          const p = await c.waitForResponses(i, WAIT);
          expectEcho(p.finals[i - 1], "GET", `/echo?n=${i}`, "", why(c));
          await sleep(300);
        }
        expect(c.closed, why(c)).toBe(false);
      });
    });
  });

  describe.concurrent("slow clients (--header-timeout 1)", () => {
    test("half a head, then silence → closed (408 or plain close) within the timeout + slack", async () => {
      await withConn(headerTimeout1.port, async (c) => {
        const started = Date.now();
        await c.write("GET /echo HTTP/1.1\r\nHost: te");
        const closed = await c.waitForClose(1000 + 5000);
        expect(closed, `still open after header timeout + 5 s\n${why(c)}`).toBe(true);
        expect(c.closedAt! - started, why(c)).toBeGreaterThanOrEqual(500);
        const p = c.parse();
        expect(p.finals.every((res) => res.status === 408), why(c)).toBe(true);
        expect(p.finals.every((res) => hasClose(res) && /^text\/plain\b/i.test(res.header("content-type") ?? "")), why(c)).toBe(true);
        expect(p.rest.length, why(c)).toBe(0);
      });
    });

    test("a head trickled one byte every 150 ms is cut off by the header timeout", async () => {
      await withConn(headerTimeout1.port, async (c) => {
        const started = Date.now();
        const head = "GET /echo HTTP/1.1\r\nHost: test\r\nX-Slow: " + "s".repeat(60);
        for (const ch of head) {
          if (c.closed || Date.now() - started > 6000) break;
          await c.write(ch);
          await sleep(150);
        }
        const closed = await c.waitForClose(Math.max(0, 6000 - (Date.now() - started)));
        expect(closed, `trickling client kept the connection for 6 s\n${why(c)}`).toBe(true);
        expect(c.parse().finals.every((res) => res.status === 408), why(c)).toBe(true);
      });
    });

    test("a connection that sends nothing is closed too", async () => {
      await withConn(headerTimeout1.port, async (c) => {
        const closed = await c.waitForClose(1000 + 5000);
        expect(closed, why(c)).toBe(true);
        expect(c.parse().finals.every((res) => res.status === 408), why(c)).toBe(true);
      });
    });

    test("the header timeout does not apply to a slow app", async () => {
      const r = await exchange(headerTimeout1.port, req("GET", "/slow?ms=1500"), { until: 1 });
      expectEcho(r.finals[0], "GET", "/slow?ms=1500", "", dump(r));
    });

    test("the header timeout does not apply to a body that arrives after the head", async () => {
      await withConn(headerTimeout1.port, async (c) => {
        await c.write("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 6\r\n\r\nabc");
        await sleep(1500);
        await c.write("def");
        const p = await c.waitForResponses(1, WAIT);
        expectEcho(p.finals[0], "POST", "/echo", "abcdef", why(c));
      });
    });

    test("a complete request well within the header timeout is served", async () => {
      const r = await exchange(headerTimeout1.port, req("GET", "/echo?fast=1"), { until: 1 });
      expectEcho(r.finals[0], "GET", "/echo?fast=1", "", dump(r));
    });
  });
});
