import { describe, expect, it } from "vitest";
import { OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_PONG, OP_TEXT } from "../../core/ws/protocol.ts";
import { WebSocketSession, type SessionOptions } from "../../core/ws/session.ts";
import { FakeWire, RecordingListener, clientFrame, closeCode } from "./ws-helpers.ts";

function open(options: Partial<SessionOptions> = {}) {
  const wire = new FakeWire();
  const session = new WebSocketSession(wire, {
    maxMessage: 1024, maxBuffer: 0, overflow: "close", pingInterval: 0, pingTimeout: 5_000, deflate: null, ...options,
  });
  const listener = new RecordingListener();
  session.attach(listener);
  return { wire, session, listener };
}

const closeFrame = (code: number, reason = "") => {
  const r = new TextEncoder().encode(reason);
  return clientFrame(OP_CLOSE, new Uint8Array([code >> 8, code & 0xff, ...r]));
};

describe("WebSocket session", () => {
  it("delivers text and binary messages, fragmented with a ping in between", () => {
    const { wire, session, listener } = open();
    session.data(clientFrame(OP_TEXT, "héllo"));
    session.data(clientFrame(OP_BINARY, new Uint8Array([1, 2, 3])));
    session.data(clientFrame(OP_TEXT, "frag", false));
    session.data(clientFrame(OP_PING, "are you there"));
    session.data(clientFrame(OP_CONTINUATION, "men", false));
    session.data(clientFrame(OP_CONTINUATION, "ted", true));
    expect(listener.events).toEqual([
      ["text", "héllo"], ["binary", [1, 2, 3]], ["ping", Array.from(new TextEncoder().encode("are you there"))], ["text", "fragmented"],
    ]);
    const [pong] = wire.frames();
    expect(pong.opcode).toBe(OP_PONG);
    expect(new TextDecoder().decode(pong.payload)).toBe("are you there");
  });

  it("splits a message across TCP reads at every byte", () => {
    const input = clientFrame(OP_TEXT, "κόσμε and more");
    for (let i = 1; i < input.length; i++) {
      const { session, listener } = open();
      session.data(input.slice(0, i));
      session.data(input.slice(i));
      expect(listener.events).toEqual([["text", "κόσμε and more"]]);
    }
  });

  it("echoes a Close, ends the socket and reports a clean close", () => {
    const { wire, session, listener } = open();
    session.data(closeFrame(1000, "bye"));
    const [close] = wire.frames();
    expect([close.opcode, closeCode(close.payload)]).toEqual([OP_CLOSE, 1000]);
    expect(wire.ended).toBe(true);
    session.closed();
    expect(listener.events).toEqual([["close", 1000, "bye", true]]);
  });

  it("answers an empty Close with an empty Close (reported as 1005)", () => {
    const { wire, session, listener } = open();
    session.data(clientFrame(OP_CLOSE, new Uint8Array(0)));
    expect(wire.frames()[0].payload.length).toBe(0);
    session.closed();
    expect(listener.events).toEqual([["close", 1005, "", true]]);
  });

  it("fails the connection with the right code", () => {
    const cases: [string, Uint8Array, number][] = [
      ["invalid UTF-8 text", clientFrame(OP_TEXT, new Uint8Array([0xce, 0xba, 0xff])), 1007],
      ["UTF-8 cut at the end of a message", clientFrame(OP_TEXT, new Uint8Array([0xce])), 1007],
      ["invalid close code", closeFrame(1005), 1002],
      ["close code 999", closeFrame(999), 1002],
      ["1-byte close payload", clientFrame(OP_CLOSE, new Uint8Array([3])), 1002],
      ["invalid UTF-8 close reason", clientFrame(OP_CLOSE, new Uint8Array([3, 232, 0xff])), 1007],
      ["message over the limit", clientFrame(OP_BINARY, new Uint8Array(1025)), 1009],
      ["fragments over the limit", new Uint8Array([...clientFrame(OP_BINARY, new Uint8Array(600), false), ...clientFrame(OP_CONTINUATION, new Uint8Array(600))]), 1009],
      ["reserved opcode", new Uint8Array([0x83, 0x80, 1, 2, 3, 4]), 1002],
    ];
    for (const [name, bytes, code] of cases) {
      const { wire, session, listener } = open();
      session.data(bytes);
      const frames = wire.frames();
      expect(frames.map((f) => [f.opcode, closeCode(f.payload)]), name).toEqual([[OP_CLOSE, code]]);
      expect(wire.ended, name).toBe(true);
      expect(listener.events.filter((e) => (e as string[])[0] !== "close"), name).toEqual([]);
      session.data(clientFrame(OP_TEXT, "ignored after failing"));
      expect(listener.events, name).toEqual([]);
    }
  });

  it("rejects a too-long message from its header, before the payload arrives", () => {
    const { wire, session } = open({ maxMessage: 100 });
    session.data(new Uint8Array([0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4]));
    expect(closeCode(wire.frames()[0].payload)).toBe(1009);
  });

  it("closes on request and drops the socket when the peer never answers", () => {
    const { wire, session, listener } = open();
    session.close(4000, "done");
    const [close] = wire.frames();
    expect([closeCode(close.payload), new TextDecoder().decode(close.payload.subarray(2))]).toEqual([4000, "done"]);
    expect(session.readyState).toBe(2);
    expect(session.send("late")).toBe(0);
    expect(wire.deadline).toBe(wire.time + 5_000);
    session.onTimeout(wire.time + 5_000);
    expect(wire.destroyed).toBe(true);
    session.closed();
    expect(listener.events).toEqual([["close", 1006, "", false]]);
  });

  it("finishes the handshake when the peer answers our Close", () => {
    const { wire, session, listener } = open();
    session.goingAway();
    expect(closeCode(wire.frames()[0].payload)).toBe(1001);
    session.data(closeFrame(1001));
    expect(wire.ended).toBe(true);
    expect(wire.frames()).toEqual([]);
    session.closed();
    expect(listener.events).toEqual([["close", 1001, "", true]]);
  });

  it("pings an idle peer and drops it when nothing comes back", () => {
    const { wire, session } = open({ pingInterval: 10_000, pingTimeout: 2_000 });
    expect(wire.deadline).toBe(11_000);
    wire.time = 6_000;
    session.data(clientFrame(OP_TEXT, "activity"));
    session.onTimeout(11_000);
    expect(wire.frames()).toEqual([]);
    expect(wire.deadline).toBe(16_000);
    session.onTimeout(16_000);
    expect(wire.frames().map((f) => f.opcode)).toEqual([OP_PING]);
    expect(wire.deadline).toBe(18_000);
    session.onTimeout(18_000);
    expect(wire.destroyed).toBe(true);
  });

  it("keeps a peer that answers the ping", () => {
    const { wire, session } = open({ pingInterval: 10_000, pingTimeout: 2_000 });
    session.onTimeout(11_000);
    expect(wire.frames().map((f) => f.opcode)).toEqual([OP_PING]);
    wire.time = 11_500;
    session.data(clientFrame(OP_PONG, ""));
    session.onTimeout(13_000);
    expect(wire.destroyed).toBe(false);
  });

  it("reports backpressure and drain, and bounds the send buffer", () => {
    const { wire, session, listener } = open({ maxBuffer: 100, overflow: "drop" });
    expect(session.send("a")).toBe(1);
    wire.writable = false;
    expect(session.send(new Uint8Array(50))).toBe(-1);
    expect(session.bufferedAmount).toBe(52);
    expect(session.send(new Uint8Array(60))).toBe(0); // dropped: over maxBuffer
    session.drain();
    expect(session.bufferedAmount).toBe(0);
    expect(listener.events).toEqual([["drain"]]);
    const closing = open({ maxBuffer: 100, overflow: "close" });
    closing.wire.writable = false;
    closing.session.send(new Uint8Array(90));
    expect(closing.session.send(new Uint8Array(90))).toBe(0);
    expect(closing.wire.frames().map((f) => [f.opcode, closeCode(f.payload)]).pop()).toEqual([OP_CLOSE, 1008]);
  });

  it("contains errors thrown by the listener", () => {
    const { wire, session } = open();
    session.attach({ ...new RecordingListener(), onMessage() { throw new Error("app bug"); }, onPing() {}, onPong() {}, onDrain() {}, onClose() {} });
    session.data(clientFrame(OP_TEXT, "x"));
    session.data(clientFrame(OP_PING, ""));
    expect(wire.errors).toEqual(["Error in a WebSocket message handler"]);
    expect(wire.frames().map((f) => f.opcode)).toEqual([OP_PONG]);
  });
});
