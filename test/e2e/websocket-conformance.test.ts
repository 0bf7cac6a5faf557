/**
 * WebSocket conformance (RFC 6455 / RFC 7692) against the real server on
 * every runtime, with raw frames over TCP, one class per Autobahn TestSuite
 * section: framing, ping/pong, reserved bits, opcodes, fragmentation, UTF-8,
 * close handling, limits, compression, plus the opening handshake. The app
 * is examples/websocket/app.ts (echo at /ws through `upgradeWebSocket`).
 *
 *   node_modules/.bin/vitest run test/e2e/websocket-conformance
 */
import { describe, expect, test } from "vitest";
import { TESTED_RUNTIMES } from "./harness.ts";
import { useServer } from "./conformance-helpers.ts";
import { RawWebSocket, closeCodeOf, closePayload, deflateMessage, inflateMessage, type ServerFrame } from "./ws-raw-client.ts";

const APP = "examples/websocket/app.ts";
const MAX = 100_000;
const TEXT = 0x1, BINARY = 0x2, CONT = 0x0, CLOSE = 0x8, PING = 0x9, PONG = 0xa;

/** Expects the server to fail the connection: a Close frame with `code`, then TCP close. */
async function expectFailure(ws: RawWebSocket, code: number): Promise<void> {
  let frame: ServerFrame | null;
  do frame = await ws.next(); while (frame !== null && frame.opcode !== CLOSE);
  expect(frame?.opcode, "no close frame").toBe(CLOSE);
  expect(closeCodeOf(frame)).toBe(code);
  expect(await ws.waitClosed(), "TCP connection still open").toBe(true);
}

/** Expects an echo of `payload` as one frame with `opcode`. */
async function expectEcho(ws: RawWebSocket, opcode: number, payload: Buffer | string): Promise<void> {
  const frame = await ws.next();
  expect(frame?.opcode).toBe(opcode);
  expect(frame?.fin).toBe(true);
  expect(frame?.payload.equals(typeof payload === "string" ? Buffer.from(payload) : payload)).toBe(true);
}

