import { describe, expect, it } from "vitest";
import { errorStatus, heads, runAllSplits, type ParserEvent } from "./parser-helpers.ts";

const RL = "POST /upload HTTP/1.1\r\nHost: h\r\n";

function summary(events: ParserEvent[]): unknown[] {
  return events.map((e) =>
    e.type === "head" ? ["head", e.head.contentLength, e.head.chunked]
    : e.type === "body" ? ["body", e.data]
    : e.type === "trailers" ? ["trailers", e.trailers]
    : e.type === "error" ? ["error", e.status]
    : ["complete"]);
}

/** [name, raw request after the common request line + Host, expected status (0 = ok), expected summary] */
const cases: [string, string, number, unknown[]?][] = [
  // Content-Length
  ["CL body", "Content-Length: 5\r\n\r\nhello", 0, [["head", 5, false], ["body", "hello"], ["complete"]]],
  ["CL 0 completes after head", "Content-Length: 0\r\n\r\n", 0, [["head", 0, false], ["complete"]]],
  ["no CL no TE: no body", "\r\n", 0, [["head", -1, false], ["complete"]]],
  ["CL leading zeros", "Content-Length: 0005\r\n\r\nhello", 0, [["head", 5, false], ["body", "hello"], ["complete"]]],
  ["CL OWS", "Content-Length: \t5 \r\n\r\nhello", 0, [["head", 5, false], ["body", "hello"], ["complete"]]],
  ["CL identical list", "Content-Length: 5, 5,5\r\n\r\nhello", 0, [["head", 5, false], ["body", "hello"], ["complete"]]],
  ["CL identical repeated fields", "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 0],
  ["CL differing list", "Content-Length: 5, 6\r\n\r\nhello", 400],
  ["CL differing fields", "Content-Length: 5\r\ncontent-length: 6\r\n\r\nhello", 400],
  ["CL plus sign", "Content-Length: +5\r\n\r\nhello", 400],
  ["CL negative", "Content-Length: -5\r\n\r\nhello", 400],
  ["CL hex", "Content-Length: 0x5\r\n\r\nhello", 400],
  ["CL trailing junk", "Content-Length: 5a\r\n\r\nhello", 400],
  ["CL inner space", "Content-Length: 5 5\r\n\r\nhello", 400],
  ["CL empty", "Content-Length:\r\n\r\n", 400],
  ["CL empty list element", "Content-Length: 5,\r\n\r\nhello", 400],
  ["CL decimal point", "Content-Length: 5.0\r\n\r\nhello", 400],
  ["CL 17 digits", "Content-Length: 00000000000000005\r\n\r\nhello", 400],
  ["CL above MAX_SAFE_INTEGER", "Content-Length: 9007199254740992\r\n\r\n", 400],
  ["CL at MAX_SAFE_INTEGER", "Content-Length: 9007199254740991\r\n\r\nab", 0, [["head", 9007199254740991, false], ["body", "ab"]]],
  ["CL space before colon", "Content-Length : 5\r\n\r\nhello", 400],
  // Transfer-Encoding
  ["chunked", "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 0,
    [["head", -1, true], ["body", "hello"], ["complete"]]],
  ["Chunked (case-insensitive)", "Transfer-Encoding: ChUnKeD\r\n\r\n0\r\n\r\n", 0],
  ["TE with HTAB OWS", "Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n", 0],
  ["TE with odd OWS", "Transfer-Encoding: \t chunked \t\r\n\r\n0\r\n\r\n", 0],
  ["TE space before colon (TE.TE)", "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400],
  ["TE xchunked (TE.TE)", "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400],
  ["TE chunked , x (TE.TE)", "Transfer-Encoding: chunked , x\r\n\r\n0\r\n\r\n", 400],
  ["TE VT before chunked", "Transfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n", 400],
  ["TE quoted", "Transfer-Encoding: \"chunked\"\r\n\r\n0\r\n\r\n", 400],
  ["TE with parameter", "Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n", 400],
  ["TE chunked twice in list", "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400],
  ["TE chunked twice in fields", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400],
  ["TE chunked not final", "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400],
  ["TE chunked then other field", "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", 400],
  ["TE gzip only", "Transfer-Encoding: gzip\r\n\r\n", 400],
  ["TE identity", "Transfer-Encoding: identity\r\n\r\n", 400],
  ["TE gzip, chunked: not implemented", "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501],
  ["TE gzip then chunked fields", "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501],
  ["TE empty", "Transfer-Encoding:\r\n\r\n", 400],
  ["TE empty list elements are ignored (RFC 9110 §5.6.1)", "Transfer-Encoding: , chunked,\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 0,
    [["head", -1, true], ["body", "abc"], ["complete"]]],
  ["TE only empty elements", "Transfer-Encoding: , ,\r\n\r\n", 400],
  ["TE empty elements do not hide a final non-chunked coding", "Transfer-Encoding: chunked, , gzip\r\n\r\n", 400],
  ["CL.TE smuggling", "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG", 400],
  ["TE.CL smuggling", "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n", 400],
  ["TE (non-chunked) + CL", "Transfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc", 400],
  ["Transfer_Encoding is just a field", "Transfer_Encoding: chunked\r\n\r\n", 0, [["head", -1, false], ["complete"]]],
  // chunked body syntax
  ["multiple chunks", "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n", 0,
    [["head", -1, true], ["body", "hello world"], ["complete"]]],
  ["upper-case hex", "Transfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n", 0],
  ["lower-case hex, leading zeros", "Transfer-Encoding: chunked\r\n\r\n000a\r\n0123456789\r\n000\r\n\r\n", 0],
  ["chunk ext name", "Transfer-Encoding: chunked\r\n\r\n5;ext\r\nhello\r\n0;last\r\n\r\n", 0],
  ["chunk ext name=token", "Transfer-Encoding: chunked\r\n\r\n5;a=b;c=d\r\nhello\r\n0\r\n\r\n", 0],
  ["chunk ext quoted", "Transfer-Encoding: chunked\r\n\r\n5;a=\"x \\\" y;\\\\\"\r\nhello\r\n0\r\n\r\n", 0],
  ["chunk ext BWS", "Transfer-Encoding: chunked\r\n\r\n5 ; a = b\t;\tc\r\nhello\r\n0\r\n\r\n", 0],
  ["chunk ext trailing space", "Transfer-Encoding: chunked\r\n\r\n5;a \r\nhello\r\n0\r\n\r\n", 400],
  ["chunk ext empty name", "Transfer-Encoding: chunked\r\n\r\n5;=b\r\nhello\r\n0\r\n\r\n", 400],
  ["chunk ext empty value", "Transfer-Encoding: chunked\r\n\r\n5;a=\r\nhello\r\n0\r\n\r\n", 400],
  ["chunk ext unterminated quote", "Transfer-Encoding: chunked\r\n\r\n5;a=\"b\r\nhello\r\n0\r\n\r\n", 400],
  ["chunk ext NUL", "Transfer-Encoding: chunked\r\n\r\n5;a=\"\x00\"\r\nhello\r\n0\r\n\r\n", 400],
  ["chunk ext bare LF", "Transfer-Encoding: chunked\r\n\r\n5;a\nhello\r\n0\r\n\r\n", 400],
  ["chunk ext bare CR", "Transfer-Encoding: chunked\r\n\r\n5;a\rhello\r\n0\r\n\r\n", 400],
  ["chunk ext too long", `Transfer-Encoding: chunked\r\n\r\n5;a=${"b".repeat(4095)}\r\nhello\r\n0\r\n\r\n`, 400],
  ["chunk ext just fits", `Transfer-Encoding: chunked\r\n\r\n5;a=${"b".repeat(4093)}\r\nhello\r\n0\r\n\r\n`, 0],
  ["chunk size negative", "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", 400],
  ["chunk size plus", "Transfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n", 400],
  ["chunk size 0x prefix", "Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", 400],
  ["chunk size trailing space", "Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n", 400],
  ["chunk size leading space", "Transfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n", 400],
  ["chunk size empty", "Transfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n", 400],
  ["chunk size not hex", "Transfer-Encoding: chunked\r\n\r\ng\r\nhello\r\n0\r\n\r\n", 400],
  ["chunk size bare LF", "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 400],
  ["chunk size 17 digits", "Transfer-Encoding: chunked\r\n\r\n00000000000000005\r\nhello\r\n0\r\n\r\n", 400],
  ["chunk size above MAX_SAFE_INTEGER", "Transfer-Encoding: chunked\r\n\r\n20000000000000\r\nhello\r\n", 400],
  ["chunk size 16 hex digits overflow", "Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nhello\r\n", 400],
  ["chunk data longer than size", "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n0\r\n\r\n", 400],
  ["chunk data followed by bare LF", "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n", 400],
  ["chunk data followed by LF CR", "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\n\r0\r\n\r\n", 400],
  // trailers
  ["trailers delivered", "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: abc \r\nX-B:\r\n\r\n", 0,
    [["head", -1, true], ["body", "hello"], ["trailers", ["x-sum", "abc", "x-b", ""]], ["complete"]]],
  ["trailer Content-Length refused", "Transfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 5\r\n\r\n", 400],
  ["trailer Transfer-Encoding refused", "Transfer-Encoding: chunked\r\n\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n", 400],
  ["trailer Host etc. dropped", "Transfer-Encoding: chunked\r\n\r\n0\r\nHost: evil\r\nConnection: close\r\nX-Ok: 1\r\nAuthorization: x\r\n\r\n", 0,
    [["head", -1, true], ["trailers", ["x-ok", "1"]], ["complete"]]],
  ["only dropped trailers: no onTrailers", "Transfer-Encoding: chunked\r\n\r\n0\r\nHost: evil\r\n\r\n", 0,
    [["head", -1, true], ["complete"]]],
  ["trailer obs-fold", "Transfer-Encoding: chunked\r\n\r\n0\r\nX: a\r\n b\r\n\r\n", 400],
  ["trailer NUL", "Transfer-Encoding: chunked\r\n\r\n0\r\nX: a\x00\r\n\r\n", 400],
  ["trailer space before colon", "Transfer-Encoding: chunked\r\n\r\n0\r\nX : a\r\n\r\n", 400],
  ["trailer bare LF", "Transfer-Encoding: chunked\r\n\r\n0\r\nX: a\n\r\n", 400],
  ["missing final CRLF after last chunk", "Transfer-Encoding: chunked\r\n\r\n0\r\nX", 0, [["head", -1, true]]],
];

describe("message framing (RFC 9112 §6, §7)", () => {
  it.each(cases)("%s", (_name, rest, status, expected) => {
    const events = runAllSplits(RL + rest);
    expect(errorStatus(events)).toBe(status);
    if (expected) expect(summary(events)).toEqual(expected);
    else if (status === 0) expect(events[events.length - 1].type).toBe("complete");
  });

  it("HTTP/1.0 with Transfer-Encoding is refused", () => {
    expect(errorStatus(runAllSplits("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"))).toBe(400);
  });

  it("HTTP/1.0 with Content-Length body", () => {
    expect(summary(runAllSplits("POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\nab"))).toEqual([["head", 2, false], ["body", "ab"], ["complete"]]);
  });

  it("body limit: Content-Length over it is refused at head time", () => {
    const events = runAllSplits(`${RL}Content-Length: 11\r\n\r\n`, { limitRequestBody: 10 });
    expect(summary(events)).toEqual([["error", 413]]);
    expect(errorStatus(runAllSplits(`${RL}Content-Length: 10\r\n\r\n0123456789`, { limitRequestBody: 10 }))).toBe(0);
  });

  it("body limit: chunked data over it is refused at the chunk size", () => {
    const ok = `${RL}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n`;
    expect(errorStatus(runAllSplits(ok, { limitRequestBody: 10 }))).toBe(0);
    const over = `${RL}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n`;
    expect(summary(runAllSplits(over, { limitRequestBody: 10 }))).toEqual([["head", -1, true], ["body", "hello"], ["error", 413]]);
  });

  it("the parser is dead after an error: nothing after a framing error is parsed", () => {
    const events = runAllSplits(`${RL}Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n`);
    expect(summary(events)).toEqual([["error", 400]]);
  });

  it("a message needs no Content-Length for GET; bytes after it are the next request", () => {
    const events = runAllSplits("GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
    expect(heads(events).map((h) => h.target)).toEqual(["/", "/2"]);
  });
});
