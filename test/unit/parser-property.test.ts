import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RequestHead } from "../../core/http/types.ts";
import { bytes, runAllSplits, runParser, splitAt, type ParserEvent } from "./parser-helpers.ts";

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const VISIBLE = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join("");
const OBS_TEXT = Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(0x80 + i)).join("");
const HOST_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=";
/** Names the parser interprets or drops as trailers; random "other" headers avoid them. */
const SPECIAL = new Set([
  "host", "content-length", "transfer-encoding", "connection", "expect", "keep-alive", "proxy-connection", "te",
  "trailer", "upgrade", "content-type", "content-encoding", "content-range", "authorization", "proxy-authorization",
  "cookie", "range", "max-forwards", "cache-control", "if-match", "if-none-match", "if-modified-since",
  "if-unmodified-since", "if-range",
]);

const charsOf = (alphabet: string, min: number, max: number) =>
  fc.array(fc.constantFrom(...alphabet), { minLength: min, maxLength: max }).map((a) => a.join(""));

const token = (min: number, max: number) => charsOf(TCHARS, min, max);
const fieldName = fc.oneof(
  token(1, 16),
  fc.constantFrom("User-Agent", "Accept", "ACCEPT-ENCODING", "accept-language", "X-Forwarded-For", "Referer", "Sec-Ch-Ua"),
).filter((n) => !SPECIAL.has(n.toLowerCase()));
/** A field value without surrounding whitespace (inner SP/HTAB allowed). */
const fieldValue = fc.oneof(
  fc.constant(""),
  fc.tuple(charsOf(VISIBLE + OBS_TEXT, 1, 1), charsOf(VISIBLE + OBS_TEXT + " \t", 0, 80), charsOf(VISIBLE + OBS_TEXT, 0, 1))
    .map(([a, b, c]) => a + b + c)
    .filter((v) => v === v.replace(/^[ \t]+|[ \t]+$/g, "")),
);
const ows = charsOf(" \t", 0, 2);
const bodyBytes = (max: number) => charsOf(Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join(""), 0, max);

interface Model {
  raw: string;
  head: RequestHead;
  body: string;
  trailers: string[];
}

const chunkExt = fc.oneof(
  fc.constant(""),
  fc.tuple(token(1, 5), fc.option(fc.oneof(token(1, 5), charsOf("abc \t;=\\", 0, 6).map((s) => `"${s.replace(/\\/g, "\\\\")}"`)))).map(
    ([n, v]) => `;${n}${v === null ? "" : `=${v}`}`,
  ),
);

const request: fc.Arbitrary<Model> = fc
  .record({
    leading: fc.constantFrom("", "", "", "\r\n", "\r\n\r\n"),
    method: fc.oneof(fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"), token(1, 10)),
    // A `%` in the path starts an escape (a malformed one is refused); in the query anything visible goes.
    target: fc
      .tuple(charsOf(VISIBLE.replace("#", "").replace("%", ""), 0, 60), fc.constantFrom("", "", "%41", "%c3%A9", "?q=100%", "?%zz"))
      .map(([p, tail]) => "/" + p + tail),
    minor: fc.constantFrom(0, 1, 1, 1),
    fields: fc.array(fc.tuple(fieldName, fieldValue, ows, ows), { maxLength: 8 }),
    host: fc.option(
      fc.tuple(fc.oneof(charsOf(HOST_CHARS, 0, 20), fc.constant("[::1]")), fc.option(fc.oneof(fc.constant(""), fc.integer({ min: 0, max: 65535 }).map(String))))
        .map(([h, port]) => (port === null ? h : `${h}:${port}`)),
      { nil: undefined },
    ),
    hostAt: fc.nat(),
    connection: fc.constantFrom(undefined, "close", "keep-alive", "Keep-Alive, Upgrade"),
    framing: fc.constantFrom("none", "cl", "chunked"),
    body: bodyBytes(200),
    chunks: fc.array(fc.tuple(bodyBytes(40).filter((s) => s.length > 0), chunkExt, fc.constantFrom("x", "X", "0", "")), { maxLength: 5 }),
    trailers: fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 3 }),
  })
  .map((r): Model => {
    const headers: string[] = [];
    const lines: string[] = [];
    const add = (name: string, value: string, pre = "", post = "") => {
      lines.push(`${name}:${pre}${value}${post}\r\n`);
      headers.push(name.toLowerCase(), value);
    };
    for (const [n, v, pre, post] of r.fields) add(n, v, pre, post);
    const host = r.minor === 1 && r.host === undefined ? "localhost" : r.host;
    if (host !== undefined) {
      const at = r.hostAt % (lines.length + 1);
      lines.splice(at, 0, `Host: ${host}\r\n`);
      headers.splice(at * 2, 0, "host", host);
    }
    if (r.connection) add("Connection", r.connection, " ");
    const chunked = r.framing === "chunked" && r.minor === 1;
    let body = "";
    let trailers: string[] = [];
    let tail = "";
    let contentLength = -1;
    if (chunked) {
      add("Transfer-Encoding", "chunked", " ");
      for (const [data, ext, hexCase] of r.chunks) {
        let size = data.length.toString(16);
        size = hexCase === "X" ? size.toUpperCase() : hexCase === "0" ? "0" + size : size;
        tail += `${size}${ext}\r\n${data}\r\n`;
        body += data;
      }
      tail += "0\r\n";
      for (const [n, v] of r.trailers) {
        tail += `${n}: ${v}\r\n`;
        trailers.push(n.toLowerCase(), v);
      }
      tail += "\r\n";
    } else if (r.framing === "cl" || r.framing === "chunked") {
      add("Content-Length", String(r.body.length), " ");
      contentLength = r.body.length;
      body = r.body;
      tail = r.body;
    }
    const close = r.connection === "close";
    const keepAlive = r.minor === 0 ? /keep-alive/i.test(r.connection ?? "") : !close;
    return {
      raw: `${r.leading}${r.method} ${r.target} HTTP/1.${r.minor}\r\n${lines.join("")}\r\n${tail}`,
      head: {
        method: r.method, target: r.target, versionMinor: r.minor, headers, contentLength, chunked, keepAlive,
        expectContinue: false, host: host ?? "",
      },
      body,
      trailers,
    };
  });

