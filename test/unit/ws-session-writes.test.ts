import { describe, expect, it } from "vitest";
import { COPY_LIMIT } from "../../core/ws/frame-writer.ts";
import { OP_BINARY, OP_TEXT } from "../../core/ws/protocol.ts";
import { WebSocketSession } from "../../core/ws/session.ts";
import { FakeWire, RecordingListener, clientFrame } from "./ws-helpers.ts";

/** A socket that gathers writes (as Node's does): records each `writev` call with the chunks themselves. */
class GatheringWire extends FakeWire {
  gathered: (readonly Uint8Array[])[] = [];
  writev(chunks: readonly Uint8Array[]): boolean {
    this.gathered.push(chunks);
    for (const chunk of chunks) this.written.push(chunk.slice());
    return this.writable;
  }
}

function open(wire: FakeWire, maxBuffer = 0) {
  const session = new WebSocketSession(wire, {
    maxMessage: 1 << 20, maxBuffer, overflow: "drop", pingInterval: 0, pingTimeout: 5_000, deflate: null,
  });
  const listener = new RecordingListener();
  session.attach(listener);
  return { session, listener };
}

describe("WebSocket session writes", () => {
  it("on a gathering socket, sends a payload over COPY_LIMIT as header + the payload itself, in one writev", () => {
    const wire = new GatheringWire();
    const { session } = open(wire);
    const big = new Uint8Array(COPY_LIMIT + 1).fill(7);
    expect(session.send(big)).toBe(big.length);
    expect(wire.gathered).toHaveLength(1);
    expect(wire.gathered[0]).toHaveLength(2);
    expect(wire.gathered[0][1]).toBe(big); // not copied
    const [frame] = wire.frames();
    expect([frame.opcode, frame.payload.length, frame.payload[COPY_LIMIT]]).toEqual([OP_BINARY, COPY_LIMIT + 1, 7]);
    // Small payloads are copied behind their header: one plain write.
    session.send("small");
    expect(wire.gathered).toHaveLength(1);
    expect(wire.frames().map((f) => [f.opcode, new TextDecoder().decode(f.payload)])).toEqual([[OP_TEXT, "small"]]);
  });

  it("on a socket that does not gather, copies even a large payload into one frame write", () => {
    const wire = new FakeWire();
    const { session } = open(wire);
    const big = new Uint8Array(COPY_LIMIT * 2).fill(9);
    session.send(big);
    expect(wire.written).toHaveLength(1);
    expect(wire.written[0].length).toBe(4 + big.length);
  });

  it("counts a gathered frame (header + payload) in bufferedAmount and bounds it by maxBuffer", () => {
    const wire = new GatheringWire();
    const { session, listener } = open(wire, 100_000);
    wire.writable = false;
    const big = new Uint8Array(60_000);
    expect(session.send(big)).toBe(-1);
    expect(session.bufferedAmount).toBe(4 + 60_000);
    expect(session.send(big)).toBe(0); // over maxBuffer with overflow "drop"
    session.drain();
    expect(session.bufferedAmount).toBe(0);
    expect(listener.events).toEqual([["drain"]]);
  });

  it("echoes a 64 KiB message that arrived in two reads, joined once", () => {
    const wire = new GatheringWire();
    const { session } = open(wire);
    const capture = new (class extends RecordingListener {
      received: Uint8Array | null = null;
      override onMessage(data: string | Uint8Array): void {
        this.received = data as Uint8Array;
      }
    })();
    session.attach(capture);
    const payload = Uint8Array.from({ length: 65536 }, (_, i) => (i * 13) & 0xff);
    const frame = clientFrame(OP_BINARY, payload);
    session.data(frame.slice(0, 65536));
    session.data(frame.slice(65536));
    expect(capture.received).toEqual(payload);
  });
});
