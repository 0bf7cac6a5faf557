import { describe, expect, it } from "vitest";
import { bytes, errorStatus, heads, runAllSplits, runParser, splitAt } from "./parser-helpers.ts";

const RL = "GET / HTTP/1.1\r\n";
const H = "Host: example.com\r\n";

/** [name, header lines (after the request line), expected status, expected head fields] */
const cases: [string, string, number, Record<string, unknown>?][] = [
  ["names lower-cased, order and duplicates kept", `${H}X-A: 1\r\nx-a: 2\r\nUSER-AGENT: u\r\n`, 0,
    { headers: ["host", "example.com", "x-a", "1", "x-a", "2", "user-agent", "u"] }],
  ["OWS trimmed around value", `${H}X:  \t a b \t \r\n`, 0, { headers: ["host", "example.com", "x", "a b"] }],
  ["no OWS at all", `${H}X:v\r\n`, 0, { headers: ["host", "example.com", "x", "v"] }],
  ["empty value", `${H}X:\r\n`, 0, { headers: ["host", "example.com", "x", ""] }],
  ["whitespace-only value", `${H}X:   \r\n`, 0, { headers: ["host", "example.com", "x", ""] }],
  ["HTAB inside value", `${H}X: a\tb\r\n`, 0, { headers: ["host", "example.com", "x", "a\tb"] }],
  ["obs-text decoded as latin1", `${H}X: caf\xe9 \x80\xff\r\n`, 0, { headers: ["host", "example.com", "x", "café \x80\xff"] }],
  ["colon inside value", `${H}X: a:b: c\r\n`, 0, { headers: ["host", "example.com", "x", "a:b: c"] }],
  ["token chars in name", `${H}!#$%&'*+-.^_\`|~09aZ: v\r\n`, 0],
  ["space before colon", `${H}X-A : v\r\n`, 400],
  ["HTAB before colon", `${H}X-A\t: v\r\n`, 400],
  ["empty name", `${H}: v\r\n`, 400],
  ["space inside name", `${H}X A: v\r\n`, 400],
  ["invalid name char", `${H}X(A): v\r\n`, 400],
  ["obs-text in name", `${H}X\xe9: v\r\n`, 400],
  ["no colon", `${H}X-A\r\n`, 400],
  ["obs-fold with SP", `${H}X: a\r\n b\r\n`, 400],
  ["obs-fold with HTAB", `${H}X: a\r\n\tb\r\n`, 400],
  ["first header line folded", " X: a\r\nHost: h\r\n", 400],
  ["NUL in value", `${H}X: a\x00b\r\n`, 400],
  ["bare CR in value", `${H}X: a\rb\r\n`, 400],
  ["bare CR at value end", `${H}X: ab\r\r\n`, 400],
  ["DEL in value", `${H}X: a\x7fb\r\n`, 400],
  ["VT in value", `${H}X: \x0bchunked\r\n`, 400],
  ["ESC in value", `${H}X: a\x1bb\r\n`, 400],
  ["bare LF ends header line", `${H}X: a\nY: b\r\n`, 400],
  ["bare LF ends header section", `${H}X: a\r\n\n`, 400],
  // Host (RFC 9112 §3.2)
  ["missing Host in 1.1", "X: a\r\n", 400],
  ["two Host fields", `${H}${H}`, 400],
  ["Host port over 65535", "Host: h:70000\r\n", 400],
  ["Host IP-literal not IPv6", "Host: [zz]\r\n", 400],
  ["Host IPv6 with port", "Host: [::1]:8080\r\n", 0],
  ["two Host fields with different case", `${H}HOST: other\r\n`, 400],
  ["Host case-insensitive name", "hOsT: a.b:80\r\n", 0, { host: "a.b:80" }],
  ["empty Host is allowed", "Host:\r\n", 0, { host: "" }],
  ["Host with IPv6 literal", "Host: [::1]:8080\r\n", 0, { host: "[::1]:8080" }],
  ["Host with space", "Host: a b\r\n", 400],
  ["Host with slash", "Host: a/b\r\n", 400],
  ["Host with @", "Host: u@a\r\n", 400],
  ["Host value OWS trimmed", "Host:   a.b  \r\n", 0, { host: "a.b" }],
  ["Host with non-numeric port", "Host: example.com:http\r\n", 400],
  ["Host with two ports", "Host: example.com:80:80\r\n", 400],
  ["Host with unclosed IP-literal", "Host: [::1:8080\r\n", 400],
  ["Host with empty IP-literal", "Host: []\r\n", 400],
  ["Host with junk after IP-literal", "Host: [::1]x\r\n", 400],
  ["Host with six-digit port", "Host: a:123456\r\n", 400],
  ["Host with bad pct-encoding", "Host: a%zz\r\n", 400],
  ["Host with truncated pct-encoding", "Host: a%4\r\n", 400],
  ["Host with pct-encoding", "Host: a%41b\r\n", 0, { host: "a%41b" }],
  ["Host with empty port", "Host: example.com:\r\n", 0, { host: "example.com:" }],
  ["Host IPv4 and port", "Host: 127.0.0.1:1\r\n", 0, { host: "127.0.0.1:1" }],
  ["Host IDN punycode", "Host: xn--caf-dma.example\r\n", 0],
  ["Host with sub-delims", "Host: a!$&'()*+,;=b\r\n", 0],
  // Connection
  ["1.1 keep-alive by default", H, 0, { keepAlive: true }],
  ["Connection: close", `${H}Connection: close\r\n`, 0, { keepAlive: false }],
  ["Connection: CLOSE (case)", `${H}Connection: CLOSE\r\n`, 0, { keepAlive: false }],
  ["close among tokens", `${H}Connection: keep-alive, Upgrade,close\r\n`, 0, { keepAlive: false }],
  ["close in a second Connection field", `${H}Connection: upgrade\r\nConnection: close\r\n`, 0, { keepAlive: false }],
  ["closed is not close", `${H}Connection: closed\r\n`, 0, { keepAlive: true }],
  ["empty list elements ignored", `${H}Connection: , ,close\r\n`, 0, { keepAlive: false }],
  ["invalid Connection token", `${H}Connection: "close"\r\n`, 400],
  // Expect
  ["Expect: 100-continue", `${H}Expect: 100-continue\r\n`, 0, { expectContinue: true }],
  ["Expect case-insensitive", `${H}Expect: 100-Continue\r\n`, 0, { expectContinue: true }],
  ["no Expect", H, 0, { expectContinue: false }],
  ["unknown expectation", `${H}Expect: 200-ok\r\n`, 417],
  ["100-continue plus unknown", `${H}Expect: 100-continue, foo\r\n`, 417],
  ["expectation with parameter", `${H}Expect: foo=bar\r\n`, 417],
  ["empty Expect ignored", `${H}Expect:\r\n`, 0, { expectContinue: false }],
];

