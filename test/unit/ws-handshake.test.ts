import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { negotiateDeflate, parseExtensions } from "../../core/ws/deflate.ts";
import { acceptHead, acceptKey, checkUpgrade, selectProtocol } from "../../core/ws/handshake.ts";
import { isValidAppCloseCode, isValidWireCloseCode } from "../../core/ws/protocol.ts";
import { base64, sha1 } from "../../core/ws/sha1.ts";
import { Utf8Validator, isValidUtf8 } from "../../core/ws/utf8.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const text = (s: string) => new TextEncoder().encode(s);

const GOOD = [
  "host", "example.com", "upgrade", "websocket", "connection", "keep-alive, Upgrade",
  "sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version", "13",
];

function head(headers: string[], method = "GET", versionMinor = 1) {
  return { method, versionMinor, headers };
}

function without(name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < GOOD.length; i += 2) if (GOOD[i] !== name) out.push(GOOD[i], GOOD[i + 1]);
  return out;
}

describe("SHA-1 and base64", () => {
  it("matches the FIPS 180 vectors", () => {
    expect(hex(sha1(text("abc")))).toBe("a9993e364706816aba3e25717850c26c9cd0d89d");
    expect(hex(sha1(text("")))).toBe("da39a3ee5e6b4b0d3255bfef95601890afd80709");
    expect(hex(sha1(text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))).toBe("84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    expect(hex(sha1(text("a".repeat(1000))))).toBe("291e9a6c66994949b57ba5e650361e98fc36b1ba");
  });

  it("base64 matches btoa for any bytes (property)", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
      expect(base64(bytes)).toBe(btoa(String.fromCharCode(...bytes)));
    }));
  });

  it("computes the RFC 6455 §1.3 Sec-WebSocket-Accept", () => {
    expect(acceptKey("dGhlIHNhbXBsZSBub25jZQ==")).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  });
});

describe("opening handshake", () => {
  it("accepts a valid request with its protocols and extensions", () => {
    const offer = checkUpgrade(head([...GOOD, "sec-websocket-protocol", "chat, superchat", "sec-websocket-protocol", "v2",
      "sec-websocket-extensions", "permessage-deflate"]));
    expect(offer).toEqual({ ok: true, key: "dGhlIHNhbXBsZSBub25jZQ==", protocols: ["chat", "superchat", "v2"], extensions: "permessage-deflate" });
  });

  it("answers 426 with Sec-WebSocket-Version when the version or the upgrade is missing", () => {
    for (const bad of [without("sec-websocket-version"), [...without("sec-websocket-version"), "sec-websocket-version", "8"], without("upgrade")]) {
      const result = checkUpgrade(head(bad));
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.status).toBe(426);
        expect(result.headers).toContain("Sec-WebSocket-Version");
        expect(result.headers[result.headers.indexOf("Sec-WebSocket-Version") + 1]).toBe("13");
      }
    }
  });

  it("answers 400 to a bad method, version, Connection or key", () => {
    const bad = [
      head(GOOD, "POST"), head(GOOD, "GET", 0), head(without("connection")),
      head([...without("connection"), "connection", "keep-alive"]), head(without("sec-websocket-key")),
      head([...without("sec-websocket-key"), "sec-websocket-key", "c2hvcnQ="]),
      head([...without("sec-websocket-key"), "sec-websocket-key", "not base64 at all!!!!!!!"]),
      head([...GOOD, "sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="]),
    ];
    for (const h of bad) expect(checkUpgrade(h)).toMatchObject({ ok: false, status: 400 });
  });

  it("selects the first offered protocol the server supports", () => {
    expect(selectProtocol(["a", "b", "c"], ["c", "b"])).toBe("b");
    expect(selectProtocol(["a"], ["b"])).toBe("");
  });

  it("writes the 101 head and refuses header injection", () => {
    const head101 = new TextDecoder().decode(acceptHead({
      key: "dGhlIHNhbXBsZSBub25jZQ==", protocol: "chat", extensions: "permessage-deflate", headers: ["Set-Cookie", "a=b", "Connection", "x"], server: "tricorn",
    }));
    expect(head101).toBe("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n" +
      "Sec-WebSocket-Extensions: permessage-deflate\r\nServer: tricorn\r\nSet-Cookie: a=b\r\n\r\n");
    expect(() => acceptHead({ key: "k", protocol: "", extensions: "", headers: ["X", "a\r\nEvil: 1"], server: "" })).toThrow(TypeError);
    expect(() => acceptHead({ key: "k", protocol: "", extensions: "", headers: ["X Y", "a"], server: "" })).toThrow(TypeError);
  });
});

