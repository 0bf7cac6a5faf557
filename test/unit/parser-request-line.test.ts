import { describe, expect, it } from "vitest";
import { errorStatus, heads, runAllSplits, runParser } from "./parser-helpers.ts";

const H = "Host: example.com\r\n";

/** [name, raw request, expected status (0 = parses), expected head fields] */
const cases: [string, string, number, Record<string, unknown>?][] = [
  ["simple GET", `GET / HTTP/1.1\r\n${H}\r\n`, 0, { method: "GET", target: "/", versionMinor: 1 }],
  ["query string", `GET /a/b?c=d&e=%20 HTTP/1.1\r\n${H}\r\n`, 0, { target: "/a/b?c=d&e=%20" }],
  ["lower-case method is a legal token", `get / HTTP/1.1\r\n${H}\r\n`, 0, { method: "get" }],
  ["extension method", `M-SEARCH * HTTP/1.1\r\n${H}\r\n`, 400],
  ["extension method origin-form", `M-SEARCH / HTTP/1.1\r\n${H}\r\n`, 0, { method: "M-SEARCH" }],
  ["odd but valid token method", `!#$%&'*+-.^_\`|~ / HTTP/1.1\r\n${H}\r\n`, 0, { method: "!#$%&'*+-.^_`|~" }],
  ["OPTIONS *", `OPTIONS * HTTP/1.1\r\n${H}\r\n`, 0, { method: "OPTIONS", target: "*" }],
  ["OPTIONS origin-form", `OPTIONS /x HTTP/1.1\r\n${H}\r\n`, 0],
  ["CONNECT authority-form", `CONNECT example.com:443 HTTP/1.1\r\n${H}\r\n`, 0, { target: "example.com:443" }],
  ["CONNECT IPv6 literal", `CONNECT [::1]:8443 HTTP/1.1\r\n${H}\r\n`, 0],
  ["absolute-form", `GET http://h/p?q HTTP/1.1\r\n${H}\r\n`, 0, { target: "http://h/p?q" }],
  ["absolute-form https", `POST https://example.com:8443/ HTTP/1.1\r\n${H}\r\n`, 0],
  ["HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", 0, { versionMinor: 0, host: "", keepAlive: false }],
  ["HTTP/1.2 treated as 1.1", `GET / HTTP/1.2\r\n${H}\r\n`, 0, { versionMinor: 2, keepAlive: true }],
  ["HTTP/1.2 needs Host", "GET / HTTP/1.2\r\n\r\n", 400],
  ["one leading empty line", `\r\nGET / HTTP/1.1\r\n${H}\r\n`, 0],
  ["eight leading empty lines", `${"\r\n".repeat(8)}GET / HTTP/1.1\r\n${H}\r\n`, 0],
  ["nine leading empty lines", `${"\r\n".repeat(9)}GET / HTTP/1.1\r\n${H}\r\n`, 400],
  ["leading bare LF", `\nGET / HTTP/1.1\r\n${H}\r\n`, 400],
  ["leading bare CR", `\rGET / HTTP/1.1\r\n${H}\r\n`, 400],
  ["leading whitespace line", ` \r\nGET / HTTP/1.1\r\n${H}\r\n`, 400],
  ["leading space", ` GET / HTTP/1.1\r\n${H}\r\n`, 400],
  ["double SP after method", `GET  / HTTP/1.1\r\n${H}\r\n`, 400],
  ["double SP before version", `GET /  HTTP/1.1\r\n${H}\r\n`, 400],
  ["trailing SP", `GET / HTTP/1.1 \r\n${H}\r\n`, 400],
  ["HTAB separator", `GET\t/ HTTP/1.1\r\n${H}\r\n`, 400],
  ["invalid method char", `GE(T / HTTP/1.1\r\n${H}\r\n`, 400],
  ["method with obs-text", `G\xc9T / HTTP/1.1\r\n${H}\r\n`, 400],
  ["target with 0x80", `GET /\x80 HTTP/1.1\r\n${H}\r\n`, 400],
  ["target with 0xff", `GET /\xff HTTP/1.1\r\n${H}\r\n`, 400],
  ["target with DEL", `GET /\x7f HTTP/1.1\r\n${H}\r\n`, 400],
  ["target with NUL", `GET /\x00 HTTP/1.1\r\n${H}\r\n`, 400],
  ["target with HTAB", `GET /a\tb HTTP/1.1\r\n${H}\r\n`, 400],
  ["target with fragment", `GET /echo#frag HTTP/1.1\r\n${H}\r\n`, 400],
  ["absolute-form with fragment", `GET http://h/p#f HTTP/1.1\r\n${H}\r\n`, 400],
  ["other URI-unsafe visible ASCII is accepted", `GET /a"<>\\^\`{|}b HTTP/1.1\r\n${H}\r\n`, 0, { target: '/a"<>\\^`{|}b' }],
  ["missing target", `GET HTTP/1.1\r\n${H}\r\n`, 400],
  ["HTTP/0.9 style (no version)", "GET /\r\n\r\n", 400],
  ["extra token after version", `GET / HTTP/1.1 x\r\n${H}\r\n`, 400],
  ["lower-case http name", `GET / http/1.1\r\n${H}\r\n`, 400],
  ["two-digit minor", `GET / HTTP/1.10\r\n${H}\r\n`, 400],
  ["no dot", `GET / HTTP/11\r\n${H}\r\n`, 400],
  ["major only", `GET / HTTP/1\r\n${H}\r\n`, 400],
  ["two-digit major", `GET / HTTP/01.1\r\n${H}\r\n`, 400],
  ["HTTP/2.0", `GET / HTTP/2.0\r\n${H}\r\n`, 505],
  ["HTTP/0.9", `GET / HTTP/0.9\r\n${H}\r\n`, 505],
  ["HTTP/3.1", `GET / HTTP/3.1\r\n${H}\r\n`, 505],
  ["HTTP/2 (no minor)", `GET / HTTP/2\r\n${H}\r\n`, 400],
  ["asterisk with GET", `GET * HTTP/1.1\r\n${H}\r\n`, 400],
  ["asterisk with suffix", `OPTIONS *x HTTP/1.1\r\n${H}\r\n`, 400],
  ["CONNECT origin-form", `CONNECT / HTTP/1.1\r\n${H}\r\n`, 400],
  ["CONNECT absolute-form", `CONNECT http://h:80/ HTTP/1.1\r\n${H}\r\n`, 400],
  ["CONNECT without port", `CONNECT example.com HTTP/1.1\r\n${H}\r\n`, 400],
  ["CONNECT non-numeric port", `CONNECT example.com:https HTTP/1.1\r\n${H}\r\n`, 400],
  ["CONNECT empty host", `CONNECT :443 HTTP/1.1\r\n${H}\r\n`, 400],
  ["CONNECT empty port", `CONNECT example.com: HTTP/1.1\r\n${H}\r\n`, 400],
  ["CONNECT six-digit port", `CONNECT example.com:123456 HTTP/1.1\r\n${H}\r\n`, 400],
  ["CONNECT two ports", `CONNECT example.com:1:2 HTTP/1.1\r\n${H}\r\n`, 400],
  ["CONNECT userinfo", `CONNECT u@example.com:443 HTTP/1.1\r\n${H}\r\n`, 400],
  ["authority-form with GET", `GET example.com:80 HTTP/1.1\r\n${H}\r\n`, 400],
  ["scheme without //", `GET http:/x HTTP/1.1\r\n${H}\r\n`, 400],
  ["target not starting with / or scheme", `GET ?a HTTP/1.1\r\n${H}\r\n`, 400],
  ["bare CR inside request line", `GET /\r HTTP/1.1\r\n${H}\r\n`, 400],
  // Escapes in the path (RFC 3986 §2.1), refused like nginx; the query is the app's to decode
  ["path with a malformed escape", `GET /%zz HTTP/1.1\r\n${H}\r\n`, 400],
  ["path with a lone % at the end", `GET /100% HTTP/1.1\r\n${H}\r\n`, 400],
  ["path with a cut-short escape", `GET /a%4 HTTP/1.1\r\n${H}\r\n`, 400],
  ["path with a cut-short escape before the query", `GET /a%4?x HTTP/1.1\r\n${H}\r\n`, 400],
  ["path with an encoded NUL", `GET /a%00b HTTP/1.1\r\n${H}\r\n`, 400],
  ["absolute-form path with a malformed escape", `GET http://h/%g1 HTTP/1.1\r\n${H}\r\n`, 400],
  ["path with valid escapes, both cases", `GET /a%41%2f%C3%A9 HTTP/1.1\r\n${H}\r\n`, 0],
  ["path escape at the very end", `GET /a%41 HTTP/1.1\r\n${H}\r\n`, 0],
  ["query with a malformed escape (passed as sent)", `GET /p?q=100%&r=%zz HTTP/1.1\r\n${H}\r\n`, 0],
  ["absolute-form query with a malformed escape", `GET http://h/p?%zz HTTP/1.1\r\n${H}\r\n`, 0],
  // Absolute-form authority (RFC 3986 §3.2, RFC 9110 §4.2)
  ["absolute-form bad pct-encoding in host", `GET http://e%x.com/ HTTP/1.1\r\n${H}\r\n`, 400],
  ["absolute-form pct-encoded host", `GET http://a%41b/ HTTP/1.1\r\n${H}\r\n`, 0],
  ["absolute-form userinfo", `GET http://user:pw@h/ HTTP/1.1\r\n${H}\r\n`, 400],
  ["absolute-form empty host", `GET http:///p HTTP/1.1\r\n${H}\r\n`, 400],
  ["absolute-form empty host with port", `GET HTTPS://:80/ HTTP/1.1\r\n${H}\r\n`, 400],
  ["absolute-form empty authority, other scheme", `GET file:///p HTTP/1.1\r\n${H}\r\n`, 0],
  ["absolute-form port over 65535", `GET http://h:65536/ HTTP/1.1\r\n${H}\r\n`, 400],
  ["absolute-form port 65535", `GET http://h:65535/ HTTP/1.1\r\n${H}\r\n`, 0],
  ["absolute-form non-numeric port", `GET http://h:x/ HTTP/1.1\r\n${H}\r\n`, 400],
  ["absolute-form authority then query", `GET http://h?q HTTP/1.1\r\n${H}\r\n`, 0, { target: "http://h?q" }],
  ["absolute-form IPv6", `GET http://[2001:db8::1]:8080/ HTTP/1.1\r\n${H}\r\n`, 0],
  ["absolute-form IPv6 with IPv4 tail", `GET http://[::ffff:10.0.0.1]/ HTTP/1.1\r\n${H}\r\n`, 0],
  ["absolute-form full IPv6", `GET http://[1:2:3:4:5:6:7:8]/ HTTP/1.1\r\n${H}\r\n`, 0],
  ["absolute-form IPvFuture", `GET http://[v1.a:b]/ HTTP/1.1\r\n${H}\r\n`, 0],
  ["absolute-form IP-literal not IPv6", `GET http://[zz]/ HTTP/1.1\r\n${H}\r\n`, 400],
  ["absolute-form IPv6 with two ::", `GET http://[1::2::3]/ HTTP/1.1\r\n${H}\r\n`, 400],
  ["absolute-form IPv6 with nine groups", `GET http://[1:2:3:4:5:6:7:8:9]/ HTTP/1.1\r\n${H}\r\n`, 400],
  ["absolute-form IPv6 group of five digits", `GET http://[12345::1]/ HTTP/1.1\r\n${H}\r\n`, 400],
  ["absolute-form IPv6 bad IPv4 tail", `GET http://[::1.2.3.256]/ HTTP/1.1\r\n${H}\r\n`, 400],
  ["absolute-form unclosed IP-literal", `GET http://[::1/ HTTP/1.1\r\n${H}\r\n`, 400],
  ["bare LF terminator", `GET / HTTP/1.1\n${H}\r\n`, 400],
  ["CR CR LF", `GET / HTTP/1.1\r\r\n${H}\r\n`, 400],
];

