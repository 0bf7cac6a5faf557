import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FIELD_VALUE_CHAR, TARGET_CHAR } from "../../core/http/chars.ts";
import { lookupField } from "../../core/http/parse-names.ts";
import { equalWords, skipFieldValueWords, skipTargetWords } from "../../core/http/parse-scan.ts";
import { bytes, errorStatus, heads, runParser, splitAt } from "./parser-helpers.ts";

/** Reference: first word offset (from i, step 4, whole words before stop) containing a byte outside `ok`. */
function refSkip(buf: Uint8Array, i: number, stop: number, ok: (b: number) => boolean): number {
  while (i + 4 <= stop) {
    for (let k = 0; k < 4; k++) if (!ok(buf[i + k])) return i;
    i += 4;
  }
  return i;
}

const interestingByte = fc.oneof(
  fc.integer({ min: 0, max: 255 }),
  fc.constantFrom(0x00, 0x09, 0x0a, 0x0d, 0x1f, 0x20, 0x21, 0x7e, 0x7f, 0x80, 0xff, 0x3a, 0x41, 0x61),
);

describe("word-at-a-time scanning", () => {
  it("skipFieldValueWords stops at the first word holding a control byte or DEL", () => {
    const plain = (b: number) => b >= 0x20 && b !== 0x7f;
    fc.assert(
      fc.property(fc.array(interestingByte, { maxLength: 40 }), fc.nat(3), (arr, off) => {
        const buf = Uint8Array.from([0, 0, 0, ...arr]);
        const dv = new DataView(buf.buffer);
        const got = skipFieldValueWords(dv, off, buf.length);
        expect(got).toBe(refSkip(buf, off, buf.length, plain));
      }),
      { numRuns: 3000 },
    );
    // every byte value in every lane
    for (let b = 0; b < 256; b++) {
      for (let lane = 0; lane < 4; lane++) {
        const buf = new Uint8Array(8).fill(0x61);
        buf[4 + lane] = b;
        const got = skipFieldValueWords(new DataView(buf.buffer), 0, 8);
        expect(got).toBe(plain(b) ? 8 : 4);
        expect(plain(b) || FIELD_VALUE_CHAR[b] === 0 || b === 0x09).toBe(true);
      }
    }
  });

  it("skipTargetWords stops at the first word holding a non-visible byte or '#'", () => {
    for (let b = 0; b < 256; b++) {
      for (let lane = 0; lane < 4; lane++) {
        const buf = new Uint8Array(8).fill(0x2f);
        buf[4 + lane] = b;
        expect(skipTargetWords(new DataView(buf.buffer), 0, 8)).toBe(TARGET_CHAR[b] === 1 ? 8 : 4);
      }
    }
    fc.assert(
      fc.property(fc.array(interestingByte, { maxLength: 40 }), fc.nat(3), (arr, off) => {
        const buf = Uint8Array.from([0, 0, 0, ...arr]);
        expect(skipTargetWords(new DataView(buf.buffer), off, buf.length)).toBe(refSkip(buf, off, buf.length, (x) => TARGET_CHAR[x] === 1));
      }),
      { numRuns: 3000 },
    );
  });

  it("equalWords counts equal leading whole words", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 30 }), fc.nat(40), fc.integer({ min: 0, max: 255 }), (a, at, b) => {
        const c = a.slice();
        if (at < c.length) c[at] = b;
        let ref = 0;
        while (ref + 4 <= a.length && [0, 1, 2, 3].every((k) => a[ref + k] === c[ref + k])) ref += 4;
        expect(equalWords(new DataView(a.buffer), 0, new DataView(c.buffer), 0, a.length)).toBe(ref);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("values and names across the word-at-a-time paths", () => {
  const pad = (n: number) => "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.~!".repeat(3).slice(0, n);

  it("obs-text anywhere in a long value decodes as latin1, at any input alignment", () => {
    for (const name of ["X-Unknown", "User-Agent", "Cookie"]) {
      for (let pos = 0; pos < 70; pos++) {
        for (const ch of ["\x80", "\xe9", "\xff"]) {
          const value = pad(pos) + ch + pad(70 - pos);
          for (let align = 0; align < 4; align++) {
            const raw = bytes(`${" ".repeat(align)}GET / HTTP/1.1\r\nHost: h\r\n${name}: ${value}\r\n\r\n`).subarray(align);
            expect(heads(runParser([raw]))[0].headers[3]).toBe(value);
          }
        }
      }
    }
  });

  it("a control byte anywhere in a long value is refused, at any alignment and split", () => {
    for (let pos = 0; pos < 60; pos++) {
      for (const ch of ["\x00", "\x01", "\x0b", "\x1f", "\x7f", "\r", "\n"]) {
        const raw = bytes(`GET / HTTP/1.1\r\nHost: h\r\nAccept: ${pad(pos)}${ch}${pad(60 - pos)}\r\n\r\n`);
        expect(errorStatus(runParser([raw]))).toBe(400);
        expect(errorStatus(runParser(splitAt(raw, [30 + (pos % 7)])))).toBe(400);
      }
      if (pos === 0) continue; // a leading HTAB is OWS, trimmed
      const tab = bytes(`GET / HTTP/1.1\r\nHost: h\r\nAccept: ${pad(pos)}\t${pad(60 - pos)}\r\n\r\n`);
      expect(heads(runParser([tab]))[0].headers[3]).toBe(`${pad(pos)}\t${pad(60 - pos)}`);
    }
  });

  it("a bad byte anywhere in a long target is refused", () => {
    for (let pos = 0; pos < 60; pos++) {
      for (const ch of ["\x00", "\x7f", "\x80", "\xff", "\t", "\x1f", "#"]) {
        expect(errorStatus(runParser(`GET /${pad(pos)}${ch}${pad(60 - pos)} HTTP/1.1\r\nHost: h\r\n\r\n`))).toBe(400);
      }
      const t = `/${pad(pos)}${pad(60 - pos)}`;
      expect(heads(runParser(`GET ${t} HTTP/1.1\r\nHost: h\r\n\r\n`))[0].target).toBe(t);
    }
  });

  it("a value changing after being cached is decoded afresh", () => {
    const base = pad(50);
    const variants = [base, base, base + "x", base.slice(0, 49), base.slice(0, 20) + "Q" + base.slice(21), base, "", base];
    const raw = variants.map((v) => `GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: ${v}\r\n\r\n`).join("");
    expect(heads(runParser(raw)).map((h) => h.headers[3])).toEqual(variants);
  });

  it("known names match case-insensitively and only exactly", () => {
    const names = ["content-length", "transfer-encoding", "user-agent", "x-forwarded-for", "sec-websocket-extensions", "te", "host"];
    for (const n of names) {
      const variants = [n, n.toUpperCase(), n.replace(/./g, (c, i) => (i % 2 ? c.toUpperCase() : c))];
      for (const v of variants) {
        const b = bytes(`**${v}`);
        expect(lookupField(b, 2, b.length, new DataView(b.buffer))?.name).toBe(n);
        expect(lookupField(b, 2, b.length, null)?.name).toBe(n);
      }
      for (let i = 0; i < n.length; i++) {
        for (const c of ["_", "^", "~", "x", "0"]) {
          if (n[i] === c) continue;
          const b = bytes(n.slice(0, i) + c + n.slice(i + 1));
          expect(lookupField(b, 0, b.length, new DataView(b.buffer))).toBeNull();
        }
      }
    }
  });
});

describe("remembered values", () => {
  it("a remembered interpretation never outlives its bytes", () => {
    const long = Array.from({ length: 30 }, () => "0000000000003").join(", "); // > 256 bytes: not remembered
    const raw =
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nab" +
      `POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ${long}\r\n\r\nabc` +
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nab" +
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nab";
    expect(heads(runParser(raw)).map((h) => h.contentLength)).toEqual([2, 3, 2, 2]);
    const conn =
      "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n" +
      `GET / HTTP/1.1\r\nHost: h\r\nConnection: ${"x, ".repeat(60)}keep-alive\r\n\r\n` +
      "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    expect(heads(runParser(conn)).map((h) => h.keepAlive)).toEqual([false, true, false]);
  });

  it("a refused value is not remembered as valid", () => {
    expect(errorStatus(runParser("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"))).toBe(400);
    expect(errorStatus(runParser("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"))).toBe(400);
    expect(errorStatus(runParser("GET / HTTP/1.1\r\nContent-Length: 1x\r\nHost: h\r\n\r\n"))).toBe(400);
    expect(errorStatus(runParser("GET / HTTP/1.1\r\nContent-Length: 1x\r\nHost: h\r\n\r\n"))).toBe(400);
    expect(errorStatus(runParser("GET / HTTP/1.1\r\nHost: h\r\nExpect: nope\r\n\r\n"))).toBe(417);
    expect(errorStatus(runParser("GET / HTTP/1.1\r\nHost: h\r\nExpect: nope\r\n\r\n"))).toBe(417);
  });
});

describe("native latin1 decoder hook", () => {
  it("gives the same events as the portable decoders", async () => {
    const { setLatin1Decoder } = await import("../../core/http/chars.ts");
    const { Buffer } = await import("node:buffer");
    const raw =
      "GET /a-long-target/with/segments?and=query HTTP/1.1\r\nHost: example.com\r\n" +
      "X-Obs: caf\xe9 \x80\x9f\xff and more text\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n\r\n" +
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Trailer-Long: \xe9\xe8\xe7 trailer value\r\n\r\n";
    const portable = runParser(raw);
    const slice = Buffer.prototype.latin1Slice as (this: Uint8Array, s: number, e: number) => string;
    let calls = 0;
    setLatin1Decoder((b, s, e) => {
      calls++;
      return slice.call(b, s, e);
    });
    try {
      expect(runParser(raw)).toEqual(portable);
      expect(calls).toBeGreaterThan(0);
    } finally {
      setLatin1Decoder(null);
    }
    expect(heads(portable)[0].headers[3]).toBe("café \x80\x9f\xff and more text");
  });
});

describe("value cache policy", () => {
  it("values and their meanings stay right whatever the pattern of repeats", () => {
    const pool = fc.record({
      cl: fc.constantFrom(0, 1, 2, 10, 3),
      conn: fc.constantFrom("close", "keep-alive", "Keep-Alive, Upgrade", "upgrade", "CLOSE"),
      ua: fc.constantFrom("a", "agent/1.0 (long enough for words)", "agent/1.0 (long enough for wordz)", "x".repeat(300)),
      target: fc.constantFrom("/", "/a", "/a/b/c/d/e/f/g/h/i/j/k", "/a/b/c/d/e/f/g/h/i/j/K"),
    });
    fc.assert(
      fc.property(fc.array(pool, { minLength: 1, maxLength: 30 }), (reqs) => {
        const raw = reqs
          .map((r) => `POST ${r.target} HTTP/1.1\r\nHost: h\r\nUser-Agent: ${r.ua}\r\nConnection: ${r.conn}\r\nContent-Length: ${r.cl}\r\n\r\n${"b".repeat(r.cl)}`)
          .join("");
        const hs = heads(runParser(raw));
        expect(hs.map((h) => [h.target, h.headers[3], h.keepAlive, h.contentLength])).toEqual(
          reqs.map((r) => [r.target, r.ua, !/close/i.test(r.conn), r.cl]),
        );
      }),
      { numRuns: 300 },
    );
  });
});
