import { describe, expect, it } from "vitest";
import { interimHead, lastChunkWithTrailers } from "../../core/http/field-sections.ts";
import { DateCache } from "../../core/http/date.ts";
import { FRAMING_CHUNKED, FRAMING_LENGTH, ResponseError, ResponseSerializer, type ResponseContext } from "../../core/http/serializer.ts";
import type { ResponseWriter } from "../../core/server/types.ts";
import { GET, makeServer } from "./connection-helpers.ts";
import { FakeSocket, FakeTimers, settle } from "./fake-socket.ts";

const KEEP: ResponseContext = { isHead: false, versionMinor: 1, keepAlive: true };
const latin1 = new TextDecoder("latin1");

describe("trailer section", () => {
  it("encodes the last chunk, the fields and the blank line", () => {
    expect(latin1.decode(lastChunkWithTrailers(["Server-Timing", "db;dur=53", "X-Sum", "abc"]))).toBe(
      "0\r\nServer-Timing: db;dur=53\r\nX-Sum: abc\r\n\r\n",
    );
  });

  it("refuses names that are not tokens and values with CR, LF or NUL", () => {
    expect(() => lastChunkWithTrailers(["Bad Name", "x"])).toThrow(ResponseError);
    expect(() => lastChunkWithTrailers(["X-A", "1\r\nInjected: yes"])).toThrow(ResponseError);
    expect(() => lastChunkWithTrailers(["X-A", "a\0b"])).toThrow(ResponseError);
    expect(() => lastChunkWithTrailers(["X-A"])).toThrow(ResponseError);
  });

  it("the serializer ends a chunked body with it instead of the empty last chunk", () => {
    const serializer = new ResponseSerializer(new DateCache(new FakeTimers()), "");
    const socket = new FakeSocket();
    const head = serializer.head(KEEP, 200, undefined, ["Trailer", "X-Sum"]);
    expect(serializer.framing).toBe(FRAMING_CHUNKED);
    serializer.writeBody(socket, head, "abc", FRAMING_CHUNKED, false);
    serializer.writeBody(socket, null, "de", FRAMING_CHUNKED, true, lastChunkWithTrailers(["X-Sum", "5"]));
    expect(socket.text()).toMatch(/\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-Sum: 5\r\n\r\n$/);
    // Not chunked: the last chunk (and so the trailers) does not apply.
    const other = new FakeSocket();
    serializer.writeBody(other, null, "xy", FRAMING_LENGTH, true, lastChunkWithTrailers(["X-Sum", "5"]));
    expect(other.text()).toBe("xy");
  });
});

describe("informational heads", () => {
  it("encodes 102 and 103 with their reasons and fields", () => {
    expect(latin1.decode(interimHead(102, []))).toBe("HTTP/1.1 102 Processing\r\n\r\n");
    expect(latin1.decode(interimHead(103, ["Link", "</a.css>; rel=preload; as=style"]))).toBe(
      "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload; as=style\r\n\r\n",
    );
  });

  it("refuses 100, 101, final statuses and bad fields", () => {
    for (const status of [100, 101, 200, 99, 102.5]) expect(() => interimHead(status, [])).toThrow(ResponseError);
    expect(() => interimHead(103, ["Link", "<a>\r\nX: y"])).toThrow(ResponseError);
  });
});

describe("ResponseWriter.end(trailers) and informational()", () => {
  async function serve(request: string, respond: (res: ResponseWriter) => void): Promise<string> {
    const { connect } = makeServer((_req, res) => respond(res));
    const socket = connect();
    socket.send(request);
    await settle();
    return socket.text();
  }

  it("sends trailers after a chunked body and drops them after a Content-Length one", async () => {
    const chunked = await serve(GET("/"), (res) => {
      res.start(200, undefined, ["Trailer", "X-Sum"]);
      void res.write("abc");
      res.end(["X-Sum", "3"]);
    });
    expect(chunked).toMatch(/\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 3\r\n\r\n$/);
    const sized = await serve(GET("/"), (res) => {
      res.start(200, undefined, ["Content-Length", "3"]);
      void res.write("abc");
      res.end(["X-Sum", "3"]);
    });
    expect(sized).toMatch(/\r\n\r\nabc$/);
    const http10 = await serve("GET / HTTP/1.0\r\n\r\n", (res) => {
      res.start(200, undefined, []);
      void res.write("abc");
      res.end(["X-Sum", "3"]);
    });
    expect(http10).toMatch(/\r\n\r\nabc$/);
  });

  it("an invalid trailer throws before anything is written; the response can still end", async () => {
    let thrown: unknown = null;
    const text = await serve(GET("/"), (res) => {
      res.start(200, undefined, []);
      try {
        res.end(["X-Bad", "a\r\nb"]);
      } catch (error) {
        thrown = error;
      }
      res.end();
    });
    expect(thrown).toBeInstanceOf(ResponseError);
    expect(text).toMatch(/\r\n\r\n0\r\n\r\n$/);
  });

  it("sends 103 before the final response on HTTP/1.1, nothing to HTTP/1.0 or after the head", async () => {
    const results: boolean[] = [];
    const answer = (res: ResponseWriter) => {
      results.push(res.informational!(103, ["Link", "</a.css>; rel=preload"]));
      res.send(200, undefined, [], "ok");
      results.push(res.informational!(102, []));
    };
    const http11 = await serve(GET("/"), answer);
    expect(http11.startsWith("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\n")).toBe(true);
    const http10 = await serve("GET / HTTP/1.0\r\n\r\n", answer);
    expect(http10.startsWith("HTTP/1.1 200 OK\r\n")).toBe(true);
    expect(results).toEqual([true, false, false, false]);
  });
});
