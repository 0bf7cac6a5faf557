/**
 * Request targets and Host values that are not valid URIs are refused with 400
 * before the app sees them (RFC 9112 §3.2, RFC 3986; a path escape must be
 * `%` HEXDIG HEXDIG and not `%00`, as nginx checks), so an app's
 * `new URL(request.url)` never throws on input a client chose; a bare CR is
 * refused as soon as it is read. On Node, Deno and Bun.
 */
import { describe, expect, test } from "vitest";
import { CONFORMANCE_RUNTIMES, WAIT_MS, connDump, dump, useServer, withConn } from "./conformance-helpers.ts";
import { exchange } from "./raw-client.ts";

const APP = "test/fixtures/url-app.js";

const refused: [string, string][] = [
  ["absolute-form with bad pct-encoding in the host", "GET http://e%x.com/ HTTP/1.1\r\nHost: e\r\n\r\n"],
  ["absolute-form with userinfo", "GET http://user:pw@example.com/ HTTP/1.1\r\nHost: e\r\n\r\n"],
  ["absolute-form with an empty host", "GET http:///x HTTP/1.1\r\nHost: e\r\n\r\n"],
  ["absolute-form with a bad IP-literal", "GET http://[zz]/ HTTP/1.1\r\nHost: e\r\n\r\n"],
  ["absolute-form with a port over 65535", "GET http://example.com:70000/ HTTP/1.1\r\nHost: e\r\n\r\n"],
  ["Host with a port over 65535", "GET / HTTP/1.1\r\nHost: example.com:70000\r\n\r\n"],
  ["Host with bad pct-encoding", "GET / HTTP/1.1\r\nHost: e%x.com\r\n\r\n"],
  ["Host that is valid RFC 3986 but no URL host (IPv4 out of range)", "GET / HTTP/1.1\r\nHost: 1.2.3.256\r\n\r\n"],
  ["Host whose pct-encoding decodes to a forbidden host character", "GET / HTTP/1.1\r\nHost: a%2Fb\r\n\r\n"],
  ["path with a malformed escape", "GET /%zz HTTP/1.1\r\nHost: e\r\n\r\n"],
  ["path ending in a lone %", "GET /100% HTTP/1.1\r\nHost: e\r\n\r\n"],
  ["path with an encoded NUL", "GET /a%00b HTTP/1.1\r\nHost: e\r\n\r\n"],
];

describe.each(CONFORMANCE_RUNTIMES)("bad targets and Host [%s]", (runtime) => {
  const server = useServer(runtime, [], APP);

  test.concurrent.each(refused)("%s → 400, the app never runs", async (_name, raw) => {
    const r = await exchange(server.port, raw, { until: 1 });
    expect(r.finals[0]?.status, dump(r)).toBe(400);
    expect(r.finals[0]?.text ?? "", dump(r)).not.toMatch(/Internal Server Error/);
    if (r.closed) expect(r.rest.length, dump(r)).toBe(0);
  });

  test("valid absolute-form and IPv6 Host reach the app", async () => {
    const a = await exchange(server.port, "GET http://example.com:8080/p HTTP/1.1\r\nHost: e\r\nConnection: close\r\n\r\n", { until: 1 });
    expect(a.finals[0]?.text, dump(a)).toBe("example.com:8080 /p");
    const b = await exchange(server.port, "GET /q HTTP/1.1\r\nHost: [::1]:8000\r\nConnection: close\r\n\r\n", { until: 1 });
    expect(b.finals[0]?.text, dump(b)).toBe("[::1]:8000 /q");
    // Escapes in the path are checked; the query is the app's to decode.
    const c = await exchange(server.port, "GET /a%41?q=100%&r=%zz HTTP/1.1\r\nHost: e\r\nConnection: close\r\n\r\n", { until: 1 });
    expect(c.finals[0]?.text, dump(c)).toBe("e /a%41");
  });

  test("a bare CR in a header line is refused before the line (or the head) ends", async () => {
    await withConn(server.port, async (c) => {
      await c.write("GET / HTTP/1.1\r\nHost: example.com\r\nX-A: a\rb");
      const p = await c.waitForResponses(1, WAIT_MS);
      expect(p.finals[0]?.status, connDump(c)).toBe(400);
      expect(await c.waitForClose(WAIT_MS), connDump(c)).toBe(true);
    });
  });

  test("no request above was logged as an app error", () => {
    expect(server.stderr()).not.toMatch(/Error handling|Internal error/);
  });
});
