import { describe, expect, it } from "vitest";
import { applyForwarded, parseForwarded, parseNode, parseProto, type ForwardedTarget } from "../../core/net/forwarded.ts";
import { compileAllowList } from "../../core/net/ip-match.ts";

const trusted = compileAllowList(["127.0.0.1", "::1", "10.0.0.0/8"]);

/** Applies `headers` (name, value pairs; names lower-cased like the parser does) to a peer 10.0.0.5:40000 over http. */
function apply(headers: string[], matcher = trusted): ForwardedTarget & { ok: boolean } {
  const target: ForwardedTarget = { remoteAddress: "10.0.0.5", remotePort: 40000, scheme: "http" };
  const ok = applyForwarded(headers, matcher, target);
  return { ...target, ok };
}

describe("parseNode", () => {
  it.each([
    ["192.0.2.43", { address: "192.0.2.43", port: 0 }],
    ["192.0.2.43:4711", { address: "192.0.2.43", port: 4711 }],
    ["2001:db8::1", { address: "2001:db8::1", port: 0 }],
    ["[2001:db8::1]", { address: "2001:db8::1", port: 0 }],
    ["[2001:db8::1]:4711", { address: "2001:db8::1", port: 4711 }],
    ["[2001:db8::1]:_obf", { address: "2001:db8::1", port: 0 }],
    ["::ffff:1.2.3.4", { address: "::ffff:1.2.3.4", port: 0 }],
  ])("parses %j", (text, expected) => expect(parseNode(text)).toEqual(expected));

  it.each(["unknown", "_hidden", "", "[1.2.3.4]", "[::1", "[::1]x", "1.2.3.4:99999x", "example.com", "example.com:80", "1.2.3"])(
    "refuses %j",
    (text) => expect(parseNode(text)).toBeNull(),
  );
});

describe("parseProto", () => {
  it("maps http/https/ws/wss, case-insensitively", () => {
    expect(parseProto("HTTPS")).toBe("https");
    expect(parseProto(" http ")).toBe("http");
    expect(parseProto("wss")).toBe("https");
    expect(parseProto("ws")).toBe("http");
    expect(parseProto("ftp")).toBeNull();
    expect(parseProto("")).toBeNull();
  });
});

describe("parseForwarded", () => {
  it("parses elements and pairs (RFC 7239 examples)", () => {
    expect(parseForwarded('for="_gazonk"')).toEqual([{ for: "_gazonk" }]);
    expect(parseForwarded('For="[2001:db8:cafe::17]:4711"')).toEqual([{ for: "[2001:db8:cafe::17]:4711" }]);
    expect(parseForwarded("for=192.0.2.60;proto=http;by=203.0.113.43")).toEqual([
      { for: "192.0.2.60", proto: "http", by: "203.0.113.43" },
    ]);
    expect(parseForwarded("for=192.0.2.43, for=198.51.100.17")).toEqual([{ for: "192.0.2.43" }, { for: "198.51.100.17" }]);
  });
  it("handles quoted commas, semicolons and escapes", () => {
    expect(parseForwarded('for="a,b;c";host="x\\"y", proto=https')).toEqual([{ for: "a,b;c", host: 'x"y' }, { proto: "https" }]);
  });
  it("tolerates whitespace and empty list elements", () => {
    expect(parseForwarded(" for=1.2.3.4 ; proto=https ,, for=5.6.7.8 ")).toEqual([{ for: "1.2.3.4", proto: "https" }, { for: "5.6.7.8" }]);
  });
  it.each(['for="1.2.3.4', "for", "for=1.2.3.4;for=5.6.7.8", "=x", "for=", 'for=a"b', 'for="a"b', "f(r=1", "for=1 2"])(
    "rejects %j",
    (value) => expect(parseForwarded(value)).toBeNull(),
  );
});