describe("close codes", () => {
  it("allows the codes RFC 6455 §7.4 allows on the wire", () => {
    for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999]) expect(isValidWireCloseCode(code), String(code)).toBe(true);
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]) expect(isValidWireCloseCode(code), String(code)).toBe(false);
    expect(isValidAppCloseCode(1000)).toBe(true);
    expect(isValidAppCloseCode(1001)).toBe(false);
    expect(isValidAppCloseCode(3500)).toBe(true);
  });
});

describe("UTF-8 validation", () => {
  const fatal = new TextDecoder("utf-8", { fatal: true });
  const valid = (b: Uint8Array) => {
    try {
      fatal.decode(b);
      return true;
    } catch {
      return false;
    }
  };

  it("agrees with a fatal TextDecoder on random bytes, fed in random pieces (property)", () => {
    fc.assert(fc.property(
      fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.string({ unit: "grapheme", maxLength: 20 }).map(text), fc.constantFrom(...[
        [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xf0, 0x8f, 0xbf, 0xbf], [0xce, 0xba, 0xe1, 0xbd, 0xb9],
      ].map((a) => new Uint8Array(a)))),
      fc.nat(),
      (bytes, cut) => {
        const at = bytes.length === 0 ? 0 : cut % bytes.length;
        const v = new Utf8Validator();
        const ok = v.feed(bytes.subarray(0, at)) && v.feed(bytes.subarray(at)) && v.complete();
        expect(ok).toBe(valid(bytes));
        expect(isValidUtf8(bytes)).toBe(valid(bytes));
      },
    ), { numRuns: 2000 });
  });

  it("fails as soon as the first invalid byte arrives", () => {
    const v = new Utf8Validator();
    expect(v.feed(new Uint8Array([0xce, 0xba, 0xe1]))).toBe(true);
    expect(v.feed(new Uint8Array([0xbd, 0xb9, 0xce]))).toBe(true);
    expect(v.feed(new Uint8Array([0xf4, 0x90]))).toBe(false);
  });
});

describe("permessage-deflate negotiation (RFC 7692)", () => {
  const policy = { serverNoContextTakeover: false, threshold: 0, level: 1 };

  it("parses extension offers with quoted values", () => {
    expect(parseExtensions('permessage-deflate; client_max_window_bits="10", x-foo')).toEqual([
      { name: "permessage-deflate", params: [["client_max_window_bits", "10"]] },
      { name: "x-foo", params: [] },
    ]);
    expect(parseExtensions("bad name")).toBe(null);
  });

  it("accepts the plain offer and echoes context takeover and window bits", () => {
    expect(negotiateDeflate("permessage-deflate", policy)?.header).toBe("permessage-deflate");
    expect(negotiateDeflate("permessage-deflate; client_max_window_bits", policy)).toEqual({
      header: "permessage-deflate",
      params: { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 },
    });
    const agreed = negotiateDeflate("permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9", policy);
    expect(agreed?.header).toBe("permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9");
    expect(agreed?.params).toEqual({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 9 });
  });

  it("declines bad offers and falls back to the next one", () => {
    for (const bad of [
      "permessage-deflate; server_max_window_bits=7", "permessage-deflate; server_max_window_bits=16", "permessage-deflate; server_max_window_bits",
      "permessage-deflate; server_max_window_bits=8", "permessage-deflate; unknown=1", "permessage-deflate; client_max_window_bits=1",
      "permessage-deflate; server_no_context_takeover; server_no_context_takeover", "permessage-deflate; server_no_context_takeover=1", "x-other",
    ]) expect(negotiateDeflate(bad, policy), bad).toBe(null);
    expect(negotiateDeflate("permessage-deflate; server_max_window_bits=7, permessage-deflate", policy)?.header).toBe("permessage-deflate");
  });
});