describe.each(TESTED_RUNTIMES)("WebSocket conformance [%s]", (runtime) => {
  const server = useServer(runtime, ["--websocket-max-message", String(MAX), "--websocket-compression"], APP);
  const open = async (headers: string[] = []) => {
    const { ws, handshake } = await RawWebSocket.open(server.port, { headers });
    expect(handshake.status, handshake.head).toBe(101);
    return ws;
  };

  describe("opening handshake", () => {
    test("101 with the right Sec-WebSocket-Accept and the chosen subprotocol", async () => {
      const { ws, handshake } = await RawWebSocket.open(server.port, { headers: ["Sec-WebSocket-Protocol: chat, echo"] });
      expect(handshake.status).toBe(101);
      expect(handshake.headers.get("sec-websocket-accept")).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
      expect(handshake.headers.get("upgrade")?.toLowerCase()).toBe("websocket");
      expect(handshake.headers.get("sec-websocket-protocol")).toBe("echo");
      expect(handshake.headers.has("sec-websocket-extensions")).toBe(false);
      ws.destroy();
    });

    test("unsupported version → 426 with Sec-WebSocket-Version: 13; bad key → 400", async () => {
      const v8 = await RawWebSocket.open(server.port, {
        request: `GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n`,
      });
      expect(v8.handshake.status).toBe(426);
      expect(v8.handshake.headers.get("sec-websocket-version")).toBe("13");
      v8.ws.destroy();
      const badKey = await RawWebSocket.open(server.port, {
        request: `GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      });
      expect(badKey.handshake.status).toBe(400);
      badKey.ws.destroy();
    });
  });

  describe("framing (Autobahn 1.x)", () => {
    test("text and binary of 0, 125, 126, 65535 and 65536 bytes echo back", async () => {
      const ws = await open();
      for (const n of [0, 125, 126, 65535, 65536]) {
        ws.send(TEXT, "*".repeat(n));
        await expectEcho(ws, TEXT, "*".repeat(n));
        const bytes = Buffer.alloc(n, 0xfe);
        ws.send(BINARY, bytes);
        await expectEcho(ws, BINARY, bytes);
      }
      ws.destroy();
    });

    test("a frame written one byte at a time", async () => {
      const ws = await open();
      const { encodeFrame } = await import("../../core/ws/frame-writer.ts");
      const frame = encodeFrame(TEXT, Buffer.from("slowly"), true, false, new Uint8Array([1, 2, 3, 4]));
      for (const b of frame) {
        ws.write(new Uint8Array([b]));
        await new Promise((r) => setTimeout(r, 2));
      }
      await expectEcho(ws, TEXT, "slowly");
      ws.destroy();
    });

    test("an unmasked client frame fails with 1002", async () => {
      const ws = await open();
      ws.write(new Uint8Array([0x81, 0x02, 0x68, 0x69]));
      await expectFailure(ws, 1002);
    });
  });

  describe("ping/pong (Autobahn 2.x)", () => {
    test("ping with a payload gets a pong with the same payload; 125 bytes is allowed", async () => {
      const ws = await open();
      ws.send(PING, "hello");
      await expectEcho(ws, PONG, "hello");
      ws.send(PING, Buffer.alloc(125, 0xaa));
      await expectEcho(ws, PONG, Buffer.alloc(125, 0xaa));
      ws.send(PONG, "unsolicited");
      ws.send(TEXT, "still here");
      await expectEcho(ws, TEXT, "still here");
      ws.destroy();
    });

    test("ping over 125 bytes fails with 1002", async () => {
      const ws = await open();
      ws.send(PING, Buffer.alloc(126));
      await expectFailure(ws, 1002);
    });

    test("fragmented ping fails with 1002", async () => {
      const ws = await open();
      ws.send(PING, "a", false);
      await expectFailure(ws, 1002);
    });
  });

  describe("reserved bits (Autobahn 3.x)", () => {
    for (const [name, first] of [["RSV1 without an extension", 0xc1], ["RSV2", 0xa1], ["RSV3", 0x91], ["all RSV", 0xf1]] as const) {
      test(`${name} fails with 1002, after echoing what came before`, async () => {
        const ws = await open();
        ws.send(TEXT, "before");
        ws.write(new Uint8Array([first, 0x80, 0, 0, 0, 0]));
        await expectEcho(ws, TEXT, "before");
        await expectFailure(ws, 1002);
      });
    }
  });

  describe("opcodes (Autobahn 4.x)", () => {
    for (const opcode of [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]) {
      test(`reserved opcode ${opcode} fails with 1002`, async () => {
        const ws = await open();
        ws.send(opcode, "x");
        await expectFailure(ws, 1002);
      });
    }
  });

  describe("fragmentation (Autobahn 5.x)", () => {
    test("a text message in three fragments with a ping in between", async () => {
      const ws = await open();
      ws.send(TEXT, "frag", false);
      ws.send(PING, "mid");
      ws.send(CONT, "men", false);
      ws.send(CONT, "ted", true);
      await expectEcho(ws, PONG, "mid");
      await expectEcho(ws, TEXT, "fragmented");
      ws.destroy();
    });

    test("a binary message in 100 fragments", async () => {
      const ws = await open();
      const parts = Array.from({ length: 100 }, (_, i) => Buffer.alloc(10, i));
      parts.forEach((p, i) => ws.send(i === 0 ? BINARY : CONT, p, i === 99));
      await expectEcho(ws, BINARY, Buffer.concat(parts));
      ws.destroy();
    });

    test("a continuation without a message fails with 1002", async () => {
      const ws = await open();
      ws.send(CONT, "x");
      await expectFailure(ws, 1002);
    });

    test("a new message inside a fragmented one fails with 1002", async () => {
      const ws = await open();
      ws.send(TEXT, "a", false);
      ws.send(TEXT, "b");
      await expectFailure(ws, 1002);
    });
  });

  describe("UTF-8 (Autobahn 6.x)", () => {
    test("valid multi-byte text, also split inside a code point across fragments", async () => {
      const ws = await open();
      const text = Buffer.from("κόσμε 𝄞 ✓");
      ws.send(TEXT, text);
      await expectEcho(ws, TEXT, text);
      ws.send(TEXT, text.subarray(0, 1), false);
      ws.send(CONT, text.subarray(1, 9), false);
      ws.send(CONT, text.subarray(9), true);
      await expectEcho(ws, TEXT, text);
      ws.destroy();
    });

    for (const [name, bytes] of [
      ["invalid byte", [0xce, 0xba, 0xff]], ["surrogate", [0xed, 0xa0, 0x80]], ["overlong", [0xc0, 0xaf]],
      ["above U+10FFFF", [0xf4, 0x90, 0x80, 0x80]], ["truncated", [0xe1, 0xbd]],
    ] as const) {
      test(`${name} fails with 1007`, async () => {
        const ws = await open();
        ws.send(TEXT, Buffer.from(bytes));
        await expectFailure(ws, 1007);
      });
    }

    test("fails fast: 1007 after the first bad fragment, before the message ends", async () => {
      const ws = await open();
      ws.send(TEXT, Buffer.from([0x41, 0xff]), false);
      await expectFailure(ws, 1007);
    });
  });

  describe("close handling (Autobahn 7.x)", () => {
    test("Close 1000 with a reason is answered with 1000 and the TCP close", async () => {
      const ws = await open();
      ws.send(CLOSE, closePayload(1000, "bye"));
      const frame = await ws.next();
      expect([frame?.opcode, closeCodeOf(frame)]).toEqual([CLOSE, 1000]);
      expect(await ws.waitClosed()).toBe(true);
    });

    test("an empty Close is answered with an empty Close", async () => {
      const ws = await open();
      ws.send(CLOSE);
      const frame = await ws.next();
      expect([frame?.opcode, frame?.payload.length]).toEqual([CLOSE, 0]);
      expect(await ws.waitClosed()).toBe(true);
    });

    test("data after a Close is ignored", async () => {
      const ws = await open();
      ws.send(CLOSE, closePayload(1000));
      ws.send(TEXT, "ignored");
      const frame = await ws.next();
      expect(frame?.opcode).toBe(CLOSE);
      expect(await ws.waitClosed()).toBe(true);
      expect(ws.frames).toEqual([]);
    });

    for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999]) {
      test(`valid close code ${code} is echoed`, async () => {
        const ws = await open();
        ws.send(CLOSE, closePayload(code));
        expect(closeCodeOf(await ws.next())).toBe(code);
        expect(await ws.waitClosed()).toBe(true);
      });
    }

    for (const code of [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999, 5000, 65535]) {
      test(`invalid close code ${code} fails with 1002`, async () => {
        const ws = await open();
        ws.send(CLOSE, closePayload(code));
        await expectFailure(ws, 1002);
      });
    }

    test("a 1-byte Close payload fails with 1002; a non-UTF-8 reason with 1007", async () => {
      const one = await open();
      one.send(CLOSE, Buffer.from([0x03]));
      await expectFailure(one, 1002);
      const bad = await open();
      bad.send(CLOSE, closePayload(1000, Buffer.from([0xff, 0xfe])));
      await expectFailure(bad, 1007);
    });
  });

  describe("limits (Autobahn 9.x)", () => {
    test(`a message of websocket_max_message (${MAX}) bytes passes; one byte more fails with 1009`, async () => {
      const ws = await open();
      ws.send(BINARY, Buffer.alloc(MAX, 1));
      await expectEcho(ws, BINARY, Buffer.alloc(MAX, 1));
      ws.send(BINARY, Buffer.alloc(MAX + 1, 1));
      await expectFailure(ws, 1009);
    });

    test("fragments adding up to more than the limit fail with 1009", async () => {
      const ws = await open();
      ws.send(BINARY, Buffer.alloc(MAX / 2), false);
      ws.send(CONT, Buffer.alloc(MAX / 2), false);
      ws.send(CONT, Buffer.alloc(10), true);
      await expectFailure(ws, 1009);
    });

    test("a 64-bit length of 2^40 fails with 1009 from the header alone", async () => {
      const ws = await open();
      ws.write(new Uint8Array([0x82, 0xff, 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 3, 4]));
      await expectFailure(ws, 1009);
    });
  });

  describe("compression (Autobahn 12.x/13.x, RFC 7692)", () => {
    const offer = (params = "") => [`Sec-WebSocket-Extensions: permessage-deflate${params}`];

    test("negotiates permessage-deflate and echoes compressed messages", async () => {
      const { ws, handshake } = await RawWebSocket.open(server.port, { headers: offer("; client_max_window_bits") });
      expect(handshake.headers.get("sec-websocket-extensions")).toBe("permessage-deflate");
      const text = "compress me ".repeat(100);
      ws.send(TEXT, deflateMessage(Buffer.from(text)), true, true);
      const frame = await ws.next();
      expect(frame?.rsv1).toBe(true);
      expect(inflateMessage(frame!.payload).toString()).toBe(text);
      ws.send(TEXT, "plain frames still work");
      const plain = await ws.next();
      expect(plain?.rsv1).toBe(false);
      expect(plain?.payload.toString()).toBe("plain frames still work");
      ws.destroy();
    });

    test("no_context_takeover: every server message inflates on its own", async () => {
      const { ws, handshake } = await RawWebSocket.open(server.port, { headers: offer("; server_no_context_takeover; client_no_context_takeover") });
      expect(handshake.headers.get("sec-websocket-extensions")).toBe("permessage-deflate; server_no_context_takeover; client_no_context_takeover");
      for (let i = 0; i < 3; i++) {
        const text = `message ${i} `.repeat(50);
        ws.send(TEXT, deflateMessage(Buffer.from(text)), true, true);
        const frame = await ws.next();
        expect(inflateMessage(frame!.payload).toString()).toBe(text);
      }
      ws.destroy();
    });

    test("a compressed message in fragments (RSV1 on the first only)", async () => {
      const { ws } = await RawWebSocket.open(server.port, { headers: offer() });
      const payload = deflateMessage(Buffer.from("fragmented and compressed ".repeat(20)));
      ws.send(TEXT, payload.subarray(0, 5), false, true);
      ws.send(CONT, payload.subarray(5), true, false);
      const frame = await ws.next();
      expect(inflateMessage(frame!.payload).toString()).toBe("fragmented and compressed ".repeat(20));
      ws.destroy();
    });

    test("RSV1 on a continuation fails with 1002; corrupt data with 1007; a bomb over the limit with 1009", async () => {
      const rsv = (await RawWebSocket.open(server.port, { headers: offer() })).ws;
      rsv.send(TEXT, deflateMessage(Buffer.from("abc")), false, true);
      rsv.send(CONT, deflateMessage(Buffer.from("def")), true, true);
      await expectFailure(rsv, 1002);
      const corrupt = (await RawWebSocket.open(server.port, { headers: offer() })).ws;
      corrupt.send(BINARY, Buffer.from([0x01, 0x02, 0x03, 0x04, 0x05]), true, true);
      await expectFailure(corrupt, 1007);
      const bomb = (await RawWebSocket.open(server.port, { headers: offer() })).ws;
      bomb.send(BINARY, deflateMessage(Buffer.alloc(MAX * 10)), true, true);
      await expectFailure(bomb, 1009);
    });

    test("an unacceptable offer runs without compression (RSV1 then fails with 1002)", async () => {
      const { ws, handshake } = await RawWebSocket.open(server.port, { headers: offer("; server_max_window_bits=8") });
      expect(handshake.status).toBe(101);
      expect(handshake.headers.has("sec-websocket-extensions")).toBe(false);
      ws.send(TEXT, deflateMessage(Buffer.from("x")), true, true);
      await expectFailure(ws, 1002);
    });
  });
});