describe("header fields", () => {
  it.each(cases)("%s", (_name, lines, status, fields) => {
    const events = runAllSplits(`${RL}${lines}\r\n`);
    expect(errorStatus(events)).toBe(status);
    if (status === 0) {
      expect(events.map((e) => e.type)).toEqual(["head", "complete"]);
      if (fields) expect(heads(events)[0]).toMatchObject(fields);
    }
  });

  it("HTTP/1.0 is close by default, keep-alive on request, close wins", () => {
    expect(heads(runAllSplits("GET / HTTP/1.0\r\n\r\n"))[0].keepAlive).toBe(false);
    expect(heads(runAllSplits("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"))[0].keepAlive).toBe(true);
    expect(heads(runAllSplits("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"))[0].keepAlive).toBe(false);
  });

  it("HTTP/1.0 ignores 100-continue but still refuses unknown expectations", () => {
    expect(heads(runAllSplits("GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n"))[0].expectContinue).toBe(false);
    expect(errorStatus(runAllSplits("GET / HTTP/1.0\r\nExpect: x\r\n\r\n"))).toBe(417);
  });

  it("HTTP/1.0 still refuses two Host fields", () => {
    expect(errorStatus(runAllSplits("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"))).toBe(400);
  });

  it("repeated values of interned names decode equal strings every time", () => {
    const req = `${RL}${H}User-Agent: agent/1\r\n\r\n`;
    const a = heads(runAllSplits(req + req + `${RL}${H}User-Agent: agent/2\r\n\r\n`));
    expect(a.map((h) => h.headers[3])).toEqual(["agent/1", "agent/1", "agent/2"]);
  });

  it("long values (over the 4 KiB decode slice) survive intact", () => {
    const v = "a".repeat(5000) + "\xe9" + "b".repeat(5000);
    const raw = bytes(`${RL}${H}X-Long: ${v}\r\n\r\n`);
    for (const cut of [[], [40], [60, 4200, 9000], [raw.length - 3]]) {
      const events = runParser(splitAt(raw, cut), { limitRequestFieldSize: 0 });
      expect(heads(events)[0].headers[3]).toBe(v);
    }
    expect(errorStatus(runParser(raw))).toBe(431); // over the default 8190
  });
});