describe("request line", () => {
  it.each(cases)("%s", (_name, raw, status, fields) => {
    const events = runAllSplits(raw);
    expect(errorStatus(events)).toBe(status);
    if (status === 0) {
      expect(events.map((e) => e.type)).toEqual(["head", "complete"]);
      if (fields) expect(heads(events)[0]).toMatchObject(fields);
    }
  });

  it("permitBareLf accepts LF-only lines (and CRLF mixed in)", () => {
    const events = runAllSplits("\nGET /x HTTP/1.1\nHost: a\r\nX: y\n\n", { permitBareLf: true });
    expect(errorStatus(events)).toBe(0);
    expect(heads(events)[0]).toMatchObject({ target: "/x", headers: ["host", "a", "x", "y"] });
  });

  it("a bare CR is rejected as soon as it arrives, before its line or head ends", () => {
    expect(errorStatus(runParser("GET / HTTP/1.1\r\nHost: a\rb"))).toBe(400);
    expect(errorStatus(runParser("GET /\rx"))).toBe(400);
    // A CR as the last byte so far may still be followed by its LF.
    expect(errorStatus(runParser("GET / HTTP/1.1\r\nHost: a\r"))).toBe(0);
  });

  it("permitBareLf still rejects a bare CR", () => {
    expect(errorStatus(runAllSplits("GET / HTTP/1.1\rHost: a\n\n", { permitBareLf: true }))).toBe(400);
  });

  it("returns standard methods as the same interned strings", () => {
    const a = heads(runAllSplits(`POST / HTTP/1.1\r\n${H}\r\n`))[0];
    expect(a.method).toBe("POST");
  });

  it("error messages are short and human", () => {
    const e = runAllSplits(`GET / HTTP/2.0\r\n${H}\r\n`).find((x) => x.type === "error");
    expect(e).toMatchObject({ type: "error", status: 505, message: "HTTP version not supported" });
  });
});