describe("applyForwarded: X-Forwarded-*", () => {
  it("without proxy headers changes nothing", () => {
    expect(apply(["host", "x", "x-other", "y"])).toEqual({ remoteAddress: "10.0.0.5", remotePort: 40000, scheme: "http", ok: true });
  });
  it("takes scheme and address from a single proxy", () => {
    expect(apply(["x-forwarded-for", "203.0.113.7", "x-forwarded-proto", "https"])).toEqual({
      remoteAddress: "203.0.113.7",
      remotePort: 0,
      scheme: "https",
      ok: true,
    });
  });
  it("takes the right-most address that is not a trusted proxy", () => {
    // client spoofs 1.1.1.1; the edge proxy appends the real client 203.0.113.7; an inner proxy 10.0.0.9 appends itself
    expect(apply(["x-forwarded-for", "1.1.1.1, 203.0.113.7, 10.0.0.9"]).remoteAddress).toBe("203.0.113.7");
  });
  it("takes the left-most when every hop is trusted", () => {
    expect(apply(["x-forwarded-for", "10.1.1.1, 127.0.0.1"]).remoteAddress).toBe("10.1.1.1");
  });
  it("joins repeated header lines in order", () => {
    expect(apply(["x-forwarded-for", "1.1.1.1", "x-forwarded-for", "203.0.113.7"]).remoteAddress).toBe("203.0.113.7");
  });
  it("keeps the peer when the chosen entry is not an address", () => {
    expect(apply(["x-forwarded-for", "203.0.113.7, unknown"]).remoteAddress).toBe("10.0.0.5");
    expect(apply(["x-forwarded-for", ""]).remoteAddress).toBe("10.0.0.5");
  });
  it("accepts ports and bracketed IPv6 entries", () => {
    expect(apply(["x-forwarded-for", "203.0.113.7:5555"])).toMatchObject({ remoteAddress: "203.0.113.7", remotePort: 5555 });
    expect(apply(["x-forwarded-for", "[2001:db8::7]:80"])).toMatchObject({ remoteAddress: "2001:db8::7", remotePort: 80 });
    expect(apply(["x-forwarded-for", "2001:db8::7"])).toMatchObject({ remoteAddress: "2001:db8::7", remotePort: 0 });
  });
  it("pairs X-Forwarded-Proto with the chosen hop when the lists line up, else uses its last entry", () => {
    expect(apply(["x-forwarded-for", "203.0.113.7, 10.0.0.9", "x-forwarded-proto", "https, http"]).scheme).toBe("https");
    expect(apply(["x-forwarded-for", "203.0.113.7, 10.0.0.9", "x-forwarded-proto", "http"]).scheme).toBe("http");
    expect(apply(["x-forwarded-proto", "http, https"]).scheme).toBe("https");
  });
  it("ignores unknown protocols", () => {
    expect(apply(["x-forwarded-proto", "gopher"]).scheme).toBe("http");
    const https: ForwardedTarget = { remoteAddress: "10.0.0.5", remotePort: 1, scheme: "https" };
    applyForwarded(["x-forwarded-proto", "nonsense"], trusted, https);
    expect(https.scheme).toBe("https");
  });
  it("can also downgrade an https connection to http (a TLS-terminating hop said so)", () => {
    const target: ForwardedTarget = { remoteAddress: "10.0.0.5", remotePort: 1, scheme: "https" };
    applyForwarded(["x-forwarded-proto", "http"], trusted, target);
    expect(target.scheme).toBe("http");
  });
  it("honours gunicorn's X-Forwarded-Protocol: ssl and X-Forwarded-Ssl: on", () => {
    expect(apply(["x-forwarded-protocol", "ssl"]).scheme).toBe("https");
    expect(apply(["x-forwarded-ssl", "on"]).scheme).toBe("https");
    expect(apply(["x-forwarded-ssl", "off"]).scheme).toBe("http");
    expect(apply(["x-forwarded-proto", "https", "x-forwarded-ssl", "on"])).toMatchObject({ scheme: "https", ok: true });
  });
  it("reports contradicting scheme headers and leaves the target alone", () => {
    expect(apply(["x-forwarded-proto", "https", "x-forwarded-ssl", "off", "x-forwarded-for", "203.0.113.7"])).toEqual({
      remoteAddress: "10.0.0.5",
      remotePort: 40000,
      scheme: "http",
      ok: false,
    });
    expect(apply(["x-forwarded-proto", "http", "x-forwarded-protocol", "ssl"]).ok).toBe(false);
  });
});

describe("applyForwarded: Forwarded (RFC 7239)", () => {
  it("takes for= and proto= from the client hop", () => {
    expect(apply(["forwarded", 'for="[2001:db8::1]:4711";proto=https'])).toEqual({
      remoteAddress: "2001:db8::1",
      remotePort: 4711,
      scheme: "https",
      ok: true,
    });
  });
  it("walks past trusted hops and uses that hop's proto", () => {
    expect(apply(["forwarded", "for=1.1.1.1;proto=http, for=203.0.113.7;proto=https, for=10.0.0.9;proto=http"])).toMatchObject({
      remoteAddress: "203.0.113.7",
      scheme: "https",
    });
  });
  it("keeps the peer address for for=unknown or obfuscated nodes but still applies proto", () => {
    expect(apply(["forwarded", "for=unknown;proto=https"])).toMatchObject({ remoteAddress: "10.0.0.5", scheme: "https" });
    expect(apply(["forwarded", 'for="_hidden"'])).toMatchObject({ remoteAddress: "10.0.0.5", scheme: "http" });
  });
  it("wins over X-Forwarded-* when present", () => {
    expect(apply(["x-forwarded-for", "198.51.100.1", "x-forwarded-proto", "http", "forwarded", "for=203.0.113.7;proto=https"])).toMatchObject({
      remoteAddress: "203.0.113.7",
      scheme: "https",
    });
  });
  it("is ignored entirely when malformed (and X-Forwarded-* are not consulted then)", () => {
    expect(apply(["forwarded", 'for="1.2.3.4', "x-forwarded-for", "198.51.100.1"])).toMatchObject({ remoteAddress: "10.0.0.5", scheme: "http" });
  });
  it("joins repeated Forwarded lines", () => {
    expect(apply(["forwarded", "for=1.1.1.1", "forwarded", "for=203.0.113.7"]).remoteAddress).toBe("203.0.113.7");
  });
  it("with `*` every hop is trusted, so the left-most is the client", () => {
    expect(apply(["forwarded", "for=198.51.100.1, for=203.0.113.7"], compileAllowList(["*"])).remoteAddress).toBe("198.51.100.1");
  });
});
