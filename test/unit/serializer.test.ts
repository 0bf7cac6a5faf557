import { describe, expect, it } from "vitest";
import { DateCache, formatHttpDate } from "../../core/http/date.ts";
import { COPY_LIMIT, FRAMING_CHUNKED, FRAMING_CLOSE, FRAMING_LENGTH, FRAMING_NONE, ResponseError, ResponseSerializer, type ResponseContext } from "../../core/http/serializer.ts";
import { reasonPhrase } from "../../core/http/status.ts";
import { FakeSocket, FakeTimers } from "./fake-socket.ts";

const DATE = "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n";
const KEEP: ResponseContext = { isHead: false, versionMinor: 1, keepAlive: true };
const CLOSE: ResponseContext = { isHead: false, versionMinor: 1, keepAlive: false };
const HEAD: ResponseContext = { isHead: true, versionMinor: 1, keepAlive: true };
const HTTP10_KEEP: ResponseContext = { isHead: false, versionMinor: 0, keepAlive: true };
const latin1 = new TextDecoder("latin1");

function setup(server = "tricorn") {
  const timers = new FakeTimers();
  const serializer = new ResponseSerializer(new DateCache(timers), server);
  const socket = new FakeSocket();
  return { timers, serializer, socket };
}

describe("date", () => {
  it("formats IMF-fixdate", () => {
    expect(formatHttpDate(Date.UTC(1994, 10, 6, 8, 49, 37))).toBe("Sun, 06 Nov 1994 08:49:37 GMT");
    expect(formatHttpDate(Date.UTC(2024, 1, 29, 23, 5, 9))).toBe("Thu, 29 Feb 2024 23:05:09 GMT");
  });

  it("caches the line for a second and regenerates after", () => {
    const timers = new FakeTimers();
    const dates = new DateCache(timers);
    const first = dates.line();
    expect(latin1.decode(first)).toBe(DATE);
    timers.time += 999;
    expect(dates.line()).toBe(first); // same object: not regenerated
    timers.time += 1;
    expect(latin1.decode(dates.line())).toBe("Date: Mon, 01 Jan 2024 00:00:01 GMT\r\n");
  });
});

describe("status", () => {
  it("knows reason phrases", () => {
    expect(reasonPhrase(200)).toBe("OK");
    expect(reasonPhrase(404)).toBe("Not Found");
    expect(reasonPhrase(431)).toBe("Request Header Fields Too Large");
    expect(reasonPhrase(599)).toBe("");
  });
});