/** The events a correct parser must produce for a pipelined sequence of `models`. */
function expectedEvents(models: Model[]): ParserEvent[] {
  const out: ParserEvent[] = [];
  let total = 0;
  for (const m of models) {
    total += m.raw.length;
    out.push({ type: "head", head: m.head });
    if (m.body.length > 0) out.push({ type: "body", data: m.body });
    if (m.trailers.length > 0) out.push({ type: "trailers", trailers: m.trailers });
    out.push({ type: "complete", consumedTotal: total });
  }
  return out;
}

/** Raise for a longer fuzzing session: PARSER_FUZZ_RUNS=50000 vitest run test/unit/parser-property */
const FUZZ_RUNS = Number(process.env.PARSER_FUZZ_RUNS) || 1000;

const cuts = (len: number) => fc.array(fc.integer({ min: 1, max: Math.max(1, len - 1) }), { maxLength: 12 }).map((a) => [...new Set(a)].sort((x, y) => x - y));

describe("parser properties", () => {
  it("valid pipelined requests: events match the model for any split of the input", () => {
    fc.assert(
      fc.property(
        fc.array(request, { minLength: 1, maxLength: 4 }).chain((ms) => {
          const raw = bytes(ms.map((m) => m.raw).join(""));
          return fc.tuple(fc.constant(ms), fc.constant(raw), cuts(raw.length));
        }),
        ([models, raw, offsets]) => {
          const expected = expectedEvents(models);
          expect(runParser([raw])).toEqual(expected);
          expect(runParser(splitAt(raw, offsets))).toEqual(expected);
        },
      ),
      { numRuns: Math.ceil(FUZZ_RUNS * 0.4) },
    );
  });

  it("fixed requests: identical events at every single byte boundary and byte by byte", () => {
    const fixed = [
      "\r\nPOST /upload?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: t/1\r\nTransfer-Encoding: gzip\r\n" +
        "Transfer-Encoding:\tchunked\r\n\r\n",
      "POST /c HTTP/1.1\r\nhost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
        "a;name=\"v\\\"al\"\r\n0123456789\r\n1\r\n\n\r\n0;z\r\nX-Trailer: caf\xe9\r\nHost: dropped\r\n\r\n" +
        "GET http://h/p HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" +
        "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\nExpect: 100-continue\r\n\r\nhello\r\nworld",
    ];
    const first = runAllSplits(fixed[0]);
    expect(first[first.length - 1]).toMatchObject({ type: "error", status: 501 });
    const events = runAllSplits(fixed[1]);
    expect(events.map((e) => e.type)).toEqual([
      "head", "body", "trailers", "complete", "head", "complete", "head", "body", "complete",
    ]);
    expect(events[2]).toEqual({ type: "trailers", trailers: ["x-trailer", "café"] });
    expect(events[7]).toEqual({ type: "body", data: "hello\r\nworld" });
  });

  it("random bytes never raise anything but HttpError, and splits do not change the outcome", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }).chain((raw) => fc.tuple(fc.constant(raw), cuts(raw.length))),
        ([raw, offsets]) => {
          const whole = runParser([raw]);
          expect(runParser(splitAt(raw, offsets))).toEqual(whole);
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it("random mutations of valid requests never raise anything but HttpError, and splits agree", () => {
    const interesting = [0x0d, 0x0a, 0x20, 0x09, 0x3a, 0x3b, 0x2c, 0x30, 0x61, 0x00, 0x80, 0xff, 0x22, 0x5c, 0x3d, 0x7f, 0x0b];
    const mutation = fc.tuple(
      fc.constantFrom("replace", "insert", "delete", "duplicate"),
      fc.nat(),
      fc.oneof(fc.constantFrom(...interesting), fc.integer({ min: 0, max: 255 })),
    );
    fc.assert(
      fc.property(
        fc.array(request, { minLength: 1, maxLength: 3 }),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (models, mutations, rawCuts) => {
          const arr = Array.from(bytes(models.map((m) => m.raw).join("")));
          for (const [kind, at, b] of mutations) {
            const i = at % (arr.length + 1);
            if (kind === "replace" && i < arr.length) arr[i] = b;
            else if (kind === "insert") arr.splice(i, 0, b);
            else if (kind === "delete") arr.splice(i, 1);
            else if (kind === "duplicate") arr.splice(i, 0, ...arr.slice(i, i + 8));
          }
          const raw = Uint8Array.from(arr);
          const offsets = [...new Set(rawCuts.map((c) => 1 + (c % Math.max(1, raw.length - 1))))].sort((x, y) => x - y);
          const whole = runParser([raw]);
          expect(runParser(splitAt(raw, offsets))).toEqual(whole);
          expect(runParser(splitAt(raw, offsets), { permitBareLf: true })).toEqual(runParser([raw], { permitBareLf: true }));
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
  });
});
