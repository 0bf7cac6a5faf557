import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compileAllowList, isIpAddress, isIpv4, isIpv6, isTrustedPeer, parseIpInto, parseIpv4, parseNetwork } from "../../core/net/ip-match.ts";

const words = (text: string) => {
  const out = new Uint32Array(4);
  return parseIpInto(text, out) ? [...out].map((w) => w.toString(16)) : null;
};

describe("parseIpv4", () => {
  it("parses dotted quads", () => {
    expect(parseIpv4("0.0.0.0")).toBe(0);
    expect(parseIpv4("127.0.0.1")).toBe(0x7f000001);
    expect(parseIpv4("255.255.255.255")).toBe(0xffffffff);
  });
  it.each(["", "1", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", " 1.2.3.4", "1..2.3", "1.2.3.", "a.b.c.d", "1.2.3.1234", "-1.2.3.4"])(
    "rejects %j",
    (text) => expect(parseIpv4(text)).toBe(-1),
  );
});

describe("parseIpInto", () => {
  it("maps IPv4 to ::ffff:a.b.c.d", () => {
    expect(words("10.1.2.3")).toEqual(["0", "0", "ffff", "a010203"]);
    expect(words("::ffff:10.1.2.3")).toEqual(words("10.1.2.3"));
    expect(words("::ffff:a01:203")).toEqual(words("10.1.2.3"));
  });
  it("parses IPv6 forms", () => {
    expect(words("::")).toEqual(["0", "0", "0", "0"]);
    expect(words("::1")).toEqual(["0", "0", "0", "1"]);
    expect(words("1::")).toEqual(["10000", "0", "0", "0"]);
    expect(words("2001:db8::1")).toEqual(["20010db8", "0", "0", "1"]);
    expect(words("2001:DB8:0:0:0:0:0:1")).toEqual(words("2001:db8::1"));
    expect(words("1:2:3:4:5:6:7::")).toEqual(["10002", "30004", "50006", "70000"]);
    expect(words("::2:3:4:5:6:7:8")).toEqual(["2", "30004", "50006", "70008"]);
    expect(words("fe80::1%eth0")).toEqual(["fe800000", "0", "0", "1"]);
    expect(words("64:ff9b::192.0.2.33")).toEqual(["64ff9b", "0", "0", "c0000221"]);
  });
  it.each([
    "", ":", ":::", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "::1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7", ":1", "1:", "1:::2",
    "g::1", "::1.2.3", "::1.2.3.4.5", "1:2:3:4:5:6:7:1.2.3.4", "fe80::1%", "[::1]", "::1 ", "1.2.3.4:80",
  ])("rejects %j", (text) => expect(words(text)).toBeNull());

  it("round-trips any 128-bit address written in full hex form", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), (groups) => {
        const text = groups.map((g) => g.toString(16)).join(":");
        const expected = [0, 1, 2, 3].map((w) => (((groups[2 * w] << 16) | groups[2 * w + 1]) >>> 0).toString(16));
        expect(words(text)).toEqual(expected);
      }),
    );
  });
});

describe("address predicates", () => {
  it("tell families apart", () => {
    expect(isIpv4("1.2.3.4")).toBe(true);
    expect(isIpv4("::1")).toBe(false);
    expect(isIpv6("::ffff:1.2.3.4")).toBe(true);
    expect(isIpv6("1.2.3.4")).toBe(false);
    expect(isIpAddress("unknown")).toBe(false);
  });
});

describe("parseNetwork", () => {
  it("parses addresses and CIDRs into 128-bit prefixes", () => {
    expect(parseNetwork("10.0.0.0/8")?.prefix).toBe(104);
    expect(parseNetwork("10.0.0.1")?.prefix).toBe(128);
    expect(parseNetwork("2001:db8::/32")?.prefix).toBe(32);
    expect(parseNetwork("::/0")?.prefix).toBe(0);
    expect([...parseNetwork("10.1.2.3/8")!.words]).toEqual([0, 0, 0xffff, 0x0a000000]);
  });
  it.each(["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/08", "10.0.0.0/a", "fe80::1%eth0", "*", "host", "10.0.0.0/8/8"])(
    "rejects %j",
    (item) => expect(parseNetwork(item)).toBeNull(),
  );
});

describe("compileAllowList", () => {
  it("matches exact IPv4 and IPv6 addresses, also IPv4-mapped", () => {
    const m = compileAllowList(["127.0.0.1", "::1"]);
    expect(m.any).toBe(false);
    expect(m.matches("127.0.0.1")).toBe(true);
    expect(m.matches("::ffff:127.0.0.1")).toBe(true);
    expect(m.matches("::1")).toBe(true);
    expect(m.matches("0:0:0:0:0:0:0:1")).toBe(true);
    expect(m.matches("127.0.0.2")).toBe(false);
    expect(m.matches("::2")).toBe(false);
    expect(m.matches("")).toBe(false);
    expect(m.matches("garbage")).toBe(false);
  });
  it("matches IPv4 and IPv6 networks", () => {
    const m = compileAllowList(["10.0.0.0/8", "192.168.1.128/25", "2001:db8::/32", "fd00::/8"]);
    expect(m.matches("10.255.0.1")).toBe(true);
    expect(m.matches("::ffff:10.0.0.1")).toBe(true);
    expect(m.matches("11.0.0.1")).toBe(false);
    expect(m.matches("192.168.1.128")).toBe(true);
    expect(m.matches("192.168.1.255")).toBe(true);
    expect(m.matches("192.168.1.127")).toBe(false);
    expect(m.matches("2001:db8:ffff::1")).toBe(true);
    expect(m.matches("2001:db9::1")).toBe(false);
    expect(m.matches("fdab::1")).toBe(true);
    expect(m.matches("fe80::1")).toBe(false);
  });
  it("an IPv6 network of mapped addresses covers IPv4", () => {
    const m = compileAllowList(["::ffff:0:0/96"]);
    expect(m.matches("1.2.3.4")).toBe(true);
    expect(m.matches("::1")).toBe(false);
  });
  it("/0 covers every address of its family, * covers everything", () => {
    expect(compileAllowList(["0.0.0.0/0"]).matches("203.0.113.9")).toBe(true);
    expect(compileAllowList(["0.0.0.0/0"]).matches("2001:db8::1")).toBe(false);
    expect(compileAllowList(["::/0"]).matches("2001:db8::1")).toBe(true);
    const any = compileAllowList(["10.0.0.1", "*"]);
    expect(any.any).toBe(true);
    expect(any.matches("anything")).toBe(true);
  });
  it("an empty list matches nothing", () => {
    expect(compileAllowList([]).matches("127.0.0.1")).toBe(false);
  });
  it("rejects invalid items", () => {
    expect(() => compileAllowList(["10.0.0.0/40"])).toThrow(/not an IP address or network: "10.0.0.0\/40"/);
  });
  it("agrees with a reference prefix comparison on random IPv4 addresses", () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), (net, addr, bits) => {
        const dotted = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
        const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
        const expected = ((net & mask) >>> 0) === ((addr & mask) >>> 0);
        expect(compileAllowList([`${dotted(net)}/${bits}`]).matches(dotted(addr))).toBe(expected);
      }),
    );
  });
});

describe("isTrustedPeer", () => {
  it("trusts Unix-socket peers (empty address) and listed addresses", () => {
    const m = compileAllowList(["10.0.0.1"]);
    expect(isTrustedPeer(m, "")).toBe(true);
    expect(isTrustedPeer(m, "10.0.0.1")).toBe(true);
    expect(isTrustedPeer(m, "10.0.0.2")).toBe(false);
  });
});