describe("ResponseSerializer.send", () => {
  it("writes head and small body in one write, byte-exact", () => {
    const { serializer, socket } = setup();
    serializer.send(socket, KEEP, 200, undefined, ["Content-Type", "text/plain"], "hello");
    expect(socket.chunks.length).toBe(1);
    expect(socket.text()).toBe(
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n" + DATE + "Server: tricorn\r\n\r\nhello",
    );
    expect(serializer.framing).toBe(FRAMING_LENGTH);
    expect(serializer.close).toBe(false);
  });

  it("encodes string bodies as UTF-8 and counts bytes", () => {
    const { serializer, socket } = setup("");
    serializer.send(socket, KEEP, 201, "Made", [], "héllo €");
    const bytes = socket.chunks[0];
    const text = new TextDecoder().decode(bytes);
    expect(text).toBe("HTTP/1.1 201 Made\r\nContent-Length: 10\r\n" + DATE + "\r\nhéllo €");
  });

  it("writes string bodies on both sides of the char-loop limit byte-exact (JSON.stringify results too)", () => {
    const { serializer, socket } = setup("");
    const utf8 = new TextDecoder();
    // 32 chars: char loop; 33: encodeInto; JSON.stringify gives V8 a cons string; non-ASCII in both paths.
    const bodies = [
      "a".repeat(32),
      "b".repeat(33),
      JSON.stringify({ message: "Hello, World!", items: [1, 2, 3], more: "x".repeat(100) }),
      "é".repeat(10),
      "€ " + "c".repeat(40) + " 😀",
      "d".repeat(16000) + "é",
    ];
    for (const body of bodies) {
      const length = new TextEncoder().encode(body).length;
      serializer.send(socket, KEEP, 200, undefined, ["Content-Type", "text/plain"], body);
      expect(socket.chunks.length).toBe(1);
      expect(utf8.decode(socket.chunks[0])).toBe(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${length}\r\n` + DATE + "\r\n" + body);
      expect(serializer.sentBodyLength).toBe(length);
      socket.clear();
      // The app's own Content-Length counts bytes, not chars.
      serializer.send(socket, KEEP, 200, undefined, ["Content-Length", String(length)], body);
      expect(utf8.decode(socket.chunks[0]).endsWith("\r\n\r\n" + body)).toBe(true);
      socket.clear();
      expect(() => serializer.send(socket, KEEP, 200, undefined, ["Content-Length", String(length + 1)], body)).toThrow(ResponseError);
      expect(socket.chunks.length).toBe(0);
      serializer.send(socket, HEAD, 200, undefined, [], body);
      expect(socket.text()).toBe(`HTTP/1.1 200 OK\r\nContent-Length: ${length}\r\n` + DATE + "\r\n");
      socket.clear();
      serializer.send(socket, KEEP, 204, undefined, [], body);
      expect(socket.text()).toBe("HTTP/1.1 204 No Content\r\n" + DATE + "\r\n");
      socket.clear();
    }
  });

  it("uses the app's Content-Length when it matches, rejects a mismatch", () => {
    const { serializer, socket } = setup("");
    serializer.send(socket, KEEP, 200, undefined, ["content-length", "3"], new Uint8Array([1, 2, 3]));
    expect(socket.text()).toBe("HTTP/1.1 200 OK\r\ncontent-length: 3\r\n" + DATE + "\r\n\x01\x02\x03");
    socket.clear();
    expect(() => serializer.send(socket, KEEP, 200, undefined, ["Content-Length", "4"], "abc")).toThrow(ResponseError);
    expect(() => serializer.send(socket, KEEP, 200, undefined, ["Content-Length", "-1"], "abc")).toThrow(ResponseError);
    expect(socket.chunks.length).toBe(0);
  });

  it("adds Connection: close when closing and keep-alive for HTTP/1.0", () => {
    const { serializer, socket } = setup("");
    serializer.send(socket, CLOSE, 404, undefined, [], null);
    expect(socket.text()).toBe("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n" + DATE + "\r\n");
    expect(serializer.close).toBe(true);
    socket.clear();
    serializer.send(socket, HTTP10_KEEP, 200, undefined, [], "x");
    expect(socket.text()).toBe("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n" + DATE + "\r\nx");
  });

  it("honours the app's Connection: close and drops its hop-by-hop headers", () => {
    const { serializer, socket } = setup("");
    serializer.send(socket, KEEP, 200, undefined, ["Connection", "Close", "Transfer-Encoding", "chunked", "Keep-Alive", "timeout=5"], "ok");
    expect(socket.text()).toBe("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n" + DATE + "\r\nok");
    expect(serializer.close).toBe(true);
  });

  it("keeps app-set Date and Server", () => {
    const { serializer, socket } = setup();
    serializer.send(socket, KEEP, 200, undefined, ["date", "x", "SERVER", "mine"], null);
    expect(socket.text()).toBe("HTTP/1.1 200 OK\r\ndate: x\r\nSERVER: mine\r\nContent-Length: 0\r\n\r\n");
  });

  it("HEAD: no body bytes, keeps the length it would have sent", () => {
    const { serializer, socket } = setup("");
    serializer.send(socket, HEAD, 200, undefined, [], "hello");
    expect(socket.text()).toBe("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n" + DATE + "\r\n");
    socket.clear();
    serializer.send(socket, HEAD, 200, undefined, ["Content-Length", "42"], null);
    expect(socket.text()).toBe("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n" + DATE + "\r\n");
    socket.clear();
    serializer.send(socket, HEAD, 200, undefined, [], null);
    expect(socket.text()).toBe("HTTP/1.1 200 OK\r\n" + DATE + "\r\n");
    expect(serializer.framing).toBe(FRAMING_NONE);
  });

  it("204 and 304 carry no body; 204 drops Content-Length", () => {
    const { serializer, socket } = setup("");
    serializer.send(socket, KEEP, 204, undefined, ["Content-Length", "5"], "hello");
    expect(socket.text()).toBe("HTTP/1.1 204 No Content\r\n" + DATE + "\r\n");
    socket.clear();
    serializer.send(socket, KEEP, 304, undefined, ["ETag", '"x"'], "hello");
    expect(socket.text()).toBe('HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n' + DATE + "\r\n");
  });

  it("rejects header injection and bad names", () => {
    const { serializer, socket } = setup();
    const bad: [string, string][] = [
      ["X-A", "a\r\nSet-Cookie: evil=1"],
      ["X-A", "a\nb"],
      ["X-A", "a\0b"],
      ["X-A", "a\x7fb"],
      ["X-A", "snow ☃"],
      ["X A", "v"],
      ["X:A", "v"],
      ["", "v"],
      ["X-\r\nA", "v"],
    ];
    for (const [name, value] of bad) {
      expect(() => serializer.send(socket, KEEP, 200, undefined, [name, value], "x"), `${name}: ${value}`).toThrow(ResponseError);
    }
    expect(() => serializer.send(socket, KEEP, 200, "OK\r\nX: y", [], "x")).toThrow(ResponseError);
    expect(socket.chunks.length).toBe(0);
    // HTAB and latin1 are fine
    serializer.send(socket, KEEP, 200, undefined, ["X-A", "a\tb é"], null);
    expect(socket.text()).toContain("X-A: a\tb \xe9\r\n");
  });

  it("rejects invalid and informational statuses", () => {
    const { serializer, socket } = setup();
    for (const status of [99, 1000, 200.5, NaN, 100, 101, 199]) {
      expect(() => serializer.send(socket, KEEP, status, undefined, [], null), String(status)).toThrow(ResponseError);
    }
    serializer.send(socket, KEEP, 599, undefined, [], null);
    expect(socket.text().startsWith("HTTP/1.1 599 \r\n")).toBe(true);
  });

  it("writes a large body separately without copying", () => {
    const { serializer, socket } = setup("");
    const big = new Uint8Array(COPY_LIMIT + 1).fill(65);
    serializer.send(socket, KEEP, 200, undefined, [], big);
    expect(socket.chunks.length).toBe(2);
    expect(latin1.decode(socket.chunks[0])).toBe(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n` + DATE + "\r\n");
    expect(socket.chunks[1].length).toBe(big.length);
  });

  it("never mutates a chunk it already wrote (slab reuse, failed heads, rollover)", () => {
    const { serializer, socket } = setup();
    for (let i = 0; i < 2_000; i++) {
      serializer.send(socket, KEEP, 200, undefined, ["X-I", String(i)], "body " + i);
      if (i % 7 === 0) {
        expect(() => serializer.send(socket, KEEP, 200, undefined, ["X-Long", "v".repeat(3000), "Bad", "\n"], "x")).toThrow();
      }
      if (i % 11 === 0) {
        const head = serializer.head(KEEP, 200, undefined, ["X-S", String(i)]);
        serializer.writeBody(socket, head, "chunk", FRAMING_CHUNKED, true);
      }
    }
    expect(socket.originals.length).toBe(socket.chunks.length);
    for (let i = 0; i < socket.chunks.length; i++) {
      expect(socket.originals[i]).toEqual(socket.chunks[i]);
    }
  });

  it("grows its scratch buffer for huge heads", () => {
    const { serializer, socket } = setup("");
    const value = "v".repeat(20_000);
    serializer.send(socket, KEEP, 200, undefined, ["X-Big", value], "ok");
    expect(socket.text()).toBe(`HTTP/1.1 200 OK\r\nX-Big: ${value}\r\nContent-Length: 2\r\n` + DATE + "\r\nok");
  });
});

describe("ResponseSerializer.head + writeBody", () => {
  it("streams chunked for HTTP/1.1 without a length", () => {
    const { serializer, socket } = setup("");
    const head = serializer.head(KEEP, 200, undefined, ["Content-Type", "text/event-stream"]);
    expect(serializer.framing).toBe(FRAMING_CHUNKED);
    serializer.writeBody(socket, head, "data: 1\n\n", FRAMING_CHUNKED, false);
    serializer.writeBody(socket, null, "", FRAMING_CHUNKED, false);
    serializer.writeBody(socket, null, new Uint8Array([0x41, 0x42]), FRAMING_CHUNKED, false);
    serializer.writeBody(socket, null, null, FRAMING_CHUNKED, true);
    expect(socket.chunks.length).toBe(3); // head merged with the first chunk; empty write skipped
    expect(socket.text()).toBe(
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n" + DATE + "\r\n" +
        "9\r\ndata: 1\n\n\r\n" + "2\r\nAB\r\n" + "0\r\n\r\n",
    );
  });

  it("puts the terminator in the same write as the last chunk", () => {
    const { serializer, socket } = setup("");
    serializer.writeBody(socket, null, "abc", FRAMING_CHUNKED, true);
    expect(socket.chunks.length).toBe(1);
    expect(socket.text()).toBe("3\r\nabc\r\n0\r\n\r\n");
  });

  it("frames a large chunk in three writes", () => {
    const { serializer, socket } = setup("");
    const big = new Uint8Array(COPY_LIMIT + 16).fill(66);
    serializer.writeBody(socket, null, big, FRAMING_CHUNKED, false);
    expect(socket.chunks.map((c) => c.length)).toEqual([(big.length.toString(16) + "\r\n").length, big.length, 2]);
  });

  it("uses the app's Content-Length for a stream", () => {
    const { serializer, socket } = setup("");
    const head = serializer.head(KEEP, 200, undefined, ["Content-Length", "6"]);
    expect(serializer.framing).toBe(FRAMING_LENGTH);
    expect(serializer.length).toBe(6);
    serializer.writeBody(socket, head, "abc", FRAMING_LENGTH, false);
    serializer.writeBody(socket, null, "def", FRAMING_LENGTH, true);
    expect(socket.text()).toBe("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n" + DATE + "\r\nabcdef");
  });

  it("streams close-delimited for HTTP/1.0", () => {
    const { serializer, socket } = setup("");
    const head = serializer.head(HTTP10_KEEP, 200, undefined, []);
    expect(serializer.framing).toBe(FRAMING_CLOSE);
    expect(serializer.close).toBe(true);
    serializer.writeBody(socket, head, "abc", FRAMING_CLOSE, true);
    expect(socket.text()).toBe("HTTP/1.1 200 OK\r\nConnection: close\r\n" + DATE + "\r\nabc");
  });

  it("HEAD stream: no framing headers, no body", () => {
    const { serializer, socket } = setup("");
    const head = serializer.head(HEAD, 200, undefined, []);
    expect(serializer.framing).toBe(FRAMING_NONE);
    serializer.writeBody(socket, head, "ignored", FRAMING_NONE, false);
    serializer.writeBody(socket, null, null, FRAMING_NONE, true);
    expect(socket.text()).toBe("HTTP/1.1 200 OK\r\n" + DATE + "\r\n");
  });
});
