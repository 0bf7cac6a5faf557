import { describe, expect, it } from "vitest";
import { MAX_V1_LENGTH, MAX_V2_LENGTH, ProxyHeaderParser, ProxyProtocolError, V2_SIGNATURE, parseV1Line } from "../../core/net/proxy-protocol.ts";

const ascii = (text: string) => new Uint8Array(Buffer.from(text, "latin1"));
const HTTP = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

/** A v2 header: command (0 LOCAL, 1 PROXY), family/transport byte, address block, TLVs. */
function v2(command: number, familyTransport: number, block: number[], tlvs: number[] = [], version = 2): Uint8Array {
  const body = [...block, ...tlvs];
  return new Uint8Array([...V2_SIGNATURE, (version << 4) | command, familyTransport, body.length >> 8, body.length & 255, ...body]);
}
const inet = (src: number[], dst: number[], sport: number, dport: number) => [...src, ...dst, sport >> 8, sport & 255, dport >> 8, dport & 255];
const ipv6 = (groups: number[]) => groups.flatMap((g) => [g >> 8, g & 255]);

/** Feeds `bytes` in the given pieces; returns [addresses, bytes of the last piece that were header, pieces fed]. */
function feedAll(bytes: Uint8Array, cuts: number[]) {
  const parser = new ProxyHeaderParser();
  const bounds = [0, ...cuts, bytes.length];
  let consumedTotal = 0;
  for (let k = 0; k + 1 < bounds.length; k++) {
    const piece = bytes.subarray(bounds[k], bounds[k + 1]);
    const used = parser.feed(piece);
    if (used >= 0) {
      consumedTotal += used;
      return { parser, headerLength: consumedTotal, rest: bytes.subarray(bounds[k] + used) };
    }
    consumedTotal += piece.length;
  }
  return { parser, headerLength: -1, rest: new Uint8Array(0) };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

describe("parseV1Line", () => {
  it("parses TCP4 and TCP6", () => {
    expect(parseV1Line("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443")).toEqual({
      remoteAddress: "192.0.2.1",
      remotePort: 56324,
      localAddress: "198.51.100.2",
      localPort: 443,
    });
    expect(parseV1Line("PROXY TCP6 2001:db8::1 ::1 0 65535")).toEqual({
      remoteAddress: "2001:db8::1",
      remotePort: 0,
      localAddress: "::1",
      localPort: 65535,
    });
  });
  it("returns null for UNKNOWN with or without trailing fields", () => {
    expect(parseV1Line("PROXY UNKNOWN")).toBeNull();
    expect(parseV1Line("PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535")).toBeNull();
  });
  it.each([
    "PROXY TCP4 192.0.2.1 198.51.100.2 56324",
    "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443 extra",
    "PROXY TCP4  192.0.2.1 198.51.100.2 56324 443",
    "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443 ",
    "PROXY TCP4 2001:db8::1 198.51.100.2 1 2",
    "PROXY TCP6 192.0.2.1 ::1 1 2",
    "PROXY TCP4 192.0.2.256 198.51.100.2 1 2",
    "PROXY TCP4 192.0.2.01 198.51.100.2 1 2",
    "PROXY TCP4 192.0.2.1 198.51.100.2 65536 2",
    "PROXY TCP4 192.0.2.1 198.51.100.2 01 2",
    "PROXY TCP4 192.0.2.1 198.51.100.2 -1 2",
    "PROXY TCP6 fe80::1%eth0 ::1 1 2",
    "PROXY UDP4 192.0.2.1 198.51.100.2 1 2",
    "PROXY tcp4 192.0.2.1 198.51.100.2 1 2",
    "PROXY UNKNOWNX",
    "PROXY",
  ])("rejects %j", (line) => expect(() => parseV1Line(line)).toThrow(ProxyProtocolError));
});

describe("ProxyHeaderParser v1", () => {
  const header = "PROXY TCP4 203.0.113.7 127.0.0.1 51000 8000\r\n";
  const bytes = ascii(header + HTTP);

  it("reads a header split at every byte and leaves the HTTP bytes", () => {
    for (let cut = 1; cut < bytes.length; cut++) {
      const { parser, headerLength, rest } = feedAll(bytes, [cut]);
      expect(headerLength, `cut ${cut}`).toBe(header.length);
      expect(Buffer.from(rest).toString("latin1")).toBe(HTTP);
      expect(parser.done).toBe(true);
      expect(parser.version).toBe(1);
      expect(parser.addresses).toEqual({ remoteAddress: "203.0.113.7", remotePort: 51000, localAddress: "127.0.0.1", localPort: 8000 });
    }
  });
  it("reads a header fed one byte at a time", () => {
    const cuts = Array.from({ length: header.length }, (_, i) => i + 1);
    const { headerLength, parser } = feedAll(ascii(header), cuts);
    expect(headerLength).toBe(header.length);
    expect(parser.addresses?.remoteAddress).toBe("203.0.113.7");
  });
  it("accepts the longest legal header (107 bytes)", () => {
    const full = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
    const longest = `PROXY UNKNOWN ${full} ${full} 65535 65535\r\n`;
    expect(longest.length).toBe(MAX_V1_LENGTH);
    expect(feedAll(ascii(longest), []).headerLength).toBe(MAX_V1_LENGTH);
    const tcp6 = `PROXY TCP6 ${full} ${full} 65535 65535\r\n`;
    expect(feedAll(ascii(tcp6), [50]).parser.addresses?.remoteAddress).toBe(full);
  });
  it("accepts UNKNOWN (keeps the real endpoints)", () => {
    const { parser, headerLength } = feedAll(ascii("PROXY UNKNOWN\r\n" + HTTP), [3]);
    expect(headerLength).toBe(15);
    expect(parser.addresses).toBeNull();
    expect(parser.done).toBe(true);
  });
  it("wants more while the header is incomplete", () => {
    const parser = new ProxyHeaderParser();
    expect(parser.feed(ascii("PROXY TCP4 1.2.3.4"))).toBe(-1);
    expect(parser.feed(ascii(" 5.6.7.8 1 2\r"))).toBe(-1);
    expect(parser.feed(ascii("\nGET"))).toBe(1);
  });
  it.each([
    ["HTTP instead of a header", "GET / HTTP/1.1\r\n"],
    ["wrong prefix", "PROXZ TCP4"],
    ["lower-case prefix", "proxy TCP4"],
    ["bare LF", "PROXY UNKNOWN\n"],
    ["CR without LF", "PROXY UNKNOWN\rX"],
    ["NUL byte", "PROXY TCP4 \0"],
    ["8-bit byte", "PROXY TCP4 \xff"],
    ["bad fields", "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"],
  ])("rejects %s at once", (_label, text) => {
    expect(() => new ProxyHeaderParser().feed(ascii(text))).toThrow(ProxyProtocolError);
  });
  it("rejects a prefix mismatch in a later chunk", () => {
    const parser = new ProxyHeaderParser();
    expect(parser.feed(ascii("PRO"))).toBe(-1);
    expect(() => parser.feed(ascii("BE"))).toThrow(ProxyProtocolError);
  });
  it("rejects a line without CRLF within 107 bytes, even when fed slowly", () => {
    const parser = new ProxyHeaderParser();
    const line = "PROXY UNKNOWN " + "x".repeat(200);
    let error: unknown;
    let fed = 0;
    try {
      for (; fed < line.length; fed++) expect(parser.feed(ascii(line[fed]))).toBe(-1);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProxyProtocolError);
    expect(fed).toBe(MAX_V1_LENGTH - 1);
  });
});

describe("ProxyHeaderParser v2", () => {
  const tcp4 = v2(1, 0x11, inet([203, 0, 113, 7], [127, 0, 0, 1], 51000, 8000));
  const tcp6 = v2(
    1,
    0x21,
    [...ipv6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 7]), ...ipv6([0, 0, 0, 0, 0, 0, 0, 1]), 0xc7, 0x38, 0x1f, 0x40],
  );

  it("reads PROXY TCP over IPv4 split at every byte", () => {
    const bytes = concat(tcp4, ascii(HTTP));
    for (let cut = 1; cut < bytes.length; cut++) {
      const { parser, headerLength, rest } = feedAll(bytes, [cut]);
      expect(headerLength, `cut ${cut}`).toBe(tcp4.length);
      expect(Buffer.from(rest).toString("latin1")).toBe(HTTP);
      expect(parser.version).toBe(2);
      expect(parser.addresses).toEqual({ remoteAddress: "203.0.113.7", remotePort: 51000, localAddress: "127.0.0.1", localPort: 8000 });
    }
  });
  it("reads PROXY TCP over IPv6 (addresses in compressed form)", () => {
    const { parser, headerLength } = feedAll(tcp6, [5, 20]);
    expect(headerLength).toBe(16 + 36);
    expect(parser.addresses).toEqual({ remoteAddress: "2001:db8::7", remotePort: 51000, localAddress: "::1", localPort: 8000 });
  });
  it("skips TLVs", () => {
    const withTlv = v2(1, 0x11, inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2), [0x05, 0x00, 0x03, 0x61, 0x62, 0x63, 0x04, 0x00, 0x00]);
    const bytes = concat(withTlv, ascii(HTTP));
    for (let cut = 1; cut < bytes.length; cut += 3) {
      const { parser, headerLength } = feedAll(bytes, [cut]);
      expect(headerLength).toBe(withTlv.length);
      expect(parser.addresses?.remoteAddress).toBe("1.2.3.4");
    }
  });
  it("LOCAL keeps the real endpoints and ignores the block", () => {
    const local = v2(0, 0x00, []);
    expect(feedAll(local, []).parser.addresses).toBeNull();
    const localWithBlock = v2(0, 0x11, [1, 2, 3]);
    const { parser, headerLength } = feedAll(localWithBlock, []);
    expect(headerLength).toBe(localWithBlock.length);
    expect(parser.addresses).toBeNull();
  });
  it("UNSPEC, AF_UNIX and non-stream transports keep the real endpoints", () => {
    expect(feedAll(v2(1, 0x00, [9, 9]), []).parser.addresses).toBeNull();
    expect(feedAll(v2(1, 0x31, new Array(216).fill(0)), []).parser.addresses).toBeNull();
    expect(feedAll(v2(1, 0x12, inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)), []).parser.addresses).toBeNull();
    expect(feedAll(v2(1, 0x10, inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)), []).parser.addresses).toBeNull();
  });
  it.each([
    ["bad signature", () => { const b = tcp4.slice(); b[6] = 0x0b; return b; }],
    ["version 1 in the binary header", () => v2(1, 0x11, inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2), [], 1)],
    ["version 3", () => v2(1, 0x11, inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2), [], 3)],
    ["unknown command", () => v2(2, 0x11, inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2))],
    ["unknown family", () => v2(1, 0x41, [])],
    ["unknown transport", () => v2(1, 0x13, inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2))],
    ["block too short for AF_INET", () => v2(1, 0x11, [1, 2, 3, 4, 5, 6, 7, 8])],
    ["block too short for AF_INET6", () => v2(1, 0x21, inet([1, 2, 3, 4], [5, 6, 7, 8], 1, 2))],
  ])("rejects %s", (_label, make) => {
    const bytes = make();
    // Whole, and byte by byte: the error comes as soon as the offending byte arrives.
    expect(() => new ProxyHeaderParser().feed(bytes)).toThrow(ProxyProtocolError);
    const parser = new ProxyHeaderParser();
    expect(() => {
      for (let i = 0; i < bytes.length; i++) parser.feed(bytes.subarray(i, i + 1));
    }).toThrow(ProxyProtocolError);
  });
  it("rejects a declared length above the bound before the body arrives", () => {
    const head = new Uint8Array([...V2_SIGNATURE, 0x21, 0x11, (MAX_V2_LENGTH + 1) >> 8, (MAX_V2_LENGTH + 1) & 255]);
    expect(() => new ProxyHeaderParser().feed(head)).toThrow(/exceeds/);
    const atLimit = new Uint8Array([...V2_SIGNATURE, 0x21, 0x11, MAX_V2_LENGTH >> 8, MAX_V2_LENGTH & 255]);
    expect(new ProxyHeaderParser().feed(atLimit)).toBe(-1);
  });
  it("rejects the signature's first byte followed by something else", () => {
    const parser = new ProxyHeaderParser();
    expect(parser.feed(new Uint8Array([0x0d]))).toBe(-1);
    expect(() => parser.feed(ascii("\r"))).toThrow(ProxyProtocolError);
  });
});
