import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeFrame, encodeHeader, headerLength } from "../../core/ws/frame-writer.ts";
import { OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_TEXT, WebSocketError } from "../../core/ws/protocol.ts";
import { clientFrame, parseFrames } from "./ws-helpers.ts";

function errorOf(fn: () => unknown): WebSocketError {
  try {
    fn();
  } catch (error) {
    if (error instanceof WebSocketError) return error;
    throw error;
  }
  throw new Error("expected a WebSocketError");
}

describe("frame writer", () => {
  it("uses 7-, 16- and 64-bit lengths at the boundaries", () => {
    expect(encodeHeader(OP_TEXT, true, false, 125)).toEqual(new Uint8Array([0x81, 125]));
    expect(encodeHeader(OP_TEXT, true, false, 126)).toEqual(new Uint8Array([0x81, 126, 0, 126]));
    expect(encodeHeader(OP_BINARY, true, false, 65535)).toEqual(new Uint8Array([0x82, 126, 0xff, 0xff]));
    expect(encodeHeader(OP_BINARY, false, true, 65536)).toEqual(new Uint8Array([0x42, 127, 0, 0, 0, 0, 0, 1, 0, 0]));
    expect(encodeHeader(OP_BINARY, true, false, 2 ** 32 + 5)).toEqual(new Uint8Array([0x82, 127, 0, 0, 0, 1, 0, 0, 0, 5]));
    expect(headerLength(70000, true)).toBe(14);
  });

  it("masks client frames (RFC 6455 §5.7 example)", () => {
    const frame = encodeFrame(OP_TEXT, new TextEncoder().encode("Hello"), true, false, new Uint8Array([0x37, 0xfa, 0x21, 0x3d]));
    expect(Array.from(frame)).toEqual([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
  });
});

describe("frame parser", () => {
  it("parses the RFC 6455 §5.7 examples", () => {
    const masked = new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    const [frame] = parseFrames(masked, true);
    expect(new TextDecoder().decode(frame.payload)).toBe("Hello");
    const fragments = parseFrames(new Uint8Array([0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f]), false);
    expect(fragments.map((f) => [f.opcode, f.fin])).toEqual([[OP_TEXT, false], [OP_CONTINUATION, true]]);
    const ping = parseFrames(new Uint8Array([0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]), false);
    expect(ping[0].opcode).toBe(OP_PING);
  });

  it("gives the same frames for every split of the input", () => {
    const input = new Uint8Array([
      ...clientFrame(OP_TEXT, "frag", false), ...clientFrame(OP_PING, "p"), ...clientFrame(OP_CONTINUATION, "ment", true),
      ...clientFrame(OP_BINARY, new Uint8Array(300).fill(7)), ...clientFrame(OP_CLOSE, new Uint8Array([3, 232])),
    ]);
    const whole = parseFrames(input, true);
    expect(whole.map((f) => f.opcode)).toEqual([OP_TEXT, OP_PING, OP_CONTINUATION, OP_BINARY, OP_CLOSE]);
    for (let i = 1; i < input.length; i++) {
      expect(parseFrames([input.subarray(0, i), input.subarray(i)], true)).toEqual(whole);
    }
    const bytewise = Array.from(input, (b) => new Uint8Array([b]));
    expect(parseFrames(bytewise, true)).toEqual(whole);
  });

  it("round-trips random frames split at random points (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(OP_TEXT, OP_BINARY), fc.uint8Array({ maxLength: 70000 / 50 }), fc.boolean()), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        (messages, cuts, mask) => {
          const encoded = messages.map(([op, payload, rsv1]) => encodeFrame(op, payload, true, rsv1, mask));
          const all = new Uint8Array(encoded.reduce((n, f) => n + f.length, 0));
          let at = 0;
          for (const f of encoded) {
            all.set(f, at);
            at += f.length;
          }
          const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
          const chunks: Uint8Array[] = [];
          let prev = 0;
          for (const p of points) {
            chunks.push(all.subarray(prev, p));
            prev = p;
          }
          chunks.push(all.subarray(prev));
          const parsed = parseFrames(chunks, true);
          expect(parsed.map((f) => [f.opcode, f.rsv1, Array.from(f.payload)])).toEqual(
            messages.map(([op, payload, rsv1]) => [op, rsv1, Array.from(payload)]),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it("reads 16- and 64-bit lengths", () => {
    for (const n of [126, 65535, 65536, 100_000]) {
      const [frame] = parseFrames(clientFrame(OP_BINARY, new Uint8Array(n).fill(1)), true);
      expect(frame.payload.length).toBe(n);
    }
  });

  it("fails framing violations with 1002", () => {
    const cases: [string, Uint8Array, boolean?][] = [
      ["RSV2", new Uint8Array([0xa1, 0x80, 0, 0, 0, 0])],
      ["RSV3", new Uint8Array([0x91, 0x80, 0, 0, 0, 0])],
      ["RSV1 without extension", new Uint8Array([0xc1, 0x80, 0, 0, 0, 0]), false],
      ["RSV1 on a control frame", new Uint8Array([0xc9, 0x80, 0, 0, 0, 0])],
      ["RSV1 on a continuation", cat2(clientFrame(OP_TEXT, "a", false), new Uint8Array([0xc0, 0x80, 0, 0, 0, 0]))],
      ["opcode 3", new Uint8Array([0x83, 0x80, 0, 0, 0, 0])],
      ["opcode 0xB", new Uint8Array([0x8b, 0x80, 0, 0, 0, 0])],
      ["fragmented ping", new Uint8Array([0x09, 0x80, 0, 0, 0, 0])],
      ["ping of 126 bytes", clientFrame(OP_PING, new Uint8Array(126))],
      ["unmasked", new Uint8Array([0x81, 0x00])],
      ["continuation first", clientFrame(OP_CONTINUATION, "x")],
      ["text inside a fragmented message", cat2(clientFrame(OP_TEXT, "a", false), clientFrame(OP_TEXT, "b"))],
      ["64-bit length with the top bit", new Uint8Array([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0])],
    ];
    for (const [name, bytes, allowRsv1] of cases) {
      const error = errorOf(() => parseFrames(bytes, true, allowRsv1 ?? true));
      expect(error.code, name).toBe(1002);
    }
  });

  it("rejects masked frames on the client side", () => {
    expect(errorOf(() => parseFrames(clientFrame(OP_TEXT, "x"), false)).code).toBe(1002);
  });
});

function cat2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
